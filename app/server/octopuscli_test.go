package server_test

import (
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// buildOctopusCLI builds the real Octopus CLI (github.com/OctopusDeploy/cli,
// pinned in testdata/octopuscli) into a temporary directory. The first build
// on a machine fetches it through the Go module proxy and takes about a
// minute; later ones come from the build cache.
func buildOctopusCLI(t *testing.T) string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		goTool = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	bin := filepath.Join(t.TempDir(), "octopus")
	build := exec.Command(goTool, "build", "-o", bin, "github.com/OctopusDeploy/cli/cmd/octopus")
	build.Dir = filepath.Join("testdata", "octopuscli")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the octopus CLI: %v\n%s", err, out)
	}
	return bin
}

// octopusCLI runs the real CLI against one server, as a CI server would:
// configured only by OCTOPUS_URL, OCTOPUS_API_KEY and OCTOPUS_SPACE.
type octopusCLI struct {
	bin, home, url, key string
}

// run returns the CLI's combined output and whether it exited 0.
func (o octopusCLI) run(t *testing.T, args ...string) (string, bool) {
	t.Helper()
	cmd := exec.Command(o.bin, append(args, "--no-prompt")...)
	cmd.Env = []string{"HOME=" + o.home, "PATH=" + os.Getenv("PATH"), "NO_COLOR=1",
		"OCTOPUS_URL=" + o.url, "OCTOPUS_API_KEY=" + o.key, "OCTOPUS_SPACE=Default"}
	out, err := cmd.CombinedOutput()
	if _, exited := err.(*exec.ExitError); err != nil && !exited {
		t.Fatalf("octopus %s: %v", strings.Join(args, " "), err)
	}
	return string(out), err == nil
}

// must runs the CLI and fails the test unless it exits 0.
func (o octopusCLI) must(t *testing.T, args ...string) string {
	t.Helper()
	out, ok := o.run(t, args...)
	if !ok {
		t.Fatalf("octopus %s failed:\n%s", strings.Join(args, " "), out)
	}
	return out
}

