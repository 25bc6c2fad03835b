package api

import (
	"fmt"
	"mime"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/argonautdeploy/argonaut/app"
	"github.com/gofiber/fiber/v2"
)

// DeploymentResource is a deployment as Octopus clients see it.
type DeploymentResource struct {
	Id                       string
	SpaceId                  string
	Name                     string
	ReleaseId                string
	EnvironmentId            string
	TenantId                 *string
	ProjectId                string
	ChannelId                string
	DeploymentProcessId      string
	ManifestVariableSetId    string
	TaskId                   string
	Comments                 string
	Created                  Time
	DeployedBy               string
	DeployedById             string
	DeployedToMachineIds     []string
	SpecificMachineIds       []string
	ExcludedMachineIds       []string
	SkipActions              []string
	ForcePackageDownload     bool
	ForcePackageRedeployment bool
	UseGuidedFailure         bool
	FormValues               map[string]string
	QueueTime                Time
	QueueTimeExpiry          Time
	FailureEncountered       bool
	Changes                  []any
	ChangesMarkdown          string
	Links                    map[string]string
}

func deploymentDTO(d *app.Deployment) DeploymentResource {
	self := spaceLink(d.SpaceID, "/deployments/%s", d.ID)
	orEmpty := func(s []string) []string {
		if s == nil {
			return []string{}
		}
		return s
	}
	forms := d.FormValues
	if forms == nil {
		forms = map[string]string{}
	}
	var tenant *string
	if d.TenantID != "" {
		tenant = &d.TenantID
	}
	return DeploymentResource{Id: d.ID, SpaceId: d.SpaceID, Name: d.Name, ReleaseId: d.ReleaseID, EnvironmentId: d.EnvironmentID,
		TenantId: tenant, ProjectId: d.ProjectID, ChannelId: d.ChannelID,
		DeploymentProcessId: "deploymentprocess-" + d.ProjectID + "-" + d.ReleaseID, ManifestVariableSetId: "variableset-" + d.ProjectID + "-" + d.ReleaseID,
		TaskId: d.TaskID, Comments: d.Comments, Created: Time{d.Created}, DeployedBy: d.DeployedBy, DeployedById: d.DeployedByID,
		DeployedToMachineIds: orEmpty(d.DeployedToMachineIDs), SpecificMachineIds: orEmpty(d.SpecificMachineIDs),
		ExcludedMachineIds: orEmpty(d.ExcludedMachineIDs), SkipActions: orEmpty(d.SkipActions),
		ForcePackageRedeployment: d.ForcePackageRedeployment, UseGuidedFailure: d.UseGuidedFailure != nil && *d.UseGuidedFailure,
		FormValues: forms, QueueTime: Time{d.QueueTime}, QueueTimeExpiry: Time{d.QueueTimeExpiry}, Changes: []any{},
		Links: map[string]string{
			"Self":          self,
			"Release":       spaceLink(d.SpaceID, "/releases/%s", d.ReleaseID),
			"Environment":   spaceLink(d.SpaceID, "/environments/%s", d.EnvironmentID),
			"Project":       spaceLink(d.SpaceID, "/projects/%s", d.ProjectID),
			"Task":          "/api/tasks/" + d.TaskID,
			"Artifacts":     spaceLink(d.SpaceID, "/artifacts?regarding=%s", d.ID),
			"Interruptions": spaceLink(d.SpaceID, "/interruptions?regarding=%s", d.ID),
			"Web":           "/app/tasks/" + d.TaskID,
		}}
}

func (h *Handler) deploymentsOrErr() (app.DeploymentService, error) {
	if h.Deployments == nil {
		return nil, app.Errorf(app.EINTERNAL, "deployments are not configured")
	}
	return h.Deployments, nil
}

