package web

import (
	"context"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/a-h/templ"
	"github.com/argonautdeploy/argonaut/app"
	"github.com/argonautdeploy/argonaut/views"
	"github.com/argonautdeploy/argonaut/views/ui"
	"github.com/gofiber/fiber/v2"
)

func (h *Handler) dashboard(c *fiber.Ctx) error {
	ctx := c.UserContext()
	envs, _, err := h.Environments.FindEnvironments(ctx, app.Filter{SpaceID: spaceID})
	if err != nil {
		return err
	}
	groups, err := h.projectsByGroup(ctx)
	if err != nil {
		return err
	}
	var projectIDs, envIDs []string
	for _, g := range groups {
		for _, p := range g.Projects {
			projectIDs = append(projectIDs, p.ID)
		}
	}
	for _, e := range envs {
		envIDs = append(envIDs, e.ID)
	}
	var latest map[string]map[string]*app.DashboardCell
	user := app.PrincipalFrom(ctx)
	if h.Dashboard != nil && len(projectIDs) > 0 && len(envIDs) > 0 && user.Can(app.PermDeploymentView) {
		if latest, err = h.Dashboard.LatestDeployments(ctx, spaceID, projectIDs, envIDs); err != nil {
			return err
		}
	}
	page := views.DashboardPage{Environments: envs}
	for _, g := range groups {
		dg := views.DashboardGroup{Group: g.Group}
		for _, p := range g.Projects {
			row := views.DashboardRow{Project: p, Cells: make([]views.DeploymentCell, len(envs))}
			for i, e := range envs {
				if cell := latest[p.ID][e.ID]; cell != nil && cell.Task != nil && canViewTask(user, cell.Task) {
					row.Cells[i] = dashboardCell(e.Name, cell)
				}
			}
			dg.Rows = append(dg.Rows, row)
		}
		page.Groups = append(page.Groups, dg)
	}
	return render(c, fiber.StatusOK, views.Dashboard(page))
}

func dashboardCell(env string, cell *app.DashboardCell) views.DeploymentCell {
	return views.DeploymentCell{Environment: env, Version: cell.ReleaseVersion, TaskID: cell.Task.ID,
		State: cell.Task.State, When: views.FormatTime(cell.Deployment.Created)}
}

// releaseCells returns the newest deployment of each release to each
// environment, in environment order, keyed by release ID.
func (h *Handler) releaseCells(ctx context.Context, releaseIDs []string) (map[string][]views.DeploymentCell, error) {
	out := map[string][]views.DeploymentCell{}
	user := app.PrincipalFrom(ctx)
	if h.Deployments == nil || len(releaseIDs) == 0 || !user.Can(app.PermDeploymentView) {
		return out, nil
	}
	envs, _, err := h.Environments.FindEnvironments(ctx, app.Filter{SpaceID: spaceID})
	if err != nil {
		return nil, err
	}
	deps, _, err := h.Deployments.FindDeployments(ctx, app.DeploymentFilter{SpaceID: spaceID, ReleaseIDs: releaseIDs})
	if err != nil {
		return nil, err
	}
	newest := map[[2]string]*app.Deployment{} // deps come newest first
	var taskIDs []string
	for _, d := range deps {
		k := [2]string{d.ReleaseID, d.EnvironmentID}
		if newest[k] == nil {
			newest[k] = d
			taskIDs = append(taskIDs, d.TaskID)
		}
	}
	if len(taskIDs) == 0 {
		return out, nil
	}
	ts, _, err := h.Tasks.FindTasks(ctx, app.TaskFilter{IDs: taskIDs})
	if err != nil {
		return nil, err
	}
	byID := map[string]*app.Task{}
	for _, t := range ts {
		byID[t.ID] = t
	}
	for _, rid := range releaseIDs {
		for _, e := range envs {
			d := newest[[2]string{rid, e.ID}]
			if d == nil {
				continue
			}
			t := byID[d.TaskID]
			if t == nil || !canViewTask(user, t) {
				continue
			}
			out[rid] = append(out[rid], views.DeploymentCell{Environment: e.Name, TaskID: t.ID, State: t.State,
				When: views.FormatTime(d.Created)})
		}
	}
	return out, nil
}

