package runner

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/argonautdeploy/argonaut/runner/template"
)

// Runner executes plans. The same Runner type runs on the server, on agents,
// over SSH and from offline bundles; only the Sink and the PackageSource
// differ. A Runner holds no per-run state: one value may run several plans
// at once.
type Runner struct {
	// WorkDir is where each run gets a private, fresh workspace
	// (removed when Run returns); "" means os.TempDir().
	WorkDir string
	// ApplicationsDir is the root package steps install under:
	// <ApplicationsDir>/[<Tenant>/]<Environment>/<PackageID>/<Version>[_N].
	// Required for plans with package steps.
	ApplicationsDir string
	// Packages opens package files for package steps.
	Packages PackageSource
	// NewMasker returns the masker of one run; nil means a new, empty
	// Masker. Returning the same Masker from every call shares one secret
	// set across runs (app/deployments does, across targets).
	NewMasker func() *Masker
	// Now is the clock for event times; nil means time.Now.
	Now func() time.Time
}

// Result is how a run ended.
type Result struct {
	// Outcome is Succeeded, Failed or Canceled.
	Outcome Outcome
	// Steps holds one entry per plan step, in plan order.
	Steps []StepResult
	// Outputs are the output variables steps set, in the order they were set.
	Outputs []Output
	// Artifacts are the files steps attached, in order.
	Artifacts []Artifact
}

// StepResult is how one step ended.
type StepResult struct {
	ID, Name string
	Outcome  Outcome
	// Message says why the step failed, timed out or was skipped (masked).
	Message           string
	Started, Finished time.Time
}

// Output is an output variable set by a step.
type Output struct {
	Step, Name, Value string
	Sensitive         bool
}

// Artifact is a file a step attached to the deployment.
type Artifact struct {
	Step, Path, Name string
}

// Run executes p and reports to sink (see Sink for the event contract).
//
// Step failures are not errors: they are reported in Result and events, and
// Result.Outcome is Failed. Run returns an error only when the run could not
// be carried out or reported: an invalid plan, a workspace that cannot be
// created, or a Sink error (which stops the run). When ctx is cancelled, the
// running steps' process groups are killed, steps not started are marked
// Canceled without running, and Result.Outcome is Canceled; the error is
// nil, since cancellation is an outcome.
func (r *Runner) Run(ctx context.Context, p *Plan, sink Sink) (*Result, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	run, err := r.newRun(ctx, p, sink, cancel)
	if err != nil {
		return nil, err
	}
	defer run.removeWorkspace()
	for _, group := range parallelGroups(p.Steps) {
		run.runGroup(ctx, group)
	}
	return run.result(), run.events.failure()
}

// run is the state of one Run call.
type run struct {
	r         *Runner
	plan      *Plan
	events    *emitter
	workspace string

	mu        sync.Mutex
	baseVars  []Variable // plan variables and machine variables
	results   []StepResult
	outputs   []Output
	artifacts []Artifact
	failed    bool   // some step failed or timed out
	lastError string // message of the last failure, for Octopus.Deployment.Error
}

func (r *Runner) newRun(ctx context.Context, p *Plan, sink Sink, cancel context.CancelCauseFunc) (*run, error) {
	masker := NewMasker()
	if r.NewMasker != nil {
		masker = r.NewMasker()
	}
	for _, v := range p.Variables {
		if v.Sensitive {
			masker.Add(v.Value)
		}
	}
	for _, s := range p.Steps {
		for _, v := range s.Variables {
			if v.Sensitive {
				masker.Add(v.Value)
			}
		}
	}
	now := r.Now
	if now == nil {
		now = time.Now
	}
	workspace, err := os.MkdirTemp(r.WorkDir, "argonaut-run-")
	if err != nil {
		return nil, fmt.Errorf("runner: create workspace: %w", err)
	}
	run := &run{
		r:         r,
		plan:      p,
		workspace: workspace,
		events:    newEmitter(ctx, sink, masker, now, cancel),
		baseVars:  append(machineVariables(p), p.Variables...),
		results:   make([]StepResult, len(p.Steps)),
	}
	for i, s := range p.Steps {
		run.results[i] = StepResult{ID: s.ID, Name: s.Name, Outcome: Canceled}
	}
	return run, nil
}