// createDeployment serves POST /deployments with a Deployment resource.
func (h *Handler) createDeployment(c *fiber.Ctx) error {
	svc, err := h.deploymentsOrErr()
	if err != nil {
		return err
	}
	var r struct {
		ReleaseId                string
		EnvironmentId            string
		TenantId                 *string
		Comments                 string
		SpecificMachineIds       []string
		ExcludedMachineIds       []string
		SkipActions              []string
		ForcePackageRedeployment bool
		UseGuidedFailure         *bool
		FormValues               map[string]string
		QueueTime                Time
		QueueTimeExpiry          Time
	}
	if err := decode(c, &r); err != nil {
		return err
	}
	if r.TenantId != nil && *r.TenantId != "" {
		return app.Invalid("Tenanted deployments are not supported yet.")
	}
	d := &app.Deployment{SpaceID: spaceID(c), ReleaseID: r.ReleaseId, EnvironmentID: r.EnvironmentId,
		DeploymentOptions: app.DeploymentOptions{SpecificMachineIDs: r.SpecificMachineIds, ExcludedMachineIDs: r.ExcludedMachineIds,
			SkipActions: r.SkipActions, ForcePackageRedeployment: r.ForcePackageRedeployment, UseGuidedFailure: r.UseGuidedFailure,
			FormValues: r.FormValues, QueueTime: r.QueueTime.Time, QueueTimeExpiry: r.QueueTimeExpiry.Time, Comments: r.Comments}}
	created, err := svc.CreateDeployment(c.UserContext(), d)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(deploymentDTO(created))
}

// CreateDeploymentUntenantedV1 is the body of POST
// /deployments/create/untenanted/v1 (octopus CLI "release deploy").
type CreateDeploymentUntenantedV1 struct {
	SpaceID                  string            `json:"spaceId"`
	SpaceIDOrName            string            `json:"spaceIdOrName"`
	ProjectName              string            `json:"projectName"`
	ReleaseVersion           string            `json:"releaseVersion"`
	EnvironmentNames         []string          `json:"environmentNames"`
	ForcePackageRedeployment bool              `json:"forcePackageRedeployment"`
	SpecificMachineNames     []string          `json:"specificMachineNames"`
	ExcludedMachineNames     []string          `json:"excludedMachineNames"`
	SkipStepNames            []string          `json:"skipStepNames"`
	UseGuidedFailure         *bool             `json:"useGuidedFailure"`
	RunAt                    string            `json:"runAt"`
	NoRunAfter               string            `json:"noRunAfter"`
	Variables                map[string]string `json:"variables"`
	UpdateVariableSnapshot   bool              `json:"updateVariableSnapshot"`
}

// DeploymentServerTask pairs a created deployment with its task.
type DeploymentServerTask struct {
	DeploymentId string
	ServerTaskId string
}

// CreateDeploymentV1Response is what the CLI reads back.
type CreateDeploymentV1Response struct {
	DeploymentServerTasks []DeploymentServerTask
}

func parseOptionalTime(field, s string) (time.Time, error) {
	if t, ok := app.ParseScheduleTime(s); ok {
		return t, nil
	}
	return time.Time{}, app.Invalid(fmt.Sprintf("%s must be a date and time: RFC 3339, or like 2026-12-24 18:00 (UTC).", field))
}

