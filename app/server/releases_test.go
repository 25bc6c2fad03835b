package server_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/argonautdeploy/argonaut/app"
	"github.com/argonautdeploy/argonaut/app/server"
)

type processDoc struct {
	Id      string
	Version int
	Steps   []map[string]any
}

type releaseDoc struct {
	Id               string
	Version          string
	ProjectId        string
	ChannelId        string
	ReleaseNotes     string
	Assembled        string
	SelectedPackages []struct{ ActionName, StepName, PackageReferenceName, Version string }
	Links            map[string]string
}

func scriptStep(name, body string) map[string]any {
	return map[string]any{"Name": name, "Properties": map[string]any{"Octopus.Action.RunOnServer": "true"},
		"Actions": []map[string]any{{"Name": name, "ActionType": "Octopus.Script",
			"Properties": map[string]any{"Octopus.Action.Script.ScriptBody": body, "Octopus.Action.Script.Syntax": "Bash",
				"Octopus.Action.RunOnServer": "true"}}}}
}

func packageStep(name, pkg string) map[string]any {
	return map[string]any{"Name": name, "Properties": map[string]any{"Octopus.Action.TargetRoles": "web"},
		"Actions": []map[string]any{{"Name": name, "ActionType": "Octopus.TentaclePackage",
			"Packages":   []map[string]any{{"Name": "", "PackageId": pkg, "FeedId": "feeds-builtin"}},
			"Properties": map[string]any{}}}}
}

func createProject(t *testing.T, c *client, name string) resource {
	t.Helper()
	var p resource
	c.must("POST", "/api/Spaces-1/projects", map[string]any{"Name": name, "LifecycleId": "Lifecycles-1",
		"ProjectGroupId": "ProjectGroups-1"}, http.StatusCreated, &p)
	return p
}

func TestDeploymentProcessAPI(t *testing.T) {
	s := startServer(t, t.TempDir())
	c := adminClient(t, s)
	p := createProject(t, c, "Shop")
	path := p.Links["DeploymentProcess"]

	var dp processDoc
	c.must("GET", path, nil, http.StatusOK, &dp)
	if dp.Version != 0 || len(dp.Steps) != 0 {
		t.Fatalf("new process: %+v", dp)
	}
	body := map[string]any{"Version": 0, "Steps": []any{scriptStep("Say hello", "echo hello"), packageStep("Deploy web", "Acme.Web")}}
	c.must("PUT", path, body, http.StatusOK, &dp)
	if dp.Version != 1 || len(dp.Steps) != 2 || dp.Steps[0]["Id"] == "" || dp.Steps[0]["Condition"] != "Success" ||
		dp.Steps[1]["StartTrigger"] != "StartAfterPrevious" {
		t.Fatalf("after PUT: %+v", dp)
	}
	act := dp.Steps[1]["Actions"].([]any)[0].(map[string]any)
	if act["Properties"].(map[string]any)["Octopus.Action.Package.PackageId"] != "Acme.Web" {
		t.Errorf("package action properties: %v", act["Properties"])
	}

	// The same Version again is stale now.
	e := c.mustFail("PUT", path, body, http.StatusConflict)
	if !strings.Contains(e.ErrorMessage, "modified") {
		t.Errorf("stale message: %q", e.ErrorMessage)
	}
	// Missing Version, duplicate names and a script without a body are 400s that say why.
	c.mustFail("PUT", path, map[string]any{"Steps": []any{}}, http.StatusBadRequest)
	bad := c.mustFail("PUT", path, map[string]any{"Version": 1, "Steps": []any{scriptStep("A", ""), scriptStep("a", "x")}}, http.StatusBadRequest)
	joined := strings.Join(bad.Errors, "\n")
	for _, want := range []string{"script body", "unique"} {
		if !strings.Contains(joined, want) {
			t.Errorf("errors %q lack %q", joined, want)
		}
	}
	c.mustFail("PUT", path, map[string]any{"Version": 1, "Steps": []any{packageStep("Web", "")}}, http.StatusBadRequest)
	noRoles := scriptStep("NoRoles", "echo")
	noRoles["Properties"] = map[string]any{}
	noRoles["Actions"].([]map[string]any)[0]["Properties"].(map[string]any)["Octopus.Action.RunOnServer"] = "false"
	if e := c.mustFail("PUT", path, map[string]any{"Version": 1, "Steps": []any{noRoles}}, http.StatusBadRequest); !strings.Contains(strings.Join(e.Errors, " "), "target roles") {
		t.Errorf("no roles: %v", e.Errors)
	}
}