func (rn *run) removeWorkspace() {
	// Best effort: a step may have left read-only directories behind.
	_ = filepath.WalkDir(rn.workspace, func(path string, d os.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			_ = os.Chmod(path, 0o700)
		}
		return nil
	})
	_ = os.RemoveAll(rn.workspace)
}

// machineVariables are the Octopus.Machine.* and deployment variables every
// step sees; the plan's own variables come after them and win.
func machineVariables(p *Plan) []Variable {
	return []Variable{
		{Name: "Octopus.Task.Id", Value: p.TaskID},
		{Name: "Octopus.Deployment.Id", Value: p.DeploymentID},
		{Name: "Octopus.Environment.Name", Value: p.Environment},
		{Name: "Octopus.Deployment.Tenant.Name", Value: p.Tenant},
		{Name: "Octopus.Machine.Id", Value: p.Target.ID},
		{Name: "Octopus.Machine.Name", Value: p.Target.Name},
		{Name: "Octopus.Machine.Roles", Value: strings.Join(p.Target.Roles, ",")},
	}
}

// parallelGroups splits steps into groups that run concurrently: a step
// with StartWithPrevious joins the group of the step before it.
func parallelGroups(steps []Step) [][]int {
	var groups [][]int
	for i, s := range steps {
		if s.StartWithPrevious && len(groups) > 0 {
			groups[len(groups)-1] = append(groups[len(groups)-1], i)
			continue
		}
		groups = append(groups, []int{i})
	}
	return groups
}

// runGroup decides each step's condition against the state before the
// group, then runs the chosen steps concurrently and waits for all of them.
func (rn *run) runGroup(ctx context.Context, group []int) {
	vars := rn.variableSnapshot()
	var wg sync.WaitGroup
	for _, i := range group {
		step := rn.plan.Steps[i]
		if ctx.Err() != nil {
			continue // stays Canceled
		}
		if run, why := rn.shouldRun(step, vars); !run {
			rn.skip(i, why)
			continue
		}
		// Started events go out in plan order, before any step of the
		// group can report.
		started := rn.events.now()
		rn.events.emit(Event{Kind: EventStepStarted, StepID: step.ID, StepName: step.Name})
		wg.Add(1)
		go func() {
			defer wg.Done()
			rn.runStep(ctx, i, vars, started)
		}()
	}
	wg.Wait()
}

// shouldRun applies a step's condition.
func (rn *run) shouldRun(s Step, vars []Variable) (bool, string) {
	rn.mu.Lock()
	failed := rn.failed
	rn.mu.Unlock()
	switch s.Condition.Kind {
	case ConditionAlways:
		return true, ""
	case ConditionFailure:
		return failed, "no previous step failed"
	case ConditionVariable:
		tv := templateVariables(vars, s)
		if template.EvaluateTruthy(s.Condition.Expression, tv, template.Options{}) {
			return true, ""
		}
		return false, "the run condition evaluated to false"
	default: // ConditionSuccess
		return !failed, "a previous step failed"
	}
}

func (rn *run) skip(i int, why string) {
	s := rn.plan.Steps[i]
	now := rn.events.now()
	rn.setResult(i, StepResult{ID: s.ID, Name: s.Name, Outcome: Skipped, Message: why, Started: now, Finished: now})
	rn.events.emit(Event{Kind: EventStepFinished, StepID: s.ID, StepName: s.Name, Outcome: Skipped, Message: why})
}

