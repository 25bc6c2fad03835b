package storage

import (
	"context"
	"fmt"

	"github.com/argonautdeploy/argonaut/app"
	"github.com/dgraph-io/badger/v4"
)

type retentionRecord struct {
	QuantityToKeep    int    `json:"quantity_to_keep"`
	ShouldKeepForever bool   `json:"keep_forever,omitempty"`
	Unit              string `json:"unit"`
}

type phaseRecord struct {
	ID                string           `json:"id"`
	Name              string           `json:"name"`
	Automatic         []string         `json:"automatic,omitempty"`
	Optional          []string         `json:"optional,omitempty"`
	MinimumBefore     int              `json:"minimum_before_promotion,omitempty"`
	IsOptional        bool             `json:"is_optional,omitempty"`
	ReleaseRetention  *retentionRecord `json:"release_retention,omitempty"`
	TentacleRetention *retentionRecord `json:"tentacle_retention,omitempty"`
}

// lifecycleRecord is the stored form of app.Lifecycle.
type lifecycleRecord struct {
	V                 int             `json:"v"`
	SpaceID           string          `json:"space_id"`
	Name              string          `json:"name"`
	Slug              string          `json:"slug"`
	Description       string          `json:"description,omitempty"`
	Phases            []phaseRecord   `json:"phases,omitempty"`
	ReleaseRetention  retentionRecord `json:"release_retention"`
	TentacleRetention retentionRecord `json:"tentacle_retention"`
	stamps
}

func (r *lifecycleRecord) space() string { return r.SpaceID }
func (r *lifecycleRecord) label() string { return r.Name }

func (r *lifecycleRecord) indexes() []indexEntry {
	out := []indexEntry{{unique: true, name: "name", value: r.SpaceID + "/" + r.Name,
		conflict: fmt.Sprintf("A lifecycle with the name '%s' already exists.", r.Name)}}
	seen := map[string]bool{}
	for _, p := range r.Phases {
		for _, list := range [][]string{p.Automatic, p.Optional} {
			for _, env := range list {
				if !seen[fold(env)] {
					seen[fold(env)] = true
					out = append(out, indexEntry{name: "environment", value: env})
				}
			}
		}
	}
	return out
}

func retentionToApp(r retentionRecord) app.RetentionPolicy {
	return app.RetentionPolicy{QuantityToKeep: r.QuantityToKeep, ShouldKeepForever: r.ShouldKeepForever, Unit: r.Unit}
}

func retentionFromApp(r app.RetentionPolicy) retentionRecord {
	if r.Unit == "" {
		r.Unit = app.RetentionUnitDays
	}
	return retentionRecord{QuantityToKeep: r.QuantityToKeep, ShouldKeepForever: r.ShouldKeepForever, Unit: r.Unit}
}

func (r *lifecycleRecord) toApp(n uint64) *app.Lifecycle {
	l := &app.Lifecycle{ID: app.FormatID(app.KindLifecycle, n), SpaceID: r.SpaceID, Name: r.Name, Slug: r.Slug,
		Description: r.Description, ReleaseRetentionPolicy: retentionToApp(r.ReleaseRetention),
		TentacleRetentionPolicy: retentionToApp(r.TentacleRetention), Audit: r.audit(), Phases: []app.Phase{}}
	for _, p := range r.Phases {
		ph := app.Phase{ID: p.ID, Name: p.Name, AutomaticDeploymentTargets: orEmpty(p.Automatic),
			OptionalDeploymentTargets: orEmpty(p.Optional), MinimumEnvironmentsBeforePromotion: p.MinimumBefore,
			IsOptionalPhase: p.IsOptional}
		if p.ReleaseRetention != nil {
			rr := retentionToApp(*p.ReleaseRetention)
			ph.ReleaseRetentionPolicy = &rr
		}
		if p.TentacleRetention != nil {
			tr := retentionToApp(*p.TentacleRetention)
			ph.TentacleRetentionPolicy = &tr
		}
		l.Phases = append(l.Phases, ph)
	}
	return l
}

