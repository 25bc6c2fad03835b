package server_test

import (
	"errors"
	"net/url"
	"testing"

	octoclient "github.com/OctopusDeploy/go-octopusdeploy/v2/pkg/client"
	"github.com/OctopusDeploy/go-octopusdeploy/v2/pkg/core"
	"github.com/OctopusDeploy/go-octopusdeploy/v2/pkg/deployments"
	"github.com/OctopusDeploy/go-octopusdeploy/v2/pkg/environments"
	"github.com/OctopusDeploy/go-octopusdeploy/v2/pkg/lifecycles"
	"github.com/OctopusDeploy/go-octopusdeploy/v2/pkg/packages"
	"github.com/OctopusDeploy/go-octopusdeploy/v2/pkg/projectgroups"
	"github.com/OctopusDeploy/go-octopusdeploy/v2/pkg/projects"
	"github.com/OctopusDeploy/go-octopusdeploy/v2/pkg/releases"
	"github.com/OctopusDeploy/go-octopusdeploy/v2/pkg/spaces"
)

// TestOctopusGoClient drives the server with the real go-octopusdeploy
// client, the library the Terraform provider is built on, the way the
// provider uses it: create, read back, update, list, delete.
func TestOctopusGoClient(t *testing.T) {
	s := startServer(t, t.TempDir())
	_, key := newClient(t, s).login(adminUser, adminPassword).newAPIKey("go-octopusdeploy")
	u, err := url.Parse(s.URL)
	if err != nil {
		t.Fatal(err)
	}
	oc, err := octoclient.NewClient(nil, u, key, "Spaces-1")
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}

	// The provider reads the space first.
	space, err := spaces.GetByID(oc, "Spaces-1")
	if err != nil {
		t.Fatalf("get space: %v", err)
	}
	if space.Name != "Default" || !space.IsDefault {
		t.Fatalf("space = %+v", space)
	}

	// A client without a space finds the default one itself.
	if _, err := octoclient.NewClient(nil, u, key, ""); err != nil {
		t.Fatalf("NewClient without a space: %v", err)
	}
	// A wrong key is refused when the client starts.
	if _, err := octoclient.NewClient(nil, u, "API-"+"WRONGWRONGWRONGWRONGWRONGWRONG", "Spaces-1"); err == nil {
		t.Fatal("NewClient with a wrong key succeeded")
	}

	t.Run("environments", func(t *testing.T) {
		env := environments.NewEnvironment("Development")
		env.Description = "where it starts"
		env.UseGuidedFailure = true
		env.SpaceID = "Spaces-1"
		created, err := environments.Add(oc, env)
		if err != nil {
			t.Fatalf("add: %v", err)
		}
		if created.GetID() == "" || created.Name != "Development" || !created.UseGuidedFailure {
			t.Fatalf("created = %+v", created)
		}
		got, err := environments.GetByID(oc, "Spaces-1", created.GetID())
		if err != nil || got.Description != "where it starts" {
			t.Fatalf("get = %+v, %v", got, err)
		}
		got.Name = "Dev"
		got.AllowDynamicInfrastructure = true
		updated, err := environments.Update(oc, got)
		if err != nil || updated.Name != "Dev" || !updated.AllowDynamicInfrastructure {
			t.Fatalf("update = %+v, %v", updated, err)
		}
		all, err := environments.GetAll(oc, "Spaces-1")
		if err != nil || len(all) != 1 || all[0].Name != "Dev" {
			t.Fatalf("all = %v, %v", all, err)
		}
		found, err := environments.Get(oc, "Spaces-1", environments.EnvironmentsQuery{PartialName: "de", Take: 10})
		if err != nil || len(found.Items) != 1 {
			t.Fatalf("query = %+v, %v", found, err)
		}
		byName, err := oc.Environments.GetByName("Dev")
		if err != nil || len(byName) != 1 {
			t.Fatalf("by name = %v, %v", byName, err)
		}
		if err := environments.DeleteByID(oc, "Spaces-1", created.GetID()); err != nil {
			t.Fatalf("delete: %v", err)
		}
		_, err = environments.GetByID(oc, "Spaces-1", created.GetID())
		wantAPIStatus(t, err, 404)
	})

	// Older provider resources go through the client's service fields.
	t.Run("service style", func(t *testing.T) {
		env, err := oc.Environments.Add(environments.NewEnvironment("Legacy"))
		if err != nil {
			t.Fatalf("add: %v", err)
		}
		env.Description = "changed"
		if _, err := oc.Environments.Update(env); err != nil {
			t.Fatalf("update: %v", err)
		}
		got, err := oc.Environments.GetByID(env.GetID())
		if err != nil || got.Description != "changed" {
			t.Fatalf("get = %+v, %v", got, err)
		}
		if _, err := oc.Lifecycles.GetByID("Lifecycles-1"); err != nil {
			t.Fatalf("lifecycle: %v", err)
		}
		if _, err := oc.ProjectGroups.GetByID("ProjectGroups-1"); err != nil {
			t.Fatalf("project group: %v", err)
		}
		if err := oc.Environments.DeleteByID(env.GetID()); err != nil {
			t.Fatalf("delete: %v", err)
		}
		if _, err := oc.Environments.GetByID(env.GetID()); err == nil {
			t.Fatal("environment still there after delete")
		}
	})

	t.Run("project groups", func(t *testing.T) {
		g := projectgroups.NewProjectGroup("Web Team")
		g.Description = "web things"
		g.SpaceID = "Spaces-1"
		created, err := projectgroups.Add(oc, g)
		if err != nil {
			t.Fatalf("add: %v", err)
		}
		got, err := projectgroups.GetByID(oc, "Spaces-1", created.GetID())
		if err != nil || got.Name != "Web Team" || got.Description != "web things" {
			t.Fatalf("get = %+v, %v", got, err)
		}
		got.Name = "Web Guild"
		updated, err := projectgroups.Update(oc, *got)
		if err != nil || updated.Name != "Web Guild" {
			t.Fatalf("update = %+v, %v", updated, err)
		}
		all, err := projectgroups.GetAll(oc, "Spaces-1")
		if err != nil || len(all) != 2 {
			t.Fatalf("all = %v, %v", all, err)
		}
		if err := projectgroups.DeleteByID(oc, "Spaces-1", created.GetID()); err != nil {
			t.Fatalf("delete: %v", err)
		}
		_, err = projectgroups.GetByID(oc, "Spaces-1", created.GetID())
		wantAPIStatus(t, err, 404)
	})

	t.Run("lifecycles", func(t *testing.T) {
		env, err := environments.Add(oc, environments.NewEnvironment("Staging"))
		if err != nil {
			t.Fatalf("add environment: %v", err)
		}
		l := lifecycles.NewLifecycle("Two Phase")
		l.SpaceID = "Spaces-1"
		p1 := lifecycles.NewPhase("First")
		p1.AutomaticDeploymentTargets = []string{env.GetID()}
		p2 := lifecycles.NewPhase("Second")
		p2.IsOptionalPhase = true
		p2.ReleaseRetentionPolicy = core.CountBasedRetentionPeriod(3, "Items")
		l.Phases = []*lifecycles.Phase{p1, p2}
		l.ReleaseRetentionPolicy = core.CountBasedRetentionPeriod(10, "Days")
		created, err := lifecycles.Add(oc, l)
		if err != nil {
			t.Fatalf("add: %v", err)
		}
		if len(created.Phases) != 2 || created.Phases[0].AutomaticDeploymentTargets[0] != env.GetID() || !created.Phases[1].IsOptionalPhase ||
			created.ReleaseRetentionPolicy == nil || created.ReleaseRetentionPolicy.QuantityToKeep != 10 {
			t.Fatalf("created = %+v", created)
		}
		got, err := lifecycles.GetByID(oc, "Spaces-1", created.GetID())
		if err != nil || got.Name != "Two Phase" {
			t.Fatalf("get = %+v, %v", got, err)
		}
		got.Phases = got.Phases[:1]
		got.Description = "one now"
		updated, err := lifecycles.Update(oc, got)
		if err != nil || len(updated.Phases) != 1 || updated.Description != "one now" {
			t.Fatalf("update = %+v, %v", updated, err)
		}
		all, err := lifecycles.GetAll(oc, "Spaces-1")
		if err != nil || len(all) != 2 {
			t.Fatalf("all = %v, %v", all, err)
		}
		if err := lifecycles.DeleteByID(oc, "Spaces-1", created.GetID()); err != nil {
			t.Fatalf("delete: %v", err)
		}
		_, err = lifecycles.GetByID(oc, "Spaces-1", created.GetID())
		wantAPIStatus(t, err, 404)
		if err := environments.DeleteByID(oc, "Spaces-1", env.GetID()); err != nil {
			t.Fatalf("delete environment: %v", err)
		}
	})

	t.Run("projects", func(t *testing.T) {
		p := projects.NewProject("Acme Web", "Lifecycles-1", "ProjectGroups-1")
		p.Description = "the shop"
		p.SpaceID = "Spaces-1"
		created, err := projects.Add(oc, p)
		if err != nil {
			t.Fatalf("add: %v", err)
		}
		if created.GetID() == "" || created.Slug != "acme-web" || created.DeploymentProcessID == "" || created.VariableSetID == "" {
			t.Fatalf("created = %+v", created)
		}
		got, err := projects.GetByID(oc, "Spaces-1", created.GetID())
		if err != nil || got.Name != "Acme Web" || got.LifecycleID != "Lifecycles-1" || got.ProjectGroupID != "ProjectGroups-1" {
			t.Fatalf("get = %+v, %v", got, err)
		}
		bySlug, err := projects.GetByIdentifier(oc, "Spaces-1", "acme-web")
		if err != nil || bySlug.GetID() != created.GetID() {
			t.Fatalf("by slug = %+v, %v", bySlug, err)
		}
		byName, err := projects.GetByName(oc, "Spaces-1", "acme web")
		if err != nil || byName.GetID() != created.GetID() {
			t.Fatalf("by name = %+v, %v", byName, err)
		}
		got.Description = "the better shop"
		got.IsDisabled = true
		updated, err := projects.Update(oc, got)
		if err != nil || updated.Description != "the better shop" || !updated.IsDisabled {
			t.Fatalf("update = %+v, %v", updated, err)
		}
		all, err := projects.GetAll(oc, "Spaces-1")
		if err != nil || len(all) != 1 {
			t.Fatalf("all = %v, %v", all, err)
		}
		if err := projects.DeleteByID(oc, "Spaces-1", created.GetID()); err != nil {
			t.Fatalf("delete: %v", err)
		}
		_, err = projects.GetByID(oc, "Spaces-1", created.GetID())
		wantAPIStatus(t, err, 404)
	})
}

