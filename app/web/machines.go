package web

import (
	"context"
	"slices"
	"strconv"
	"strings"

	"github.com/a-h/templ"
	"github.com/argonautdeploy/argonaut/app"
	"github.com/argonautdeploy/argonaut/views"
	"github.com/argonautdeploy/argonaut/views/ui"
	"github.com/gofiber/fiber/v2"
)

const machinesPath = "/app/infrastructure/machines"

func (h *Handler) machines(c *fiber.Ctx) error {
	envs, _, err := h.Environments.FindEnvironments(c.UserContext(), app.Filter{SpaceID: spaceID})
	if err != nil {
		return err
	}
	ms, _, err := h.Machines.FindMachines(c.UserContext(), app.MachineFilter{Filter: app.Filter{SpaceID: spaceID}})
	if err != nil {
		return err
	}
	slices.SortStableFunc(ms, func(a, b *app.Machine) int { return strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)) })
	page := views.MachinesPage{HasEnvironments: len(envs) > 0}
	for _, e := range envs {
		g := views.MachineGroup{Environment: e}
		for _, m := range ms {
			if slices.ContainsFunc(m.EnvironmentIDs, func(id string) bool { return strings.EqualFold(id, e.ID) }) {
				g.Machines = append(g.Machines, m)
			}
		}
		page.Groups = append(page.Groups, g)
	}
	return render(c, fiber.StatusOK, views.Machines(page))
}

func (h *Handler) machineNew(c *fiber.Ctx) error {
	style := c.Query("style")
	if style == "" {
		return render(c, fiber.StatusOK, views.MachineNew())
	}
	if !slices.Contains(views.EditableStyles, style) {
		return app.Invalid("The portal cannot add targets of kind '" + style + "'.")
	}
	form := views.MachineForm{}
	if style == app.CommsSSH {
		form.Port = "22"
	}
	if env := c.Query("environment"); env != "" {
		form.EnvironmentIDs = []string{env}
	}
	page, err := h.machineEditPage(c.UserContext(), "", style, form, nil)
	if err != nil {
		return err
	}
	return render(c, fiber.StatusOK, page)
}

func (h *Handler) machineEditPage(ctx context.Context, id, style string, form views.MachineForm, p *ui.Problem) (templ.Component, error) {
	envs, _, err := h.Environments.FindEnvironments(ctx, app.Filter{SpaceID: spaceID})
	if err != nil {
		return nil, err
	}
	roles, err := h.Machines.FindMachineRoles(ctx, spaceID)
	if err != nil {
		return nil, err
	}
	return views.MachineEdit(views.MachineEditPage{ID: id, Style: style, Form: form, Environments: envs, KnownRoles: roles, Problem: p}), nil
}

func machineForm(c *fiber.Ctx) views.MachineForm {
	return views.MachineForm{
		Name:           strings.TrimSpace(c.FormValue("name")),
		Roles:          strings.TrimSpace(c.FormValue("roles")),
		EnvironmentIDs: formValues(c, "environment"),
		IsDisabled:     checked(c, "is_disabled"),
		DropFolderPath: strings.TrimSpace(c.FormValue("drop_folder_path")),
		Host:           strings.TrimSpace(c.FormValue("host")),
		Port:           strings.TrimSpace(c.FormValue("port")),
		Username:       strings.TrimSpace(c.FormValue("username")),
		Fingerprint:    strings.TrimSpace(c.FormValue("fingerprint")),
	}
}

// applyMachineForm copies the form onto m for its communication style,
// leaving fields the portal does not edit as they were.
func applyMachineForm(m *app.Machine, style string, f views.MachineForm) error {
	m.Name = f.Name
	m.Roles = strings.Split(f.Roles, ",")
	m.EnvironmentIDs = f.EnvironmentIDs
	m.IsDisabled = f.IsDisabled
	m.Endpoint.CommunicationStyle = style
	switch style {
	case app.CommsOffline:
		m.Endpoint.DropFolderPath = f.DropFolderPath
		if f.DropFolderPath == "" {
			return app.Invalid("An offline drop target needs a drop folder path.")
		}
	case app.CommsSSH:
		port := 22
		if f.Port != "" {
			n, err := strconv.Atoi(f.Port)
			if err != nil || n < 1 || n > 65535 {
				return app.Invalid("SSH port must be a number between 1 and 65535.")
			}
			port = n
		}
		m.Endpoint.Host, m.Endpoint.Port, m.Endpoint.Username, m.Endpoint.Fingerprint = f.Host, port, f.Username, f.Fingerprint
	}
	return nil
}