func (h *Handler) createDeploymentUntenantedV1(c *fiber.Ctx) error {
	svc, err := h.deploymentsOrErr()
	if err != nil {
		return err
	}
	var r CreateDeploymentUntenantedV1
	if err := decode(c, &r); err != nil {
		return err
	}
	runAt, err := parseOptionalTime("runAt", r.RunAt)
	if err != nil {
		return err
	}
	noRunAfter, err := parseOptionalTime("noRunAfter", r.NoRunAfter)
	if err != nil {
		return err
	}
	if r.UpdateVariableSnapshot && !principal(c).Can(app.PermReleaseCreate) {
		// Refreshing the snapshot is what POST releases/{id}/snapshot-variables
		// does, and needs the same permission as that route.
		return app.Errorf(app.EFORBIDDEN, "Updating the release's variable snapshot needs the %s permission; deploy without updateVariableSnapshot, or ask someone who may.", app.PermReleaseCreate)
	}
	if r.UpdateVariableSnapshot && h.Releases != nil {
		p, perr := h.Projects.FindProjectByID(c.UserContext(), spaceID(c), r.ProjectName)
		if perr == nil {
			if rel, rerr := h.Releases.FindReleaseByVersion(c.UserContext(), spaceID(c), p.ID, r.ReleaseVersion); rerr == nil {
				if _, err := h.Releases.SnapshotReleaseVariables(c.UserContext(), spaceID(c), rel.ID); err != nil {
					return err
				}
			}
		}
	}
	deps, err := svc.Deploy(c.UserContext(), app.DeployRequest{SpaceID: spaceID(c), Project: r.ProjectName,
		ReleaseVersion: r.ReleaseVersion, EnvironmentNames: r.EnvironmentNames, SpecificMachineNames: r.SpecificMachineNames,
		ExcludedMachineNames: r.ExcludedMachineNames, SkipStepNames: r.SkipStepNames, UseGuidedFailure: r.UseGuidedFailure,
		ForcePackageRedeployment: r.ForcePackageRedeployment, Variables: r.Variables, RunAt: runAt, NoRunAfter: noRunAfter})
	if err != nil {
		return err
	}
	out := CreateDeploymentV1Response{DeploymentServerTasks: []DeploymentServerTask{}}
	for _, d := range deps {
		out.DeploymentServerTasks = append(out.DeploymentServerTasks, DeploymentServerTask{DeploymentId: d.ID, ServerTaskId: d.TaskID})
	}
	return c.Status(fiber.StatusCreated).JSON(out)
}

func (h *Handler) getDeployment(c *fiber.Ctx) error {
	svc, err := h.deploymentsOrErr()
	if err != nil {
		return err
	}
	d, err := svc.FindDeploymentByID(c.UserContext(), spaceID(c), param(c, "id"))
	if err != nil {
		return err
	}
	return c.JSON(deploymentDTO(d))
}

// listDeployments serves GET /deployments?projects=&environments=&releases=&tenants=&taskIds=.
func (h *Handler) listDeployments(c *fiber.Ctx) error {
	f, err := listFilter(c)
	if err != nil {
		return err
	}
	return h.deploymentPage(c, f, app.DeploymentFilter{IDs: f.IDs, ProjectIDs: splitList(c.Query("projects")),
		EnvironmentIDs: splitList(c.Query("environments")), ReleaseIDs: splitList(c.Query("releases")),
		TenantIDs: splitList(c.Query("tenants")), TaskIDs: splitList(c.Query("taskIds"))})
}

func (h *Handler) releaseDeployments(c *fiber.Ctx) error {
	f, err := listFilter(c)
	if err != nil {
		return err
	}
	rel, err := h.Releases.FindReleaseByID(c.UserContext(), spaceID(c), param(c, "id"))
	if err != nil {
		return err
	}
	return h.deploymentPage(c, f, app.DeploymentFilter{ReleaseIDs: []string{rel.ID}})
}

func (h *Handler) deploymentPage(c *fiber.Ctx, f app.Filter, df app.DeploymentFilter) error {
	svc, err := h.deploymentsOrErr()
	if err != nil {
		return err
	}
	df.SpaceID, df.Skip, df.Take = spaceID(c), f.Skip, f.Take
	items, total, err := svc.FindDeployments(c.UserContext(), df)
	if err != nil {
		return err
	}
	return c.JSON(page(c, "Deployment", mapAll(items, deploymentDTO), total, f))
}

// InterruptionResource is an interruption as Octopus clients see it.
type InterruptionResource struct {
	Id                          string
	SpaceId                     string
	Title                       string
	Type                        string
	Created                     Time
	IsPending                   bool
	Form                        InterruptionForm
	RelatedDocumentIds          []string
	ResponsibleTeamIds          []string
	ResponsibleUserId           string
	CanTakeResponsibility       bool
	HasResponsibility           bool
	TaskId                      string
	CorrelationId               string
	IsLinkedToOtherInterruption bool
	Links                       map[string]string
}

// InterruptionForm is the form a person fills in.
type InterruptionForm struct {
	Values   map[string]string
	Elements []InterruptionFormElement
}

// InterruptionFormElement is one field or button of the form.
type InterruptionFormElement struct {
	Name            string
	Control         map[string]any
	IsValueRequired bool
}

