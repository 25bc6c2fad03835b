package server_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/argonautdeploy/argonaut/app/server"
	"github.com/chromedp/chromedp"
)

// chromiumPath is Debian's chromium; ARGONAUT_CHROMIUM overrides it.
func chromiumPath() string {
	if p := os.Getenv("ARGONAUT_CHROMIUM"); p != "" {
		return p
	}
	return "/usr/bin/chromium"
}

const xssName = `<img src=x onerror=alert(1)>`

// TestPortalInBrowser drives the real portal of an in-process server with
// headless chromium. One browser serves every subtest; each subtest gets
// its own browser context (its own cookies).
func TestPortalInBrowser(t *testing.T) {
	path := chromiumPath()
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("chromium is required for the browser tests but was not found at %s (%v): install it with `apt-get install -y chromium`, or set ARGONAUT_CHROMIUM", path, err)
	}
	userData := t.TempDir()
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.UserDataDir(userData),
		chromedp.WindowSize(1280, 900),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("no-default-browser-check", true),
		chromedp.Flag("metrics-recording-only", true),
	)
	t.Cleanup(cancelAlloc) // runs before the TempDir removal: cleanups are LIFO
	browserCtx, cancelBrowser := chromedp.NewContext(allocCtx)
	t.Cleanup(cancelBrowser)
	if err := chromedp.Do(browserCtx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	newTab := func(t *testing.T) context.Context {
		ctx, cancel := chromedp.NewContext(browserCtx, chromedp.WithNewBrowserContext())
		t.Cleanup(cancel)
		ctx, cancelTimeout := context.WithTimeout(ctx, 60*time.Second)
		t.Cleanup(cancelTimeout)
		return ctx
	}

	t.Run("admin", func(t *testing.T) { testAdminFlow(t, newTab(t)) })
	t.Run("setup", func(t *testing.T) { testSetupFlow(t, newTab(t)) })
	t.Run("sensitive variable", func(t *testing.T) { testSensitiveVariableFlow(t, newTab(t)) })
	t.Run("packages", func(t *testing.T) { testPackagesFlow(t, newTab(t)) })
	t.Run("octopus links", func(t *testing.T) { testOctopusLinks(t, newTab(t)) })
}

func startPortalServer(t *testing.T, admin bool) *server.Server {
	t.Helper()
	cfg := server.Config{DataDir: t.TempDir(), Listen: "127.0.0.1:0"}
	if admin {
		cfg.AdminUsername, cfg.AdminPassword = "admin", "correct-horse-battery"
	}
	s := server.New(cfg)
	if err := s.Open(context.Background()); err != nil {
		t.Fatalf("open server: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("close server: %v", err)
		}
	})
	return s
}

func testid(id string) chromedp.CSS { return chromedp.CSS(`[data-testid="` + id + `"]`) }

// waitText waits until an element with the data-testid contains want. It
// is a DOM query, so it survives the navigation a click starts.
func waitText(id, want string) chromedp.Action[chromedp.Void] {
	return chromedp.WaitVisible(chromedp.Search(`//*[@data-testid=` + xpathString(id) + `][contains(., ` + xpathString(want) + `)]`))
}

// xpathString quotes s as an XPath 1.0 string literal.
func xpathString(s string) string {
	if !strings.Contains(s, `"`) {
		return `"` + s + `"`
	}
	if !strings.Contains(s, "'") {
		return "'" + s + "'"
	}
	return `concat("` + strings.ReplaceAll(s, `"`, `", '"', "`) + `")`
}

func do(t *testing.T, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		var loc string
		if l, lerr := chromedp.Run(ctx, chromedp.Location()); lerr == nil {
			loc = " (at " + l + ")"
		}
		t.Fatalf("%s: %v%s", what, err, loc)
	}
}

func run[T any](t *testing.T, ctx context.Context, what string, a chromedp.Action[T]) T {
	t.Helper()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return v
}

