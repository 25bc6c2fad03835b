package server_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// Test helpers for deployments: everything goes through the HTTP API.

type taskDoc struct {
	Id                      string
	State                   string
	IsCompleted             bool
	FinishedSuccessfully    bool
	HasPendingInterruptions bool
	ErrorMessage            string
	Arguments               map[string]string
}

type activityDoc struct {
	Id          string
	Name        string
	Status      string
	Children    []activityDoc
	LogElements []struct{ Category, MessageText string }
}

type detailsDoc struct {
	Task         taskDoc
	ActivityLogs []activityDoc
	Progress     struct {
		ProgressPercentage     int
		EstimatedTimeRemaining string
	}
}

// find returns the first node named name (prefix match) below a.
func (a activityDoc) find(name string) *activityDoc {
	for i := range a.Children {
		if strings.HasPrefix(a.Children[i].Name, name) {
			return &a.Children[i]
		}
		if f := a.Children[i].find(name); f != nil {
			return f
		}
	}
	return nil
}

// text joins every line of a and its children.
func (a activityDoc) text() string {
	var b strings.Builder
	for _, l := range a.LogElements {
		b.WriteString(l.MessageText + "\n")
	}
	for _, c := range a.Children {
		b.WriteString(c.text())
	}
	return b.String()
}

type deployTask struct{ DeploymentId, ServerTaskId string }

func runOnServer(name, body string) map[string]any { return scriptStep(name, body) }

func targetStep(name, role, body string) map[string]any {
	return map[string]any{"Name": name, "Properties": map[string]any{"Octopus.Action.TargetRoles": role},
		"Actions": []map[string]any{{"Name": name, "ActionType": "Octopus.Script",
			"Properties": map[string]any{"Octopus.Action.Script.ScriptBody": body, "Octopus.Action.Script.Syntax": "Bash"}}}}
}

func manualStep(name, instructions string) map[string]any {
	return map[string]any{"Name": name, "Properties": map[string]any{},
		"Actions": []map[string]any{{"Name": name, "ActionType": "Octopus.Manual",
			"Properties": map[string]any{"Octopus.Action.Manual.Instructions": instructions, "Octopus.Action.RunOnServer": "true"}}}}
}

func createEnvironment(t *testing.T, c *client, name string) resource {
	t.Helper()
	var e resource
	c.must("POST", "/api/Spaces-1/environments", map[string]any{"Name": name}, http.StatusCreated, &e)
	return e
}

// deployAnywhere gives the Default Lifecycle one phase that takes every
// environment, so that a release may go anywhere in any order (tests that
// are not about lifecycles deploy to several environments at once).
func deployAnywhere(t *testing.T, c *client) {
	t.Helper()
	var lc map[string]any
	c.must("GET", "/api/Spaces-1/lifecycles/Lifecycles-1", nil, http.StatusOK, &lc)
	lc["Phases"] = []map[string]any{{"Name": "Anywhere"}}
	c.must("PUT", "/api/Spaces-1/lifecycles/Lifecycles-1", lc, http.StatusOK, nil)
}

func createCloudTarget(t *testing.T, c *client, name string, roles []string, envIDs ...string) resource {
	t.Helper()
	var m resource
	c.must("POST", "/api/Spaces-1/machines", map[string]any{"Name": name, "Roles": roles, "EnvironmentIds": envIDs,
		"Endpoint": map[string]any{"CommunicationStyle": "None"}}, http.StatusCreated, &m)
	return m
}

// projectWith creates a project whose process is steps and whose variables are vars.
func projectWith(t *testing.T, c *client, name string, steps []any, vars []map[string]any) resource {
	t.Helper()
	p := createProject(t, c, name)
	var dp processDoc
	c.must("PUT", p.Links["DeploymentProcess"], map[string]any{"Version": 0, "Steps": steps}, http.StatusOK, &dp)
	if len(vars) > 0 {
		var vs map[string]any
		c.must("GET", p.Links["Variables"], nil, http.StatusOK, &vs)
		vs["Variables"] = vars
		c.must("PUT", p.Links["Variables"], vs, http.StatusOK, nil)
	}
	return p
}

