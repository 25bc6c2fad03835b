package deployments

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"

	"github.com/argonautdeploy/argonaut/app"
	"github.com/argonautdeploy/argonaut/app/deploy"
	"github.com/argonautdeploy/argonaut/app/tasks"
	"github.com/argonautdeploy/argonaut/runner"
)

// Executor runs "Deploy" tasks (app.TaskNameDeploy) on the server.
//
// # How a deployment runs
//
// The planner compiles one runner.Plan per target: the built-in worker
// (run-on-server and manual steps) and every machine of the environment
// with CommunicationStyle None (cloud regions) whose roles a step needs.
// Other communication styles are not dispatched in this version: they are
// named in a Warning line and left out. The machines that have a plan are
// recorded as the deployment's DeployedToMachineIDs before the first step
// starts.
//
// Steps are global barriers, as in Octopus: the executor walks the
// process's steps in order, grouping a step marked StartWithPrevious with
// the one before it, and runs a group's steps concurrently; the next group
// starts only when every target finished every step of the group. Within
// a step, each target runs a one-step slice of its own plan (the step's
// actions, in order) with runner.Runner; Octopus.Action.MaxParallelism
// bounds how many targets run the step at once (the rolling window; 0 =
// all). So per-step ordering across targets always holds, and a rolling
// step never overlaps the step after it.
//
// Conditions are decided here, not by the runner, because each slice is
// its own run: Success runs when no earlier group failed, Failure only
// when one did, Always always; a Variable condition is handed to the
// runner with Octopus.Deployment.Error in the variables.
//
// Output variables set on any target are added to the variables of every
// later group as Octopus.Action[Step].Output.Name and
// Octopus.Action[Step].Output[Machine].Name (sensitive ones stay
// sensitive, so they are masked). One masker is shared by every slice of
// the deployment, so a sensitive output set on one target is masked in the
// lines of every other target from then on.
//
// Manual intervention steps and guided failure raise an Interruption and
// wait through TaskLog.Await: no task slot is held and nothing polls; a
// cancel reaches the wait through ctx.
type Executor struct {
	Deployments   app.DeploymentStore
	Releases      app.ReleaseService
	Projects      app.ProjectService
	ProjectGroups app.ProjectGroupService
	Channels      app.ChannelService
	Environments  app.EnvironmentService
	Machines      app.MachineService
	Spaces        app.SpaceService
	Interruptions *Interruptions
	Artifacts     app.ArtifactStore
	// PutBlob stores artifact content and returns its sha256 and size.
	PutBlob func(r io.Reader) (sha string, size int64, err error)
	// Packages finds package files (sha256, size) in a feed for the
	// planner; nil makes package steps fail with a clear message.
	Packages PackageFinder
	// PackageSource opens package content for the runner.
	PackageSource runner.PackageSource
	// DataDir holds work/<task> (per-run workspaces) and Applications.
	DataDir string
	// ServerURI returns the server's public URL (Octopus.Web.ServerUri).
	ServerURI func() string
	Logger    *slog.Logger
}

var _ tasks.Executor = (*Executor)(nil)

// Host runs plans on one place: Run executes p (a one-step slice of a
// target's plan), sends its events to sink in order and returns when the
// slice has finished or ctx is done (it must then stop what it started).
// The built-in worker is a *runner.Runner in this process; agents, SSH
// targets and offline bundles are hosts of later issues, running the same
// plan with the same runner elsewhere.
type Host interface {
	Run(ctx context.Context, p *runner.Plan, sink runner.Sink) (*runner.Result, error)
}

var _ Host = (*runner.Runner)(nil)

// target is one place steps run: a machine, or the built-in worker (nil).
type target struct {
	machine *app.Machine
	name    string
	plan    *runner.Plan
	host    Host
}

// hostFor returns the host that runs m's steps (nil m = the built-in
// worker's), or nil when no host can reach m yet.
func (r *deploymentRun) hostFor(m *app.Machine) Host {
	if m == nil || strings.EqualFold(m.Endpoint.CommunicationStyle, app.CommsNone) {
		// Cloud regions run on the built-in worker, with their own variables.
		return r.runner
	}
	return nil
}

