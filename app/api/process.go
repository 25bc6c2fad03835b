package api

import (
	"bytes"
	"encoding/json"

	"github.com/argonautdeploy/argonaut/app"
	"github.com/gofiber/fiber/v2"
)

// DeploymentProcessResource is a project's process as Octopus clients
// (go-octopusdeploy's deployments.DeploymentProcess) see it.
type DeploymentProcessResource struct {
	Id             string
	ProjectId      string
	SpaceId        string
	Version        int
	Steps          []StepResource
	LastSnapshotId *string
	Links          map[string]string
}

// StepResource is one step of a process.
type StepResource struct {
	Id                 string
	Name               string
	Condition          string
	StartTrigger       string
	PackageRequirement string
	Properties         Properties
	Actions            []ActionResource
}

// ActionResource is one action of a step.
type ActionResource struct {
	Id                            string
	Name                          string
	Slug                          string
	ActionType                    string
	IsDisabled                    bool
	IsRequired                    bool
	CanBeUsedForProjectVersioning bool
	Environments                  []string
	ExcludedEnvironments          []string
	Channels                      []string
	TenantTags                    []string
	Packages                      []PackageReferenceResource
	Properties                    Properties
}

// PackageReferenceResource is a package an action uses.
type PackageReferenceResource struct {
	Id                  string
	Name                string
	PackageId           string
	FeedId              string
	AcquisitionLocation string
	Properties          map[string]string
}

// Properties is Octopus's property bag. Values are strings on the wire;
// clients sometimes send numbers or booleans, which are kept as their text.
// Sensitive property values ({"IsSensitive":true,…}) are refused: secrets
// belong in sensitive variables.
type Properties map[string]string

// UnmarshalJSON accepts string, number, boolean and null values.
func (p *Properties) UnmarshalJSON(b []byte) error {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	out := make(Properties, len(raw))
	for k, v := range raw {
		v = bytes.TrimSpace(v)
		switch {
		case len(v) == 0 || string(v) == "null":
			out[k] = ""
		case v[0] == '"':
			var s string
			if err := json.Unmarshal(v, &s); err != nil {
				return err
			}
			out[k] = s
		case v[0] == '{':
			var pv struct {
				IsSensitive bool
				Value       *string
			}
			if err := json.Unmarshal(v, &pv); err != nil {
				return err
			}
			if pv.IsSensitive {
				return app.Invalid("The property '" + k + "' is sensitive; sensitive step properties are not supported, use a sensitive variable instead.")
			}
			if pv.Value != nil {
				out[k] = *pv.Value
			}
		case v[0] == '[':
			return app.Invalid("The property '" + k + "' must be a string.")
		default:
			out[k] = string(v) // number or boolean, as written
		}
	}
	*p = out
	return nil
}

func processDTO(dp *app.DeploymentProcess) DeploymentProcessResource {
	r := DeploymentProcessResource{Id: dp.ID, ProjectId: dp.ProjectID, SpaceId: dp.SpaceID, Version: dp.Version,
		Steps: stepsDTO(dp.Steps),
		Links: map[string]string{"Self": spaceLink(dp.SpaceID, "/deploymentprocesses/%s", dp.ID),
			"Project":  spaceLink(dp.SpaceID, "/projects/%s", dp.ProjectID),
			"Template": spaceLink(dp.SpaceID, "/deploymentprocesses/%s/template{?channel,releaseId}", dp.ID)}}
	return r
}

func stepsDTO(steps []app.Step) []StepResource {
	out := make([]StepResource, 0, len(steps))
	for _, s := range steps {
		sr := StepResource{Id: s.ID, Name: s.Name, Condition: s.Condition, StartTrigger: s.StartTrigger,
			PackageRequirement: s.PackageRequirement, Properties: orMap(s.Properties), Actions: []ActionResource{}}
		for _, a := range s.Actions {
			ar := ActionResource{Id: a.ID, Name: a.Name, Slug: app.Slugify(a.Name), ActionType: a.ActionType,
				IsDisabled: a.IsDisabled, IsRequired: a.IsRequired, CanBeUsedForProjectVersioning: a.ActionType == app.ActionTypePackage,
				Environments: orEmptyList(a.Environments), ExcludedEnvironments: orEmptyList(a.ExcludedEnvironments),
				Channels: orEmptyList(a.Channels), TenantTags: orEmptyList(a.TenantTags), Packages: []PackageReferenceResource{},
				Properties: orMap(a.Properties)}
			for _, p := range a.Packages {
				ar.Packages = append(ar.Packages, PackageReferenceResource{Id: p.ID, Name: p.Name, PackageId: p.PackageID,
					FeedId: p.FeedID, AcquisitionLocation: p.AcquisitionLocation, Properties: orMap(p.Properties)})
			}
			sr.Actions = append(sr.Actions, ar)
		}
		out = append(out, sr)
	}
	return out
}

