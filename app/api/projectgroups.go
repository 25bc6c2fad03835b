package api

import (
	"github.com/argonautdeploy/argonaut/app"
	"github.com/gofiber/fiber/v2"
)

// ProjectGroupResource is a project group as clients see it.
type ProjectGroupResource struct {
	Id                string
	Name              string
	Slug              string
	Description       string
	EnvironmentIds    []string
	RetentionPolicyId string
	SpaceId           string
	LastModifiedOn    Time
	LastModifiedBy    string
	Links             map[string]string
}

func projectGroupDTO(g *app.ProjectGroup) ProjectGroupResource {
	self := spaceLink(g.SpaceID, "/projectgroups/%s", g.ID)
	return ProjectGroupResource{Id: g.ID, Name: g.Name, Slug: g.Slug, Description: g.Description, EnvironmentIds: []string{},
		RetentionPolicyId: g.RetentionPolicyID, SpaceId: g.SpaceID, LastModifiedOn: Time{g.LastModifiedOn},
		LastModifiedBy: g.LastModifiedBy, Links: map[string]string{"Self": self, "Projects": self + "/projects{?skip,take}"}}
}

func (r ProjectGroupResource) toApp(space string) *app.ProjectGroup {
	return &app.ProjectGroup{ID: r.Id, SpaceID: space, Name: r.Name, Description: r.Description, RetentionPolicyID: r.RetentionPolicyId}
}

func (h *Handler) projectGroupProjects(c *fiber.Ctx) error {
	g, err := h.ProjectGroups.FindProjectGroupByID(c.UserContext(), spaceID(c), param(c, "id"))
	if err != nil {
		return err
	}
	f, err := listFilter(c)
	if err != nil {
		return err
	}
	items, total, err := h.Projects.FindProjects(c.UserContext(), app.ProjectFilter{Filter: f, ProjectGroupID: g.ID})
	if err != nil {
		return err
	}
	return c.JSON(page(c, "Project", mapAll(items, projectDTO), total, f))
}

// projectGroupResource serves the standard project group routes.
func (h *Handler) projectGroupResource() resource[app.ProjectGroup, ProjectGroupResource] {
	return resource[app.ProjectGroup, ProjectGroupResource]{itemType: "ProjectGroup",
		find: h.ProjectGroups.FindProjectGroupByID, list: h.ProjectGroups.FindProjectGroups,
		create: h.ProjectGroups.CreateProjectGroup, update: h.ProjectGroups.UpdateProjectGroup,
		remove: h.ProjectGroups.DeleteProjectGroup, toDTO: projectGroupDTO,
		fromDTO: func(d *ProjectGroupResource, space, id string) *app.ProjectGroup {
			g := d.toApp(space)
			g.ID = id
			return g
		}}
}
