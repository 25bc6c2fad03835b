package storage

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/argonautdeploy/argonaut/app"
	"github.com/dgraph-io/badger/v4"
)

// schemaVersion is written into every record ("v"); migrations bump it.
const schemaVersion = 1

// indexEntry is one secondary-index entry a record contributes.
type indexEntry struct {
	unique   bool
	name     string // index name within the kind ("name", "project", …)
	value    string // case-folded by the key codec
	conflict string // user-facing message when a unique entry is taken
}

// record is implemented by every stored struct.
type record interface {
	indexes() []indexEntry
}

// table performs the record + index bookkeeping shared by every kind. Each
// method works inside the caller's transaction so that one use case stays
// one transaction.
type table struct {
	kind string
}

func (t table) get(txn *badger.Txn, n uint64, id string, r any) error {
	return getJSON(txn, objKey(t.kind, n), id, r)
}

func (t table) insert(txn *badger.Txn, n uint64, r record) error {
	for _, ix := range r.indexes() {
		if !ix.unique {
			continue
		}
		if taken, err := exists(txn, uniqKey(t.kind, ix.name, ix.value)); err != nil {
			return err
		} else if taken {
			return app.Errorf(app.ECONFLICT, "%s", ix.conflict)
		}
	}
	if err := setJSON(txn, objKey(t.kind, n), r); err != nil {
		return err
	}
	return t.addIndexes(txn, n, r.indexes())
}

// replace stores r in place of old, moving only the index entries that changed.
func (t table) replace(txn *badger.Txn, n uint64, old, r record) error {
	oldIx := map[string]indexEntry{}
	for _, ix := range old.indexes() {
		oldIx[string(t.indexKey(ix, n))] = ix
	}
	var added []indexEntry
	for _, ix := range r.indexes() {
		k := string(t.indexKey(ix, n))
		if _, ok := oldIx[k]; ok {
			delete(oldIx, k)
			continue
		}
		if ix.unique {
			if taken, err := exists(txn, uniqKey(t.kind, ix.name, ix.value)); err != nil {
				return err
			} else if taken {
				return app.Errorf(app.ECONFLICT, "%s", ix.conflict)
			}
		}
		added = append(added, ix)
	}
	for k := range oldIx {
		if err := txn.Delete([]byte(k)); err != nil {
			return err
		}
	}
	if err := setJSON(txn, objKey(t.kind, n), r); err != nil {
		return err
	}
	return t.addIndexes(txn, n, added)
}

func (t table) remove(txn *badger.Txn, n uint64, r record) error {
	for _, ix := range r.indexes() {
		if err := txn.Delete(t.indexKey(ix, n)); err != nil {
			return err
		}
	}
	return txn.Delete(objKey(t.kind, n))
}

func (t table) addIndexes(txn *badger.Txn, n uint64, entries []indexEntry) error {
	for _, ix := range entries {
		var v []byte
		if ix.unique {
			v = binary.BigEndian.AppendUint64(nil, n)
		}
		if err := txn.Set(t.indexKey(ix, n), v); err != nil {
			return err
		}
	}
	return nil
}

func (t table) indexKey(ix indexEntry, n uint64) key {
	if ix.unique {
		return uniqKey(t.kind, ix.name, ix.value)
	}
	return idxKey(t.kind, ix.name, ix.value, n)
}

// lookup returns the owner of a unique index value, or ok=false.
func (t table) lookup(txn *badger.Txn, index, value string) (n uint64, ok bool, err error) {
	item, err := txn.Get(uniqKey(t.kind, index, value))
	if errors.Is(err, badger.ErrKeyNotFound) {
		return 0, false, nil
	} else if err != nil {
		return 0, false, err
	}
	err = item.Value(func(v []byte) error { n = binary.BigEndian.Uint64(v); return nil })
	return n, err == nil, err
}

