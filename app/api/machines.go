package api

import (
	"strconv"

	"github.com/argonautdeploy/argonaut/app"
	"github.com/gofiber/fiber/v2"
)

// EndpointResource says how the server reaches a target; the fields that
// matter depend on CommunicationStyle.
type EndpointResource struct {
	Id                 string `json:",omitempty"`
	CommunicationStyle string
	Uri                string `json:",omitempty"`
	Thumbprint         string `json:",omitempty"`
	Host               string `json:",omitempty"`
	Port               int    `json:",omitempty"`
	Fingerprint        string `json:",omitempty"`
	Username           string `json:",omitempty"`
	DropFolderPath     string `json:",omitempty"`
}

// MachineResource is a deployment target as clients see it.
type MachineResource struct {
	Id                              string
	Name                            string
	Slug                            string
	Roles                           []string
	EnvironmentIds                  []string
	IsDisabled                      bool
	Endpoint                        *EndpointResource
	Uri                             string
	Thumbprint                      string
	HealthStatus                    string
	Status                          string
	StatusSummary                   string
	MachinePolicyId                 string
	TenantedDeploymentParticipation string
	TenantIds                       []string
	TenantTags                      []string
	SpaceId                         string
	LastModifiedOn                  Time
	LastModifiedBy                  string
	Links                           map[string]string
}

// statusOf maps health to the legacy Status field older clients read.
func statusOf(health string) string {
	switch health {
	case app.HealthHealthy, app.HealthHasWarnings:
		return "Online"
	case app.HealthUnavailable, app.HealthUnhealthy:
		return "Offline"
	}
	return "Unknown"
}

func machineDTO(m *app.Machine) MachineResource {
	e := m.Endpoint
	return MachineResource{Id: m.ID, Name: m.Name, Slug: m.Slug, Roles: m.Roles, EnvironmentIds: m.EnvironmentIDs,
		IsDisabled: m.IsDisabled, Endpoint: &EndpointResource{CommunicationStyle: e.CommunicationStyle, Uri: e.URI,
			Thumbprint: e.Thumbprint, Host: e.Host, Port: e.Port, Fingerprint: e.Fingerprint, Username: e.Username,
			DropFolderPath: e.DropFolderPath},
		Uri: e.URI, Thumbprint: e.Thumbprint, HealthStatus: m.HealthStatus, Status: statusOf(m.HealthStatus),
		StatusSummary: m.StatusSummary, MachinePolicyId: m.MachinePolicyID,
		TenantedDeploymentParticipation: m.TenantedDeploymentParticipation, TenantIds: m.TenantIDs, TenantTags: m.TenantTags,
		SpaceId: m.SpaceID, LastModifiedOn: Time{m.LastModifiedOn}, LastModifiedBy: m.LastModifiedBy,
		Links: map[string]string{"Self": spaceLink(m.SpaceID, "/machines/%s", m.ID)}}
}

func (r MachineResource) toApp(space string) *app.Machine {
	m := &app.Machine{ID: r.Id, SpaceID: space, Name: r.Name, Roles: r.Roles, EnvironmentIDs: r.EnvironmentIds,
		IsDisabled: r.IsDisabled, MachinePolicyID: r.MachinePolicyId, TenantedDeploymentParticipation: r.TenantedDeploymentParticipation,
		TenantIDs: r.TenantIds, TenantTags: r.TenantTags}
	if e := r.Endpoint; e != nil {
		m.Endpoint = app.Endpoint{CommunicationStyle: e.CommunicationStyle, URI: e.Uri, Thumbprint: e.Thumbprint, Host: e.Host,
			Port: e.Port, Fingerprint: e.Fingerprint, Username: e.Username, DropFolderPath: e.DropFolderPath}
	}
	// Older clients put Uri and Thumbprint on the machine itself.
	if m.Endpoint.URI == "" {
		m.Endpoint.URI = r.Uri
	}
	if m.Endpoint.Thumbprint == "" {
		m.Endpoint.Thumbprint = r.Thumbprint
	}
	return m
}

