package web

import (
	"context"
	"sort"
	"strconv"
	"strings"

	"github.com/a-h/templ"
	"github.com/argonautdeploy/argonaut/app"
	"github.com/argonautdeploy/argonaut/views"
	"github.com/argonautdeploy/argonaut/views/ui"
	"github.com/gofiber/fiber/v2"
)

// loadProcess finds the project named in the URL and its process.
func (h *Handler) loadProcess(c *fiber.Ctx) (*app.Project, *app.DeploymentProcess, error) {
	pr, err := h.Projects.FindProjectByID(c.UserContext(), spaceID, c.Params("slug"))
	if err != nil {
		return nil, nil, err
	}
	dp, err := h.Processes.FindDeploymentProcessByID(c.UserContext(), spaceID, pr.DeploymentProcessID)
	return pr, dp, err
}

func (h *Handler) process(c *fiber.Ctx) error {
	pr, dp, err := h.loadProcess(c)
	if err != nil {
		return err
	}
	return render(c, fiber.StatusOK, views.Process(views.ProcessPage{Project: pr, Process: dp}))
}

// formVersion reads the process version the form was rendered with, so a
// concurrent edit makes the save fail instead of being overwritten.
func formVersion(c *fiber.Ctx) int {
	n, err := strconv.Atoi(c.FormValue("version"))
	if err != nil {
		return -1
	}
	return n
}

func stepFormOf(s *app.Step) views.StepForm {
	f := views.StepForm{Name: s.Name, Roles: strings.Join(s.TargetRoles(), ", "), Condition: s.Condition,
		ConditionExpression: s.ConditionExpression(), StartTrigger: s.StartTrigger}
	if len(s.Actions) > 0 {
		a := s.Actions[0]
		f.ActionType, f.RunOnServer, f.IsDisabled, f.IsRequired = a.ActionType, a.RunsOnServer(), a.IsDisabled, a.IsRequired
		f.ScriptBody, f.Syntax = a.Properties[app.PropScriptBody], a.Properties[app.PropScriptSyntax]
		f.Instructions = a.Properties[app.PropManualInstructions]
		if p := a.PrimaryPackage(); p != nil {
			f.PackageID = p.PackageID
		}
		f.Environments = a.Environments
	}
	return f
}

func readStepForm(c *fiber.Ctx) views.StepForm {
	// Roles come from the role picker's ticks and the free-text field.
	roles := append(formValues(c, "role"), strings.Split(c.FormValue("roles"), ",")...)
	return views.StepForm{ActionType: c.FormValue("type"), Name: strings.TrimSpace(c.FormValue("name")),
		Roles: strings.Join(app.NormalizeList(roles), ", "), RunOnServer: checked(c, "run_on_server"), Condition: c.FormValue("condition"),
		ConditionExpression: strings.TrimSpace(c.FormValue("condition_expression")), StartTrigger: c.FormValue("start_trigger"),
		ScriptBody: strings.ReplaceAll(c.FormValue("script_body"), "\r\n", "\n"), Syntax: c.FormValue("syntax"),
		PackageID: strings.TrimSpace(c.FormValue("package_id")), Instructions: c.FormValue("instructions"),
		IsDisabled: checked(c, "is_disabled"), IsRequired: checked(c, "is_required"), Environments: formValues(c, "environments")}
}

