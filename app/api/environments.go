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

// sortEnvironments takes the full list of environment IDs in their new order.
func (h *Handler) sortEnvironments(c *fiber.Ctx) error {
	var ids []string
	if err := decode(c, &ids); err != nil {
		return err
	}
	if err := h.Environments.ReorderEnvironments(c.UserContext(), spaceID(c), ids); err != nil {
		return err
	}
	return h.environmentResource().allHandler(c)
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

// environmentResource serves the standard environment routes.
func (h *Handler) environmentResource() resource[app.Environment, EnvironmentResource] {
	return resource[app.Environment, EnvironmentResource]{itemType: "Environment",
		find: h.Environments.FindEnvironmentByID, list: h.Environments.FindEnvironments,
		create: h.Environments.CreateEnvironment, update: h.Environments.UpdateEnvironment,
		remove: h.Environments.DeleteEnvironment, toDTO: environmentDTO,
		fromDTO: func(d *EnvironmentResource, space, id string) *app.Environment {
			e := d.toApp(space)
			e.ID = id
			return e
		}}
}
