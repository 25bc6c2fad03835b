// Package deployments creates deployments, runs them (the "Deploy" task
// executor) and handles their interruptions (manual intervention, guided
// failure).
//
// Creating a deployment is one store transaction: the Deployments-N record,
// its ServerTasks-N task (Queued, with the deployment's ID in its
// arguments) and the audit event commit together (app.DeploymentStore).
// The task engine is then woken; if the server dies in between, the
// engine's next scheduling pass (at start, or its 20 s poll) finds the task
// in the queue anyway, so nothing is lost.
package deployments

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/argonautdeploy/argonaut/app"
	"github.com/argonautdeploy/argonaut/app/deploy"
)

// Service implements app.DeploymentService.
type Service struct {
	Store        app.DeploymentStore
	Releases     app.ReleaseService
	Projects     app.ProjectService
	Environments app.EnvironmentService
	Machines     app.MachineService
	Lifecycles   app.LifecycleService
	Channels     app.ChannelService
	Tasks        interface {
		FindTaskByID(ctx context.Context, id string) (*app.Task, error)
	}
	// Wake asks the task engine for a scheduling pass; nil = rely on its poll.
	Wake func()
}

var _ app.DeploymentService = (*Service)(nil)

// FindDeploymentByID implements app.DeploymentService.
func (s *Service) FindDeploymentByID(ctx context.Context, spaceID, id string) (*app.Deployment, error) {
	return s.Store.FindDeploymentByID(ctx, spaceID, id)
}

// FindDeployments implements app.DeploymentService.
func (s *Service) FindDeployments(ctx context.Context, f app.DeploymentFilter) ([]*app.Deployment, int, error) {
	return s.Store.FindDeployments(ctx, f)
}

// prepared is a validated deployment with what its task needs.
type prepared struct {
	dep  *app.Deployment
	task *app.Task
}

// prepare validates d against its release and environment and builds its task.
func (s *Service) prepare(ctx context.Context, d *app.Deployment) (*prepared, error) {
	if err := d.Validate(); err != nil {
		return nil, err
	}
	rel, err := s.Releases.FindReleaseByID(ctx, d.SpaceID, d.ReleaseID)
	if err != nil {
		if app.ErrorCode(err) == app.ENOTFOUND {
			return nil, app.Invalid(fmt.Sprintf("The release '%s' does not exist.", d.ReleaseID))
		}
		return nil, err
	}
	proj, err := s.Projects.FindProjectByID(ctx, d.SpaceID, rel.ProjectID)
	if err != nil {
		return nil, err
	}
	if proj.IsDisabled {
		return nil, app.Invalid(fmt.Sprintf("The project '%s' is disabled.", proj.Name))
	}
	env, err := s.Environments.FindEnvironmentByID(ctx, d.SpaceID, d.EnvironmentID)
	if err != nil {
		if app.ErrorCode(err) == app.ENOTFOUND {
			return nil, app.Invalid(fmt.Sprintf("The environment '%s' does not exist.", d.EnvironmentID))
		}
		return nil, err
	}
	d.ProjectID, d.ChannelID, d.EnvironmentID = rel.ProjectID, rel.ChannelID, env.ID
	// The lifecycle decides where the release may go now.
	prog, err := s.Progression(ctx, rel)
	if err != nil {
		return nil, err
	}
	if err := prog.Check(env, rel.Version); err != nil {
		return nil, err
	}
	// Skipped steps must exist and not be required: the planner's check.
	pd := &deploy.Deployment{Release: rel, Environment: *env, Options: deploy.Options{SkipActions: d.SkipActions}}
	if err := pd.Validate(); err != nil {
		return nil, err
	}
	forms, err := formValues(rel, env.ID, d.FormValues)
	if err != nil {
		return nil, err
	}
	d.FormValues, d.SensitiveFormValues = splitSensitive(rel, forms)
	for _, id := range append(append([]string(nil), d.SpecificMachineIDs...), d.ExcludedMachineIDs...) {
		m, err := s.Machines.FindMachineByID(ctx, d.SpaceID, id)
		if err != nil || !app.ContainsFold(m.EnvironmentIDs, env.ID) {
			return nil, app.Invalid(fmt.Sprintf("The machine '%s' is not a target in the environment '%s'.", id, env.Name))
		}
	}
	if d.Name == "" {
		d.Name = "Deploy to " + env.Name
	}
	t := &app.Task{SpaceID: d.SpaceID, Name: app.TaskNameDeploy, ConcurrencyTag: d.ConcurrencyTag(),
		Description: fmt.Sprintf("Deploy %s release %s to %s", proj.Name, rel.Version, env.Name)}
	return &prepared{dep: d, task: t}, nil
}

