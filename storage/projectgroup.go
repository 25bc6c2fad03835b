package storage

import (
	"context"
	"fmt"

	"github.com/argonautdeploy/argonaut/app"
	"github.com/dgraph-io/badger/v4"
)

// projectGroupRecord is the stored form of app.ProjectGroup.
type projectGroupRecord struct {
	V                 int    `json:"v"`
	SpaceID           string `json:"space_id"`
	Name              string `json:"name"`
	Slug              string `json:"slug"`
	Description       string `json:"description,omitempty"`
	RetentionPolicyID string `json:"retention_policy_id,omitempty"`
	stamps
}

func (r *projectGroupRecord) space() string { return r.SpaceID }
func (r *projectGroupRecord) label() string { return r.Name }

func (r *projectGroupRecord) indexes() []indexEntry {
	return []indexEntry{{unique: true, name: "name", value: r.SpaceID + "/" + r.Name,
		conflict: fmt.Sprintf("A project group with the name '%s' already exists.", r.Name)}}
}

func (r *projectGroupRecord) toApp(n uint64) *app.ProjectGroup {
	return &app.ProjectGroup{ID: app.FormatID(app.KindProjectGroup, n), SpaceID: r.SpaceID, Name: r.Name,
		Slug: r.Slug, Description: r.Description, RetentionPolicyID: r.RetentionPolicyID, Audit: r.audit()}
}

func projectGroupFromApp(g *app.ProjectGroup) *projectGroupRecord {
	return &projectGroupRecord{V: schemaVersion, SpaceID: g.SpaceID, Name: g.Name, Slug: app.Slugify(g.Name),
		Description: g.Description, RetentionPolicyID: g.RetentionPolicyID}
}

var projectGroups = table{kind: app.KindProjectGroup}
var projectGroupKind = kindOf{tbl: projectGroups, what: "Project group"}

// FindProjectGroupByID implements app.ProjectGroupService.
func (d *DB) FindProjectGroupByID(ctx context.Context, spaceID, id string) (*app.ProjectGroup, error) {
	var out *app.ProjectGroup
	err := d.view(func(txn *badger.Txn) error {
		n, r, err := findRecord[projectGroupRecord](txn, projectGroupKind, spaceID, id)
		if err == nil {
			out = r.toApp(n)
		}
		return err
	})
	return out, err
}

// FindProjectGroups implements app.ProjectGroupService.
func (d *DB) FindProjectGroups(ctx context.Context, f app.Filter) ([]*app.ProjectGroup, int, error) {
	out, err := findRecords(d, projectGroupKind, f.SpaceID, (*projectGroupRecord).toApp,
		func(g *app.ProjectGroup) bool { return f.Matches(g.ID, g.Name) })
	if err != nil {
		return nil, 0, fmt.Errorf("storage: find project groups: %w", err)
	}
	page, total := app.Page(out, f.Skip, f.Take)
	return page, total, nil
}

// CreateProjectGroup implements app.ProjectGroupService.
func (d *DB) CreateProjectGroup(ctx context.Context, g *app.ProjectGroup) error {
	if err := g.Validate(); err != nil {
		return err
	}
	rec := projectGroupFromApp(g)
	n, err := createRecord(ctx, d, projectGroupKind, rec, nil)
	if err != nil {
		return err
	}
	*g = *rec.toApp(n)
	return nil
}

// UpdateProjectGroup implements app.ProjectGroupService.
func (d *DB) UpdateProjectGroup(ctx context.Context, g *app.ProjectGroup) error {
	if err := g.Validate(); err != nil {
		return err
	}
	rec := projectGroupFromApp(g)
	n, err := updateRecord(ctx, d, projectGroupKind, g.SpaceID, g.ID, rec, func(_ *badger.Txn, old *projectGroupRecord) error {
		rec.SpaceID = old.SpaceID
		return nil
	})
	if err != nil {
		return err
	}
	*g = *rec.toApp(n)
	return nil
}

// DeleteProjectGroup implements app.ProjectGroupService.
func (d *DB) DeleteProjectGroup(ctx context.Context, spaceID, id string) error {
	return deleteRecord(ctx, d, projectGroupKind, spaceID, id, func(txn *badger.Txn, n uint64, old *projectGroupRecord) error {
		users, err := projects.referenced(txn, "group", app.FormatID(app.KindProjectGroup, n))
		if err != nil {
			return err
		}
		if len(users) > 0 {
			return app.Errorf(app.ECONFLICT, "The project group '%s' cannot be deleted because it contains %d project(s).", old.Name, len(users))
		}
		return nil
	})
}
