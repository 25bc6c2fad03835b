package deployments

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/argonautdeploy/argonaut/app"
)

// Progression computes where rel stands in its lifecycle (the channel's,
// else the project's): the phases complete and the environments it may be
// deployed to now. Only successful deployments count toward a phase.
func (s *Service) Progression(ctx context.Context, rel *app.Release) (*app.Progression, error) {
	lc, err := s.lifecycle(ctx, rel)
	if err != nil {
		return nil, err
	}
	envs, _, err := s.Environments.FindEnvironments(ctx, app.Filter{SpaceID: rel.SpaceID})
	if err != nil {
		return nil, err
	}
	deps, _, err := s.Store.FindDeployments(ctx, app.DeploymentFilter{SpaceID: rel.SpaceID, ReleaseIDs: []string{rel.ID}})
	if err != nil {
		return nil, err
	}
	succeeded := map[string]bool{}
	for _, d := range deps {
		if d.TenantID != "" || succeeded[d.EnvironmentID] {
			continue
		}
		if t, err := s.Tasks.FindTaskByID(ctx, d.TaskID); err == nil && t.FinishedSuccessfully() {
			succeeded[d.EnvironmentID] = true
		}
	}
	return app.Progress(lc, envs, succeeded), nil
}

// lifecycle is the lifecycle that governs rel.
func (s *Service) lifecycle(ctx context.Context, rel *app.Release) (*app.Lifecycle, error) {
	id := ""
	if rel.ChannelID != "" {
		if ch, err := s.Channels.FindChannelByID(ctx, rel.SpaceID, rel.ChannelID); err == nil {
			id = ch.LifecycleID
		} else if app.ErrorCode(err) != app.ENOTFOUND {
			return nil, err
		}
	}
	if id == "" {
		proj, err := s.Projects.FindProjectByID(ctx, rel.SpaceID, rel.ProjectID)
		if err != nil {
			return nil, err
		}
		id = proj.LifecycleID
	}
	lc, err := s.Lifecycles.FindLifecycleByID(ctx, rel.SpaceID, id)
	if err != nil {
		if app.ErrorCode(err) == app.ENOTFOUND {
			return nil, app.Invalid(fmt.Sprintf("The lifecycle '%s' of release %s no longer exists.", id, rel.Version))
		}
		return nil, err
	}
	return lc, nil
}

// AutoDeploy deploys rel to every automatic environment of its lifecycle's
// open phases that has no deployment of it yet: at release creation (the
// first phase) and after each successful deployment (the phases it
// opened). Optional phases never deploy by themselves. Deployments it
// cannot create (a project disabled since, say) are reported together;
// the others are still created.
func (s *Service) AutoDeploy(ctx context.Context, rel *app.Release) ([]*app.Deployment, error) {
	prog, err := s.Progression(ctx, rel)
	if err != nil {
		return nil, err
	}
	auto := prog.AutomaticNow()
	if len(auto) == 0 {
		return nil, nil
	}
	deps, _, err := s.Store.FindDeployments(ctx, app.DeploymentFilter{SpaceID: rel.SpaceID, ReleaseIDs: []string{rel.ID}})
	if err != nil {
		return nil, err
	}
	var out []*app.Deployment
	var errs []error
	for _, envID := range auto {
		if hasDeploymentTo(deps, envID) {
			continue
		}
		d, err := s.CreateDeployment(ctx, &app.Deployment{SpaceID: rel.SpaceID, ReleaseID: rel.ID, EnvironmentID: envID,
			DeploymentOptions: app.DeploymentOptions{Comments: "Deployed automatically by the lifecycle '" + prog.LifecycleName + "'."}})
		if err != nil {
			errs = append(errs, fmt.Errorf("automatic deployment of release %s to %s: %w", rel.Version, envID, err))
			continue
		}
		out = append(out, d)
	}
	return out, errors.Join(errs...)
}

// AutoDeployAfter is AutoDeploy for the release of a deployment task that
// just finished successfully; other tasks are ignored.
func (s *Service) AutoDeployAfter(ctx context.Context, t *app.Task) ([]*app.Deployment, error) {
	if t.Name != app.TaskNameDeploy || !t.FinishedSuccessfully() {
		return nil, nil
	}
	// The task names its deployment: a lookup by ID, not a scan of every
	// deployment on each task's completion.
	dep, err := s.Store.FindDeploymentByID(ctx, t.SpaceID, t.Arguments[app.TaskArgDeploymentID])
	if err != nil {
		return nil, err
	}
	rel, err := s.Releases.FindReleaseByID(ctx, t.SpaceID, dep.ReleaseID)
	if err != nil {
		return nil, err
	}
	return s.AutoDeploy(ctx, rel)
}

// hasDeploymentTo reports whether one of deps is untenanted and to envID.
func hasDeploymentTo(deps []*app.Deployment, envID string) bool {
	for _, d := range deps {
		if d.TenantID == "" && strings.EqualFold(d.EnvironmentID, envID) {
			return true
		}
	}
	return false
}
