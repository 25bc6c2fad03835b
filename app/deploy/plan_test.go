package deploy

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/argonautdeploy/argonaut/app"
	"github.com/argonautdeploy/argonaut/runner"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

var (
	dev  = app.Environment{ID: "Environments-1", Name: "Dev", SortOrder: 1}
	prod = app.Environment{ID: "Environments-2", Name: "Production", SortOrder: 2}
)

func machines() []*app.Machine {
	m := func(id, name string, env []string, roles ...string) *app.Machine {
		return &app.Machine{ID: id, Name: name, EnvironmentIDs: env, Roles: roles,
			Endpoint: app.Endpoint{CommunicationStyle: app.CommsNone}}
	}
	off := m("Machines-5", "web-off", []string{prod.ID}, "web")
	off.IsDisabled = true
	return []*app.Machine{
		m("Machines-1", "web-1", []string{prod.ID}, "web"),
		m("Machines-2", "web-2", []string{prod.ID}, "web", "cache"),
		m("Machines-3", "db-1", []string{prod.ID}, "db"),
		m("Machines-4", "web-dev", []string{dev.ID}, "web"),
		off,
		m("Machines-6", "mail-1", []string{prod.ID}, "mail"),
	}
}

func script(id, name, body string, props map[string]string) app.Step {
	if props == nil {
		props = map[string]string{}
	}
	return app.Step{ID: "step-" + id, Name: name, Condition: app.ConditionSuccess, StartTrigger: app.StartAfterPrevious,
		Properties: props, Actions: []app.Action{{ID: "action-" + id, Name: name, ActionType: app.ActionTypeScript,
			Properties: map[string]string{app.PropScriptBody: body, app.PropScriptSyntax: "Bash"}}}}
}

