package storage

import (
	"context"
	"fmt"
	"testing"

	"github.com/argonautdeploy/argonaut/app"
)

// TestLatestDeployments: each cell is the newest deployment of the project
// to the environment, with its task and release version; cells never
// deployed are absent; projects and environments not asked for are left out.
func TestLatestDeployments(t *testing.T) {
	ctx := context.Background()
	d := openTest(t, t.TempDir())
	web, api := newProject(t, d, "Web"), newProject(t, d, "Api")
	dev, prod, test := newEnv(t, d, "Dev"), newEnv(t, d, "Prod"), newEnv(t, d, "Test")
	release := func(p *app.Project, v string) *app.Release {
		r := &app.Release{SpaceID: app.DefaultSpaceID, ProjectID: p.ID, Version: v}
		mustOK(t, d.CreateRelease(ctx, r))
		return r
	}
	deploy := func(r *app.Release, e *app.Environment) *app.Deployment {
		dep := &app.Deployment{SpaceID: app.DefaultSpaceID, Name: "Deploy", ReleaseID: r.ID, EnvironmentID: e.ID}
		mustOK(t, d.CreateDeployment(ctx, dep, &app.Task{Description: "Deploy"}))
		return dep
	}
	w1, w2, a1 := release(web, "1.0.0"), release(web, "2.0.0"), release(api, "0.1.0")
	deploy(w1, dev)
	deploy(w1, prod)
	newest := deploy(w2, dev)
	deploy(a1, test)
	for range 5 { // older deployments of Api to Dev, then the newest
		deploy(a1, dev)
	}
	apiDev := deploy(a1, dev)

	got, err := d.LatestDeployments(ctx, app.DefaultSpaceID, []string{web.ID, api.ID}, []string{dev.ID, prod.ID})
	mustOK(t, err)
	cell := func(p, e string) string {
		c := got[p][e]
		if c == nil {
			return "-"
		}
		if c.Task == nil || c.Task.ID != c.Deployment.TaskID {
			t.Errorf("cell %s/%s has task %+v", p, e, c.Task)
		}
		return fmt.Sprintf("%s@%s", c.Deployment.ID, c.ReleaseVersion)
	}
	want := map[[2]string]string{
		{web.ID, dev.ID}:  newest.ID + "@2.0.0",
		{web.ID, prod.ID}: "Deployments-2@1.0.0",
		{api.ID, dev.ID}:  apiDev.ID + "@0.1.0",
		{api.ID, prod.ID}: "-",
	}
	for k, w := range want {
		if g := cell(k[0], k[1]); g != w {
			t.Errorf("cell %s × %s = %s, want %s", k[0], k[1], g, w)
		}
	}
	if _, ok := got[api.ID][test.ID]; ok {
		t.Error("an environment not asked for is in the result")
	}
	if got[api.ID][dev.ID].Task.State != app.TaskQueued {
		t.Errorf("task state = %s", got[api.ID][dev.ID].Task.State)
	}
}
