package views_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/a-h/templ"
	"github.com/argonautdeploy/argonaut/app"
	"github.com/argonautdeploy/argonaut/assets"
	"github.com/argonautdeploy/argonaut/views"
	"github.com/argonautdeploy/argonaut/views/ui"
)

// xss is a name that must always render as text.
const xss = `<img src=x onerror=alert(1)>`

const csrf = "test-csrf-token-0123456789"

func render(t *testing.T, signedIn bool, c templ.Component) *goquery.Document {
	t.Helper()
	ctx := views.WithRequest(context.Background(), views.Request{CSRFToken: csrf, Path: "/app/x",
		Flash: &views.Flash{Kind: "success", Message: "Saved " + xss}})
	if signedIn {
		ctx = app.WithPrincipal(ctx, &app.User{ID: "Users-1", Username: "admin", DisplayName: xss, IsActive: true, IsAdmin: true})
	}
	var buf bytes.Buffer
	if err := c.Render(ctx, &buf); err != nil {
		t.Fatalf("render: %v", err)
	}
	doc, err := goquery.NewDocumentFromReader(&buf)
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	return doc
}

// pages renders every page of the portal with user data set to xss.
func pages() map[string]struct {
	signedIn bool
	c        templ.Component
} {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	env := &app.Environment{ID: "Environments-1", Name: xss, Description: xss}
	env2 := &app.Environment{ID: "Environments-2", Name: "Production"}
	group := &app.ProjectGroup{ID: "ProjectGroups-1", Name: xss}
	project := &app.Project{ID: "Projects-1", Name: xss, Slug: "img-src-x", Description: xss, LifecycleID: "Lifecycles-1", ProjectGroupID: group.ID}
	project.LastModifiedBy = xss
	machine := &app.Machine{ID: "Machines-1", Name: xss, Roles: []string{xss, "web"}, EnvironmentIDs: []string{env.ID},
		Endpoint: app.Endpoint{CommunicationStyle: app.CommsSSH, Host: xss, Username: xss, Port: 2222}}
	key := &app.APIKey{ID: "APIKeys-1", Purpose: xss, Hint: "ABCD", Created: now}
	problem := &ui.Problem{Message: xss, Details: []string{xss, "second"}}
	task := &app.Task{ID: "ServerTasks-1", SpaceID: "Spaces-1", Name: "Deploy", Description: xss, State: app.TaskExecuting,
		Created: now, StartTime: now, ErrorMessage: xss, HasPendingInterruptions: true}
	release := &app.Release{ID: "Releases-1", ProjectID: project.ID, Version: xss, ReleaseNotes: xss}
	type page = struct {
		signedIn bool
		c        templ.Component
	}
	return map[string]page{
		"login":             {false, views.Login(views.LoginPage{Username: xss, Next: "/app", Problem: problem})},
		"setup":             {false, views.Setup(views.SetupPage{Token: "tok", Username: xss, DisplayName: xss, Problem: problem})},
		"setup-unavailable": {false, views.SetupUnavailable()},
		"error-anonymous":   {false, views.Error(views.ErrorPage{Status: 403, Title: "Access denied", Message: xss, Details: []string{xss}})},
		"error":             {true, views.Error(views.ErrorPage{Status: 404, Title: "Not found", Message: xss})},
		"dashboard": {true, views.Dashboard(views.DashboardPage{Environments: []*app.Environment{env, env2},
			Groups: []views.DashboardGroup{{Group: group, Rows: []views.DashboardRow{{Project: project, Cells: []views.DeploymentCell{
				{Environment: xss, Version: xss, TaskID: "ServerTasks-1", State: app.TaskExecuting}, {}}}}}}})},
		"task": {true, views.TaskView(views.TaskPage{Task: task, Now: now, LineCap: 1000, Progress: 50,
			Root: &views.TaskNode{ID: task.ID, Name: xss, Status: app.ActivityRunning, Children: []*views.TaskNode{
				{ID: xss, Name: xss, Status: app.ActivitySuccess, LineCount: 5, Collapsed: true},
				{ID: "n2", Name: xss, Status: app.ActivityFailed, LineCount: 300, Lines: []app.LogElement{{Seq: 9, OccurredAt: now, Category: app.LogError, MessageText: xss}}},
			}},
			Artifacts:    []views.TaskArtifact{{Name: xss, URL: "/api/Spaces-1/artifacts/Artifacts-1/content", Size: "3 bytes"}},
			Interruption: &views.InterruptionForm{ID: "Interruptions-1", Title: xss, Instructions: xss, Responsible: xss, CanTake: true, CanSubmit: true, Results: []string{"Proceed", "Abort"}},
			ReleaseURL:   views.ReleaseURL("Releases-1"), ReleaseVersion: xss})},
		"tasks":       {true, views.Tasks(views.TasksPage{Tasks: []*app.Task{task}, Now: now, State: "Executing", Page: 2, Pages: 3, Total: 70})},
		"tasks-empty": {true, views.Tasks(views.TasksPage{Page: 1, Pages: 1})},
		"release": {true, views.Release(views.ReleasePage{Project: project, Release: release, Deployments: views.ReleaseDeploymentsSection{Release: release,
			Cells: []views.DeploymentCell{{Environment: xss, TaskID: "ServerTasks-1", State: app.TaskSuccess, When: xss}},
			Form: &views.DeployForm{Environments: []ui.Option{{Value: env.ID, Label: xss}}, Machines: []ui.Option{{Value: machine.ID, Label: xss}},
				Steps: []ui.Option{{Value: xss, Label: xss}}, Guided: []ui.Option{{Value: "", Label: "Default"}}, Problem: problem}}})},
		"library":            {true, views.Library()},
		"environments":       {true, views.Environments(views.EnvironmentsPage{Environments: []views.EnvironmentRow{{Environment: env, Targets: 1}, {Environment: env2}}})},
		"environment-new":    {true, views.EnvironmentEdit(views.EnvironmentEditPage{Form: views.EnvironmentForm{Name: xss, Description: xss}, Problem: problem})},
		"environment-edit":   {true, views.EnvironmentEdit(views.EnvironmentEditPage{ID: env.ID, Form: views.EnvironmentForm{Name: xss}})},
		"environment-delete": {true, views.EnvironmentDelete(views.EnvironmentDeletePage{Environment: env, Targets: 2, Problem: problem})},
		"machines": {true, views.Machines(views.MachinesPage{HasEnvironments: true,
			Groups: []views.MachineGroup{{Environment: env, Machines: []*app.Machine{machine}}, {Environment: env2}}})},
		"machines-none":  {true, views.Machines(views.MachinesPage{})},
		"machine-kinds":  {true, views.MachineNew()},
		"machine-ssh":    {true, views.MachineEdit(views.MachineEditPage{Style: app.CommsSSH, Form: views.MachineForm{Name: xss, Roles: xss, Host: xss, Fingerprint: xss}, Environments: []*app.Environment{env, env2}, KnownRoles: []string{xss}, Problem: problem})},
		"machine-drop":   {true, views.MachineEdit(views.MachineEditPage{ID: machine.ID, Style: app.CommsOffline, Form: views.MachineForm{Name: xss, DropFolderPath: xss}, Environments: []*app.Environment{env}})},
		"machine-none":   {true, views.MachineEdit(views.MachineEditPage{Style: app.CommsNone, Environments: []*app.Environment{env}})},
		"machine-delete": {true, views.MachineDelete(views.MachineDeletePage{Machine: machine})},
		"projects":       {true, views.Projects(views.ProjectsPage{Groups: []views.ProjectGroupSection{{Group: group, Projects: []*app.Project{project}}}})},
		"project": {true, views.ProjectOverview(views.ProjectPage{Project: project, Group: xss, Lifecycle: xss, Releases: []*app.Release{release},
			ReleaseDeployments: map[string][]views.DeploymentCell{release.ID: {{Environment: xss, TaskID: "ServerTasks-1", State: app.TaskFailed}}}})},
		"project-new": {true, views.ProjectEdit(views.ProjectEditPage{Form: views.ProjectForm{Name: xss},
			Lifecycles: []*app.Lifecycle{{ID: "Lifecycles-1", Name: xss}}, Groups: []*app.ProjectGroup{group}, Problem: problem})},
		"project-settings": {true, views.ProjectEdit(views.ProjectEditPage{Project: project, Form: views.ProjectForm{Name: xss, IsDisabled: true},
			Lifecycles: []*app.Lifecycle{{ID: "Lifecycles-1", Name: xss}}, Groups: []*app.ProjectGroup{group}})},
		"project-delete": {true, views.ProjectDelete(views.ProjectDeletePage{Project: project})},
		"profile":        {true, views.Profile(views.ProfilePage{User: &app.User{ID: "Users-1", Username: "admin", DisplayName: xss, EmailAddress: xss}})},
		"apikeys":        {true, views.APIKeys(views.APIKeysPage{Keys: []*app.APIKey{key}, NewKey: &views.NewAPIKey{Key: key, Secret: "API-SECRET"}, Purpose: xss, Problem: problem})},
		"apikeys-empty":  {true, views.APIKeys(views.APIKeysPage{})},
		"apikey-revoke":  {true, views.APIKeyRevoke(views.APIKeyRevokePage{Key: key})},
	}
}

