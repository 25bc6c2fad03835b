package server_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// untilLog polls the task's details until its log contains want.
func untilLog(t *testing.T, c *client, id, want string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	pause := 10 * time.Millisecond
	for {
		d := details(t, c, id)
		if strings.Contains(d.ActivityLogs[0].text(), want) {
			return
		}
		if d.Task.IsCompleted || time.Now().After(deadline) {
			t.Fatalf("task %s (%s) never logged %q:\n%s", id, d.Task.State, want, d.ActivityLogs[0].text())
		}
		time.Sleep(pause)
		pause = min(pause*2, 200*time.Millisecond)
	}
}

func TestCancelKillsRunningScriptWithinSeconds(t *testing.T) {
	s := startServer(t, t.TempDir())
	c := adminClient(t, s)
	createEnvironment(t, c, "Dev")
	projectWith(t, c, "Sleepy", []any{runOnServer("Sleep", `sleep 600 & echo "child=$!"; wait`)}, nil)
	releaseV1(t, c, "Sleepy", "1.0.0")
	task := deployV1(t, c, map[string]any{"projectName": "Sleepy", "releaseVersion": "1.0.0", "environmentNames": []string{"Dev"}})[0]
	untilLog(t, c, task.ServerTaskId, "child=")
	m := regexp.MustCompile(`child=(\d+)`).FindStringSubmatch(details(t, c, task.ServerTaskId).ActivityLogs[0].text())
	pid, _ := strconv.Atoi(m[1])

	start := time.Now()
	c.must("POST", "/api/spaces/Spaces-1/tasks/"+task.ServerTaskId+"/cancel", nil, http.StatusOK, nil)
	got := waitTask(t, c, task.ServerTaskId, 5*time.Second, completed)
	consistent(t, got)
	if got.State != "Canceled" {
		t.Fatalf("after cancel: %+v", got)
	}
	for syscall.Kill(pid, 0) == nil || !errors.Is(syscall.Kill(pid, 0), syscall.ESRCH) {
		if time.Since(start) > 5*time.Second {
			t.Fatalf("sleep %d still alive 5 s after cancel", pid)
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("canceled and killed in %s", time.Since(start).Round(time.Millisecond))
	if n := details(t, c, task.ServerTaskId).ActivityLogs[0].find("Step 1: Sleep"); n == nil || n.Status != "Canceled" {
		t.Errorf("step node after cancel: %+v", n)
	}
}

func TestManualInterventionProceedAndAbort(t *testing.T) {
	s := startServer(t, t.TempDir())
	c := adminClient(t, s)
	createEnvironment(t, c, "Prod")
	approve := manualStep("Approve", "Check the dashboards")
	approve["Actions"].([]map[string]any)[0]["Properties"].(map[string]any)["Octopus.Action.Manual.ResponsibleTeamIds"] = "Teams-2, Teams-5"
	projectWith(t, c, "Gate", []any{
		approve,
		runOnServer("After", `echo "notes=#{Octopus.Action[Approve].Output.Manual.Notes} by=#{Octopus.Action[Approve].Output.Manual.ResponsibleUser.Username} approved=#{Octopus.Action[Approve].Output.Manual.Approved}"`),
	}, nil)
	releaseV1(t, c, "Gate", "1.0.0")

	for _, tc := range []struct{ result, state string }{{"Proceed", "Success"}, {"Abort", "Failed"}} {
		t.Run(tc.result, func(t *testing.T) {
			c := c.on(t)
			task := deployV1(t, c, map[string]any{"projectName": "Gate", "releaseVersion": "1.0.0", "environmentNames": []string{"Prod"}})[0]
			i := pendingInterruption(t, c, task.ServerTaskId)
			// Responsible teams are stored (enforced once teams exist).
			if teams := fmt.Sprint(i["ResponsibleTeamIds"]); teams != "[Teams-2 Teams-5]" {
				t.Errorf("ResponsibleTeamIds: %s", teams)
			}
			if i["Title"] != "Approve" || i["CorrelationId"] != task.ServerTaskId || i["IsPending"] != true {
				t.Fatalf("interruption: %+v", i)
			}
			waiting := waitTask(t, c, task.ServerTaskId, 10*time.Second, func(t taskDoc) bool { return t.HasPendingInterruptions })
			if waiting.State != "Executing" {
				t.Fatalf("waiting task: %+v", waiting)
			}
			// Waiting holds no task slot.
			deadline := time.Now().Add(5 * time.Second)
			for holding, parked := s.Tasks.Running(); holding != 0 || parked != 1; holding, parked = s.Tasks.Running() {
				if time.Now().After(deadline) {
					t.Fatalf("while waiting: %d holding a slot, %d parked", holding, parked)
				}
				time.Sleep(10 * time.Millisecond)
			}
			id := i["Id"].(string)
			c.must("PUT", "/api/Spaces-1/interruptions/"+id+"/responsible", nil, http.StatusOK, nil)
			c.mustFail("POST", "/api/Spaces-1/interruptions/"+id+"/submit", map[string]any{"Result": "Retry"}, http.StatusBadRequest)
			c.must("POST", "/api/Spaces-1/interruptions/"+id+"/submit", map[string]any{"Notes": "looks good", "Result": tc.result}, http.StatusOK, nil)
			c.mustFail("POST", "/api/Spaces-1/interruptions/"+id+"/submit", map[string]any{"Result": tc.result}, http.StatusConflict)
			got := waitTask(t, c, task.ServerTaskId, 30*time.Second, completed)
			consistent(t, got)
			if got.State != tc.state || got.HasPendingInterruptions {
				t.Fatalf("after %s: %+v", tc.result, got)
			}
			text := details(t, c, task.ServerTaskId).ActivityLogs[0].text()
			if tc.result == "Proceed" && !strings.Contains(text, "notes=looks good by=admin approved=True") {
				t.Errorf("outputs of the manual step not seen:\n%s", text)
			}
			if tc.result == "Abort" && (!strings.Contains(got.ErrorMessage, "aborted by admin") || strings.Contains(text, "notes=")) {
				t.Errorf("abort: %+v\n%s", got, text)
			}
		})
	}
}

func TestGuidedFailureRetryAndIgnore(t *testing.T) {
	s := startServer(t, t.TempDir())
	c := adminClient(t, s)
	createEnvironment(t, c, "Prod")
	marker := filepath.Join(t.TempDir(), "second-time")
	projectWith(t, c, "Flaky", []any{
		runOnServer("Flaky", `if [ -f '`+marker+`' ]; then echo "worked the second time"; else touch '`+marker+`'; echo "failing once"; exit 1; fi`),
		runOnServer("Broken", `exit 2`),
		runOnServer("After", `echo "after ran"`),
	}, nil)
	releaseV1(t, c, "Flaky", "1.0.0")
	task := deployV1(t, c, map[string]any{"projectName": "Flaky", "releaseVersion": "1.0.0", "environmentNames": []string{"Prod"},
		"useGuidedFailure": true})[0]

	i := pendingInterruption(t, c, task.ServerTaskId)
	if !strings.Contains(i["Title"].(string), "Flaky") {
		t.Fatalf("first interruption: %+v", i)
	}
	c.must("POST", "/api/Spaces-1/interruptions/"+i["Id"].(string)+"/submit", map[string]any{"Guidance": "Retry"}, http.StatusOK, nil)
	untilLog(t, c, task.ServerTaskId, "worked the second time")

	i = pendingInterruption(t, c, task.ServerTaskId)
	if !strings.Contains(i["Title"].(string), "Broken") {
		t.Fatalf("second interruption: %+v", i)
	}
	c.must("POST", "/api/Spaces-1/interruptions/"+i["Id"].(string)+"/submit", map[string]any{"Result": "Ignore", "Notes": "known"}, http.StatusOK, nil)
	got := waitTask(t, c, task.ServerTaskId, 30*time.Second, completed)
	consistent(t, got)
	text := details(t, c, task.ServerTaskId).ActivityLogs[0].text()
	if got.State != "Success" || !strings.Contains(text, "after ran") || !strings.Contains(text, "chose to ignore") {
		t.Fatalf("after ignore: %+v\n%s", got, text)
	}
}

func TestConcurrencyTagSerialisesDeploymentsOfOneProjectAndEnvironment(t *testing.T) {
	s := startServer(t, t.TempDir())
	c := adminClient(t, s)
	createEnvironment(t, c, "Prod")
	projectWith(t, c, "Serial", []any{runOnServer("Work", `echo start; sleep 0.3; echo end`)}, nil)
	releaseV1(t, c, "Serial", "1.0.0")
	a := deployV1(t, c, map[string]any{"projectName": "Serial", "releaseVersion": "1.0.0", "environmentNames": []string{"Prod"}})[0]
	b := deployV1(t, c, map[string]any{"projectName": "Serial", "releaseVersion": "1.0.0", "environmentNames": []string{"Prod"}})[0]
	type times struct {
		State                    string
		StartTime, CompletedTime time.Time
	}
	var ta, tb times
	waitTask(t, c, b.ServerTaskId, 30*time.Second, completed)
	waitTask(t, c, a.ServerTaskId, 30*time.Second, completed)
	c.must("GET", "/api/tasks/"+a.ServerTaskId, nil, http.StatusOK, &ta)
	c.must("GET", "/api/tasks/"+b.ServerTaskId, nil, http.StatusOK, &tb)
	if ta.State != "Success" || tb.State != "Success" {
		t.Fatalf("states %s %s", ta.State, tb.State)
	}
	if tb.StartTime.Before(ta.CompletedTime) {
		t.Fatalf("the second deployment started at %s, before the first completed at %s", tb.StartTime, ta.CompletedTime)
	}
}

func TestSecretsAreMaskedInDetailsAndRaw(t *testing.T) {
	s := startServer(t, t.TempDir())
	c := adminClient(t, s)
	createEnvironment(t, c, "Prod")
	projectWith(t, c, "Secretive", []any{
		runOnServer("Leak", `echo "secret is #{Password}"
set_octopusvariable "Runtime" "runtime-secret-4711" -sensitive
echo "runtime is runtime-secret-4711"
printf 'split: hunter2-'; sleep 0.1; printf 'correct-horse\n'`),
		runOnServer("Later", `echo "later sees #{Octopus.Action[Leak].Output.Runtime}"`),
	}, []map[string]any{{"Name": "Password", "Value": "hunter2-correct-horse", "IsSensitive": true}})
	releaseV1(t, c, "Secretive", "1.0.0")
	task := deployV1(t, c, map[string]any{"projectName": "Secretive", "releaseVersion": "1.0.0", "environmentNames": []string{"Prod"}})[0]
	got := waitTask(t, c, task.ServerTaskId, 30*time.Second, completed)
	if got.State != "Success" {
		t.Fatalf("%+v", got)
	}
	text := details(t, c, task.ServerTaskId).ActivityLogs[0].text()
	raw := rawLog(t, c, task.ServerTaskId)
	for what, s := range map[string]string{"details": text, "raw": raw} {
		for _, secret := range []string{"hunter2-correct-horse", "runtime-secret-4711", "hunter2", "4711"} {
			if strings.Contains(s, secret) {
				t.Errorf("%s shows %q:\n%s", what, secret, s)
			}
		}
		for _, want := range []string{"secret is ********", "runtime is ********", "split: ********", "later sees ********"} {
			if !strings.Contains(s, want) {
				t.Errorf("%s lacks %q:\n%s", what, want, s)
			}
		}
	}
}

func TestArtifactsAreStoredAndListed(t *testing.T) {
	s := startServer(t, t.TempDir())
	c := adminClient(t, s)
	createEnvironment(t, c, "Prod")
	projectWith(t, c, "Reports", []any{runOnServer("Report", `update_progress 40 "halfway <there>"
echo "report for #{Octopus.Environment.Name}" > report.txt; new_octopusartifact "$PWD/report.txt" report.txt`)}, nil)
	releaseV1(t, c, "Reports", "1.0.0")
	task := deployV1(t, c, map[string]any{"projectName": "Reports", "releaseVersion": "1.0.0", "environmentNames": []string{"Prod"}})[0]
	if got := waitTask(t, c, task.ServerTaskId, 30*time.Second, completed); got.State != "Success" {
		t.Fatalf("%+v\n%s", got, details(t, c, task.ServerTaskId).ActivityLogs[0].text())
	}
	for _, regarding := range []string{task.ServerTaskId, task.DeploymentId} {
		var list paged[struct {
			Id, Filename, Source, ServerTaskId string
			Length                             int64
			Links                              map[string]string
		}]
		c.must("GET", "/api/Spaces-1/artifacts?regarding="+regarding, nil, http.StatusOK, &list)
		if list.TotalResults != 1 || list.Items[0].Filename != "report.txt" || list.Items[0].Source != "Octopus Server" {
			t.Fatalf("artifacts regarding %s: %+v", regarding, list)
		}
		status, body := c.call("GET", list.Items[0].Links["Content"], nil)
		if status != http.StatusOK || string(body) != "report for Prod\n" {
			t.Fatalf("content: %d %q", status, body)
		}
	}
	// The script's progress report is an Info line of its target, shown
	// without verbose; the task page lists the artifact and the progress.
	var d detailsDoc
	c.must("GET", "/api/tasks/"+task.ServerTaskId+"/details", nil, http.StatusOK, &d)
	if n := d.ActivityLogs[0].find("Octopus Server"); n == nil || !strings.Contains(n.text(), "Progress: 40% halfway <there>") {
		t.Fatalf("no progress line in the details: %+v", d.ActivityLogs[0])
	}
	pc := portalClient()
	token := formToken(t, pc, s.URL+"/app/login")
	if resp, _ := postForm(t, pc, s.URL+"/app/login", url.Values{"csrf_token": {token}, "username": {adminUser}, "password": {adminPassword}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-in: %d", resp.StatusCode)
	}
	_, page := send(t, pc, mustRequest("GET", s.URL+"/app/tasks/"+task.ServerTaskId))
	arts := between(page, `data-testid="task-artifacts"`, "</ul>")
	if !strings.Contains(arts, "report.txt") || !strings.Contains(arts, "/content") {
		t.Errorf("task page artifacts: %q", arts)
	}
	// The finished step is collapsed on the page; its lines load on demand.
	_, lines := send(t, pc, mustRequest("GET", s.URL+"/app/tasks/"+task.ServerTaskId+"/lines?node="+url.QueryEscape(d.ActivityLogs[0].find("Octopus Server").Id)))
	if !strings.Contains(lines, "Progress: 40% halfway &lt;there&gt;") {
		t.Errorf("task page lines without the progress: %s", lines)
	}
}

func TestScheduledDeploymentAndSkipOptions(t *testing.T) {
	s := startServer(t, t.TempDir())
	c := adminClient(t, s)
	createEnvironment(t, c, "Prod")
	required := runOnServer("Required", `echo "required ran"`)
	required["Actions"].([]map[string]any)[0]["IsRequired"] = true
	projectWith(t, c, "Later", []any{required, runOnServer("Optional", `echo "optional ran"`)}, nil)
	releaseV1(t, c, "Later", "1.0.0")

	// Required steps cannot be skipped; unknown steps are named.
	for _, skip := range []string{"Required", "Nope"} {
		e := c.mustFail("POST", "/api/Spaces-1/deployments/create/untenanted/v1", map[string]any{"projectName": "Later",
			"releaseVersion": "1.0.0", "environmentNames": []string{"Prod"}, "skipStepNames": []string{skip}}, http.StatusBadRequest)
		if !strings.Contains(strings.Join(e.Errors, " "), skip) {
			t.Errorf("skip %s: %+v", skip, e)
		}
	}
	// An unknown environment creates nothing.
	c.mustFail("POST", "/api/Spaces-1/deployments/create/untenanted/v1", map[string]any{"projectName": "Later",
		"releaseVersion": "1.0.0", "environmentNames": []string{"Prod", "Nowhere"}}, http.StatusBadRequest)
	var none paged[map[string]any]
	c.must("GET", "/api/Spaces-1/deployments", nil, http.StatusOK, &none)
	if none.TotalResults != 0 {
		t.Fatalf("a refused request created %d deployments", none.TotalResults)
	}

	runAt := time.Now().Add(1500 * time.Millisecond).UTC()
	task := deployV1(t, c, map[string]any{"projectName": "Later", "releaseVersion": "1.0.0", "environmentNames": []string{"Prod"},
		"skipStepNames": []string{"Optional"}, "runAt": runAt.Format(time.RFC3339Nano),
		"noRunAfter": runAt.Add(time.Hour).Format(time.RFC3339Nano)})[0]
	var queued struct {
		State     string
		QueueTime time.Time
	}
	c.must("GET", "/api/tasks/"+task.ServerTaskId, nil, http.StatusOK, &queued)
	if queued.State != "Queued" || queued.QueueTime.Sub(runAt).Abs() > time.Millisecond {
		t.Fatalf("scheduled task: %+v (runAt %s)", queued, runAt)
	}
	got := waitTask(t, c, task.ServerTaskId, 30*time.Second, completed)
	var done struct{ StartTime time.Time }
	c.must("GET", "/api/tasks/"+task.ServerTaskId, nil, http.StatusOK, &done)
	text := details(t, c, task.ServerTaskId).ActivityLogs[0].text()
	if got.State != "Success" || done.StartTime.Before(runAt.Add(-time.Millisecond)) || !strings.Contains(text, "required ran") || strings.Contains(text, "optional ran") {
		t.Fatalf("scheduled run: %+v started %s (runAt %s)\n%s", got, done.StartTime, runAt, text)
	}
}

func TestRestartClosesInterruptionsOfFinishedTasks(t *testing.T) {
	dir := t.TempDir()
	s := startServer(t, dir)
	c := adminClient(t, s)
	createEnvironment(t, c, "Prod")
	projectWith(t, c, "Gate", []any{manualStep("Approve", "ok?")}, nil)
	releaseV1(t, c, "Gate", "1.0.0")
	task := deployV1(t, c, map[string]any{"projectName": "Gate", "releaseVersion": "1.0.0", "environmentNames": []string{"Prod"}})[0]
	i := pendingInterruption(t, c, task.ServerTaskId)
	stopServer(t, s)

	s = startServer(t, dir)
	c = adminClient(t, s)
	got := waitTask(t, c, task.ServerTaskId, 10*time.Second, completed)
	// Not resumed (see app.InterruptedReason), and the reason says why.
	if got.State != "Failed" || !strings.Contains(got.ErrorMessage, "interrupted by server shutdown while it waited for a manual intervention") ||
		!strings.Contains(got.ErrorMessage, "deploy the release again") {
		t.Fatalf("after restart: %+v", got)
	}
	var after map[string]any
	c.must("GET", "/api/Spaces-1/interruptions/"+i["Id"].(string), nil, http.StatusOK, &after)
	if after["IsPending"] != false {
		t.Fatalf("interruption still pending after its task ended: %+v", after)
	}
	c.mustFail("POST", "/api/Spaces-1/interruptions/"+i["Id"].(string)+"/submit", map[string]any{"Result": "Proceed"}, http.StatusConflict)
}

func TestGuidedFailureExcludeMachine(t *testing.T) {
	s := startServer(t, t.TempDir())
	c := adminClient(t, s)
	env := createEnvironment(t, c, "Prod")
	createCloudTarget(t, c, "region-a", []string{"web"}, env.Id)
	createCloudTarget(t, c, "region-b", []string{"web"}, env.Id)
	projectWith(t, c, "Half", []any{
		targetStep("Web", "web", `if [ "#{Octopus.Machine.Name}" = region-a ]; then exit 1; fi; echo "web ok on #{Octopus.Machine.Name}"`),
		targetStep("After", "web", `echo "after on #{Octopus.Machine.Name}"`),
	}, nil)
	releaseV1(t, c, "Half", "1.0.0")
	task := deployV1(t, c, map[string]any{"projectName": "Half", "releaseVersion": "1.0.0", "environmentNames": []string{"Prod"},
		"useGuidedFailure": true})[0]
	i := pendingInterruption(t, c, task.ServerTaskId)
	if !strings.Contains(i["Title"].(string), "region-a") {
		t.Fatalf("interruption: %+v", i)
	}
	c.must("POST", "/api/Spaces-1/interruptions/"+i["Id"].(string)+"/submit", map[string]any{"Guidance": "Exclude"}, http.StatusOK, nil)
	got := waitTask(t, c, task.ServerTaskId, 30*time.Second, completed)
	text := details(t, c, task.ServerTaskId).ActivityLogs[0].text()
	if got.State != "Success" || !strings.Contains(text, "after on region-b") || strings.Contains(text, "after on region-a") {
		t.Fatalf("after exclude: %+v\n%s", got, text)
	}
}

func TestUnsupportedTargetsAreNamedAndSkipped(t *testing.T) {
	s := startServer(t, t.TempDir())
	c := adminClient(t, s)
	env := createEnvironment(t, c, "Prod")
	createCloudTarget(t, c, "region-a", []string{"web"}, env.Id)
	c.must("POST", "/api/Spaces-1/machines", map[string]any{"Name": "tentacle-1", "Roles": []string{"web"}, "EnvironmentIds": []string{env.Id},
		"Endpoint": map[string]any{"CommunicationStyle": "TentaclePassive", "Uri": "https://10.0.0.1:10933/",
			"Thumbprint": strings.Repeat("AB", 20)}}, http.StatusCreated, nil)
	projectWith(t, c, "Mixed", []any{targetStep("Web", "web", `echo "on #{Octopus.Machine.Name}"`)}, nil)
	releaseV1(t, c, "Mixed", "1.0.0")
	task := deployV1(t, c, map[string]any{"projectName": "Mixed", "releaseVersion": "1.0.0", "environmentNames": []string{"Prod"}})[0]
	got := waitTask(t, c, task.ServerTaskId, 30*time.Second, completed)
	root := details(t, c, task.ServerTaskId).ActivityLogs[0]
	text := root.text()
	if got.State != "Success" || !strings.Contains(text, "Skipping the target tentacle-1: deployments to TentaclePassive targets are not supported yet.") ||
		!strings.Contains(text, "on region-a") || strings.Contains(text, "on tentacle-1") {
		t.Fatalf("%+v\n%s", got, text)
	}
	if w := root.LogElements; len(w) < 2 || w[1].Category != "Warning" {
		t.Errorf("root lines: %+v", w)
	}
}

func TestPromptedVariableValues(t *testing.T) {
	s := startServer(t, t.TempDir())
	c := adminClient(t, s)
	createEnvironment(t, c, "Prod")
	proj := projectWith(t, c, "Prompted", []any{runOnServer("Show", `echo "color=#{Color} size=#{Size} shape=#{Shape}"`)},
		[]map[string]any{{"Name": "Color", "Value": "", "Prompt": map[string]any{"Label": "Color", "Required": true}},
			{"Name": "Shape", "Value": "round", "Prompt": map[string]any{"Label": "Shape", "Required": true}},
			{"Name": "Size", "Value": "small"}})
	relID := releaseV1(t, c, "Prompted", "1.0.0")

	// A required prompt without a value (or only blanks) refuses the
	// deployment with a 400 naming the variable, and creates nothing. One
	// with a default (Shape) needs no value, but a blank one is refused.
	for _, tc := range []struct {
		vars map[string]string
		name string
	}{{nil, "'Color'"}, {map[string]string{"Color": "  "}, "'Color'"}, {map[string]string{"Shape": "square"}, "'Color'"},
		{map[string]string{"Color": "teal", "Shape": " "}, "'Shape'"}} {
		e := c.mustFail("POST", "/api/Spaces-1/deployments/create/untenanted/v1", map[string]any{"spaceId": "Spaces-1",
			"projectName": "Prompted", "releaseVersion": "1.0.0", "environmentNames": []string{"Prod"}, "variables": tc.vars}, http.StatusBadRequest)
		if errs := strings.Join(e.Errors, " "); !strings.Contains(errs, tc.name) || !strings.Contains(e.ErrorMessage, "prompted variable") ||
			(tc.name == "'Color'" && strings.Contains(errs, "'Shape'")) {
			t.Errorf("variables %v: %+v", tc.vars, e)
		}
	}
	// A value for a variable that is not prompted (Size is a plain one) is
	// refused: a deployer must not override what only editors may change.
	e := c.mustFail("POST", "/api/Spaces-1/deployments/create/untenanted/v1", map[string]any{"spaceId": "Spaces-1",
		"projectName": "Prompted", "releaseVersion": "1.0.0", "environmentNames": []string{"Prod"},
		"variables": map[string]string{"Color": "teal", "Size": "huge"}}, http.StatusBadRequest)
	if !strings.Contains(strings.Join(e.Errors, " "), "'Size' is not a prompted variable of release 1.0.0; it prompts for 'Color' and 'Shape'.") {
		t.Errorf("a value for a variable that is not prompted: %+v", e)
	}
	env := c.mustFail("POST", "/api/Spaces-1/deployments", map[string]any{"ReleaseId": relID, "EnvironmentId": "Environments-1"}, http.StatusBadRequest)
	if !strings.Contains(strings.Join(env.Errors, " "), "'Color'") {
		t.Errorf("POST /deployments without FormValues: %+v", env)
	}
	var none paged[map[string]any]
	c.must("GET", "/api/Spaces-1/deployments", nil, http.StatusOK, &none)
	if none.TotalResults != 0 {
		t.Fatalf("refused deployments created %d", none.TotalResults)
	}
	// The REST Deployment names prompted variables by variable ID.
	var vs struct{ Variables []struct{ Id, Name string } }
	c.must("GET", proj.Links["Variables"], nil, http.StatusOK, &vs)
	colorID := ""
	for _, v := range vs.Variables {
		if v.Name == "Color" {
			colorID = v.Id
		}
	}
	var byID map[string]any
	c.must("POST", "/api/Spaces-1/deployments", map[string]any{"ReleaseId": relID, "EnvironmentId": "Environments-1",
		"FormValues": map[string]string{colorID: "green"}}, http.StatusCreated, &byID)
	first := waitTask(t, c, byID["TaskId"].(string), 30*time.Second, completed)
	if text := details(t, c, first.Id).ActivityLogs[0].text(); first.State != "Success" || !strings.Contains(text, "color=green size=small shape=round") {
		t.Fatalf("FormValues by ID: %+v\n%s", first, text)
	}

	task := deployV1(t, c, map[string]any{"projectName": "Prompted", "releaseVersion": "1.0.0", "environmentNames": []string{"Prod"},
		"variables": map[string]string{"Color": "blue", "shape": "square"}})[0]
	got := waitTask(t, c, task.ServerTaskId, 30*time.Second, completed)
	text := details(t, c, task.ServerTaskId).ActivityLogs[0].text()
	if got.State != "Success" || !strings.Contains(text, "color=blue size=small shape=square") {
		t.Fatalf("%+v\n%s", got, text)
	}
	var d map[string]any
	c.must("GET", "/api/Spaces-1/deployments/"+task.DeploymentId, nil, http.StatusOK, &d)
	if d["FormValues"].(map[string]any)["Color"] != "blue" {
		t.Errorf("FormValues: %v", d["FormValues"])
	}
}

// TestDeploymentExpiresWhileQueued queues a deployment behind another of
// the same project and environment (which waits on a manual intervention,
// holding the concurrency tag) with a QueueTimeExpiry that passes first:
// it ends TimedOut with a clear reason and never runs.
func TestDeploymentExpiresWhileQueued(t *testing.T) {
	s := startServer(t, t.TempDir())
	c := adminClient(t, s)
	createEnvironment(t, c, "Prod")
	projectWith(t, c, "Held", []any{manualStep("Hold", "wait"), runOnServer("Work", `echo "work ran"`)}, nil)
	releaseV1(t, c, "Held", "1.0.0")
	first := deployV1(t, c, map[string]any{"projectName": "Held", "releaseVersion": "1.0.0", "environmentNames": []string{"Prod"}})[0]
	in := pendingInterruption(t, c, first.ServerTaskId)
	expiry := time.Now().UTC().Add(time.Second)
	second := deployV1(t, c, map[string]any{"projectName": "Held", "releaseVersion": "1.0.0", "environmentNames": []string{"Prod"},
		"noRunAfter": expiry.Format(time.RFC3339Nano)})[0]
	got := waitTask(t, c, second.ServerTaskId, 30*time.Second, completed)
	consistent(t, got)
	if got.State != "TimedOut" || !strings.Contains(got.ErrorMessage, "was not started before its expiry time") {
		t.Fatalf("expired deployment: %+v", got)
	}
	var dep struct{ QueueTimeExpiry time.Time }
	c.must("GET", "/api/Spaces-1/deployments/"+second.DeploymentId, nil, http.StatusOK, &dep)
	if dep.QueueTimeExpiry.Sub(expiry).Abs() > time.Millisecond {
		t.Errorf("QueueTimeExpiry %s, want %s", dep.QueueTimeExpiry, expiry)
	}
	if text := details(t, c, second.ServerTaskId).ActivityLogs[0].text(); strings.Contains(text, "work ran") {
		t.Errorf("the expired deployment ran:\n%s", text)
	}
	c.must("POST", "/api/Spaces-1/interruptions/"+in["Id"].(string)+"/submit", map[string]any{"Result": "Proceed"}, http.StatusOK, nil)
	if got := waitTask(t, c, first.ServerTaskId, 30*time.Second, completed); got.State != "Success" {
		t.Fatalf("first deployment: %+v", got)
	}
}

// TestDeploymentTargetsAndStepOptions: specific and excluded machines
// (by name on the CI path, by ID on the REST Deployment), a disabled step,
// Variable conditions that run and that skip.
func TestDeploymentTargetsAndStepOptions(t *testing.T) {
	s := startServer(t, t.TempDir())
	c := adminClient(t, s)
	env := createEnvironment(t, c, "Prod")
	other := createEnvironment(t, c, "Other")
	a := createCloudTarget(t, c, "region-a", []string{"web"}, env.Id)
	b := createCloudTarget(t, c, "region-b", []string{"web"}, env.Id)
	createCloudTarget(t, c, "region-c", []string{"web"}, env.Id)
	elsewhere := createCloudTarget(t, c, "region-x", []string{"web"}, other.Id)
	disabled := runOnServer("Disabled", `echo "disabled ran"`)
	disabled["Actions"].([]map[string]any)[0]["IsDisabled"] = true
	yes := runOnServer("When yes", `echo "when-yes ran"`)
	yes["Condition"] = "Variable"
	yes["Properties"].(map[string]any)["Octopus.Step.ConditionVariableExpression"] = "#{if Notify}true#{/if}"
	no := runOnServer("When no", `echo "when-no ran"`)
	no["Condition"] = "Variable"
	no["Properties"].(map[string]any)["Octopus.Step.ConditionVariableExpression"] = "#{if Missing}true#{/if}"
	projectWith(t, c, "Targets", []any{targetStep("Web", "web", `echo "web on #{Octopus.Machine.Name}"`), disabled, yes, no},
		[]map[string]any{{"Name": "Notify", "Value": "True"}})
	relID := releaseV1(t, c, "Targets", "1.0.0")

	task := deployV1(t, c, map[string]any{"projectName": "Targets", "releaseVersion": "1.0.0", "environmentNames": []string{"Prod"},
		"specificMachineNames": []string{"region-a", "region-b"}, "excludedMachineNames": []string{"region-b"}})[0]
	got := waitTask(t, c, task.ServerTaskId, 30*time.Second, completed)
	root := details(t, c, task.ServerTaskId).ActivityLogs[0]
	text := root.text()
	if got.State != "Success" || !strings.Contains(text, "web on region-a") || strings.Contains(text, "region-b") || strings.Contains(text, "region-c") {
		t.Fatalf("%+v\n%s", got, text)
	}
	if strings.Contains(text, "disabled ran") || !strings.Contains(text, "when-yes ran") || strings.Contains(text, "when-no ran") {
		t.Fatalf("steps:\n%s", text)
	}
	if n := root.find("Step 4: When no"); n == nil || n.Status != "Skipped" {
		t.Errorf("a false Variable condition: %+v", n)
	}
	var d struct{ SpecificMachineIds, ExcludedMachineIds []string }
	c.must("GET", "/api/Spaces-1/deployments/"+task.DeploymentId, nil, http.StatusOK, &d)
	if len(d.SpecificMachineIds) != 2 || d.SpecificMachineIds[0] != a.Id || len(d.ExcludedMachineIds) != 1 || d.ExcludedMachineIds[0] != b.Id {
		t.Errorf("deployment machines: %+v", d)
	}

	// The REST Deployment takes IDs; a machine of another environment is refused.
	e := c.mustFail("POST", "/api/Spaces-1/deployments", map[string]any{"ReleaseId": relID, "EnvironmentId": env.Id,
		"SpecificMachineIds": []string{elsewhere.Id}}, http.StatusBadRequest)
	if !strings.Contains(e.ErrorMessage, elsewhere.Id) {
		t.Errorf("machine of another environment: %+v", e)
	}
	var created struct{ TaskId string }
	c.must("POST", "/api/Spaces-1/deployments", map[string]any{"ReleaseId": relID, "EnvironmentId": env.Id,
		"ExcludedMachineIds": []string{a.Id, b.Id}}, http.StatusCreated, &created)
	waitTask(t, c, created.TaskId, 30*time.Second, completed)
	if text := details(t, c, created.TaskId).ActivityLogs[0].text(); !strings.Contains(text, "web on region-c") ||
		strings.Contains(text, "web on region-a") || strings.Contains(text, "web on region-b") {
		t.Errorf("excluded by ID:\n%s", text)
	}
}

// TestRerunDeploymentTask reruns a finished deployment's task: a new
// deployment of the same release with the same options (a sensitive
// prompted value included) and its own task, which the deployment list —
// and so the dashboard and release page — shows as the newest.
func TestRerunDeploymentTask(t *testing.T) {
	s := startServer(t, t.TempDir())
	c := adminClient(t, s)
	createEnvironment(t, c, "Prod")
	projectWith(t, c, "Again", []any{runOnServer("Say", `echo "run of #{Octopus.Release.Number} as #{Octopus.Task.Id} key=#{Key}"`),
		runOnServer("Optional", `echo "optional ran"`)},
		[]map[string]any{{"Name": "Key", "Value": "", "Type": "Sensitive", "IsSensitive": true, "Prompt": map[string]any{"Label": "Key", "Required": true}}})
	releaseV1(t, c, "Again", "1.0.0")
	first := deployV1(t, c, map[string]any{"projectName": "Again", "releaseVersion": "1.0.0", "environmentNames": []string{"Prod"},
		"skipStepNames": []string{"Optional"}, "variables": map[string]string{"Key": "rerun-S3cret"}})[0]
	if got := waitTask(t, c, first.ServerTaskId, 30*time.Second, completed); got.State != "Success" {
		t.Fatalf("first: %+v", got)
	}
	var rerun taskDoc
	c.must("POST", "/api/tasks/rerun/"+first.ServerTaskId, nil, http.StatusOK, &rerun)
	if rerun.Id == first.ServerTaskId || rerun.Arguments["DeploymentId"] == "" || rerun.Arguments["DeploymentId"] == first.DeploymentId {
		t.Fatalf("rerun: %+v", rerun)
	}
	got := waitTask(t, c, rerun.Id, 30*time.Second, completed)
	consistent(t, got)
	text := details(t, c, rerun.Id).ActivityLogs[0].text()
	if got.State != "Success" || !strings.Contains(text, "run of 1.0.0 as "+rerun.Id+" key=********") || strings.Contains(text, "optional ran") {
		t.Fatalf("rerun: %+v\n%s", got, text)
	}
	var deps paged[struct{ Id, TaskId, ReleaseId string }]
	c.must("GET", "/api/Spaces-1/deployments", nil, http.StatusOK, &deps)
	if deps.TotalResults != 2 || deps.Items[0].Id != rerun.Arguments["DeploymentId"] || deps.Items[0].TaskId != rerun.Id {
		t.Fatalf("deployments after the rerun: %+v", deps)
	}
	// A task still running cannot be rerun.
	projectWith(t, c, "Slow", []any{manualStep("Wait", "hold on")}, nil)
	releaseV1(t, c, "Slow", "1.0.0")
	slow := deployV1(t, c, map[string]any{"projectName": "Slow", "releaseVersion": "1.0.0", "environmentNames": []string{"Prod"}})[0]
	pendingInterruption(t, c, slow.ServerTaskId)
	c.mustFail("POST", "/api/tasks/rerun/"+slow.ServerTaskId, nil, http.StatusConflict)
	c.must("POST", "/api/tasks/"+slow.ServerTaskId+"/cancel", nil, http.StatusOK, nil)
	if got := waitTask(t, c, slow.ServerTaskId, 30*time.Second, completed); got.State != "Canceled" {
		t.Fatalf("cancel while waiting: %+v", got)
	}
}

// TestDeploymentListFilters: GET /deployments filtered by projects,
// environments, releases (each a comma list, combined with AND), tenants,
// and paged.
func TestDeploymentListFilters(t *testing.T) {
	s := startServer(t, t.TempDir())
	c := adminClient(t, s)
	dev := createEnvironment(t, c, "Dev")
	prod := createEnvironment(t, c, "Prod")
	deployAnywhere(t, c) // both environments in one request
	a := projectWith(t, c, "Alpha", []any{runOnServer("Say", `echo hi`)}, nil)
	b := projectWith(t, c, "Beta", []any{runOnServer("Say", `echo hi`)}, nil)
	a1, a2 := releaseV1(t, c, "Alpha", "1.0.0"), releaseV1(t, c, "Alpha", "2.0.0")
	b1 := releaseV1(t, c, "Beta", "1.0.0")
	var all []string
	for _, d := range []struct{ project, version string }{{"Alpha", "1.0.0"}, {"Alpha", "2.0.0"}, {"Beta", "1.0.0"}} {
		for _, dt := range deployV1(t, c, map[string]any{"projectName": d.project, "releaseVersion": d.version, "environmentNames": []string{"Dev", "Prod"}}) {
			all = append(all, dt.DeploymentId)
		}
	}
	type dep struct{ Id, ProjectId, EnvironmentId, ReleaseId string }
	list := func(query string) paged[dep] {
		t.Helper()
		var p paged[dep]
		c.must("GET", "/api/Spaces-1/deployments"+query, nil, http.StatusOK, &p)
		return p
	}
	tests := []struct {
		query string
		want  func(d dep) bool
		total int
	}{
		{"", func(dep) bool { return true }, 6},
		{"?projects=" + a.Id, func(d dep) bool { return d.ProjectId == a.Id }, 4},
		{"?projects=" + a.Id + "," + b.Id, func(dep) bool { return true }, 6},
		{"?environments=" + prod.Id, func(d dep) bool { return d.EnvironmentId == prod.Id }, 3},
		{"?releases=" + a2 + "," + b1, func(d dep) bool { return d.ReleaseId == a2 || d.ReleaseId == b1 }, 4},
		{"?projects=" + a.Id + "&environments=" + dev.Id + "&releases=" + a1, func(d dep) bool {
			return d.ProjectId == a.Id && d.EnvironmentId == dev.Id && d.ReleaseId == a1
		}, 1},
		{"?tenants=Tenants-1", func(dep) bool { return false }, 0},
	}
	for _, tt := range tests {
		got := list(tt.query)
		if got.TotalResults != tt.total || len(got.Items) != tt.total {
			t.Errorf("%s: %d items of %d, want %d", tt.query, len(got.Items), got.TotalResults, tt.total)
		}
		for _, d := range got.Items {
			if !tt.want(d) {
				t.Errorf("%s: unexpected %+v", tt.query, d)
			}
		}
	}
	// Paged, newest first, following Links.Page.Next.
	var seen []string
	next := "/api/Spaces-1/deployments?take=4"
	for next != "" {
		var p paged[dep]
		c.must("GET", next, nil, http.StatusOK, &p)
		if p.TotalResults != 6 || p.ItemsPerPage != 4 || len(p.Items) > 4 {
			t.Fatalf("page %s: %+v", next, p)
		}
		for _, d := range p.Items {
			seen = append(seen, d.Id)
		}
		next = p.Links["Page.Next"]
	}
	if len(seen) != 6 || seen[0] != all[5] || seen[5] != all[0] {
		t.Errorf("paged: %v (created %v)", seen, all)
	}
}

// TestStartWithPreviousRunsInParallelAndRollingWindowDoesNot proves the
// concurrency of steps by handshakes, not timing: the first of two
// StartWithPrevious steps waits for a file only the second creates (it
// fails after 20 s if they ran one after the other); a rolling step with
// window 1 on three targets takes a lock directory that a second
// concurrent holder could not create.
func TestStartWithPreviousRunsInParallelAndRollingWindowDoesNot(t *testing.T) {
	s := startServer(t, t.TempDir())
	c := adminClient(t, s)
	env := createEnvironment(t, c, "Prod")
	for _, n := range []string{"region-a", "region-b", "region-c"} {
		createCloudTarget(t, c, n, []string{"web"}, env.Id)
	}
	shared := t.TempDir()
	waiter := runOnServer("Waiter", `for i in $(seq 1 200); do [ -e "#{Shared}/ping" ] && { echo "got ping"; exit 0; }; sleep 0.1; done; echo "no ping"; exit 1`)
	pinger := runOnServer("Pinger", `touch "#{Shared}/ping"; echo "pinged"`)
	pinger["StartTrigger"] = "StartWithPrevious"
	rolling := targetStep("Rolling", "web", `mkdir "#{Shared}/lock" || { echo "overlap on #{Octopus.Machine.Name}"; exit 1; }
echo "holding on #{Octopus.Machine.Name}"; sleep 0.2; rmdir "#{Shared}/lock"`)
	rolling["Properties"].(map[string]any)["Octopus.Action.MaxParallelism"] = "1"
	projectWith(t, c, "Concurrency", []any{waiter, pinger, rolling}, []map[string]any{{"Name": "Shared", "Value": shared}})
	releaseV1(t, c, "Concurrency", "1.0.0")
	task := deployV1(t, c, map[string]any{"projectName": "Concurrency", "releaseVersion": "1.0.0", "environmentNames": []string{"Prod"}})[0]
	got := waitTask(t, c, task.ServerTaskId, time.Minute, completed)
	text := details(t, c, task.ServerTaskId).ActivityLogs[0].text()
	if got.State != "Success" || !strings.Contains(text, "got ping") || strings.Contains(text, "overlap") ||
		strings.Count(text, "holding on region-") != 3 {
		t.Fatalf("%+v\n%s", got, text)
	}
}
