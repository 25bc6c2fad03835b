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

// releaseRecord is the stored form of app.Release, snapshot included. The
// variable snapshot holds variableRecords exactly as stored in their sets:
// sensitive values stay sealed (the seal's associated data is the variable
// ID, which the copy keeps), so a snapshot never holds a secret in clear.
type releaseRecord struct {
	V            int                     `json:"v"`
	SpaceID      string                  `json:"space_id"`
	ProjectID    string                  `json:"project_id"`
	ChannelID    string                  `json:"channel_id"`
	Version      string                  `json:"version"`
	ReleaseNotes string                  `json:"release_notes,omitempty"`
	Assembled    time.Time               `json:"assembled"`
	Packages     []selectedPackageRecord `json:"packages,omitempty"`
	Process      processSnapshotRecord   `json:"process"`
	Variables    []variableSourceRecord  `json:"variables"`
	stamps
}

type selectedPackageRecord struct {
	ActionName string `json:"action_name"`
	StepName   string `json:"step_name"`
	Reference  string `json:"reference,omitempty"`
	Version    string `json:"version"`
}

type processSnapshotRecord struct {
	Version int          `json:"version"`
	Steps   []stepRecord `json:"steps"`
}

type variableSourceRecord struct {
	SetID     string           `json:"set_id"`
	Library   bool             `json:"library,omitempty"`
	Variables []variableRecord `json:"variables"`
}

func (r *releaseRecord) space() string { return r.SpaceID }
func (r *releaseRecord) label() string { return r.Version }

func (r *releaseRecord) indexes() []indexEntry {
	return append([]indexEntry{
		{unique: true, name: "version", value: r.ProjectID + "/" + r.Version,
			conflict: fmt.Sprintf("A release with the version '%s' already exists in this project.", r.Version)},
		{name: "project", value: r.ProjectID},
		{name: "channel", value: r.ChannelID},
	}, r.packageIndexes()...)
}

var (
	releases    = table{kind: app.KindRelease}
	releaseKind = kindOf{tbl: releases, what: "Release"}
)

func (d *DB) releaseToApp(n uint64, r *releaseRecord, reveal bool) (*app.Release, error) {
	out := &app.Release{ID: app.FormatID(app.KindRelease, n), SpaceID: r.SpaceID, ProjectID: r.ProjectID,
		ChannelID: r.ChannelID, Version: r.Version, ReleaseNotes: r.ReleaseNotes, Assembled: r.Assembled,
		SelectedPackages: []app.SelectedPackage{}, Audit: r.audit(),
		Process: app.DeploymentProcess{ID: app.DeploymentProcessID(r.ProjectID), SpaceID: r.SpaceID, ProjectID: r.ProjectID,
			Version: r.Process.Version, Steps: stepsToApp(r.Process.Steps)}}
	for _, p := range r.Packages {
		out.SelectedPackages = append(out.SelectedPackages, app.SelectedPackage{ActionName: p.ActionName,
			StepName: p.StepName, PackageReferenceName: p.Reference, Version: p.Version})
	}
	for _, src := range r.Variables {
		set, err := d.setToApp(setRef{}, &variableSetRecord{Variables: src.Variables}, reveal)
		if err != nil {
			return nil, err
		}
		out.Variables = append(out.Variables, app.VariableSource{SetID: src.SetID, Library: src.Library, Variables: set.Variables})
	}
	return out, nil
}

// snapshotVariables copies the project's variable set and its included
// library sets, as stored (sealed values stay sealed).
func snapshotVariables(txn *badger.Txn, pn uint64, p *projectRecord) ([]variableSourceRecord, error) {
	var own variableSetRecord
	if err := variableSets.get(txn, pn, "", &own); err != nil {
		return nil, err
	}
	projectID := app.FormatID(app.KindProject, pn)
	out := []variableSourceRecord{{SetID: app.VariableSetID(projectID), Variables: orEmpty(own.Variables)}}
	for _, lid := range p.LibraryVariableSetIDs {
		n, err := parseID(app.KindLibraryVariableSet, lid)
		if err != nil {
			return nil, err
		}
		var lib variableSetRecord
		if err := libraryVariables.get(txn, n, lid, &lib); err != nil {
			return nil, err
		}
		out = append(out, variableSourceRecord{SetID: app.VariableSetID(app.FormatID(app.KindLibraryVariableSet, n)),
			Library: true, Variables: orEmpty(lib.Variables)})
	}
	return out, nil
}