// CreateDeployment implements app.DeploymentService.
func (s *Service) CreateDeployment(ctx context.Context, d *app.Deployment) (*app.Deployment, error) {
	p, err := s.prepare(ctx, d)
	if err != nil {
		return nil, err
	}
	if err := s.Store.CreateDeployment(ctx, p.dep, p.task); err != nil {
		return nil, err
	}
	s.wake()
	return p.dep, nil
}

// Rerun reruns the deployment of the completed Deploy task old: a new
// deployment of the same release to the same environment with the same
// options (prompted values included; not the schedule, which has passed),
// deployed by the caller, with its own task. It is the task engine's
// Rerunner for Deploy tasks.
func (s *Service) Rerun(ctx context.Context, old *app.Task) (*app.Task, error) {
	dep, err := s.Store.FindDeploymentByID(ctx, old.SpaceID, old.Arguments[app.TaskArgDeploymentID])
	if err != nil {
		return nil, fmt.Errorf("rerun %s: %w", old.ID, err)
	}
	forms := map[string]string{}
	for k, v := range dep.FormValues {
		forms[k] = v
	}
	if len(dep.SensitiveFormValues) > 0 {
		secret, err := s.Store.RevealDeploymentFormValues(ctx, dep.SpaceID, dep.ID)
		if err != nil {
			return nil, fmt.Errorf("rerun %s: %w", old.ID, err)
		}
		for k, v := range secret {
			forms[k] = v
		}
	}
	d := &app.Deployment{SpaceID: dep.SpaceID, ReleaseID: dep.ReleaseID, EnvironmentID: dep.EnvironmentID, Name: dep.Name,
		DeploymentOptions: app.DeploymentOptions{SpecificMachineIDs: dep.SpecificMachineIDs, ExcludedMachineIDs: dep.ExcludedMachineIDs,
			SkipActions: dep.SkipActions, UseGuidedFailure: dep.UseGuidedFailure, ForcePackageRedeployment: dep.ForcePackageRedeployment,
			FormValues: forms, Comments: dep.Comments}}
	p, err := s.prepare(ctx, d)
	if err != nil {
		return nil, err
	}
	p.task.RerunOf = old.ID
	if err := s.Store.CreateDeployment(ctx, p.dep, p.task); err != nil {
		return nil, err
	}
	s.wake()
	return p.task, nil
}

func (s *Service) wake() {
	if s.Wake != nil {
		s.Wake()
	}
}

