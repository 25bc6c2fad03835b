package api

import (
	"strings"

	"github.com/argonautdeploy/argonaut/app"
	"github.com/argonautdeploy/argonaut/app/releases"
	"github.com/gofiber/fiber/v2"
)

// ReleaseResource is a release as Octopus clients see it.
type ReleaseResource struct {
	Id                                 string
	Version                            string
	ProjectId                          string
	ChannelId                          string
	SpaceId                            string
	Assembled                          Time
	ReleaseNotes                       string
	IgnoreChannelRules                 bool
	SelectedPackages                   []SelectedPackageResource
	BuildInformation                   []any
	LibraryVariableSetSnapshotIds      []string
	ProjectDeploymentProcessSnapshotId string
	ProjectVariableSetSnapshotId       string
	LastModifiedOn                     Time
	LastModifiedBy                     string
	Links                              map[string]string
}

// SelectedPackageResource is the version chosen for one package reference.
type SelectedPackageResource struct {
	ActionName           string
	StepName             string
	PackageReferenceName string
	Version              string
}

func releaseDTO(r *app.Release) ReleaseResource {
	self := spaceLink(r.SpaceID, "/releases/%s", r.ID)
	out := ReleaseResource{Id: r.ID, Version: r.Version, ProjectId: r.ProjectID, ChannelId: r.ChannelID, SpaceId: r.SpaceID,
		Assembled: Time{r.Assembled}, ReleaseNotes: r.ReleaseNotes, SelectedPackages: []SelectedPackageResource{},
		BuildInformation: []any{}, LibraryVariableSetSnapshotIds: []string{},
		// Snapshots live inside the release; their IDs name the release.
		ProjectDeploymentProcessSnapshotId: "deploymentprocess-" + r.ProjectID + "-" + r.ID,
		ProjectVariableSetSnapshotId:       "variableset-" + r.ProjectID + "-" + r.ID,
		LastModifiedOn:                     Time{r.LastModifiedOn}, LastModifiedBy: r.LastModifiedBy,
		Links: map[string]string{
			"Self":                             self,
			"Project":                          spaceLink(r.SpaceID, "/projects/%s", r.ProjectID),
			"Channel":                          spaceLink(r.SpaceID, "/channels/%s", r.ChannelID),
			"Deployments":                      self + "/deployments{?skip,take}",
			"SnapshotVariables":                self + "/snapshot-variables",
			"ProjectDeploymentProcessSnapshot": self + "/deploymentprocess",
			"Web":                              "/app/releases/" + r.ID,
		}}
	for _, v := range r.Variables {
		if v.Library {
			out.LibraryVariableSetSnapshotIds = append(out.LibraryVariableSetSnapshotIds, v.SetID+"-"+r.ID)
		}
	}
	for _, p := range r.SelectedPackages {
		out.SelectedPackages = append(out.SelectedPackages, SelectedPackageResource(p))
	}
	return out
}

func (h *Handler) creator() (*releases.Service, error) {
	if h.ReleaseCreator == nil {
		return nil, app.Errorf(app.EINTERNAL, "release creation is not configured")
	}
	return h.ReleaseCreator, nil
}

// createRelease serves POST /releases with a Release resource.
func (h *Handler) createRelease(c *fiber.Ctx) error {
	var r ReleaseResource
	if err := decode(c, &r); err != nil {
		return err
	}
	svc, err := h.creator()
	if err != nil {
		return err
	}
	if r.ProjectId == "" {
		return app.Invalid("ProjectId is required.")
	}
	req := releases.Request{SpaceID: spaceID(c), Project: r.ProjectId, Version: r.Version, ChannelID: r.ChannelId,
		ReleaseNotes: r.ReleaseNotes, PackageVersions: map[string]string{}}
	for _, p := range r.SelectedPackages {
		name := p.ActionName
		if name == "" {
			name = p.StepName
		}
		req.PackageVersions[name+":"+p.PackageReferenceName] = p.Version
	}
	rel, _, err := svc.Create(c.UserContext(), req)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(releaseDTO(rel))
}

// CreateReleaseV1 is the body of POST /releases/create/v1 (octopus CLI).
type CreateReleaseV1 struct {
	SpaceID               string   `json:"spaceId"`
	SpaceIDOrName         string   `json:"spaceIdOrName"`
	ProjectName           string   `json:"projectName"`
	PackageVersion        string   `json:"packageVersion"`
	GitCommit             string   `json:"gitCommit"`
	GitRef                string   `json:"gitRef"`
	ReleaseVersion        string   `json:"releaseVersion"`
	ChannelName           string   `json:"channelName"`
	Packages              []string `json:"packages"`
	ReleaseNotes          string   `json:"releaseNotes"`
	IgnoreIfAlreadyExists bool     `json:"ignoreIfAlreadyExists"`
	IgnoreChannelRules    bool     `json:"ignoreChannelRules"`
	PackagePrerelease     string   `json:"packagePrerelease"`
}