func TestPagesEscapeUserData(t *testing.T) {
	for name, p := range pages() {
		t.Run(name, func(t *testing.T) {
			doc := render(t, p.signedIn, p.c)
			// The only images are the logo: nothing was injected.
			doc.Find("img").Each(func(_ int, s *goquery.Selection) {
				if src, _ := s.Attr("src"); src != assets.Path("logo.svg") {
					t.Errorf("unexpected <img src=%q>: user data was rendered as HTML", src)
				}
			})
			doc.Find("*").Each(func(_ int, s *goquery.Selection) {
				for _, a := range s.Nodes[0].Attr {
					if strings.HasPrefix(strings.ToLower(a.Key), "on") {
						t.Errorf("unexpected event handler attribute %s=%q", a.Key, a.Val)
					}
				}
			})
			if doc.Find("script:not([src])").Length() > 0 {
				t.Error("inline <script> found; the CSP forbids it")
			}
			if doc.Find("[style]").Length() > 0 {
				t.Error("inline style attribute found; the CSP forbids it")
			}
		})
	}
}

func TestXSSNameShownAsText(t *testing.T) {
	for _, name := range []string{"environments", "machines", "projects", "project", "dashboard", "environment-delete", "task", "tasks", "release"} {
		t.Run(name, func(t *testing.T) {
			p := pages()[name]
			doc := render(t, p.signedIn, p.c)
			if !strings.Contains(doc.Find("main").Text(), xss) {
				t.Errorf("the name %q is not visible as text", xss)
			}
		})
	}
}

