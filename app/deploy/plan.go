// Package deploy is the planner: pure functions that compile a release's
// snapshot × environment × target into a runner.Plan. Nothing here does
// I/O; the caller loads the release (with its variable snapshot already
// decrypted), the environment, the machines and a package lookup, and
// hands over the plan to whichever host runs it.
package deploy

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/argonautdeploy/argonaut/app"
	"github.com/argonautdeploy/argonaut/runner"
)

// BuiltInWorkerName names the server's built-in worker in plans, logs and
// output variables of run-on-server steps.
const BuiltInWorkerName = "Octopus Server"

// PackageFile is what the feed knows about one package version.
type PackageFile struct {
	SHA256   string // lower-case hex
	Size     int64
	FileName string // base name, extension selects the archive format
}

// PackageLookup returns the file of a package version in a feed; an error
// fails the plan.
type PackageLookup func(feedID, packageID, version string) (PackageFile, error)

// Tenant is the tenant of a tenanted deployment.
type Tenant struct {
	ID   string
	Name string
	Tags []string // "TagSet/Tag"
}

// Options are the per-deployment choices.
type Options struct {
	// SkipActions names actions (by name or ID) not to run; required
	// actions cannot be skipped.
	SkipActions []string
	// SpecificMachineIDs, when set, limits the deployment to these machines.
	SpecificMachineIDs []string
	// ExcludedMachineIDs are left out.
	ExcludedMachineIDs []string
	// ForcePackageRedeployment installs packages even where a step says
	// to skip them when already installed.
	ForcePackageRedeployment bool
}

// Deployment is everything about one deployment that does not depend on
// the target: the release with its snapshot, where it goes, and who asked.
type Deployment struct {
	// Release carries the process snapshot and, in Variables, the variable
	// snapshot with sensitive values already revealed by the caller.
	Release      *app.Release
	Space        app.Space
	Project      app.Project
	ProjectGroup app.ProjectGroup
	Environment  app.Environment
	Channel      app.Channel
	Tenant       *Tenant // nil = untenanted

	DeploymentID, DeploymentName string
	DeploymentCreated            time.Time
	CreatedBy                    app.User
	TaskID, TaskName             string
	ServerURI                    string
	Options                      Options
	// MachineIDs are the targets the deployment touches (see Targets), for
	// Octopus.Deployment.Machines.
	MachineIDs []string
	// WorkerOS is the built-in worker's OS (GOOS spelling).
	WorkerOS string
	// Packages finds package files; nil fails any package step.
	Packages PackageLookup
}

// includedActions returns the actions of s that run in this deployment:
// enabled, not skipped, and matching the environment, channel and tenant.
func (d *Deployment) includedActions(s *app.Step) []*app.Action {
	var out []*app.Action
	for i := range s.Actions {
		a := &s.Actions[i]
		if a.IsDisabled || d.skipped(s, a) {
			continue
		}
		env := d.Environment.ID
		if len(a.Environments) > 0 && !app.ContainsFold(a.Environments, env) {
			continue
		}
		if app.ContainsFold(a.ExcludedEnvironments, env) {
			continue
		}
		if len(a.Channels) > 0 && !app.ContainsFold(a.Channels, d.Channel.ID) {
			continue
		}
		if len(a.TenantTags) > 0 && (d.Tenant == nil || !app.IntersectsFold(a.TenantTags, d.Tenant.Tags)) {
			continue
		}
		out = append(out, a)
	}
	return out
}

// skipped reports whether the options skip a: by its name or ID, or by
// the name of its step (skipping a step skips its actions).
func (d *Deployment) skipped(s *app.Step, a *app.Action) bool {
	skip := d.Options.SkipActions
	return !a.IsRequired && (app.ContainsFold(skip, a.Name) || app.ContainsFold(skip, a.ID) || app.ContainsFold(skip, s.Name))
}

// Validate checks the options against the process: a required action
// cannot be skipped, and every skipped name must exist.
func (d *Deployment) Validate() error {
	var problems []string
	for _, name := range d.Options.SkipActions {
		found := false
		for _, s := range d.Release.Process.Steps {
			for _, a := range s.Actions {
				if strings.EqualFold(a.Name, name) || strings.EqualFold(a.ID, name) || strings.EqualFold(s.Name, name) {
					found = true
					if a.IsRequired {
						problems = append(problems, fmt.Sprintf("The step '%s' is required and cannot be skipped.", a.Name))
					}
				}
			}
		}
		if !found {
			problems = append(problems, fmt.Sprintf("There is no step '%s' to skip.", name))
		}
	}
	if len(problems) > 0 {
		return app.Invalid("The deployment options are not valid.", problems...)
	}
	return nil
}