// applyStepForm writes the form into s, keeping IDs and properties the form does not show.
func applyStepForm(s *app.Step, f views.StepForm) {
	s.Name, s.Condition, s.StartTrigger = f.Name, f.Condition, f.StartTrigger
	if s.Properties == nil {
		s.Properties = map[string]string{}
	}
	if roles := app.NormalizeList(strings.Split(f.Roles, ",")); len(roles) > 0 && !f.RunOnServer {
		s.Properties[app.PropTargetRoles] = strings.Join(roles, ",")
	} else {
		delete(s.Properties, app.PropTargetRoles)
	}
	if f.Condition == app.ConditionVariable {
		s.Properties[app.PropConditionExpression] = f.ConditionExpression
	} else {
		delete(s.Properties, app.PropConditionExpression)
	}
	if len(s.Actions) == 0 {
		s.Actions = []app.Action{{ActionType: f.ActionType}}
	}
	a := &s.Actions[0]
	if len(s.Actions) == 1 {
		a.Name = f.Name
	}
	if a.Properties == nil {
		a.Properties = map[string]string{}
	}
	a.IsDisabled, a.IsRequired, a.Environments = f.IsDisabled, f.IsRequired, f.Environments
	if f.RunOnServer && a.ActionType != app.ActionTypeManual {
		a.Properties[app.PropRunOnServer] = "true"
	} else {
		delete(a.Properties, app.PropRunOnServer)
	}
	switch a.ActionType {
	case app.ActionTypeScript:
		a.Properties[app.PropScriptBody], a.Properties[app.PropScriptSyntax] = f.ScriptBody, f.Syntax
	case app.ActionTypePackage:
		if p := a.PrimaryPackage(); p != nil {
			p.PackageID = f.PackageID
		} else {
			a.Packages = append(a.Packages, app.PackageReference{PackageID: f.PackageID, FeedID: app.BuiltInFeedID})
		}
	case app.ActionTypeManual:
		a.Properties[app.PropManualInstructions] = f.Instructions
	}
}

func (h *Handler) stepNew(c *fiber.Ctx) error {
	pr, dp, err := h.loadProcess(c)
	if err != nil {
		return err
	}
	t := c.Query("type")
	switch t {
	case app.ActionTypeScript, app.ActionTypePackage, app.ActionTypeManual:
	default:
		return app.Errorf(app.ENOTFOUND, "There is no step type '%s'.", t)
	}
	form := views.StepForm{ActionType: t, Condition: app.ConditionSuccess, StartTrigger: app.StartAfterPrevious, Syntax: "Bash"}
	if t == app.ActionTypeManual {
		form.RunOnServer = true
	}
	page, err := h.stepEditPage(c.UserContext(), pr, dp.Version, "", form)
	if err != nil {
		return err
	}
	return render(c, fiber.StatusOK, views.StepEdit(page))
}

// stepEditPage builds the step form page with what its pickers offer.
func (h *Handler) stepEditPage(ctx context.Context, pr *app.Project, version int, stepID string, form views.StepForm) (views.StepEditPage, error) {
	p := views.StepEditPage{Project: pr, Version: version, StepID: stepID, Form: form}
	var err error
	if p.Environments, _, err = h.Environments.FindEnvironments(ctx, app.Filter{SpaceID: spaceID}); err != nil {
		return p, err
	}
	machines, _, err := h.Machines.FindMachines(ctx, app.MachineFilter{Filter: app.Filter{SpaceID: spaceID}})
	if err != nil {
		return p, err
	}
	for _, m := range machines {
		for _, r := range m.Roles {
			if !app.ContainsFold(p.KnownRoles, r) {
				p.KnownRoles = append(p.KnownRoles, r)
			}
		}
	}
	sort.Strings(p.KnownRoles)
	if h.Packages != nil && form.ActionType == app.ActionTypePackage {
		pkgs, _, err := h.Packages.FindPackages(ctx, app.PackageFilter{SpaceID: spaceID, Latest: true, Take: 1000})
		if err != nil {
			return p, err
		}
		for _, pk := range pkgs {
			p.KnownPackages = append(p.KnownPackages, pk.PackageID)
		}
	}
	return p, nil
}

func (h *Handler) stepEdit(c *fiber.Ctx) error {
	pr, dp, err := h.loadProcess(c)
	if err != nil {
		return err
	}
	i := stepIndex(dp, c.Params("step"))
	if i < 0 {
		return app.NotFound(c.Params("step"))
	}
	page, err := h.stepEditPage(c.UserContext(), pr, dp.Version, dp.Steps[i].ID, stepFormOf(&dp.Steps[i]))
	if err != nil {
		return err
	}
	return render(c, fiber.StatusOK, views.StepEdit(page))
}