// deployForm builds the "Deploy to…" form of rel, with the user's choices.
func (h *Handler) deployForm(ctx context.Context, rel *app.Release, prog *app.Progression, chosen url.Values) (*views.DeployForm, error) {
	if h.Deployments == nil || !app.PrincipalFrom(ctx).Can(app.PermDeploymentCreate) {
		return nil, nil
	}
	envs, _, err := h.Environments.FindEnvironments(ctx, app.Filter{SpaceID: spaceID})
	if err != nil {
		return nil, err
	}
	machines, _, err := h.Machines.FindMachines(ctx, app.MachineFilter{Filter: app.Filter{SpaceID: spaceID}})
	if err != nil {
		return nil, err
	}
	has := func(name, v string) bool {
		for _, x := range chosen[name] {
			if x == v {
				return true
			}
		}
		return false
	}
	f := &views.DeployForm{}
	for _, e := range envs {
		if !prog.Allows(e.ID) {
			continue // the lifecycle has not opened it to this release
		}
		f.Environments = append(f.Environments, ui.Option{Value: e.ID, Label: e.Name, Selected: has("environment", e.ID)})
	}
	for _, m := range machines {
		f.Machines = append(f.Machines, ui.Option{Value: m.ID, Label: m.Name, Selected: has("machine", m.ID)})
	}
	for _, s := range rel.Process.Steps {
		required := false
		for _, a := range s.Actions {
			required = required || a.IsRequired
		}
		if !required {
			f.Steps = append(f.Steps, ui.Option{Value: s.Name, Label: s.Name, Selected: has("skip", s.Name)})
		}
	}
	for _, g := range [][2]string{{"", "The environment's default"}, {"on", "On: ask what to do when a step fails"}, {"off", "Off"}} {
		f.Guided = append(f.Guided, ui.Option{Value: g[0], Label: g[1], Selected: has("guided", g[0])})
	}
	seen := map[string]bool{}
	for _, src := range rel.Variables {
		for _, v := range src.Variables {
			if v.Prompt == nil || seen[strings.ToLower(v.Name)] {
				continue
			}
			seen[strings.ToLower(v.Name)] = true
			label := v.Prompt.Label
			if label == "" {
				label = v.Name
			}
			p := views.DeployPrompt{Field: promptField + v.Name, Label: label, Description: v.Prompt.Description,
				Required: v.Prompt.Required, Sensitive: v.IsSensitive}
			if !p.Sensitive {
				// What the user typed on a refused form, else the default.
				p.Value = v.Value
				if typed, ok := chosen[p.Field]; ok && len(typed) > 0 {
					p.Value = typed[0]
				}
			}
			f.Prompts = append(f.Prompts, p)
		}
	}
	// Octopus sorts the prompts alphabetically by label.
	sort.SliceStable(f.Prompts, func(i, j int) bool { return strings.ToLower(f.Prompts[i].Label) < strings.ToLower(f.Prompts[j].Label) })
	f.Force = chosen.Get("force") != ""
	f.QueueTime, f.QueueTimeExpiry = chosen.Get("queue_time"), chosen.Get("queue_expiry")
	return f, nil
}

// promptField prefixes the form field of a prompted variable.
const promptField = "prompt:"

// parseFormTime reads a date and time typed in the deploy form (UTC unless
// it says otherwise); "" is the zero time.
func parseFormTime(label, s string) (time.Time, error) {
	if t, ok := app.ParseScheduleTime(s); ok {
		return t, nil
	}
	return time.Time{}, app.Invalid(fmt.Sprintf("%s must be a date and time such as 2026-12-24 18:00 (UTC).", label))
}

func (h *Handler) release(c *fiber.Ctx) error {
	return h.renderRelease(c, fiber.StatusOK, nil, nil)
}

func (h *Handler) renderRelease(c *fiber.Ctx, status int, chosen url.Values, problem *ui.Problem) error {
	ctx := c.UserContext()
	rel, err := h.Releases.FindReleaseByID(ctx, spaceID, c.Params("id"))
	if err != nil {
		return err
	}
	pr, err := h.Projects.FindProjectByID(ctx, spaceID, rel.ProjectID)
	if err != nil {
		return err
	}
	page := views.ReleasePage{Project: pr, Release: rel}
	for _, src := range rel.Variables {
		page.Variables += len(src.Variables)
		if src.Library {
			page.Libraries++
		}
	}
	cells, err := h.releaseCells(ctx, []string{rel.ID})
	if err != nil {
		return err
	}
	// One progression serves the lifecycle card and the deploy form.
	var prog *app.Progression
	if h.Deployments != nil {
		if prog, err = h.Deployments.Progression(ctx, rel); err != nil {
			return err
		}
	}
	form, err := h.deployForm(ctx, rel, prog, chosen)
	if err != nil {
		return err
	}
	if form != nil {
		form.Problem = problem
	}
	page.Deployments = views.ReleaseDeploymentsSection{Release: rel, Cells: cells[rel.ID], Form: form}
	if page.Deployments.Lifecycle, err = h.lifecycleView(ctx, prog); err != nil {
		return err
	}
	return render(c, status, views.Release(page))
}