// unit is one step's slice of one target's plan.
type unit struct {
	target *target
	steps  []runner.Step
}

// deploymentRun is the state of one executing deployment.
type deploymentRun struct {
	x      *Executor
	task   *app.Task
	log    tasks.TaskLog
	dep    *app.Deployment
	pd     *deploy.Deployment
	guided bool
	runner *runner.Runner
	masker *runner.Masker

	targets   []*target
	stepOf    map[string]int // action ID → process step index
	stepNodes []tasks.Activity
	forms     []runner.Variable

	mu        sync.Mutex
	outputs   []runner.Variable
	failed    bool
	lastError string
	firstErr  string
	excluded  map[string]bool // machine IDs excluded by guided failure

	awaitMu sync.Mutex // TaskLog.Await must not run concurrently
}

// Execute implements tasks.Executor.
func (x *Executor) Execute(ctx context.Context, t *app.Task, log tasks.TaskLog) error {
	r, err := x.prepare(ctx, t, log)
	if err != nil {
		return err
	}
	defer os.RemoveAll(r.runner.WorkDir)
	return r.run(ctx)
}

// prepare loads everything the deployment needs and compiles the plans.
func (x *Executor) prepare(ctx context.Context, t *app.Task, log tasks.TaskLog) (*deploymentRun, error) {
	id := t.Arguments[app.TaskArgDeploymentID]
	if id == "" {
		return nil, errors.New("The task names no deployment.")
	}
	dep, err := x.Deployments.FindDeploymentByID(ctx, t.SpaceID, id)
	if err != nil {
		return nil, fmt.Errorf("load deployment %s: %w", id, err)
	}
	rel, err := x.Releases.FindReleaseByID(ctx, dep.SpaceID, dep.ReleaseID)
	if err != nil {
		return nil, fmt.Errorf("load release %s: %w", dep.ReleaseID, err)
	}
	if rel.Variables, err = x.Releases.RevealReleaseVariables(ctx, dep.SpaceID, rel.ID); err != nil {
		return nil, fmt.Errorf("read the variable snapshot of %s: %w", rel.ID, err)
	}
	proj, err := x.Projects.FindProjectByID(ctx, dep.SpaceID, dep.ProjectID)
	if err != nil {
		return nil, fmt.Errorf("load project %s: %w", dep.ProjectID, err)
	}
	env, err := x.Environments.FindEnvironmentByID(ctx, dep.SpaceID, dep.EnvironmentID)
	if err != nil {
		return nil, fmt.Errorf("load environment %s: %w", dep.EnvironmentID, err)
	}
	pd := &deploy.Deployment{Release: rel, Project: *proj, Environment: *env, DeploymentID: dep.ID, DeploymentName: dep.Name,
		DeploymentCreated: dep.Created, CreatedBy: app.User{ID: dep.DeployedByID, Username: dep.DeployedBy, DisplayName: dep.DeployedBy},
		TaskID: t.ID, TaskName: t.Description, WorkerOS: runtime.GOOS,
		Options: deploy.Options{SkipActions: dep.SkipActions, SpecificMachineIDs: dep.SpecificMachineIDs, ExcludedMachineIDs: dep.ExcludedMachineIDs,
			ForcePackageRedeployment: dep.ForcePackageRedeployment}}
	if x.ServerURI != nil {
		pd.ServerURI = x.ServerURI()
	}
	if x.Packages != nil {
		pd.Packages = func(feedID, packageID, version string) (deploy.PackageFile, error) {
			return x.Packages(ctx, dep.SpaceID, feedID, packageID, version)
		}
	}
	if sp, err := x.Spaces.FindSpaceByID(ctx, dep.SpaceID); err == nil {
		pd.Space = *sp
	}
	if g, err := x.ProjectGroups.FindProjectGroupByID(ctx, dep.SpaceID, proj.ProjectGroupID); err == nil {
		pd.ProjectGroup = *g
	}
	if ch, err := x.Channels.FindChannelByID(ctx, dep.SpaceID, rel.ChannelID); err == nil {
		pd.Channel = *ch
	}

	workDir := filepath.Join(x.DataDir, "work", t.ID)
	if err := os.MkdirAll(workDir, 0o700); err != nil {
		return nil, fmt.Errorf("create the work directory: %w", err)
	}
	r := &deploymentRun{x: x, task: t, log: log, dep: dep, pd: pd, masker: runner.NewMasker(),
		guided: app.GuidedFailureOn(dep, env.UseGuidedFailure, proj.DefaultGuidedFailureMode),
		stepOf: map[string]int{}, excluded: map[string]bool{}}
	r.runner = &runner.Runner{WorkDir: workDir, ApplicationsDir: filepath.Join(x.DataDir, "Applications"),
		Packages: x.PackageSource, NewMasker: func() *runner.Masker { return r.masker }}
	for si, s := range rel.Process.Steps {
		for _, a := range s.Actions {
			r.stepOf[a.ID] = si
		}
	}
	for name, value := range dep.FormValues {
		r.forms = append(r.forms, runner.Variable{Name: name, Value: value, Sensitive: isSensitiveVariable(rel, name)})
	}
	if len(dep.SensitiveFormValues) > 0 {
		secret, err := x.Deployments.RevealDeploymentFormValues(ctx, dep.SpaceID, dep.ID)
		if err != nil {
			return nil, fmt.Errorf("read the sensitive prompted values of %s: %w", dep.ID, err)
		}
		for name, value := range secret {
			r.forms = append(r.forms, runner.Variable{Name: name, Value: value, Sensitive: true})
		}
	}

	log.Info(fmt.Sprintf("Deploying %s release %s to %s", proj.Name, rel.Version, env.Name))
	if r.guided {
		log.Info("Guided failure is on: a failing step waits for a decision (Fail, Retry, Ignore or Exclude).")
	}
	if err := r.plan(ctx); err != nil {
		return nil, err
	}
	if err := r.recordTargets(ctx); err != nil {
		return nil, err
	}
	return r, nil
}