// CreateRelease implements app.ReleaseService: the release, the snapshot of
// the process and variables, its indexes and the audit event commit in one
// transaction, so the snapshot is exactly the project as it was at that moment.
func (d *DB) CreateRelease(ctx context.Context, r *app.Release) error {
	r.Version = strings.TrimSpace(r.Version)
	if err := r.Validate(); err != nil {
		return err
	}
	rec := &releaseRecord{V: schemaVersion, SpaceID: r.SpaceID, ProjectID: r.ProjectID, ChannelID: r.ChannelID,
		Version: r.Version, ReleaseNotes: r.ReleaseNotes, Assembled: d.now().UTC()}
	for _, p := range r.SelectedPackages {
		rec.Packages = append(rec.Packages, selectedPackageRecord{ActionName: p.ActionName, StepName: p.StepName,
			Reference: p.PackageReferenceName, Version: p.Version})
	}
	n, err := createRecord(ctx, d, releaseKind, rec, func(txn *badger.Txn, _ uint64) error {
		pn, proj, err := findRecord[projectRecord](txn, projectKind, rec.SpaceID, rec.ProjectID)
		if err != nil {
			return app.Invalid("The project '" + rec.ProjectID + "' does not exist.")
		}
		rec.ProjectID = app.FormatID(app.KindProject, pn)
		if rec.ChannelID, err = releaseChannel(txn, rec.ProjectID, rec.ChannelID); err != nil {
			return err
		}
		var proc processRecord
		if err := processes.get(txn, pn, "", &proc); err != nil {
			return err
		}
		rec.Process = processSnapshotRecord{Version: proc.Version, Steps: orEmpty(proc.Steps)}
		if rec.Variables, err = snapshotVariables(txn, pn, proj); err != nil {
			return err
		}
		return touchReferencedPackages(txn, rec)
	})
	if err != nil {
		return err
	}
	out, err := d.releaseToApp(n, rec, false)
	if err != nil {
		return err
	}
	*r = *out
	return nil
}

// releaseChannel returns channelID after checking it belongs to the
// project, or the project's default channel when channelID is "".
func releaseChannel(txn *badger.Txn, projectID, channelID string) (string, error) {
	if channelID != "" {
		n, err := parseID(app.KindChannel, channelID)
		var ch channelRecord
		if err == nil {
			err = channels.get(txn, n, channelID, &ch)
		}
		if err != nil || !strings.EqualFold(ch.ProjectID, projectID) {
			return "", app.Invalid("The channel '" + channelID + "' does not exist in this project.")
		}
		return app.FormatID(app.KindChannel, n), nil
	}
	ns, err := channels.referenced(txn, "project", projectID)
	if err != nil {
		return "", err
	}
	first := ""
	for _, n := range ns {
		var ch channelRecord
		if err := channels.get(txn, n, "", &ch); err != nil {
			return "", err
		}
		if ch.IsDefault {
			return app.FormatID(app.KindChannel, n), nil
		}
		if first == "" {
			first = app.FormatID(app.KindChannel, n)
		}
	}
	if first == "" {
		return "", app.Invalid("The project has no channel.")
	}
	return first, nil
}

// FindReleaseByID implements app.ReleaseService.
func (d *DB) FindReleaseByID(ctx context.Context, spaceID, id string) (*app.Release, error) {
	return d.findRelease(spaceID, id, false)
}

func (d *DB) findRelease(spaceID, id string, reveal bool) (*app.Release, error) {
	var out *app.Release
	err := d.view(func(txn *badger.Txn) error {
		n, r, err := findRecord[releaseRecord](txn, releaseKind, spaceID, id)
		if err != nil {
			return err
		}
		out, err = d.releaseToApp(n, r, reveal)
		return err
	})
	return out, err
}

// RevealReleaseVariables implements app.ReleaseService.
func (d *DB) RevealReleaseVariables(ctx context.Context, spaceID, id string) ([]app.VariableSource, error) {
	r, err := d.findRelease(spaceID, id, true)
	if err != nil {
		return nil, err
	}
	return r.Variables, nil
}

