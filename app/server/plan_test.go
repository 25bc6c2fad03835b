package server_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/argonautdeploy/argonaut/app"
	"github.com/argonautdeploy/argonaut/app/deploy"
	"github.com/argonautdeploy/argonaut/runner"
)

// TestPlanFromStoredRelease goes from API-created data to plans: the
// release's snapshot (secrets revealed by the store, as the task engine will
// do) and the stored machines compile into one plan per target with the
// values scoped to each.
func TestPlanFromStoredRelease(t *testing.T) {
	s := startServer(t, t.TempDir())
	c := adminClient(t, s)
	ctx := context.Background()
	var env resource
	c.must("POST", "/api/Spaces-1/environments", map[string]any{"Name": "Production"}, http.StatusCreated, &env)
	var m1, m2 resource
	for i, out := range []*resource{&m1, &m2} {
		c.must("POST", "/api/Spaces-1/machines", map[string]any{"Name": []string{"web-1", "web-2"}[i], "Roles": []string{"web"},
			"EnvironmentIds": []string{env.Id}, "Endpoint": map[string]any{"CommunicationStyle": "None"}}, http.StatusCreated, out)
	}
	p := createProject(t, c, "Shop")
	c.must("PUT", p.Links["DeploymentProcess"], map[string]any{"Version": 0,
		"Steps": []any{scriptStep("Prepare", "echo #{Greeting}"), packageStep("Web", "Acme.Web")}}, http.StatusOK, nil)
	var vs map[string]any
	c.must("GET", p.Links["Variables"], nil, http.StatusOK, &vs)
	vs["Variables"] = []map[string]any{
		{"Name": "Greeting", "Value": "hello"},
		{"Name": "Port", "Value": "80"},
		{"Name": "Port", "Value": "8081", "Scope": map[string]any{"Machine": []string{m2.Id}}},
		{"Name": "ApiKey", "Value": "k3y-value", "IsSensitive": true, "Scope": map[string]any{"Environment": []string{env.Id}}},
	}
	c.must("PUT", p.Links["Variables"], vs, http.StatusOK, nil)
	var created struct{ ReleaseId string }
	c.must("POST", "/api/Spaces-1/releases/create/v1", map[string]any{"projectName": "Shop", "packageVersion": "1.0.0"}, http.StatusCreated, &created)
	// A later edit must not reach the plan.
	c.must("GET", p.Links["Variables"], nil, http.StatusOK, &vs)
	vs["Variables"].([]any)[0].(map[string]any)["Value"] = "changed"
	c.must("PUT", p.Links["Variables"], vs, http.StatusOK, nil)

	rel, err := s.DB.FindReleaseByID(ctx, "Spaces-1", created.ReleaseId)
	if err != nil {
		t.Fatal(err)
	}
	if rel.Variables, err = s.DB.RevealReleaseVariables(ctx, "Spaces-1", rel.ID); err != nil {
		t.Fatal(err)
	}
	project, _ := s.DB.FindProjectByID(ctx, "Spaces-1", p.Id)
	environment, _ := s.DB.FindEnvironmentByID(ctx, "Spaces-1", env.Id)
	channel, _ := s.DB.FindChannelByID(ctx, "Spaces-1", rel.ChannelID)
	machines, _, _ := s.DB.FindMachines(ctx, app.MachineFilter{Filter: app.Filter{SpaceID: "Spaces-1"}})
	d := &deploy.Deployment{Release: rel, Project: *project, Environment: *environment, Channel: *channel,
		TaskID: "ServerTasks-1", WorkerOS: "linux",
		Packages: func(feed, id, version string) (deploy.PackageFile, error) {
			return deploy.PackageFile{SHA256: strings.Repeat("0", 64), Size: 1, FileName: id + "." + version + ".zip"}, nil
		}}
	targets := deploy.Targets(d, machines)
	if len(targets) != 2 {
		t.Fatalf("targets: %d", len(targets))
	}
	find := func(p *runner.Plan, name string) runner.Variable {
		for _, v := range p.Variables {
			if v.Name == name {
				return v
			}
		}
		return runner.Variable{}
	}
	worker, err := deploy.Plan(d, nil)
	if err != nil || len(worker.Steps) != 1 || worker.Steps[0].Name != "Prepare" {
		t.Fatalf("worker plan: %+v, %v", worker, err)
	}
	if v := find(worker, "Greeting"); v.Value != "hello" {
		t.Errorf("Greeting = %q, want the snapshot's value", v.Value)
	}
	if v := find(worker, "ApiKey"); v.Value != "k3y-value" || !v.Sensitive {
		t.Errorf("ApiKey = %+v", v)
	}
	for _, m := range targets {
		plan, err := deploy.Plan(d, m)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]string{"web-1": "80", "web-2": "8081"}[m.Name]
		if got := find(plan, "Port").Value; got != want {
			t.Errorf("%s: Port = %q, want %q", m.Name, got, want)
		}
		if plan.Steps[0].Package == nil || plan.Steps[0].Package.Version != "1.0.0" {
			t.Errorf("%s: package %+v", m.Name, plan.Steps[0].Package)
		}
	}
}
