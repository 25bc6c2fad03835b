package storage

import (
	"context"
	"slices"
	"testing"

	"github.com/argonautdeploy/argonaut/app"
)

func TestCreateDeploymentWithItsTaskInOneTransaction(t *testing.T) {
	ctx := context.Background()
	d := openWithCipher(t, t.TempDir(), newCipher(t))
	defer d.Close()
	p := newProject(t, d, "Web")
	env := newEnv(t, d, "Production")
	dp, _ := d.FindDeploymentProcessByID(ctx, "", p.DeploymentProcessID)
	dp.Steps = scriptProcess("echo one")
	mustOK(t, d.UpdateDeploymentProcess(ctx, dp))
	r := &app.Release{SpaceID: app.DefaultSpaceID, ProjectID: p.ID, Version: "1.0.0"}
	mustOK(t, d.CreateRelease(ctx, r))
	before := eventCount(t, d)

	dep := &app.Deployment{SpaceID: app.DefaultSpaceID, Name: "Deploy to Production", ReleaseID: r.ID, EnvironmentID: env.ID,
		DeploymentOptions: app.DeploymentOptions{SkipActions: []string{"x"}, FormValues: map[string]string{"A": "b"}}}
	task := &app.Task{Description: "Deploy Web release 1.0.0 to Production", ConcurrencyTag: "t"}
	mustOK(t, d.CreateDeployment(ctx, dep, task))
	if dep.ID != "Deployments-1" || dep.TaskID != task.ID || dep.ProjectID != p.ID || dep.ChannelID != r.ChannelID {
		t.Fatalf("deployment: %+v task %+v", dep, task)
	}
	if task.State != app.TaskQueued || task.Name != app.TaskNameDeploy || task.Arguments[app.TaskArgDeploymentID] != dep.ID ||
		task.ProjectID != p.ID || task.EnvironmentID != env.ID {
		t.Fatalf("task: %+v", task)
	}
	if got := eventCount(t, d) - before; got != 1 {
		t.Fatalf("%d audit events, want 1", got)
	}
	queued, _ := d.TasksInState(ctx, app.TaskQueued)
	if len(queued) != 1 || queued[0].ID != task.ID {
		t.Fatalf("queue: %+v", queued)
	}
	got, err := d.FindDeploymentByID(ctx, app.DefaultSpaceID, dep.ID)
	mustOK(t, err)
	if got.FormValues["A"] != "b" || got.SkipActions[0] != "x" {
		t.Fatalf("read back: %+v", got)
	}
	for _, f := range []app.DeploymentFilter{{ReleaseIDs: []string{r.ID}}, {ProjectIDs: []string{p.ID}}, {EnvironmentIDs: []string{env.ID}}, {}} {
		list, total, err := d.FindDeployments(ctx, f)
		mustOK(t, err)
		if total != 1 || list[0].ID != dep.ID {
			t.Fatalf("filter %+v: %d", f, total)
		}
	}
	if list, _, _ := d.FindDeployments(ctx, app.DeploymentFilter{EnvironmentIDs: []string{"Environments-99"}}); len(list) != 0 {
		t.Fatal("environment filter ignored")
	}

	// A bad reference aborts the whole transaction: no task is queued.
	bad := &app.Deployment{SpaceID: app.DefaultSpaceID, Name: "x", ReleaseID: r.ID, EnvironmentID: "Environments-99"}
	wantCode(t, d.CreateDeployment(ctx, bad, &app.Task{}), app.EINVALID)
	if queued, _ := d.TasksInState(ctx, app.TaskQueued); len(queued) != 1 {
		t.Fatalf("a failed deployment left a task: %d", len(queued))
	}

	// Sensitive prompted values are sealed: read back blank, revealed on
	// request, bound to their deployment, re-encrypted by a key rotation.
	secret := &app.Deployment{SpaceID: app.DefaultSpaceID, Name: "Deploy to Production", ReleaseID: r.ID, EnvironmentID: env.ID,
		DeploymentOptions: app.DeploymentOptions{SensitiveFormValues: map[string]string{"Key": "form-S3cret-value"}}}
	mustOK(t, d.CreateDeployment(ctx, secret, &app.Task{Description: "Deploy"}))
	if secret.SensitiveFormValues["Key"] != "" || len(secret.SensitiveFormValues) != 1 {
		t.Fatalf("created: %+v", secret.DeploymentOptions)
	}
	if got, _ := d.FindDeploymentByID(ctx, app.DefaultSpaceID, secret.ID); got.SensitiveFormValues["Key"] != "" || len(got.SensitiveFormValues) != 1 {
		t.Fatalf("read back: %+v", got.DeploymentOptions)
	}
	revealed, err := d.RevealDeploymentFormValues(ctx, app.DefaultSpaceID, secret.ID)
	if err != nil || revealed["Key"] != "form-S3cret-value" {
		t.Fatalf("revealed %v, %v", revealed, err)
	}
	if n, err := d.RotateMasterKey(ctx, newCipher(t)); err != nil || n != 1 {
		t.Fatalf("rotate: %d, %v", n, err)
	}
	if revealed, err := d.RevealDeploymentFormValues(ctx, app.DefaultSpaceID, secret.ID); err != nil || revealed["Key"] != "form-S3cret-value" {
		t.Fatalf("after rotation: %v, %v", revealed, err)
	}
}