// runStep runs one step under its timeout and records how it ended.
func (rn *run) runStep(ctx context.Context, i int, vars []Variable, started time.Time) {
	s := rn.plan.Steps[i]

	stepCtx, cancel := ctx, context.CancelFunc(func() {})
	if s.Timeout > 0 {
		stepCtx, cancel = context.WithTimeoutCause(ctx, time.Duration(s.Timeout), errStepTimeout)
	}
	defer cancel()
	sc := &stepRun{run: rn, step: s, vars: templateVariables(vars, s)}
	err := rn.executorFor(s).execute(stepCtx, sc)
	sc.flushArtifacts()

	outcome, msg := Succeeded, ""
	switch {
	case err == nil:
	case ctx.Err() != nil:
		outcome, msg = Canceled, "the run was cancelled"
	case errors.Is(context.Cause(stepCtx), errStepTimeout):
		outcome, msg = TimedOut, fmt.Sprintf("the step exceeded its timeout of %s", time.Duration(s.Timeout))
	default:
		outcome, msg = Failed, err.Error()
	}
	msg = rn.events.mask(msg)
	if outcome == Failed || outcome == TimedOut {
		rn.mu.Lock()
		rn.failed, rn.lastError = true, msg
		rn.mu.Unlock()
	}
	rn.setResult(i, StepResult{ID: s.ID, Name: s.Name, Outcome: outcome, Message: msg, Started: started, Finished: rn.events.now()})
	rn.events.emit(Event{Kind: EventStepFinished, StepID: s.ID, StepName: s.Name, Outcome: outcome, Message: msg})
}

var errStepTimeout = errors.New("step timeout")

func (rn *run) setResult(i int, res StepResult) {
	rn.mu.Lock()
	rn.results[i] = res
	rn.mu.Unlock()
}

// variableSnapshot is what steps starting now see: plan variables, the
// outputs of finished steps, and Octopus.Deployment.Error once a step failed.
func (rn *run) variableSnapshot() []Variable {
	rn.mu.Lock()
	defer rn.mu.Unlock()
	vars := append([]Variable(nil), rn.baseVars...)
	for _, o := range rn.outputs {
		for _, name := range outputVariableNames(o.Step, rn.plan.Target.Name, o.Name) {
			vars = append(vars, Variable{Name: name, Value: o.Value, Sensitive: o.Sensitive})
		}
	}
	if rn.failed {
		vars = append(vars,
			Variable{Name: "Octopus.Deployment.Error", Value: rn.lastError},
			Variable{Name: "Octopus.Deployment.ErrorDetail", Value: rn.lastError})
	}
	return vars
}

// outputVariableNames are the names later steps see an output under.
func outputVariableNames(step, machine, name string) []string {
	return []string{
		"Octopus.Action[" + step + "].Output." + name,
		"Octopus.Action[" + step + "].Output[" + machine + "]." + name,
	}
}

// templateVariables builds the variables one step sees.
func templateVariables(vars []Variable, s Step) *template.Variables {
	tv := template.NewVariables()
	for _, v := range vars {
		tv.Set(v.Name, v.Value)
	}
	tv.Set("Octopus.Action.Id", s.ID)
	tv.Set("Octopus.Action.Name", s.Name)
	tv.Set("Octopus.Step.Name", s.Name)
	for _, v := range s.Variables {
		tv.Set(v.Name, v.Value)
	}
	return tv
}

func (rn *run) result() *Result {
	rn.mu.Lock()
	defer rn.mu.Unlock()
	res := &Result{
		Outcome:   Succeeded,
		Steps:     append([]StepResult(nil), rn.results...),
		Outputs:   append([]Output(nil), rn.outputs...),
		Artifacts: append([]Artifact(nil), rn.artifacts...),
	}
	for _, s := range res.Steps {
		switch s.Outcome {
		case Canceled:
			res.Outcome = Canceled
		case Failed, TimedOut:
			if res.Outcome != Canceled {
				res.Outcome = Failed
			}
		}
	}
	return res
}

// executor runs one kind of step. It reports through sc and returns an error
// when the step failed; the runner turns that error into the step's outcome.
type executor interface {
	execute(ctx context.Context, sc *stepRun) error
}

func (rn *run) executorFor(s Step) executor {
	switch s.Kind {
	case KindScript:
		return scriptStep{}
	case KindPackage:
		return packageStep{}
	default:
		return manualStep{}
	}
}

// manualStep refuses manual interventions: the server handles them before
// the runner ever sees a plan, so meeting one is a planner bug.
type manualStep struct{}