// FindReleaseByVersion implements app.ReleaseService.
func (d *DB) FindReleaseByVersion(ctx context.Context, spaceID, projectID, version string) (*app.Release, error) {
	var out *app.Release
	err := d.view(func(txn *badger.Txn) error {
		n, ok, err := releases.lookup(txn, "version", projectID+"/"+strings.TrimSpace(version))
		if err != nil {
			return err
		}
		if !ok {
			return app.NotFound(version)
		}
		var r releaseRecord
		if err := releases.get(txn, n, version, &r); err != nil {
			return err
		}
		if spaceID != "" && r.SpaceID != spaceID {
			return app.NotFound(version)
		}
		out, err = d.releaseToApp(n, &r, false)
		return err
	})
	return out, err
}

// FindReleases implements app.ReleaseService: newest first. A project or
// channel filter reads only that index.
func (d *DB) FindReleases(ctx context.Context, f app.ReleaseFilter) ([]*app.Release, int, error) {
	var out []*app.Release
	keep := func(n uint64, r *releaseRecord) error {
		if f.SpaceID != "" && r.SpaceID != f.SpaceID {
			return nil
		}
		if f.ChannelID != "" && !strings.EqualFold(r.ChannelID, f.ChannelID) {
			return nil
		}
		if f.ProjectID != "" && !strings.EqualFold(r.ProjectID, f.ProjectID) {
			return nil
		}
		a, err := d.releaseToApp(n, r, false)
		if err != nil {
			return err
		}
		if f.Matches(a.ID, a.Version) {
			out = append(out, a)
		}
		return nil
	}
	err := d.view(func(txn *badger.Txn) error {
		index, value := "project", f.ProjectID
		if f.ChannelID != "" {
			index, value = "channel", f.ChannelID
		}
		if value == "" {
			return scan(txn, app.KindRelease, keep)
		}
		ns, err := releases.referenced(txn, index, value)
		if err != nil {
			return err
		}
		for _, n := range ns {
			var r releaseRecord
			if err := releases.get(txn, n, "", &r); err != nil {
				return err
			}
			if err := keep(n, &r); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, 0, fmt.Errorf("storage: find releases: %w", err)
	}
	slices.Reverse(out)
	page, total := app.Page(out, f.Skip, f.Take)
	return page, total, nil
}

// SnapshotReleaseVariables implements app.ReleaseService.
func (d *DB) SnapshotReleaseVariables(ctx context.Context, spaceID, id string) (*app.Release, error) {
	now := d.now().UTC()
	_, by := app.ActorName(ctx)
	var out *app.Release
	err := d.update(ctx, func(txn *badger.Txn) error {
		n, r, err := findRecord[releaseRecord](txn, releaseKind, spaceID, id)
		if err != nil {
			return err
		}
		pn, proj, err := findRecord[projectRecord](txn, projectKind, r.SpaceID, r.ProjectID)
		if err != nil {
			return err
		}
		if r.Variables, err = snapshotVariables(txn, pn, proj); err != nil {
			return err
		}
		r.stamp(r.Created, now, by)
		if err := setJSON(txn, objKey(app.KindRelease, n), r); err != nil {
			return err
		}
		if out, err = d.releaseToApp(n, r, false); err != nil {
			return err
		}
		return d.audit(ctx, txn, r.SpaceID, app.EventModified, "Variable snapshot of release "+r.Version+" of project "+proj.Name+" was updated",
			out.ID, r.ProjectID)
	})
	return out, err
}

// DeleteRelease implements app.ReleaseService.
func (d *DB) DeleteRelease(ctx context.Context, spaceID, id string) error {
	return deleteRecord[releaseRecord](ctx, d, releaseKind, spaceID, id, nil)
}

// deleteProjectReleases removes every release of a project, inside the
// project's delete transaction.
func deleteProjectReleases(txn *badger.Txn, projectID string) error {
	ns, err := releases.referenced(txn, "project", projectID)
	if err != nil {
		return err
	}
	for _, n := range ns {
		var r releaseRecord
		if err := releases.get(txn, n, "", &r); err != nil {
			return err
		}
		if err := releases.remove(txn, n, &r); err != nil {
			return err
		}
	}
	return nil
}