// fixture is one release of a project with every kind of step the planner
// must handle, and a variable set scoped every way.
func fixture() *Deployment {
	onServer := map[string]string{app.PropRunOnServer: "true"}
	prepare := script("prepare", "Prepare", "echo #{Greeting}", nil)
	prepare.Actions[0].Properties[app.PropRunOnServer] = "true"
	deployWeb := app.Step{ID: "step-web", Name: "Deploy web", Condition: app.ConditionSuccess, StartTrigger: app.StartAfterPrevious,
		Properties: map[string]string{app.PropTargetRoles: "web", app.PropMaxParallelism: "1"},
		Actions: []app.Action{{ID: "action-web", Name: "Deploy web", ActionType: app.ActionTypePackage,
			Packages: []app.PackageReference{{ID: "ref-web", PackageID: "Acme.Web", FeedID: app.BuiltInFeedID}},
			Properties: map[string]string{"Octopus.Action.SubstituteInFiles.Enabled": "True",
				"Octopus.Action.SubstituteInFiles.TargetFiles":             "config/*.conf\nindex.html",
				"Octopus.Action.Package.JsonConfigurationVariablesTargets": "appsettings.json"}}}}
	disabled := script("disabled", "Disabled step", "exit 1", map[string]string{app.PropTargetRoles: "web"})
	disabled.Actions[0].IsDisabled = true
	devOnly := script("devonly", "Dev only", "echo dev", map[string]string{app.PropTargetRoles: "web"})
	devOnly.Actions[0].Environments = []string{dev.ID}
	migrate := script("migrate", "Migrate", "migrate --timeout #{Timeout} --conn #{ConnString}", map[string]string{app.PropTargetRoles: "db,web"})
	migrate.StartTrigger = app.StartWithPrevious
	cleanup := script("cleanup", "Cleanup", "echo cleaning up", onServer)
	cleanup.Actions[0].Properties[app.PropRunOnServer] = "true"
	cleanup.Condition = app.ConditionFailure
	notify := script("notify", "Notify", "echo done", map[string]string{app.PropTargetRoles: "mail",
		app.PropConditionExpression: "#{if Notify}true#{/if}"})
	notify.Condition = app.ConditionVariable
	skipMe := script("skip", "Optional smoke test", "curl localhost", map[string]string{app.PropTargetRoles: "web"})

	vars := []app.Variable{
		{ID: "v1", Name: "Greeting", Value: "hello"},
		{ID: "v2", Name: "Greeting", Value: "hello production", Scope: app.VariableScope{Environment: []string{prod.ID}}},
		{ID: "v3", Name: "ConnString", Value: "Server=db;Password=#{DbPassword}", Scope: app.VariableScope{Role: []string{"db"}}},
		{ID: "v4", Name: "DbPassword", Value: "s3cr3t-pa55", IsSensitive: true, Type: app.VariableTypeSensitive},
		{ID: "v5", Name: "Port", Value: "80"},
		{ID: "v6", Name: "Port", Value: "8081", Scope: app.VariableScope{Machine: []string{"Machines-2"}}},
		{ID: "v7", Name: "Timeout", Value: "30"},
		{ID: "v8", Name: "Timeout", Value: "300", Scope: app.VariableScope{Action: []string{"action-migrate"}}},
		{ID: "v9", Name: "DevOnly", Value: "yes", Scope: app.VariableScope{Environment: []string{dev.ID}}},
	}
	library := []app.Variable{
		{ID: "l1", Name: "Port", Value: "9999"}, // the project's own value wins
		{ID: "l2", Name: "Region", Value: "eu-west"},
	}
	rel := &app.Release{ID: "Releases-7", SpaceID: "Spaces-1", ProjectID: "Projects-1", ChannelID: "Channels-1",
		Version: "1.2.3", ReleaseNotes: "Fixes", Assembled: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		SelectedPackages: []app.SelectedPackage{{ActionName: "Deploy web", StepName: "Deploy web", Version: "4.5.6"}},
		Process:          app.DeploymentProcess{Steps: []app.Step{prepare, deployWeb, disabled, devOnly, migrate, cleanup, notify, skipMe}},
		Variables: []app.VariableSource{
			{SetID: "variableset-Projects-1", Variables: vars},
			{SetID: "variableset-LibraryVariableSets-1", Library: true, Variables: library},
		}}
	return &Deployment{Release: rel, Space: app.Space{ID: "Spaces-1", Name: "Default"},
		Project:      app.Project{ID: "Projects-1", Name: "Acme", Slug: "acme"},
		ProjectGroup: app.ProjectGroup{ID: "ProjectGroups-1", Name: "Default Project Group"},
		Environment:  prod, Channel: app.Channel{ID: "Channels-1", Name: "Default"},
		DeploymentID: "Deployments-9", DeploymentName: "Deploy to Production", TaskID: "ServerTasks-11", TaskName: "Deploy",
		DeploymentCreated: time.Date(2026, 1, 3, 0, 0, 0, 0, time.UTC), ServerURI: "https://deploy.example.com",
		CreatedBy: app.User{ID: "Users-1", Username: "admin", DisplayName: "Admin"}, WorkerOS: "linux",
		Options: Options{SkipActions: []string{"Optional smoke test"}},
		Packages: func(feed, id, version string) (PackageFile, error) {
			if feed != app.BuiltInFeedID || id != "Acme.Web" || version != "4.5.6" {
				return PackageFile{}, errors.New("no such package")
			}
			return PackageFile{SHA256: strings.Repeat("ab", 32), Size: 1234, FileName: "Acme.Web.4.5.6.zip"}, nil
		}}
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./app/deploy -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file; got:\n%s", name, got)
	}
}

