package web

import (
	"strings"

	"github.com/a-h/templ"
	"github.com/argonautdeploy/argonaut/app"
	"github.com/argonautdeploy/argonaut/views"
	"github.com/argonautdeploy/argonaut/views/ui"
	"github.com/gofiber/fiber/v2"
)

const environmentsPath = "/app/infrastructure/environments"

func (h *Handler) environments(c *fiber.Ctx) error {
	envs, _, err := h.Environments.FindEnvironments(c.UserContext(), app.Filter{SpaceID: spaceID})
	if err != nil {
		return err
	}
	counts, err := h.targetCounts(c)
	if err != nil {
		return err
	}
	rows := make([]views.EnvironmentRow, 0, len(envs))
	for _, e := range envs {
		rows = append(rows, views.EnvironmentRow{Environment: e, Targets: counts[e.ID]})
	}
	return render(c, fiber.StatusOK, views.Environments(views.EnvironmentsPage{Environments: rows}))
}

// targetCounts counts the targets of each environment.
func (h *Handler) targetCounts(c *fiber.Ctx) (map[string]int, error) {
	ms, _, err := h.Machines.FindMachines(c.UserContext(), app.MachineFilter{Filter: app.Filter{SpaceID: spaceID}})
	if err != nil {
		return nil, err
	}
	counts := map[string]int{}
	for _, m := range ms {
		for _, id := range m.EnvironmentIDs {
			counts[id]++
		}
	}
	return counts, nil
}

func environmentForm(c *fiber.Ctx) views.EnvironmentForm {
	return views.EnvironmentForm{
		Name:                       strings.TrimSpace(c.FormValue("name")),
		Description:                strings.TrimSpace(c.FormValue("description")),
		UseGuidedFailure:           checked(c, "use_guided_failure"),
		AllowDynamicInfrastructure: checked(c, "allow_dynamic_infrastructure"),
	}
}

func (h *Handler) environmentNew(c *fiber.Ctx) error {
	return render(c, fiber.StatusOK, views.EnvironmentEdit(views.EnvironmentEditPage{}))
}

func (h *Handler) environmentCreate(c *fiber.Ctx) error {
	form := environmentForm(c)
	e := &app.Environment{SpaceID: spaceID}
	applyEnvironmentForm(e, form)
	if err := h.Environments.CreateEnvironment(c.UserContext(), e); err != nil {
		return renderForm(c, err, func(p *ui.Problem) templ.Component {
			return views.EnvironmentEdit(views.EnvironmentEditPage{Form: form, Problem: p})
		})
	}
	return h.redirectWithFlash(c, environmentsPath, "Environment '"+e.Name+"' created.")
}

func applyEnvironmentForm(e *app.Environment, f views.EnvironmentForm) {
	e.Name = f.Name
	e.Description = f.Description
	e.UseGuidedFailure = f.UseGuidedFailure
	e.AllowDynamicInfrastructure = f.AllowDynamicInfrastructure
}

func (h *Handler) environmentEdit(c *fiber.Ctx) error {
	e, err := h.Environments.FindEnvironmentByID(c.UserContext(), spaceID, c.Params("id"))
	if err != nil {
		return err
	}
	form := views.EnvironmentForm{Name: e.Name, Description: e.Description, UseGuidedFailure: e.UseGuidedFailure,
		AllowDynamicInfrastructure: e.AllowDynamicInfrastructure}
	return render(c, fiber.StatusOK, views.EnvironmentEdit(views.EnvironmentEditPage{ID: e.ID, Form: form}))
}

func (h *Handler) environmentUpdate(c *fiber.Ctx) error {
	e, err := h.Environments.FindEnvironmentByID(c.UserContext(), spaceID, c.Params("id"))
	if err != nil {
		return err
	}
	form := environmentForm(c)
	applyEnvironmentForm(e, form)
	if err := h.Environments.UpdateEnvironment(c.UserContext(), e); err != nil {
		return renderForm(c, err, func(p *ui.Problem) templ.Component {
			return views.EnvironmentEdit(views.EnvironmentEditPage{ID: e.ID, Form: form, Problem: p})
		})
	}
	return h.redirectWithFlash(c, environmentsPath, "Environment '"+e.Name+"' saved.")
}

// environmentMove swaps an environment with its neighbour above or below.
func (h *Handler) environmentMove(c *fiber.Ctx) error {
	envs, _, err := h.Environments.FindEnvironments(c.UserContext(), app.Filter{SpaceID: spaceID})
	if err != nil {
		return err
	}
	ids := make([]string, len(envs))
	at := -1
	for i, e := range envs {
		ids[i] = e.ID
		if strings.EqualFold(e.ID, c.Params("id")) {
			at = i
		}
	}
	if at < 0 {
		return app.NotFound(c.Params("id"))
	}
	to := at - 1
	if c.FormValue("direction") == "down" {
		to = at + 1
	}
	if to < 0 || to >= len(ids) {
		return c.Redirect(environmentsPath, fiber.StatusSeeOther)
	}
	ids[at], ids[to] = ids[to], ids[at]
	if err := h.Environments.ReorderEnvironments(c.UserContext(), spaceID, ids); err != nil {
		return err
	}
	return h.redirectWithFlash(c, environmentsPath, "Moved '"+envs[at].Name+"'.")
}

func (h *Handler) environmentDeletePage(c *fiber.Ctx) error {
	e, err := h.Environments.FindEnvironmentByID(c.UserContext(), spaceID, c.Params("id"))
	if err != nil {
		return err
	}
	counts, err := h.targetCounts(c)
	if err != nil {
		return err
	}
	return render(c, fiber.StatusOK, views.EnvironmentDelete(views.EnvironmentDeletePage{Environment: e, Targets: counts[e.ID]}))
}

func (h *Handler) environmentDelete(c *fiber.Ctx) error {
	e, err := h.Environments.FindEnvironmentByID(c.UserContext(), spaceID, c.Params("id"))
	if err != nil {
		return err
	}
	if err := h.Environments.DeleteEnvironment(c.UserContext(), spaceID, e.ID); err != nil {
		return renderForm(c, err, func(p *ui.Problem) templ.Component {
			return views.EnvironmentDelete(views.EnvironmentDeletePage{Environment: e, Problem: p})
		})
	}
	return h.redirectWithFlash(c, environmentsPath, "Environment '"+e.Name+"' deleted.")
}