func interruptionDTO(i *app.Interruption, u *app.User) InterruptionResource {
	self := spaceLink(i.SpaceID, "/interruptions/%s", i.ID)
	resultField := "Result"
	if i.Type == app.InterruptionGuidedFailure {
		resultField = "Guidance"
	}
	buttons := []map[string]string{}
	for _, r := range i.Type.Results() {
		buttons = append(buttons, map[string]string{"Text": r, "Value": r})
	}
	teams := i.ResponsibleTeamIDs
	if teams == nil {
		teams = []string{}
	}
	uid := ""
	if u != nil {
		uid = u.ID
	}
	return InterruptionResource{Id: i.ID, SpaceId: i.SpaceID, Title: i.Title, Type: string(i.Type), Created: Time{i.Created},
		IsPending: i.IsPending, RelatedDocumentIds: i.RelatedDocumentIDs(), ResponsibleTeamIds: teams,
		ResponsibleUserId: i.TakenByID, CanTakeResponsibility: i.IsPending && u.Can(app.PermInterruptionSubmit),
		HasResponsibility: i.TakenByID != "" && i.TakenByID == uid, TaskId: i.TaskID, CorrelationId: i.TaskID,
		Form: InterruptionForm{Values: map[string]string{"Instructions": i.Instructions, "Notes": i.Notes, resultField: i.Result},
			Elements: []InterruptionFormElement{
				{Name: "Instructions", Control: map[string]any{"Type": "Paragraph", "Text": i.Instructions}},
				{Name: "Notes", Control: map[string]any{"Type": "TextArea", "Label": "Notes"}},
				{Name: resultField, Control: map[string]any{"Type": "SubmitButtonGroup", "Buttons": buttons}, IsValueRequired: true},
			}},
		Links: map[string]string{"Self": self, "Submit": self + "/submit", "Responsible": self + "/responsible",
			"Task": "/api/tasks/" + i.TaskID}}
}

func (h *Handler) interruptionsOrErr() (app.InterruptionService, error) {
	if h.Interruptions == nil {
		return nil, app.Errorf(app.EINTERNAL, "interruptions are not configured")
	}
	return h.Interruptions, nil
}

func (h *Handler) listInterruptions(c *fiber.Ctx) error {
	svc, err := h.interruptionsOrErr()
	if err != nil {
		return err
	}
	f, err := listFilter(c)
	if err != nil {
		return err
	}
	items, total, err := svc.FindInterruptions(c.UserContext(), app.InterruptionFilter{SpaceID: spaceID(c),
		Regarding: c.Query("regarding"), PendingOnly: strings.EqualFold(c.Query("pendingOnly"), "true"),
		IDs: f.IDs, Skip: f.Skip, Take: f.Take})
	if err != nil {
		return err
	}
	u := principal(c)
	return c.JSON(page(c, "Interruption", mapAll(items, func(i *app.Interruption) InterruptionResource { return interruptionDTO(i, u) }), total, f))
}

func (h *Handler) getInterruption(c *fiber.Ctx) error {
	svc, err := h.interruptionsOrErr()
	if err != nil {
		return err
	}
	i, err := svc.FindInterruptionByID(c.UserContext(), spaceID(c), param(c, "id"))
	if err != nil {
		return err
	}
	return c.JSON(interruptionDTO(i, principal(c)))
}

// takeResponsibility serves PUT /interruptions/{id}/responsible: the caller
// becomes responsible. Like Octopus it answers with the responsible user
// (go-octopusdeploy decodes a User).
func (h *Handler) takeResponsibility(c *fiber.Ctx) error {
	svc, err := h.interruptionsOrErr()
	if err != nil {
		return err
	}
	if _, err := svc.TakeResponsibility(c.UserContext(), spaceID(c), param(c, "id")); err != nil {
		return err
	}
	return c.JSON(userDTO(principal(c)))
}