func orMap(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

// processUpdate is the body of PUT /deploymentprocesses/{id}.
type processUpdate struct {
	Version *int
	Steps   []StepResource
}

func (r processUpdate) toApp() []app.Step {
	out := make([]app.Step, 0, len(r.Steps))
	for _, s := range r.Steps {
		st := app.Step{ID: s.Id, Name: s.Name, Condition: s.Condition, StartTrigger: s.StartTrigger,
			PackageRequirement: s.PackageRequirement, Properties: s.Properties}
		for _, a := range s.Actions {
			aa := app.Action{ID: a.Id, Name: a.Name, ActionType: a.ActionType, IsDisabled: a.IsDisabled, IsRequired: a.IsRequired,
				Environments: a.Environments, ExcludedEnvironments: a.ExcludedEnvironments, Channels: a.Channels,
				TenantTags: a.TenantTags, Properties: a.Properties}
			for _, p := range a.Packages {
				aa.Packages = append(aa.Packages, app.PackageReference{ID: p.Id, Name: p.Name, PackageID: p.PackageId,
					FeedID: p.FeedId, AcquisitionLocation: p.AcquisitionLocation, Properties: p.Properties})
			}
			st.Actions = append(st.Actions, aa)
		}
		out = append(out, st)
	}
	return out
}

func (h *Handler) getDeploymentProcess(c *fiber.Ctx) error {
	dp, err := h.Processes.FindDeploymentProcessByID(c.UserContext(), spaceID(c), param(c, "id"))
	if err != nil {
		return err
	}
	return c.JSON(processDTO(dp))
}

func (h *Handler) projectDeploymentProcess(c *fiber.Ctx) error {
	p, err := h.Projects.FindProjectByID(c.UserContext(), spaceID(c), param(c, "id"))
	if err != nil {
		return err
	}
	dp, err := h.Processes.FindDeploymentProcessByID(c.UserContext(), p.SpaceID, p.DeploymentProcessID)
	if err != nil {
		return err
	}
	return c.JSON(processDTO(dp))
}

// decodeProcessUpdate maps the body of PUT /deploymentprocesses/{id} (an
// imported document: CVE-2018-18850) onto the version it was edited from
// and its steps. The storage validates the steps (app.DeploymentProcess.Validate).
func decodeProcessUpdate(body []byte) (version int, steps []app.Step, err error) {
	var r processUpdate
	if err := decodeBytes(body, &r); err != nil {
		return 0, nil, err
	}
	// Version is required: without it a client could overwrite a change it never saw.
	if r.Version == nil {
		return 0, nil, app.Invalid("Version is required: send the Version of the deployment process you edited.")
	}
	return *r.Version, r.toApp(), nil
}

func (h *Handler) updateDeploymentProcess(c *fiber.Ctx) error {
	body, err := readBody(c)
	if err != nil {
		return err
	}
	version, steps, err := decodeProcessUpdate(body)
	if err != nil {
		return err
	}
	existing, err := h.Processes.FindDeploymentProcessByID(c.UserContext(), spaceID(c), param(c, "id"))
	if err != nil {
		return err
	}
	dp := &app.DeploymentProcess{ID: existing.ID, SpaceID: existing.SpaceID, ProjectID: existing.ProjectID,
		Version: version, Steps: steps}
	if err := h.Processes.UpdateDeploymentProcess(c.UserContext(), dp); err != nil {
		return err
	}
	return c.JSON(processDTO(dp))
}

// ReleaseTemplateResource is go-octopusdeploy's DeploymentProcessTemplate.
type ReleaseTemplateResource struct {
	DeploymentProcessId            string
	LastReleaseVersion             string
	NextVersionIncrement           string
	VersioningPackageStepName      *string
	VersioningPackageReferenceName *string
	Packages                       []ReleaseTemplatePackageResource
	GitResources                   []any
}

// ReleaseTemplatePackageResource is one package reference needing a version.
type ReleaseTemplatePackageResource struct {
	ActionName                 string
	StepName                   string
	PackageReferenceName       string
	PackageId                  string
	FeedId                     string
	FeedName                   string
	IsResolvable               bool
	VersionSelectedLastRelease string
	FixedVersion               string
}

func (h *Handler) processTemplate(c *fiber.Ctx) error {
	id := param(c, "id")
	projectID := ""
	if pid, ok := cutProcessID(id); ok {
		projectID = pid
	} else {
		return app.NotFound(id)
	}
	return h.releaseTemplate(c, projectID)
}

func (h *Handler) projectProcessTemplate(c *fiber.Ctx) error {
	return h.releaseTemplate(c, param(c, "id"))
}

func (h *Handler) releaseTemplate(c *fiber.Ctx, project string) error {
	if h.ReleaseCreator == nil {
		return app.Errorf(app.EINTERNAL, "release creation is not configured")
	}
	t, err := h.ReleaseCreator.ReleaseTemplate(c.UserContext(), spaceID(c), project)
	if err != nil {
		return err
	}
	out := ReleaseTemplateResource{DeploymentProcessId: t.Process.ID, LastReleaseVersion: t.LastReleaseVersion,
		NextVersionIncrement: t.NextVersionIncrement, Packages: []ReleaseTemplatePackageResource{}, GitResources: []any{}}
	for _, p := range t.Packages {
		feedName := p.FeedID
		if p.FeedID == app.BuiltInFeedID {
			feedName = "Octopus Server (built-in)"
		}
		out.Packages = append(out.Packages, ReleaseTemplatePackageResource{ActionName: p.ActionName, StepName: p.StepName,
			PackageReferenceName: p.PackageReferenceName, PackageId: p.PackageID, FeedId: p.FeedID, FeedName: feedName,
			IsResolvable: true, VersionSelectedLastRelease: p.VersionSelectedLastRelease})
	}
	return c.JSON(out)
}

func cutProcessID(id string) (string, bool) {
	const prefix = "deploymentprocess-"
	if len(id) > len(prefix) && equalFoldPrefix(id, prefix) {
		return id[len(prefix):], true
	}
	return "", false
}

func equalFoldPrefix(s, prefix string) bool {
	return len(s) >= len(prefix) && bytes.EqualFold([]byte(s[:len(prefix)]), []byte(prefix))
}