// Targets lists the machines a deployment runs on: enabled machines of the
// environment with a role some included target step needs, limited to the
// specific machines and without the excluded ones, in the order given.
// Steps that run on the server need no target and add none.
func Targets(d *Deployment, machines []*app.Machine) []*app.Machine {
	var roles []string
	for i := range d.Release.Process.Steps {
		s := &d.Release.Process.Steps[i]
		if s.RunsOnServer() || len(d.includedActions(s)) == 0 {
			continue
		}
		roles = append(roles, s.TargetRoles()...)
	}
	var out []*app.Machine
	for _, m := range machines {
		switch {
		case m.IsDisabled,
			!app.ContainsFold(m.EnvironmentIDs, d.Environment.ID),
			len(d.Options.SpecificMachineIDs) > 0 && !app.ContainsFold(d.Options.SpecificMachineIDs, m.ID),
			app.ContainsFold(d.Options.ExcludedMachineIDs, m.ID),
			!app.IntersectsFold(m.Roles, roles):
			continue
		}
		out = append(out, m)
	}
	return out
}

// Plan compiles the plan for one target: machine, or nil for the built-in
// worker (which runs the run-on-server steps). A plan with no steps is
// returned as nil, nil: nothing runs there.
func Plan(d *Deployment, machine *app.Machine) (*runner.Plan, error) {
	if d.Release == nil {
		return nil, errors.New("deploy: no release")
	}
	if err := d.Validate(); err != nil {
		return nil, err
	}
	p := &runner.Plan{FormatVersion: runner.FormatVersion, TaskID: d.TaskID, DeploymentID: d.DeploymentID,
		Environment: d.Environment.Name, Target: runner.Target{Name: BuiltInWorkerName, OS: d.WorkerOS}}
	if d.Tenant != nil {
		p.Tenant = d.Tenant.Name
	}
	sc := app.ScopeContext{EnvironmentID: d.Environment.ID, ChannelID: d.Channel.ID, ProcessOwner: d.Project.ID}
	if d.Tenant != nil {
		sc.TenantID, sc.TenantTags = d.Tenant.ID, d.Tenant.Tags
	}
	if machine != nil {
		p.Target = runner.Target{ID: machine.ID, Name: machine.Name, Roles: machine.Roles}
		sc.MachineID, sc.MachineRoles = machine.ID, machine.Roles
	}
	base := d.systemContext(machine)
	p.Variables = merge(resolved(sc, d.Release.Variables), mapVars(app.SystemVariables(base)))
	baseIndex := index(p.Variables)

	for si := range d.Release.Process.Steps {
		s := &d.Release.Process.Steps[si]
		if !d.runsOn(s, machine) {
			continue
		}
		for ai, a := range d.includedActions(s) {
			step, err := d.compileAction(s, si, ai, a)
			if err != nil {
				return nil, err
			}
			// Step-scoped values: what differs from the plan-wide values
			// once the action and the step's target roles are known.
			asc := sc
			asc.ActionID = a.ID
			if machine != nil {
				asc.TargetRoles = intersection(machine.Roles, s.TargetRoles())
			}
			sys := base
			sys.StepID, sys.StepName, sys.StepNumber = s.ID, s.Name, si+1
			sys.ActionID, sys.ActionName = a.ID, a.Name
			sys.ActionNumber = strconv.Itoa(si + 1)
			if len(s.Actions) > 1 {
				sys.ActionNumber = fmt.Sprintf("%d.%d", si+1, ai+1)
			}
			sys.ActionTargetRoles, sys.ActionMaxParallelism = s.TargetRoles(), s.MaxParallelism()
			all := merge(resolved(asc, d.Release.Variables), mapVars(app.SystemVariables(sys)))
			step.Variables = difference(all, baseIndex)
			if ai > 0 {
				step.StartWithPrevious = false
			}
			if len(p.Steps) == 0 {
				step.StartWithPrevious = false // its partner runs elsewhere
			}
			p.Steps = append(p.Steps, step)
		}
	}
	if len(p.Steps) == 0 {
		return nil, nil
	}
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("deploy: %w", err)
	}
	return p, nil
}

