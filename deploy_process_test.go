package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// apiKeyFor signs in as admin and creates an API key.
func apiKeyFor(t *testing.T, base string) string {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar, Timeout: 10 * time.Second}
	resp, err := hc.Post(base+"/api/users/login", "application/json", strings.NewReader(`{"Username":"admin","Password":"correct horse battery"}`))
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("login: %v %v", resp, err)
	}
	resp.Body.Close()
	u, _ := url.Parse(base)
	csrf := ""
	for _, c := range jar.Cookies(u) {
		if c.Name == "Octopus-Csrf-Token" {
			csrf = c.Value
		}
	}
	call := func(method, path, body string, out any) {
		req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Octopus-Csrf-Token", csrf)
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			t.Fatal(err)
		}
	}
	var me struct{ Id string }
	call("GET", "/api/users/me", "", &me)
	var k struct{ ApiKey string }
	call("POST", "/api/users/"+me.Id+"/apikeys", `{"Purpose":"test"}`, &k)
	return k.ApiKey
}

// api calls the server with an API key and decodes the answer into out.
func api(t *testing.T, base, key, method, path string, in, out any, want int) {
	t.Helper()
	var body io.Reader
	if in != nil {
		b, _ := json.Marshal(in)
		body = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, base+path, body)
	req.Header.Set("X-Octopus-ApiKey", key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		t.Fatalf("%s %s: %d, want %d: %s", method, path, resp.StatusCode, want, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %v: %s", method, path, err, b)
		}
	}
}

// setupProject creates an environment and a project whose one
// run-on-server step runs body.
func setupProject(t *testing.T, base, key, env, project, body string) {
	t.Helper()
	api(t, base, key, "POST", "/api/Spaces-1/environments", map[string]any{"Name": env}, nil, http.StatusCreated)
	var p struct{ Links map[string]string }
	api(t, base, key, "POST", "/api/Spaces-1/projects", map[string]any{"Name": project, "LifecycleId": "Lifecycles-1",
		"ProjectGroupId": "ProjectGroups-1"}, &p, http.StatusCreated)
	step := map[string]any{"Name": "Run", "Properties": map[string]any{"Octopus.Action.RunOnServer": "true"},
		"Actions": []map[string]any{{"Name": "Run", "ActionType": "Octopus.Script",
			"Properties": map[string]any{"Octopus.Action.Script.ScriptBody": body, "Octopus.Action.Script.Syntax": "Bash",
				"Octopus.Action.RunOnServer": "true"}}}}
	api(t, base, key, "PUT", p.Links["DeploymentProcess"], map[string]any{"Version": 0, "Steps": []any{step}}, nil, http.StatusOK)
}

type procTask struct {
	Id, State, ErrorMessage string
	IsCompleted             bool
}

func pollTask(t *testing.T, base, key, id string, within time.Duration, done func(procTask, string) bool) procTask {
	t.Helper()
	deadline := time.Now().Add(within)
	pause := 20 * time.Millisecond
	for {
		var d struct {
			Task         procTask
			ActivityLogs []json.RawMessage
		}
		api(t, base, key, "GET", "/api/tasks/"+id+"/details", nil, &d, http.StatusOK)
		logText := ""
		if len(d.ActivityLogs) > 0 {
			logText = string(d.ActivityLogs[0])
		}
		if done(d.Task, logText) {
			return d.Task
		}
		if time.Now().After(deadline) {
			t.Fatalf("task %s: %+v after %s\n%s", id, d.Task, within, logText)
		}
		time.Sleep(pause)
		pause = min(pause*2, 250*time.Millisecond)
	}
}

