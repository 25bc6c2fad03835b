package storage

import (
	"context"
	"testing"

	"github.com/argonautdeploy/argonaut/app"
)

func scriptProcess(body string) []app.Step {
	return []app.Step{{Name: "Hello", Properties: map[string]string{app.PropTargetRoles: "web"},
		Actions: []app.Action{{Name: "Hello", ActionType: app.ActionTypeScript,
			Properties: map[string]string{app.PropScriptBody: body, app.PropScriptSyntax: "Bash"}}}}}
}

func TestDeploymentProcessVersion(t *testing.T) {
	ctx := context.Background()
	d := openWithCipher(t, t.TempDir(), newCipher(t))
	defer d.Close()
	p := newProject(t, d, "Web")
	dp, err := d.FindDeploymentProcessByID(ctx, app.DefaultSpaceID, p.DeploymentProcessID)
	mustOK(t, err)
	stale := *dp
	dp.Steps = scriptProcess("echo hi")
	mustOK(t, d.UpdateDeploymentProcess(ctx, dp))
	if dp.Version != 1 || dp.Steps[0].ID == "" || dp.Steps[0].Actions[0].ID == "" {
		t.Fatalf("after update: %+v", dp)
	}
	stale.Steps = scriptProcess("echo stale")
	if err := d.UpdateDeploymentProcess(ctx, &stale); app.ErrorCode(err) != app.ECONFLICT {
		t.Fatalf("stale update: %v, want conflict", err)
	}
	bad := *dp
	bad.Steps = []app.Step{{Name: "A", Actions: []app.Action{{Name: "A", ActionType: "Octopus.Nope"}}}}
	if err := d.UpdateDeploymentProcess(ctx, &bad); app.ErrorCode(err) != app.EINVALID {
		t.Fatalf("invalid update: %v", err)
	}
}

func TestReleaseSnapshot(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	key := newCipher(t)
	d := openWithCipher(t, dir, key)
	p := newProject(t, d, "Web")
	dp, _ := d.FindDeploymentProcessByID(ctx, "", p.DeploymentProcessID)
	dp.Steps = scriptProcess("echo one")
	mustOK(t, d.UpdateDeploymentProcess(ctx, dp))
	vs, _ := d.FindVariableSetByID(ctx, "", p.VariableSetID)
	vs.Variables = []app.Variable{{Name: "Plain", Value: "v1"}, {Name: "Secret", Value: "first-secret", IsSensitive: true}}
	mustOK(t, d.UpdateVariableSet(ctx, vs))

	r := &app.Release{SpaceID: app.DefaultSpaceID, ProjectID: p.ID, Version: "1.0.0", ReleaseNotes: "notes"}
	mustOK(t, d.CreateRelease(ctx, r))
	if r.ID != "Releases-1" || r.ChannelID == "" || r.Assembled.IsZero() {
		t.Fatalf("created: %+v", r)
	}
	dup := &app.Release{SpaceID: app.DefaultSpaceID, ProjectID: p.ID, Version: "1.0.0"}
	if err := d.CreateRelease(ctx, dup); app.ErrorCode(err) != app.ECONFLICT {
		t.Fatalf("duplicate version: %v", err)
	}

	// Change everything the snapshot copied.
	dp, _ = d.FindDeploymentProcessByID(ctx, "", p.DeploymentProcessID)
	dp.Steps = scriptProcess("echo two")
	mustOK(t, d.UpdateDeploymentProcess(ctx, dp))
	vs, _ = d.FindVariableSetByID(ctx, "", p.VariableSetID)
	vs.Variables = []app.Variable{{Name: "Plain", Value: "v2"}, {Name: "Secret", Value: "second-secret", IsSensitive: true}}
	mustOK(t, d.UpdateVariableSet(ctx, vs))

	got, err := d.FindReleaseByVersion(ctx, "", p.ID, "1.0.0")
	mustOK(t, err)
	if body := got.Process.Steps[0].Actions[0].Properties[app.PropScriptBody]; body != "echo one" {
		t.Errorf("snapshot process body = %q, want echo one", body)
	}
	if v := got.Variables[0].Variables[0].Value; v != "v1" {
		t.Errorf("snapshot Plain = %q, want v1", v)
	}
	if v := got.Variables[0].Variables[1].Value; v != "" {
		t.Errorf("unrevealed secret = %q, want blank", v)
	}
	if rawContains(t, d, "first-secret") {
		t.Error("a release snapshot holds a secret in clear")
	}

	// Rotation re-encrypts snapshot secrets too.
	next := newCipher(t)
	if _, err := d.RotateMasterKey(ctx, next); err != nil {
		t.Fatal(err)
	}
	d.Close()
	d = openWithCipher(t, dir, next)
	defer d.Close()
	vars, err := d.RevealReleaseVariables(ctx, "", r.ID)
	mustOK(t, err)
	if v := vars[0].Variables[1].Value; v != "first-secret" {
		t.Errorf("revealed snapshot secret = %q", v)
	}

	// Refreshing the snapshot takes the current values.
	_, err = d.SnapshotReleaseVariables(ctx, "", r.ID)
	mustOK(t, err)
	vars, _ = d.RevealReleaseVariables(ctx, "", r.ID)
	if vars[0].Variables[0].Value != "v2" || vars[0].Variables[1].Value != "second-secret" {
		t.Errorf("after refresh: %+v", vars[0].Variables)
	}
	again, _ := d.FindReleaseByID(ctx, "", r.ID)
	if body := again.Process.Steps[0].Actions[0].Properties[app.PropScriptBody]; body != "echo one" {
		t.Errorf("refresh changed the process snapshot: %q", body)
	}

	// Versions are unique case-insensitively; lists are newest first.
	mustOK(t, d.CreateRelease(ctx, &app.Release{SpaceID: app.DefaultSpaceID, ProjectID: p.ID, Version: "1.0.1-beta"}))
	if err := d.CreateRelease(ctx, &app.Release{SpaceID: app.DefaultSpaceID, ProjectID: p.ID, Version: "1.0.1-BETA"}); app.ErrorCode(err) != app.ECONFLICT {
		t.Errorf("case-insensitive duplicate: %v", err)
	}
	list, total, err := d.FindReleases(ctx, app.ReleaseFilter{ProjectID: p.ID})
	mustOK(t, err)
	if total != 2 || list[0].Version != "1.0.1-beta" {
		t.Errorf("list = %d, first %q", total, list[0].Version)
	}
	mustOK(t, d.DeleteRelease(ctx, "", r.ID))
	if _, err := d.FindReleaseByVersion(ctx, "", p.ID, "1.0.0"); app.ErrorCode(err) != app.ENOTFOUND {
		t.Errorf("after delete: %v", err)
	}
	mustOK(t, d.DeleteProject(ctx, "", p.ID))
	if _, total, _ := d.FindReleases(ctx, app.ReleaseFilter{}); total != 0 {
		t.Errorf("releases left after deleting the project: %d", total)
	}
}
