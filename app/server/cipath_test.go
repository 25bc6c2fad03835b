package server_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestCIPathContract replays the octopus CLI's CI path request by request
// (OCTOPUS-API.md "The CI path") with the bodies it sends, and checks the
// fields it decodes from each answer.
func TestCIPathContract(t *testing.T) {
	s := startServer(t, t.TempDir())
	c := adminClient(t, s)
	createEnvironment(t, c, "Dev")
	createEnvironment(t, c, "Test")
	deployAnywhere(t, c) // the CLI deploys to both environments in one request
	projectWith(t, c, "Acme Web", []any{runOnServer("Say", `echo "deploying #{Octopus.Release.Number} to #{Octopus.Environment.Name}"`),
		runOnServer("Wait", `if [ "#{Octopus.Environment.Name}" = Test ]; then echo waiting; sleep 600; fi`)}, nil)

	// 2. release create: project lookup by name (404 → partialName), then create/v1 without a version.
	status, _ := c.call("GET", "/api/Spaces-1/projects/Acme%20Web", nil)
	if status != http.StatusOK {
		var page paged[resource]
		c.must("GET", "/api/Spaces-1/projects?partialName=Acme%20Web", nil, http.StatusOK, &page)
	}
	var rel map[string]any
	c.must("POST", "/api/Spaces-1/releases/create/v1", json.RawMessage(`{"spaceId":"Spaces-1","spaceIdOrName":"Spaces-1",
		"projectName":"Acme Web","ignoreIfAlreadyExists":false,"ignoreChannelRules":false}`), http.StatusCreated, &rel)
	if rel["ReleaseId"] == "" || rel["ReleaseVersion"] != "0.0.1" {
		t.Fatalf("create/v1: %v", rel)
	}
	var again map[string]any
	c.must("POST", "/api/Spaces-1/releases/create/v1", json.RawMessage(`{"spaceId":"Spaces-1","projectName":"Acme Web",
		"releaseVersion":"0.0.1","ignoreIfAlreadyExists":true}`), http.StatusOK, &again)
	if again["ReleaseId"] != rel["ReleaseId"] {
		t.Fatalf("ignoreIfAlreadyExists: %v", again)
	}
	var release map[string]any
	c.must("GET", "/api/Spaces-1/releases/"+rel["ReleaseId"].(string), nil, http.StatusOK, &release)
	c.must("GET", "/api/Spaces-1/channels/"+release["ChannelId"].(string), nil, http.StatusOK, nil)

	// 3. release deploy to two environments.
	var dep struct {
		DeploymentServerTasks []struct{ DeploymentId, ServerTaskId string }
	}
	c.must("POST", "/api/Spaces-1/deployments/create/untenanted/v1", json.RawMessage(`{"spaceId":"Spaces-1","spaceIdOrName":"Spaces-1",
		"projectName":"Acme Web","releaseVersion":"0.0.1","environmentNames":["Dev","Test"],"forcePackageRedeployment":false,
		"updateVariableSnapshot":false,"forcePackageDownload":false,"useGuidedFailure":null}`), http.StatusCreated, &dep)
	if len(dep.DeploymentServerTasks) != 2 {
		t.Fatalf("deploy: %+v", dep)
	}
	dev, test := dep.DeploymentServerTasks[0].ServerTaskId, dep.DeploymentServerTasks[1].ServerTaskId
	c.must("GET", "/api/Spaces-1/projects/"+release["ProjectId"].(string)+"/releases/0.0.1", nil, http.StatusOK, nil)

	// 4. task wait: poll tasks?ids=a,b; decide on IsCompleted/FinishedSuccessfully.
	deadline := time.Now().Add(30 * time.Second)
	for {
		var page struct {
			Items []map[string]any
		}
		c.must("GET", "/api/tasks?ids="+dev+","+test, nil, http.StatusOK, &page)
		if len(page.Items) != 2 {
			t.Fatalf("tasks?ids: %d items", len(page.Items))
		}
		for _, it := range page.Items {
			for _, k := range []string{"Id", "Name", "Description", "State", "IsCompleted", "FinishedSuccessfully",
				"HasPendingInterruptions", "StartTime", "CompletedTime", "QueueTime", "Duration", "ErrorMessage"} {
				if _, ok := it[k]; !ok {
					t.Fatalf("task lacks %s: %v", k, it)
				}
			}
		}
		byID := map[string]map[string]any{}
		for _, it := range page.Items {
			byID[it["Id"].(string)] = it
		}
		if byID[dev]["IsCompleted"] == true && strings.Contains(details(t, c, test).ActivityLogs[0].text(), "waiting") {
			if byID[dev]["FinishedSuccessfully"] != true || byID[dev]["State"] != "Success" {
				t.Fatalf("dev: %v", byID[dev])
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("tasks: %v", page.Items)
		}
		time.Sleep(50 * time.Millisecond)
	}

	// --progress reads details: the tree with statuses and log elements.
	var det struct {
		Task         map[string]any
		ActivityLogs []struct {
			Children []struct {
				Id, Name, Status string
				Started, Ended   *string
				LogElements      []map[string]any
				Children         []struct{ LogElements []map[string]any }
			}
		}
	}
	c.must("GET", "/api/tasks/"+dev+"/details", nil, http.StatusOK, &det)
	if det.Task["Id"] != dev || len(det.ActivityLogs) != 1 || len(det.ActivityLogs[0].Children) != 2 {
		t.Fatalf("details: %+v", det)
	}
	say := det.ActivityLogs[0].Children[0]
	if say.Name != "Step 1: Say" || say.Status != "Success" || say.Started == nil || say.Ended == nil ||
		len(say.Children) != 1 || len(say.Children[0].LogElements) == 0 {
		t.Fatalf("step node: %+v", say)
	}
	line := say.Children[0].LogElements[0]
	if line["Category"] != "Info" || line["MessageText"] != "deploying 0.0.1 to Dev" || line["OccurredAt"] == nil {
		t.Fatalf("log element: %v", line)
	}

	// Cancel the one still running, through the space-scoped route the CLI uses.
	var cancelled map[string]any
	c.must("POST", "/api/spaces/Spaces-1/tasks/"+test+"/cancel", nil, http.StatusOK, &cancelled)
	if cancelled["Id"] != test {
		t.Fatalf("cancel: %v", cancelled)
	}
	got := waitTask(t, c, test, 5*time.Second, completed)
	consistent(t, got)
	if got.State != "Canceled" || got.IsCompleted != true || got.FinishedSuccessfully {
		t.Fatalf("after cancel: %+v", got)
	}
}
