package app

import (
	"context"
	"strings"
	"time"
)

// Kinds of deployment records.
const (
	KindDeployment   = "Deployments"
	KindInterruption = "Interruptions"
	KindArtifact     = "Artifacts"
)

// TaskNameDeploy is the task type (Task.Name) of deployments; the Deploy
// executor runs it.
const TaskNameDeploy = "Deploy"

// Task argument keys of a "Deploy" task.
const (
	TaskArgDeploymentID = "DeploymentId"
)

// Deployment is one release going to one environment (and tenant). It is
// created together with the ServerTasks-N task that runs it, in one store
// transaction, and never changes afterwards: what happened is the task's
// state and log. The one exception is DeployedToMachineIDs, which the
// executor records once it has resolved the deployment's targets
// (DeploymentStore.SetDeployedToMachines).
type Deployment struct {
	ID            string // "Deployments-N"
	SpaceID       string
	Name          string // "Deploy to Production"
	ProjectID     string
	ReleaseID     string
	EnvironmentID string
	ChannelID     string
	TenantID      string // "" = untenanted
	TaskID        string // "ServerTasks-N"
	Created       time.Time
	DeployedBy    string // user name
	DeployedByID  string // user ID
	// DeployedToMachineIDs are the targets the deployment runs on, in
	// the order the executor resolved them; empty until it has started,
	// and for deployments that run only on the built-in worker.
	DeployedToMachineIDs []string
	DeploymentOptions
}

// DeploymentOptions are what a user chooses when deploying.
type DeploymentOptions struct {
	// SpecificMachineIDs, when set, limits the deployment to these targets.
	SpecificMachineIDs []string
	// ExcludedMachineIDs are left out.
	ExcludedMachineIDs []string
	// SkipActions names actions (or steps) not to run; required ones cannot be skipped.
	SkipActions []string
	// UseGuidedFailure: nil means the environment's, then the project's
	// default (see GuidedFailureOn).
	UseGuidedFailure         *bool
	ForcePackageRedeployment bool
	// FormValues are prompted variable values by variable name, except
	// those of sensitive variables, which are in SensitiveFormValues.
	FormValues map[string]string
	// SensitiveFormValues are the prompted values of sensitive variables.
	// They are stored encrypted; outside storage their values are only
	// filled by DeploymentStore.RevealDeploymentFormValues (for the
	// executor), every other read leaves them empty.
	SensitiveFormValues map[string]string
	// QueueTime delays the start; zero = now.
	QueueTime time.Time
	// QueueTimeExpiry: not started by then → TimedOut; zero = never.
	QueueTimeExpiry time.Time
	Comments        string
}

// GuidedFailureOn decides whether guided failure applies: the deployment's
// explicit choice, else the environment's setting, else the project's
// DefaultGuidedFailureMode: "On" and "Off" decide, "EnvironmentDefault"
// (or "") defers to the environment's UseGuidedFailure.
func GuidedFailureOn(d *Deployment, envUseGuidedFailure bool, projectMode string) bool {
	if d.UseGuidedFailure != nil {
		return *d.UseGuidedFailure
	}
	switch {
	case strings.EqualFold(projectMode, "On"):
		return true
	case strings.EqualFold(projectMode, "Off"):
		return false
	}
	return envUseGuidedFailure
}

// Validate checks the fields a caller supplies.
func (d *Deployment) Validate() error {
	var p problems
	if d.SpaceID == "" {
		p.add("SpaceId is required.")
	}
	if d.ReleaseID == "" {
		p.add("ReleaseId is required.")
	}
	if d.EnvironmentID == "" {
		p.add("EnvironmentId is required.")
	}
	if !d.QueueTime.IsZero() && !d.QueueTimeExpiry.IsZero() && !d.QueueTimeExpiry.After(d.QueueTime) {
		p.add("QueueTimeExpiry must be after QueueTime.")
	}
	if len(d.Comments) > 1<<16 {
		p.add("Comments must be at most 64 KiB.")
	}
	return p.err("deployment")
}

// ConcurrencyTag is the task concurrency tag of a deployment: one
// deployment of a project to an environment (and tenant) runs at a time.
func (d *Deployment) ConcurrencyTag() string {
	tag := d.ProjectID + "/" + d.EnvironmentID
	if d.TenantID != "" {
		tag += "/" + d.TenantID
	}
	return tag
}

// DeploymentFilter selects deployments, newest first. Empty lists match all.
type DeploymentFilter struct {
	SpaceID        string
	IDs            []string
	ProjectIDs     []string
	EnvironmentIDs []string
	ReleaseIDs     []string
	TenantIDs      []string
	TaskIDs        []string
	Skip           int
	Take           int // 0 = no limit
}