func lifecycleFromApp(l *app.Lifecycle) *lifecycleRecord {
	r := &lifecycleRecord{V: schemaVersion, SpaceID: l.SpaceID, Name: l.Name, Slug: app.Slugify(l.Name),
		Description: l.Description, ReleaseRetention: retentionFromApp(l.ReleaseRetentionPolicy),
		TentacleRetention: retentionFromApp(l.TentacleRetentionPolicy)}
	for i, p := range l.Phases {
		id := p.ID
		if id == "" {
			id = fmt.Sprintf("Phases-%d", i+1)
		}
		pr := phaseRecord{ID: id, Name: p.Name, Automatic: app.NormalizeList(p.AutomaticDeploymentTargets),
			Optional: app.NormalizeList(p.OptionalDeploymentTargets), MinimumBefore: p.MinimumEnvironmentsBeforePromotion,
			IsOptional: p.IsOptionalPhase}
		if p.ReleaseRetentionPolicy != nil {
			rr := retentionFromApp(*p.ReleaseRetentionPolicy)
			pr.ReleaseRetention = &rr
		}
		if p.TentacleRetentionPolicy != nil {
			tr := retentionFromApp(*p.TentacleRetentionPolicy)
			pr.TentacleRetention = &tr
		}
		r.Phases = append(r.Phases, pr)
	}
	return r
}

func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

var lifecycles = table{kind: app.KindLifecycle}
var lifecycleKind = kindOf{tbl: lifecycles, what: "Lifecycle"}

// FindLifecycleByID implements app.LifecycleService.
func (d *DB) FindLifecycleByID(ctx context.Context, spaceID, id string) (*app.Lifecycle, error) {
	var out *app.Lifecycle
	err := d.view(func(txn *badger.Txn) error {
		n, r, err := findRecord[lifecycleRecord](txn, lifecycleKind, spaceID, id)
		if err == nil {
			out = r.toApp(n)
		}
		return err
	})
	return out, err
}

// FindLifecycles implements app.LifecycleService.
func (d *DB) FindLifecycles(ctx context.Context, f app.Filter) ([]*app.Lifecycle, int, error) {
	out, err := findRecords(d, lifecycleKind, f.SpaceID, (*lifecycleRecord).toApp,
		func(l *app.Lifecycle) bool { return f.Matches(l.ID, l.Name) })
	if err != nil {
		return nil, 0, fmt.Errorf("storage: find lifecycles: %w", err)
	}
	page, total := app.Page(out, f.Skip, f.Take)
	return page, total, nil
}

// checkPhaseEnvironments requires every environment a phase names to exist in the space.
func checkPhaseEnvironments(txn *badger.Txn, r *lifecycleRecord) error {
	for _, p := range r.Phases {
		for _, list := range [][]string{p.Automatic, p.Optional} {
			for _, env := range list {
				if _, _, err := findRecord[environmentRecord](txn, environmentKind, r.SpaceID, env); err != nil {
					return app.Invalid("Phase '"+p.Name+"' names an unknown environment.", "Unknown environment '"+env+"'.")
				}
			}
		}
	}
	return nil
}

// CreateLifecycle implements app.LifecycleService.
func (d *DB) CreateLifecycle(ctx context.Context, l *app.Lifecycle) error {
	if err := l.Validate(); err != nil {
		return err
	}
	rec := lifecycleFromApp(l)
	n, err := createRecord(ctx, d, lifecycleKind, rec, func(txn *badger.Txn, _ uint64) error { return checkPhaseEnvironments(txn, rec) })
	if err != nil {
		return err
	}
	*l = *rec.toApp(n)
	return nil
}

// UpdateLifecycle implements app.LifecycleService.
func (d *DB) UpdateLifecycle(ctx context.Context, l *app.Lifecycle) error {
	if err := l.Validate(); err != nil {
		return err
	}
	rec := lifecycleFromApp(l)
	n, err := updateRecord(ctx, d, lifecycleKind, l.SpaceID, l.ID, rec, func(txn *badger.Txn, old *lifecycleRecord) error {
		rec.SpaceID = old.SpaceID
		return checkPhaseEnvironments(txn, rec)
	})
	if err != nil {
		return err
	}
	*l = *rec.toApp(n)
	return nil
}

// DeleteLifecycle implements app.LifecycleService.
func (d *DB) DeleteLifecycle(ctx context.Context, spaceID, id string) error {
	return deleteRecord(ctx, d, lifecycleKind, spaceID, id, func(txn *badger.Txn, n uint64, old *lifecycleRecord) error {
		users, err := projects.referenced(txn, "lifecycle", app.FormatID(app.KindLifecycle, n))
		if err != nil {
			return err
		}
		if len(users) > 0 {
			return app.Errorf(app.ECONFLICT, "The lifecycle '%s' cannot be deleted because %d project(s) use it.", old.Name, len(users))
		}
		return nil
	})
}