func TestPlanGolden(t *testing.T) {
	d := fixture()
	targets := Targets(d, machines())
	var names []string
	for _, m := range targets {
		names = append(names, m.Name)
		d.MachineIDs = append(d.MachineIDs, m.ID)
	}
	golden(t, "targets.txt", []byte(strings.Join(names, "\n")+"\n"))

	for _, m := range append([]*app.Machine{nil}, targets...) {
		name := BuiltInWorkerName
		if m != nil {
			name = m.Name
		}
		t.Run(name, func(t *testing.T) {
			p, err := Plan(d, m)
			if err != nil {
				t.Fatal(err)
			}
			if p == nil {
				t.Fatal("no plan")
			}
			var b bytes.Buffer
			if err := p.Encode(&b); err != nil {
				t.Fatal(err)
			}
			if _, err := runner.DecodePlan(bytes.NewReader(b.Bytes())); err != nil {
				t.Fatalf("the plan does not decode: %v", err)
			}
			golden(t, strings.ReplaceAll(name, " ", "-")+".plan.json", b.Bytes())
		})
	}
}

// value returns the effective value of name for step (step value, else plan value).
func value(p *runner.Plan, step, name string) (runner.Variable, bool) {
	for _, s := range p.Steps {
		if s.Name == step {
			for _, v := range s.Variables {
				if strings.EqualFold(v.Name, name) {
					return v, true
				}
			}
		}
	}
	for _, v := range p.Variables {
		if strings.EqualFold(v.Name, name) {
			return v, true
		}
	}
	return runner.Variable{}, false
}