// Matches reports whether d passes every part of f except paging.
func (f DeploymentFilter) Matches(d *Deployment) bool {
	in := inFilter
	return (f.SpaceID == "" || strings.EqualFold(f.SpaceID, d.SpaceID)) && in(f.IDs, d.ID) &&
		in(f.ProjectIDs, d.ProjectID) && in(f.EnvironmentIDs, d.EnvironmentID) && in(f.ReleaseIDs, d.ReleaseID) &&
		in(f.TenantIDs, d.TenantID) && in(f.TaskIDs, d.TaskID)
}

// DeploymentStore is the storage side of deployments.
type DeploymentStore interface {
	FindDeploymentByID(ctx context.Context, spaceID, id string) (*Deployment, error)
	// FindDeployments returns matches newest first and the total before paging.
	FindDeployments(ctx context.Context, f DeploymentFilter) ([]*Deployment, int, error)
	// CreateDeployment stores d, its task t (Queued) and an audit event in
	// one transaction, filling in d.ID, d.TaskID, t.ID and the times.
	CreateDeployment(ctx context.Context, d *Deployment, t *Task) error
	// RevealDeploymentFormValues returns the sensitive prompted values of
	// deployment id, decrypted.
	RevealDeploymentFormValues(ctx context.Context, spaceID, id string) (map[string]string, error)
	// SetDeployedToMachines records the targets deployment id runs on, in
	// one transaction; it replaces what an earlier run of the same task
	// recorded (after a restart), so calling it again is harmless. It is
	// the only change a stored deployment takes.
	SetDeployedToMachines(ctx context.Context, spaceID, id string, machineIDs []string) error
}

// DeploymentService creates and finds deployments. Creating one validates
// the options against the release (skipped steps exist and are not
// required, machines are in the environment), queues its task and wakes
// the task engine.
type DeploymentService interface {
	FindDeploymentByID(ctx context.Context, spaceID, id string) (*Deployment, error)
	FindDeployments(ctx context.Context, f DeploymentFilter) ([]*Deployment, int, error)
	// CreateDeployment creates d (ReleaseID, EnvironmentID and options
	// set) with its task; the caller in ctx is DeployedBy.
	CreateDeployment(ctx context.Context, d *Deployment) (*Deployment, error)
	// Deploy is the CI path (deployments/create/untenanted/v1): one
	// deployment per environment, all validated before any is created.
	Deploy(ctx context.Context, req DeployRequest) ([]*Deployment, error)
	// Progression is where rel stands in its lifecycle: the phases and
	// the environments it may be deployed to now.
	Progression(ctx context.Context, rel *Release) (*Progression, error)
}

// DeployRequest is POST /api/{space}/deployments/create/untenanted/v1 by
// names, as the octopus CLI sends it.
type DeployRequest struct {
	SpaceID                  string
	Project                  string // ID, slug or name
	ReleaseVersion           string
	EnvironmentNames         []string // names or IDs
	SpecificMachineNames     []string // names or IDs
	ExcludedMachineNames     []string
	SkipStepNames            []string
	UseGuidedFailure         *bool
	ForcePackageRedeployment bool
	Variables                map[string]string // prompted variables
	RunAt                    time.Time
	NoRunAfter               time.Time
}

// InterruptionType distinguishes a manual intervention from guided failure.
type InterruptionType string

// Interruption types.
const (
	InterruptionManual        InterruptionType = "ManualIntervention"
	InterruptionGuidedFailure InterruptionType = "GuidedFailure"
)

// Interruption results. Manual interventions take Proceed or Abort; guided
// failure takes Fail, Retry, Ignore or Exclude (the machine from the rest
// of the deployment).
const (
	ResultProceed = "Proceed"
	ResultAbort   = "Abort"
	ResultFail    = "Fail"
	ResultRetry   = "Retry"
	ResultIgnore  = "Ignore"
	ResultExclude = "Exclude"
)

// Results lists the results an interruption of type t accepts.
func (t InterruptionType) Results() []string {
	if t == InterruptionGuidedFailure {
		return []string{ResultFail, ResultRetry, ResultIgnore, ResultExclude}
	}
	return []string{ResultProceed, ResultAbort}
}

// Interruption is a deployment waiting for a person: a manual intervention
// step, or a failed step under guided failure. CorrelationID is the task.
type Interruption struct {
	ID                 string // "Interruptions-N"
	SpaceID            string
	Type               InterruptionType
	Title              string
	Instructions       string
	ResponsibleTeamIDs []string
	TaskID             string // Octopus's CorrelationId
	DeploymentID       string
	ProjectID          string
	EnvironmentID      string
	StepName           string
	ActionID           string
	MachineName        string // guided failure: the target that failed; "" = the step
	Created            time.Time
	IsPending          bool
	// TakenByID/TakenBy name who took responsibility.
	TakenByID string
	TakenBy   string
	// Submitted form.
	Result        string
	Notes         string
	SubmittedByID string
	SubmittedBy   string
	SubmittedAt   time.Time
}

