package storage

import (
	"context"
	"strings"
	"testing"

	"github.com/argonautdeploy/argonaut/app"
	"github.com/argonautdeploy/argonaut/app/secrets"
	"github.com/dgraph-io/badger/v4"
)

func newCipher(t *testing.T) *secrets.Cipher {
	t.Helper()
	k, err := secrets.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	c, err := secrets.NewCipher(k)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func openWithCipher(t *testing.T, dir string, c *secrets.Cipher) *DB {
	t.Helper()
	d, err := Open(context.Background(), Options{Dir: dir, Cipher: c})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// rawContains reports whether any stored value contains s.
func rawContains(t *testing.T, d *DB, s string) bool {
	t.Helper()
	found := false
	err := d.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.DefaultIteratorOptions)
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			v, err := it.Item().ValueCopy(nil)
			if err != nil {
				return err
			}
			if strings.Contains(string(v), s) || strings.Contains(string(it.Item().Key()), s) {
				found = true
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return found
}

func TestVariableSetLifecycle(t *testing.T) {
	ctx := context.Background()
	d := openWithCipher(t, t.TempDir(), newCipher(t))
	defer d.Close()
	p := newProject(t, d, "Web")
	env := &app.Environment{SpaceID: app.DefaultSpaceID, Name: "Production"}
	if err := d.CreateEnvironment(ctx, env); err != nil {
		t.Fatal(err)
	}

	vs, err := d.FindVariableSetByID(ctx, app.DefaultSpaceID, p.VariableSetID)
	if err != nil || vs.Version != 0 || len(vs.Variables) != 0 {
		t.Fatalf("new set = %+v, %v", vs, err)
	}
	vs.Variables = []app.Variable{
		{Name: "DB.Password", Value: "hunter2-plaintext", IsSensitive: true, Scope: app.VariableScope{Environment: []string{env.ID}}},
		{Name: "Greeting", Value: "hello"},
	}
	if err := d.UpdateVariableSet(ctx, vs); err != nil {
		t.Fatal(err)
	}
	if vs.Version != 1 || vs.Variables[0].Value != "" || vs.Variables[1].Value != "hello" {
		t.Fatalf("after update: %+v", vs)
	}
	if rawContains(t, d, "hunter2-plaintext") {
		t.Fatal("the sensitive value is stored in clear")
	}
	revealed, err := d.RevealVariableSet(ctx, app.DefaultSpaceID, p.VariableSetID)
	if err != nil || revealed.Variables[0].Value != "hunter2-plaintext" {
		t.Fatalf("reveal = %+v, %v", revealed, err)
	}

	// A stale version is refused with ECONFLICT and changes nothing.
	stale := *vs
	stale.Version = 0
	stale.Variables = []app.Variable{{Name: "Other", Value: "x"}}
	if err := d.UpdateVariableSet(ctx, &stale); app.ErrorCode(err) != app.ECONFLICT || !strings.Contains(app.ErrorMessage(err), "current version is 1") {
		t.Fatalf("stale update: %v", err)
	}

	// Leave unchanged: same ID, KeepValue, the stored secret survives; a
	// renamed variable keeps it too.
	keep := *vs
	keep.Variables = []app.Variable{{ID: vs.Variables[0].ID, Name: "DB.Pwd", IsSensitive: true, KeepValue: true,
		Scope: vs.Variables[0].Scope}, vs.Variables[1]}
	if err := d.UpdateVariableSet(ctx, &keep); err != nil {
		t.Fatal(err)
	}
	revealed, _ = d.RevealVariableSet(ctx, app.DefaultSpaceID, p.VariableSetID)
	if revealed.Version != 2 || revealed.Variables[0].Name != "DB.Pwd" || revealed.Variables[0].Value != "hunter2-plaintext" {
		t.Fatalf("keep value: %+v", revealed)
	}

	// Making a plain variable sensitive with "keep" encrypts its old value.
	promote := *revealed
	promote.Variables = []app.Variable{revealed.Variables[0], {ID: revealed.Variables[1].ID, Name: "Greeting", IsSensitive: true, KeepValue: true}}
	if err := d.UpdateVariableSet(ctx, &promote); err != nil {
		t.Fatal(err)
	}
	revealed, _ = d.RevealVariableSet(ctx, app.DefaultSpaceID, p.VariableSetID)
	if !revealed.Variables[1].IsSensitive || revealed.Variables[1].Value != "hello" {
		t.Fatalf("promoted: %+v", revealed.Variables[1])
	}

	// Scope references must exist.
	bad := *revealed
	bad.Variables = []app.Variable{{Name: "X", Scope: app.VariableScope{Environment: []string{"Environments-99"}, Machine: []string{"Machines-7"}, Channel: []string{"Channels-42"}, Role: []string{"free text"}}}}
	err = d.UpdateVariableSet(ctx, &bad)
	details := strings.Join(app.ErrorDetails(err), "\n")
	if app.ErrorCode(err) != app.EINVALID || !strings.Contains(details, "Environments-99") || !strings.Contains(details, "Machines-7") ||
		!strings.Contains(details, "Channels-42") || strings.Contains(details, "free text") {
		t.Fatalf("bad scope: %v %q", err, details)
	}

	// One audit event per change, naming the set, never a value.
	events, _, err := d.FindEvents(ctx, app.EventFilter{Regarding: p.VariableSetID})
	if err != nil || len(events) != 3 {
		t.Fatalf("events = %d, %v", len(events), err)
	}
	for _, e := range events {
		if strings.Contains(e.Message, "hunter2") || strings.Contains(e.Message, "hello") {
			t.Errorf("event leaks a value: %q", e.Message)
		}
	}
}

func TestMasterKeyCheck(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	key := newCipher(t)
	d := openWithCipher(t, dir, key)
	p := newProject(t, d, "Web")
	vs, _ := d.FindVariableSetByID(ctx, "", p.VariableSetID)
	vs.Variables = []app.Variable{{Name: "S", Value: "s3cr3t-value", IsSensitive: true}}
	if err := d.UpdateVariableSet(ctx, vs); err != nil {
		t.Fatal(err)
	}
	d.Close()

	// Wrong key: fails closed at Open with a clear message.
	if _, err := Open(ctx, Options{Dir: dir, Cipher: newCipher(t)}); err == nil || !strings.Contains(err.Error(), "does not match") {
		t.Fatalf("wrong key: %v", err)
	}
	// A generated key for a store that has one: "missing", not "wrong".
	if _, err := Open(ctx, Options{Dir: dir, Cipher: newCipher(t), KeyGenerated: true}); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Fatalf("missing key: %v", err)
	}
	// The right key reopens and reads the value.
	d = openWithCipher(t, dir, key)
	got, err := d.RevealVariableSet(ctx, "", p.VariableSetID)
	if err != nil || got.Variables[0].Value != "s3cr3t-value" {
		t.Fatalf("reopen: %+v, %v", got, err)
	}

	// Rotation re-encrypts everything; afterwards only the new key opens the store.
	next := newCipher(t)
	lib := &app.LibraryVariableSet{SpaceID: app.DefaultSpaceID, Name: "Shared"}
	if err := d.CreateLibraryVariableSet(ctx, lib); err != nil {
		t.Fatal(err)
	}
	lvs, _ := d.FindVariableSetByID(ctx, "", lib.VariableSetID)
	lvs.Variables = []app.Variable{{Name: "L", Value: "lib-secret-value", IsSensitive: true}}
	if err := d.UpdateVariableSet(ctx, lvs); err != nil {
		t.Fatal(err)
	}
	n, err := d.RotateMasterKey(ctx, next)
	if err != nil || n != 2 {
		t.Fatalf("rotate = %d, %v", n, err)
	}
	d.Close()
	if _, err := Open(ctx, Options{Dir: dir, Cipher: key}); err == nil {
		t.Fatal("the old key still opens the store after rotation")
	}
	d = openWithCipher(t, dir, next)
	defer d.Close()
	for id, want := range map[string]string{p.VariableSetID: "s3cr3t-value", lib.VariableSetID: "lib-secret-value"} {
		got, err := d.RevealVariableSet(ctx, "", id)
		if err != nil || got.Variables[0].Value != want {
			t.Fatalf("after rotation %s: %+v, %v", id, got, err)
		}
	}
}

func TestLibraryVariableSets(t *testing.T) {
	ctx := context.Background()
	d := openWithCipher(t, t.TempDir(), newCipher(t))
	defer d.Close()
	lib := &app.LibraryVariableSet{SpaceID: app.DefaultSpaceID, Name: "Shared"}
	if err := d.CreateLibraryVariableSet(ctx, lib); err != nil {
		t.Fatal(err)
	}
	if lib.ID != "LibraryVariableSets-1" || lib.VariableSetID != "variableset-LibraryVariableSets-1" {
		t.Fatalf("created %+v", lib)
	}
	if err := d.CreateLibraryVariableSet(ctx, &app.LibraryVariableSet{SpaceID: app.DefaultSpaceID, Name: "shared"}); app.ErrorCode(err) != app.ECONFLICT {
		t.Fatalf("duplicate name: %v", err)
	}
	// Library values cannot be scoped to channels or steps.
	vs, _ := d.FindVariableSetByID(ctx, "", lib.VariableSetID)
	vs.Variables = []app.Variable{{Name: "X", Scope: app.VariableScope{Action: []string{"a"}}}}
	if err := d.UpdateVariableSet(ctx, vs); app.ErrorCode(err) != app.EINVALID {
		t.Fatalf("library step scope: %v", err)
	}
	// Projects include only existing sets.
	p := &app.Project{SpaceID: app.DefaultSpaceID, Name: "P", LifecycleID: "Lifecycles-1", ProjectGroupID: "ProjectGroups-1",
		IncludedLibraryVariableSetIDs: []string{"LibraryVariableSets-9"}}
	if err := d.CreateProject(ctx, p); app.ErrorCode(err) != app.EINVALID {
		t.Fatalf("missing library set: %v", err)
	}
	p.IncludedLibraryVariableSetIDs = []string{lib.ID}
	if err := d.CreateProject(ctx, p); err != nil {
		t.Fatal(err)
	}
	if err := d.DeleteLibraryVariableSet(ctx, app.DefaultSpaceID, lib.ID); app.ErrorCode(err) != app.ECONFLICT {
		t.Fatalf("delete while included: %v", err)
	}
	p.IncludedLibraryVariableSetIDs = nil
	if err := d.UpdateProject(ctx, p); err != nil {
		t.Fatal(err)
	}
	if err := d.DeleteLibraryVariableSet(ctx, app.DefaultSpaceID, lib.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := d.FindVariableSetByID(ctx, "", lib.VariableSetID); app.ErrorCode(err) != app.ENOTFOUND {
		t.Fatalf("variables of a deleted set: %v", err)
	}
}

func TestSensitiveWithoutCipherFailsClosed(t *testing.T) {
	ctx := context.Background()
	d := openWithCipher(t, t.TempDir(), nil)
	defer d.Close()
	p := newProject(t, d, "Web")
	vs, _ := d.FindVariableSetByID(ctx, "", p.VariableSetID)
	vs.Variables = []app.Variable{{Name: "S", Value: "nope-secret", IsSensitive: true}}
	if err := d.UpdateVariableSet(ctx, vs); err == nil || app.ErrorCode(err) != app.EINTERNAL {
		t.Fatalf("got %v, want an internal error", err)
	}
	if rawContains(t, d, "nope-secret") {
		t.Fatal("the value was stored")
	}
}
