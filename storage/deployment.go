package storage

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/argonautdeploy/argonaut/app"
	"github.com/argonautdeploy/argonaut/app/secrets"
	"github.com/dgraph-io/badger/v4"
)

// deploymentRecord is the stored form of app.Deployment. It never changes
// after it is created with its task, except DeployedToMachineIDs (see
// SetDeployedToMachines).
type deploymentRecord struct {
	V                        int               `json:"v"`
	SpaceID                  string            `json:"space_id"`
	Name                     string            `json:"name"`
	ProjectID                string            `json:"project_id"`
	ReleaseID                string            `json:"release_id"`
	EnvironmentID            string            `json:"environment_id"`
	ChannelID                string            `json:"channel_id,omitempty"`
	TenantID                 string            `json:"tenant_id,omitempty"`
	TaskID                   string            `json:"task_id"`
	DeployedBy               string            `json:"deployed_by"`
	DeployedByID             string            `json:"deployed_by_id"`
	DeployedToMachineIDs     []string          `json:"deployed_to_machine_ids,omitempty"`
	SpecificMachineIDs       []string          `json:"specific_machine_ids,omitempty"`
	ExcludedMachineIDs       []string          `json:"excluded_machine_ids,omitempty"`
	SkipActions              []string          `json:"skip_actions,omitempty"`
	UseGuidedFailure         *bool             `json:"use_guided_failure,omitempty"`
	ForcePackageRedeployment bool              `json:"force_package_redeployment,omitempty"`
	FormValues               map[string]string `json:"form_values,omitempty"`
	// SealedFormValues are sensitive prompted values, each sealed with
	// the master key (additional data: sensitiveFormAD).
	SealedFormValues map[string]string `json:"sealed_form_values,omitempty"`
	QueueTime        time.Time         `json:"queue_time,omitzero"`
	QueueTimeExpiry  time.Time         `json:"queue_time_expiry,omitzero"`
	Comments         string            `json:"comments,omitempty"`
	stamps
}

func (r *deploymentRecord) space() string { return r.SpaceID }
func (r *deploymentRecord) label() string { return r.Name }

func (r *deploymentRecord) indexes() []indexEntry {
	return []indexEntry{{name: "project", value: r.ProjectID}, {name: "release", value: r.ReleaseID},
		{name: "environment", value: r.EnvironmentID}, {unique: true, name: "task", value: r.TaskID,
			conflict: "The task already belongs to a deployment."}}
}

var (
	deployments    = table{kind: app.KindDeployment}
	deploymentKind = kindOf{tbl: deployments, what: "Deployment"}
)

func (r *deploymentRecord) toApp(n uint64) *app.Deployment {
	return &app.Deployment{ID: app.FormatID(app.KindDeployment, n), SpaceID: r.SpaceID, Name: r.Name,
		ProjectID: r.ProjectID, ReleaseID: r.ReleaseID, EnvironmentID: r.EnvironmentID, ChannelID: r.ChannelID,
		TenantID: r.TenantID, TaskID: r.TaskID, Created: r.Created, DeployedBy: r.DeployedBy, DeployedByID: r.DeployedByID,
		DeployedToMachineIDs: r.DeployedToMachineIDs,
		DeploymentOptions: app.DeploymentOptions{SpecificMachineIDs: r.SpecificMachineIDs, ExcludedMachineIDs: r.ExcludedMachineIDs,
			SkipActions: r.SkipActions, UseGuidedFailure: r.UseGuidedFailure, ForcePackageRedeployment: r.ForcePackageRedeployment,
			FormValues: r.FormValues, SensitiveFormValues: blankValues(r.SealedFormValues), QueueTime: r.QueueTime,
			QueueTimeExpiry: r.QueueTimeExpiry, Comments: r.Comments}}
}

// blankValues returns m's keys with empty values (nil for none).
func blankValues(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	out := make(map[string]string, len(m))
	for k := range m {
		out[k] = ""
	}
	return out
}

// sensitiveFormAD binds a sealed prompted value to its deployment and
// variable name, so it cannot be moved to another.
func sensitiveFormAD(deploymentID, name string) string {
	return deploymentID + "/form/" + name
}

