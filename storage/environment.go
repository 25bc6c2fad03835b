package storage

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/argonautdeploy/argonaut/app"
	"github.com/dgraph-io/badger/v4"
)

// environmentRecord is the stored form of app.Environment.
type environmentRecord struct {
	V                          int    `json:"v"`
	SpaceID                    string `json:"space_id"`
	Name                       string `json:"name"`
	Slug                       string `json:"slug"`
	Description                string `json:"description,omitempty"`
	SortOrder                  int    `json:"sort_order"`
	UseGuidedFailure           bool   `json:"use_guided_failure,omitempty"`
	AllowDynamicInfrastructure bool   `json:"allow_dynamic_infrastructure,omitempty"`
	stamps
}

func (r *environmentRecord) space() string { return r.SpaceID }
func (r *environmentRecord) label() string { return r.Name }

func (r *environmentRecord) indexes() []indexEntry {
	return []indexEntry{{unique: true, name: "name", value: r.SpaceID + "/" + r.Name,
		conflict: fmt.Sprintf("An environment with the name '%s' already exists.", r.Name)}}
}

func (r *environmentRecord) toApp(n uint64) *app.Environment {
	return &app.Environment{
		ID: app.FormatID(app.KindEnvironment, n), SpaceID: r.SpaceID, Name: r.Name, Slug: r.Slug,
		Description: r.Description, SortOrder: r.SortOrder, UseGuidedFailure: r.UseGuidedFailure,
		AllowDynamicInfrastructure: r.AllowDynamicInfrastructure, Audit: r.audit(),
	}
}

func environmentFromApp(e *app.Environment) *environmentRecord {
	slug := e.Slug
	if slug == "" {
		slug = app.Slugify(e.Name)
	}
	return &environmentRecord{
		V: schemaVersion, SpaceID: e.SpaceID, Name: e.Name, Slug: slug, Description: e.Description,
		SortOrder: e.SortOrder, UseGuidedFailure: e.UseGuidedFailure,
		AllowDynamicInfrastructure: e.AllowDynamicInfrastructure,
	}
}

var environments = table{kind: app.KindEnvironment}
var environmentKind = kindOf{tbl: environments, what: "Environment"}

// FindEnvironmentByID implements app.EnvironmentService.
func (d *DB) FindEnvironmentByID(ctx context.Context, spaceID, id string) (*app.Environment, error) {
	var out *app.Environment
	err := d.view(func(txn *badger.Txn) error {
		n, r, err := findRecord[environmentRecord](txn, environmentKind, spaceID, id)
		if err == nil {
			out = r.toApp(n)
		}
		return err
	})
	return out, err
}

// FindEnvironments implements app.EnvironmentService.
func (d *DB) FindEnvironments(ctx context.Context, f app.Filter) ([]*app.Environment, int, error) {
	out, err := findRecords(d, environmentKind, f.SpaceID, (*environmentRecord).toApp,
		func(e *app.Environment) bool { return f.Matches(e.ID, e.Name) })
	if err != nil {
		return nil, 0, fmt.Errorf("storage: find environments: %w", err)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].SortOrder < out[j].SortOrder })
	page, total := app.Page(out, f.Skip, f.Take)
	return page, total, nil
}

// CreateEnvironment implements app.EnvironmentService. A zero SortOrder puts
// the new environment last.
func (d *DB) CreateEnvironment(ctx context.Context, e *app.Environment) error {
	if err := e.Validate(); err != nil {
		return err
	}
	rec := environmentFromApp(e)
	// prepare may run more than once (conflict retries), so it starts from
	// the caller's SortOrder every time instead of the last attempt's.
	requested := rec.SortOrder
	n, err := createRecord(ctx, d, environmentKind, rec, func(txn *badger.Txn, _ uint64) error {
		rec.SortOrder = requested
		if rec.SortOrder != 0 {
			return nil
		}
		rec.SortOrder = 1
		return scan(txn, app.KindEnvironment, func(_ uint64, r *environmentRecord) error {
			if r.SpaceID == rec.SpaceID && r.SortOrder >= rec.SortOrder {
				rec.SortOrder = r.SortOrder + 1
			}
			return nil
		})
	})
	if err != nil {
		return err
	}
	*e = *rec.toApp(n)
	return nil
}

