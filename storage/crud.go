package storage

import (
	"context"
	"time"

	"github.com/argonautdeploy/argonaut/app"
	"github.com/dgraph-io/badger/v4"
)

// spaced is implemented by pointers to the records of space-scoped kinds,
// so that create/update/delete bookkeeping is written once.
type spaced[R any] interface {
	*R
	record
	space() string
	label() string // the name shown in audit messages
	stamp(created, modified time.Time, by string)
	createdAt() time.Time
}

// kindOf describes one space-scoped kind for the generic helpers.
type kindOf struct {
	tbl  table
	what string // "Environment", used in audit messages
}

// findRecord loads the record id names, ENOTFOUND when it is missing or in another space.
func findRecord[R any, P spaced[R]](txn *badger.Txn, k kindOf, spaceID, id string) (uint64, P, error) {
	n, err := parseID(k.tbl.kind, id)
	if err != nil {
		return 0, nil, err
	}
	r := P(new(R))
	if err := k.tbl.get(txn, n, id, r); err != nil {
		return 0, nil, err
	}
	if spaceID != "" && r.space() != spaceID {
		return 0, nil, app.NotFound(id)
	}
	return n, r, nil
}

// createRecord numbers, stamps, indexes and audits rec in one transaction.
// prepare runs inside the transaction, before the insert, with the number
// the record will get (reference checks, defaults, owned records).
func createRecord[R any, P spaced[R]](ctx context.Context, d *DB, k kindOf, rec P, prepare func(txn *badger.Txn, n uint64) error) (uint64, error) {
	now := d.now().UTC()
	_, by := app.ActorName(ctx)
	var id uint64
	err := d.update(ctx, func(txn *badger.Txn) error {
		if err := requireSpace(txn, rec.space()); err != nil {
			return err
		}
		n, err := nextID(txn, k.tbl.kind)
		if err != nil {
			return err
		}
		if prepare != nil {
			if err := prepare(txn, n); err != nil {
				return err
			}
		}
		rec.stamp(now, now, by)
		if err := k.tbl.insert(txn, n, rec); err != nil {
			return err
		}
		id = n
		return d.audit(ctx, txn, rec.space(), app.EventCreated, k.what+" "+rec.label()+" was created", app.FormatID(k.tbl.kind, n))
	})
	return id, err
}

// updateRecord replaces the record id names with rec, keeping its space and
// creation time. prepare may check references and copy fields from old.
func updateRecord[R any, P spaced[R]](ctx context.Context, d *DB, k kindOf, spaceID, id string, rec P, prepare func(txn *badger.Txn, old P) error) (uint64, error) {
	now := d.now().UTC()
	_, by := app.ActorName(ctx)
	var id64 uint64
	err := d.update(ctx, func(txn *badger.Txn) error {
		n, old, err := findRecord[R, P](txn, k, spaceID, id)
		if err != nil {
			return err
		}
		if prepare != nil {
			if err := prepare(txn, old); err != nil {
				return err
			}
		}
		rec.stamp(old.createdAt(), now, by)
		if err := k.tbl.replace(txn, n, old, rec); err != nil {
			return err
		}
		id64 = n
		return d.audit(ctx, txn, rec.space(), app.EventModified, k.what+" "+rec.label()+" was modified", app.FormatID(k.tbl.kind, n))
	})
	return id64, err
}

// deleteRecord removes the record id names after check approves.
func deleteRecord[R any, P spaced[R]](ctx context.Context, d *DB, k kindOf, spaceID, id string, check func(txn *badger.Txn, n uint64, old P) error) error {
	return d.update(ctx, func(txn *badger.Txn) error {
		n, old, err := findRecord[R, P](txn, k, spaceID, id)
		if err != nil {
			return err
		}
		if check != nil {
			if err := check(txn, n, old); err != nil {
				return err
			}
		}
		if err := k.tbl.remove(txn, n, old); err != nil {
			return err
		}
		return d.audit(ctx, txn, old.space(), app.EventDeleted, k.what+" "+old.label()+" was deleted", app.FormatID(k.tbl.kind, n))
	})
}

// findRecords returns the records of one space (all spaces for "") that keep
// returns true for, in creation order.
func findRecords[R any, P spaced[R], A any](d *DB, k kindOf, spaceID string, conv func(r P, n uint64) A, keep func(a A) bool) ([]A, error) {
	var out []A
	err := d.view(func(txn *badger.Txn) error {
		return scan(txn, k.tbl.kind, func(n uint64, r *R) error {
			if spaceID != "" && P(r).space() != spaceID {
				return nil
			}
			if a := conv(P(r), n); keep == nil || keep(a) {
				out = append(out, a)
			}
			return nil
		})
	})
	return out, err
}

// stamps are the audit fields every space-scoped record embeds.
type stamps struct {
	Created    time.Time `json:"created"`
	Modified   time.Time `json:"modified"`
	ModifiedBy string    `json:"modified_by,omitempty"`
}

func (s *stamps) stamp(created, modified time.Time, by string) {
	s.Created, s.Modified, s.ModifiedBy = created, modified, by
}

func (s *stamps) createdAt() time.Time { return s.Created }

func (s *stamps) audit() app.Audit {
	return app.Audit{Created: s.Created, LastModifiedOn: s.Modified, LastModifiedBy: s.ModifiedBy}
}