func TestPlanRules(t *testing.T) {
	d := fixture()
	ms := machines()
	byName := map[string]*app.Machine{}
	for _, m := range ms {
		byName[m.Name] = m
	}
	plan := func(m *app.Machine) *runner.Plan {
		t.Helper()
		p, err := Plan(d, m)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	stepNames := func(p *runner.Plan) string {
		var out []string
		for _, s := range p.Steps {
			out = append(out, s.Name)
		}
		return strings.Join(out, ",")
	}
	tests := []struct {
		machine string
		steps   string
		checks  map[string]string // "Step/Var" = value
	}{
		{"", "Prepare,Cleanup", map[string]string{"Prepare/Greeting": "hello production", "Prepare/Port": "80"}},
		{"web-1", "Deploy web,Migrate", map[string]string{"Deploy web/Port": "80", "Migrate/Timeout": "300",
			"Deploy web/Timeout": "30", "Deploy web/Region": "eu-west"}},
		{"web-2", "Deploy web,Migrate", map[string]string{"Deploy web/Port": "8081"}},
		{"db-1", "Migrate", map[string]string{"Migrate/ConnString": "Server=db;Password=#{DbPassword}",
			"Migrate/Octopus.Machine.Name": "db-1", "Migrate/Octopus.Action.Name": "Migrate"}},
	}
	for _, tc := range tests {
		p := plan(byName[tc.machine])
		if got := stepNames(p); got != tc.steps {
			t.Errorf("%q: steps %s, want %s", tc.machine, got, tc.steps)
		}
		for k, want := range tc.checks {
			step, name, _ := strings.Cut(k, "/")
			if got, _ := value(p, step, name); got.Value != want {
				t.Errorf("%q: %s = %q, want %q", tc.machine, k, got.Value, want)
			}
		}
	}
	// web-1 is not a db machine: the role-scoped value does not reach it.
	if _, ok := value(plan(byName["web-1"]), "Migrate", "ConnString"); ok {
		t.Error("web-1 got the db-scoped ConnString")
	}
	// Sensitive values keep their flag.
	if v, _ := value(plan(byName["db-1"]), "Migrate", "DbPassword"); !v.Sensitive || v.Value != "s3cr3t-pa55" {
		t.Errorf("DbPassword = %+v", v)
	}
	// The first step of a target's plan cannot start with a step that runs elsewhere.
	if p := plan(byName["db-1"]); p.Steps[0].StartWithPrevious {
		t.Error("db-1's first step starts with the previous one")
	}
	// Nothing runs on a machine without a matching role.
	other := &app.Machine{ID: "Machines-9", Name: "other", EnvironmentIDs: []string{prod.ID}, Roles: []string{"other"}}
	if p, err := Plan(d, other); err != nil || p != nil {
		t.Errorf("plan for a machine without a matching role: %v, %v", p, err)
	}
	// Skip if already installed reaches the runner, unless the deployment
	// forces package redeployment.
	web := &d.Release.Process.Steps[1].Actions[0]
	web.Properties["Octopus.Action.Package.SkipIfAlreadyInstalled"] = "True"
	if s := plan(byName["web-1"]).Steps[0]; s.Name != "Deploy web" || !s.Properties.SkipIfAlreadyInstalled {
		t.Errorf("SkipIfAlreadyInstalled not planned: %+v", s.Properties)
	}
	d.Options.ForcePackageRedeployment = true
	if s := plan(byName["web-1"]).Steps[0]; s.Properties.SkipIfAlreadyInstalled {
		t.Errorf("ForcePackageRedeployment kept SkipIfAlreadyInstalled: %+v", s.Properties)
	}
	d.Options.ForcePackageRedeployment = false
	delete(web.Properties, "Octopus.Action.Package.SkipIfAlreadyInstalled")
	// Excluded environments and channels filter actions.
	migrate := &d.Release.Process.Steps[4].Actions[0]
	migrate.ExcludedEnvironments = []string{prod.ID}
	if got := stepNames(plan(byName["web-1"])); got != "Deploy web" {
		t.Errorf("Migrate excluded from Production still runs: %s", got)
	}
	migrate.ExcludedEnvironments = nil
	migrate.Channels = []string{"Channels-2"}
	if got := stepNames(plan(byName["web-1"])); got != "Deploy web" {
		t.Errorf("Migrate limited to another channel still runs: %s", got)
	}
	migrate.Channels = []string{"Channels-2", "channels-1"}
	if got := stepNames(plan(byName["web-1"])); got != "Deploy web,Migrate" {
		t.Errorf("Migrate of this channel: %s", got)
	}
	migrate.Channels = nil
	// Dev: the environment-filtered step appears, the Prod value does not.
	d.Environment = dev
	p := plan(byName["web-dev"])
	if got := stepNames(p); got != "Deploy web,Dev only,Migrate" {
		t.Errorf("dev steps: %s", got)
	}
	if v, _ := value(p, "Deploy web", "Greeting"); v.Value != "hello" {
		t.Errorf("dev Greeting = %q", v.Value)
	}
	// A required step cannot be skipped; an unknown one is named.
	d.Release.Process.Steps[1].Actions[0].IsRequired = true
	d.Options.SkipActions = []string{"Deploy web", "Nope"}
	_, err := Plan(d, byName["web-dev"])
	if msg := strings.Join(app.ErrorDetails(err), " "); !strings.Contains(msg, "required") || !strings.Contains(msg, "'Nope'") {
		t.Errorf("skip errors: %v", msg)
	}
	// A missing package version is a clear error.
	d.Options.SkipActions = nil
	d.Release.SelectedPackages = nil
	if _, err := Plan(d, byName["web-dev"]); err == nil || !strings.Contains(app.ErrorMessage(err), "Deploy web") {
		t.Errorf("missing package version: %v", err)
	}
}

func TestTargets(t *testing.T) {
	d := fixture()
	d.Options.ExcludedMachineIDs = []string{"Machines-2"}
	var got []string
	for _, m := range Targets(d, machines()) {
		got = append(got, m.Name)
	}
	if strings.Join(got, ",") != "web-1,db-1,mail-1" {
		t.Errorf("targets = %v", got)
	}
	d.Options.SpecificMachineIDs = []string{"Machines-3"}
	got = nil
	for _, m := range Targets(d, machines()) {
		got = append(got, m.Name)
	}
	if strings.Join(got, ",") != "db-1" {
		t.Errorf("specific targets = %v", got)
	}
}
