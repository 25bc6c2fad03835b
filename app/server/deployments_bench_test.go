package server_test

import (
	"context"
	"fmt"
	"os/exec"
	"testing"
	"time"

	"github.com/argonautdeploy/argonaut/app"
	"github.com/argonautdeploy/argonaut/app/server"
)

// BenchmarkDeployNoopSteps measures the engine's overhead per step: one
// deployment of 200 run-on-server `true` steps on the built-in worker,
// against 200 sequential `sh -c true` runs in the same process. Reported:
//
//	deploy_s   wall time of the deployment (created → Success)
//	sh_s       wall time of 200 × `sh -c true`
//	ratio      deploy_s / sh_s
//
// Run: go test -run '^$' -bench DeployNoopSteps -benchtime 3x ./app/server
func BenchmarkDeployNoopSteps(b *testing.B) {
	const steps = 200
	ctx := context.Background()
	s := server.New(server.Config{DataDir: b.TempDir(), Listen: "127.0.0.1:0", AdminUsername: adminUser, AdminPassword: adminPassword})
	if err := s.Open(ctx); err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	env := &app.Environment{SpaceID: app.DefaultSpaceID, Name: "Prod"}
	must(b, s.DB.CreateEnvironment(ctx, env))
	p := &app.Project{SpaceID: app.DefaultSpaceID, Name: "Noop", LifecycleID: "Lifecycles-1", ProjectGroupID: "ProjectGroups-1"}
	must(b, s.DB.CreateProject(ctx, p))
	dp, err := s.DB.FindDeploymentProcessByID(ctx, app.DefaultSpaceID, p.DeploymentProcessID)
	must(b, err)
	for i := 0; i < steps; i++ {
		name := fmt.Sprintf("Noop %03d", i)
		dp.Steps = append(dp.Steps, app.Step{Name: name, Properties: map[string]string{app.PropRunOnServer: "true"},
			Actions: []app.Action{{Name: name, ActionType: app.ActionTypeScript, Properties: map[string]string{
				app.PropScriptBody: "true", app.PropScriptSyntax: "Bash", app.PropRunOnServer: "true"}}}})
	}
	must(b, s.DB.UpdateDeploymentProcess(ctx, dp))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		rel := &app.Release{SpaceID: app.DefaultSpaceID, ProjectID: p.ID, Version: fmt.Sprintf("1.0.%d", i)}
		must(b, s.DB.CreateRelease(ctx, rel))
		start := time.Now()
		d, err := s.Deployments.CreateDeployment(ctx, &app.Deployment{SpaceID: app.DefaultSpaceID, ReleaseID: rel.ID, EnvironmentID: env.ID})
		must(b, err)
		// Follow returns when the task completes: no polling.
		must(b, s.Tasks.Follow(ctx, d.TaskID, 0, func(*app.LogEvent) error { return nil }))
		deploy := time.Since(start)
		if t, _ := s.Tasks.FindTaskByID(ctx, d.TaskID); t.State != app.TaskSuccess {
			b.Fatalf("deployment: %+v", t)
		}

		start = time.Now()
		for j := 0; j < steps; j++ {
			must(b, exec.Command("sh", "-c", "true").Run())
		}
		sh := time.Since(start)
		b.ReportMetric(deploy.Seconds(), "deploy_s")
		b.ReportMetric(sh.Seconds(), "sh_s")
		b.ReportMetric(deploy.Seconds()/sh.Seconds(), "ratio")
	}
}

func must(b *testing.B, err error) {
	b.Helper()
	if err != nil {
		b.Fatal(err)
	}
}