func releaseV1(t *testing.T, c *client, project, version string) string {
	t.Helper()
	var out struct{ ReleaseId, ReleaseVersion string }
	c.must("POST", "/api/Spaces-1/releases/create/v1", map[string]any{"spaceId": "Spaces-1", "projectName": project,
		"releaseVersion": version}, http.StatusCreated, &out)
	return out.ReleaseId
}

func deployV1(t *testing.T, c *client, body map[string]any) []deployTask {
	t.Helper()
	body["spaceId"] = "Spaces-1"
	var out struct{ DeploymentServerTasks []deployTask }
	c.must("POST", "/api/Spaces-1/deployments/create/untenanted/v1", body, http.StatusCreated, &out)
	return out.DeploymentServerTasks
}

// waitTask polls GET /api/tasks?ids= (as `octopus task wait` does) until
// done(task) or the deadline.
func waitTask(t *testing.T, c *client, id string, within time.Duration, done func(taskDoc) bool) taskDoc {
	t.Helper()
	deadline := time.Now().Add(within)
	pause := 10 * time.Millisecond
	for {
		var page paged[taskDoc]
		c.must("GET", "/api/tasks?ids="+id, nil, http.StatusOK, &page)
		if len(page.Items) != 1 {
			t.Fatalf("tasks?ids=%s: %d items", id, len(page.Items))
		}
		if done(page.Items[0]) {
			return page.Items[0]
		}
		if time.Now().After(deadline) {
			t.Fatalf("task %s: still %+v after %s", id, page.Items[0], within)
		}
		time.Sleep(pause) // polling interval with backoff, bounded by the deadline
		pause = min(pause*2, 200*time.Millisecond)
	}
}

func completed(t taskDoc) bool { return t.IsCompleted }

func details(t *testing.T, c *client, id string) detailsDoc {
	t.Helper()
	var d detailsDoc
	c.must("GET", "/api/tasks/"+id+"/details?verbose=true", nil, http.StatusOK, &d)
	if len(d.ActivityLogs) != 1 {
		t.Fatalf("details: %d roots", len(d.ActivityLogs))
	}
	return d
}

func rawLog(t *testing.T, c *client, id string) string {
	t.Helper()
	status, body := c.call("GET", "/api/tasks/"+id+"/raw", nil)
	if status != http.StatusOK {
		t.Fatalf("raw: %d", status)
	}
	return string(body)
}

// consistent checks IsCompleted/FinishedSuccessfully against State.
func consistent(t *testing.T, task taskDoc) {
	t.Helper()
	final := map[string]bool{"Success": true, "Failed": true, "Canceled": true, "TimedOut": true}
	if task.IsCompleted != final[task.State] || task.FinishedSuccessfully != (task.State == "Success") {
		t.Errorf("inconsistent task %+v", task)
	}
}

func pendingInterruption(t *testing.T, c *client, taskID string) map[string]any {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	pause := 10 * time.Millisecond
	for {
		var page paged[map[string]any]
		c.must("GET", "/api/Spaces-1/interruptions?pendingOnly=true&regarding="+taskID, nil, http.StatusOK, &page)
		if len(page.Items) > 0 {
			return page.Items[0]
		}
		if time.Now().After(deadline) {
			t.Fatalf("no pending interruption for %s", taskID)
		}
		time.Sleep(pause)
		pause = min(pause*2, 200*time.Millisecond)
	}
}