// TestSetDeployedToMachines: the one change a deployment takes survives a
// reopen, replaces an earlier list, leaves the rest of the record and its
// indexes alone, and names a missing deployment as not found.
func TestSetDeployedToMachines(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	cipher := newCipher(t)
	d := openWithCipher(t, dir, cipher)
	p := newProject(t, d, "Web")
	env := newEnv(t, d, "Production")
	r := &app.Release{SpaceID: app.DefaultSpaceID, ProjectID: p.ID, Version: "1.0.0"}
	mustOK(t, d.CreateRelease(ctx, r))
	dep := &app.Deployment{SpaceID: app.DefaultSpaceID, Name: "Deploy to Production", ReleaseID: r.ID, EnvironmentID: env.ID,
		DeploymentOptions: app.DeploymentOptions{Comments: "first"}}
	mustOK(t, d.CreateDeployment(ctx, dep, &app.Task{Description: "Deploy"}))
	if got, _ := d.FindDeploymentByID(ctx, app.DefaultSpaceID, dep.ID); len(got.DeployedToMachineIDs) != 0 {
		t.Fatalf("a new deployment lists machines: %v", got.DeployedToMachineIDs)
	}
	mustOK(t, d.SetDeployedToMachines(ctx, app.DefaultSpaceID, dep.ID, []string{"Machines-9", "Machines-2"}))
	mustOK(t, d.SetDeployedToMachines(ctx, app.DefaultSpaceID, dep.ID, []string{"Machines-2", "Machines-3"}))
	wantCode(t, d.SetDeployedToMachines(ctx, app.DefaultSpaceID, "Deployments-99", []string{"Machines-1"}), app.ENOTFOUND)
	mustOK(t, d.Close())

	d = openWithCipher(t, dir, cipher)
	defer d.Close()
	got, err := d.FindDeploymentByID(ctx, app.DefaultSpaceID, dep.ID)
	mustOK(t, err)
	if want := []string{"Machines-2", "Machines-3"}; !slices.Equal(got.DeployedToMachineIDs, want) {
		t.Errorf("after reopen: %v, want %v", got.DeployedToMachineIDs, want)
	}
	if got.Comments != "first" || got.TaskID != dep.TaskID || !got.Created.Equal(dep.Created) {
		t.Errorf("the rest of the deployment changed: %+v", got)
	}
	if list, total, err := d.FindDeployments(ctx, app.DeploymentFilter{ReleaseIDs: []string{r.ID}}); err != nil || total != 1 ||
		!slices.Equal(list[0].DeployedToMachineIDs, got.DeployedToMachineIDs) {
		t.Errorf("by release index: %d %v", total, err)
	}
}

func TestInterruptionLifecycle(t *testing.T) {
	ctx := context.Background()
	d := openWithCipher(t, t.TempDir(), newCipher(t))
	defer d.Close()
	i := &app.Interruption{SpaceID: app.DefaultSpaceID, Type: app.InterruptionManual, Title: "Approve", TaskID: "ServerTasks-3", DeploymentID: "Deployments-2"}
	mustOK(t, d.CreateInterruption(ctx, i))
	if i.ID != "Interruptions-1" || !i.IsPending {
		t.Fatalf("%+v", i)
	}
	list, _, _ := d.FindInterruptions(ctx, app.InterruptionFilter{Regarding: "ServerTasks-3", PendingOnly: true})
	if len(list) != 1 {
		t.Fatal("regarding the task")
	}
	_, err := d.UpdateInterruption(ctx, "", i.ID, func(i *app.Interruption) error {
		i.IsPending, i.Result = false, app.ResultProceed
		return nil
	})
	mustOK(t, err)
	if list, _, _ := d.FindInterruptions(ctx, app.InterruptionFilter{Regarding: "Deployments-2", PendingOnly: true}); len(list) != 0 {
		t.Fatal("still pending")
	}
}