func testAdminFlow(t *testing.T, ctx context.Context) {
	s := startPortalServer(t, true)

	// Signing in: any portal page sends us to the sign-in form, then back.
	do(t, ctx, "sign in",
		chromedp.Navigate(s.URL+"/app/infrastructure/environments"),
		chromedp.WaitVisible(testid("login-form")),
		chromedp.SendKeys(testid("login-username"), "admin"),
		chromedp.SendKeys(testid("login-password"), "correct-horse-battery"),
		chromedp.Click(testid("login-submit")),
		waitText("page-title", "Environments"),
		chromedp.WaitVisible(testid("environments-empty")),
	)

	// Environments: create two, then move the second up.
	for _, name := range []string{"Development", "Production"} {
		do(t, ctx, "create environment "+name,
			chromedp.Click(testid("environment-add")),
			chromedp.WaitVisible(testid("environment-form")),
			chromedp.SendKeys(testid("field-name"), name),
			chromedp.Click(testid("environment-save")),
			waitText("flash", "Environment '"+name+"' created."),
			waitText("environment-name", name),
		)
	}
	do(t, ctx, "move Production up",
		chromedp.Click(chromedp.CSS(`[data-testid="environment-row"]:nth-child(2) [data-testid="environment-up"]`)),
		waitText("flash", "Moved 'Production'."),
	)
	if got := run(t, ctx, "read order", chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll('[data-testid="environment-name"]')).map(e => e.textContent)`)); strings.Join(got, ",") != "Production,Development" {
		t.Errorf("order after move = %v, want [Production Development]", got)
	}

	// An XSS-looking name is shown as text; no element is injected.
	do(t, ctx, "create XSS environment",
		chromedp.Click(testid("environment-add")),
		chromedp.WaitVisible(testid("environment-form")),
		chromedp.SendKeys(testid("field-name"), xssName),
		chromedp.Click(testid("environment-save")),
		waitText("environment-name", xssName),
	)
	if n := run(t, ctx, "count images", chromedp.Evaluate[int](`document.querySelectorAll('main img, img[src="x"]').length`)); n != 0 {
		t.Errorf("%d <img> elements in the page: the environment name was rendered as HTML", n)
	}
	if got := run(t, ctx, "read flash", chromedp.Text(testid("flash"))); !strings.Contains(got, xssName) {
		t.Errorf("flash = %q, want it to contain the name as text", got)
	}

	// A deployment target over SSH, with role chips, in Production.
	do(t, ctx, "create SSH target",
		chromedp.Navigate(s.URL+"/app/infrastructure/machines"),
		chromedp.Click(testid("machine-add")),
		chromedp.Click(testid("machine-kind-Ssh")),
		chromedp.WaitVisible(testid("machine-form")),
		chromedp.SendKeys(testid("field-name"), "web-01"),
		chromedp.Click(chromedp.CSS(`input[name="environment"][value="Environments-2"]`)),
		chromedp.SendKeys(testid("field-roles"), "web-server, api"),
		chromedp.SendKeys(testid("field-host"), "web-01.internal"),
		chromedp.SendKeys(testid("field-username"), "deploy"),
		chromedp.Click(testid("machine-save")),
		waitText("flash", "Deployment target 'web-01' added."),
		chromedp.WaitVisible(chromedp.CSS(`[data-environment="Environments-2"] [data-testid="machine-roles"]`)),
	)

	// A project, created from the projects page, lands on its overview.
	do(t, ctx, "create project",
		chromedp.Click(testid("nav-projects")),
		chromedp.Click(testid("project-add")),
		chromedp.WaitVisible(testid("project-form")),
		chromedp.SendKeys(testid("field-name"), "Web Shop"),
		chromedp.SendKeys(testid("field-description"), "The storefront."),
		chromedp.Click(testid("project-save")),
		waitText("project-name", "Web Shop"),
		waitText("flash", "Project 'Web Shop' created."),
	)

	if dir := os.Getenv("ARGONAUT_SCREENSHOTS"); dir != "" {
		shoot(t, ctx, filepath.Join(dir, "portal-project.png"))
		do(t, ctx, "open environments", chromedp.Navigate(s.URL+"/app/infrastructure/environments"), chromedp.WaitVisible(testid("environments-table")))
		shoot(t, ctx, filepath.Join(dir, "portal-environments.png"))
		do(t, ctx, "open targets", chromedp.Navigate(s.URL+"/app/infrastructure/machines"), chromedp.WaitVisible(testid("machine-row")))
		shoot(t, ctx, filepath.Join(dir, "portal-machines.png"))
		do(t, ctx, "open dashboard", chromedp.Navigate(s.URL+"/app"), chromedp.WaitVisible(testid("dashboard-matrix")))
		shoot(t, ctx, filepath.Join(dir, "portal-dashboard.png"))
		do(t, ctx, "phone-sized environments", chromedp.EmulateViewport(390, 844),
			chromedp.Navigate(s.URL+"/app/infrastructure/environments"), chromedp.WaitVisible(testid("environments-table")))
		shoot(t, ctx, filepath.Join(dir, "portal-environments-phone.png"))
		do(t, ctx, "desktop size again", chromedp.EmulateViewport(1280, 900))
	}

	// An API key is shown once, and works against the API.
	do(t, ctx, "create API key",
		chromedp.Navigate(s.URL+"/app/profile/apikeys"),
		chromedp.WaitVisible(testid("apikey-form")),
		chromedp.SendKeys(testid("field-purpose"), "CI server"),
		chromedp.Click(testid("apikey-create")),
		chromedp.WaitVisible(testid("apikey-value")),
	)
	key := run(t, ctx, "read API key", chromedp.Value(testid("apikey-value")))
	if !strings.HasPrefix(key, "API-") || len(key) < 30 {
		t.Fatalf("API key on the page = %q", key)
	}
	req, _ := http.NewRequest("GET", s.URL+"/api/users/me", nil)
	req.Header.Set("X-Octopus-ApiKey", key)
	status, body := send(t, http.DefaultClient, req)
	if status != 200 || !strings.Contains(body, `"Username":"admin"`) {
		t.Fatalf("GET /api/users/me with the new key: %d %s", status, body)
	}
	do(t, ctx, "reload API keys",
		chromedp.Navigate(s.URL+"/app/profile/apikeys"),
		waitText("apikey-purpose", "CI server"),
	)
	if n := run(t, ctx, "look for the key", chromedp.Evaluate[int](`document.querySelectorAll('[data-testid="apikey-value"]').length`)); n != 0 {
		t.Error("the API key is shown again after a reload")
	}

	// Signing out ends the session.
	do(t, ctx, "sign out",
		chromedp.Click(chromedp.CSS(`[data-testid="user-menu"] summary`)),
		chromedp.Click(testid("logout")),
		waitText("flash", "You have signed out."),
		chromedp.WaitVisible(testid("login-form")),
	)

	t.Run("csrf", func(t *testing.T) { testCSRF(t, s, key) })
}

func shoot(t *testing.T, ctx context.Context, path string) {
	t.Helper()
	png := run(t, ctx, "screenshot", chromedp.FullScreenshot(100))
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
}

func send(t *testing.T, c *http.Client, req *http.Request) (int, string) {
	t.Helper()
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// testCSRF posts portal forms with a valid session cookie but without (or
// with a wrong) CSRF token: each is refused with 403 and changes nothing.
func testCSRF(t *testing.T, s *server.Server, apiKey string) {
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	login, _ := http.NewRequest("POST", s.URL+"/api/users/login", strings.NewReader(`{"Username":"admin","Password":"correct-horse-battery"}`))
	login.Header.Set("Content-Type", "application/json")
	if status, body := send(t, c, login); status != 200 {
		t.Fatalf("API login: %d %s", status, body)
	}
	for _, tc := range []struct{ name, form string }{
		{"missing", url.Values{"name": {"Sneaky"}}.Encode()},
		{"wrong", url.Values{"name": {"Sneaky"}, "csrf_token": {"not-the-token"}}.Encode()},
	} {
		req, _ := http.NewRequest("POST", s.URL+"/app/infrastructure/environments", strings.NewReader(tc.form))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		status, body := send(t, c, req)
		if status != http.StatusForbidden {
			t.Errorf("%s token: status %d, want 403", tc.name, status)
		}
		if !strings.Contains(body, "security token") || !strings.Contains(body, `data-testid="error-page"`) {
			t.Errorf("%s token: the 403 page does not explain the problem:\n%s", tc.name, body)
		}
	}
	req, _ := http.NewRequest("GET", s.URL+"/api/environments/all", nil)
	req.Header.Set("X-Octopus-ApiKey", apiKey)
	if status, body := send(t, http.DefaultClient, req); status != 200 || strings.Contains(body, "Sneaky") {
		t.Errorf("environments after the refused posts: %d %s", status, body)
	}
}

func testSetupFlow(t *testing.T, ctx context.Context) {
	s := startPortalServer(t, false)
	token := s.SetupToken
	if token == "" {
		t.Fatal("a server with no users and no admin credentials has no setup token")
	}
	setupURL := s.URL + "/setup?token=" + url.QueryEscape(token)

	do(t, ctx, "a wrong token is refused",
		chromedp.Navigate(s.URL+"/setup?token=wrong"),
		chromedp.WaitVisible(testid("setup-unavailable")),
	)
	do(t, ctx, "create the first administrator",
		chromedp.Navigate(setupURL),
		chromedp.WaitVisible(testid("setup-form")),
		chromedp.SendKeys(testid("field-username"), "owner"),
		chromedp.SendKeys(testid("field-display_name"), "Olivia Owner"),
		chromedp.SendKeys(testid("field-password"), "a-long-password"),
		chromedp.SendKeys(testid("field-password_confirm"), "a-long-password"),
		chromedp.Click(testid("setup-submit")),
		waitText("flash", "Welcome to Argonaut, Olivia Owner."),
		chromedp.WaitVisible(testid("user-menu")),
		chromedp.WaitVisible(testid("dashboard-empty")),
	)
	do(t, ctx, "the administrator can reach admin pages",
		chromedp.Navigate(s.URL+"/app/infrastructure/environments/new"),
		chromedp.WaitVisible(testid("environment-form")),
	)
	do(t, ctx, "the token works only once",
		chromedp.Navigate(setupURL),
		chromedp.WaitVisible(testid("setup-unavailable")),
	)

	// Posting the form again (say, from another tab) is refused too.
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get, _ := http.NewRequest("GET", s.URL+"/app/login", nil)
	_, page := send(t, c, get)
	csrf := between(page, `name="csrf_token" value="`, `"`)
	form := url.Values{"csrf_token": {csrf}, "token": {token}, "username": {"intruder"},
		"password": {"another-password"}, "password_confirm": {"another-password"}}
	post, _ := http.NewRequest("POST", s.URL+"/setup", strings.NewReader(form.Encode()))
	post.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if status, body := send(t, c, post); status != http.StatusNotFound || !strings.Contains(body, "setup-unavailable") {
		t.Errorf("second setup post: %d, want 404 with the unavailable page", status)
	}
	login, _ := http.NewRequest("POST", s.URL+"/api/users/login", strings.NewReader(`{"Username":"intruder","Password":"another-password"}`))
	login.Header.Set("Content-Type", "application/json")
	if status, _ := send(t, c, login); status != http.StatusUnauthorized {
		t.Errorf("the second setup created a user: login status %d", status)
	}
}

func between(s, start, end string) string {
	_, after, ok := strings.Cut(s, start)
	if !ok {
		return ""
	}
	v, _, _ := strings.Cut(after, end)
	return v
}