func TestReleasesAPI(t *testing.T) {
	s := startServer(t, t.TempDir())
	c := adminClient(t, s)
	p := createProject(t, c, "Shop")
	var dp processDoc
	c.must("PUT", p.Links["DeploymentProcess"], map[string]any{"Version": 0,
		"Steps": []any{scriptStep("Say hello", "echo one"), packageStep("Deploy web", "Acme.Web")}}, http.StatusOK, &dp)
	var vs struct {
		Id        string
		Version   int
		Variables []map[string]any
	}
	c.must("GET", p.Links["Variables"], nil, http.StatusOK, &vs)
	vs.Variables = []map[string]any{{"Name": "Greeting", "Value": "hello"}, {"Name": "Password", "Value": "pa55-first", "IsSensitive": true}}
	c.must("PUT", p.Links["Variables"], vs, http.StatusOK, &vs)

	// Without a package version and without a feed, the CLI gets a 400 naming the step.
	e := c.mustFail("POST", "/api/Spaces-1/releases/create/v1", map[string]any{"spaceId": "Spaces-1", "projectName": "Shop"}, http.StatusBadRequest)
	if !strings.Contains(strings.Join(e.Errors, " "), "Deploy web") {
		t.Errorf("missing package version error: %+v", e)
	}

	// Generated versions: 0.0.1, 0.0.2 …
	var created struct{ ReleaseId, ReleaseVersion, AutomaticallyDeployedEnvironments string }
	c.must("POST", "/api/Spaces-1/releases/create/v1", map[string]any{"spaceId": "Spaces-1", "spaceIdOrName": "Spaces-1",
		"projectName": "shop", "packageVersion": "1.0.0", "releaseNotes": "first"}, http.StatusCreated, &created)
	if created.ReleaseVersion != "0.0.1" || created.ReleaseId == "" {
		t.Fatalf("first release: %+v", created)
	}
	first := created.ReleaseId
	c.must("POST", "/api/Spaces-1/releases/create/v1", map[string]any{"projectName": p.Id,
		"packages": []string{"Deploy web:2.0.0"}}, http.StatusCreated, &created)
	if created.ReleaseVersion != "0.0.2" {
		t.Fatalf("second release: %+v", created)
	}

	// Explicit version, duplicate → 400; with ignoreIfAlreadyExists → the existing one.
	c.must("POST", "/api/Spaces-1/releases/create/v1", map[string]any{"projectName": "Shop", "releaseVersion": "1.5.0",
		"packages": []string{"Deploy web:Acme.Web:3.0.0"}}, http.StatusCreated, &created)
	explicit := created.ReleaseId
	c.mustFail("POST", "/api/Spaces-1/releases/create/v1", map[string]any{"projectName": "Shop", "releaseVersion": "1.5.0", "packageVersion": "1.0.0"}, http.StatusBadRequest)
	c.must("POST", "/api/Spaces-1/releases/create/v1", map[string]any{"projectName": "Shop", "releaseVersion": "1.5.0",
		"packageVersion": "1.0.0", "ignoreIfAlreadyExists": true}, http.StatusOK, &created)
	if created.ReleaseId != explicit {
		t.Errorf("ignoreIfAlreadyExists returned %s, want %s", created.ReleaseId, explicit)
	}
	// The next generated version follows the highest: 1.5.1.
	c.must("POST", "/api/releases/create/v1", map[string]any{"projectName": "Shop", "packageVersion": "1.0.0"}, http.StatusCreated, &created)
	if created.ReleaseVersion != "1.5.1" {
		t.Errorf("after 1.5.0 got %s", created.ReleaseVersion)
	}
	c.mustFail("POST", "/api/Spaces-1/releases/create/v1", map[string]any{"projectName": "Nope", "packageVersion": "1"}, http.StatusBadRequest)
	c.mustFail("POST", "/api/Spaces-1/releases/create/v1", map[string]any{"projectName": "Shop", "packages": []string{"Nope:1.0"}}, http.StatusBadRequest)

	var rel releaseDoc
	c.must("GET", "/api/Spaces-1/releases/"+explicit, nil, http.StatusOK, &rel)
	if rel.Version != "1.5.0" || rel.ProjectId != p.Id || rel.ChannelId == "" || len(rel.SelectedPackages) != 1 ||
		rel.SelectedPackages[0].Version != "3.0.0" || rel.SelectedPackages[0].ActionName != "Deploy web" {
		t.Errorf("release: %+v", rel)
	}
	c.must("GET", "/api/Spaces-1/projects/"+p.Id+"/releases/1.5.0", nil, http.StatusOK, &rel)
	if rel.Id != explicit {
		t.Errorf("by version: %s", rel.Id)
	}
	var list paged[releaseDoc]
	c.must("GET", "/api/Spaces-1/projects/"+p.Id+"/releases?take=2", nil, http.StatusOK, &list)
	if list.TotalResults != 4 || len(list.Items) != 2 || list.Items[0].Version != "1.5.1" || list.Links["Page.Next"] == "" {
		t.Errorf("project releases: %+v", list)
	}
	c.must("GET", "/api/Spaces-1/releases", nil, http.StatusOK, &list)
	if list.TotalResults != 4 {
		t.Errorf("all releases: %d", list.TotalResults)
	}
	c.must("GET", "/api/Spaces-1/channels/"+rel.ChannelId+"/releases?searchByVersion=1.5", nil, http.StatusOK, &list)
	if list.TotalResults != 2 {
		t.Errorf("channel releases matching 1.5: %d", list.TotalResults)
	}

	// POST /releases with a Release resource.
	c.must("POST", "/api/Spaces-1/releases", map[string]any{"ProjectId": p.Id, "Version": "2.0.0",
		"SelectedPackages": []map[string]any{{"ActionName": "Deploy web", "Version": "9.9.9"}}}, http.StatusCreated, &rel)
	if rel.Version != "2.0.0" || rel.SelectedPackages[0].Version != "9.9.9" {
		t.Errorf("POST /releases: %+v", rel)
	}

	// Snapshot immutability: edit the process and variables; old releases keep theirs.
	c.must("GET", p.Links["DeploymentProcess"], nil, http.StatusOK, &dp)
	c.must("PUT", p.Links["DeploymentProcess"], map[string]any{"Version": dp.Version,
		"Steps": []any{scriptStep("Say hello", "echo two")}}, http.StatusOK, &dp)
	c.must("GET", p.Links["Variables"], nil, http.StatusOK, &vs)
	vs.Variables[0]["Value"] = "changed"
	c.must("PUT", p.Links["Variables"], vs, http.StatusOK, &vs)

	var snap processDoc
	c.must("GET", "/api/Spaces-1/releases/"+first+"/deploymentprocess", nil, http.StatusOK, &snap)
	body := snap.Steps[0]["Actions"].([]any)[0].(map[string]any)["Properties"].(map[string]any)["Octopus.Action.Script.ScriptBody"]
	if len(snap.Steps) != 2 || body != "echo one" {
		t.Errorf("release process snapshot changed: %d steps, body %v", len(snap.Steps), body)
	}
	got, err := s.DB.RevealReleaseVariables(t.Context(), "Spaces-1", first)
	if err != nil {
		t.Fatal(err)
	}
	if got[0].Variables[0].Value != "hello" || got[0].Variables[1].Value != "pa55-first" {
		t.Errorf("variable snapshot changed: %+v", got[0].Variables)
	}
	c.must("POST", "/api/Spaces-1/releases/"+first+"/snapshot-variables", nil, http.StatusOK, &rel)
	got, _ = s.DB.RevealReleaseVariables(t.Context(), "Spaces-1", first)
	if got[0].Variables[0].Value != "changed" {
		t.Errorf("snapshot-variables did not refresh: %+v", got[0].Variables)
	}

	// The CLI's interactive template.
	var tmpl struct {
		NextVersionIncrement string
		LastReleaseVersion   string
		Packages             []map[string]any
	}
	c.must("GET", "/api/Spaces-1/deploymentprocesses/"+"deploymentprocess-"+p.Id+"/template", nil, http.StatusOK, &tmpl)
	if tmpl.NextVersionIncrement != "2.0.1" || len(tmpl.Packages) != 0 {
		t.Errorf("template: %+v", tmpl)
	}
	c.must("GET", "/api/Spaces-1/projects/"+p.Id+"/deploymentprocesses/template", nil, http.StatusOK, &tmpl)
	if tmpl.NextVersionIncrement != "2.0.1" {
		t.Errorf("project template: %+v", tmpl)
	}

	c.must("DELETE", "/api/Spaces-1/releases/"+first, nil, http.StatusOK, nil)
	c.mustFail("GET", "/api/Spaces-1/releases/"+first, nil, http.StatusNotFound)
}