// RelatedDocumentIDs are the documents Octopus lists for an interruption.
func (i *Interruption) RelatedDocumentIDs() []string {
	var out []string
	for _, id := range []string{i.DeploymentID, i.TaskID, i.ProjectID, i.EnvironmentID} {
		if id != "" {
			out = append(out, id)
		}
	}
	return out
}

// InterruptionFilter selects interruptions, newest first.
type InterruptionFilter struct {
	SpaceID     string
	Regarding   string // a task, deployment, project or environment ID
	PendingOnly bool
	IDs         []string
	Skip        int
	Take        int
}

// Matches reports whether i passes every part of f except paging.
func (f InterruptionFilter) Matches(i *Interruption) bool {
	if f.SpaceID != "" && !strings.EqualFold(f.SpaceID, i.SpaceID) {
		return false
	}
	if f.PendingOnly && !i.IsPending {
		return false
	}
	if len(f.IDs) > 0 {
		ok := false
		for _, id := range f.IDs {
			ok = ok || strings.EqualFold(id, i.ID)
		}
		if !ok {
			return false
		}
	}
	if f.Regarding != "" {
		ok := false
		for _, id := range i.RelatedDocumentIDs() {
			ok = ok || strings.EqualFold(id, f.Regarding)
		}
		return ok
	}
	return true
}

// InterruptionSubmission is the form a person submits.
type InterruptionSubmission struct {
	Result string
	Notes  string
}

// InterruptionStore is the storage side of interruptions.
type InterruptionStore interface {
	FindInterruptionByID(ctx context.Context, spaceID, id string) (*Interruption, error)
	FindInterruptions(ctx context.Context, f InterruptionFilter) ([]*Interruption, int, error)
	CreateInterruption(ctx context.Context, i *Interruption) error
	// UpdateInterruption applies change in one transaction.
	UpdateInterruption(ctx context.Context, spaceID, id string, change func(i *Interruption) error) (*Interruption, error)
}

// InterruptionService is what users do with interruptions. Submitting
// wakes the waiting deployment.
type InterruptionService interface {
	FindInterruptionByID(ctx context.Context, spaceID, id string) (*Interruption, error)
	FindInterruptions(ctx context.Context, f InterruptionFilter) ([]*Interruption, int, error)
	// TakeResponsibility makes the caller responsible (ECONFLICT when not pending).
	TakeResponsibility(ctx context.Context, spaceID, id string) (*Interruption, error)
	// SubmitInterruption records the result (one of Type.Results(); the
	// caller takes responsibility if nobody has) and resumes the task.
	SubmitInterruption(ctx context.Context, spaceID, id string, s InterruptionSubmission) (*Interruption, error)
}

// Artifact is a file a deployment's script published (new_octopusartifact).
type Artifact struct {
	ID                 string // "Artifacts-N"
	SpaceID            string
	Filename           string
	Source             string // machine name
	ServerTaskID       string
	RelatedDocumentIDs []string
	Created            time.Time
	Length             int64
	BlobSHA256         string // content in storage Blobs
}

// ArtifactStore stores artifact records; their content is a blob.
type ArtifactStore interface {
	CreateArtifact(ctx context.Context, a *Artifact) error
	FindArtifactByID(ctx context.Context, spaceID, id string) (*Artifact, error)
	// FindArtifacts lists artifacts regarding a task or deployment ID (""
	// = all of the space), oldest first.
	FindArtifacts(ctx context.Context, spaceID, regarding string, skip, take int) ([]*Artifact, int, error)
}

// Deployment audit categories.
const (
	EventDeploymentQueued = "DeploymentQueued"
	EventInterruption     = "InterruptionSubmitted"
)

// scheduleLayouts are the forms a deployment's start time may be written in:
// RFC 3339 (what API clients send), and what people type ("2026-12-24
// 18:00", with or without a T and seconds, as the octopus CLI's --deploy-at
// passes on verbatim).
var scheduleLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04Z07:00", "2006-01-02T15:04:05",
	"2006-01-02 15:04:05", "2006-01-02T15:04", "2006-01-02 15:04"}

// ParseScheduleTime reads a deployment's start or expiry time; one without
// an offset is UTC (the server's clock may be in any zone, the schedule
// must not depend on it). "" is the zero time.
func ParseScheduleTime(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, true
	}
	for _, layout := range scheduleLayouts {
		if t, err := time.ParseInLocation(layout, s, time.UTC); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}