// recordTargets stores the machines the deployment runs on (its
// DeployedToMachineIds) before any step starts: the targets that have a
// plan, without the built-in worker.
func (r *deploymentRun) recordTargets(ctx context.Context) error {
	var ids []string
	for _, t := range r.targets {
		if t.machine != nil {
			ids = append(ids, t.machine.ID)
		}
	}
	if len(ids) == 0 && len(r.dep.DeployedToMachineIDs) == 0 {
		return nil
	}
	if err := r.x.Deployments.SetDeployedToMachines(ctx, r.dep.SpaceID, r.dep.ID, ids); err != nil {
		return fmt.Errorf("record the deployment's targets: %w", err)
	}
	r.dep.DeployedToMachineIDs = ids
	return nil
}

// plan lists the targets and compiles one plan per target.
func (r *deploymentRun) plan(ctx context.Context) error {
	machines, _, err := r.x.Machines.FindMachines(ctx, app.MachineFilter{Filter: app.Filter{SpaceID: r.dep.SpaceID},
		EnvironmentIDs: []string{r.dep.EnvironmentID}})
	if err != nil {
		return fmt.Errorf("list the environment's machines: %w", err)
	}
	var usable []*app.Machine
	for _, m := range deploy.Targets(r.pd, machines) {
		if r.hostFor(m) == nil {
			r.log.Warning(fmt.Sprintf("Skipping the target %s: deployments to %s targets are not supported yet.", m.Name, m.Endpoint.CommunicationStyle))
			continue
		}
		usable = append(usable, m)
	}
	for _, m := range usable {
		r.pd.MachineIDs = append(r.pd.MachineIDs, m.ID)
	}
	all := append([]*app.Machine{nil}, usable...)
	for _, m := range all {
		p, err := deploy.Plan(r.pd, m)
		if err != nil {
			return err
		}
		if p == nil {
			continue
		}
		t := &target{machine: m, name: deploy.BuiltInWorkerName, plan: p, host: r.hostFor(m)}
		if m != nil {
			t.name = m.Name
		}
		r.targets = append(r.targets, t)
	}
	return nil
}

