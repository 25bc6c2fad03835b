package web

import (
	"context"
	"strings"

	"github.com/a-h/templ"
	"github.com/argonautdeploy/argonaut/app"
	"github.com/argonautdeploy/argonaut/views"
	"github.com/argonautdeploy/argonaut/views/ui"
	"github.com/gofiber/fiber/v2"
)

func (h *Handler) projects(c *fiber.Ctx) error {
	groups, err := h.projectsByGroup(c.UserContext())
	if err != nil {
		return err
	}
	return render(c, fiber.StatusOK, views.Projects(views.ProjectsPage{Groups: groups}))
}

func projectForm(c *fiber.Ctx) views.ProjectForm {
	return views.ProjectForm{
		Name:           strings.TrimSpace(c.FormValue("name")),
		Description:    strings.TrimSpace(c.FormValue("description")),
		LifecycleID:    c.FormValue("lifecycle_id"),
		ProjectGroupID: c.FormValue("project_group_id"),
		IsDisabled:     checked(c, "is_disabled"),
	}
}

func (h *Handler) projectEditPage(ctx context.Context, pr *app.Project, form views.ProjectForm, p *ui.Problem) (templ.Component, error) {
	lcs, _, err := h.Lifecycles.FindLifecycles(ctx, app.Filter{SpaceID: spaceID})
	if err != nil {
		return nil, err
	}
	groups, _, err := h.ProjectGroups.FindProjectGroups(ctx, app.Filter{SpaceID: spaceID})
	if err != nil {
		return nil, err
	}
	return views.ProjectEdit(views.ProjectEditPage{Project: pr, Form: form, Lifecycles: lcs, Groups: groups, Problem: p}), nil
}

func (h *Handler) renderProjectForm(c *fiber.Ctx, err error, pr *app.Project, form views.ProjectForm) error {
	p, status, err := formProblem(err)
	if err != nil {
		return err
	}
	page, err := h.projectEditPage(c.UserContext(), pr, form, p)
	if err != nil {
		return err
	}
	return render(c, status, page)
}

func (h *Handler) projectNew(c *fiber.Ctx) error {
	form := views.ProjectForm{LifecycleID: app.DefaultLifecycleID, ProjectGroupID: app.DefaultProjectGroupID}
	if g := c.Query("group"); g != "" {
		form.ProjectGroupID = g
	}
	page, err := h.projectEditPage(c.UserContext(), nil, form, nil)
	if err != nil {
		return err
	}
	return render(c, fiber.StatusOK, page)
}

func (h *Handler) projectCreate(c *fiber.Ctx) error {
	form := projectForm(c)
	pr := &app.Project{SpaceID: spaceID, Name: form.Name, Description: form.Description,
		LifecycleID: form.LifecycleID, ProjectGroupID: form.ProjectGroupID}
	if err := h.Projects.CreateProject(c.UserContext(), pr); err != nil {
		return h.renderProjectForm(c, err, nil, form)
	}
	return h.redirectWithFlash(c, string(views.ProjectURL(pr)), "Project '"+pr.Name+"' created.")
}

func (h *Handler) project(c *fiber.Ctx) error {
	ctx := c.UserContext()
	pr, err := h.Projects.FindProjectByID(ctx, spaceID, c.Params("slug"))
	if err != nil {
		return err
	}
	page := views.ProjectPage{Project: pr, Group: pr.ProjectGroupID, Lifecycle: pr.LifecycleID}
	if g, err := h.ProjectGroups.FindProjectGroupByID(ctx, spaceID, pr.ProjectGroupID); err == nil {
		page.Group = g.Name
	}
	if l, err := h.Lifecycles.FindLifecycleByID(ctx, spaceID, pr.LifecycleID); err == nil {
		page.Lifecycle = l.Name
	}
	if page.Releases, err = h.projectReleases(c, pr); err != nil {
		return err
	}
	ids := make([]string, 0, len(page.Releases))
	for _, r := range page.Releases {
		ids = append(ids, r.ID)
	}
	if page.ReleaseDeployments, err = h.releaseCells(c.UserContext(), ids); err != nil {
		return err
	}
	return render(c, fiber.StatusOK, views.ProjectOverview(page))
}

func (h *Handler) projectSettings(c *fiber.Ctx) error {
	pr, err := h.Projects.FindProjectByID(c.UserContext(), spaceID, c.Params("slug"))
	if err != nil {
		return err
	}
	form := views.ProjectForm{Name: pr.Name, Description: pr.Description, LifecycleID: pr.LifecycleID,
		ProjectGroupID: pr.ProjectGroupID, IsDisabled: pr.IsDisabled}
	page, err := h.projectEditPage(c.UserContext(), pr, form, nil)
	if err != nil {
		return err
	}
	return render(c, fiber.StatusOK, page)
}

func (h *Handler) projectUpdate(c *fiber.Ctx) error {
	pr, err := h.Projects.FindProjectByID(c.UserContext(), spaceID, c.Params("slug"))
	if err != nil {
		return err
	}
	original := *pr
	form := projectForm(c)
	pr.Name, pr.Description, pr.LifecycleID, pr.ProjectGroupID, pr.IsDisabled =
		form.Name, form.Description, form.LifecycleID, form.ProjectGroupID, form.IsDisabled
	if err := h.Projects.UpdateProject(c.UserContext(), pr); err != nil {
		return h.renderProjectForm(c, err, &original, form)
	}
	return h.redirectWithFlash(c, string(views.ProjectURL(pr)), "Project '"+pr.Name+"' saved.")
}

func (h *Handler) projectDeletePage(c *fiber.Ctx) error {
	pr, err := h.Projects.FindProjectByID(c.UserContext(), spaceID, c.Params("slug"))
	if err != nil {
		return err
	}
	return render(c, fiber.StatusOK, views.ProjectDelete(views.ProjectDeletePage{Project: pr}))
}

func (h *Handler) projectDelete(c *fiber.Ctx) error {
	pr, err := h.Projects.FindProjectByID(c.UserContext(), spaceID, c.Params("slug"))
	if err != nil {
		return err
	}
	if err := h.Projects.DeleteProject(c.UserContext(), spaceID, pr.ID); err != nil {
		return renderForm(c, err, func(p *ui.Problem) templ.Component {
			return views.ProjectDelete(views.ProjectDeletePage{Project: pr, Problem: p})
		})
	}
	return h.redirectWithFlash(c, "/app/projects", "Project '"+pr.Name+"' deleted.")
}
