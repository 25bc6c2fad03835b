package storage

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/argonautdeploy/argonaut/app"
	"github.com/dgraph-io/badger/v4"
)

// LatestDeployments implements app.DashboardService in one read
// transaction: per project, the deployment index (keys only) newest first,
// decoding records only until every wanted environment has its newest one;
// then the tasks and release versions of the cells found.
func (d *DB) LatestDeployments(ctx context.Context, spaceID string, projectIDs, environmentIDs []string) (map[string]map[string]*app.DashboardCell, error) {
	wanted := map[string]bool{}
	for _, e := range environmentIDs {
		wanted[strings.ToLower(e)] = true
	}
	out := map[string]map[string]*app.DashboardCell{}
	versions := map[string]string{}
	err := d.view(func(txn *badger.Txn) error {
		for _, p := range projectIDs {
			if err := ctx.Err(); err != nil {
				return err
			}
			row := map[string]*app.DashboardCell{}
			// The project's index keys end in the deployment number: walk
			// them newest first, without values, until every environment
			// has its cell.
			prefix := idxPrefix(app.KindDeployment, "project", p)
			it := txn.NewIterator(badger.IteratorOptions{PrefetchValues: false, Prefix: prefix, Reverse: true})
			for it.Seek(append(slices.Clone(prefix), 0xff)); it.Valid() && len(row) < len(wanted); it.Next() {
				n := numAt(it.Item().Key())
				var r dashDeployment
				if err := deployments.get(txn, n, "", &r); err != nil {
					it.Close()
					return err
				}
				env := strings.ToLower(r.EnvironmentID)
				if !wanted[env] || row[env] != nil || !strings.EqualFold(r.SpaceID, spaceID) {
					continue
				}
				dep := &app.Deployment{ID: app.FormatID(app.KindDeployment, n), SpaceID: r.SpaceID, ProjectID: p,
					ReleaseID: r.ReleaseID, EnvironmentID: r.EnvironmentID, TenantID: r.TenantID, TaskID: r.TaskID, Created: r.Created}
				cell := &app.DashboardCell{Deployment: dep}
				if tn, ok := app.ParseID(app.KindTask, dep.TaskID); ok {
					var tr dashTask
					if err := tasks.get(txn, tn, dep.TaskID, &tr); err == nil {
						cell.Task = &app.Task{ID: dep.TaskID, SpaceID: tr.SpaceID, Name: tr.Name, State: app.TaskState(tr.State),
							StartTime: tr.StartTime, CompletedTime: tr.CompletedTime, ProjectID: tr.ProjectID,
							EnvironmentID: tr.EnvironmentID, TenantID: tr.TenantID, HasPendingInterruptions: tr.HasPendingInterruptions}
					}
				}
				if v, ok := versions[dep.ReleaseID]; ok {
					cell.ReleaseVersion = v
				} else if rel, err := releaseVersion(txn, spaceID, dep.ReleaseID); err == nil {
					versions[dep.ReleaseID], cell.ReleaseVersion = rel, rel
				}
				row[env] = cell
			}
			it.Close()
			if len(row) > 0 {
				byID := map[string]*app.DashboardCell{}
				for _, e := range environmentIDs {
					if c := row[strings.ToLower(e)]; c != nil {
						byID[e] = c
					}
				}
				out[p] = byID
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("storage: latest deployments: %w", err)
	}
	return out, nil
}

// dashDeployment and dashTask decode only what a dashboard cell shows:
// decoding whole records was most of the dashboard's time.
type dashDeployment struct {
	SpaceID       string    `json:"space_id"`
	ReleaseID     string    `json:"release_id"`
	EnvironmentID string    `json:"environment_id"`
	TenantID      string    `json:"tenant_id,omitempty"`
	TaskID        string    `json:"task_id"`
	Created       time.Time `json:"created"`
}

type dashTask struct {
	SpaceID                 string    `json:"space_id"`
	Name                    string    `json:"name"`
	State                   string    `json:"state"`
	StartTime               time.Time `json:"start_time,omitzero"`
	CompletedTime           time.Time `json:"completed_time,omitzero"`
	HasPendingInterruptions bool      `json:"has_pending_interruptions,omitempty"`
	ProjectID               string    `json:"project_id,omitempty"`
	EnvironmentID           string    `json:"environment_id,omitempty"`
	TenantID                string    `json:"tenant_id,omitempty"`
}

// releaseVersion reads the version of a release.
func releaseVersion(txn *badger.Txn, spaceID, id string) (string, error) {
	_, r, err := findRecord[releaseRecord](txn, releaseKind, spaceID, id)
	if err != nil {
		return "", err
	}
	return r.Version, nil
}