// run executes the process group by group and returns the first failure.
func (r *deploymentRun) run(ctx context.Context) error {
	steps := r.pd.Release.Process.Steps
	r.stepNodes = make([]tasks.Activity, len(steps))
	for si, s := range steps {
		r.stepNodes[si] = r.log.Plan(fmt.Sprintf("Step %d: %s", si+1, s.Name))
	}
	for _, group := range r.groups() {
		if ctx.Err() != nil {
			break
		}
		snap := r.snapshot()
		var wg sync.WaitGroup
		for _, si := range group {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r.runStep(ctx, si, snap)
			}()
		}
		wg.Wait()
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.failed {
		return errors.New(r.firstErr)
	}
	return nil
}

// groups splits the process into groups of steps that start together.
func (r *deploymentRun) groups() [][]int {
	var out [][]int
	for si, s := range r.pd.Release.Process.Steps {
		if s.StartTrigger == app.StartWithPrevious && len(out) > 0 {
			out[len(out)-1] = append(out[len(out)-1], si)
			continue
		}
		out = append(out, []int{si})
	}
	return out
}

// snap is what the steps of one group see of the groups before it.
type snap struct {
	failed bool
	vars   []runner.Variable
}

func (r *deploymentRun) snapshot() snap {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := snap{failed: r.failed, vars: append([]runner.Variable(nil), r.outputs...)}
	if r.failed {
		s.vars = append(s.vars, runner.Variable{Name: "Octopus.Deployment.Error", Value: r.lastError},
			runner.Variable{Name: "Octopus.Deployment.ErrorDetail", Value: r.lastError})
	}
	return s
}

// units returns the slices of step si, one per target that runs it.
func (r *deploymentRun) units(si int) []unit {
	var out []unit
	for _, t := range r.targets {
		var steps []runner.Step
		for _, ps := range t.plan.Steps {
			if r.stepOf[ps.ID] == si {
				steps = append(steps, ps)
			}
		}
		if len(steps) > 0 {
			out = append(out, unit{target: t, steps: steps})
		}
	}
	return out
}

// runStep runs process step si on every target that has it.
func (r *deploymentRun) runStep(ctx context.Context, si int, sn snap) {
	s := &r.pd.Release.Process.Steps[si]
	node := r.stepNodes[si]
	units := r.units(si)
	if len(units) == 0 {
		node.Start()
		if !s.RunsOnServer() && len(s.TargetRoles()) > 0 && r.included(s) {
			node.Warning(fmt.Sprintf("Skipping this step: no targets in the role(s) %s.", strings.Join(s.TargetRoles(), ", ")))
		} else {
			node.Info("This step does not run in this deployment.")
		}
		node.Finish(app.ActivitySkipped)
		return
	}
	switch s.Condition {
	case app.ConditionFailure:
		if !sn.failed {
			node.Start()
			node.Info("Skipping this step: it runs only when a previous step failed.")
			node.Finish(app.ActivitySkipped)
			return
		}
	case app.ConditionAlways, app.ConditionVariable:
	default:
		if sn.failed {
			node.Start()
			node.Info("Skipping this step: a previous step failed.")
			node.Finish(app.ActivitySkipped)
			return
		}
	}
	node.Start()
	if units[0].steps[0].Kind == runner.KindManual {
		node.Finish(r.manual(ctx, s, units[0], node))
		return
	}
	window := s.MaxParallelism()
	if window <= 0 || window > len(units) {
		window = len(units)
	}
	if window < len(units) {
		node.Info(fmt.Sprintf("Rolling deployment: at most %d of %d targets at once.", window, len(units)))
	}
	sem := make(chan struct{}, window)
	results := make([]app.ActivityStatus, len(units))
	var wg sync.WaitGroup
	for i, u := range units {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			results[i] = app.ActivityCanceled
			continue
		}
		if u.target.machine != nil && r.isExcluded(u.target.machine.ID) {
			<-sem
			results[i] = app.ActivitySkipped
			continue
		}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			results[i] = r.runUnit(ctx, s, u, sn, node.Open(u.target.name))
		}()
	}
	wg.Wait()
	node.Finish(combine(results))
}

// included reports whether some action of s is included in the deployment
// (used only to word the "no targets" message).
func (r *deploymentRun) included(s *app.Step) bool {
	for _, a := range s.Actions {
		if !a.IsDisabled {
			return true
		}
	}
	return false
}

