package server_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/argonautdeploy/argonaut/app/server"
)

// TestImportedDocumentsSizeLimited (CVE-2018-18850): the documents a client
// imports — a deployment process, a variable set — are held to the body
// limit, with and without Content-Length, and a refused one changes nothing.
func TestImportedDocumentsSizeLimited(t *testing.T) {
	const limit = 64 << 10
	s := startFeedServer(t, server.Config{MaxBodyBytes: limit})
	jsonHeader := http.Header{"Content-Type": {"application/json"}}
	r := s.do(t, "POST", "/api/Spaces-1/projects", strings.NewReader(`{"Name":"Big","LifecycleId":"Lifecycles-1","ProjectGroupId":"ProjectGroups-1"}`), jsonHeader)
	if r.status != http.StatusCreated {
		t.Fatalf("create project: %d %s", r.status, r.body)
	}
	var p resource
	r.decode(t, &p)

	process := func(script string) string {
		b, _ := json.Marshal(map[string]any{"Version": 0, "Steps": []any{runOnServer("Say", script)}})
		return string(b)
	}
	variables := func(value string) string {
		b, _ := json.Marshal(map[string]any{"Version": 0, "Variables": []map[string]any{{"Name": "Big", "Value": value}}})
		return string(b)
	}
	for _, tc := range []struct {
		name, path string
		doc        func(string) string
	}{
		{"process", p.Links["DeploymentProcess"], process},
		{"variables", p.Links["Variables"], variables},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := s.do(t, "GET", tc.path, nil, nil)
			huge := tc.doc(strings.Repeat("x", limit))
			if r := s.do(t, "PUT", tc.path, strings.NewReader(huge), jsonHeader); r.status != http.StatusRequestEntityTooLarge {
				t.Errorf("PUT over the limit: %d %s, want 413", r.status, r.body)
			}
			// io.MultiReader hides the length: the body is sent chunked.
			if r := s.do(t, "PUT", tc.path, io.MultiReader(strings.NewReader(huge)), jsonHeader); r.status != http.StatusRequestEntityTooLarge {
				t.Errorf("chunked PUT over the limit: %d %s, want 413", r.status, r.body)
			}
			if after := s.do(t, "GET", tc.path, nil, nil); string(after.body) != string(before.body) {
				t.Errorf("a refused PUT changed the document:\n%s\n%s", before.body, after.body)
			}
			if r := s.do(t, "PUT", tc.path, strings.NewReader(tc.doc(strings.Repeat("x", limit/2))), jsonHeader); r.status != http.StatusOK {
				t.Errorf("PUT under the limit: %d %s, want 200", r.status, r.body)
			}
		})
	}

	// The portal's step form is held to the same limit.
	t.Run("portal step form", func(t *testing.T) {
		c := portalClient()
		token := formToken(t, c, s.URL+"/app/login")
		if resp, _ := postForm(t, c, s.URL+"/app/login", url.Values{"csrf_token": {token}, "username": {adminUser},
			"password": {adminPassword}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("sign in: %d", resp.StatusCode)
		}
		before := s.do(t, "GET", p.Links["DeploymentProcess"], nil, nil)
		token = formToken(t, c, s.URL+"/app/projects/"+p.Slug+"/process/steps/new?type=Octopus.Script")
		resp, _ := postForm(t, c, s.URL+"/app/projects/"+p.Slug+"/process/steps", url.Values{"csrf_token": {token},
			"name": {"Huge"}, "script_body": {strings.Repeat("x", 2*limit)}})
		if resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Errorf("step form over the limit: %d, want 413", resp.StatusCode)
		}
		huge := url.Values{"csrf_token": {token}, "name": {"Huge"}, "script_body": {strings.Repeat("x", 2*limit)}}.Encode()
		req, _ := http.NewRequest("POST", s.URL+"/app/projects/"+p.Slug+"/process/steps", io.MultiReader(strings.NewReader(huge)))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if status, _ := send(t, c, req); status != http.StatusRequestEntityTooLarge {
			t.Errorf("chunked step form over the limit: %d, want 413", status)
		}
		if after := s.do(t, "GET", p.Links["DeploymentProcess"], nil, nil); string(after.body) != string(before.body) {
			t.Errorf("a refused form changed the process")
		}
		// Before anyone signs in too.
		anon := portalClient()
		anonToken := formToken(t, anon, s.URL+"/app/login")
		req, _ = http.NewRequest("POST", s.URL+"/app/login", io.MultiReader(strings.NewReader(url.Values{"csrf_token": {anonToken},
			"username": {strings.Repeat("u", 2*limit)}, "password": {"x"}}.Encode())))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if status, _ := send(t, anon, req); status != http.StatusRequestEntityTooLarge {
			t.Errorf("chunked sign-in form over the limit: %d, want 413", status)
		}
		// A form within the limit still works after the limit was read.
		resp, _ = postForm(t, c, s.URL+"/app/projects/"+p.Slug+"/process/steps", url.Values{"csrf_token": {token},
			"name": {"Small"}, "type": {"Octopus.Script"}, "script_body": {strings.Repeat("x", limit/2)}})
		if resp.StatusCode == http.StatusRequestEntityTooLarge || resp.StatusCode == http.StatusForbidden {
			t.Errorf("step form under the limit: %d", resp.StatusCode)
		}
	})
}
