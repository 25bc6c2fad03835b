package app

import "context"

// DashboardCell is the newest deployment of one project to one
// environment, with its task: one cell of the dashboard matrix.
type DashboardCell struct {
	// Deployment has its IDs and Created; Task its IDs, state and times
	// (not the options or arguments: the dashboard reads only what it shows).
	Deployment *Deployment
	Task       *Task
	// ReleaseVersion is the version of the deployment's release.
	ReleaseVersion string
}

// DashboardService computes the dashboard in one query.
type DashboardService interface {
	// LatestDeployments returns, for each of projectIDs × environmentIDs
	// that was ever deployed, the newest deployment with its task and
	// release version, keyed by project ID then environment ID. It reads
	// each project's deployments newest first and stops as soon as every
	// environment has one, so its cost follows the matrix, not the history.
	LatestDeployments(ctx context.Context, spaceID string, projectIDs, environmentIDs []string) (map[string]map[string]*DashboardCell, error)
}