func combine(results []app.ActivityStatus) app.ActivityStatus {
	out := app.ActivitySkipped
	for _, s := range results {
		switch s {
		case app.ActivityFailed:
			return app.ActivityFailed
		case app.ActivityCanceled:
			out = app.ActivityCanceled
		case app.ActivitySuccess:
			if out != app.ActivityCanceled {
				out = app.ActivitySuccess
			}
		}
	}
	return out
}

func (r *deploymentRun) isExcluded(machineID string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.excluded[machineID]
}

// slice builds the one-step plan of u with the variables of snapshot sn.
func (r *deploymentRun) slice(u unit, sn snap) *runner.Plan {
	p := *u.target.plan
	p.Variables = append(append(append([]runner.Variable(nil), p.Variables...), sn.vars...), r.forms...)
	p.Steps = make([]runner.Step, len(u.steps))
	for i, s := range u.steps {
		s.StartWithPrevious = false
		switch {
		case i > 0:
			s.Condition = runner.Condition{Kind: runner.ConditionSuccess}
		case s.Condition.Kind != runner.ConditionVariable:
			// The executor already decided that the step runs.
			s.Condition = runner.Condition{Kind: runner.ConditionAlways}
		}
		if len(r.forms) > 0 {
			// Prompted values win over step-scoped values of the same name.
			var kept []runner.Variable
			for _, v := range s.Variables {
				if !hasVar(r.forms, v.Name) {
					kept = append(kept, v)
				}
			}
			s.Variables = kept
		}
		p.Steps[i] = s
	}
	return &p
}

func hasVar(vars []runner.Variable, name string) bool {
	for _, v := range vars {
		if strings.EqualFold(v.Name, name) {
			return true
		}
	}
	return false
}

// runUnit runs one step on one target, with guided failure around it.
func (r *deploymentRun) runUnit(ctx context.Context, s *app.Step, u unit, sn snap, act tasks.Activity) app.ActivityStatus {
	for attempt := 1; ; attempt++ {
		res, err := u.target.host.Run(ctx, r.slice(u, sn), r.sink(ctx, u, act))
		if ctx.Err() != nil {
			act.Finish(app.ActivityCanceled)
			return app.ActivityCanceled
		}
		msg := ""
		switch {
		case err != nil:
			msg = r.masker.String(err.Error())
		case res.Outcome == runner.Failed:
			for _, sr := range res.Steps {
				if sr.Outcome == runner.Failed || sr.Outcome == runner.TimedOut {
					msg = sr.Message
					break
				}
			}
		default:
			skipped := true
			for _, sr := range res.Steps {
				skipped = skipped && sr.Outcome == runner.Skipped
			}
			if skipped {
				act.Finish(app.ActivitySkipped)
				return app.ActivitySkipped
			}
			act.Finish(app.ActivitySuccess)
			return app.ActivitySuccess
		}
		if msg == "" {
			msg = "the step failed"
		}
		act.Error(fmt.Sprintf("The step failed: %s", msg))
		if r.guided {
			decision, who, gerr := r.guidedFailure(ctx, s, u, msg, attempt)
			if gerr != nil {
				act.Finish(app.ActivityCanceled)
				return app.ActivityCanceled
			}
			switch decision {
			case app.ResultRetry:
				act.Info(fmt.Sprintf("Guided failure: %s chose to retry.", who))
				continue
			case app.ResultIgnore:
				act.Warning(fmt.Sprintf("Guided failure: %s chose to ignore the failure.", who))
				act.Finish(app.ActivitySuccess)
				return app.ActivitySuccess
			case app.ResultExclude:
				if u.target.machine != nil {
					r.mu.Lock()
					r.excluded[u.target.machine.ID] = true
					r.mu.Unlock()
				}
				act.Warning(fmt.Sprintf("Guided failure: %s excluded %s from the rest of the deployment.", who, u.target.name))
				act.Finish(app.ActivitySkipped)
				return app.ActivitySkipped
			default:
				act.Info(fmt.Sprintf("Guided failure: %s chose to fail the deployment.", who))
			}
		}
		r.fail(fmt.Sprintf("The step '%s' failed on %s: %s", s.Name, u.target.name, msg), msg)
		act.Finish(app.ActivityFailed)
		return app.ActivityFailed
	}
}