func TestDeploymentEndToEnd(t *testing.T) {
	s := startServer(t, t.TempDir())
	c := adminClient(t, s)
	dev := createEnvironment(t, c, "Dev")
	test := createEnvironment(t, c, "Test")
	deployAnywhere(t, c) // both environments in one request
	for _, n := range []string{"region-a", "region-b"} {
		createCloudTarget(t, c, n, []string{"web"}, dev.Id, test.Id)
	}
	parallel := runOnServer("Parallel", `echo "parallel ran"`)
	parallel["StartTrigger"] = "StartWithPrevious"
	rolling := targetStep("Rolling", "web", `echo "rolling on #{Octopus.Machine.Name}"`)
	rolling["Properties"].(map[string]any)["Octopus.Action.MaxParallelism"] = "1"
	cleanup := runOnServer("Cleanup", `echo "cleaning up after: #{Octopus.Deployment.Error}"`)
	cleanup["Condition"] = "Failure"
	notAfterFailure := runOnServer("NeverRuns", `echo "should not run"`)
	steps := []any{
		runOnServer("Prepare", `echo "preparing #{Octopus.Environment.Name}"; set_octopusvariable "Token" "tok-#{Octopus.Environment.Name}"`),
		targetStep("Web", "web", `echo "token=#{Octopus.Action[Prepare].Output.Token} on #{Octopus.Machine.Name}"; set_octopusvariable "Where" "#{Octopus.Machine.Name}"`),
		parallel,
		rolling,
		runOnServer("Collect", `echo "a=#{Octopus.Action[Web].Output[region-a].Where} b=#{Octopus.Action[Web].Output[region-b].Where}"`),
		runOnServer("Fail", `echo "about to fail"; exit 3`),
		notAfterFailure,
		cleanup,
	}
	projectWith(t, c, "Shop", steps, nil)
	releaseV1(t, c, "Shop", "1.0.0")
	tasks := deployV1(t, c, map[string]any{"projectName": "Shop", "releaseVersion": "1.0.0", "environmentNames": []string{"Dev", "Test"}})
	if len(tasks) != 2 || tasks[0].ServerTaskId == tasks[1].ServerTaskId {
		t.Fatalf("deployments: %+v", tasks)
	}
	for i, env := range []string{"Dev", "Test"} {
		task := waitTask(t, c, tasks[i].ServerTaskId, time.Minute, completed)
		consistent(t, task)
		if task.State != "Failed" || !strings.Contains(task.ErrorMessage, "Fail") {
			t.Fatalf("%s: %+v", env, task)
		}
		d := details(t, c, task.Id)
		root := d.ActivityLogs[0]
		if testing.Verbose() && env == "Dev" {
			t.Log(rawLog(t, c, task.Id))
		}
		want := map[string]string{"Step 1: Prepare": "Success", "Step 2: Web": "Success", "Step 3: Parallel": "Success",
			"Step 4: Rolling": "Success", "Step 5: Collect": "Success", "Step 6: Fail": "Failed",
			"Step 7: NeverRuns": "Skipped", "Step 8: Cleanup": "Success"}
		for name, status := range want {
			n := root.find(name)
			if n == nil || n.Status != status {
				t.Errorf("%s: node %q = %+v, want %s", env, name, n, status)
			}
		}
		web := root.find("Step 2: Web")
		if web == nil || len(web.Children) != 2 {
			t.Fatalf("%s: Web step should have two target nodes: %+v", env, web)
		}
		for _, m := range []string{"region-a", "region-b"} {
			n := web.find(m)
			if n == nil || n.Status != "Success" || !strings.Contains(n.text(), "token=tok-"+env+" on "+m) {
				t.Errorf("%s: target %s: %+v", env, m, n)
			}
		}
		if got := root.find("Step 5: Collect").text(); !strings.Contains(got, "a=region-a b=region-b") {
			t.Errorf("%s: outputs across machines: %q", env, got)
		}
		if got := root.find("Step 8: Cleanup").text(); !strings.Contains(got, "cleaning up after: the script failed with exit code 3") {
			t.Errorf("%s: cleanup saw %q", env, got)
		}
		if got := root.find("Step 4: Rolling").text(); !strings.Contains(got, "at most 1 of 2") {
			t.Errorf("%s: rolling: %q", env, got)
		}
		if strings.Contains(root.text(), "should not run") {
			t.Errorf("%s: a Success step ran after a failure", env)
		}
	}
	// The deployments are listed by release and by environment.
	var list paged[map[string]any]
	c.must("GET", "/api/Spaces-1/deployments?environments="+test.Id, nil, http.StatusOK, &list)
	if list.TotalResults != 1 || list.Items[0]["TaskId"] != tasks[1].ServerTaskId {
		t.Errorf("deployments?environments: %+v", list)
	}
	var d map[string]any
	c.must("GET", "/api/Spaces-1/deployments/"+tasks[0].DeploymentId, nil, http.StatusOK, &d)
	c.must("GET", fmt.Sprintf("/api/Spaces-1/releases/%s/deployments", d["ReleaseId"]), nil, http.StatusOK, &list)
	if list.TotalResults != 2 {
		t.Errorf("release deployments: %d", list.TotalResults)
	}
}