// lifecycleView shows where a release stands in its lifecycle.
func (h *Handler) lifecycleView(ctx context.Context, prog *app.Progression) (*views.LifecycleView, error) {
	if prog == nil || !app.PrincipalFrom(ctx).Can(app.PermDeploymentView) {
		return nil, nil
	}
	envs, _, err := h.Environments.FindEnvironments(ctx, app.Filter{SpaceID: spaceID})
	if err != nil {
		return nil, err
	}
	name := map[string]string{}
	for _, e := range envs {
		name[e.ID] = e.Name
	}
	v := &views.LifecycleView{Name: prog.LifecycleName}
	for _, ph := range prog.Phases {
		pv := views.PhaseView{Name: ph.Name, Progress: ph.Progress}
		switch n, all := ph.Required(), len(ph.Environments()); {
		case ph.IsOptionalPhase:
			pv.Rule = "Optional phase"
		case n < all:
			pv.Rule = fmt.Sprintf("At least %d of %d must complete", n, all)
		default:
			pv.Rule = "All must complete"
		}
		for _, id := range ph.Environments() {
			pv.Environments = append(pv.Environments, views.PhaseEnvironment{Name: name[id],
				Automatic: app.ContainsFold(ph.AutomaticDeploymentTargets, id), Succeeded: app.ContainsFold(ph.Succeeded, id)})
		}
		v.Phases = append(v.Phases, pv)
	}
	return v, nil
}

// deploy creates a deployment of the release from the form and shows its task.
func (h *Handler) deploy(c *fiber.Ctx) error {
	if h.Deployments == nil {
		return app.Errorf(app.ENOTFOUND, "Deployments are not available.")
	}
	form := url.Values{}
	args := c.Request().PostArgs()
	for _, k := range []string{"environment", "machine", "skip", "guided", "force", "queue_time", "queue_expiry"} {
		for _, v := range args.PeekMulti(k) {
			form.Add(k, string(v))
		}
	}
	d := &app.Deployment{SpaceID: spaceID, ReleaseID: c.Params("id"), EnvironmentID: strings.TrimSpace(form.Get("environment"))}
	d.SpecificMachineIDs = form["machine"]
	d.SkipActions = form["skip"]
	d.ForcePackageRedeployment = form.Get("force") != ""
	switch form.Get("guided") {
	case "on", "off":
		on := form.Get("guided") == "on"
		d.UseGuidedFailure = &on
	}
	args.VisitAll(func(k, v []byte) {
		if name, ok := strings.CutPrefix(string(k), promptField); ok && name != "" {
			if d.FormValues == nil {
				d.FormValues = map[string]string{}
			}
			d.FormValues[name] = string(v)
			form.Set(string(k), string(v))
		}
	})
	var err error
	if d.QueueTime, err = parseFormTime("Start at", form.Get("queue_time")); err == nil {
		d.QueueTimeExpiry, err = parseFormTime("Do not start after", form.Get("queue_expiry"))
	}
	var created *app.Deployment
	if err == nil {
		created, err = h.Deployments.CreateDeployment(c.UserContext(), d)
	}
	if err != nil {
		p, status, err := formProblem(err)
		if err != nil {
			return err
		}
		return h.renderRelease(c, status, form, p)
	}
	return h.redirectWithFlash(c, string(views.TaskURL(created.TaskID)), "Deployment queued.")
}

