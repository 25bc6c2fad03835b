package storage

import (
	"context"
	"maps"
	"strings"

	"github.com/argonautdeploy/argonaut/app"
	"github.com/dgraph-io/badger/v4"
)

// stepsToApp converts stored steps to domain steps (deep copies).
func stepsToApp(in []stepRecord) []app.Step {
	out := make([]app.Step, 0, len(in))
	for _, s := range in {
		st := app.Step{ID: s.ID, Name: s.Name, Condition: s.Condition, StartTrigger: s.StartTrigger,
			PackageRequirement: s.PackageRequirement, Properties: copyMap(s.Properties), Actions: []app.Action{}}
		for _, a := range s.Actions {
			aa := app.Action{ID: a.ID, Name: a.Name, ActionType: a.ActionType, IsDisabled: a.IsDisabled,
				IsRequired: a.IsRequired, Environments: orEmpty(a.Environments), ExcludedEnvironments: orEmpty(a.ExcludedEnvironments),
				Channels: orEmpty(a.Channels), TenantTags: orEmpty(a.TenantTags), Packages: []app.PackageReference{},
				Properties: copyMap(a.Properties)}
			for _, p := range a.Packages {
				aa.Packages = append(aa.Packages, app.PackageReference{ID: p.ID, Name: p.Name, PackageID: p.PackageID,
					FeedID: p.FeedID, AcquisitionLocation: p.AcquisitionLocation, Properties: copyMap(p.Properties)})
			}
			st.Actions = append(st.Actions, aa)
		}
		out = append(out, st)
	}
	return out
}

// stepsFromApp converts domain steps to stored steps (deep copies).
func stepsFromApp(in []app.Step) []stepRecord {
	out := make([]stepRecord, 0, len(in))
	for _, s := range in {
		st := stepRecord{ID: s.ID, Name: s.Name, Condition: s.Condition, StartTrigger: s.StartTrigger,
			PackageRequirement: s.PackageRequirement, Properties: copyMap(s.Properties)}
		for _, a := range s.Actions {
			ar := actionRecord{ID: a.ID, Name: a.Name, ActionType: a.ActionType, IsDisabled: a.IsDisabled,
				IsRequired: a.IsRequired, Environments: a.Environments, ExcludedEnvironments: a.ExcludedEnvironments,
				Channels: a.Channels, TenantTags: a.TenantTags, Properties: copyMap(a.Properties)}
			for _, p := range a.Packages {
				ar.Packages = append(ar.Packages, packageRecord{ID: p.ID, Name: p.Name, PackageID: p.PackageID,
					FeedID: p.FeedID, AcquisitionLocation: p.AcquisitionLocation, Properties: copyMap(p.Properties)})
			}
			st.Actions = append(st.Actions, ar)
		}
		out = append(out, st)
	}
	return out
}

func copyMap(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	maps.Copy(out, m)
	return out
}

func (r *processRecord) toApp(n uint64) *app.DeploymentProcess {
	pid := app.FormatID(app.KindProject, n)
	return &app.DeploymentProcess{ID: app.DeploymentProcessID(pid), SpaceID: r.SpaceID, ProjectID: pid,
		Version: r.Version, Steps: stepsToApp(r.Steps), Audit: r.audit()}
}

// parseProcessID resolves "deploymentprocess-Projects-N" to N.
func parseProcessID(id string) (uint64, error) {
	projectID, ok := strings.CutPrefix(strings.TrimSpace(id), "deploymentprocess-")
	n, ok2 := app.ParseID(app.KindProject, projectID)
	if !ok || !ok2 {
		return 0, app.NotFound(id)
	}
	return n, nil
}

func loadProcess(txn *badger.Txn, spaceID, id string, n uint64) (*processRecord, error) {
	var r processRecord
	if err := processes.get(txn, n, id, &r); err != nil {
		return nil, err
	}
	if spaceID != "" && r.SpaceID != spaceID {
		return nil, app.NotFound(id)
	}
	return &r, nil
}

// FindDeploymentProcessByID implements app.ProcessService.
func (d *DB) FindDeploymentProcessByID(ctx context.Context, spaceID, id string) (*app.DeploymentProcess, error) {
	n, err := parseProcessID(id)
	if err != nil {
		return nil, err
	}
	var out *app.DeploymentProcess
	err = d.view(func(txn *badger.Txn) error {
		r, err := loadProcess(txn, spaceID, id, n)
		if err == nil {
			out = r.toApp(n)
		}
		return err
	})
	return out, err
}

// UpdateDeploymentProcess implements app.ProcessService.
func (d *DB) UpdateDeploymentProcess(ctx context.Context, dp *app.DeploymentProcess) error {
	n, err := parseProcessID(dp.ID)
	if err != nil {
		return err
	}
	dp.ProjectID = app.FormatID(app.KindProject, n)
	if err := dp.Validate(); err != nil {
		return err
	}
	now := d.now().UTC()
	_, by := app.ActorName(ctx)
	var out *app.DeploymentProcess
	err = d.update(ctx, func(txn *badger.Txn) error {
		old, err := loadProcess(txn, dp.SpaceID, dp.ID, n)
		if err != nil {
			return err
		}
		if dp.Version != old.Version {
			return app.Errorf(app.ECONFLICT, "The deployment process has been modified by someone else (version %d, you sent %d). Reload it and apply your changes again.", old.Version, dp.Version)
		}
		var proj projectRecord
		if err := projects.get(txn, n, "", &proj); err != nil {
			return err
		}
		if err := checkProcessRefs(txn, old.SpaceID, dp); err != nil {
			return err
		}
		rec := &processRecord{V: schemaVersion, SpaceID: old.SpaceID, Version: old.Version + 1, Steps: stepsFromApp(dp.Steps)}
		rec.stamp(old.Created, now, by)
		if err := setJSON(txn, objKey(kindProcess, n), rec); err != nil {
			return err
		}
		out = rec.toApp(n)
		return d.audit(ctx, txn, old.SpaceID, app.EventModified, "Deployment process of project "+proj.Name+" was modified",
			app.FormatID(app.KindProject, n), app.DeploymentProcessID(app.FormatID(app.KindProject, n)))
	})
	if err != nil {
		return err
	}
	*dp = *out
	return nil
}

// checkProcessRefs requires the environments and channels actions name to exist.
func checkProcessRefs(txn *badger.Txn, spaceID string, dp *app.DeploymentProcess) error {
	var missing []string
	for _, s := range dp.Steps {
		for _, a := range s.Actions {
			for _, e := range append(append([]string{}, a.Environments...), a.ExcludedEnvironments...) {
				if _, _, err := findRecord[environmentRecord](txn, environmentKind, spaceID, e); err != nil {
					missing = append(missing, "Step '"+s.Name+"': the environment '"+e+"' does not exist.")
				}
			}
			for _, c := range a.Channels {
				n, err := parseID(app.KindChannel, c)
				var ch channelRecord
				if err == nil {
					err = channels.get(txn, n, c, &ch)
				}
				if err != nil || ch.ProjectID != dp.ProjectID {
					missing = append(missing, "Step '"+s.Name+"': the channel '"+c+"' does not exist in this project.")
				}
			}
		}
	}
	if len(missing) > 0 {
		return app.Invalid("There was a problem with your request: the deployment process is not valid.", missing...)
	}
	return nil
}