func machineFilter(c *fiber.Ctx) (app.MachineFilter, error) {
	f, err := listFilter(c)
	if err != nil {
		return app.MachineFilter{}, err
	}
	mf := app.MachineFilter{Filter: f, EnvironmentIDs: splitList(c.Query("environmentIds")), Roles: splitList(c.Query("roles")),
		Thumbprint: c.Query("thumbprint"), CommStyles: splitList(c.Query("commStyles"))}
	if s := c.Query("isDisabled"); s != "" {
		b, err := strconv.ParseBool(s)
		if err != nil {
			return app.MachineFilter{}, app.Invalid("The query parameter 'isDisabled' must be true or false.")
		}
		mf.IsDisabled = &b
	}
	return mf, nil
}

func (h *Handler) listMachines(c *fiber.Ctx) error {
	f, err := machineFilter(c)
	if err != nil {
		return err
	}
	items, total, err := h.Machines.FindMachines(c.UserContext(), f)
	if err != nil {
		return err
	}
	return c.JSON(page(c, "Machine", mapAll(items, machineDTO), total, f.Filter))
}

func (h *Handler) allMachines(c *fiber.Ctx) error {
	f, err := machineFilter(c)
	if err != nil {
		return err
	}
	f.Skip, f.Take = 0, 0
	items, _, err := h.Machines.FindMachines(c.UserContext(), f)
	if err != nil {
		return err
	}
	return c.JSON(mapAll(items, machineDTO))
}

func (h *Handler) getMachine(c *fiber.Ctx) error {
	m, err := h.Machines.FindMachineByID(c.UserContext(), spaceID(c), param(c, "id"))
	if err != nil {
		return err
	}
	return c.JSON(machineDTO(m))
}

func (h *Handler) createMachine(c *fiber.Ctx) error {
	var r MachineResource
	if err := decode(c, &r); err != nil {
		return err
	}
	m := r.toApp(spaceID(c))
	if err := h.Machines.CreateMachine(c.UserContext(), m); err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(machineDTO(m))
}

func (h *Handler) updateMachine(c *fiber.Ctx) error {
	var r MachineResource
	if err := decode(c, &r); err != nil {
		return err
	}
	old, err := h.Machines.FindMachineByID(c.UserContext(), spaceID(c), param(c, "id"))
	if err != nil {
		return err
	}
	m := r.toApp(spaceID(c))
	m.ID = old.ID
	// Health is observed by the server, not set by clients.
	m.HealthStatus, m.StatusSummary = old.HealthStatus, old.StatusSummary
	if err := h.Machines.UpdateMachine(c.UserContext(), m); err != nil {
		return err
	}
	return c.JSON(machineDTO(m))
}

func (h *Handler) deleteMachine(c *fiber.Ctx) error {
	if err := h.Machines.DeleteMachine(c.UserContext(), spaceID(c), param(c, "id")); err != nil {
		return err
	}
	return deleted(c)
}

func (h *Handler) machineRoles(c *fiber.Ctx) error {
	roles, err := h.Machines.FindMachineRoles(c.UserContext(), spaceID(c))
	if err != nil {
		return err
	}
	return c.JSON(roles)
}

// EventResource is one audit event.
type EventResource struct {
	Id                 string
	Category           string
	Message            string
	RelatedDocumentIds []string
	UserId             string
	Username           string
	Occurred           Time
	SpaceId            string
	Links              map[string]string
}

func (h *Handler) listEvents(c *fiber.Ctx) error {
	f, err := listFilter(c)
	if err != nil {
		return err
	}
	items, total, err := h.Events.FindEvents(c.UserContext(), app.EventFilter{Regarding: c.Query("regarding"), Skip: f.Skip, Take: f.Take})
	if err != nil {
		return err
	}
	return c.JSON(page(c, "Event", mapAll(items, eventDTO), total, f))
}

func (h *Handler) getEvent(c *fiber.Ctx) error {
	e, err := h.Events.FindEventByID(c.UserContext(), param(c, "id"))
	if err != nil {
		return err
	}
	return c.JSON(eventDTO(e))
}

func eventDTO(e *app.Event) EventResource {
	return EventResource{Id: e.ID, Category: e.Category, Message: e.Message, RelatedDocumentIds: e.RelatedDocumentIDs,
		UserId: e.UserID, Username: e.Username, Occurred: Time{e.Occurred}, SpaceId: e.SpaceID,
		Links: map[string]string{"Self": "/api/events/" + e.ID}}
}