// runsOn reports whether step s runs on machine (nil = the built-in worker).
func (d *Deployment) runsOn(s *app.Step, machine *app.Machine) bool {
	if machine == nil {
		return s.RunsOnServer()
	}
	return !s.RunsOnServer() && app.IntersectsFold(machine.Roles, s.TargetRoles())
}

func (d *Deployment) systemContext(machine *app.Machine) app.SystemContext {
	r := d.Release
	c := app.SystemContext{ServerURI: d.ServerURI, Space: d.Space, Project: d.Project, ProjectGroup: d.ProjectGroup,
		Environment: d.Environment, ReleaseID: r.ID, ReleaseNumber: r.Version, ReleaseNotes: r.ReleaseNotes,
		ReleaseCreated: r.Assembled, ChannelID: d.Channel.ID, ChannelName: d.Channel.Name,
		DeploymentID: d.DeploymentID, DeploymentName: d.DeploymentName, DeploymentCreated: d.DeploymentCreated,
		CreatedBy: d.CreatedBy, DeploymentMachineIDs: d.MachineIDs, SpecificMachineIDs: d.Options.SpecificMachineIDs,
		ExcludedMachineIDs: d.Options.ExcludedMachineIDs, TaskID: d.TaskID, TaskName: d.TaskName, Machine: machine}
	if d.Tenant != nil {
		c.TenantID, c.TenantName, c.TenantTags = d.Tenant.ID, d.Tenant.Name, d.Tenant.Tags
	}
	return c
}

// compileAction turns one action into a runner step.
func (d *Deployment) compileAction(s *app.Step, si, ai int, a *app.Action) (runner.Step, error) {
	st := runner.Step{ID: a.ID, Name: a.Name, StartWithPrevious: s.StartTrigger == app.StartWithPrevious,
		Condition: runner.Condition{Kind: runner.ConditionKind(s.Condition)}}
	if s.Condition == app.ConditionVariable {
		st.Condition.Expression = s.ConditionExpression()
	}
	if st.Condition.Kind == "" {
		st.Condition.Kind = runner.ConditionSuccess
	}
	switch a.ActionType {
	case app.ActionTypeScript:
		st.Kind = runner.KindScript
		st.ScriptBody = a.Properties[app.PropScriptBody]
		st.Syntax = runner.Bash
		switch a.Properties[app.PropScriptSyntax] {
		case "PowerShell":
			st.Syntax = runner.PowerShell
		case "Sh":
			st.Syntax = runner.Sh
		}
	case app.ActionTypePackage:
		st.Kind = runner.KindPackage
		ref := a.PrimaryPackage()
		if ref == nil {
			return st, fmt.Errorf("deploy: step '%s' has no package", s.Name)
		}
		v, ok := d.Release.PackageVersion(a.Name, ref.Name)
		if !ok {
			return st, app.Invalid(fmt.Sprintf("The release %s has no version of the package '%s' for the step '%s'.", d.Release.Version, ref.PackageID, s.Name))
		}
		if d.Packages == nil {
			return st, fmt.Errorf("deploy: no package lookup for step '%s'", s.Name)
		}
		f, err := d.Packages(ref.FeedID, ref.PackageID, v)
		if err != nil {
			return st, fmt.Errorf("deploy: package %s %s for step '%s': %w", ref.PackageID, v, s.Name, err)
		}
		st.Package = &runner.PackageRef{ID: ref.PackageID, Version: v, SHA256: f.SHA256, Size: f.Size, FileName: f.FileName}
		st.Properties = packageProperties(a.Properties)
		if d.Options.ForcePackageRedeployment {
			st.Properties.SkipIfAlreadyInstalled = false
		}
	case app.ActionTypeManual:
		st.Kind = runner.KindManual
	default:
		return st, fmt.Errorf("deploy: step '%s': unsupported action type %q", s.Name, a.ActionType)
	}
	return st, nil
}

