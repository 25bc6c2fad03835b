package server_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/argonautdeploy/argonaut/app"
	"github.com/argonautdeploy/argonaut/app/api"
)

// portalGet fetches a portal page with the signed-in client.
func portalGet(t *testing.T, c *http.Client, target string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", target, nil)
	return send(t, c, req)
}

// TestVariableEditorOverHTTP drives the portal's variable editor with
// plain form posts: add, edit, sensitive values ("leave unchanged"),
// stale versions, delete, filters, library sets and their inclusion.
func TestVariableEditorOverHTTP(t *testing.T) {
	w := setupWorld(t, t.TempDir())
	defer w.s.Close()
	ctx := context.Background()
	c := portalClient()
	tok := formToken(t, c, w.s.URL+"/app/login")
	if resp, _ := postForm(t, c, w.s.URL+"/app/login", url.Values{"csrf_token": {tok}, "username": {"admin"}, "password": {"correct-horse-battery"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in: %d", resp.StatusCode)
	}
	base := w.s.URL + "/app/projects/" + w.project.Slug + "/variables"
	const secret = "portal-secret-WOMBAT-8812"
	reveal := func() *app.VariableSet {
		vs, err := w.s.DB.RevealVariableSet(ctx, app.DefaultSpaceID, w.project.VariableSetId)
		if err != nil {
			t.Fatal(err)
		}
		return vs
	}
	version := func() string { return between(mustPage(t, c, base), `data-version="`, `"`) }
	post := func(path string, form url.Values) (*http.Response, string) {
		t.Helper()
		form.Set("csrf_token", formToken(t, c, base))
		return postForm(t, c, w.s.URL+path, form)
	}
	projectPath := "/app/projects/" + w.project.Slug + "/variables"

	// Add a plain, scoped variable, then a sensitive one.
	resp, body := post(projectPath+"/new", url.Values{"version": {version()}, "name": {"App.Url"}, "value": {"https://prod.example/<x>"},
		"environment": {w.envProd.ID}, "roles": {"web, api"}, "description": {"Public <b>URL</b>"}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/app/projects/"+w.project.Slug+"/variables" {
		t.Fatalf("add: %d %q\n%s", resp.StatusCode, resp.Header.Get("Location"), body)
	}
	resp, body = post(projectPath+"/new", url.Values{"version": {version()}, "name": {"Db.Password"}, "value": {secret}, "sensitive": {"on"},
		"prompt_label": {"Database password"}, "prompt_required": {"on"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("add sensitive: %d\n%s", resp.StatusCode, body)
	}
	vs := reveal()
	if len(vs.Variables) != 2 || vs.Variables[1].Value != secret || !vs.Variables[1].IsSensitive || vs.Variables[1].Prompt == nil || !vs.Variables[1].Prompt.Required {
		t.Fatalf("stored: %+v", vs.Variables)
	}
	if got := vs.Variables[0].Scope; len(got.Environment) != 1 || len(got.Role) != 2 {
		t.Errorf("scope of App.Url = %+v", got)
	}
	secretID := vs.Variables[1].ID

	page := mustPage(t, c, base)
	for _, want := range []string{`data-testid="variable-row"`, "Environment: Production", "Role: web", app.Masked, `data-testid="variable-sensitive"`,
		"https://prod.example/&lt;x&gt;", "Public &lt;b&gt;URL&lt;/b&gt;", `data-testid="variable-prompted"`} {
		if !strings.Contains(page, want) {
			t.Errorf("grid lacks %q", want)
		}
	}
	editPage := mustPage(t, c, base+"/"+secretID+"/edit")
	if strings.Contains(page, secret) || strings.Contains(editPage, secret) {
		t.Fatal("the secret is in the page HTML")
	}
	if !strings.Contains(editPage, `placeholder="leave unchanged"`) || !strings.Contains(editPage, `data-testid="value-unchanged-hint"`) {
		t.Errorf("the edit form of a sensitive value does not offer 'leave unchanged'")
	}

	// Editing with the value left blank keeps the secret; the other
	// variables keep theirs too.
	resp, body = post(projectPath+"/"+secretID+"/edit", url.Values{"version": {version()}, "name": {"Db.Password"}, "value": {""}, "sensitive": {"on"},
		"description": {"rotated never"}, "environment": {w.envProd.ID}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("edit: %d\n%s", resp.StatusCode, body)
	}
	vs = reveal()
	if v := vs.Variables[1]; v.Value != secret || v.Description != "rotated never" || v.Prompt != nil || len(v.Scope.Environment) != 1 {
		t.Errorf("after a blank edit: %+v", v)
	}

	// A stale form is refused with a clear message, and changes nothing.
	stale := vs.Version - 1
	resp, body = post(projectPath+"/new", url.Values{"version": {itoa(stale)}, "name": {"Late"}, "value": {"x"}})
	if resp.StatusCode != http.StatusConflict || !strings.Contains(body, "changed by someone else") || !strings.Contains(body, `data-testid="form-error"`) {
		t.Errorf("stale add: %d\n%s", resp.StatusCode, body)
	}
	resp, body = post(projectPath+"/"+secretID+"/edit", url.Values{"version": {itoa(stale)}, "name": {"Db.Password"}, "value": {"typed-NEW-secret-1"}, "sensitive": {"on"}})
	if resp.StatusCode != http.StatusConflict || strings.Contains(body, "typed-NEW-secret-1") {
		t.Errorf("stale edit: %d (a typed secret must not be echoed)", resp.StatusCode)
	}
	if got := reveal(); got.Version != vs.Version || len(got.Variables) != 2 {
		t.Errorf("a stale form changed the set: version %d, %d variables", got.Version, len(got.Variables))
	}

	// Validation problems re-render the form.
	resp, body = post(projectPath+"/new", url.Values{"version": {version()}, "name": {""}, "value": {"x"}})
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, `data-testid="form-error"`) {
		t.Errorf("invalid add: %d", resp.StatusCode)
	}

	// Filters.
	if p := mustPage(t, c, base+"?name=db."); strings.Count(p, `data-testid="variable-row"`) != 1 || !strings.Contains(p, "Db.Password") {
		t.Errorf("name filter: %d rows", strings.Count(p, `data-testid="variable-row"`))
	}
	if p := mustPage(t, c, base+"?scope=role:+web"); strings.Count(p, `data-testid="variable-row"`) != 1 || !strings.Contains(p, "App.Url") {
		t.Errorf("scope filter: %d rows", strings.Count(p, `data-testid="variable-row"`))
	}
	if p := mustPage(t, c, base+"?name=nothing-like-this"); !strings.Contains(p, `data-testid="variables-empty"`) {
		t.Error("an empty filter result is not shown as such")
	}

	// Turning a sensitive value plain needs a value.
	resp, _ = post(projectPath+"/"+secretID+"/edit", url.Values{"version": {version()}, "name": {"Db.Password"}, "value": {""}})
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("unticking sensitive without a value: %d, want 400", resp.StatusCode)
	}

	// Library sets: create one, add a variable, include it in the project.
	resp, _ = post("/app/library/variables", url.Values{"name": {"Shared <settings>"}, "description": {"for all"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("create library set: %d", resp.StatusCode)
	}
	libPath := resp.Header.Get("Location")
	libVersion := between(mustPage(t, c, w.s.URL+libPath), `data-version="`, `"`)
	resp, body = post(libPath+"/new", url.Values{"version": {libVersion}, "name": {"Smtp.Host"}, "value": {"mail.internal"}, "steps": {"ignored-for-libraries"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("add library variable: %d\n%s", resp.StatusCode, body)
	}
	if p := mustPage(t, c, w.s.URL+"/app/library/variables"); !strings.Contains(p, "Shared &lt;settings&gt;") {
		t.Error("library list lacks the set (escaped)")
	}
	libID := strings.TrimPrefix(libPath, "/app/library/variables/")
	resp, _ = post(projectPath+"/libraries", url.Values{"library": {libID}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("include library set: %d", resp.StatusCode)
	}
	if p := mustPage(t, c, base); !strings.Contains(p, "Library set: Shared &lt;settings&gt;") || !strings.Contains(p, "mail.internal") {
		t.Error("the project's variables page does not show the included set")
	}
	if p := mustPage(t, c, w.s.URL+"/app/projects/"+w.project.Slug+"/settings"); !strings.Contains(p, "includes 1 library variable set.") || !strings.Contains(p, `data-testid="project-libraries"`) {
		t.Error("the project settings do not show the included set count and the link to change it")
	}
	resp, _ = post(projectPath+"/libraries", url.Values{"library": {"LibraryVariableSets-999"}})
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("including an unknown set: %d, want 400", resp.StatusCode)
	}

	// Delete the plain variable; a stale delete is refused with a flash.
	appURLID := reveal().Variables[0].ID
	resp, _ = post(projectPath+"/"+appURLID+"/delete", url.Values{"version": {itoa(stale)}})
	if resp.StatusCode != http.StatusSeeOther || !strings.Contains(mustPage(t, c, base), "changed by someone else") {
		t.Errorf("stale delete: %d", resp.StatusCode)
	}
	resp, _ = post(projectPath+"/"+appURLID+"/delete", url.Values{"version": {version()}})
	if resp.StatusCode != http.StatusSeeOther || len(reveal().Variables) != 1 {
		t.Errorf("delete: %d, %d variables left", resp.StatusCode, len(reveal().Variables))
	}

	// The API never returned the secret either.
	var out api.VariableSetResource
	w.a.must(200, "GET", "/api/Spaces-1/variables/"+w.project.VariableSetId, nil, &out)
	if strings.Contains(w.a.seen.String(), secret) {
		t.Error("an API response contains the secret")
	}
}

func mustPage(t *testing.T, c *http.Client, target string) string {
	t.Helper()
	status, body := portalGet(t, c, target)
	if status != 200 {
		t.Fatalf("GET %s: %d\n%s", target, status, body)
	}
	return body
}

func itoa(n int) string { return strconv.Itoa(n) }