func (manualStep) execute(context.Context, *stepRun) error {
	return errors.New("manual intervention steps are handled by the server and cannot run on a target")
}

// stepRun is one executing step: its variables and its way to report.
type stepRun struct {
	run  *run
	step Step
	vars *template.Variables

	mu        sync.Mutex
	artifacts []Artifact // reported when the step's processes have finished
}

// log reports one line (masked by the emitter).
func (sc *stepRun) log(cat Category, line string) {
	sc.run.events.emit(Event{Kind: EventLog, StepID: sc.step.ID, StepName: sc.step.Name, Category: cat, Message: line})
}

func (sc *stepRun) logf(cat Category, format string, args ...any) {
	sc.log(cat, fmt.Sprintf(format, args...))
}

func (sc *stepRun) progress(pct int, msg string) {
	sc.run.events.emit(Event{Kind: EventProgress, StepID: sc.step.ID, StepName: sc.step.Name, Percentage: pct, Message: msg})
}

// setOutput publishes an output variable. A sensitive value joins the mask
// set before setOutput returns, so the next line is masked.
func (sc *stepRun) setOutput(name, value string, sensitive bool) {
	if sensitive {
		sc.run.events.masker.Add(value)
	}
	sc.run.mu.Lock()
	sc.run.outputs = append(sc.run.outputs, Output{Step: sc.step.Name, Name: name, Value: value, Sensitive: sensitive})
	sc.run.mu.Unlock()
	sc.run.events.emit(Event{Kind: EventOutputVariable, StepID: sc.step.ID, StepName: sc.step.Name, Name: name, Value: value, Sensitive: sensitive})
}

// addArtifact queues a file for reporting at the end of the step, when the
// script can no longer be writing it.
func (sc *stepRun) addArtifact(path, name string) {
	sc.mu.Lock()
	sc.artifacts = append(sc.artifacts, Artifact{Step: sc.step.Name, Path: path, Name: name})
	sc.mu.Unlock()
}

func (sc *stepRun) flushArtifacts() {
	sc.mu.Lock()
	arts := sc.artifacts
	sc.artifacts = nil
	sc.mu.Unlock()
	for _, a := range arts {
		if st, err := os.Stat(a.Path); err != nil || !st.Mode().IsRegular() {
			sc.logf(Warning, "Artifact %s was not collected: %s is not a file", a.Name, a.Path)
			continue
		}
		sc.run.mu.Lock()
		sc.run.artifacts = append(sc.run.artifacts, a)
		sc.run.mu.Unlock()
		sc.run.events.emit(Event{Kind: EventArtifact, StepID: sc.step.ID, StepName: sc.step.Name, Path: a.Path, Name: a.Name})
	}
}

// emitter numbers events, masks their text and hands them to the sink one at
// a time. After the first sink error it drops every event and cancels the
// run.
type emitter struct {
	ctx    context.Context // not cancelled with the run, so final events get written
	sink   Sink
	masker *Masker
	now    func() time.Time
	cancel context.CancelCauseFunc

	mu  sync.Mutex
	seq int64
	err error
}

func newEmitter(ctx context.Context, sink Sink, m *Masker, now func() time.Time, cancel context.CancelCauseFunc) *emitter {
	return &emitter{ctx: context.WithoutCancel(ctx), sink: sink, masker: m, now: now, cancel: cancel}
}

func (em *emitter) mask(s string) string {
	if s == "" {
		return s
	}
	return em.masker.String(s)
}

func (em *emitter) emit(e Event) {
	e.Message, e.Name, e.Path = em.mask(e.Message), em.mask(e.Name), em.mask(e.Path)
	if !e.Sensitive {
		e.Value = em.mask(e.Value)
	}
	em.mu.Lock()
	defer em.mu.Unlock()
	if em.err != nil {
		return
	}
	em.seq++
	e.Seq, e.Time = em.seq, em.now()
	if err := em.sink.Event(em.ctx, e); err != nil {
		em.err = fmt.Errorf("runner: sink: %w", err)
		em.cancel(em.err)
	}
}

func (em *emitter) failure() error {
	em.mu.Lock()
	defer em.mu.Unlock()
	return em.err
}