// Deploy implements app.DeploymentService: every environment is resolved
// and every deployment validated before the first is created, so a typo in
// the third environment name creates nothing. Each deployment is then its
// own transaction; a store failure part-way leaves the earlier ones queued
// and is reported.
func (s *Service) Deploy(ctx context.Context, req app.DeployRequest) ([]*app.Deployment, error) {
	if strings.TrimSpace(req.Project) == "" {
		return nil, app.Invalid("projectName is required.")
	}
	if strings.TrimSpace(req.ReleaseVersion) == "" {
		return nil, app.Invalid("releaseVersion is required.")
	}
	if len(req.EnvironmentNames) == 0 {
		return nil, app.Invalid("environmentNames must name at least one environment.")
	}
	proj, err := s.Projects.FindProjectByID(ctx, req.SpaceID, req.Project)
	if err != nil {
		if app.ErrorCode(err) == app.ENOTFOUND {
			return nil, app.Invalid(fmt.Sprintf("The project '%s' does not exist.", req.Project))
		}
		return nil, err
	}
	rel, err := s.Releases.FindReleaseByVersion(ctx, req.SpaceID, proj.ID, strings.TrimSpace(req.ReleaseVersion))
	if err != nil {
		if app.ErrorCode(err) == app.ENOTFOUND {
			return nil, app.Invalid(fmt.Sprintf("The project '%s' has no release '%s'.", proj.Name, req.ReleaseVersion))
		}
		return nil, err
	}
	var all []*prepared
	seen := map[string]bool{}
	for _, name := range req.EnvironmentNames {
		env, err := s.environment(ctx, req.SpaceID, name)
		if err != nil {
			return nil, err
		}
		if seen[env.ID] {
			continue
		}
		seen[env.ID] = true
		specific, err := s.machineIDs(ctx, req.SpaceID, env, req.SpecificMachineNames)
		if err != nil {
			return nil, err
		}
		excluded, err := s.machineIDs(ctx, req.SpaceID, env, req.ExcludedMachineNames)
		if err != nil {
			return nil, err
		}
		d := &app.Deployment{SpaceID: req.SpaceID, ReleaseID: rel.ID, EnvironmentID: env.ID,
			DeploymentOptions: app.DeploymentOptions{SpecificMachineIDs: specific, ExcludedMachineIDs: excluded,
				SkipActions: req.SkipStepNames, UseGuidedFailure: req.UseGuidedFailure,
				ForcePackageRedeployment: req.ForcePackageRedeployment, FormValues: req.Variables,
				QueueTime: req.RunAt, QueueTimeExpiry: req.NoRunAfter}}
		p, err := s.prepare(ctx, d)
		if err != nil {
			return nil, err
		}
		all = append(all, p)
	}
	var out []*app.Deployment
	for _, p := range all {
		if err := s.Store.CreateDeployment(ctx, p.dep, p.task); err != nil {
			s.wake()
			return out, err
		}
		out = append(out, p.dep)
	}
	s.wake()
	return out, nil
}

// environment finds an environment by ID or name.
func (s *Service) environment(ctx context.Context, spaceID, nameOrID string) (*app.Environment, error) {
	if e, err := s.Environments.FindEnvironmentByID(ctx, spaceID, nameOrID); err == nil {
		return e, nil
	}
	list, _, err := s.Environments.FindEnvironments(ctx, app.Filter{SpaceID: spaceID, Name: nameOrID})
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, app.Invalid(fmt.Sprintf("The environment '%s' does not exist.", nameOrID))
	}
	return list[0], nil
}

// machineIDs resolves machine names (or IDs) among env's machines.
func (s *Service) machineIDs(ctx context.Context, spaceID string, env *app.Environment, names []string) ([]string, error) {
	if len(names) == 0 {
		return nil, nil
	}
	machines, _, err := s.Machines.FindMachines(ctx, app.MachineFilter{Filter: app.Filter{SpaceID: spaceID}, EnvironmentIDs: []string{env.ID}})
	if err != nil {
		return nil, err
	}
	var out []string
	for _, n := range names {
		found := ""
		for _, m := range machines {
			if strings.EqualFold(m.Name, n) || strings.EqualFold(m.ID, n) {
				found = m.ID
				break
			}
		}
		if found == "" {
			return nil, app.Invalid(fmt.Sprintf("The machine '%s' is not a target in the environment '%s'.", n, env.Name))
		}
		out = append(out, found)
	}
	return out, nil
}

