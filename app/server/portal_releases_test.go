package server_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/argonautdeploy/argonaut/app"
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