func (h *Handler) machineCreate(c *fiber.Ctx) error {
	style := c.FormValue("style")
	if !slices.Contains(views.EditableStyles, style) {
		return app.Invalid("The portal cannot add targets of kind '" + style + "'.")
	}
	form := machineForm(c)
	m := &app.Machine{SpaceID: spaceID}
	err := applyMachineForm(m, style, form)
	if err == nil {
		err = h.Machines.CreateMachine(c.UserContext(), m)
	}
	if err != nil {
		return h.renderMachineForm(c, err, "", style, form)
	}
	return h.redirectWithFlash(c, machinesPath, "Deployment target '"+m.Name+"' added.")
}

func (h *Handler) renderMachineForm(c *fiber.Ctx, err error, id, style string, form views.MachineForm) error {
	p, status, err := formProblem(err)
	if err != nil {
		return err
	}
	page, err := h.machineEditPage(c.UserContext(), id, style, form, p)
	if err != nil {
		return err
	}
	return render(c, status, page)
}

// editableMachine loads the target of the URL, refusing agent targets,
// whose endpoint the agent itself registers.
func (h *Handler) editableMachine(c *fiber.Ctx) (*app.Machine, error) {
	m, err := h.Machines.FindMachineByID(c.UserContext(), spaceID, c.Params("id"))
	if err != nil {
		return nil, err
	}
	if !slices.Contains(views.EditableStyles, m.Endpoint.CommunicationStyle) {
		return nil, app.Invalid("Targets of kind '" + views.StyleLabel(m.Endpoint.CommunicationStyle) + "' are registered by their agent and cannot be edited here.")
	}
	return m, nil
}

func (h *Handler) machineEdit(c *fiber.Ctx) error {
	m, err := h.editableMachine(c)
	if err != nil {
		return err
	}
	e := m.Endpoint
	form := views.MachineForm{Name: m.Name, Roles: strings.Join(m.Roles, ", "), EnvironmentIDs: m.EnvironmentIDs,
		IsDisabled: m.IsDisabled, DropFolderPath: e.DropFolderPath, Host: e.Host, Username: e.Username, Fingerprint: e.Fingerprint}
	if e.Port != 0 {
		form.Port = strconv.Itoa(e.Port)
	}
	page, err := h.machineEditPage(c.UserContext(), m.ID, e.CommunicationStyle, form, nil)
	if err != nil {
		return err
	}
	return render(c, fiber.StatusOK, page)
}

func (h *Handler) machineUpdate(c *fiber.Ctx) error {
	m, err := h.editableMachine(c)
	if err != nil {
		return err
	}
	style := m.Endpoint.CommunicationStyle
	form := machineForm(c)
	err = applyMachineForm(m, style, form)
	if err == nil {
		err = h.Machines.UpdateMachine(c.UserContext(), m)
	}
	if err != nil {
		return h.renderMachineForm(c, err, m.ID, style, form)
	}
	return h.redirectWithFlash(c, machinesPath, "Deployment target '"+m.Name+"' saved.")
}

func (h *Handler) machineDeletePage(c *fiber.Ctx) error {
	m, err := h.Machines.FindMachineByID(c.UserContext(), spaceID, c.Params("id"))
	if err != nil {
		return err
	}
	return render(c, fiber.StatusOK, views.MachineDelete(views.MachineDeletePage{Machine: m}))
}

func (h *Handler) machineDelete(c *fiber.Ctx) error {
	m, err := h.Machines.FindMachineByID(c.UserContext(), spaceID, c.Params("id"))
	if err != nil {
		return err
	}
	if err := h.Machines.DeleteMachine(c.UserContext(), spaceID, m.ID); err != nil {
		return renderForm(c, err, func(p *ui.Problem) templ.Component {
			return views.MachineDelete(views.MachineDeletePage{Machine: m, Problem: p})
		})
	}
	return h.redirectWithFlash(c, machinesPath, "Deployment target '"+m.Name+"' deleted.")
}
