package server_test

import (
	"net/url"
	"testing"
	"time"

	octoclient "github.com/OctopusDeploy/go-octopusdeploy/v2/pkg/client"
	"github.com/OctopusDeploy/go-octopusdeploy/v2/pkg/deployments"
	"github.com/OctopusDeploy/go-octopusdeploy/v2/pkg/interruptions"
	"github.com/OctopusDeploy/go-octopusdeploy/v2/pkg/tasks"
)

// TestOctopusGoClientDeployments replays the CI path's deploy half through
// go-octopusdeploy: CreateDeploymentUntenantedV1 to two environments, the
// tasks query by IDs, details, interruptions (take responsibility, submit)
// and cancel.
func TestOctopusGoClientDeployments(t *testing.T) {
	s := startServer(t, t.TempDir())
	c := adminClient(t, s)
	createEnvironment(t, c, "Dev")
	createEnvironment(t, c, "Test")
	deployAnywhere(t, c) // both environments in one request
	projectWith(t, c, "Shop", []any{manualStep("Approve", "ok?"), runOnServer("Hello", `echo "hello #{Octopus.Environment.Name}"`)}, nil)
	releaseV1(t, c, "Shop", "1.0.0")
	_, key := newClient(t, s).login(adminUser, adminPassword).newAPIKey("go-octopusdeploy")
	u, _ := url.Parse(s.URL)
	oc, err := octoclient.NewClient(nil, u, key, "Spaces-1")
	if err != nil {
		t.Fatal(err)
	}
	cmd := deployments.NewCreateDeploymentUntenantedCommandV1("Spaces-1", "Shop")
	cmd.ReleaseVersion = "1.0.0"
	cmd.EnvironmentNames = []string{"Dev", "Test"}
	res, err := deployments.CreateDeploymentUntenantedV1(oc, cmd)
	if err != nil || len(res.DeploymentServerTasks) != 2 {
		t.Fatalf("deploy: %+v %v", res, err)
	}
	dev, test := res.DeploymentServerTasks[0], res.DeploymentServerTasks[1]

	// Dev: approve through the client.
	pending := pendingInterruption(t, c, dev.ServerTaskID)
	i, err := oc.Interruptions.GetByID(pending["Id"].(string))
	if err != nil || !i.IsPending || i.CorrelationID != dev.ServerTaskID || !i.CanTakeResponsibility {
		t.Fatalf("interruption: %+v %v", i, err)
	}
	who, err := oc.Interruptions.TakeResponsibility(i)
	if err != nil || who.Username != adminUser {
		t.Fatalf("take responsibility: %+v %v", who, err)
	}
	if _, err := oc.Interruptions.Submit(i, &interruptions.InterruptionSubmitRequest{Notes: "go", Result: interruptions.ManualInterverventionApprove}); err != nil {
		t.Fatalf("submit: %v", err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		page, err := oc.Tasks.Get(tasks.TasksQuery{IDs: []string{dev.ServerTaskID, test.ServerTaskID}})
		if err != nil || len(page.Items) != 2 {
			t.Fatalf("tasks?ids: %+v %v", page, err)
		}
		var devTask *tasks.Task
		for _, tk := range page.Items {
			if tk.GetID() == dev.ServerTaskID {
				devTask = tk
			}
		}
		if devTask.IsCompleted != nil && *devTask.IsCompleted {
			if devTask.FinishedSuccessfully == nil || !*devTask.FinishedSuccessfully || devTask.State != "Success" {
				t.Fatalf("dev task: %+v", devTask)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("dev task still %s", devTask.State)
		}
		time.Sleep(50 * time.Millisecond)
	}
	det, err := tasks.GetDetails(oc, "Spaces-1", dev.ServerTaskID)
	if err != nil || len(det.ActivityLogs) != 1 || len(det.ActivityLogs[0].Children) != 2 {
		t.Fatalf("details: %+v %v", det, err)
	}

	// Test: cancel while it waits for approval.
	pendingInterruption(t, c, test.ServerTaskID)
	if _, err := tasks.Cancel(oc, "Spaces-1", test.ServerTaskID); err != nil {
		t.Fatalf("cancel: %v", err)
	}
	got := waitTask(t, c, test.ServerTaskID, 10*time.Second, completed)
	if got.State != "Canceled" {
		t.Fatalf("test task after cancel: %+v", got)
	}
	var left paged[map[string]any]
	c.must("GET", "/api/Spaces-1/interruptions?pendingOnly=true&regarding="+test.ServerTaskID, nil, 200, &left)
	if left.TotalResults != 0 {
		t.Errorf("a cancelled task left a pending interruption: %+v", left.Items)
	}
}