// wantAPIStatus requires err to be the client's API error with status code.
func wantAPIStatus(t *testing.T, err error, code int) {
	t.Helper()
	var apiErr *core.APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != code {
		t.Fatalf("err = %#v, want an API error with status %d", err, code)
	}
}

// TestOctopusGoClientReleases edits a deployment process and creates
// releases through go-octopusdeploy, the calls the CLI and Terraform make.
func TestOctopusGoClientReleases(t *testing.T) {
	s := startServer(t, t.TempDir())
	_, key := newClient(t, s).login(adminUser, adminPassword).newAPIKey("go-octopusdeploy")
	u, _ := url.Parse(s.URL)
	oc, err := octoclient.NewClient(nil, u, key, "Spaces-1")
	if err != nil {
		t.Fatal(err)
	}
	p := projects.NewProject("Shop", "Lifecycles-1", "ProjectGroups-1")
	p.SpaceID = "Spaces-1"
	p, err = projects.Add(oc, p)
	if err != nil {
		t.Fatalf("add project: %v", err)
	}
	dp, err := deployments.GetDeploymentProcessByID(oc, "Spaces-1", p.DeploymentProcessID)
	if err != nil {
		t.Fatalf("get process: %v", err)
	}
	step := deployments.NewDeploymentStep("Hello")
	action := deployments.NewDeploymentAction("Hello", "Octopus.Script")
	action.Properties["Octopus.Action.Script.ScriptBody"] = core.NewPropertyValue("echo hello", false)
	action.Properties["Octopus.Action.Script.Syntax"] = core.NewPropertyValue("Bash", false)
	action.Properties["Octopus.Action.RunOnServer"] = core.NewPropertyValue("true", false)
	step.Actions = append(step.Actions, action)
	pkgStep := deployments.NewDeploymentStep("Web")
	pkgStep.Properties["Octopus.Action.TargetRoles"] = core.NewPropertyValue("web", false)
	pkgAction := deployments.NewDeploymentAction("Web", "Octopus.TentaclePackage")
	pkgAction.Packages = append(pkgAction.Packages, &packages.PackageReference{PackageID: "Acme.Web", FeedID: "feeds-builtin",
		AcquisitionLocation: "Server", Properties: map[string]string{}})
	pkgStep.Actions = append(pkgStep.Actions, pkgAction)
	dp.Steps = append(dp.Steps, step, pkgStep)
	updated, err := deployments.UpdateDeploymentProcess(oc, dp)
	if err != nil {
		t.Fatalf("update process: %v", err)
	}
	if updated.Version != 1 || len(updated.Steps) != 2 || updated.Steps[0].Actions[0].Properties["Octopus.Action.Script.ScriptBody"].Value != "echo hello" {
		t.Fatalf("updated = %+v", updated)
	}
	// The client echoes what it read: a second update with the old Version is stale.
	if _, err := deployments.UpdateDeploymentProcess(oc, dp); err == nil {
		t.Error("a stale update succeeded")
	}

	tmpl, err := deployments.GetDeploymentProcessTemplate(oc, updated, "", "")
	if err != nil {
		t.Fatalf("template: %v", err)
	}
	if tmpl.NextVersionIncrement != "0.0.1" || len(tmpl.Packages) != 1 || tmpl.Packages[0].ActionName != "Web" || tmpl.Packages[0].PackageID != "Acme.Web" {
		t.Errorf("template = %+v", tmpl)
	}

	cmd := releases.NewCreateReleaseCommandV1("Spaces-1", "Shop")
	cmd.Packages = []string{"Web:1.0.0"}
	res, err := releases.CreateReleaseV1(oc, cmd)
	if err != nil {
		t.Fatalf("create release: %v", err)
	}
	if res.ReleaseVersion != "0.0.1" {
		t.Errorf("release = %+v", res)
	}
	rel, err := oc.Releases.GetByID(res.ReleaseID)
	if err != nil || rel.Version != "0.0.1" || rel.ProjectID != p.GetID() || len(rel.SelectedPackages) != 1 || rel.SelectedPackages[0].Version != "1.0.0" {
		t.Fatalf("get release = %+v, %v", rel, err)
	}
	inProject, err := releases.GetReleaseInProject(oc, "Spaces-1", p.GetID(), "0.0.1")
	if err != nil || inProject.GetID() != res.ReleaseID {
		t.Fatalf("release in project = %+v, %v", inProject, err)
	}
	cmd.IgnoreIfAlreadyExists = true
	cmd.ReleaseVersion = "0.0.1"
	again, err := releases.CreateReleaseV1(oc, cmd)
	if err != nil || again.ReleaseID != res.ReleaseID {
		t.Fatalf("ignoreIfAlreadyExists = %+v, %v", again, err)
	}
}
