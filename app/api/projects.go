package api

import (
	"github.com/argonautdeploy/argonaut/app"
	"github.com/gofiber/fiber/v2"
)

// VersioningStrategyResource says how release versions are generated.
type VersioningStrategyResource struct {
	Template     string
	DonorPackage any
}

// ConnectivityPolicyResource is accepted and echoed for client compatibility.
type ConnectivityPolicyResource struct {
	AllowDeploymentsToNoTargets bool
	ExcludeUnhealthyTargets     bool
	SkipMachineBehavior         string
	TargetRoles                 []string
}

// ProjectResource is a project as clients (and the Terraform provider) see it.
type ProjectResource struct {
	Id                            string
	Name                          string
	Slug                          string
	Description                   string
	LifecycleId                   string
	ProjectGroupId                string
	SpaceId                       string
	IsDisabled                    bool
	AutoCreateRelease             bool
	DiscreteChannelRelease        bool
	DefaultGuidedFailureMode      string
	TenantedDeploymentMode        string
	DeploymentProcessId           string
	VariableSetId                 string
	IncludedLibraryVariableSetIds []string
	VersioningStrategy            *VersioningStrategyResource
	ProjectConnectivityPolicy     *ConnectivityPolicyResource
	IsVersionControlled           bool
	Templates                     []any
	ExtensionSettings             []any
	LastModifiedOn                Time
	LastModifiedBy                string
	Links                         map[string]string
}

func projectDTO(p *app.Project) ProjectResource {
	self := spaceLink(p.SpaceID, "/projects/%s", p.ID)
	return ProjectResource{Id: p.ID, Name: p.Name, Slug: p.Slug, Description: p.Description, LifecycleId: p.LifecycleID,
		ProjectGroupId: p.ProjectGroupID, SpaceId: p.SpaceID, IsDisabled: p.IsDisabled, AutoCreateRelease: p.AutoCreateRelease,
		DiscreteChannelRelease: p.DiscreteChannelRelease, DefaultGuidedFailureMode: p.DefaultGuidedFailureMode,
		TenantedDeploymentMode: p.TenantedDeploymentMode, DeploymentProcessId: p.DeploymentProcessID, VariableSetId: p.VariableSetID,
		IncludedLibraryVariableSetIds: p.IncludedLibraryVariableSetIDs,
		VersioningStrategy:            &VersioningStrategyResource{Template: p.VersioningTemplate},
		ProjectConnectivityPolicy:     &ConnectivityPolicyResource{SkipMachineBehavior: "None", TargetRoles: []string{}},
		Templates:                     []any{}, ExtensionSettings: []any{}, LastModifiedOn: Time{p.LastModifiedOn}, LastModifiedBy: p.LastModifiedBy,
		Links: map[string]string{
			"Self":               self,
			"Web":                "/app/projects/" + p.Slug,
			"Channels":           self + "/channels{/id}{?skip,take,partialName}",
			"Releases":           self + "/releases{/version}{?skip,take,searchByVersion}",
			"DeploymentProcess":  spaceLink(p.SpaceID, "/deploymentprocesses/%s", p.DeploymentProcessID),
			"Variables":          spaceLink(p.SpaceID, "/variables/%s", p.VariableSetID),
			"DeploymentSettings": self + "/deploymentsettings",
		}}
}

func (r ProjectResource) toApp(space string) *app.Project {
	p := &app.Project{ID: r.Id, SpaceID: space, Name: r.Name, Slug: r.Slug, Description: r.Description, LifecycleID: r.LifecycleId,
		ProjectGroupID: r.ProjectGroupId, IsDisabled: r.IsDisabled, AutoCreateRelease: r.AutoCreateRelease,
		DiscreteChannelRelease: r.DiscreteChannelRelease, DefaultGuidedFailureMode: r.DefaultGuidedFailureMode,
		TenantedDeploymentMode: r.TenantedDeploymentMode, IncludedLibraryVariableSetIDs: r.IncludedLibraryVariableSetIds}
	if r.VersioningStrategy != nil {
		p.VersioningTemplate = r.VersioningStrategy.Template
	}
	return p
}

func (h *Handler) listProjects(c *fiber.Ctx) error {
	f, err := listFilter(c)
	if err != nil {
		return err
	}
	items, total, err := h.Projects.FindProjects(c.UserContext(), app.ProjectFilter{Filter: f})
	if err != nil {
		return err
	}
	return c.JSON(page(c, "Project", mapAll(items, projectDTO), total, f))
}

