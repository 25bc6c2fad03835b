package storage

import (
	"context"
	"fmt"
	"time"

	"github.com/argonautdeploy/argonaut/app"
	"github.com/dgraph-io/badger/v4"
)

// spaceRecord is the stored form of app.Space.
type spaceRecord struct {
	V                int       `json:"v"`
	Name             string    `json:"name"`
	Description      string    `json:"description,omitempty"`
	IsDefault        bool      `json:"is_default,omitempty"`
	TaskQueueStopped bool      `json:"task_queue_stopped,omitempty"`
	Created          time.Time `json:"created"`
}

func (r *spaceRecord) indexes() []indexEntry {
	return []indexEntry{{unique: true, name: "name", value: r.Name,
		conflict: fmt.Sprintf("A space with the name '%s' already exists.", r.Name)}}
}

func (r *spaceRecord) toApp(n uint64) *app.Space {
	return &app.Space{ID: app.FormatID(app.KindSpace, n), Name: r.Name, Description: r.Description,
		IsDefault: r.IsDefault, TaskQueueStopped: r.TaskQueueStopped,
		Audit: app.Audit{Created: r.Created, LastModifiedOn: r.Created}}
}

var spaces = table{kind: app.KindSpace}

// FindSpaceByID implements app.SpaceService.
func (d *DB) FindSpaceByID(ctx context.Context, id string) (*app.Space, error) {
	n, err := parseID(app.KindSpace, id)
	if err != nil {
		return nil, err
	}
	var r spaceRecord
	if err := d.view(func(txn *badger.Txn) error { return spaces.get(txn, n, id, &r) }); err != nil {
		return nil, err
	}
	return r.toApp(n), nil
}

// FindSpaces implements app.SpaceService.
func (d *DB) FindSpaces(ctx context.Context, f app.Filter) ([]*app.Space, int, error) {
	var out []*app.Space
	err := d.view(func(txn *badger.Txn) error {
		return scan(txn, app.KindSpace, func(n uint64, r *spaceRecord) error {
			if s := r.toApp(n); f.Matches(s.ID, s.Name) {
				out = append(out, s)
			}
			return nil
		})
	})
	if err != nil {
		return nil, 0, fmt.Errorf("storage: find spaces: %w", err)
	}
	page, total := app.Page(out, f.Skip, f.Take)
	return page, total, nil
}

// requireSpace fails with EINVALID unless spaceID names an existing space.
func requireSpace(txn *badger.Txn, spaceID string) error {
	n, ok := app.ParseID(app.KindSpace, spaceID)
	if !ok {
		return app.Invalid("Unknown space '" + spaceID + "'.")
	}
	if ok, err := exists(txn, objKey(app.KindSpace, n)); err != nil {
		return err
	} else if !ok {
		return app.Invalid("Unknown space '" + spaceID + "'.")
	}
	return nil
}
