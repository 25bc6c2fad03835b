package web

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/a-h/templ"
	"github.com/argonautdeploy/argonaut/app"
	"github.com/argonautdeploy/argonaut/views"
	"github.com/argonautdeploy/argonaut/views/ui"
	"github.com/gofiber/fiber/v2"
)

// The variable editor serves project and library variable sets alike: the
// owner is found from the route (a project slug, or a library set ID), and
// every change is one UpdateVariableSet call with the set's Version from
// the form — the same service and the same optimistic concurrency as the
// API's PUT /api/{space}/variables/{id}.

// variableOwner finds the owner of the variable set a route addresses and
// the set's ID.
func (h *Handler) variableOwner(c *fiber.Ctx) (views.VariableOwner, string, error) {
	ctx := c.UserContext()
	if c.Params("slug") != "" {
		pr, err := h.Projects.FindProjectByID(ctx, spaceID, c.Params("slug"))
		if err != nil {
			return views.VariableOwner{}, "", err
		}
		return views.VariableOwner{Project: pr}, pr.VariableSetID, nil
	}
	l, err := h.Variables.FindLibraryVariableSetByID(ctx, spaceID, c.Params("lib"))
	if err != nil {
		return views.VariableOwner{}, "", err
	}
	return views.VariableOwner{Library: l}, l.VariableSetID, nil
}

// variableEditor renders the grid of a set, filtered by ?name= and ?scope=.
func (h *Handler) variableEditor(c *fiber.Ctx) error {
	ctx := c.UserContext()
	owner, setID, err := h.variableOwner(c)
	if err != nil {
		return err
	}
	projectID := ""
	if owner.Project != nil {
		projectID = owner.Project.ID
	}
	names, _, _, _, err := h.scopeNames(ctx, projectID)
	if err != nil {
		return err
	}
	vs, err := h.Variables.FindVariableSetByID(ctx, spaceID, setID)
	if err != nil {
		return err
	}
	page := views.VariableEditorPage{Owner: owner, Set: vs, Names: names,
		Filter: views.VariableFilter{Name: strings.TrimSpace(c.Query("name")), Scope: strings.TrimSpace(c.Query("scope"))}}
	for _, v := range vs.Variables {
		if page.Filter.Matches(v, names) {
			page.Rows = append(page.Rows, v)
		}
	}
	if owner.Project != nil {
		for _, lid := range owner.Project.IncludedLibraryVariableSetIDs {
			l, err := h.Variables.FindLibraryVariableSetByID(ctx, spaceID, lid)
			if err != nil {
				return err
			}
			lvs, err := h.Variables.FindVariableSetByID(ctx, spaceID, l.VariableSetID)
			if err != nil {
				return err
			}
			page.Included = append(page.Included, views.IncludedSet{Set: l, Variables: lvs.Variables})
		}
	}
	return render(c, fiber.StatusOK, views.VariableEditor(page))
}

