package storage

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/argonautdeploy/argonaut/app"
	"github.com/dgraph-io/badger/v4"
)

func openTestDB(t *testing.T, dir string) *DB {
	t.Helper()
	d, err := Open(context.Background(), Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func pkg(id, version string) *app.Package {
	return &app.Package{SpaceID: app.DefaultSpaceID, PackageID: id, Version: version, FileExtension: ".zip", Title: id}
}

func store(t *testing.T, d *DB, p *app.Package, content string, mode app.OverwriteMode) (app.PushResult, error) {
	t.Helper()
	return d.StorePackage(context.Background(), p, bytes.NewReader([]byte(content)),
		app.StoreOptions{Mode: mode, VersionKey: p.Version})
}

func digest(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

func refsOf(t *testing.T, d *DB, sha string) uint64 {
	t.Helper()
	var n uint64
	if err := d.view(func(txn *badger.Txn) (err error) { n, err = blobRefs(txn, sha); return err }); err != nil {
		t.Fatal(err)
	}
	return n
}

func tempFiles(t *testing.T, d *DB) int {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(d.Blobs.dir, "tmp"))
	if err != nil {
		t.Fatal(err)
	}
	return len(entries)
}

func TestStorePackageAndFind(t *testing.T) {
	d := openTestDB(t, t.TempDir())
	defer d.Close()
	ctx := context.Background()
	p := pkg("Acme.Web", "1.2.0")
	res, err := store(t, d, p, "hello", app.FailIfExists)
	if err != nil || res != app.PushCreated {
		t.Fatalf("store = %v, %v; want created", res, err)
	}
	if p.ID != "packages-Acme.Web.1.2.0" || p.Hash != digest("hello") || p.Size != 5 {
		t.Fatalf("stored package = %+v", p)
	}
	got, err := d.FindPackageByID(ctx, app.DefaultSpaceID, "PACKAGES-acme.web.1.2.0")
	if err != nil || got.Hash != p.Hash || got.PushedBy != "system" {
		t.Fatalf("find = %+v, %v", got, err)
	}
	if _, err := d.FindPackageByID(ctx, "Spaces-2", p.ID); app.ErrorCode(err) != app.ENOTFOUND {
		t.Fatalf("find in other space: err = %v, want not found", err)
	}
	f, err := d.OpenPackageBlob(ctx, got)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(f)
	f.Close()
	if string(b) != "hello" {
		t.Fatalf("content = %q", b)
	}
	evs, _, _ := d.FindEvents(ctx, app.EventFilter{Regarding: p.ID})
	if len(evs) != 1 {
		t.Fatalf("audit events = %d, want 1", len(evs))
	}
}

func TestStorePackageModes(t *testing.T) {
	d := openTestDB(t, t.TempDir())
	defer d.Close()
	if _, err := store(t, d, pkg("A", "1.0.0"), "one", app.FailIfExists); err != nil {
		t.Fatal(err)
	}
	_, err := store(t, d, pkg("a", "1.0.0"), "two", app.FailIfExists)
	if app.ErrorCode(err) != app.ECONFLICT {
		t.Fatalf("second push: err = %v, want conflict", err)
	}
	if d.Blobs.Exists(digest("two")) {
		t.Fatal("refused content left a blob behind")
	}
	p := pkg("A", "1.0.0")
	res, err := store(t, d, p, "two", app.IgnoreIfExists)
	if err != nil || res != app.PushIgnored || p.Hash != digest("one") {
		t.Fatalf("ignore: %v %v %+v", res, err, p)
	}
	if d.Blobs.Exists(digest("two")) {
		t.Fatal("ignored content left a blob behind")
	}
	res, err = store(t, d, pkg("A", "1.0.0"), "two", app.OverwriteExisting)
	if err != nil || res != app.PushOverwritten {
		t.Fatalf("overwrite: %v %v", res, err)
	}
	if d.Blobs.Exists(digest("one")) || !d.Blobs.Exists(digest("two")) {
		t.Fatal("overwrite must free the old blob and keep the new one")
	}
	if n := refsOf(t, d, digest("two")); n != 1 {
		t.Fatalf("refs = %d, want 1", n)
	}
	// Overwriting with identical content keeps the file.
	if _, err := store(t, d, pkg("A", "1.0.0"), "two", app.OverwriteExisting); err != nil || !d.Blobs.Exists(digest("two")) {
		t.Fatalf("overwrite with same content: %v, exists=%v", err, d.Blobs.Exists(digest("two")))
	}
}

func TestIdenticalContentStoredOnce(t *testing.T) {
	d := openTestDB(t, t.TempDir())
	defer d.Close()
	ctx := context.Background()
	for _, v := range []string{"1.0.0", "2.0.0"} {
		if _, err := store(t, d, pkg("Same", v), "same bytes", app.FailIfExists); err != nil {
			t.Fatal(err)
		}
	}
	sha := digest("same bytes")
	files := 0
	d.Blobs.walk(func(string, string) error { files++; return nil })
	if files != 1 || refsOf(t, d, sha) != 2 {
		t.Fatalf("blob files = %d, refs = %d; want 1 and 2", files, refsOf(t, d, sha))
	}
	if err := d.DeletePackage(ctx, app.DefaultSpaceID, "packages-Same.1.0.0", ""); err != nil {
		t.Fatal(err)
	}
	if !d.Blobs.Exists(sha) || refsOf(t, d, sha) != 1 {
		t.Fatal("blob removed while still referenced")
	}
	if err := d.DeletePackage(ctx, app.DefaultSpaceID, "packages-Same.2.0.0", ""); err != nil {
		t.Fatal(err)
	}
	if d.Blobs.Exists(sha) || refsOf(t, d, sha) != 0 {
		t.Fatal("unreferenced blob kept")
	}
	if err := d.DeletePackage(ctx, app.DefaultSpaceID, "packages-Same.2.0.0", ""); app.ErrorCode(err) != app.ENOTFOUND {
		t.Fatalf("second delete: %v, want not found", err)
	}
}

func TestStorePackageRefusals(t *testing.T) {
	d := openTestDB(t, t.TempDir())
	defer d.Close()
	ctx := context.Background()
	tests := []struct {
		name string
		r    io.Reader
		o    app.StoreOptions
		code string
	}{
		{"over the limit", bytes.NewReader(make([]byte, 100)), app.StoreOptions{MaxSize: 99}, app.ETOOLARGE},
		{"inspection refuses", bytes.NewReader([]byte("bad archive")), app.StoreOptions{Inspect: func(context.Context, io.ReaderAt, int64) error {
			return app.Invalid("bad entry ../x")
		}}, app.EINVALID},
		{"connection cut mid-body", io.MultiReader(bytes.NewReader(make([]byte, 3<<20)), errReader{}), app.StoreOptions{}, app.EINTERNAL},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.o.VersionKey = "1.0.0"
			_, err := d.StorePackage(ctx, pkg("Refused", "1.0.0"), tt.r, tt.o)
			if app.ErrorCode(err) != tt.code {
				t.Fatalf("err = %v, want code %s", err, tt.code)
			}
			if n := tempFiles(t, d); n != 0 {
				t.Fatalf("%d temp files left", n)
			}
			if list, _ := d.ListPackages(ctx, app.DefaultSpaceID, ""); len(list) != 0 {
				t.Fatalf("metadata left: %+v", list)
			}
			files := 0
			d.Blobs.walk(func(string, string) error { files++; return nil })
			if files != 0 {
				t.Fatalf("%d blob files left", files)
			}
		})
	}
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("connection reset by peer") }