func (r *deploymentRun) fail(summary, detail string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.failed {
		r.firstErr = summary
	}
	r.failed, r.lastError = true, detail
}

// sink writes one slice's events into act (the target's node).
func (r *deploymentRun) sink(ctx context.Context, u unit, act tasks.Activity) runner.Sink {
	multi := len(u.steps) > 1
	return runner.SinkFunc(func(_ context.Context, e runner.Event) error {
		switch e.Kind {
		case runner.EventLog:
			act.Log(app.LogCategory(e.Category), e.Message)
		case runner.EventStepStarted:
			if multi {
				act.Info("Running " + e.StepName)
			}
		case runner.EventStepFinished:
			if e.Outcome == runner.Skipped && e.Message != "" {
				act.Info(fmt.Sprintf("Skipped %s: %s", e.StepName, e.Message))
			}
		case runner.EventOutputVariable:
			r.addOutput(e.StepName, u.target.name, e.Name, e.Value, e.Sensitive)
			act.Verbose(fmt.Sprintf("Output variable Octopus.Action[%s].Output.%s was set.", e.StepName, e.Name))
		case runner.EventArtifact:
			r.storeArtifact(ctx, u, e, act)
		case runner.EventProgress:
			// Shown by default (not Verbose): a script reports progress for
			// the person watching the task page.
			act.Info(progressLine(e.Percentage, e.Message))
		}
		return nil
	})
}