// responsibleUser serves GET /interruptions/{id}/responsible: the user
// responsible, or null when nobody has taken it.
func (h *Handler) responsibleUser(c *fiber.Ctx) error {
	svc, err := h.interruptionsOrErr()
	if err != nil {
		return err
	}
	i, err := svc.FindInterruptionByID(c.UserContext(), spaceID(c), param(c, "id"))
	if err != nil {
		return err
	}
	if i.TakenByID == "" {
		return c.JSON(nil)
	}
	u, err := h.Users.FindUserByID(c.UserContext(), i.TakenByID)
	if err != nil {
		return err
	}
	return c.JSON(userDTO(u))
}

func (h *Handler) submitInterruption(c *fiber.Ctx) error {
	svc, err := h.interruptionsOrErr()
	if err != nil {
		return err
	}
	var r struct {
		Notes    string
		Result   string
		Guidance string
	}
	if err := decode(c, &r); err != nil {
		return err
	}
	if r.Result == "" {
		r.Result = r.Guidance
	}
	i, err := svc.SubmitInterruption(c.UserContext(), spaceID(c), param(c, "id"), app.InterruptionSubmission{Result: r.Result, Notes: r.Notes})
	if err != nil {
		return err
	}
	return c.JSON(interruptionDTO(i, principal(c)))
}

// ArtifactResource is a file a deployment published.
type ArtifactResource struct {
	Id                 string
	SpaceId            string
	Filename           string
	Source             string
	ServerTaskId       string
	Created            Time
	LogCorrelationId   string
	RelatedDocumentIds []string
	Length             int64
	Links              map[string]string
}

func artifactDTO(a *app.Artifact) ArtifactResource {
	self := spaceLink(a.SpaceID, "/artifacts/%s", a.ID)
	related := a.RelatedDocumentIDs
	if related == nil {
		related = []string{}
	}
	return ArtifactResource{Id: a.ID, SpaceId: a.SpaceID, Filename: a.Filename, Source: a.Source, ServerTaskId: a.ServerTaskID,
		Created: Time{a.Created}, RelatedDocumentIds: related, Length: a.Length,
		Links: map[string]string{"Self": self, "Content": self + "/content"}}
}

func (h *Handler) listArtifacts(c *fiber.Ctx) error {
	if h.Artifacts == nil {
		return app.Errorf(app.EINTERNAL, "artifacts are not configured")
	}
	f, err := listFilter(c)
	if err != nil {
		return err
	}
	items, total, err := h.Artifacts.FindArtifacts(c.UserContext(), spaceID(c), c.Query("regarding"), f.Skip, f.Take)
	if err != nil {
		return err
	}
	return c.JSON(page(c, "Artifact", mapAll(items, artifactDTO), total, f))
}

func (h *Handler) getArtifact(c *fiber.Ctx) error {
	if h.Artifacts == nil {
		return app.Errorf(app.EINTERNAL, "artifacts are not configured")
	}
	a, err := h.Artifacts.FindArtifactByID(c.UserContext(), spaceID(c), param(c, "id"))
	if err != nil {
		return err
	}
	return c.JSON(artifactDTO(a))
}

// artifactContent streams an artifact's bytes as an attachment.
func (h *Handler) artifactContent(c *fiber.Ctx) error {
	if h.Artifacts == nil || h.Blobs == nil {
		return app.Errorf(app.EINTERNAL, "artifacts are not configured")
	}
	a, err := h.Artifacts.FindArtifactByID(c.UserContext(), spaceID(c), param(c, "id"))
	if err != nil {
		return err
	}
	f, err := h.Blobs.Open(a.BlobSHA256)
	if err != nil {
		return app.Errorf(app.ENOTFOUND, "The content of artifact %s is missing.", a.ID)
	}
	ct := mime.TypeByExtension(filepath.Ext(a.Filename))
	if ct == "" {
		ct = "application/octet-stream"
	}
	c.Set(fiber.HeaderContentType, ct)
	c.Set(fiber.HeaderContentDisposition, mime.FormatMediaType("attachment", map[string]string{"filename": a.Filename}))
	c.Set("X-Content-Type-Options", "nosniff")
	return c.SendStream(f, int(a.Length))
}

// BlobOpener opens stored blobs by sha256.
type BlobOpener interface {
	Open(sha string) (*os.File, error)
}