// TestKill9MidDeployment kills a real server process while a deployment's
// script runs, restarts it on the same data dir, and requires the task to
// end Failed "interrupted by server restart" with everything else intact.
func TestKill9MidDeployment(t *testing.T) {
	dataDir := filepath.Join(t.TempDir(), "data")
	env := testEnv("ARGONAUT_ADMIN_USERNAME=admin", "ARGONAUT_ADMIN_PASSWORD=correct horse battery")
	p := startServer(t, env, "server", "--listen", "127.0.0.1:0", "--data-dir", dataDir)
	key := apiKeyFor(t, p.URL)
	setupProject(t, p.URL, key, "Prod", "LongRunning", `sleep 600 & echo "child=$!"; wait`)
	var rel struct{ ReleaseId string }
	api(t, p.URL, key, "POST", "/api/Spaces-1/releases/create/v1", map[string]any{"projectName": "LongRunning", "releaseVersion": "1.0.0"}, &rel, http.StatusCreated)
	var dep struct {
		DeploymentServerTasks []struct{ DeploymentId, ServerTaskId string }
	}
	api(t, p.URL, key, "POST", "/api/Spaces-1/deployments/create/untenanted/v1", map[string]any{"projectName": "LongRunning",
		"releaseVersion": "1.0.0", "environmentNames": []string{"Prod"}}, &dep, http.StatusCreated)
	taskID := dep.DeploymentServerTasks[0].ServerTaskId
	var logText string
	pollTask(t, p.URL, key, taskID, 30*time.Second, func(_ procTask, l string) bool { logText = l; return strings.Contains(l, "child=") })
	pid, _ := strconv.Atoi(regexp.MustCompile(`child=(\d+)`).FindStringSubmatch(logText)[1])
	t.Cleanup(func() { _ = syscall.Kill(pid, syscall.SIGKILL) }) // the orphaned sleep of the killed server

	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-p.exited
	var exitErr *exec.ExitError
	if !errors.As(p.err, &exitErr) {
		t.Fatalf("server exit: %v", p.err)
	}

	if _, err := os.Stat(filepath.Join(dataDir, "work", taskID)); err != nil {
		t.Fatalf("the killed run's workspace should still be there: %v", err)
	}
	p2 := startServer(t, env, "server", "--listen", "127.0.0.1:0", "--data-dir", dataDir)
	if _, err := os.Stat(filepath.Join(dataDir, "work", taskID)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the restart left the killed run's workspace: %v", err)
	}
	got := pollTask(t, p2.URL, key, taskID, 30*time.Second, func(t procTask, _ string) bool { return t.IsCompleted })
	if got.State != "Failed" || !strings.Contains(got.ErrorMessage, "interrupted by server restart") {
		t.Fatalf("after restart: %+v", got)
	}
	// Nothing else was lost: the deployment, the release and the log before the kill.
	var d struct{ TaskId, ReleaseId string }
	api(t, p2.URL, key, "GET", "/api/Spaces-1/deployments/"+dep.DeploymentServerTasks[0].DeploymentId, nil, &d, http.StatusOK)
	if d.TaskId != taskID || d.ReleaseId != rel.ReleaseId {
		t.Errorf("deployment after restart: %+v", d)
	}
	pollTask(t, p2.URL, key, taskID, time.Second, func(_ procTask, l string) bool { return strings.Contains(l, "child=") })
	p2.stop(t)
}

// TestKill9WhileWaitingOnManualIntervention kills a real server process
// while a deployment waits on a manual intervention after a step that set
// an output variable. Deployments are not resumed after a restart (the
// outputs of earlier steps lived only in the killed process): the task must
// end Failed with a reason that says it was waiting and what to do, and
// its interruption must no longer be pending.
func TestKill9WhileWaitingOnManualIntervention(t *testing.T) {
	dataDir := filepath.Join(t.TempDir(), "data")
	env := testEnv("ARGONAUT_ADMIN_USERNAME=admin", "ARGONAUT_ADMIN_PASSWORD=correct horse battery")
	p := startServer(t, env, "server", "--listen", "127.0.0.1:0", "--data-dir", dataDir)
	key := apiKeyFor(t, p.URL)
	setupProject(t, p.URL, key, "Prod", "Gated", `set_octopusvariable Built yes; echo "built"`)
	var proc map[string]any
	api(t, p.URL, key, "GET", "/api/Spaces-1/deploymentprocesses/deploymentprocess-Projects-1", nil, &proc, http.StatusOK)
	proc["Steps"] = append(proc["Steps"].([]any), map[string]any{"Name": "Approve", "Properties": map[string]any{},
		"Actions": []map[string]any{{"Name": "Approve", "ActionType": "Octopus.Manual",
			"Properties": map[string]any{"Octopus.Action.Manual.Instructions": "ok?", "Octopus.Action.RunOnServer": "true"}}}})
	api(t, p.URL, key, "PUT", "/api/Spaces-1/deploymentprocesses/deploymentprocess-Projects-1", proc, nil, http.StatusOK)
	api(t, p.URL, key, "POST", "/api/Spaces-1/releases/create/v1", map[string]any{"projectName": "Gated", "releaseVersion": "1.0.0"}, nil, http.StatusCreated)
	var dep struct {
		DeploymentServerTasks []struct{ DeploymentId, ServerTaskId string }
	}
	api(t, p.URL, key, "POST", "/api/Spaces-1/deployments/create/untenanted/v1", map[string]any{"projectName": "Gated",
		"releaseVersion": "1.0.0", "environmentNames": []string{"Prod"}}, &dep, http.StatusCreated)
	taskID := dep.DeploymentServerTasks[0].ServerTaskId
	var waiting struct{ HasPendingInterruptions bool }
	deadline := time.Now().Add(30 * time.Second)
	for pause := 20 * time.Millisecond; !waiting.HasPendingInterruptions; pause = min(pause*2, 250*time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the deployment never waited on its manual intervention")
		}
		time.Sleep(pause) // polling interval, bounded by the deadline
		api(t, p.URL, key, "GET", "/api/tasks/"+taskID, nil, &waiting, http.StatusOK)
	}
	var pending struct{ Items []struct{ Id string } }
	api(t, p.URL, key, "GET", "/api/Spaces-1/interruptions?pendingOnly=true&regarding="+taskID, nil, &pending, http.StatusOK)
	if len(pending.Items) != 1 {
		t.Fatalf("pending interruptions: %+v", pending)
	}

	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-p.exited
	p2 := startServer(t, env, "server", "--listen", "127.0.0.1:0", "--data-dir", dataDir)
	got := pollTask(t, p2.URL, key, taskID, 30*time.Second, func(t procTask, _ string) bool { return t.IsCompleted })
	if got.State != "Failed" || !strings.Contains(got.ErrorMessage, "interrupted by server restart while it waited for a manual intervention") ||
		!strings.Contains(got.ErrorMessage, "deploy the release again") {
		t.Fatalf("after restart: %+v", got)
	}
	var after struct {
		IsPending bool
		Form      struct{ Values map[string]string }
	}
	api(t, p2.URL, key, "GET", "/api/Spaces-1/interruptions/"+pending.Items[0].Id, nil, &after, http.StatusOK)
	if after.IsPending {
		t.Errorf("the interruption is still pending after its task failed: %+v", after)
	}
	api(t, p2.URL, key, "POST", "/api/Spaces-1/interruptions/"+pending.Items[0].Id+"/submit", map[string]any{"Result": "Proceed"}, nil, http.StatusConflict)
	// The log before the kill is intact and ends with the reason.
	pollTask(t, p2.URL, key, taskID, time.Second, func(_ procTask, l string) bool {
		return strings.Contains(l, "built") && strings.Contains(l, "Waiting: Manual intervention: Approve") && strings.Contains(l, "deploy the release again")
	})
	p2.stop(t)
}

