package server_test

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/argonautdeploy/argonaut/app/deploy"
	"github.com/argonautdeploy/argonaut/app/server"
)

// zipOf builds a zip archive of files.
func zipOf(t *testing.T, files map[string]string) []byte {
	t.Helper()
	var b bytes.Buffer
	w := zip.NewWriter(&b)
	for name, body := range files {
		f, err := w.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		f.Write([]byte(body))
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestPackageStepOnCloudTargets deploys a package from the blob store to two
// cloud-region targets: PreDeploy/Deploy/PostDeploy scripts, #{…}
// substitution, JSON configuration, the installation directory output
// seen by a later step. The built-in feed is not merged yet, so the test
// plugs the PackageFiles seam with a blob it stored itself.
func TestPackageStepOnCloudTargets(t *testing.T) {
	dir := t.TempDir()
	var s *server.Server
	var pkgSHA string
	var pkgSize int64
	s = server.New(server.Config{DataDir: dir, Listen: "127.0.0.1:0", AdminUsername: adminUser, AdminPassword: adminPassword,
		PackageFiles: func(_ context.Context, spaceID, feedID, packageID, version string) (deploy.PackageFile, error) {
			if spaceID != "Spaces-1" || packageID != "Acme.Web" || version != "1.0.0" {
				return deploy.PackageFile{}, errors.New("no such package")
			}
			return deploy.PackageFile{SHA256: pkgSHA, Size: pkgSize, FileName: "Acme.Web.1.0.0.zip"}, nil
		}})
	if err := s.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	info, err := s.DB.Blobs.Put(bytes.NewReader(zipOf(t, map[string]string{
		"PreDeploy.sh":     `echo "predeploy on $(get_octopusvariable Octopus.Machine.Name)"`,
		"Deploy.sh":        `echo "deploy: $(cat conf/app.conf)"`,
		"PostDeploy.sh":    `echo "postdeploy"; set_octopusvariable "Done" "yes"`,
		"conf/app.conf":    "greeting=#{Greeting} env=#{Octopus.Environment.Name}\n",
		"appsettings.json": `{"Logging":{"Level":"Warn"},"Name":"x"}`,
	})), 0)
	if err != nil {
		t.Fatal(err)
	}
	pkgSHA, pkgSize = info.SHA256, info.Size

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
	installed := filepath.Join(dir, "Applications", "Prod", "Acme.Web")
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