// formValues checks prompted variable values against the release's
// variable snapshot and returns them keyed by variable name. A value may be
// given by the variable's name (the octopus CLI's --variable Name:Value),
// its prompt label (what octo.exe used), or its ID (the REST Deployment's
// FormValues, as the Octopus portal sends them). A value for anything that
// is not a prompted variable of the release is refused: deploying must not
// let a deployer override variables that only editors may change. A
// required prompt that applies to the environment (unscoped, or scoped to
// it) must end up with a non-blank value: a value given must not be blank,
// and when none is given the variable's own (non-sensitive, non-blank)
// value is the default the portal's form shows pre-filled; else nothing is
// created.
func formValues(rel *app.Release, envID string, given map[string]string) (map[string]string, error) {
	if len(given) == 0 && !hasRequiredPrompt(rel) {
		return given, nil
	}
	out := make(map[string]string, len(given))
	prompted := map[string]string{} // lower-cased ID, label or name → name
	var names []string
	for pass := range 2 { // labels and IDs first, so that a name wins a clash with another's label
		for _, src := range rel.Variables {
			for _, v := range src.Variables {
				switch {
				case v.Prompt == nil:
				case pass == 0:
					for _, key := range []string{v.ID, v.Prompt.Label} {
						if key != "" {
							prompted[strings.ToLower(key)] = v.Name
						}
					}
				case !app.ContainsFold(names, v.Name):
					prompted[strings.ToLower(v.Name)] = v.Name
					names = append(names, v.Name)
				}
			}
		}
	}
	var problems []string
	for k, v := range given {
		name, ok := prompted[strings.ToLower(k)]
		if !ok {
			problems = append(problems, notPrompted(k, rel.Version, names))
			continue
		}
		out[name] = v
	}
	sort.Strings(problems)
	unknown := len(problems)
	seen := map[string]bool{}
	for _, src := range rel.Variables {
		for _, v := range src.Variables {
			if v.Prompt == nil || !v.Prompt.Required || seen[strings.ToLower(v.Name)] {
				continue
			}
			if len(v.Scope.Environment) > 0 && !app.ContainsFold(v.Scope.Environment, envID) {
				continue
			}
			seen[strings.ToLower(v.Name)] = true
			value, ok := lookupFold(out, v.Name)
			if !ok && !v.IsSensitive && strings.TrimSpace(v.Value) != "" {
				continue // its default applies
			}
			if strings.TrimSpace(value) == "" {
				label := v.Prompt.Label
				if label == "" {
					label = v.Name
				}
				problems = append(problems, fmt.Sprintf("The prompted variable '%s' (%s) is required: give it a value.", v.Name, label))
			}
		}
	}
	switch {
	case len(problems) > unknown:
		return nil, app.Invalid("A required prompted variable has no value.", problems...)
	case unknown > 0:
		return nil, app.Invalid("A value was given for a variable the release does not prompt for.", problems...)
	}
	return out, nil
}

// notPrompted explains a value given for a name that is not a prompted
// variable of the release.
func notPrompted(name, version string, prompted []string) string {
	if len(prompted) == 0 {
		return fmt.Sprintf("'%s' is not a prompted variable: release %s prompts for none.", name, version)
	}
	return fmt.Sprintf("'%s' is not a prompted variable of release %s; it prompts for %s.", name, version, quoteList(prompted))
}

// quoteList writes names as 'a', 'b' and 'c'.
func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = "'" + n + "'"
	}
	if len(q) == 1 {
		return q[0]
	}
	return strings.Join(q[:len(q)-1], ", ") + " and " + q[len(q)-1]
}

func hasRequiredPrompt(rel *app.Release) bool {
	for _, src := range rel.Variables {
		for _, v := range src.Variables {
			if v.Prompt != nil && v.Prompt.Required {
				return true
			}
		}
	}
	return false
}

func lookupFold(m map[string]string, name string) (string, bool) {
	if v, ok := m[name]; ok {
		return v, true
	}
	for k, v := range m {
		if strings.EqualFold(k, name) {
			return v, true
		}
	}
	return "", false
}

// splitSensitive moves the values of the release's sensitive variables out
// of forms, so that storage keeps them encrypted.
func splitSensitive(rel *app.Release, forms map[string]string) (plain, sensitive map[string]string) {
	for name, v := range forms {
		if isSensitiveVariable(rel, name) {
			if sensitive == nil {
				sensitive = map[string]string{}
			}
			sensitive[name] = v
			continue
		}
		if plain == nil {
			plain = map[string]string{}
		}
		plain[name] = v
	}
	return plain, sensitive
}

func isSensitiveVariable(rel *app.Release, name string) bool {
	for _, src := range rel.Variables {
		for _, v := range src.Variables {
			if strings.EqualFold(v.Name, name) && v.IsSensitive {
				return true
			}
		}
	}
	return false
}
