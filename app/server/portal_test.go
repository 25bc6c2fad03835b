package server_test

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
)

// portalClient is a browser-like HTTP client that keeps cookies and does not
// follow redirects, so tests can check where they point.
func portalClient() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// formToken fetches a portal page and returns the CSRF token of its forms.
func formToken(t *testing.T, c *http.Client, pageURL string) string {
	t.Helper()
	req, _ := http.NewRequest("GET", pageURL, nil)
	status, body := send(t, c, req)
	token := between(body, `name="csrf_token" value="`, `"`)
	if status != 200 || token == "" {
		t.Fatalf("GET %s: %d, no CSRF token in the page", pageURL, status)
	}
	return token
}

func postForm(t *testing.T, c *http.Client, target string, form url.Values) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", target, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func TestPortalOverHTTP(t *testing.T) {
	s := startPortalServer(t, true)
	c := portalClient()

	t.Run("redirects", func(t *testing.T) {
		resp, err := c.Get(s.URL + "/app/projects?x=1")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if got := resp.Header.Get("Location"); got != "/app/login?next=%2Fapp%2Fprojects%3Fx%3D1" {
			t.Errorf("Location = %q, want a relative sign-in URL with next", got)
		}
		for _, h := range []string{"Content-Security-Policy", "X-Frame-Options", "X-Content-Type-Options"} {
			if resp.Header.Get(h) == "" {
				t.Errorf("missing %s header", h)
			}
		}
		// A Host header pointing elsewhere changes nothing: redirects are relative.
		req, _ := http.NewRequest("GET", s.URL+"/", nil)
		req.Host = "evil.example"
		resp, err = c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if got := resp.Header.Get("Location"); got != "/app" {
			t.Errorf("/ redirects to %q, want /app", got)
		}
	})

	// Sign in as the administrator.
	token := formToken(t, c, s.URL+"/app/login")
	resp, _ := postForm(t, c, s.URL+"/app/login", url.Values{"csrf_token": {token}, "username": {"admin"},
		"password": {"correct-horse-battery"}, "next": {"https://evil.example/"}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/app" {
		t.Fatalf("sign-in: %d to %q, want 303 to /app (an absolute next is ignored)", resp.StatusCode, resp.Header.Get("Location"))
	}

	t.Run("errors are HTML pages", func(t *testing.T) {
		req, _ := http.NewRequest("GET", s.URL+"/app/infrastructure/environments/Environments-999/edit", nil)
		status, body := send(t, c, req)
		if status != 404 || !strings.Contains(body, `data-testid="error-page"`) {
			t.Errorf("unknown environment: %d", status)
		}
		req, _ = http.NewRequest("GET", s.URL+"/app/no/such/page", nil)
		if status, body := send(t, c, req); status != 404 || !strings.Contains(body, `data-testid="error-page"`) {
			t.Errorf("unknown page: %d", status)
		}
	})

	t.Run("validation re-renders the form", func(t *testing.T) {
		tok := formToken(t, c, s.URL+"/app/infrastructure/environments/new")
		resp, _ := postForm(t, c, s.URL+"/app/infrastructure/environments", url.Values{"csrf_token": {tok}, "name": {"Staging"}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("create: %d", resp.StatusCode)
		}
		resp, body := postForm(t, c, s.URL+"/app/infrastructure/environments", url.Values{"csrf_token": {tok}, "name": {"staging"}})
		if resp.StatusCode != http.StatusConflict || !strings.Contains(body, `data-testid="form-error"`) || !strings.Contains(body, `value="staging"`) {
			t.Errorf("duplicate name: %d, want 409 with the form and its error", resp.StatusCode)
		}
		resp, _ = postForm(t, c, s.URL+"/app/infrastructure/environments", url.Values{"csrf_token": {tok}, "name": {""}})
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("empty name: %d, want 400", resp.StatusCode)
		}
	})

	t.Run("assets", func(t *testing.T) {
		req, _ := http.NewRequest("GET", s.URL+"/app", nil)
		_, body := send(t, c, req)
		css := between(body, `<link rel="stylesheet" href="`, `"`)
		if !strings.HasPrefix(css, "/assets/app.") {
			t.Fatalf("stylesheet link %q", css)
		}
		resp, err := http.Get(s.URL + css)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Cache-Control"), "immutable") || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/css") {
			t.Errorf("%s: %d %q %q", css, resp.StatusCode, resp.Header.Get("Cache-Control"), resp.Header.Get("Content-Type"))
		}
	})

	t.Run("permissions", func(t *testing.T) {
		// A non-administrator, created through the API, may look but not change.
		req, _ := http.NewRequest("POST", s.URL+"/api/users", strings.NewReader(`{"Username":"viewer","Password":"viewer-password"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Octopus-Csrf-Token", cookieValue(c, s.URL, "Octopus-Csrf-Token"))
		if status, body := send(t, c, req); status != http.StatusCreated {
			t.Fatalf("create viewer: %d %s", status, body)
		}
		v := portalClient()
		tok := formToken(t, v, s.URL+"/app/login")
		if resp, _ := postForm(t, v, s.URL+"/app/login", url.Values{"csrf_token": {tok}, "username": {"viewer"}, "password": {"viewer-password"}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("viewer sign-in: %d", resp.StatusCode)
		}
		tok = formToken(t, v, s.URL+"/app/infrastructure/environments")
		resp, body := postForm(t, v, s.URL+"/app/infrastructure/environments", url.Values{"csrf_token": {tok}, "name": {"Viewer made this"}})
		if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "EnvironmentCreate") {
			t.Errorf("viewer creating an environment: %d, want 403 naming the permission", resp.StatusCode)
		}
		req, _ = http.NewRequest("GET", s.URL+"/app/infrastructure/environments", nil)
		if status, body := send(t, v, req); status != 200 || strings.Contains(body, `data-testid="environment-add"`) {
			t.Errorf("viewer's environment list: %d (the add button must be hidden)", status)
		}
	})
	// Last, because the throttle counts failures per client address too.
	t.Run("throttling", func(t *testing.T) {
		anon := portalClient()
		token := formToken(t, anon, s.URL+"/app/login")
		var body string
		var resp *http.Response
		for i := 0; i < 6; i++ {
			resp, body = postForm(t, anon, s.URL+"/app/login", url.Values{"csrf_token": {token}, "username": {"throttled"}, "password": {"wrong-password"}})
		}
		if resp.StatusCode != http.StatusTooManyRequests || !strings.Contains(body, "Too many failed sign-in attempts") {
			t.Errorf("sixth failed sign-in: %d, want 429 with the throttling message", resp.StatusCode)
		}
	})
}

func cookieValue(c *http.Client, base, name string) string {
	u, _ := url.Parse(base)
	for _, ck := range c.Jar.Cookies(u) {
		if ck.Name == name {
			return ck.Value
		}
	}
	return ""
}
