package server_test

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// newBrowserTab starts headless chromium (as TestPortalInBrowser does) and
// returns one tab with a deadline.
func newBrowserTab(t *testing.T, within time.Duration) context.Context {
	t.Helper()
	path := chromiumPath()
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("chromium is required for the browser tests but was not found at %s (%v): install it with `apt-get install -y chromium`, or set ARGONAUT_CHROMIUM", path, err)
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(path), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1280, 900),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-quic", true), chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true), chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("no-default-browser-check", true), chromedp.Flag("metrics-recording-only", true),
	)
	t.Cleanup(cancelAlloc)
	ctx, cancel := chromedp.NewContext(allocCtx)
	t.Cleanup(cancel)
	ctx, cancelTimeout := context.WithTimeout(ctx, within)
	t.Cleanup(cancelTimeout)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// TestDeployInBrowser: a project set up over the API (a run-on-server
// script that prints lines, then a manual intervention) is released and
// deployed from the portal; the task page shows the script's lines as they
// are printed and the intervention form as the task starts waiting, both
// without a page load; approving it in the portal ends the task Success.
func TestDeployInBrowser(t *testing.T) {
	s := startServer(t, t.TempDir())
	api := adminClient(t, s)
	gate := filepath.Join(t.TempDir(), "go-on")
	createEnvironment(t, api, "Production")
	script := `echo "portal line 1"
echo "portal <b>line</b> 2"
# the test opens the gate once it has seen the lines above in the page
while [ ! -e '` + gate + `' ]; do sleep 0.05; done
echo "portal line after the gate"`
	p := projectWith(t, api, "Portal Demo", []any{runOnServer("Say things", script), manualStep("Approve", "Check the lines, then proceed.")}, nil)

	ctx := newBrowserTab(t, 90*time.Second)
	do(t, ctx, "sign in and open the project",
		chromedp.Navigate(s.URL+"/app/projects/"+p.Slug),
		chromedp.WaitVisible(testid("login-form")),
		chromedp.SendKeys(testid("login-username"), adminUser),
		chromedp.SendKeys(testid("login-password"), adminPassword),
		chromedp.Click(testid("login-submit")),
		chromedp.WaitVisible(testid("create-release")),
	)
	do(t, ctx, "create a release",
		chromedp.Click(testid("create-release")),
		chromedp.WaitVisible(testid("release-form")),
		chromedp.Click(testid("release-save")),
		chromedp.WaitVisible(testid("deploy-form")),
		chromedp.WaitVisible(testid("release-deployments")), // the empty note: not deployed yet
	)
	do(t, ctx, "deploy to Production",
		chromedp.Click(testid("deploy-submit")),
		chromedp.WaitVisible(testid("task-log")),
		waitText("task-log", "portal line 1"),
	)
	// From here on the page must not load again: a marker on window would be lost.
	do(t, ctx, "mark the page", chromedp.Evaluate[chromedp.Void](`window.__sameTaskPage = true`))
	if err := os.WriteFile(gate, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	do(t, ctx, "the live log shows the lines after the gate, then the intervention",
		waitText("task-log", "portal line after the gate"),
		waitText("task-log", "portal <b>line</b> 2"), // as text, not markup
		chromedp.WaitVisible(testid("interruption-proceed")),
		waitText("interruption-instructions", "Check the lines, then proceed."),
	)
	if same := run(t, ctx, "check the page did not reload", chromedp.Evaluate[bool](`window.__sameTaskPage === true`)); !same {
		t.Fatal("the task page was loaded again; the live log must not need it")
	}
	if n := run(t, ctx, "count bold", chromedp.Evaluate[int](`document.querySelectorAll('#log b').length`)); n != 0 {
		t.Errorf("a log line was rendered as HTML (%d <b>)", n)
	}
	if dir := os.Getenv("ARGONAUT_SCREENSHOTS"); dir != "" {
		shoot(t, ctx, filepath.Join(dir, "portal-task-waiting.png"))
	}
	do(t, ctx, "approve",
		chromedp.SendKeys(testid("interruption-notes"), "Looks good"),
		chromedp.Click(testid("interruption-proceed")),
		waitText("task-state", "Success"),
	)
	// The release page and the dashboard show the deployment.
	var task struct{ Items []struct{ Id, State string } }
	api.must("GET", "/api/tasks?name=Deploy", nil, http.StatusOK, &task)
	if len(task.Items) != 1 || task.Items[0].State != "Success" {
		t.Fatalf("tasks = %+v", task.Items)
	}
	do(t, ctx, "dashboard",
		chromedp.Navigate(s.URL+"/app"),
		chromedp.WaitVisible(`[data-testid="deployment-cell"][data-state="Success"]`),
	)
	if dir := os.Getenv("ARGONAUT_SCREENSHOTS"); dir != "" {
		shoot(t, ctx, filepath.Join(dir, "portal-dashboard.png"))
	}
	href := run(t, ctx, "cell link", chromedp.Evaluate[string](`document.querySelector('[data-testid="deployment-cell"]').getAttribute('href')`))
	if !strings.HasSuffix(href, "/app/tasks/"+task.Items[0].Id) {
		t.Errorf("dashboard cell links to %q", href)
	}
}