// TestCLIReleaseCreateAndDeployWait drives a real server with the CLI:
// release create, then deploy --wait --progress; the exit code is the outcome.
func TestCLIReleaseCreateAndDeployWait(t *testing.T) {
	dataDir := filepath.Join(t.TempDir(), "data")
	p := startServer(t, testEnv("ARGONAUT_ADMIN_USERNAME=admin", "ARGONAUT_ADMIN_PASSWORD=correct horse battery"),
		"server", "--listen", "127.0.0.1:0", "--data-dir", dataDir)
	key := apiKeyFor(t, p.URL)
	setupProject(t, p.URL, key, "Dev", "Hello", `echo "hello from #{Octopus.Environment.Name} #{Octopus.Release.Number}"`)
	api(t, p.URL, key, "POST", "/api/Spaces-1/environments", map[string]any{"Name": "Test"}, nil, http.StatusCreated)
	// One lifecycle phase with every environment: deploy anywhere, in any order.
	var lc map[string]any
	api(t, p.URL, key, "GET", "/api/Spaces-1/lifecycles/Lifecycles-1", nil, &lc, http.StatusOK)
	lc["Phases"] = []map[string]any{{"Name": "Anywhere"}}
	api(t, p.URL, key, "PUT", "/api/Spaces-1/lifecycles/Lifecycles-1", lc, nil, http.StatusOK)

	cli := func(env []string, args ...string) (int, string, string) {
		cmd := exec.Command(binary, args...)
		cmd.Env = env
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		err := cmd.Run()
		code := 0
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return code, out.String(), errb.String()
	}
	// Connection from ARGONAUT_* for one command, OCTOPUS_* for the other.
	argEnv := testEnv("ARGONAUT_SERVER="+p.URL, "ARGONAUT_API_KEY="+key)
	octoEnv := testEnv("OCTOPUS_URL="+p.URL, "OCTOPUS_API_KEY="+key)
	code, out, errs := cli(argEnv, "release", "create", "--project", "Hello", "--version", "2.0.0")
	if code != 0 || !strings.Contains(out, "Release 2.0.0 of Hello created") {
		t.Fatalf("release create: %d\n%s\n%s", code, out, errs)
	}
	code, out, errs = cli(octoEnv, "deploy", "--project", "Hello", "--version", "2.0.0", "--environment", "Dev", "--environment", "Test", "--wait", "--progress")
	if code != 0 || !strings.Contains(out, "hello from Dev 2.0.0") || !strings.Contains(out, "hello from Test 2.0.0") || strings.Count(out, ": Success") != 2 {
		t.Fatalf("deploy --wait: %d\n%s\n%s", code, out, errs)
	}
	// A failing deployment makes the exit code 1.
	setupProject(t, p.URL, key, "Staging", "Broken", `echo "going down"; exit 4`)
	if code, out, errs = cli(argEnv, "release", "create", "--project", "Broken", "--version", "1.0.0"); code != 0 {
		t.Fatalf("release create: %d %s %s", code, out, errs)
	}
	code, out, errs = cli(argEnv, "deploy", "--project", "Broken", "--version", "1.0.0", "--environment", "Staging", "--wait")
	if code != 1 || !strings.Contains(out, "Failed") {
		t.Fatalf("failing deploy: exit %d\n%s\n%s", code, out, errs)
	}
	// A missing release is an API error: exit 1 with the server's message.
	code, _, errs = cli(argEnv, "deploy", "--project", "Hello", "--version", "9.9.9", "--environment", "Dev")
	if code != 1 || !strings.Contains(errs, "9.9.9") {
		t.Fatalf("missing release: exit %d: %s", code, errs)
	}
}
