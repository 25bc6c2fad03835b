package storage

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/argonautdeploy/argonaut/app"
	"github.com/dgraph-io/badger/v4"
)

// migration upgrades the store by one schema step, inside one transaction.
type migration struct {
	name string
	run  func(d *DB, txn *badger.Txn) error
}

// migrations run in order at Open; the store records how many have run.
// Append only: never edit or reorder a released migration.
var migrations = []migration{
	{"seed default space, project group and lifecycle", seedDefaults},
	{"index the package versions releases use", backfillReleasePackageIndex},
}

func (d *DB) migrate(ctx context.Context) error {
	for {
		done := false
		err := d.update(ctx, func(txn *badger.Txn) error {
			v, err := schemaOf(txn)
			if err != nil {
				return err
			}
			if v > uint64(len(migrations)) {
				return fmt.Errorf("store schema %d is newer than this binary understands (%d); upgrade Argonaut", v, len(migrations))
			}
			if v == uint64(len(migrations)) {
				done = true
				return nil
			}
			m := migrations[v]
			d.log.Info("running migration", "version", v+1, "name", m.name)
			if err := m.run(d, txn); err != nil {
				return fmt.Errorf("migration %d (%s): %w", v+1, m.name, err)
			}
			return txn.Set(metaKey("schema"), binary.BigEndian.AppendUint64(nil, v+1))
		})
		if err != nil {
			return fmt.Errorf("storage: migrate: %w", err)
		}
		if done {
			return nil
		}
	}
}

func schemaOf(txn *badger.Txn) (uint64, error) {
	item, err := txn.Get(metaKey("schema"))
	if errors.Is(err, badger.ErrKeyNotFound) {
		return 0, nil
	} else if err != nil {
		return 0, err
	}
	var v uint64
	err = item.Value(func(b []byte) error { v = binary.BigEndian.Uint64(b); return nil })
	return v, err
}

// SchemaVersion returns the number of migrations applied to the store.
func (d *DB) SchemaVersion() (v uint64, err error) {
	err = d.view(func(txn *badger.Txn) error { v, err = schemaOf(txn); return err })
	return v, err
}

func seedDefaults(d *DB, txn *badger.Txn) error {
	now := d.now().UTC()
	seed := []struct {
		kind string
		tbl  table
		rec  record
	}{
		{app.KindSpace, spaces, &spaceRecord{V: schemaVersion, Name: "Default", IsDefault: true, Created: now}},
		{app.KindProjectGroup, projectGroups, &projectGroupRecord{V: schemaVersion, SpaceID: app.DefaultSpaceID,
			Name: "Default Project Group", Slug: "default-project-group", stamps: stamps{Created: now, Modified: now}}},
		{app.KindLifecycle, lifecycles, &lifecycleRecord{V: schemaVersion, SpaceID: app.DefaultSpaceID,
			Name: "Default Lifecycle", Slug: "default-lifecycle", stamps: stamps{Created: now, Modified: now},
			ReleaseRetention:  retentionRecord{ShouldKeepForever: true, Unit: app.RetentionUnitDays},
			TentacleRetention: retentionRecord{ShouldKeepForever: true, Unit: app.RetentionUnitDays}}},
	}
	for _, s := range seed {
		n, err := nextID(txn, s.kind)
		if err != nil {
			return err
		}
		if err := s.tbl.insert(txn, n, s.rec); err != nil {
			return err
		}
	}
	return nil
}
