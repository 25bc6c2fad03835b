package storage

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/argonautdeploy/argonaut/app"
	"github.com/argonautdeploy/argonaut/app/feed"
	"github.com/dgraph-io/badger/v4"
)

// packageProcess deploys Acme.Web from the built-in feed.
func packageProcess(packageID string) []app.Step {
	return []app.Step{{Name: "Deploy", Properties: map[string]string{app.PropTargetRoles: "web"},
		Actions: []app.Action{{Name: "Deploy", ActionType: app.ActionTypePackage,
			Properties: map[string]string{app.PropPackageID: packageID, "Octopus.Action.Package.FeedId": app.BuiltInFeedID}}}}}
}

func releaseUsing(t *testing.T, d *DB, p *app.Project, relVersion, pkgVersion string) *app.Release {
	t.Helper()
	r := &app.Release{SpaceID: app.DefaultSpaceID, ProjectID: p.ID, Version: relVersion,
		SelectedPackages: []app.SelectedPackage{{ActionName: "Deploy", StepName: "Deploy", Version: pkgVersion}}}
	mustOK(t, d.CreateRelease(context.Background(), r))
	return r
}

func TestDeleteReferencedPackageRefused(t *testing.T) {
	ctx := context.Background()
	d := openWithCipher(t, t.TempDir(), newCipher(t))
	defer d.Close()
	for _, v := range []string{"1.0.0", "1.0.1"} {
		if _, err := store(t, d, pkg("Acme.Web", v), "content "+v, app.FailIfExists); err != nil {
			t.Fatal(err)
		}
	}
	p := newProject(t, d, "Web")
	dp, err := d.FindDeploymentProcessByID(ctx, "", p.DeploymentProcessID)
	mustOK(t, err)
	dp.Steps = packageProcess("acme.web") // the index is case-insensitive
	mustOK(t, d.UpdateDeploymentProcess(ctx, dp))
	rel := releaseUsing(t, d, p, "2.0.0", "1.0.0")

	err = d.DeletePackage(ctx, app.DefaultSpaceID, app.PackageRecordID("Acme.Web", "1.0.0"), "")
	if app.ErrorCode(err) != app.ECONFLICT {
		t.Fatalf("delete of a referenced version: %v, want conflict", err)
	}
	if msg := err.Error(); !strings.Contains(msg, "release 2.0.0") || !strings.Contains(msg, "Web") {
		t.Errorf("the conflict does not name the release: %q", msg)
	}
	// The other version is free; the referenced one is still there.
	mustOK(t, d.DeletePackage(ctx, app.DefaultSpaceID, app.PackageRecordID("Acme.Web", "1.0.1"), ""))
	if _, err := d.FindPackageByID(ctx, app.DefaultSpaceID, app.PackageRecordID("Acme.Web", "1.0.0")); err != nil {
		t.Fatalf("referenced version gone: %v", err)
	}

	mustOK(t, d.DeleteRelease(ctx, "", rel.ID))
	mustOK(t, d.DeletePackage(ctx, app.DefaultSpaceID, app.PackageRecordID("Acme.Web", "1.0.0"), ""))
	if n := refsOf(t, d, digest("content 1.0.0")); n != 0 {
		t.Errorf("blob references after delete = %d", n)
	}
}

func TestRetentionKeepsReferencedVersions(t *testing.T) {
	ctx := context.Background()
	d := openWithCipher(t, t.TempDir(), newCipher(t))
	defer d.Close()
	for _, v := range []string{"1.0.0", "1.0.1", "1.0.2", "1.0.3"} {
		if _, err := store(t, d, pkg("Acme.Web", v), "content "+v, app.FailIfExists); err != nil {
			t.Fatal(err)
		}
	}
	p := newProject(t, d, "Web")
	dp, _ := d.FindDeploymentProcessByID(ctx, "", p.DeploymentProcessID)
	dp.Steps = packageProcess("Acme.Web")
	mustOK(t, d.UpdateDeploymentProcess(ctx, dp))
	releaseUsing(t, d, p, "1", "1.0.1")
	mustOK(t, d.UpdateFeedSettings(ctx, &app.FeedSettings{SpaceID: app.DefaultSpaceID, KeepVersions: 1}))

	f := feed.New(slog.New(slog.NewTextHandler(io.Discard, nil)), d, d, feed.Config{})
	run, err := f.RunRetention(ctx, app.DefaultSpaceID)
	mustOK(t, err)
	if len(run.Removed) != 2 || run.KeptReferenced != 1 {
		t.Fatalf("retention removed %d, kept referenced %d; want 2 and 1", len(run.Removed), run.KeptReferenced)
	}
	left, err := d.ListPackages(ctx, app.DefaultSpaceID, "Acme.Web")
	mustOK(t, err)
	var got []string
	for _, p := range left {
		got = append(got, p.Version)
	}
	if strings.Join(got, ",") != "1.0.1,1.0.3" && strings.Join(got, ",") != "1.0.3,1.0.1" {
		t.Fatalf("left after retention: %v, want 1.0.1 (referenced) and 1.0.3 (newest)", got)
	}
}

// TestReleasePackageIndexBackfill drops a release's package index entries
// (as a store from before the index looks) and reruns the migration.
func TestReleasePackageIndexBackfill(t *testing.T) {
	ctx := context.Background()
	d := openWithCipher(t, t.TempDir(), newCipher(t))
	defer d.Close()
	if _, err := store(t, d, pkg("Acme.Web", "3.1.0"), "x", app.FailIfExists); err != nil {
		t.Fatal(err)
	}
	p := newProject(t, d, "Web")
	dp, _ := d.FindDeploymentProcessByID(ctx, "", p.DeploymentProcessID)
	dp.Steps = packageProcess("Acme.Web")
	mustOK(t, d.UpdateDeploymentProcess(ctx, dp))
	releaseUsing(t, d, p, "1", "3.1")
	mustOK(t, d.update(ctx, func(txn *badger.Txn) error {
		return txn.Delete(idxKey(app.KindRelease, "package", packageRefValue(app.DefaultSpaceID, "Acme.Web", "3.1.0"), 1))
	}))
	mustOK(t, d.DeletePackage(ctx, app.DefaultSpaceID, app.PackageRecordID("Acme.Web", "3.1.0"), "")) // unindexed: allowed
	if _, err := store(t, d, pkg("Acme.Web", "3.1.0"), "x", app.FailIfExists); err != nil {
		t.Fatal(err)
	}
	mustOK(t, d.update(ctx, func(txn *badger.Txn) error { return backfillReleasePackageIndex(d, txn) }))
	if err := d.DeletePackage(ctx, app.DefaultSpaceID, app.PackageRecordID("Acme.Web", "3.1.0"), ""); app.ErrorCode(err) != app.ECONFLICT {
		t.Fatalf("after backfill: %v, want conflict", err)
	}
}
