package server_test

import (
	"bytes"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/argonautdeploy/argonaut/app/server"
)

// TestPackageStepOnCloudTargets pushes a package to the built-in feed and
// deploys it to two cloud-region targets: PreDeploy/Deploy/PostDeploy
// scripts, #{…} substitution, JSON configuration, the installation
// directory output seen by a later step.
func TestPackageStepOnCloudTargets(t *testing.T) {
	fs := startFeedServer(t, server.Config{})
	s := fs.Server
	if r := fs.push(t, "Spaces-1", "Acme.Web.1.0.0.zip", bytes.NewReader(zipOf(t, map[string]string{
		"PreDeploy.sh":     `echo "predeploy on $(get_octopusvariable Octopus.Machine.Name)"`,
		"Deploy.sh":        `echo "deploy: $(cat conf/app.conf)"`,
		"PostDeploy.sh":    `echo "postdeploy"; set_octopusvariable "Done" "yes"`,
		"conf/app.conf":    "greeting=#{Greeting} env=#{Octopus.Environment.Name}\n",
		"appsettings.json": `{"Logging":{"Level":"Warn"},"Name":"x"}`,
	})), ""); r.status != http.StatusCreated {
		t.Fatalf("push: %d %s", r.status, r.errorMessage())
	}

	c := adminClient(t, s)
	env := createEnvironment(t, c, "Prod")
	createCloudTarget(t, c, "region-a", []string{"web"}, env.Id)
	createCloudTarget(t, c, "region-b", []string{"web"}, env.Id)
	web := packageStep("Web", "Acme.Web")
	web["Actions"].([]map[string]any)[0]["Properties"] = map[string]any{
		"Octopus.Action.SubstituteInFiles.Enabled":                 "true",
		"Octopus.Action.SubstituteInFiles.TargetFiles":             "conf/app.conf",
		"Octopus.Action.Package.JsonConfigurationVariablesEnabled": "true",
		"Octopus.Action.Package.JsonConfigurationVariablesTargets": "appsettings.json",
		"Octopus.Action.Package.FeedId":                            "feeds-builtin",
		"Octopus.Action.Package.PackageId":                         "Acme.Web",
	}
	projectWith(t, c, "Acme", []any{web,
		runOnServer("Report", `echo "installed a=#{Octopus.Action[Web].Output[region-a].Package.InstallationDirectoryPath} done=#{Octopus.Action[Web].Output.Done}"`)},
		[]map[string]any{{"Name": "Greeting", "Value": "hello"}, {"Name": "Logging:Level", "Value": "Debug"}})
	var rel struct{ ReleaseId string }
	c.must("POST", "/api/Spaces-1/releases/create/v1", map[string]any{"projectName": "Acme", "releaseVersion": "1.0.0",
		"packageVersion": "1.0.0"}, http.StatusCreated, &rel)
	task := deployV1(t, c, map[string]any{"projectName": "Acme", "releaseVersion": "1.0.0", "environmentNames": []string{"Prod"}})[0]
	got := waitTask(t, c, task.ServerTaskId, time.Minute, completed)
	root := details(t, c, task.ServerTaskId).ActivityLogs[0]
	if got.State != "Success" {
		t.Fatalf("%+v\n%s", got, root.text())
	}
	for _, m := range []string{"region-a", "region-b"} {
		n := root.find("Step 1: Web").find(m)
		if n == nil || !strings.Contains(n.text(), "predeploy on "+m) || !strings.Contains(n.text(), "deploy: greeting=hello env=Prod") ||
			!strings.Contains(n.text(), "postdeploy") {
			t.Errorf("%s: %+v", m, n)
		}
	}
	report := root.find("Step 2: Report").text()
	installed := filepath.Join(s.DataDir, "Applications", "Prod", "Acme.Web")
	if !strings.Contains(report, "installed a="+installed) || !strings.Contains(report, "done=yes") {
		t.Fatalf("report: %q (want under %s)", report, installed)
	}
	// Two targets on one server: the second install gets the _N suffix.
	entries, _ := os.ReadDir(installed)
	if len(entries) != 2 {
		t.Fatalf("installations: %v", entries)
	}
	for _, e := range entries {
		conf, _ := os.ReadFile(filepath.Join(installed, e.Name(), "conf", "app.conf"))
		settings, _ := os.ReadFile(filepath.Join(installed, e.Name(), "appsettings.json"))
		if string(conf) != "greeting=hello env=Prod\n" || !strings.Contains(string(settings), `"Debug"`) {
			t.Errorf("%s: conf %q settings %q", e.Name(), conf, settings)
		}
	}
}

// TestSkipIfAlreadyInstalledAndForceRedeployment deploys one package
// version three times to a cloud target: installed, then skipped (the step
// says Skip if already installed), then installed again because the third
// deployment forces package redeployment.
func TestSkipIfAlreadyInstalledAndForceRedeployment(t *testing.T) {
	fs := startFeedServer(t, server.Config{})
	s := fs.Server
	if r := fs.push(t, "Spaces-1", "Acme.Api.2.0.0.zip", bytes.NewReader(zipOf(t, map[string]string{
		"Deploy.sh": `echo "installing into $PWD"`,
	})), ""); r.status != http.StatusCreated {
		t.Fatalf("push: %d %s", r.status, r.errorMessage())
	}
	c := adminClient(t, s)
	env := createEnvironment(t, c, "Prod")
	createCloudTarget(t, c, "region-a", []string{"web"}, env.Id)
	api := packageStep("Api", "Acme.Api")
	api["Actions"].([]map[string]any)[0]["Properties"] = map[string]any{"Octopus.Action.Package.SkipIfAlreadyInstalled": "True"}
	projectWith(t, c, "Api", []any{api,
		runOnServer("Where", `echo "dir=#{Octopus.Action[Api].Output.Package.InstallationDirectoryPath}"`)}, nil)
	c.must("POST", "/api/Spaces-1/releases/create/v1", map[string]any{"projectName": "Api", "releaseVersion": "1.0.0",
		"packageVersion": "2.0.0"}, http.StatusCreated, nil)
	first := filepath.Join(s.DataDir, "Applications", "Prod", "Acme.Api", "2.0.0")
	deploy := func(force bool) string {
		t.Helper()
		task := deployV1(t, c, map[string]any{"projectName": "Api", "releaseVersion": "1.0.0", "environmentNames": []string{"Prod"},
			"forcePackageRedeployment": force})[0]
		got := waitTask(t, c, task.ServerTaskId, time.Minute, completed)
		text := details(t, c, task.ServerTaskId).ActivityLogs[0].text()
		if got.State != "Success" {
			t.Fatalf("%+v\n%s", got, text)
		}
		var d struct{ ForcePackageRedeployment bool }
		c.must("GET", "/api/Spaces-1/deployments/"+task.DeploymentId, nil, http.StatusOK, &d)
		if d.ForcePackageRedeployment != force {
			t.Errorf("deployment ForcePackageRedeployment = %v, want %v", d.ForcePackageRedeployment, force)
		}
		return text
	}
	if text := deploy(false); !strings.Contains(text, "installing into "+first) || !strings.Contains(text, "dir="+first) {
		t.Fatalf("first:\n%s", text)
	}
	if text := deploy(false); strings.Contains(text, "installing into") || !strings.Contains(text, "already installed at "+first) ||
		!strings.Contains(text, "dir="+first) {
		t.Fatalf("second (skip):\n%s", text)
	}
	if text := deploy(true); !strings.Contains(text, "installing into "+first+"_1") || !strings.Contains(text, "dir="+first+"_1") {
		t.Fatalf("third (forced):\n%s", text)
	}
}
