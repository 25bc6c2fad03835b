package server_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

type deploymentDoc struct {
	Id, EnvironmentId, TaskId, DeployedBy, Comments string
	DeployedToMachineIds, SpecificMachineIds        []string
}

type progressionDoc struct {
	LifecycleName string
	Phases        []struct {
		Name, Progress          string
		SucceededEnvironmentIds []string
	}
	NextDeployments                []string
	NextDeploymentsMinimumRequired int
}

// deploymentTo polls the release's deployments until one to envID exists.
func deploymentTo(t *testing.T, c *client, releaseID, envID string, within time.Duration) deploymentDoc {
	t.Helper()
	deadline := time.Now().Add(within)
	pause := 10 * time.Millisecond
	for {
		var page paged[deploymentDoc]
		c.must("GET", "/api/Spaces-1/releases/"+releaseID+"/deployments", nil, http.StatusOK, &page)
		for _, d := range page.Items {
			if d.EnvironmentId == envID {
				return d
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("release %s: no deployment to %s after %s (%+v)", releaseID, envID, within, page.Items)
		}
		time.Sleep(pause) // polling interval with backoff, bounded by the deadline
		pause = min(pause*2, 200*time.Millisecond)
	}
}

// TestLifecyclePromotion: phases open in order, only successful
// deployments count, automatic environments deploy by themselves when
// their phase opens (at release creation and after a success), optional
// ones wait for a person, and the API says why a deployment is refused.
func TestLifecyclePromotion(t *testing.T) {
	s := startServer(t, t.TempDir())
	c := adminClient(t, s)
	dev, test, prod := createEnvironment(t, c, "Dev"), createEnvironment(t, c, "Test"), createEnvironment(t, c, "Production")
	var lc map[string]any
	c.must("POST", "/api/Spaces-1/lifecycles", map[string]any{"Name": "Chain", "Phases": []map[string]any{
		{"Name": "Development", "AutomaticDeploymentTargets": []string{dev.Id}},
		{"Name": "Testing", "AutomaticDeploymentTargets": []string{test.Id}},
		{"Name": "Live", "OptionalDeploymentTargets": []string{prod.Id}},
	}}, http.StatusCreated, &lc)
	p := projectWith(t, c, "Shop", []any{runOnServer("Check",
		`if [ "#{Octopus.Environment.Name}" = "#{FailIn}" ]; then echo "failing in #{FailIn}"; exit 1; fi; echo "fine in #{Octopus.Environment.Name}"`)},
		[]map[string]any{{"Name": "FailIn", "Value": "Test"}})
	var proj map[string]any
	c.must("GET", "/api/Spaces-1/projects/"+p.Id, nil, http.StatusOK, &proj)
	proj["LifecycleId"] = lc["Id"]
	c.must("PUT", "/api/Spaces-1/projects/"+p.Id, proj, http.StatusOK, nil)

	// 1.0.0 deploys itself to Dev, then (Dev succeeded) to Test, where it fails.
	rel1 := releaseV1(t, c, "Shop", "1.0.0")
	d := deploymentTo(t, c, rel1, dev.Id, 10*time.Second)
	if !strings.Contains(d.Comments, "automatically") || d.DeployedBy != "admin" {
		t.Fatalf("automatic deployment to Dev: %+v", d)
	}
	if task := waitTask(t, c, d.TaskId, time.Minute, completed); task.State != "Success" {
		t.Fatalf("Dev: %+v", task)
	}
	d = deploymentTo(t, c, rel1, test.Id, 10*time.Second)
	if d.DeployedBy != "system" {
		t.Fatalf("automatic deployment to Test after Dev: %+v", d)
	}
	if task := waitTask(t, c, d.TaskId, time.Minute, completed); task.State != "Failed" {
		t.Fatalf("Test: %+v", task)
	}

	// A failed deployment does not complete its phase: Production stays closed.
	var prog progressionDoc
	c.must("GET", "/api/Spaces-1/releases/"+rel1+"/progression", nil, http.StatusOK, &prog)
	var progress []string
	for _, ph := range prog.Phases {
		progress = append(progress, ph.Progress)
	}
	if prog.LifecycleName != "Chain" || !slices.Equal(progress, []string{"Complete", "Current", "Pending"}) ||
		!slices.Equal(prog.NextDeployments, []string{test.Id}) || prog.NextDeploymentsMinimumRequired != 1 {
		t.Fatalf("progression of 1.0.0: %+v", prog)
	}
	var tpl struct{ PromoteTo []struct{ Id, Name string } }
	c.must("GET", "/api/Spaces-1/releases/"+rel1+"/deployments/template", nil, http.StatusOK, &tpl)
	if got := names(tpl.PromoteTo, func(e struct{ Id, Name string }) string { return e.Name }); !slices.Equal(got, []string{"Dev", "Test"}) {
		t.Fatalf("deployments/template PromoteTo: %v", got)
	}
	e := c.mustFail("POST", "/api/Spaces-1/deployments", map[string]any{"ReleaseId": rel1, "EnvironmentId": prod.Id}, http.StatusBadRequest)
	if want := "Release 1.0.0 cannot be deployed to Production yet: the lifecycle 'Chain' puts Production in the phase 'Live'"; !strings.Contains(e.ErrorMessage, want) ||
		!strings.Contains(e.ErrorMessage, "'Testing' needs 1 successful of 1, has 0") {
		t.Fatalf("deploy 1.0.0 to Production: %q", e.ErrorMessage)
	}
	// The portal's release page shows the phases and offers only the open environments.
	status, html := newClient(t, s).login(adminUser, adminPassword).call("GET", "/app/releases/"+rel1, nil)
	page := string(html)
	if status != http.StatusOK || strings.Count(page, `data-testid="lifecycle-phase"`) != 3 ||
		!strings.Contains(page, `data-progress="Complete"`) || !strings.Contains(page, `data-progress="Pending"`) {
		t.Fatalf("release page (%d): lifecycle phases missing", status)
	}
	form := page[strings.Index(page, `data-testid="deploy-form"`):]
	form = form[:strings.Index(form, "</form>")]
	if !strings.Contains(form, `value="`+dev.Id+`"`) || !strings.Contains(form, `value="`+test.Id+`"`) || strings.Contains(form, `value="`+prod.Id+`"`) {
		t.Fatalf("deploy form offers the wrong environments: %s", form)
	}
	// The CI path refuses it too, and creates nothing for the other environment named.
	e = c.mustFail("POST", "/api/Spaces-1/deployments/create/untenanted/v1", map[string]any{"spaceId": "Spaces-1",
		"projectName": "Shop", "releaseVersion": "1.0.0", "environmentNames": []string{"Dev", "Production"}}, http.StatusBadRequest)
	if !strings.Contains(e.ErrorMessage, "cannot be deployed to Production") {
		t.Fatalf("create/untenanted/v1 to Production: %q", e.ErrorMessage)
	}
	var deps paged[deploymentDoc]
	c.must("GET", "/api/Spaces-1/releases/"+rel1+"/deployments", nil, http.StatusOK, &deps)
	if len(deps.Items) != 2 {
		t.Fatalf("deployments of 1.0.0 after refusals: %+v", deps.Items)
	}

	// 1.0.1, with the failure gone, goes through Dev and Test by itself and
	// stops before the optional Production, which a person then deploys.
	var vs map[string]any
	c.must("GET", p.Links["Variables"], nil, http.StatusOK, &vs)
	vs["Variables"].([]any)[0].(map[string]any)["Value"] = "nowhere"
	c.must("PUT", p.Links["Variables"], vs, http.StatusOK, nil)
	rel2 := releaseV1(t, c, "Shop", "1.0.1")
	for _, env := range []string{dev.Id, test.Id} {
		d := deploymentTo(t, c, rel2, env, 10*time.Second)
		if task := waitTask(t, c, d.TaskId, time.Minute, completed); task.State != "Success" {
			t.Fatalf("1.0.1 to %s: %+v", env, task)
		}
	}
	c.must("GET", "/api/Spaces-1/releases/"+rel2+"/progression", nil, http.StatusOK, &prog)
	if prog.Phases[1].Progress != "Complete" || prog.Phases[2].Progress != "Current" || !slices.Equal(prog.NextDeployments, []string{prod.Id}) {
		t.Fatalf("progression of 1.0.1: %+v", prog)
	}
	c.must("GET", "/api/Spaces-1/releases/"+rel2+"/deployments", nil, http.StatusOK, &deps)
	if len(deps.Items) != 2 {
		t.Fatalf("the optional Production phase deployed by itself: %+v", deps.Items)
	}
	var dep deploymentDoc
	c.must("POST", "/api/Spaces-1/deployments", map[string]any{"ReleaseId": rel2, "EnvironmentId": prod.Id}, http.StatusCreated, &dep)
	if task := waitTask(t, c, dep.TaskId, time.Minute, completed); task.State != "Success" {
		t.Fatalf("1.0.1 to Production: %+v", task)
	}
	// Redeploying to an earlier phase stays allowed.
	c.must("POST", "/api/Spaces-1/deployments", map[string]any{"ReleaseId": rel2, "EnvironmentId": dev.Id}, http.StatusCreated, nil)
}