func TestEveryFormCarriesCSRFToken(t *testing.T) {
	forms := 0
	for name, p := range pages() {
		t.Run(name, func(t *testing.T) {
			doc := render(t, p.signedIn, p.c)
			doc.Find("form").Each(func(i int, f *goquery.Selection) {
				forms++
				in := f.Find(`input[type="hidden"][name="` + views.CSRFFieldName + `"]`)
				if in.Length() != 1 {
					t.Errorf("form %d (%s) has %d CSRF inputs, want 1", i, f.AttrOr("data-testid", f.AttrOr("action", "?")), in.Length())
					return
				}
				if got := in.AttrOr("value", ""); got != csrf {
					t.Errorf("form %d CSRF value = %q, want %q", i, got, csrf)
				}
				if m := strings.ToLower(f.AttrOr("method", "get")); m != "post" {
					t.Errorf("form %d method = %q, want post", i, m)
				}
			})
		})
	}
	if forms < 20 {
		t.Errorf("only %d forms checked; the page list looks incomplete", forms)
	}
}

func TestSignedInPagesHaveNavigationAndFlash(t *testing.T) {
	doc := render(t, true, pages()["environments"].c)
	for _, id := range []string{"nav-dashboard", "nav-projects", "nav-environments", "nav-machines", "nav-library", "user-menu", "logout", "flash"} {
		if doc.Find(`[data-testid="`+id+`"]`).Length() == 0 {
			t.Errorf("missing data-testid=%q", id)
		}
	}
	if got := doc.Find(`[data-testid="flash"]`).Text(); got != "Saved "+xss {
		t.Errorf("flash = %q", got)
	}
}

func TestAPIKeyShownOnce(t *testing.T) {
	doc := render(t, true, pages()["apikeys"].c)
	if got := doc.Find(`[data-testid="apikey-value"]`).AttrOr("value", ""); got != "API-SECRET" {
		t.Errorf("new key value = %q", got)
	}
	doc = render(t, true, views.APIKeys(views.APIKeysPage{Keys: []*app.APIKey{{ID: "APIKeys-1", Purpose: "ci"}}}))
	if doc.Find(`[data-testid="apikey-value"]`).Length() != 0 {
		t.Error("the key box is shown without a new key")
	}
}

func TestTaskPageForms(t *testing.T) {
	doc := render(t, true, pages()["task"].c)
	for _, id := range []string{"task-cancel-form", "interruption-form", "log-show", "log-earlier", "task-raw", "task-release"} {
		if doc.Find(`[data-testid="`+id+`"]`).Length() != 1 {
			t.Errorf("no %s on the task page", id)
		}
	}
	if got := doc.Find(`[data-testid="log-earlier"]`).AttrOr("data-count", ""); got != "299" {
		t.Errorf("earlier lines = %s, want 299", got)
	}
	if doc.Find(`[data-testid="interruption-proceed"]`).Length() != 1 || doc.Find(`[data-testid="interruption-abort"]`).Length() != 1 {
		t.Error("no Proceed/Abort buttons")
	}
	if doc.Find(`script[src="`+assets.Path("tasklog.js")+`"]`).Length() != 1 {
		t.Error("the live log script is not loaded")
	}
	rel := render(t, true, pages()["release"].c)
	if rel.Find(`form[data-testid="deploy-form"] select[name="environment"]`).Length() != 1 {
		t.Error("no environment select in the deploy form")
	}
}