func TestConcurrentPushesOneWins(t *testing.T) {
	d := openTestDB(t, t.TempDir())
	defer d.Close()
	const n = 20
	var wg sync.WaitGroup
	results := make([]error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			_, results[i] = d.StorePackage(context.Background(), pkg("Race", "1.0.0"),
				bytes.NewReader([]byte{byte(i)}), app.StoreOptions{VersionKey: "1.0.0"})
		}(i)
	}
	wg.Wait()
	won := 0
	for _, err := range results {
		switch app.ErrorCode(err) {
		case "":
			won++
		case app.ECONFLICT:
		default:
			t.Fatalf("unexpected error %v", err)
		}
	}
	if won != 1 {
		t.Fatalf("%d pushes won, want exactly 1", won)
	}
	files := 0
	d.Blobs.walk(func(string, string) error { files++; return nil })
	if files != 1 {
		t.Fatalf("%d blob files, want 1 (losers must not leave theirs)", files)
	}
}

func TestPackagesSurviveReopenAndReconcile(t *testing.T) {
	dir := t.TempDir()
	d := openTestDB(t, dir)
	ctx := context.Background()
	if _, err := store(t, d, pkg("Keep", "1.0.0"), "keep", app.FailIfExists); err != nil {
		t.Fatal(err)
	}
	if _, err := store(t, d, pkg("Lose", "1.0.0"), "lose", app.FailIfExists); err != nil {
		t.Fatal(err)
	}
	if err := d.UpdateFeedSettings(ctx, &app.FeedSettings{SpaceID: app.DefaultSpaceID, KeepVersions: 3}); err != nil {
		t.Fatal(err)
	}
	// What a crash leaves: a half-written upload, a placed blob whose
	// metadata never committed, and (by an operator's hand) a lost file.
	os.WriteFile(filepath.Join(d.Blobs.dir, "tmp", "upload-123"), []byte("partial"), 0o600)
	orphan, err := d.Blobs.Put(bytes.NewReader([]byte("orphan")), 0)
	if err != nil {
		t.Fatal(err)
	}
	os.Remove(d.Blobs.path(digest("lose")))
	d.Close()

	d = openTestDB(t, dir)
	defer d.Close()
	rep, err := d.ReconcilePackages(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if rep.TempRemoved != 1 || rep.OrphanBlobsRemoved != 1 || len(rep.MissingBlobs) != 1 {
		t.Fatalf("report = %+v", rep)
	}
	if d.Blobs.Exists(orphan.SHA256) || !d.Blobs.Exists(digest("keep")) {
		t.Fatal("reconcile removed the wrong blob")
	}
	lost, err := d.FindPackageByID(ctx, app.DefaultSpaceID, "packages-Lose.1.0.0")
	if err != nil || !lost.BlobMissing {
		t.Fatalf("lost package = %+v, %v; want flagged", lost, err)
	}
	kept, err := d.FindPackageByID(ctx, app.DefaultSpaceID, "packages-Keep.1.0.0")
	if err != nil || kept.BlobMissing || refsOf(t, d, kept.Hash) != 1 {
		t.Fatalf("kept package = %+v, %v", kept, err)
	}
	s, err := d.FeedSettings(ctx, app.DefaultSpaceID)
	if err != nil || s.KeepVersions != 3 {
		t.Fatalf("settings after reopen = %+v, %v", s, err)
	}
	if _, err := d.OpenPackageBlob(ctx, lost); app.ErrorCode(err) != app.ENOTFOUND {
		t.Fatalf("open lost blob: %v", err)
	}
}
