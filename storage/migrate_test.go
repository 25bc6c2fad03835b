package storage

import (
	"context"
	"testing"

	"github.com/argonautdeploy/argonaut/app"
	"github.com/dgraph-io/badger/v4"
)

func TestMigrationsRunOnce(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	for round := 1; round <= 3; round++ {
		d := openTest(t, dir)
		v, err := d.SchemaVersion()
		mustOK(t, err)
		if v != uint64(len(migrations)) {
			t.Fatalf("round %d: SchemaVersion = %d, want %d", round, v, len(migrations))
		}
		spaces, total, err := d.FindSpaces(ctx, app.Filter{})
		mustOK(t, err)
		if total != 1 || spaces[0].ID != app.DefaultSpaceID || spaces[0].Name != "Default" || !spaces[0].IsDefault {
			t.Fatalf("round %d: spaces = %d %+v, want only the default", round, total, spaces)
		}
		groups, total, err := d.FindProjectGroups(ctx, app.Filter{SpaceID: app.DefaultSpaceID})
		mustOK(t, err)
		if total != 1 || groups[0].ID != app.DefaultProjectGroupID || groups[0].Name != "Default Project Group" {
			t.Fatalf("round %d: project groups = %d %+v", round, total, groups)
		}
		lcs, total, err := d.FindLifecycles(ctx, app.Filter{SpaceID: app.DefaultSpaceID})
		mustOK(t, err)
		if total != 1 || lcs[0].ID != app.DefaultLifecycleID || lcs[0].Name != "Default Lifecycle" {
			t.Fatalf("round %d: lifecycles = %d %+v", round, total, lcs)
		}
		closeTest(t, d)
	}
	// The seeds consumed the first numbers, so user records continue after them.
	d := openTest(t, dir)
	g := &app.ProjectGroup{SpaceID: app.DefaultSpaceID, Name: "Second"}
	mustOK(t, d.CreateProjectGroup(ctx, g))
	if g.ID != "ProjectGroups-2" {
		t.Fatalf("first created group = %s, want ProjectGroups-2", g.ID)
	}
}

func TestNewerSchemaIsRefused(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	d := openTest(t, dir)
	mustOK(t, d.update(ctx, func(txn *badger.Txn) error {
		return txn.Set(metaKey("schema"), []byte{0, 0, 0, 0, 0, 0, 0, 99})
	}))
	closeTest(t, d)
	if d2, err := Open(ctx, Options{Dir: dir}); err == nil {
		d2.Close()
		t.Fatal("opened a store with a newer schema")
	}
}