func (h *Handler) allProjects(c *fiber.Ctx) error {
	items, _, err := h.Projects.FindProjects(c.UserContext(), app.ProjectFilter{Filter: app.Filter{SpaceID: spaceID(c), IDs: splitList(c.Query("ids"))}})
	if err != nil {
		return err
	}
	return c.JSON(mapAll(items, projectDTO))
}

func (h *Handler) getProject(c *fiber.Ctx) error {
	p, err := h.Projects.FindProjectByID(c.UserContext(), spaceID(c), param(c, "id"))
	if err != nil {
		return err
	}
	return c.JSON(projectDTO(p))
}

func (h *Handler) createProject(c *fiber.Ctx) error {
	var r ProjectResource
	if err := decode(c, &r); err != nil {
		return err
	}
	p := r.toApp(spaceID(c))
	if err := h.Projects.CreateProject(c.UserContext(), p); err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(projectDTO(p))
}

func (h *Handler) updateProject(c *fiber.Ctx) error {
	var r ProjectResource
	if err := decode(c, &r); err != nil {
		return err
	}
	existing, err := h.Projects.FindProjectByID(c.UserContext(), spaceID(c), param(c, "id"))
	if err != nil {
		return err
	}
	p := r.toApp(spaceID(c))
	p.ID = existing.ID
	if err := h.Projects.UpdateProject(c.UserContext(), p); err != nil {
		return err
	}
	return c.JSON(projectDTO(p))
}

func (h *Handler) deleteProject(c *fiber.Ctx) error {
	if err := h.Projects.DeleteProject(c.UserContext(), spaceID(c), param(c, "id")); err != nil {
		return err
	}
	return deleted(c)
}

func (h *Handler) projectDeploymentSettings(c *fiber.Ctx) error {
	p, err := h.Projects.FindProjectByID(c.UserContext(), spaceID(c), param(c, "id"))
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"Id": "deploymentsettings-" + p.ID, "ProjectId": p.ID, "SpaceId": p.SpaceID,
		"DefaultGuidedFailureMode": p.DefaultGuidedFailureMode, "TenantedDeploymentMode": p.TenantedDeploymentMode,
		"VersioningStrategy": VersioningStrategyResource{Template: p.VersioningTemplate},
		"ConnectivityPolicy": ConnectivityPolicyResource{SkipMachineBehavior: "None", TargetRoles: []string{}},
		"Links":              map[string]string{"Self": spaceLink(p.SpaceID, "/projects/%s/deploymentsettings", p.ID)}})
}

// ChannelResource is a channel as clients see it.
type ChannelResource struct {
	Id          string
	Name        string
	Slug        string
	Description string
	ProjectId   string
	LifecycleId *string
	IsDefault   bool
	Rules       []any
	TenantTags  []string
	SpaceId     string
	Links       map[string]string
}

func channelDTO(ch *app.Channel) ChannelResource {
	r := ChannelResource{Id: ch.ID, Name: ch.Name, Slug: ch.Slug, Description: ch.Description, ProjectId: ch.ProjectID,
		IsDefault: ch.IsDefault, Rules: []any{}, TenantTags: []string{}, SpaceId: ch.SpaceID,
		Links: map[string]string{"Self": spaceLink(ch.SpaceID, "/channels/%s", ch.ID),
			"Project":  spaceLink(ch.SpaceID, "/projects/%s", ch.ProjectID),
			"Releases": spaceLink(ch.SpaceID, "/channels/%s/releases{?skip,take,searchByVersion}", ch.ID)}}
	if ch.LifecycleID != "" {
		r.LifecycleId = &ch.LifecycleID
	}
	return r
}

func (h *Handler) projectChannels(c *fiber.Ctx) error {
	p, err := h.Projects.FindProjectByID(c.UserContext(), spaceID(c), param(c, "id"))
	if err != nil {
		return err
	}
	f, err := listFilter(c)
	if err != nil {
		return err
	}
	items, total, err := h.Channels.FindChannels(c.UserContext(), app.ChannelFilter{Filter: f, ProjectID: p.ID})
	if err != nil {
		return err
	}
	return c.JSON(page(c, "Channel", mapAll(items, channelDTO), total, f))
}

func (h *Handler) listChannels(c *fiber.Ctx) error {
	f, err := listFilter(c)
	if err != nil {
		return err
	}
	items, total, err := h.Channels.FindChannels(c.UserContext(), app.ChannelFilter{Filter: f})
	if err != nil {
		return err
	}
	return c.JSON(page(c, "Channel", mapAll(items, channelDTO), total, f))
}

func (h *Handler) getChannel(c *fiber.Ctx) error {
	ch, err := h.Channels.FindChannelByID(c.UserContext(), spaceID(c), param(c, "id"))
	if err != nil {
		return err
	}
	return c.JSON(channelDTO(ch))
}