// Package step feature properties, as Octopus names them.
const (
	propSubstituteEnabled = "Octopus.Action.SubstituteInFiles.Enabled"
	propSubstituteTargets = "Octopus.Action.SubstituteInFiles.TargetFiles"
	propJSONEnabled       = "Octopus.Action.Package.JsonConfigurationVariablesEnabled"
	propJSONTargets       = "Octopus.Action.Package.JsonConfigurationVariablesTargets"
	propStructuredTargets = "Octopus.Action.StructuredConfigurationVariables.Targets"
	propIgnoreReplaceErrs = "Octopus.Action.Package.IgnoreVariableReplacementErrors"
	propUseCustomDir      = "Octopus.Action.Package.UseCustomInstallationDirectory"
	propCustomDir         = "Octopus.Action.Package.CustomInstallationDirectory"
	propPurgeCustomDir    = "Octopus.Action.Package.CustomInstallationDirectoryShouldBePurgedBeforeDeployment"
	propSkipScripts       = "Octopus.Action.Package.RunPackageScripts"
	propSkipInstalled     = "Octopus.Action.Package.SkipIfAlreadyInstalled"
)

func packageProperties(props map[string]string) runner.StepProperties {
	on := func(k string) bool { return strings.EqualFold(props[k], "true") }
	var sp runner.StepProperties
	if on(propSubstituteEnabled) || props[propSubstituteTargets] != "" {
		sp.SubstituteInFiles = lines(props[propSubstituteTargets])
	}
	if on(propJSONEnabled) || props[propJSONTargets] != "" {
		sp.StructuredConfigFiles = lines(props[propJSONTargets])
	}
	sp.StructuredConfigFiles = append(sp.StructuredConfigFiles, lines(props[propStructuredTargets])...)
	sp.IgnoreVariableReplacementErrors = on(propIgnoreReplaceErrs)
	if on(propUseCustomDir) || props[propCustomDir] != "" {
		sp.CustomInstallationDirectory = strings.TrimSpace(props[propCustomDir])
		sp.PurgeCustomInstallationDirectory = on(propPurgeCustomDir)
	}
	sp.SkipPackageScripts = strings.EqualFold(props[propSkipScripts], "false")
	sp.SkipIfAlreadyInstalled = on(propSkipInstalled)
	return sp
}

// lines splits a newline- or comma-separated list.
func lines(s string) []string {
	var out []string
	for _, l := range strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == '\r' || r == ',' }) {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// resolved returns the winning value of every name in ctx, sorted by name.
func resolved(ctx app.ScopeContext, sources []app.VariableSource) []runner.Variable {
	res := app.ResolveVariables(ctx, sources)
	out := make([]runner.Variable, 0, len(res))
	for _, r := range res {
		v := r.Winner.Variable
		out = append(out, runner.Variable{Name: v.Name, Value: v.Value, Sensitive: v.IsSensitive})
	}
	return out
}

func mapVars(m map[string]string) []runner.Variable {
	out := make([]runner.Variable, 0, len(m))
	for k, v := range m {
		out = append(out, runner.Variable{Name: k, Value: v})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// merge concatenates lists, a later name replacing an earlier one in place
// of being repeated. System variables come last so that a project variable
// cannot impersonate Octopus.Machine.Name and friends.
func merge(lists ...[]runner.Variable) []runner.Variable {
	var out []runner.Variable
	at := map[string]int{}
	for _, l := range lists {
		for _, v := range l {
			k := strings.ToLower(v.Name)
			if i, ok := at[k]; ok {
				out = append(out[:i], out[i+1:]...)
				for name, j := range at {
					if j > i {
						at[name] = j - 1
					}
				}
			}
			at[k] = len(out)
			out = append(out, v)
		}
	}
	return out
}

func index(vars []runner.Variable) map[string]runner.Variable {
	m := make(map[string]runner.Variable, len(vars))
	for _, v := range vars {
		m[strings.ToLower(v.Name)] = v
	}
	return m
}

// difference returns the variables of all whose value or sensitivity
// differ from base.
func difference(all []runner.Variable, base map[string]runner.Variable) []runner.Variable {
	var out []runner.Variable
	for _, v := range all {
		if b, ok := base[strings.ToLower(v.Name)]; ok && b == v {
			continue
		}
		out = append(out, v)
	}
	return out
}

func intersection(a, b []string) []string {
	var out []string
	for _, x := range a {
		if app.ContainsFold(b, x) {
			out = append(out, x)
		}
	}
	return out
}