// UpdateEnvironment implements app.EnvironmentService.
func (d *DB) UpdateEnvironment(ctx context.Context, e *app.Environment) error {
	if err := e.Validate(); err != nil {
		return err
	}
	rec := environmentFromApp(e)
	n, err := updateRecord(ctx, d, environmentKind, e.SpaceID, e.ID, rec, func(txn *badger.Txn, old *environmentRecord) error {
		rec.SpaceID = old.SpaceID
		// Creation numbers environments from 1, so 0 means the client left
		// SortOrder out of its document: keep the position it had.
		if rec.SortOrder == 0 {
			rec.SortOrder = old.SortOrder
		}
		return nil
	})
	if err != nil {
		return err
	}
	*e = *rec.toApp(n)
	return nil
}

// DeleteEnvironment implements app.EnvironmentService. Environments that
// targets or lifecycles still use are kept, with a message naming the users.
func (d *DB) DeleteEnvironment(ctx context.Context, spaceID, id string) error {
	return deleteRecord(ctx, d, environmentKind, spaceID, id, func(txn *badger.Txn, n uint64, old *environmentRecord) error {
		canonical := app.FormatID(app.KindEnvironment, n)
		users, err := machines.referenced(txn, "environment", canonical)
		if err != nil {
			return err
		}
		if len(users) > 0 {
			names := make([]string, 0, len(users))
			for _, m := range users {
				var mr machineRecord
				if err := machines.get(txn, m, "", &mr); err == nil {
					names = append(names, mr.Name)
				}
			}
			return app.Errorf(app.ECONFLICT, "The environment '%s' cannot be deleted because %d deployment target(s) use it: %s.",
				old.Name, len(users), strings.Join(names, ", "))
		}
		if lcs, err := lifecycles.referenced(txn, "environment", canonical); err != nil {
			return err
		} else if len(lcs) > 0 {
			return app.Errorf(app.ECONFLICT, "The environment '%s' cannot be deleted because a lifecycle phase uses it.", old.Name)
		}
		return nil
	})
}

// ReorderEnvironments implements app.EnvironmentService.
func (d *DB) ReorderEnvironments(ctx context.Context, spaceID string, ids []string) error {
	now := d.now().UTC()
	_, by := app.ActorName(ctx)
	return d.update(ctx, func(txn *badger.Txn) error {
		pos := map[uint64]int{}
		for i, id := range ids {
			n, ok := app.ParseID(app.KindEnvironment, id)
			if !ok {
				return app.Invalid("Unknown environment '" + id + "'.")
			}
			if _, dup := pos[n]; dup {
				return app.Invalid("Environment '" + id + "' is listed twice.")
			}
			pos[n] = i + 1
		}
		type entry struct {
			n   uint64
			rec environmentRecord
		}
		var all []entry
		if err := scan(txn, app.KindEnvironment, func(n uint64, r *environmentRecord) error {
			if r.SpaceID == spaceID {
				all = append(all, entry{n, *r})
			}
			return nil
		}); err != nil {
			return err
		}
		if len(all) != len(ids) {
			return app.Invalid("The new order must list every environment of the space exactly once.")
		}
		for _, e := range all {
			p, ok := pos[e.n]
			if !ok {
				return app.Invalid("The new order must list every environment of the space exactly once.")
			}
			if e.rec.SortOrder == p {
				continue
			}
			updated := e.rec
			updated.SortOrder = p
			updated.stamp(e.rec.Created, now, by)
			if err := environments.replace(txn, e.n, &e.rec, &updated); err != nil {
				return err
			}
		}
		return d.audit(ctx, txn, spaceID, app.EventModified, "Environments were reordered", ids...)
	})
}