func TestReleaseVersionRules(t *testing.T) {
	s := startServer(t, t.TempDir())
	c := adminClient(t, s)
	create := func(project string, body map[string]any) string {
		t.Helper()
		body["projectName"] = project
		var out struct{ ReleaseVersion string }
		c.must("POST", "/api/Spaces-1/releases/create/v1", body, http.StatusCreated, &out)
		return out.ReleaseVersion
	}
	setTemplate := func(p resource, tmpl string) {
		t.Helper()
		var full map[string]any
		c.must("GET", "/api/Spaces-1/projects/"+p.Id, nil, http.StatusOK, &full)
		full["VersioningStrategy"] = map[string]any{"Template": tmpl}
		c.must("PUT", "/api/Spaces-1/projects/"+p.Id, full, http.StatusOK, nil)
	}

	// A mask as the project's versioning rule.
	masked := createProject(t, c, "Masked")
	setTemplate(masked, "1.0.i")
	for _, want := range []string{"1.0.0", "1.0.1", "1.0.2"} {
		if got := create("Masked", map[string]any{}); got != want {
			t.Errorf("mask 1.0.i: got %s, want %s", got, want)
		}
	}
	// A mask given as the version.
	if got := create("Masked", map[string]any{"releaseVersion": "1.i.0"}); got != "1.1.0" {
		t.Errorf("explicit mask 1.i.0 after 1.0.2: %s", got)
	}

	// A custom template.
	major := createProject(t, c, "Major")
	setTemplate(major, "#{Octopus.Version.NextMajor}.0.0-#{Octopus.Project.Name | ToLower}")
	if got := create("Major", map[string]any{}); got != "1.0.0-major" {
		t.Errorf("template NextMajor: %s", got)
	}
	if got := create("Major", map[string]any{}); got != "2.0.0-major" {
		t.Errorf("template NextMajor again: %s", got)
	}
	// A template that does not produce a version is a clear 400.
	setTemplate(major, "not a version #{Nope}")
	e := c.mustFail("POST", "/api/Spaces-1/releases/create/v1", map[string]any{"projectName": "Major"}, http.StatusBadRequest)
	if !strings.Contains(e.ErrorMessage, "versioning template") {
		t.Errorf("bad template: %+v", e)
	}
	// Every release of both projects is listed.
	var list paged[releaseDoc]
	c.must("GET", "/api/Spaces-1/releases?take=1", nil, http.StatusOK, &list)
	if list.TotalResults != 6 {
		t.Errorf("total releases %d", list.TotalResults)
	}
}

