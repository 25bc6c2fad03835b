package server_test

import (
	"bytes"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/argonautdeploy/argonaut/app"
	"github.com/argonautdeploy/argonaut/app/server"
)

func TestPortalProcessAndReleases(t *testing.T) {
	s := startPortalServer(t, true)
	c := portalClient()
	token := formToken(t, c, s.URL+"/app/login")
	if resp, _ := postForm(t, c, s.URL+"/app/login", url.Values{"csrf_token": {token}, "username": {"admin"},
		"password": {"correct-horse-battery"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-in: %d", resp.StatusCode)
	}
	tok := formToken(t, c, s.URL+"/app/projects/new")
	if resp, body := postForm(t, c, s.URL+"/app/projects", url.Values{"csrf_token": {tok}, "name": {"Shop"},
		"lifecycle_id": {"Lifecycles-1"}, "project_group_id": {"ProjectGroups-1"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("create project: %d %s", resp.StatusCode, body)
	}
	page := func(path string) string {
		t.Helper()
		req, _ := http.NewRequest("GET", s.URL+path, nil)
		status, body := send(t, c, req)
		if status != 200 {
			t.Fatalf("GET %s: %d", path, status)
		}
		return body
	}
	post := func(path string, form url.Values, want int) string {
		t.Helper()
		form.Set("csrf_token", tok)
		resp, body := postForm(t, c, s.URL+path, form)
		if resp.StatusCode != want {
			t.Fatalf("POST %s: %d, want %d: %s", path, resp.StatusCode, want, body)
		}
		return body
	}

	body := page("/app/projects/shop/process")
	if !strings.Contains(body, `data-testid="process-empty"`) || !strings.Contains(body, `data-testid="add-script-step"`) {
		t.Fatal("empty process page lacks its empty note or add buttons")
	}
	form := page("/app/projects/shop/process/steps/new?type=Octopus.Script")
	if !strings.Contains(form, `name="csrf_token"`) || !strings.Contains(form, `data-testid="field-script_body"`) {
		t.Fatal("script step form lacks CSRF or script body")
	}
	post("/app/projects/shop/process/steps", url.Values{"version": {"0"}, "type": {"Octopus.Script"}, "name": {"Hello"},
		"run_on_server": {"on"}, "condition": {"Success"}, "start_trigger": {"StartAfterPrevious"}, "syntax": {"Bash"},
		"script_body": {"echo hello"}}, http.StatusSeeOther)
	post("/app/projects/shop/process/steps", url.Values{"version": {"1"}, "type": {"Octopus.TentaclePackage"}, "name": {"Web"},
		"roles": {"web, api"}, "condition": {"Success"}, "start_trigger": {"StartAfterPrevious"}, "package_id": {"Acme.Web"}}, http.StatusSeeOther)
	// A stale form (version 1 again) is refused and says so.
	stale := post("/app/projects/shop/process/steps", url.Values{"version": {"1"}, "type": {"Octopus.Manual"}, "name": {"Approve"},
		"condition": {"Success"}, "start_trigger": {"StartAfterPrevious"}, "instructions": {"Check"}}, http.StatusConflict)
	if !strings.Contains(stale, "modified by someone else") {
		t.Error("stale save does not explain the conflict")
	}
	// Invalid: a package step without roles re-renders with the problem.
	bad := post("/app/projects/shop/process/steps", url.Values{"version": {"2"}, "type": {"Octopus.TentaclePackage"}, "name": {"NoRoles"},
		"condition": {"Success"}, "start_trigger": {"StartAfterPrevious"}, "package_id": {"X"}}, http.StatusBadRequest)
	if !strings.Contains(bad, "target roles") {
		t.Error("missing roles are not explained")
	}

	dp, err := s.DB.FindDeploymentProcessByID(t.Context(), "", "deploymentprocess-Projects-1")
	if err != nil || len(dp.Steps) != 2 {
		t.Fatalf("process: %+v, %v", dp, err)
	}
	webID := dp.Steps[1].ID
	post("/app/projects/shop/process/steps/"+webID+"/up", url.Values{"version": {"2"}}, http.StatusSeeOther)
	post("/app/projects/shop/process/steps/"+webID+"/toggle", url.Values{"version": {"3"}}, http.StatusSeeOther)
	body = page("/app/projects/shop/process")
	first := between(body, `data-testid="step-1"`, `</li>`)
	if !strings.Contains(first, "Web") || !strings.Contains(first, `data-testid="step-disabled"`) {
		t.Errorf("after move up and disable, step 1 is: %s", first)
	}
	prodEnv := &app.Environment{SpaceID: "Spaces-1", Name: "Production"}
	if err := s.DB.CreateEnvironment(t.Context(), prodEnv); err != nil {
		t.Fatal(err)
	}
	edit := page("/app/projects/shop/process/steps/" + webID)
	if !strings.Contains(edit, `data-testid="field-environments"`) {
		t.Error("the step form has no environment filter")
	}
	if !strings.Contains(edit, `value="Acme.Web"`) || !strings.Contains(edit, `value="web, api"`) {
		t.Error("the edit form is not pre-filled")
	}
	post("/app/projects/shop/process/steps/"+webID, url.Values{"version": {"4"}, "name": {"Web site"}, "roles": {"web"},
		"condition": {"Always"}, "start_trigger": {"StartAfterPrevious"}, "package_id": {"Acme.Site"},
		"environments": {prodEnv.ID}}, http.StatusSeeOther)
	dp, _ = s.DB.FindDeploymentProcessByID(t.Context(), "", "deploymentprocess-Projects-1")
	if s0 := dp.Steps[0]; s0.Name != "Web site" || s0.Condition != "Always" || s0.Actions[0].IsDisabled ||
		s0.Actions[0].PrimaryPackage().PackageID != "Acme.Site" || len(s0.Actions[0].Environments) != 1 {
		t.Errorf("after edit: %+v", s0)
	}

	// Releases: the form is pre-filled with the next version; creating one shows its page.
	rf := page("/app/projects/shop/releases/new")
	if !strings.Contains(rf, `value="0.0.1"`) || !strings.Contains(rf, `name="pkg:Web site:"`) {
		t.Fatalf("release form: %s", between(rf, `data-testid="release-form"`, `</form>`))
	}
	resp, _ := postForm(t, c, s.URL+"/app/projects/shop/releases", url.Values{"csrf_token": {tok}, "version": {"0.0.1"},
		"pkg:Web site:": {"1.2.3"}, "notes": {"First release"}})
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/app/releases/Releases-") {
		t.Fatalf("create release: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	rp := page(resp.Header.Get("Location"))
	for _, want := range []string{"0.0.1", "First release", "1.2.3", `data-testid="release-deployments"`, "2 steps"} {
		if !strings.Contains(rp, want) {
			t.Errorf("release page lacks %q", want)
		}
	}
	// Without a package version the form comes back naming the step.
	again := post("/app/projects/shop/releases", url.Values{"version": {"0.0.2"}, "pkg:Web site:": {""}}, http.StatusBadRequest)
	if !strings.Contains(again, "Web site") {
		t.Error("missing package version not explained")
	}
	if ov := page("/app/projects/shop"); !strings.Contains(ov, `data-testid="release-row"`) || !strings.Contains(ov, "0.0.1") {
		t.Error("project overview lacks the release list")
	}
	post("/app/projects/shop/process/steps/"+webID+"/delete", url.Values{"version": {"5"}}, http.StatusSeeOther)
	if dp, _ := s.DB.FindDeploymentProcessByID(t.Context(), "", "deploymentprocess-Projects-1"); len(dp.Steps) != 1 {
		t.Errorf("after delete: %d steps", len(dp.Steps))
	}
}

// TestPortalStepPickers: the step form offers the roles of existing
// targets as ticks (with a free-text field for new ones) and the feed's
// package IDs as suggestions.
func TestPortalStepPickers(t *testing.T) {
	fs := startFeedServer(t, server.Config{})
	if r := fs.push(t, "Spaces-1", "Acme.Picked.1.0.0.zip", bytes.NewReader(zipOf(t, map[string]string{"a.txt": "a"})), ""); r.status != http.StatusCreated {
		t.Fatalf("push: %d", r.status)
	}
	api := adminClient(t, fs.Server)
	env := createEnvironment(t, api, "Prod")
	createCloudTarget(t, api, "region-a", []string{"web", "db"}, env.Id)
	p := createProject(t, api, "Picks")

	c := portalClient()
	token := formToken(t, c, fs.URL+"/app/login")
	if resp, _ := postForm(t, c, fs.URL+"/app/login", url.Values{"csrf_token": {token}, "username": {adminUser}, "password": {adminPassword}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-in: %d", resp.StatusCode)
	}
	newURL := fs.URL + "/app/projects/" + p.Slug + "/process/steps/new?type=Octopus.TentaclePackage"
	_, form := send(t, c, mustRequest("GET", newURL))
	if !strings.Contains(between(form, `data-testid="suggestions-package_id"`, "</datalist>"), `value="Acme.Picked"`) {
		t.Errorf("package picker: %s", between(form, `data-testid="field-package_id"`, "</datalist>"))
	}
	roles := between(form, `data-testid="field-role"`, "</fieldset>")
	if !strings.Contains(roles, `value="db"`) || !strings.Contains(roles, `value="web"`) {
		t.Errorf("role picker: %s", roles)
	}
	token = formToken(t, c, newURL)
	resp, body := postForm(t, c, fs.URL+"/app/projects/"+p.Slug+"/process/steps", url.Values{"csrf_token": {token}, "version": {"0"},
		"type": {"Octopus.TentaclePackage"}, "name": {"Web"}, "role": {"web"}, "roles": {"brand-new"},
		"condition": {"Success"}, "start_trigger": {"StartAfterPrevious"}, "package_id": {"Acme.Picked"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("save: %d %s", resp.StatusCode, between(body, "<main", "</main>"))
	}
	var dp struct {
		Steps []struct {
			Id         string
			Properties map[string]string
			Actions    []struct{ Packages []struct{ PackageId string } }
		}
	}
	api.must("GET", p.Links["DeploymentProcess"], nil, http.StatusOK, &dp)
	if len(dp.Steps) != 1 || dp.Steps[0].Properties["Octopus.Action.TargetRoles"] != "web,brand-new" ||
		dp.Steps[0].Actions[0].Packages[0].PackageId != "Acme.Picked" {
		t.Fatalf("saved step: %+v", dp)
	}
	_, edit := send(t, c, mustRequest("GET", fs.URL+"/app/projects/"+p.Slug+"/process/steps/"+dp.Steps[0].Id))
	roles = between(edit, `data-testid="field-role"`, "</fieldset>")
	if !strings.Contains(roles, `value="web" checked`) || strings.Contains(roles, `value="db" checked`) ||
		!strings.Contains(edit, `name="roles" value="brand-new"`) {
		t.Errorf("edit form roles: %s\n%s", roles, between(edit, `name="roles"`, ">"))
	}
}
