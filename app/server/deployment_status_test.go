package server_test

import (
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestDeploymentProgress: while the second of three steps waits on a
// file, the task's details report a third of the steps done (the first
// ended, the waiting one and the last not) and the task page renders that
// in its <progress>; once the file appears and the task completes, 100.
func TestDeploymentProgress(t *testing.T) {
	s := startServer(t, t.TempDir())
	c := adminClient(t, s)
	createEnvironment(t, c, "Dev")
	gate := filepath.Join(t.TempDir(), "gate")
	projectWith(t, c, "Progress", []any{
		runOnServer("First", `echo "first done"`),
		runOnServer("Wait", `echo "waiting for the gate"; while [ ! -f "$(get_octopusvariable Gate)" ]; do sleep 0.05; done`),
		runOnServer("Last", `echo "last done"`),
	}, []map[string]any{{"Name": "Gate", "Value": gate}})
	releaseV1(t, c, "Progress", "1.0.0")
	task := deployV1(t, c, map[string]any{"projectName": "Progress", "releaseVersion": "1.0.0", "environmentNames": []string{"Dev"}})[0]

	untilLog(t, c, task.ServerTaskId, "waiting for the gate")
	d := details(t, c, task.ServerTaskId)
	if d.Task.IsCompleted {
		t.Fatalf("the task completed while the gate was closed: %+v", d.Task)
	}
	if got := d.Progress.ProgressPercentage; got != 33 {
		t.Errorf("progress while step 2 of 3 waits = %d, want 33", got)
	}
	if d.Progress.EstimatedTimeRemaining == "" {
		t.Errorf("no estimated time remaining once a step ended: %+v", d.Progress)
	}
	pc := portalClient()
	token := formToken(t, pc, s.URL+"/app/login")
	if resp, _ := postForm(t, pc, s.URL+"/app/login", url.Values{"csrf_token": {token}, "username": {adminUser}, "password": {adminPassword}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-in: %d", resp.StatusCode)
	}
	progressOnPage := func() string {
		t.Helper()
		status, page := send(t, pc, mustRequest("GET", s.URL+"/app/tasks/"+task.ServerTaskId))
		if status != http.StatusOK {
			t.Fatalf("task page: %d", status)
		}
		return between(page, "<progress", "</progress>")
	}
	if bar := progressOnPage(); !strings.Contains(bar, `data-testid="task-progress"`) || !strings.Contains(bar, `value="33"`) {
		t.Errorf("task page progress while waiting: %q", bar)
	}

	if err := os.WriteFile(gate, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if done := waitTask(t, c, task.ServerTaskId, 30*time.Second, completed); done.State != "Success" {
		t.Fatalf("task: %+v", done)
	}
	d = details(t, c, task.ServerTaskId)
	if d.Progress.ProgressPercentage != 100 || d.Progress.EstimatedTimeRemaining != "" {
		t.Errorf("progress of the completed task = %+v, want 100 and no estimate", d.Progress)
	}
	if bar := progressOnPage(); !strings.Contains(bar, `value="100"`) {
		t.Errorf("task page progress when completed: %q", bar)
	}
}

// TestDeployedToMachineIDs: a deployment lists the targets it ran on —
// both cloud regions of the role, only the one asked for with
// SpecificMachineIds, none when every step runs on the server.
func TestDeployedToMachineIDs(t *testing.T) {
	s := startServer(t, t.TempDir())
	c := adminClient(t, s)
	dev := createEnvironment(t, c, "Dev")
	east := createCloudTarget(t, c, "east", []string{"web"}, dev.Id)
	west := createCloudTarget(t, c, "west", []string{"web"}, dev.Id)
	createCloudTarget(t, c, "db", []string{"db"}, dev.Id) // in the environment, but no step needs it
	projectWith(t, c, "Web", []any{targetStep("Install", "web", `echo "installed"`), runOnServer("Notify", `echo "notified"`)}, nil)
	projectWith(t, c, "Server only", []any{runOnServer("Report", `echo "reported"`)}, nil)
	relID := releaseV1(t, c, "Web", "1.0.0")
	releaseV1(t, c, "Server only", "1.0.0")

	deployment := func(id string) deploymentDoc {
		t.Helper()
		var d deploymentDoc
		c.must("GET", "/api/Spaces-1/deployments/"+id, nil, http.StatusOK, &d)
		return d
	}
	finish := func(taskID string) {
		t.Helper()
		if done := waitTask(t, c, taskID, 30*time.Second, completed); done.State != "Success" {
			t.Fatalf("task: %+v", done)
		}
	}
	sorted := func(ids []string) []string { return slices.Sorted(slices.Values(ids)) }

	both := deployV1(t, c, map[string]any{"projectName": "Web", "releaseVersion": "1.0.0", "environmentNames": []string{"Dev"}})[0]
	finish(both.ServerTaskId)
	want := sorted([]string{east.Id, west.Id})
	if got := deployment(both.DeploymentId).DeployedToMachineIds; !slices.Equal(sorted(got), want) {
		t.Errorf("deployed to %v, want %v", got, want)
	}
	var list paged[deploymentDoc]
	c.must("GET", "/api/Spaces-1/deployments?taskIds="+both.ServerTaskId, nil, http.StatusOK, &list)
	if len(list.Items) != 1 || !slices.Equal(sorted(list.Items[0].DeployedToMachineIds), want) {
		t.Errorf("deployment list: %+v", list.Items)
	}

	var one deploymentDoc
	c.must("POST", "/api/Spaces-1/deployments", map[string]any{"ReleaseId": relID, "EnvironmentId": dev.Id,
		"SpecificMachineIds": []string{west.Id}}, http.StatusCreated, &one)
	if len(one.DeployedToMachineIds) != 0 {
		t.Errorf("a queued deployment already lists machines: %v", one.DeployedToMachineIds)
	}
	finish(one.TaskId)
	if got := deployment(one.Id); !slices.Equal(got.DeployedToMachineIds, []string{west.Id}) || !slices.Equal(got.SpecificMachineIds, []string{west.Id}) {
		t.Errorf("specific machine deployment: %+v, want only %s", got, west.Id)
	}

	server := deployV1(t, c, map[string]any{"projectName": "Server only", "releaseVersion": "1.0.0", "environmentNames": []string{"Dev"}})[0]
	finish(server.ServerTaskId)
	status, body := c.call("GET", "/api/Spaces-1/deployments/"+server.DeploymentId, nil)
	if status != http.StatusOK || !strings.Contains(string(body), `"DeployedToMachineIds":[]`) {
		t.Errorf("run-on-server deployment: %d %s", status, body)
	}
}

// TestTaskProgressInBrowser: the task page's <progress> follows the steps
// live — opened while the first of three steps waits it shows 0; when
// that step ends it moves to 33, then to 100 when the task completes, all
// without loading the page again.
func TestTaskProgressInBrowser(t *testing.T) {
	s := startServer(t, t.TempDir())
	c := adminClient(t, s)
	createEnvironment(t, c, "Dev")
	dir := t.TempDir()
	first, second := filepath.Join(dir, "first"), filepath.Join(dir, "second")
	projectWith(t, c, "Live progress", []any{
		runOnServer("One", `echo "one waits"; while [ ! -f "$(get_octopusvariable GateOne)" ]; do sleep 0.05; done`),
		runOnServer("Two", `echo "two waits"; while [ ! -f "$(get_octopusvariable GateTwo)" ]; do sleep 0.05; done`),
		runOnServer("Three", `echo "three done"`),
	}, []map[string]any{{"Name": "GateOne", "Value": first}, {"Name": "GateTwo", "Value": second}})
	releaseV1(t, c, "Live progress", "1.0.0")
	task := deployV1(t, c, map[string]any{"projectName": "Live progress", "releaseVersion": "1.0.0", "environmentNames": []string{"Dev"}})[0]
	untilLog(t, c, task.ServerTaskId, "one waits")

	progress := func(pct string) chromedp.Action[chromedp.Void] {
		return chromedp.WaitVisible(chromedp.CSS(`[data-testid="task-progress"][value="` + pct + `"]`))
	}
	ctx := newBrowserTab(t, 90*time.Second)
	do(t, ctx, "sign in and open the task",
		chromedp.Navigate(s.URL+"/app/tasks/"+task.ServerTaskId),
		chromedp.WaitVisible(testid("login-form")),
		chromedp.SendKeys(testid("login-username"), adminUser),
		chromedp.SendKeys(testid("login-password"), adminPassword),
		chromedp.Click(testid("login-submit")),
		chromedp.WaitVisible(testid("nav-home")),
		chromedp.Navigate(s.URL+"/app/tasks/"+task.ServerTaskId),
		waitText("task-log", "one waits"),
		progress("0"),
		chromedp.Evaluate[chromedp.Void](`window.__sameTaskPage = true`),
	)
	if err := os.WriteFile(first, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	do(t, ctx, "the first step ends", waitText("task-log", "two waits"), progress("33"))
	if err := os.WriteFile(second, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	do(t, ctx, "the task completes", waitText("task-state", "Success"), progress("100"))
	if same := run(t, ctx, "check the page did not reload", chromedp.Evaluate[bool](`window.__sameTaskPage === true`)); !same {
		t.Fatal("the task page was loaded again; the progress must follow the live log")
	}
}