// fakeFeed stands in for the package feed (built on another branch): the
// latest version of each package it knows.
type fakeFeed map[string]string

func (f fakeFeed) LatestPackageVersion(_ context.Context, _, packageID string) (string, error) {
	if v, ok := f[packageID]; ok {
		return v, nil
	}
	return "", app.NotFound(packageID)
}

func TestReleaseLatestPackageVersionAndChannels(t *testing.T) {
	s := server.New(server.Config{DataDir: t.TempDir(), Listen: "127.0.0.1:0", AdminUsername: adminUser, AdminPassword: adminPassword,
		PackageVersions: fakeFeed{"Acme.Web": "3.1.4"}})
	if err := s.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	c := adminClient(t, s)
	p := createProject(t, c, "Shop")
	c.must("PUT", p.Links["DeploymentProcess"], map[string]any{"Version": 0,
		"Steps": []any{packageStep("Web", "Acme.Web"), packageStep("Api", "Acme.Api")}}, http.StatusOK, nil)

	// Acme.Api is not in the feed: the error names its step, not the other one.
	e := c.mustFail("POST", "/api/Spaces-1/releases/create/v1", map[string]any{"projectName": "Shop"}, http.StatusBadRequest)
	if msg := strings.Join(e.Errors, " "); !strings.Contains(msg, "'Api'") || strings.Contains(msg, "'Web'") {
		t.Errorf("missing version errors: %v", e.Errors)
	}
	var created struct{ ReleaseId, ReleaseVersion string }
	c.must("POST", "/api/Spaces-1/releases/create/v1", map[string]any{"projectName": "Shop", "packages": []string{"Acme.Api:1.0.0"},
		"channelName": "default"}, http.StatusCreated, &created)
	var rel releaseDoc
	c.must("GET", "/api/Spaces-1/releases/"+created.ReleaseId, nil, http.StatusOK, &rel)
	got := map[string]string{}
	for _, sp := range rel.SelectedPackages {
		got[sp.ActionName] = sp.Version
	}
	if got["Web"] != "3.1.4" || got["Api"] != "1.0.0" {
		t.Errorf("selected packages: %v (want the feed's latest for Web)", got)
	}
	c.mustFail("POST", "/api/Spaces-1/releases/create/v1", map[string]any{"projectName": "Shop", "packageVersion": "1.0.0",
		"channelName": "Nightly"}, http.StatusBadRequest)
}