// CreateReleaseV1Response is what the CLI reads back.
type CreateReleaseV1Response struct {
	ReleaseId                         string
	ReleaseVersion                    string
	AutomaticallyDeployedEnvironments string
}

func (h *Handler) createReleaseV1(c *fiber.Ctx) error {
	var r CreateReleaseV1
	if err := decode(c, &r); err != nil {
		return err
	}
	svc, err := h.creator()
	if err != nil {
		return err
	}
	if strings.TrimSpace(r.ProjectName) == "" {
		return app.Invalid("projectName is required.")
	}
	space := spaceID(c)
	if r.SpaceID != "" && !strings.EqualFold(r.SpaceID, space) {
		return app.Invalid("spaceId '" + r.SpaceID + "' does not match the space of the URL (" + space + ").")
	}
	rel, existed, err := svc.Create(c.UserContext(), releases.Request{SpaceID: space, Project: r.ProjectName,
		Version: r.ReleaseVersion, ChannelName: r.ChannelName, ReleaseNotes: r.ReleaseNotes,
		DefaultPackageVersion: r.PackageVersion, Packages: r.Packages, IgnoreIfExists: r.IgnoreIfAlreadyExists})
	if err != nil {
		return err
	}
	status := fiber.StatusCreated
	if existed {
		status = fiber.StatusOK
	}
	return c.Status(status).JSON(CreateReleaseV1Response{ReleaseId: rel.ID, ReleaseVersion: rel.Version})
}

func (h *Handler) getRelease(c *fiber.Ctx) error {
	r, err := h.Releases.FindReleaseByID(c.UserContext(), spaceID(c), param(c, "id"))
	if err != nil {
		return err
	}
	return c.JSON(releaseDTO(r))
}

func (h *Handler) releaseProcessSnapshot(c *fiber.Ctx) error {
	r, err := h.Releases.FindReleaseByID(c.UserContext(), spaceID(c), param(c, "id"))
	if err != nil {
		return err
	}
	dto := processDTO(&r.Process)
	dto.Id = "deploymentprocess-" + r.ProjectID + "-" + r.ID
	dto.Links["Self"] = spaceLink(r.SpaceID, "/releases/%s/deploymentprocess", r.ID)
	return c.JSON(dto)
}

func (h *Handler) listReleases(c *fiber.Ctx) error {
	f, err := listFilter(c)
	if err != nil {
		return err
	}
	items, total, err := h.Releases.FindReleases(c.UserContext(), app.ReleaseFilter{Filter: f})
	if err != nil {
		return err
	}
	return c.JSON(page(c, "Release", mapAll(items, releaseDTO), total, f))
}

func (h *Handler) projectReleases(c *fiber.Ctx) error {
	p, err := h.Projects.FindProjectByID(c.UserContext(), spaceID(c), param(c, "id"))
	if err != nil {
		return err
	}
	f, err := listFilter(c)
	if err != nil {
		return err
	}
	if s := c.Query("searchByVersion"); s != "" {
		f.PartialName = s
	}
	items, total, err := h.Releases.FindReleases(c.UserContext(), app.ReleaseFilter{Filter: f, ProjectID: p.ID})
	if err != nil {
		return err
	}
	return c.JSON(page(c, "Release", mapAll(items, releaseDTO), total, f))
}

func (h *Handler) projectReleaseByVersion(c *fiber.Ctx) error {
	p, err := h.Projects.FindProjectByID(c.UserContext(), spaceID(c), param(c, "id"))
	if err != nil {
		return err
	}
	r, err := h.Releases.FindReleaseByVersion(c.UserContext(), p.SpaceID, p.ID, param(c, "version"))
	if err != nil {
		return err
	}
	return c.JSON(releaseDTO(r))
}

func (h *Handler) deleteRelease(c *fiber.Ctx) error {
	if err := h.Releases.DeleteRelease(c.UserContext(), spaceID(c), param(c, "id")); err != nil {
		return err
	}
	return deleted(c)
}

func (h *Handler) snapshotReleaseVariables(c *fiber.Ctx) error {
	r, err := h.Releases.SnapshotReleaseVariables(c.UserContext(), spaceID(c), param(c, "id"))
	if err != nil {
		return err
	}
	return c.JSON(releaseDTO(r))
}

func (h *Handler) channelReleases(c *fiber.Ctx) error {
	ch, err := h.Channels.FindChannelByID(c.UserContext(), spaceID(c), param(c, "id"))
	if err != nil {
		return err
	}
	f, err := listFilter(c)
	if err != nil {
		return err
	}
	if s := c.Query("searchByVersion"); s != "" {
		f.PartialName = s
	}
	items, total, err := h.Releases.FindReleases(c.UserContext(), app.ReleaseFilter{Filter: f, ChannelID: ch.ID})
	if err != nil {
		return err
	}
	return c.JSON(page(c, "Release", mapAll(items, releaseDTO), total, f))
}