// addOutput publishes an output variable to every later group.
func (r *deploymentRun) addOutput(step, machine, name, value string, sensitive bool) {
	if sensitive {
		r.masker.Add(value)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.outputs = append(r.outputs,
		runner.Variable{Name: "Octopus.Action[" + step + "].Output." + name, Value: value, Sensitive: sensitive},
		runner.Variable{Name: "Octopus.Action[" + step + "].Output[" + machine + "]." + name, Value: value, Sensitive: sensitive})
}

// storeArtifact copies an artifact into the blob store while the
// workspace still exists and records it against the task and deployment.
func (r *deploymentRun) storeArtifact(ctx context.Context, u unit, e runner.Event, act tasks.Activity) {
	if r.x.PutBlob == nil || r.x.Artifacts == nil {
		act.Warning("Artifact " + e.Name + " was not kept: this server stores no artifacts.")
		return
	}
	f, err := os.Open(e.Path)
	if err != nil {
		act.Warning(fmt.Sprintf("Artifact %s could not be read: %v", e.Name, err))
		return
	}
	defer f.Close()
	sha, size, err := r.x.PutBlob(f)
	if err != nil {
		act.Warning(fmt.Sprintf("Artifact %s could not be stored: %v", e.Name, err))
		return
	}
	a := &app.Artifact{SpaceID: r.dep.SpaceID, Filename: e.Name, Source: u.target.name, ServerTaskID: r.task.ID,
		RelatedDocumentIDs: []string{r.task.ID, r.dep.ID, r.dep.ProjectID, r.dep.EnvironmentID}, Length: size, BlobSHA256: sha}
	if err := r.x.Artifacts.CreateArtifact(context.WithoutCancel(ctx), a); err != nil {
		act.Warning(fmt.Sprintf("Artifact %s could not be recorded: %v", e.Name, err))
		return
	}
	act.Info(fmt.Sprintf("Artifact %s collected from %s (%d bytes).", e.Name, u.target.name, size))
}

// await raises i and waits for its submission without holding a slot.
func (r *deploymentRun) await(ctx context.Context, reason string, i *app.Interruption) (*app.Interruption, error) {
	r.awaitMu.Lock()
	defer r.awaitMu.Unlock()
	if err := r.x.Interruptions.Raise(ctx, i); err != nil {
		return nil, err
	}
	var got *app.Interruption
	err := r.log.Await(ctx, reason, func(ctx context.Context) error {
		var err error
		got, err = r.x.Interruptions.Wait(ctx, i.SpaceID, i.ID)
		return err
	})
	if err != nil {
		r.x.Interruptions.Cancel(context.WithoutCancel(ctx), i.SpaceID, i.ID, "The task stopped waiting: "+err.Error())
		return nil, err
	}
	return got, nil
}

// guidedFailure asks what to do about a failed step.
func (r *deploymentRun) guidedFailure(ctx context.Context, s *app.Step, u unit, msg string, attempt int) (decision, who string, err error) {
	i := &app.Interruption{SpaceID: r.dep.SpaceID, Type: app.InterruptionGuidedFailure,
		Title:        fmt.Sprintf("Step %s failed on %s", s.Name, u.target.name),
		Instructions: fmt.Sprintf("The step '%s' failed on %s (attempt %d): %s\nChoose Fail, Retry, Ignore or Exclude.", s.Name, u.target.name, attempt, msg),
		TaskID:       r.task.ID, DeploymentID: r.dep.ID, ProjectID: r.dep.ProjectID, EnvironmentID: r.dep.EnvironmentID,
		StepName: s.Name, ActionID: u.steps[0].ID, MachineName: u.target.name}
	got, err := r.await(ctx, "Guided failure: "+i.Title, i)
	if err != nil {
		return "", "", err
	}
	if got.Notes != "" {
		r.log.Info(fmt.Sprintf("Notes from %s: %s", got.SubmittedBy, got.Notes))
	}
	return got.Result, got.SubmittedBy, nil
}

// manual runs a manual intervention step.
func (r *deploymentRun) manual(ctx context.Context, s *app.Step, u unit, node tasks.Activity) app.ActivityStatus {
	a := u.steps[0]
	var action *app.Action
	for i := range s.Actions {
		if s.Actions[i].ID == a.ID {
			action = &s.Actions[i]
		}
	}
	instructions := ""
	var teams []string
	if action != nil {
		instructions = action.Properties[app.PropManualInstructions]
		teams = app.NormalizeList(strings.Split(action.Properties[app.PropManualTeams], ","))
	}
	i := &app.Interruption{SpaceID: r.dep.SpaceID, Type: app.InterruptionManual, Title: s.Name,
		Instructions: instructions, ResponsibleTeamIDs: teams, TaskID: r.task.ID, DeploymentID: r.dep.ID,
		ProjectID: r.dep.ProjectID, EnvironmentID: r.dep.EnvironmentID, StepName: s.Name, ActionID: a.ID}
	if instructions != "" {
		node.Info("Instructions: " + instructions)
	}
	got, err := r.await(ctx, "Manual intervention: "+s.Name, i)
	if err != nil {
		return app.ActivityCanceled
	}
	approved := got.Result == app.ResultProceed
	for _, o := range []struct{ name, value string }{
		{"Manual.Notes", got.Notes}, {"Manual.Approved", boolString(approved)},
		{"Manual.ResponsibleUser.Id", got.SubmittedByID}, {"Manual.ResponsibleUser.Username", got.SubmittedBy},
		{"Manual.ResponsibleUser.DisplayName", got.SubmittedBy}, {"Manual.ResponsibleUser.EmailAddress", ""},
	} {
		r.addOutput(a.Name, deploy.BuiltInWorkerName, o.name, o.value, false)
	}
	if !approved {
		msg := fmt.Sprintf("The manual intervention '%s' was aborted by %s.", s.Name, got.SubmittedBy)
		if got.Notes != "" {
			msg += " Notes: " + got.Notes
		}
		node.Error(msg)
		r.fail(msg, msg)
		return app.ActivityFailed
	}
	line := fmt.Sprintf("%s approved: proceeding.", got.SubmittedBy)
	if got.Notes != "" {
		line += " Notes: " + got.Notes
	}
	node.Info(line)
	return app.ActivitySuccess
}

func boolString(b bool) string {
	if b {
		return "True"
	}
	return "False"
}

// progressLine is how an update_progress / Update-Progress report appears
// in the log of the target that made it.
func progressLine(pct int, msg string) string {
	if msg == "" {
		return fmt.Sprintf("Progress: %d%%", pct)
	}
	return fmt.Sprintf("Progress: %d%% %s", pct, msg)
}
