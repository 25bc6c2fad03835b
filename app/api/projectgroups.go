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

func (h *Handler) listProjectGroups(c *fiber.Ctx) error {
	f, err := listFilter(c)
	if err != nil {
		return err
	}
	items, total, err := h.ProjectGroups.FindProjectGroups(c.UserContext(), f)
	if err != nil {
		return err
	}
	return c.JSON(page(c, "ProjectGroup", mapAll(items, projectGroupDTO), total, f))
}

func (h *Handler) allProjectGroups(c *fiber.Ctx) error {
	items, _, err := h.ProjectGroups.FindProjectGroups(c.UserContext(), app.Filter{SpaceID: spaceID(c), IDs: splitList(c.Query("ids"))})
	if err != nil {
		return err
	}
	return c.JSON(mapAll(items, projectGroupDTO))
}

func (h *Handler) getProjectGroup(c *fiber.Ctx) error {
	g, err := h.ProjectGroups.FindProjectGroupByID(c.UserContext(), spaceID(c), param(c, "id"))
	if err != nil {
		return err
	}
	return c.JSON(projectGroupDTO(g))
}

func (h *Handler) createProjectGroup(c *fiber.Ctx) error {
	var r ProjectGroupResource
	if err := decode(c, &r); err != nil {
		return err
	}
	g := r.toApp(spaceID(c))
	if err := h.ProjectGroups.CreateProjectGroup(c.UserContext(), g); err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(projectGroupDTO(g))
}

func (h *Handler) updateProjectGroup(c *fiber.Ctx) error {
	var r ProjectGroupResource
	if err := decode(c, &r); err != nil {
		return err
	}
	g := r.toApp(spaceID(c))
	g.ID = param(c, "id")
	if err := h.ProjectGroups.UpdateProjectGroup(c.UserContext(), g); err != nil {
		return err
	}
	return c.JSON(projectGroupDTO(g))
}

func (h *Handler) deleteProjectGroup(c *fiber.Ctx) error {
	if err := h.ProjectGroups.DeleteProjectGroup(c.UserContext(), spaceID(c), param(c, "id")); err != nil {
		return err
	}
	return deleted(c)
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