// decorateTaskPage adds what the task page shows besides the log: the
// pending interruption, artifacts and the release a deployment deploys.
func (h *Handler) decorateTaskPage(c *fiber.Ctx, p *views.TaskPage) error {
	ctx := c.UserContext()
	user := app.PrincipalFrom(ctx)
	if h.Interruptions != nil && p.Task.HasPendingInterruptions && user.Can(app.PermInterruptionView) {
		ins, _, err := h.Interruptions.FindInterruptions(ctx, app.InterruptionFilter{SpaceID: p.Task.SpaceID,
			Regarding: p.Task.ID, PendingOnly: true, Take: 1})
		if err != nil {
			return err
		}
		if len(ins) > 0 {
			p.Interruption = interruptionForm(user, ins[0])
		}
	}
	if h.Artifacts != nil && user.Can(app.PermArtifactView) {
		arts, _, err := h.Artifacts.FindArtifacts(ctx, p.Task.SpaceID, p.Task.ID, 0, 100)
		if err != nil {
			return err
		}
		for _, a := range arts {
			p.Artifacts = append(p.Artifacts, views.TaskArtifact{Name: a.Filename,
				URL:  templ.SafeURL("/api/" + url.PathEscape(a.SpaceID) + "/artifacts/" + url.PathEscape(a.ID) + "/content"),
				Size: strconv.FormatInt(a.Length, 10) + " bytes"})
		}
	}
	if h.Deployments != nil && p.Task.Name == "Deploy" {
		deps, _, err := h.Deployments.FindDeployments(ctx, app.DeploymentFilter{SpaceID: p.Task.SpaceID, TaskIDs: []string{p.Task.ID},
			ProjectIDs: nonEmpty(p.Task.ProjectID), Take: 1})
		if err == nil && len(deps) == 1 {
			if rel, err := h.Releases.FindReleaseByID(ctx, p.Task.SpaceID, deps[0].ReleaseID); err == nil {
				p.ReleaseURL, p.ReleaseVersion = views.ReleaseURL(rel.ID), rel.Version
			}
		}
	}
	return nil
}

func nonEmpty(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}

func interruptionForm(u *app.User, in *app.Interruption) *views.InterruptionForm {
	f := &views.InterruptionForm{ID: in.ID, Title: in.Title, Instructions: in.Instructions, Responsible: in.TakenBy}
	if f.Title == "" {
		f.Title = string(in.Type)
	}
	if u.Can(app.PermInterruptionSubmit) {
		mine := in.TakenByID == u.ID
		f.CanTake = !mine
		// Submitting takes responsibility when nobody has it.
		f.CanSubmit = mine || in.TakenByID == ""
		f.Results = in.Type.Results()
	}
	return f
}

// taskInterruptionTake makes the user responsible for the interruption.
func (h *Handler) taskInterruptionTake(c *fiber.Ctx) error {
	t, err := h.viewableTask(c)
	if err != nil {
		return err
	}
	if h.Interruptions == nil {
		return app.NotFound(c.Params("iid"))
	}
	if err := h.interruptionOfTask(c, t); err != nil {
		return err
	}
	if _, err := h.Interruptions.TakeResponsibility(c.UserContext(), t.SpaceID, c.Params("iid")); err != nil {
		return err
	}
	return h.redirectWithFlash(c, string(views.TaskURL(t.ID)), "You are responsible for this step now.")
}

// taskInterruptionSubmit submits the interruption form.
func (h *Handler) taskInterruptionSubmit(c *fiber.Ctx) error {
	t, err := h.viewableTask(c)
	if err != nil {
		return err
	}
	if h.Interruptions == nil {
		return app.NotFound(c.Params("iid"))
	}
	if err := h.interruptionOfTask(c, t); err != nil {
		return err
	}
	_, err = h.Interruptions.SubmitInterruption(c.UserContext(), t.SpaceID, c.Params("iid"),
		app.InterruptionSubmission{Result: c.FormValue("result"), Notes: c.FormValue("notes")})
	if err != nil {
		if p, _, ferr := formProblem(err); ferr == nil {
			h.setFlash(c, "error", p.Message)
			return c.Redirect(string(views.TaskURL(t.ID)), fiber.StatusSeeOther)
		}
		return err
	}
	return h.redirectWithFlash(c, string(views.TaskURL(t.ID)), "Submitted: "+c.FormValue("result")+".")
}

// interruptionOfTask checks that the :iid interruption belongs to task t.
func (h *Handler) interruptionOfTask(c *fiber.Ctx, t *app.Task) error {
	in, err := h.Interruptions.FindInterruptionByID(c.UserContext(), t.SpaceID, c.Params("iid"))
	if err != nil {
		return err
	}
	if !strings.EqualFold(in.TaskID, t.ID) {
		return app.NotFound(c.Params("iid"))
	}
	return nil
}