// TestRealOctopusCLI drives the server with the real `octopus` CLI through
// what CI servers do with it: create a project, upload a package, create
// releases (generated and explicit versions, package versions, notes,
// ignore-existing), deploy them (prompted variables, skipped steps), wait
// for the tasks, and get refusals (lifecycle, duplicate package, missing
// prompted value) as a non-zero exit with the server's message.
func TestRealOctopusCLI(t *testing.T) {
	bin := buildOctopusCLI(t)
	s := startServer(t, t.TempDir())
	_, key := newClient(t, s).login(adminUser, adminPassword).newAPIKey("octopus CLI")
	c := newClient(t, s).withKey(key)
	octo := octopusCLI{bin: bin, home: t.TempDir(), url: s.URL, key: key}
	createEnvironment(t, c, "Dev")
	createEnvironment(t, c, "Test")
	if out := octo.must(t, "space", "view", "Default"); !strings.Contains(out, "Default (Spaces-1)") {
		t.Fatalf("space view said:\n%s", out)
	}

	out := octo.must(t, "project", "create", "--name", "Hello", "--lifecycle", "Default Lifecycle", "--group", "Default Project Group")
	if !strings.Contains(out, "Successfully created project 'Hello'") {
		t.Fatalf("project create said:\n%s", out)
	}
	var p resource
	c.must("GET", "/api/Spaces-1/projects/hello", nil, http.StatusOK, &p)
	greet := runOnServer("Greet", `echo "hello #{Greeting} from #{Octopus.Release.Number} to #{Octopus.Environment.Name}"`)
	web := map[string]any{"Name": "Web", "Properties": map[string]any{}, "Actions": []map[string]any{{
		"Name": "Web", "ActionType": "Octopus.TentaclePackage",
		"Properties": map[string]any{"Octopus.Action.RunOnServer": "true", "Octopus.Action.Package.PackageId": "Hello.Web", "Octopus.Action.Package.FeedId": "feeds-builtin"},
		"Packages":   []map[string]any{{"Name": "", "PackageId": "Hello.Web", "FeedId": "feeds-builtin"}}}}}
	c.must("PUT", p.Links["DeploymentProcess"], map[string]any{"Version": 0, "Steps": []any{greet, web}}, http.StatusOK, nil)
	var vs map[string]any
	c.must("GET", p.Links["Variables"], nil, http.StatusOK, &vs)
	vs["Variables"] = []map[string]any{{"Name": "Greeting", "Value": "", "Prompt": map[string]any{"Label": "Greeting", "Required": true}}}
	c.must("PUT", p.Links["Variables"], vs, http.StatusOK, nil)

	dir := t.TempDir()
	for _, v := range []string{"1.0.0", "1.1.0"} {
		pkg := filepath.Join(dir, "Hello.Web."+v+".zip")
		if err := os.WriteFile(pkg, zipOf(t, map[string]string{"index.html": "release " + v}), 0o644); err != nil {
			t.Fatal(err)
		}
		octo.must(t, "package", "upload", "--package", pkg)
	}
	if out, ok := octo.run(t, "package", "upload", "--package", filepath.Join(dir, "Hello.Web.1.0.0.zip")); ok || !strings.Contains(out, "already exists") {
		t.Fatalf("a second upload of the same version: exit 0 = %v, said:\n%s", ok, out)
	}
	octo.must(t, "package", "upload", "--package", filepath.Join(dir, "Hello.Web.1.0.0.zip"), "--overwrite-mode", "ignore")
	if out := octo.must(t, "package", "list"); !strings.Contains(out, "Hello.Web") || !strings.Contains(out, "1.1.0") {
		t.Fatalf("package list said:\n%s", out)
	}
	if out := octo.must(t, "package", "versions", "--package", "Hello.Web"); strings.Index(out, "1.1.0") > strings.Index(out, "1.0.0") || !strings.Contains(out, "1.0.0") {
		t.Fatalf("package versions (newest first) said:\n%s", out)
	}

	// A generated version, the latest package.
	var created struct{ Version string }
	if err := json.Unmarshal([]byte(octo.must(t, "release", "create", "--project", "Hello", "-f", "json")), &created); err != nil || created.Version != "0.0.1" {
		t.Fatalf("release create without a version: %+v %v", created, err)
	}
	// An explicit version, an older package, release notes; then the same
	// version again with --ignore-existing.
	octo.must(t, "release", "create", "--project", "Hello", "--version", "2.0.0", "--package", "Web:1.0.0", "--release-notes", "First *notes*")
	octo.must(t, "release", "create", "--project", "Hello", "--version", "2.0.0", "--ignore-existing")
	if out, ok := octo.run(t, "release", "create", "--project", "Hello", "--version", "2.0.0"); ok {
		t.Fatalf("a duplicate release version was accepted:\n%s", out)
	}
	var rel struct {
		ReleaseNotes     string
		SelectedPackages []struct{ ActionName, Version string }
	}
	c.must("GET", "/api/Spaces-1/projects/"+p.Id+"/releases/2.0.0", nil, http.StatusOK, &rel)
	if rel.ReleaseNotes != "First *notes*" || len(rel.SelectedPackages) != 1 || rel.SelectedPackages[0].Version != "1.0.0" {
		t.Fatalf("release 2.0.0: %+v", rel)
	}
	c.must("GET", "/api/Spaces-1/projects/"+p.Id+"/releases/0.0.1", nil, http.StatusOK, &rel)
	if len(rel.SelectedPackages) != 1 || rel.SelectedPackages[0].Version != "1.1.0" {
		t.Fatalf("release 0.0.1 (latest package): %+v", rel)
	}

	// Test is closed to 2.0.0 until Dev succeeded.
	if out, ok := octo.run(t, "release", "deploy", "--project", "Hello", "--version", "2.0.0", "--environment", "Test", "--variable", "Greeting:Hi"); ok || !strings.Contains(out, "cannot be deployed to Test yet") {
		t.Fatalf("deploying to Test before Dev: exit 0 = %v, said:\n%s", ok, out)
	}
	if out, ok := octo.run(t, "release", "deploy", "--project", "Hello", "--version", "2.0.0", "--environment", "Dev"); ok || !strings.Contains(out, "'Greeting'") {
		t.Fatalf("deploying without the required prompted value: exit 0 = %v, said:\n%s", ok, out)
	}
	deploy := func(env string, extra ...string) (taskID string) {
		t.Helper()
		var started []struct{ DeploymentId, ServerTaskId string }
		out := octo.must(t, append([]string{"release", "deploy", "--project", "Hello", "--version", "2.0.0", "--environment", env, "-f", "json"}, extra...)...)
		if err := json.Unmarshal([]byte(out), &started); err != nil || len(started) != 1 {
			t.Fatalf("release deploy to %s said %s (%v)", env, out, err)
		}
		wait := octo.must(t, "task", "wait", started[0].ServerTaskId, "--timeout", "120")
		if !strings.Contains(wait, "Deploy Hello release 2.0.0 to "+env+": Success") {
			t.Fatalf("task wait said:\n%s", wait)
		}
		return started[0].ServerTaskId
	}
	devLog := rawLog(t, c, deploy("Dev", "--variable", "Greeting:Bonjour", "--skip", "Web"))
	if !strings.Contains(devLog, "hello Bonjour from 2.0.0 to Dev") || strings.Contains(devLog, "Hello.Web") {
		t.Fatalf("Dev log (greeting, Web skipped):\n%s", devLog)
	}
	testLog := rawLog(t, c, deploy("Test", "--variable", "Greeting:Hej"))
	if !strings.Contains(testLog, "hello Hej from 2.0.0 to Test") || !strings.Contains(testLog, "Extracted Hello.Web 1.0.0") {
		t.Fatalf("Test log (greeting, package 1.0.0):\n%s", testLog)
	}

	// A scheduled deployment, the start time written as people type it.
	var later []struct{ ServerTaskId string }
	out = octo.must(t, "release", "deploy", "--project", "Hello", "--version", "2.0.0", "-e", "Dev", "--variable", "Greeting:Later",
		"--deploy-at", "2030-01-02 10:30", "--deploy-at-expiry", "2030-01-02 11:30", "-f", "json")
	if err := json.Unmarshal([]byte(out), &later); err != nil || len(later) != 1 {
		t.Fatalf("a scheduled release deploy said %s (%v)", out, err)
	}
	var queued struct{ State, QueueTime, QueueTimeExpiry string }
	c.must("GET", "/api/tasks/"+later[0].ServerTaskId, nil, http.StatusOK, &queued)
	if queued.State != "Queued" || !strings.HasPrefix(queued.QueueTime, "2030-01-02T10:30:00") || !strings.HasPrefix(queued.QueueTimeExpiry, "2030-01-02T11:30:00") {
		t.Fatalf("scheduled task: %+v", queued)
	}
	c.must("POST", "/api/tasks/"+later[0].ServerTaskId+"/cancel", nil, http.StatusOK, nil)

	// Two tasks at once, as `release deploy` of several environments prints them.
	deployAnywhere(t, c)
	var both []struct{ ServerTaskId string }
	out = octo.must(t, "release", "deploy", "--project", "Hello", "--version", "0.0.1", "-e", "Dev", "-e", "Test", "--variable", "Greeting:Hallo", "-f", "json")
	if err := json.Unmarshal([]byte(out), &both); err != nil || len(both) != 2 {
		t.Fatalf("release deploy to two environments said %s (%v)", out, err)
	}
	wait := octo.must(t, "task", "wait", both[0].ServerTaskId, both[1].ServerTaskId, "--timeout", "120")
	for _, env := range []string{"Dev", "Test"} {
		if !strings.Contains(wait, "Deploy Hello release 0.0.1 to "+env+": Success") {
			t.Fatalf("task wait for two deployments said:\n%s", wait)
		}
	}
	for _, id := range []string{both[0].ServerTaskId, both[1].ServerTaskId} {
		if task := waitTask(t, c, id, time.Minute, completed); !task.FinishedSuccessfully {
			t.Fatalf("%s: %+v", id, task)
		}
	}
}