// RevealDeploymentFormValues implements app.DeploymentStore.
func (d *DB) RevealDeploymentFormValues(ctx context.Context, spaceID, id string) (map[string]string, error) {
	var out map[string]string
	err := d.view(func(txn *badger.Txn) error {
		n, rec, err := findRecord[deploymentRecord](txn, deploymentKind, spaceID, id)
		if err != nil {
			return err
		}
		depID := app.FormatID(app.KindDeployment, n)
		out = make(map[string]string, len(rec.SealedFormValues))
		for name, sealed := range rec.SealedFormValues {
			v, err := d.open(sealed, sensitiveFormAD(depID, name))
			if err != nil {
				return err
			}
			out[name] = v
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("storage: reveal deployment form values: %w", err)
	}
	return out, nil
}

// resealDeploymentFormValues re-encrypts the sensitive prompted values of
// every deployment under next, inside the rotation's transaction.
func (d *DB) resealDeploymentFormValues(txn *badger.Txn, next *secrets.Cipher) (int, error) {
	type item struct {
		n uint64
		r *deploymentRecord
	}
	var deps []item
	if err := scan(txn, app.KindDeployment, func(n uint64, r *deploymentRecord) error {
		if len(r.SealedFormValues) > 0 {
			deps = append(deps, item{n, r})
		}
		return nil
	}); err != nil {
		return 0, err
	}
	count := 0
	for _, it := range deps {
		depID := app.FormatID(app.KindDeployment, it.n)
		for name, sealed := range it.r.SealedFormValues {
			ad := sensitiveFormAD(depID, name)
			pt, err := d.open(sealed, ad)
			if err != nil {
				return 0, err
			}
			if it.r.SealedFormValues[name], err = next.Seal([]byte(pt), []byte(ad)); err != nil {
				return 0, err
			}
			count++
		}
		if err := setJSON(txn, objKey(app.KindDeployment, it.n), it.r); err != nil {
			return 0, err
		}
	}
	return count, nil
}

// CreateDeployment implements app.DeploymentStore: the deployment, its
// queued task (with the deployment's ID in its arguments) and the audit
// event commit in one transaction, so there is never a deployment without
// a task or a task without its deployment. The release and environment
// must exist in the deployment's space.
func (d *DB) CreateDeployment(ctx context.Context, dep *app.Deployment, t *app.Task) error {
	if err := dep.Validate(); err != nil {
		return err
	}
	t.SpaceID = dep.SpaceID
	if t.Name == "" {
		t.Name = app.TaskNameDeploy
	}
	if err := t.Validate(); err != nil {
		return err
	}
	now := d.now().UTC()
	uid, uname := app.ActorName(ctx)
	utc := func(v time.Time) time.Time {
		if v.IsZero() {
			return v
		}
		return v.UTC()
	}
	rec := &deploymentRecord{V: schemaVersion, SpaceID: dep.SpaceID, Name: dep.Name, ProjectID: dep.ProjectID,
		ReleaseID: dep.ReleaseID, EnvironmentID: dep.EnvironmentID, ChannelID: dep.ChannelID, TenantID: dep.TenantID,
		DeployedBy: uname, DeployedByID: uid, SpecificMachineIDs: dep.SpecificMachineIDs,
		ExcludedMachineIDs: dep.ExcludedMachineIDs, SkipActions: dep.SkipActions, UseGuidedFailure: dep.UseGuidedFailure,
		ForcePackageRedeployment: dep.ForcePackageRedeployment, FormValues: dep.FormValues,
		QueueTime: utc(dep.QueueTime), QueueTimeExpiry: utc(dep.QueueTimeExpiry), Comments: dep.Comments}
	rec.stamp(now, now, uname)
	var dn uint64
	var trec *taskRecord
	var tn uint64
	err := d.update(ctx, func(txn *badger.Txn) error {
		_, rel, err := findRecord[releaseRecord](txn, releaseKind, dep.SpaceID, dep.ReleaseID)
		if err != nil {
			return app.Invalid("The release '" + dep.ReleaseID + "' does not exist.")
		}
		if _, _, err := findRecord[environmentRecord](txn, environmentKind, dep.SpaceID, dep.EnvironmentID); err != nil {
			return app.Invalid("The environment '" + dep.EnvironmentID + "' does not exist.")
		}
		rec.ProjectID, rec.ChannelID = rel.ProjectID, rel.ChannelID
		if dn, err = nextID(txn, app.KindDeployment); err != nil {
			return err
		}
		depID := app.FormatID(app.KindDeployment, dn)
		rec.SealedFormValues = nil
		for name, v := range dep.SensitiveFormValues {
			sealed, err := d.seal(v, sensitiveFormAD(depID, name))
			if err != nil {
				return err
			}
			if rec.SealedFormValues == nil {
				rec.SealedFormValues = map[string]string{}
			}
			rec.SealedFormValues[name] = sealed
		}
		t.State, t.Created = app.TaskQueued, now
		t.ProjectID, t.EnvironmentID, t.TenantID = rec.ProjectID, rec.EnvironmentID, rec.TenantID
		t.QueueTime, t.QueueTimeExpiry = rec.QueueTime, rec.QueueTimeExpiry
		if t.Arguments == nil {
			t.Arguments = map[string]string{}
		}
		t.Arguments[app.TaskArgDeploymentID] = depID
		trec = taskFromApp(t)
		if tn, err = d.insertTask(txn, trec); err != nil {
			return err
		}
		rec.TaskID = app.FormatID(app.KindTask, tn)
		if err := deployments.insert(txn, dn, rec); err != nil {
			return err
		}
		return d.audit(ctx, txn, rec.SpaceID, app.EventDeploymentQueued,
			fmt.Sprintf("%s of release %s was queued", rec.Name, rel.Version), depID, rec.TaskID, rec.ProjectID, rec.ReleaseID, rec.EnvironmentID)
	})
	if err != nil {
		return fmt.Errorf("storage: create deployment: %w", err)
	}
	*dep = *rec.toApp(dn)
	*t = *trec.toApp(tn)
	return nil
}

// SetDeployedToMachines implements app.DeploymentStore. Only the machine
// list changes: the indexes and the modification stamps stay as they were,
// since no user edited the deployment.
func (d *DB) SetDeployedToMachines(ctx context.Context, spaceID, id string, machineIDs []string) error {
	err := d.update(ctx, func(txn *badger.Txn) error {
		n, rec, err := findRecord[deploymentRecord](txn, deploymentKind, spaceID, id)
		if err != nil {
			return err
		}
		rec.DeployedToMachineIDs = slices.Clone(machineIDs)
		return setJSON(txn, objKey(app.KindDeployment, n), rec)
	})
	if err != nil {
		return fmt.Errorf("storage: set deployed-to machines: %w", err)
	}
	return nil
}

// FindDeploymentByID implements app.DeploymentStore.
func (d *DB) FindDeploymentByID(ctx context.Context, spaceID, id string) (*app.Deployment, error) {
	var out *app.Deployment
	err := d.view(func(txn *badger.Txn) error {
		n, rec, err := findRecord[deploymentRecord](txn, deploymentKind, spaceID, id)
		if err != nil {
			return err
		}
		out = rec.toApp(n)
		return nil
	})
	return out, err
}

// FindDeployments implements app.DeploymentStore. A filter on releases or
// projects reads the index instead of every deployment.
func (d *DB) FindDeployments(ctx context.Context, f app.DeploymentFilter) ([]*app.Deployment, int, error) {
	var out []*app.Deployment
	err := d.view(func(txn *badger.Txn) error {
		var ns []uint64
		byIndex := func(index string, values []string) error {
			for _, v := range values {
				got, err := deployments.referenced(txn, index, v)
				if err != nil {
					return err
				}
				ns = append(ns, got...)
			}
			slices.Sort(ns)
			ns = slices.Compact(ns)
			return nil
		}
		var err error
		switch {
		case len(f.ReleaseIDs) > 0:
			err = byIndex("release", f.ReleaseIDs)
		case len(f.ProjectIDs) > 0:
			err = byIndex("project", f.ProjectIDs)
		default:
			return scan(txn, app.KindDeployment, func(n uint64, r *deploymentRecord) error {
				if dep := r.toApp(n); f.Matches(dep) {
					out = append(out, dep)
				}
				return nil
			})
		}
		if err != nil {
			return err
		}
		for _, n := range ns {
			var r deploymentRecord
			if err := deployments.get(txn, n, "", &r); err != nil {
				return err
			}
			if dep := r.toApp(n); f.Matches(dep) {
				out = append(out, dep)
			}
		}
		return nil
	})
	if err != nil {
		return nil, 0, fmt.Errorf("storage: find deployments: %w", err)
	}
	slices.Reverse(out)
	page, total := app.Page(out, f.Skip, f.Take)
	return page, total, nil
}

// interruptionRecord is the stored form of app.Interruption.
type interruptionRecord struct {
	V                  int       `json:"v"`
	SpaceID            string    `json:"space_id"`
	Type               string    `json:"type"`
	Title              string    `json:"title"`
	Instructions       string    `json:"instructions,omitempty"`
	ResponsibleTeamIDs []string  `json:"responsible_team_ids,omitempty"`
	TaskID             string    `json:"task_id"`
	DeploymentID       string    `json:"deployment_id,omitempty"`
	ProjectID          string    `json:"project_id,omitempty"`
	EnvironmentID      string    `json:"environment_id,omitempty"`
	StepName           string    `json:"step_name,omitempty"`
	ActionID           string    `json:"action_id,omitempty"`
	MachineName        string    `json:"machine_name,omitempty"`
	IsPending          bool      `json:"is_pending"`
	TakenByID          string    `json:"taken_by_id,omitempty"`
	TakenBy            string    `json:"taken_by,omitempty"`
	Result             string    `json:"result,omitempty"`
	Notes              string    `json:"notes,omitempty"`
	SubmittedByID      string    `json:"submitted_by_id,omitempty"`
	SubmittedBy        string    `json:"submitted_by,omitempty"`
	SubmittedAt        time.Time `json:"submitted_at,omitzero"`
	stamps
}

func (r *interruptionRecord) space() string { return r.SpaceID }
func (r *interruptionRecord) label() string { return r.Title }
func (r *interruptionRecord) indexes() []indexEntry {
	return []indexEntry{{name: "task", value: r.TaskID}}
}

var (
	interruptions    = table{kind: app.KindInterruption}
	interruptionKind = kindOf{tbl: interruptions, what: "Interruption"}
)

func (r *interruptionRecord) toApp(n uint64) *app.Interruption {
	return &app.Interruption{ID: app.FormatID(app.KindInterruption, n), SpaceID: r.SpaceID, Type: app.InterruptionType(r.Type),
		Title: r.Title, Instructions: r.Instructions, ResponsibleTeamIDs: r.ResponsibleTeamIDs, TaskID: r.TaskID,
		DeploymentID: r.DeploymentID, ProjectID: r.ProjectID, EnvironmentID: r.EnvironmentID, StepName: r.StepName,
		ActionID: r.ActionID, MachineName: r.MachineName, Created: r.Created, IsPending: r.IsPending,
		TakenByID: r.TakenByID, TakenBy: r.TakenBy, Result: r.Result, Notes: r.Notes,
		SubmittedByID: r.SubmittedByID, SubmittedBy: r.SubmittedBy, SubmittedAt: r.SubmittedAt}
}

func interruptionFromApp(i *app.Interruption) *interruptionRecord {
	return &interruptionRecord{V: schemaVersion, SpaceID: i.SpaceID, Type: string(i.Type), Title: i.Title,
		Instructions: i.Instructions, ResponsibleTeamIDs: i.ResponsibleTeamIDs, TaskID: i.TaskID,
		DeploymentID: i.DeploymentID, ProjectID: i.ProjectID, EnvironmentID: i.EnvironmentID, StepName: i.StepName,
		ActionID: i.ActionID, MachineName: i.MachineName, IsPending: i.IsPending, TakenByID: i.TakenByID,
		TakenBy: i.TakenBy, Result: i.Result, Notes: i.Notes, SubmittedByID: i.SubmittedByID,
		SubmittedBy: i.SubmittedBy, SubmittedAt: i.SubmittedAt}
}

// CreateInterruption implements app.InterruptionStore; i is pending.
func (d *DB) CreateInterruption(ctx context.Context, i *app.Interruption) error {
	i.IsPending = true
	rec := interruptionFromApp(i)
	n, err := createRecord(ctx, d, interruptionKind, rec, nil)
	if err != nil {
		return fmt.Errorf("storage: create interruption: %w", err)
	}
	*i = *rec.toApp(n)
	return nil
}

// FindInterruptionByID implements app.InterruptionStore.
func (d *DB) FindInterruptionByID(ctx context.Context, spaceID, id string) (*app.Interruption, error) {
	var out *app.Interruption
	err := d.view(func(txn *badger.Txn) error {
		n, rec, err := findRecord[interruptionRecord](txn, interruptionKind, spaceID, id)
		if err != nil {
			return err
		}
		out = rec.toApp(n)
		return nil
	})
	return out, err
}

// FindInterruptions implements app.InterruptionStore, newest first.
func (d *DB) FindInterruptions(ctx context.Context, f app.InterruptionFilter) ([]*app.Interruption, int, error) {
	out, err := findRecords(d, interruptionKind, f.SpaceID, (*interruptionRecord).toApp,
		func(i *app.Interruption) bool { return f.Matches(i) })
	if err != nil {
		return nil, 0, fmt.Errorf("storage: find interruptions: %w", err)
	}
	slices.Reverse(out)
	page, total := app.Page(out, f.Skip, f.Take)
	return page, total, nil
}

// UpdateInterruption implements app.InterruptionStore: change runs inside
// the transaction against the stored record, so two people submitting at
// once cannot both succeed.
func (d *DB) UpdateInterruption(ctx context.Context, spaceID, id string, change func(i *app.Interruption) error) (*app.Interruption, error) {
	var out *app.Interruption
	err := d.update(ctx, func(txn *badger.Txn) error {
		n, old, err := findRecord[interruptionRecord](txn, interruptionKind, spaceID, id)
		if err != nil {
			return err
		}
		cur := old.toApp(n)
		if err := change(cur); err != nil {
			return err
		}
		rec := interruptionFromApp(cur)
		rec.stamps = old.stamps
		_, by := app.ActorName(ctx)
		rec.stamp(old.Created, d.now().UTC(), by)
		if err := interruptions.replace(txn, n, old, rec); err != nil {
			return err
		}
		out = rec.toApp(n)
		msg := fmt.Sprintf("Interruption %s was updated", rec.Title)
		if rec.Result != "" && !rec.IsPending {
			msg = fmt.Sprintf("Interruption %s was submitted: %s", rec.Title, rec.Result)
		}
		return d.audit(ctx, txn, rec.SpaceID, app.EventInterruption, msg, out.ID, rec.TaskID, rec.DeploymentID)
	})
	return out, err
}

// artifactRecord is the stored form of app.Artifact; the content is a blob.
type artifactRecord struct {
	V            int      `json:"v"`
	SpaceID      string   `json:"space_id"`
	Filename     string   `json:"filename"`
	Source       string   `json:"source,omitempty"`
	ServerTaskID string   `json:"server_task_id"`
	Related      []string `json:"related,omitempty"`
	Length       int64    `json:"length"`
	SHA256       string   `json:"sha256"`
	stamps
}

func (r *artifactRecord) space() string { return r.SpaceID }
func (r *artifactRecord) label() string { return r.Filename }
func (r *artifactRecord) indexes() []indexEntry {
	out := []indexEntry{{name: "regarding", value: r.ServerTaskID}}
	for _, id := range r.Related {
		if id != r.ServerTaskID {
			out = append(out, indexEntry{name: "regarding", value: id})
		}
	}
	return out
}

var (
	artifacts    = table{kind: app.KindArtifact}
	artifactKind = kindOf{tbl: artifacts, what: "Artifact"}
)

func (r *artifactRecord) toApp(n uint64) *app.Artifact {
	return &app.Artifact{ID: app.FormatID(app.KindArtifact, n), SpaceID: r.SpaceID, Filename: r.Filename, Source: r.Source,
		ServerTaskID: r.ServerTaskID, RelatedDocumentIDs: r.Related, Created: r.Created, Length: r.Length, BlobSHA256: r.SHA256}
}

// CreateArtifact implements app.ArtifactStore; the blob must already be stored.
func (d *DB) CreateArtifact(ctx context.Context, a *app.Artifact) error {
	rec := &artifactRecord{V: schemaVersion, SpaceID: a.SpaceID, Filename: a.Filename, Source: a.Source,
		ServerTaskID: a.ServerTaskID, Related: a.RelatedDocumentIDs, Length: a.Length, SHA256: a.BlobSHA256}
	n, err := createRecord(ctx, d, artifactKind, rec, nil)
	if err != nil {
		return fmt.Errorf("storage: create artifact: %w", err)
	}
	*a = *rec.toApp(n)
	return nil
}

// FindArtifactByID implements app.ArtifactStore.
func (d *DB) FindArtifactByID(ctx context.Context, spaceID, id string) (*app.Artifact, error) {
	var out *app.Artifact
	err := d.view(func(txn *badger.Txn) error {
		n, rec, err := findRecord[artifactRecord](txn, artifactKind, spaceID, id)
		if err != nil {
			return err
		}
		out = rec.toApp(n)
		return nil
	})
	return out, err
}

// FindArtifacts implements app.ArtifactStore.
func (d *DB) FindArtifacts(ctx context.Context, spaceID, regarding string, skip, take int) ([]*app.Artifact, int, error) {
	var out []*app.Artifact
	err := d.view(func(txn *badger.Txn) error {
		if regarding == "" {
			return scan(txn, app.KindArtifact, func(n uint64, r *artifactRecord) error {
				if spaceID == "" || r.SpaceID == spaceID {
					out = append(out, r.toApp(n))
				}
				return nil
			})
		}
		ns, err := artifacts.referenced(txn, "regarding", regarding)
		if err != nil {
			return err
		}
		for _, n := range ns {
			var r artifactRecord
			if err := artifacts.get(txn, n, "", &r); err != nil {
				return err
			}
			if spaceID == "" || r.SpaceID == spaceID {
				out = append(out, r.toApp(n))
			}
		}
		return nil
	})
	if err != nil {
		return nil, 0, fmt.Errorf("storage: find artifacts: %w", err)
	}
	page, total := app.Page(out, skip, take)
	return page, total, nil
}