func stepIndex(dp *app.DeploymentProcess, id string) int {
	for i := range dp.Steps {
		if dp.Steps[i].ID == id {
			return i
		}
	}
	return -1
}

// saveStep creates (stepID "") or updates a step from the form.
func (h *Handler) saveStep(c *fiber.Ctx, stepID string) error {
	pr, dp, err := h.loadProcess(c)
	if err != nil {
		return err
	}
	form := readStepForm(c)
	dp.Version = formVersion(c)
	if stepID == "" {
		switch form.ActionType {
		case app.ActionTypeScript, app.ActionTypePackage, app.ActionTypeManual:
		default:
			return app.Invalid("Unknown step type '" + form.ActionType + "'.")
		}
		var s app.Step
		applyStepForm(&s, form)
		dp.Steps = append(dp.Steps, s)
	} else {
		i := stepIndex(dp, stepID)
		if i < 0 {
			return app.NotFound(stepID)
		}
		form.ActionType = dp.Steps[i].Actions[0].ActionType
		applyStepForm(&dp.Steps[i], form)
	}
	if err := h.Processes.UpdateDeploymentProcess(c.UserContext(), dp); err != nil {
		page, ferr := h.stepEditPage(c.UserContext(), pr, formVersion(c), stepID, form)
		if ferr != nil {
			return ferr
		}
		return renderForm(c, err, func(p *ui.Problem) templ.Component {
			page.Problem = p
			return views.StepEdit(page)
		})
	}
	return h.redirectWithFlash(c, string(views.ProcessURL(pr)), "Step '"+form.Name+"' saved.")
}

func (h *Handler) stepCreate(c *fiber.Ctx) error { return h.saveStep(c, "") }

func (h *Handler) stepUpdate(c *fiber.Ctx) error { return h.saveStep(c, c.Params("step")) }

// stepChange applies one of the list's buttons (up, down, toggle, delete).
func (h *Handler) stepChange(c *fiber.Ctx) error {
	pr, dp, err := h.loadProcess(c)
	if err != nil {
		return err
	}
	i := stepIndex(dp, c.Params("step"))
	if i < 0 {
		return app.NotFound(c.Params("step"))
	}
	name := dp.Steps[i].Name
	msg := ""
	switch c.Params("action") {
	case "up":
		if i > 0 {
			dp.Steps[i-1], dp.Steps[i] = dp.Steps[i], dp.Steps[i-1]
		}
		msg = "Step '" + name + "' moved up."
	case "down":
		if i < len(dp.Steps)-1 {
			dp.Steps[i+1], dp.Steps[i] = dp.Steps[i], dp.Steps[i+1]
		}
		msg = "Step '" + name + "' moved down."
	case "toggle":
		off := !dp.Steps[i].Actions[0].IsDisabled
		for j := range dp.Steps[i].Actions {
			dp.Steps[i].Actions[j].IsDisabled = off
		}
		msg = "Step '" + name + "' enabled."
		if off {
			msg = "Step '" + name + "' disabled."
		}
	case "delete":
		dp.Steps = append(dp.Steps[:i], dp.Steps[i+1:]...)
		msg = "Step '" + name + "' deleted."
	default:
		return app.NotFound(c.Params("action"))
	}
	// The first step cannot start with a previous one; moving it there
	// turns it into a normal start.
	if len(dp.Steps) > 0 && dp.Steps[0].StartTrigger == app.StartWithPrevious {
		dp.Steps[0].StartTrigger = app.StartAfterPrevious
	}
	dp.Version = formVersion(c)
	if err := h.Processes.UpdateDeploymentProcess(c.UserContext(), dp); err != nil {
		p, status, err := formProblem(err)
		if err != nil {
			return err
		}
		fresh, ferr := h.Processes.FindDeploymentProcessByID(c.UserContext(), spaceID, pr.DeploymentProcessID)
		if ferr != nil {
			return ferr
		}
		return render(c, status, views.Process(views.ProcessPage{Project: pr, Process: fresh, Problem: p}))
	}
	return h.redirectWithFlash(c, string(views.ProcessURL(pr)), msg)
}