// referenced returns the numbers of records listed under a non-unique index value.
func (t table) referenced(txn *badger.Txn, index, value string) ([]uint64, error) {
	prefix := idxPrefix(t.kind, index, value)
	it := txn.NewIterator(badger.IteratorOptions{PrefetchValues: false, Prefix: prefix})
	defer it.Close()
	var out []uint64
	for it.Rewind(); it.Valid(); it.Next() {
		out = append(out, numAt(it.Item().Key()))
	}
	return out, nil
}

// scan decodes every record of a kind, in creation order, calling fn for each.
func scan[R any](txn *badger.Txn, kind string, fn func(n uint64, r *R) error) error {
	prefix := objPrefix(kind)
	it := txn.NewIterator(badger.IteratorOptions{PrefetchValues: true, PrefetchSize: 64, Prefix: prefix})
	defer it.Close()
	for it.Rewind(); it.Valid(); it.Next() {
		item := it.Item()
		r := new(R)
		if err := item.Value(func(b []byte) error { return json.Unmarshal(b, r) }); err != nil {
			return fmt.Errorf("decode %s: %w", item.Key(), err)
		}
		if err := fn(numAt(item.Key()), r); err != nil {
			return err
		}
	}
	return nil
}

// parseID turns a user-visible ID into its number, ENOTFOUND when malformed.
func parseID(kind, id string) (uint64, error) {
	n, ok := app.ParseID(kind, id)
	if !ok {
		return 0, app.NotFound(id)
	}
	return n, nil
}

// eventRecord is one audit log entry (kind Events).
type eventRecord struct {
	V        int       `json:"v"`
	SpaceID  string    `json:"space_id,omitempty"`
	Category string    `json:"category"`
	Message  string    `json:"message"`
	Related  []string  `json:"related,omitempty"`
	UserID   string    `json:"user_id"`
	Username string    `json:"username"`
	Occurred time.Time `json:"occurred"`
}

func (e *eventRecord) indexes() []indexEntry {
	out := make([]indexEntry, 0, len(e.Related))
	for _, id := range e.Related {
		out = append(out, indexEntry{name: "regarding", value: id})
	}
	return out
}

var events = table{kind: app.KindEvent}

// audit writes the one audit event of a change, in the change's transaction.
func (d *DB) audit(ctx context.Context, txn *badger.Txn, spaceID, category, message string, related ...string) error {
	n, err := nextID(txn, app.KindEvent)
	if err != nil {
		return err
	}
	uid, uname := app.ActorName(ctx)
	return events.insert(txn, n, &eventRecord{
		V: schemaVersion, SpaceID: spaceID, Category: category, Message: message,
		Related: related, UserID: uid, Username: uname, Occurred: d.now().UTC(),
	})
}

// FindEventByID returns one audit event.
func (d *DB) FindEventByID(ctx context.Context, id string) (*app.Event, error) {
	n, err := parseID(app.KindEvent, id)
	if err != nil {
		return nil, err
	}
	var r eventRecord
	if err := d.view(func(txn *badger.Txn) error { return events.get(txn, n, id, &r) }); err != nil {
		return nil, err
	}
	return r.toApp(n), nil
}

func (r *eventRecord) toApp(n uint64) *app.Event {
	return &app.Event{ID: app.FormatID(app.KindEvent, n), SpaceID: r.SpaceID, Category: r.Category,
		Message: r.Message, RelatedDocumentIDs: r.Related, UserID: r.UserID, Username: r.Username, Occurred: r.Occurred}
}

// FindEvents returns audit events, newest first.
func (d *DB) FindEvents(ctx context.Context, f app.EventFilter) ([]*app.Event, int, error) {
	var out []*app.Event
	err := d.view(func(txn *badger.Txn) error {
		return scan(txn, app.KindEvent, func(n uint64, r *eventRecord) error {
			if f.SpaceID != "" && r.SpaceID != "" && r.SpaceID != f.SpaceID {
				return nil
			}
			if f.Regarding != "" && !app.ContainsFold(r.Related, f.Regarding) {
				return nil
			}
			out = append(out, r.toApp(n))
			return nil
		})
	})
	if err != nil {
		return nil, 0, fmt.Errorf("storage: find events: %w", err)
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	page, total := app.Page(out, f.Skip, f.Take)
	return page, total, nil
}
