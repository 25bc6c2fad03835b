package server_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/argonautdeploy/argonaut/app"
	"github.com/argonautdeploy/argonaut/app/server"
	"github.com/argonautdeploy/argonaut/storage"
	"github.com/gofiber/fiber/v2"
)

// Dashboard benchmark size: 200 projects × 10 environments, 20 000 deployments.
const (
	benchProjects     = 200
	benchEnvironments = 10
	benchDeployments  = 20000
)

// seedDashboard fills the store in dir: environments, projects with one
// release each, and deployments spread over every cell, whose tasks end in
// a mix of states (none left Queued, so the engine has nothing to run).
func seedDashboard(tb testing.TB, dir string) {
	tb.Helper()
	ctx := context.Background()
	db, err := storage.Open(ctx, storage.Options{Dir: dir})
	if err != nil {
		tb.Fatalf("open store: %v", err)
	}
	defer db.Close()
	var envs []string
	for i := range benchEnvironments {
		e := &app.Environment{SpaceID: app.DefaultSpaceID, Name: fmt.Sprintf("Env %02d", i)}
		if err := db.CreateEnvironment(ctx, e); err != nil {
			tb.Fatal(err)
		}
		envs = append(envs, e.ID)
	}
	var releases []string
	for i := range benchProjects {
		p := &app.Project{SpaceID: app.DefaultSpaceID, Name: fmt.Sprintf("Project %03d", i), LifecycleID: "Lifecycles-1", ProjectGroupID: "ProjectGroups-1"}
		if err := db.CreateProject(ctx, p); err != nil {
			tb.Fatal(err)
		}
		r := &app.Release{SpaceID: app.DefaultSpaceID, ProjectID: p.ID, Version: fmt.Sprintf("1.0.%d", i)}
		if err := db.CreateRelease(ctx, r); err != nil {
			tb.Fatal(err)
		}
		releases = append(releases, r.ID)
	}
	for i := range benchDeployments {
		d := &app.Deployment{SpaceID: app.DefaultSpaceID, Name: "Deploy", ReleaseID: releases[i%benchProjects],
			EnvironmentID: envs[(i/benchProjects)%benchEnvironments]}
		t := &app.Task{Name: app.TaskNameDeploy, Description: "Deploy"}
		if err := db.CreateDeployment(ctx, d, t); err != nil {
			tb.Fatal(err)
		}
		final := []app.TaskState{app.TaskSuccess, app.TaskFailed, app.TaskCanceled}[i%3]
		steps := []app.TaskState{app.TaskExecuting, final}
		if final == app.TaskCanceled {
			steps = steps[1:]
		}
		for _, s := range steps {
			if _, err := db.UpdateTask(ctx, t.ID, func(t *app.Task) error { t.State = s; return nil }); err != nil {
				tb.Fatal(err)
			}
		}
	}
}

// latencies fetches target n times with client and returns the sorted
// durations and the size of the last body.
func latencies(tb testing.TB, client *http.Client, target string, n int) ([]time.Duration, int) {
	tb.Helper()
	out := make([]time.Duration, 0, n)
	size := 0
	for range n {
		start := time.Now()
		resp, err := client.Get(target)
		if err != nil {
			tb.Fatal(err)
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK {
			tb.Fatalf("GET %s: %d %v", target, resp.StatusCode, err)
		}
		out = append(out, time.Since(start))
		size = len(b)
	}
	slices.Sort(out)
	return out, size
}

func pct(d []time.Duration, p float64) time.Duration { return d[int(float64(len(d)-1)*p)] }

// BenchmarkDashboard renders the dashboard for 200 projects × 10
// environments with 20 000 deployments, and serves a static file of the
// same size from the same kind of server; it reports both p50/p99 and
// their ratios.
func BenchmarkDashboard(b *testing.B) {
	base := b.TempDir()
	if fi, err := os.Stat("/dev/shm"); err == nil && fi.IsDir() {
		// Seeding is 60 000 synced transactions: keep them off the disk.
		if d, err := os.MkdirTemp("/dev/shm", "argonaut-bench-"); err == nil {
			base = d
			b.Cleanup(func() { os.RemoveAll(d) })
		}
	}
	// The server creates the store (and its keys), then it is seeded offline.
	s := server.New(server.Config{DataDir: base, Listen: "127.0.0.1:0", AdminUsername: "admin", AdminPassword: "correct-horse-battery"})
	if err := s.Open(context.Background()); err != nil {
		b.Fatal(err)
	}
	if err := s.Close(); err != nil {
		b.Fatal(err)
	}
	seedDashboard(b, base)
	s = server.New(server.Config{DataDir: base, Listen: "127.0.0.1:0"})
	if err := s.Open(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })

	c := portalClient()
	resp, err := c.Get(s.URL + "/app/login")
	if err != nil {
		b.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	token := between(string(body), `name="csrf_token" value="`, `"`)
	if resp, _ := postFormTB(b, c, s.URL+"/app/login", url.Values{"csrf_token": {token}, "username": {"admin"}, "password": {"correct-horse-battery"}}); resp.StatusCode != http.StatusSeeOther {
		b.Fatalf("sign-in: %d", resp.StatusCode)
	}
	page := s.URL + "/app"
	_, size := latencies(b, c, page, 1)

	// The static file of the same size, from a fiber server on loopback.
	static := filepath.Join(b.TempDir(), "dashboard.html")
	if err := os.WriteFile(static, make([]byte, size), 0o600); err != nil {
		b.Fatal(err)
	}
	fib := fiber.New(fiber.Config{DisableStartupMessage: true})
	fib.Get("/static", func(c *fiber.Ctx) error { return c.SendFile(static) })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	go fib.Listener(ln)
	b.Cleanup(func() { fib.Shutdown() })
	staticURL := "http://" + ln.Addr().String() + "/static"

	b.ResetTimer()
	var dash []time.Duration
	for b.Loop() {
		d, _ := latencies(b, c, page, 1)
		dash = append(dash, d...)
	}
	b.StopTimer()
	slices.Sort(dash)
	stat, _ := latencies(b, http.DefaultClient, staticURL, max(len(dash), 50))
	b.ReportMetric(float64(size), "bytes/page")
	b.ReportMetric(float64(pct(dash, .5).Microseconds()), "p50-µs")
	b.ReportMetric(float64(pct(dash, .99).Microseconds()), "p99-µs")
	b.ReportMetric(float64(pct(stat, .5).Microseconds()), "static-p50-µs")
	b.ReportMetric(float64(pct(stat, .99).Microseconds()), "static-p99-µs")
	b.ReportMetric(float64(pct(dash, .5))/float64(pct(stat, .5)), "p50-ratio")
	b.ReportMetric(float64(pct(dash, .99))/float64(pct(stat, .99)), "p99-ratio")
}

func postFormTB(tb testing.TB, c *http.Client, target string, form url.Values) (*http.Response, string) {
	tb.Helper()
	t, ok := tb.(*testing.T)
	if ok {
		return postForm(t, c, target, form)
	}
	resp, err := c.PostForm(target, form)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}
