package api

import (
	"github.com/argonautdeploy/argonaut/app"
	"github.com/gofiber/fiber/v2"
)

// EnvironmentResource is an environment as clients see it.
type EnvironmentResource struct {
	Id                         string
	Name                       string
	Slug                       string
	Description                string
	SortOrder                  int
	UseGuidedFailure           bool
	AllowDynamicInfrastructure bool
	SpaceId                    string
	ExtensionSettings          []any
	LastModifiedOn             Time
	LastModifiedBy             string
	Links                      map[string]string
}

func environmentDTO(e *app.Environment) EnvironmentResource {
	self := spaceLink(e.SpaceID, "/environments/%s", e.ID)
	return EnvironmentResource{Id: e.ID, Name: e.Name, Slug: e.Slug, Description: e.Description, SortOrder: e.SortOrder,
		UseGuidedFailure: e.UseGuidedFailure, AllowDynamicInfrastructure: e.AllowDynamicInfrastructure,
		SpaceId: e.SpaceID, ExtensionSettings: []any{}, LastModifiedOn: Time{e.LastModifiedOn},
		LastModifiedBy: e.LastModifiedBy,
		Links:          map[string]string{"Self": self, "Machines": self + "/machines{?skip,take,partialName,roles,isDisabled,healthStatuses,commStyles}"}}
}

func (r EnvironmentResource) toApp(space string) *app.Environment {
	return &app.Environment{ID: r.Id, SpaceID: space, Name: r.Name, Slug: r.Slug, Description: r.Description,
		SortOrder: r.SortOrder, UseGuidedFailure: r.UseGuidedFailure, AllowDynamicInfrastructure: r.AllowDynamicInfrastructure}
}

func (h *Handler) listEnvironments(c *fiber.Ctx) error {
	f, err := listFilter(c)
	if err != nil {
		return err
	}
	items, total, err := h.Environments.FindEnvironments(c.UserContext(), f)
	if err != nil {
		return err
	}
	return c.JSON(page(c, "Environment", mapAll(items, environmentDTO), total, f))
}

func (h *Handler) allEnvironments(c *fiber.Ctx) error {
	items, _, err := h.Environments.FindEnvironments(c.UserContext(), app.Filter{SpaceID: spaceID(c), IDs: splitList(c.Query("ids"))})
	if err != nil {
		return err
	}
	return c.JSON(mapAll(items, environmentDTO))
}

func (h *Handler) getEnvironment(c *fiber.Ctx) error {
	e, err := h.Environments.FindEnvironmentByID(c.UserContext(), spaceID(c), param(c, "id"))
	if err != nil {
		return err
	}
	return c.JSON(environmentDTO(e))
}

func (h *Handler) createEnvironment(c *fiber.Ctx) error {
	var r EnvironmentResource
	if err := decode(c, &r); err != nil {
		return err
	}
	e := r.toApp(spaceID(c))
	if err := h.Environments.CreateEnvironment(c.UserContext(), e); err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(environmentDTO(e))
}

func (h *Handler) updateEnvironment(c *fiber.Ctx) error {
	var r EnvironmentResource
	if err := decode(c, &r); err != nil {
		return err
	}
	e := r.toApp(spaceID(c))
	e.ID = param(c, "id")
	if err := h.Environments.UpdateEnvironment(c.UserContext(), e); err != nil {
		return err
	}
	return c.JSON(environmentDTO(e))
}

func (h *Handler) deleteEnvironment(c *fiber.Ctx) error {
	if err := h.Environments.DeleteEnvironment(c.UserContext(), spaceID(c), param(c, "id")); err != nil {
		return err
	}
	return deleted(c)
}

// sortEnvironments takes the full list of environment IDs in their new order.
func (h *Handler) sortEnvironments(c *fiber.Ctx) error {
	var ids []string
	if err := decode(c, &ids); err != nil {
		return err
	}
	if err := h.Environments.ReorderEnvironments(c.UserContext(), spaceID(c), ids); err != nil {
		return err
	}
	return h.allEnvironments(c)
}

func (h *Handler) environmentMachines(c *fiber.Ctx) error {
	e, err := h.Environments.FindEnvironmentByID(c.UserContext(), spaceID(c), param(c, "id"))
	if err != nil {
		return err
	}
	f, err := machineFilter(c)
	if err != nil {
		return err
	}
	f.EnvironmentIDs = []string{e.ID}
	items, total, err := h.Machines.FindMachines(c.UserContext(), f)
	if err != nil {
		return err
	}
	return c.JSON(page(c, "Machine", mapAll(items, machineDTO), total, f.Filter))
}