// readVariableForm reads the variable form. The value of a sensitive
// variable is read but never rendered back.
func readVariableForm(c *fiber.Ctx) views.VariableForm {
	version, _ := strconv.Atoi(c.FormValue("version"))
	return views.VariableForm{
		Name:           strings.TrimSpace(c.FormValue("name")),
		Value:          c.FormValue("value"),
		Description:    strings.TrimSpace(c.FormValue("description")),
		Sensitive:      checked(c, "sensitive"),
		Environments:   formValues(c, "environment"),
		Machines:       formValues(c, "machine"),
		Channels:       formValues(c, "channel"),
		Roles:          strings.TrimSpace(c.FormValue("roles")),
		Steps:          strings.TrimSpace(c.FormValue("steps")),
		PromptLabel:    strings.TrimSpace(c.FormValue("prompt_label")),
		PromptDesc:     strings.TrimSpace(c.FormValue("prompt_description")),
		PromptRequired: checked(c, "prompt_required"),
		Version:        version,
	}
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// applyVariableForm writes the form over v (a stored variable, or a new
// zero one). A blank value for a variable that was sensitive keeps the
// stored secret. Scope dimensions the form does not show
// (tenants, processes) are kept.
func applyVariableForm(v app.Variable, f views.VariableForm, library bool) app.Variable {
	wasSensitive := v.IsSensitive
	v.Name, v.Description = f.Name, f.Description
	v.IsSensitive, v.Type = f.Sensitive, app.VariableTypeString
	if f.Sensitive {
		v.Type = app.VariableTypeSensitive
	}
	// A blank value of a stored secret means "leave unchanged"; if the
	// variable is no longer sensitive, the service then asks for a value
	// rather than silently blanking (or revealing) the secret.
	v.Value, v.KeepValue = f.Value, wasSensitive && f.Value == ""
	v.Scope.Environment, v.Scope.Machine, v.Scope.Role = f.Environments, f.Machines, splitList(f.Roles)
	if !library {
		v.Scope.Channel, v.Scope.Action = f.Channels, splitList(f.Steps)
	}
	v.Prompt = nil
	if f.PromptLabel != "" || f.PromptDesc != "" || f.PromptRequired {
		v.Prompt = &app.VariablePrompt{Label: f.PromptLabel, Description: f.PromptDesc, Required: f.PromptRequired}
	}
	return v
}

// formFromVariable fills the edit form from a stored variable; a sensitive
// value stays out of it.
func formFromVariable(v app.Variable, version int) views.VariableForm {
	f := views.VariableForm{Name: v.Name, Description: v.Description, Sensitive: v.IsSensitive,
		Environments: v.Scope.Environment, Machines: v.Scope.Machine, Channels: v.Scope.Channel,
		Roles: strings.Join(v.Scope.Role, ", "), Steps: strings.Join(v.Scope.Action, ", "), Version: version}
	if !v.IsSensitive {
		f.Value = v.Value
	}
	if v.Prompt != nil {
		f.PromptLabel, f.PromptDesc, f.PromptRequired = v.Prompt.Label, v.Prompt.Description, v.Prompt.Required
	}
	return f
}

// changeVariableSet applies change to the set's variables and saves them
// with the Version the form was rendered with. Sensitive values of the
// other variables are kept (they arrive blank). A Version that is no longer
// current fails with ECONFLICT and a message saying what to do.
func (h *Handler) changeVariableSet(ctx context.Context, setID string, version int, change func([]app.Variable) ([]app.Variable, error)) error {
	vs, err := h.Variables.FindVariableSetByID(ctx, spaceID, setID)
	if err != nil {
		return err
	}
	if version != vs.Version {
		return staleVariables(version, vs.Version)
	}
	vars := make([]app.Variable, len(vs.Variables))
	for i, v := range vs.Variables {
		v.KeepValue = v.IsSensitive
		vars[i] = v
	}
	vars, err = change(vars)
	if err != nil {
		return err
	}
	update := &app.VariableSet{ID: vs.ID, SpaceID: vs.SpaceID, Version: version, Variables: vars}
	// The service checks the version again, atomically with the write.
	return h.Variables.UpdateVariableSet(ctx, update)
}

func staleVariables(formVersion, current int) error {
	return app.Errorf(app.ECONFLICT, "These variables were changed by someone else after you opened this page (version %d, now %d). Nothing was saved: reload the variables and make your change again.", formVersion, current)
}

func findVariable(vars []app.Variable, id string) int {
	for i, v := range vars {
		if strings.EqualFold(v.ID, id) {
			return i
		}
	}
	return -1
}

func (h *Handler) variableFormPage(ctx context.Context, owner views.VariableOwner, page views.VariableFormPage) (templ.Component, error) {
	projectID := ""
	if owner.Project != nil {
		projectID = owner.Project.ID
	}
	_, envs, machines, chans, err := h.scopeNames(ctx, projectID)
	if err != nil {
		return nil, err
	}
	page.Owner, page.Environments, page.Machines, page.Channels = owner, envs, machines, chans
	if owner.Project == nil {
		page.Channels = nil
	}
	return views.VariableFormView(page), nil
}

func (h *Handler) renderVariableForm(c *fiber.Ctx, status int, owner views.VariableOwner, page views.VariableFormPage) error {
	comp, err := h.variableFormPage(c.UserContext(), owner, page)
	if err != nil {
		return err
	}
	return render(c, status, comp)
}

func (h *Handler) variableNew(c *fiber.Ctx) error {
	owner, setID, err := h.variableOwner(c)
	if err != nil {
		return err
	}
	vs, err := h.Variables.FindVariableSetByID(c.UserContext(), spaceID, setID)
	if err != nil {
		return err
	}
	return h.renderVariableForm(c, fiber.StatusOK, owner, views.VariableFormPage{Form: views.VariableForm{Version: vs.Version}})
}

func (h *Handler) variableCreate(c *fiber.Ctx) error {
	owner, setID, err := h.variableOwner(c)
	if err != nil {
		return err
	}
	form := readVariableForm(c)
	err = h.changeVariableSet(c.UserContext(), setID, form.Version, func(vars []app.Variable) ([]app.Variable, error) {
		return append(vars, applyVariableForm(app.Variable{}, form, owner.Library != nil)), nil
	})
	if err != nil {
		return h.variableFormProblem(c, err, owner, views.VariableFormPage{Form: form})
	}
	return h.redirectWithFlash(c, owner.BaseURL(), "Variable '"+form.Name+"' added.")
}

func (h *Handler) variableEdit(c *fiber.Ctx) error {
	owner, setID, err := h.variableOwner(c)
	if err != nil {
		return err
	}
	vs, err := h.Variables.FindVariableSetByID(c.UserContext(), spaceID, setID)
	if err != nil {
		return err
	}
	i := findVariable(vs.Variables, c.Params("vid"))
	if i < 0 {
		return app.Errorf(app.ENOTFOUND, "There is no variable %s in this set.", c.Params("vid"))
	}
	v := vs.Variables[i]
	return h.renderVariableForm(c, fiber.StatusOK, owner, views.VariableFormPage{VariableID: v.ID, WasSensitive: v.IsSensitive,
		Form: formFromVariable(v, vs.Version)})
}

func (h *Handler) variableUpdate(c *fiber.Ctx) error {
	owner, setID, err := h.variableOwner(c)
	if err != nil {
		return err
	}
	form := readVariableForm(c)
	vid := c.Params("vid")
	wasSensitive := false
	err = h.changeVariableSet(c.UserContext(), setID, form.Version, func(vars []app.Variable) ([]app.Variable, error) {
		i := findVariable(vars, vid)
		if i < 0 {
			return nil, app.Errorf(app.ENOTFOUND, "There is no variable %s in this set.", vid)
		}
		wasSensitive = vars[i].IsSensitive
		vars[i] = applyVariableForm(vars[i], form, owner.Library != nil)
		return vars, nil
	})
	if err != nil {
		form.Value = "" // never echo a typed value back: it may be a secret
		if !form.Sensitive && !wasSensitive {
			form.Value = c.FormValue("value")
		}
		return h.variableFormProblem(c, err, owner, views.VariableFormPage{VariableID: vid, WasSensitive: wasSensitive, Form: form})
	}
	return h.redirectWithFlash(c, owner.BaseURL(), "Variable '"+form.Name+"' saved.")
}

// variableFormProblem re-renders the form after a fixable error (invalid
// input, a stale version) and returns other errors for the error page.
func (h *Handler) variableFormProblem(c *fiber.Ctx, err error, owner views.VariableOwner, page views.VariableFormPage) error {
	p, status, err := formProblem(err)
	if err != nil {
		return err
	}
	if page.Form.Sensitive {
		page.Form.Value = ""
	}
	page.Problem = p
	return h.renderVariableForm(c, status, owner, page)
}

func (h *Handler) variableDelete(c *fiber.Ctx) error {
	owner, setID, err := h.variableOwner(c)
	if err != nil {
		return err
	}
	version, _ := strconv.Atoi(c.FormValue("version"))
	vid := c.Params("vid")
	name := vid
	err = h.changeVariableSet(c.UserContext(), setID, version, func(vars []app.Variable) ([]app.Variable, error) {
		i := findVariable(vars, vid)
		if i < 0 {
			return nil, app.Errorf(app.ENOTFOUND, "There is no variable %s in this set.", vid)
		}
		name = vars[i].Name
		return append(vars[:i], vars[i+1:]...), nil
	})
	if app.ErrorCode(err) == app.ECONFLICT {
		h.setFlash(c, "error", app.ErrorMessage(err))
		return c.Redirect(owner.BaseURL(), fiber.StatusSeeOther)
	}
	if err != nil {
		return err
	}
	return h.redirectWithFlash(c, owner.BaseURL(), "Variable '"+name+"' deleted.")
}

// Library variable sets.

func (h *Handler) librarySets(c *fiber.Ctx) error {
	sets, _, err := h.Variables.FindLibraryVariableSets(c.UserContext(), app.Filter{SpaceID: spaceID})
	if err != nil {
		return err
	}
	return render(c, fiber.StatusOK, views.LibrarySets(views.LibrarySetsPage{Sets: sets}))
}

func (h *Handler) librarySetNew(c *fiber.Ctx) error {
	return render(c, fiber.StatusOK, views.LibrarySetNew(views.LibrarySetNewPage{}))
}

func (h *Handler) librarySetCreate(c *fiber.Ctx) error {
	form := views.LibrarySetForm{Name: strings.TrimSpace(c.FormValue("name")), Description: strings.TrimSpace(c.FormValue("description"))}
	l := &app.LibraryVariableSet{SpaceID: spaceID, Name: form.Name, Description: form.Description, ContentType: "Variables"}
	if err := h.Variables.CreateLibraryVariableSet(c.UserContext(), l); err != nil {
		return renderForm(c, err, func(p *ui.Problem) templ.Component {
			return views.LibrarySetNew(views.LibrarySetNewPage{Form: form, Problem: p})
		})
	}
	return h.redirectWithFlash(c, views.VariableOwner{Library: l}.BaseURL(), "Variable set '"+l.Name+"' created.")
}

// Including library sets in a project.

func (h *Handler) projectLibraries(c *fiber.Ctx) error {
	pr, err := h.Projects.FindProjectByID(c.UserContext(), spaceID, c.Params("slug"))
	if err != nil {
		return err
	}
	sets, _, err := h.Variables.FindLibraryVariableSets(c.UserContext(), app.Filter{SpaceID: spaceID})
	if err != nil {
		return err
	}
	return render(c, fiber.StatusOK, views.ProjectLibraries(views.ProjectLibrariesPage{Project: pr, Sets: sets}))
}

func (h *Handler) projectLibrariesUpdate(c *fiber.Ctx) error {
	ctx := c.UserContext()
	pr, err := h.Projects.FindProjectByID(ctx, spaceID, c.Params("slug"))
	if err != nil {
		return err
	}
	sets, _, err := h.Variables.FindLibraryVariableSets(ctx, app.Filter{SpaceID: spaceID})
	if err != nil {
		return err
	}
	chosen := formValues(c, "library")
	// Keep the existing inclusion order (it breaks ties), then add new sets
	// in list order.
	var ids []string
	for _, id := range pr.IncludedLibraryVariableSetIDs {
		if app.ContainsFold(chosen, id) {
			ids = append(ids, id)
		}
	}
	for _, l := range sets {
		if app.ContainsFold(chosen, l.ID) && !app.ContainsFold(ids, l.ID) {
			ids = append(ids, l.ID)
		}
	}
	if len(ids) != len(chosen) {
		return app.Errorf(app.EINVALID, "Choose library variable sets from the list.")
	}
	pr.IncludedLibraryVariableSetIDs = ids
	if err := h.Projects.UpdateProject(ctx, pr); err != nil {
		return renderForm(c, err, func(p *ui.Problem) templ.Component {
			return views.ProjectLibraries(views.ProjectLibrariesPage{Project: pr, Sets: sets, Problem: p})
		})
	}
	return h.redirectWithFlash(c, string(views.ProjectVariablesURL(pr)), fmt.Sprintf("Project '%s' now includes %d library variable set(s).", pr.Name, len(ids)))
}
