package server_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/argonautdeploy/argonaut/app"
	"github.com/argonautdeploy/argonaut/app/api"
	"github.com/chromedp/chromedp"
)

// testSensitiveVariableFlow adds a sensitive variable in the portal and
// checks that its value never comes back: not in any page's HTML after
// the save, not in any API response, and the preview shows ********.
func testSensitiveVariableFlow(t *testing.T, ctx context.Context) {
	s := startPortalServer(t, true)
	const secret = "browser-secret-PANGOLIN-6642"
	prod := &app.Environment{SpaceID: app.DefaultSpaceID, Name: "Production"}
	if err := s.DB.CreateEnvironment(context.Background(), prod); err != nil {
		t.Fatal(err)
	}
	html := func(what string) string {
		return run(t, ctx, what, chromedp.Evaluate[string](`document.documentElement.outerHTML`))
	}

	do(t, ctx, "sign in and create a project",
		chromedp.Navigate(s.URL+"/app/projects/new"),
		chromedp.WaitVisible(testid("login-form")),
		chromedp.SendKeys(testid("login-username"), "admin"),
		chromedp.SendKeys(testid("login-password"), "correct-horse-battery"),
		chromedp.Click(testid("login-submit")),
		chromedp.WaitVisible(testid("project-form")),
		chromedp.SendKeys(testid("field-name"), "Vault Shop"),
		chromedp.Click(testid("project-save")),
		waitText("project-name", "Vault Shop"),
	)
	do(t, ctx, "add a sensitive variable",
		chromedp.Click(testid("project-variables")),
		chromedp.WaitVisible(testid("variables-empty")),
		chromedp.Click(testid("variable-add")),
		chromedp.WaitVisible(testid("variable-form")),
		chromedp.SendKeys(testid("field-name"), "Db.Password"),
		chromedp.SendKeys(testid("field-value"), secret),
		chromedp.Click(testid("field-sensitive")),
		chromedp.Click(chromedp.CSS(`input[name="environment"][value="`+prod.ID+`"]`)),
		chromedp.Click(testid("variable-save")),
		waitText("flash", "Variable 'Db.Password' added."),
		waitText("variable-value", app.Masked),
		waitText("variable-scope", "Environment: Production"),
	)
	do(t, ctx, "reload the variables page", chromedp.Reload(), waitText("variable-name", "Db.Password"))
	if dir := os.Getenv("ARGONAUT_SCREENSHOTS"); dir != "" {
		shoot(t, ctx, filepath.Join(dir, "portal-variables.png"))
	}
	if strings.Contains(html("read the grid"), secret) {
		t.Fatal("the secret is in the variables page after a reload")
	}
	do(t, ctx, "open the edit form",
		chromedp.Click(testid("variable-edit")),
		chromedp.WaitVisible(testid("value-unchanged-hint")),
	)
	if dir := os.Getenv("ARGONAUT_SCREENSHOTS"); dir != "" {
		shoot(t, ctx, filepath.Join(dir, "portal-variable-edit.png"))
	}
	if v := run(t, ctx, "read the value field", chromedp.Value(testid("field-value"))); v != "" {
		t.Errorf("the edit form's value field holds %q", v)
	}
	if strings.Contains(html("read the edit form"), secret) {
		t.Fatal("the secret is in the edit form")
	}
	// Saving the form untouched keeps the secret (checked in the store below).
	do(t, ctx, "save unchanged",
		chromedp.Click(testid("variable-save")),
		waitText("flash", "Variable 'Db.Password' saved."),
	)

	do(t, ctx, "preview for Production",
		chromedp.Click(testid("variables-preview")),
		chromedp.WaitVisible(testid("preview-form")),
		chromedp.SetValue(testid("field-environment"), prod.ID),
		chromedp.Click(testid("preview-submit")),
		waitText("preview-value", app.Masked),
	)
	if strings.Contains(html("read the preview"), secret) {
		t.Fatal("the secret is in the preview page")
	}

	// Every API read of the project, its variables and the preview.
	a := newAPIClient(t, s)
	var projects []api.ProjectResource
	a.must(200, "GET", "/api/Spaces-1/projects/all", nil, &projects)
	if len(projects) != 1 {
		t.Fatalf("%d projects", len(projects))
	}
	pr := projects[0]
	var vs api.VariableSetResource
	a.must(200, "GET", "/api/Spaces-1/variables/"+pr.VariableSetId, nil, &vs)
	if len(vs.Variables) != 1 || !vs.Variables[0].IsSensitive || vs.Variables[0].Value != nil {
		t.Errorf("API variable set: %+v", vs.Variables)
	}
	a.must(200, "GET", "/api/Spaces-1/variables/preview?project="+pr.Id+"&environment="+prod.ID, nil, nil)
	a.must(200, "GET", "/api/Spaces-1/projects/"+pr.Id, nil, nil)
	if strings.Contains(a.seen.String(), secret) {
		t.Error("an API response contains the secret")
	}
	if !strings.Contains(a.seen.String(), app.Masked) {
		t.Error("the API preview does not show the masked value")
	}

	// The store still has it, for deployments.
	stored, err := s.DB.RevealVariableSet(context.Background(), app.DefaultSpaceID, pr.VariableSetId)
	if err != nil || len(stored.Variables) != 1 || stored.Variables[0].Value != secret {
		t.Errorf("stored value after the unchanged save: %v", err)
	}
}
