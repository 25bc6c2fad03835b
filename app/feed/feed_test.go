package feed_test

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/argonautdeploy/argonaut/app"
	"github.com/argonautdeploy/argonaut/app/feed"
	"github.com/argonautdeploy/argonaut/runner/version"
	"github.com/argonautdeploy/argonaut/storage"
)

// clock is a settable time shared by the store and the feed.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

func newFeed(t *testing.T) (*feed.Service, *storage.DB, *clock) {
	t.Helper()
	clk := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	db, err := storage.Open(context.Background(), storage.Options{Dir: t.TempDir(), Now: clk.now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return feed.New(slog.New(slog.DiscardHandler), db, db, feed.Config{Now: clk.now}), db, clk
}

func TestParseFileName(t *testing.T) {
	tests := []struct {
		name, id, version, ext, key string
	}{
		{"Acme.Web.1.2.0-beta.1.zip", "Acme.Web", "1.2.0-beta.1", ".zip", "1.2.0-beta.1"},
		{"Acme.Web.1.2.zip", "Acme.Web", "1.2", ".zip", "1.2.0"},
		{"Acme.Web.1.2.0+build.7.tar.gz", "Acme.Web", "1.2.0+build.7", ".tar.gz", "1.2.0"},
		{"acme_web.2.0.0.TGZ", "acme_web", "2.0.0", ".TGZ", "2.0.0"},
		{"Acme.Web.1.0.0.1.nupkg", "Acme.Web", "1.0.0.1", ".nupkg", "1.0.0.1"},
		{"Acme.Web.1.0.0.tar.zst", "Acme.Web", "1.0.0", ".tar.zst", "1.0.0"},
	}
	for _, tt := range tests {
		fn, key, err := feed.ParseFileName(tt.name)
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if fn.ID != tt.id || fn.Version.String() != tt.version || fn.Extension != tt.ext || key != tt.key {
			t.Errorf("%s = %s / %s / %s / %s, want %s / %s / %s / %s", tt.name, fn.ID, fn.Version, fn.Extension, key,
				tt.id, tt.version, tt.ext, tt.key)
		}
	}
	bad := []string{"", "Acme.zip", "Acme.Web.1.0.0.exe", "Acme.Web.1.0.0.gz", "../Acme.1.0.0.zip", `a\Acme.1.0.0.zip`,
		"Acme\x00.1.0.0.zip", "CON.1.0.0.zip", "aux.1.0.0.zip", "COM1.1.0.0.zip", "Acme..Web.1.0.0.zip", "Ácme.1.0.0.zip",
		"C:Acme.1.0.0.zip", strings.Repeat("a", 101) + ".1.0.0.zip", "Acme@S1.0.0@X.zip", "Acme.1.0.0.zip\n"}
	for _, name := range bad {
		if _, _, err := feed.ParseFileName(name); app.ErrorCode(err) != app.EINVALID {
			t.Errorf("%q: err = %v, want invalid", name, err)
		}
	}
}

func push(t *testing.T, f *feed.Service, name string) *app.Package {
	t.Helper()
	p, _, err := f.PushPackage(context.Background(), app.DefaultSpaceID, name, strings.NewReader(name), app.FailIfExists)
	if err != nil {
		t.Fatalf("push %s: %v", name, err)
	}
	return p
}

func versions(t *testing.T, f *feed.Service, id string) string {
	t.Helper()
	ps, _, err := f.FindPackages(context.Background(), app.PackageFilter{SpaceID: app.DefaultSpaceID, PackageID: id})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, p := range ps {
		out = append(out, p.Version)
	}
	return strings.Join(out, " ")
}

func TestRetention(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name          string
		keep, days    int
		wantA, wantB  string
		removedWanted int
	}{
		{"off", 0, 0, "1.10.0 1.2.0 1.1.0 1.0.0", "2.0.0 1.0.0", 0},
		{"keep two", 2, 0, "1.10.0 1.2.0", "2.0.0 1.0.0", 2},
		// Pushed one per 10 days: 1.0.0 at day 0 … 1.10.0 at day 30, B at 40 and 50; now day 60.
		{"younger than 25 days", 0, 25, "", "2.0.0 1.0.0", 4},
		{"keep one unless young", 1, 25, "1.10.0", "2.0.0 1.0.0", 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, db, clk := newFeed(t)
			for _, n := range []string{"A.1.0.0.zip", "A.1.1.0.zip", "A.1.2.0.zip", "A.1.10.0.zip", "B.1.0.0.zip", "B.2.0.0.zip"} {
				push(t, f, n)
				clk.add(10 * 24 * time.Hour)
			}
			if err := f.UpdateFeedSettings(ctx, &app.FeedSettings{SpaceID: app.DefaultSpaceID, KeepVersions: tt.keep, KeepDays: tt.days}); err != nil {
				t.Fatal(err)
			}
			run, err := f.RunRetention(ctx, app.DefaultSpaceID)
			if err != nil {
				t.Fatal(err)
			}
			if got := versions(t, f, "A"); got != tt.wantA {
				t.Errorf("A versions = %q, want %q", got, tt.wantA)
			}
			if got := versions(t, f, "B"); got != tt.wantB {
				t.Errorf("B versions = %q, want %q", got, tt.wantB)
			}
			if len(run.Removed) != tt.removedWanted {
				t.Errorf("removed %d, want %d", len(run.Removed), tt.removedWanted)
			}
			for _, p := range run.Removed {
				if _, err := db.OpenPackageBlob(ctx, p); app.ErrorCode(err) != app.ENOTFOUND {
					t.Errorf("blob of removed %s still there (%v)", p.ID, err)
				}
				evs, _, _ := db.FindEvents(ctx, app.EventFilter{Regarding: p.ID})
				if len(evs) != 2 || !strings.Contains(evs[0].Message, "retention policy") {
					t.Errorf("audit of %s = %+v", p.ID, evs)
				}
			}
		})
	}
}

func TestNuspecMustAgree(t *testing.T) {
	f, db, _ := newFeed(t)
	f = feed.New(slog.New(slog.DiscardHandler), db, db, feed.Config{Validator: fixedManifest{ID: "Other", Version: "1.0.0"}})
	_, _, err := f.PushPackage(context.Background(), app.DefaultSpaceID, "Acme.1.0.0.nupkg", strings.NewReader("x"), "")
	if app.ErrorCode(err) != app.EINVALID || !strings.Contains(app.ErrorMessage(err), "Other") {
		t.Fatalf("err = %v", err)
	}
	f = feed.New(slog.New(slog.DiscardHandler), db, db, feed.Config{Validator: fixedManifest{ID: "acme", Version: "1.0", Title: "Acme!"}})
	p, _, err := f.PushPackage(context.Background(), app.DefaultSpaceID, "Acme.1.0.0.nupkg", strings.NewReader("x"), "")
	if err != nil || p.Title != "Acme!" {
		t.Fatalf("agreeing nuspec: %+v %v", p, err)
	}
}

// fixedManifest stands in for the archive reader: it reports a .nuspec.
type fixedManifest feed.Manifest

func (m fixedManifest) ValidatePackage(context.Context, io.ReaderAt, int64, version.FileName) (feed.Manifest, error) {
	return feed.Manifest(m), nil
}
