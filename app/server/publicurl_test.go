package server_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/argonautdeploy/argonaut/app/server"
)

// CVE-2020-26161: Octopus built redirects from the client's Host header, so
// a forged Host sent a victim's browser (and a reset link) elsewhere. Here
// every link and redirect is relative or built from the configured public
// URL; these tests send every request with a forged Host and the proxy
// headers that frameworks trust, and look for the forged name anywhere.

const forgedHost = "evil.example"

// forgingTransport sends every request with the forged host in Host and in
// the X-Forwarded-* headers, whatever address it connects to.
type forgingTransport struct{}

func (forgingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	req.Host = forgedHost
	req.Header.Set("X-Forwarded-Host", forgedHost)
	req.Header.Set("X-Forwarded-Proto", "https")
	req.Header.Set("Forwarded", "host="+forgedHost+";proto=https")
	return http.DefaultTransport.RoundTrip(req)
}

// openPublicServer opens a server configured with publicURL (and an admin
// when admin is true) and returns it with the address it really listens on.
func openPublicServer(t *testing.T, publicURL string, admin bool) (*server.Server, string) {
	t.Helper()
	cfg := server.Config{DataDir: t.TempDir(), Listen: "127.0.0.1:0", PublicURL: publicURL}
	if admin {
		cfg.AdminUsername, cfg.AdminPassword = adminUser, adminPassword
	}
	s := server.New(cfg)
	if err := s.Open(context.Background()); err != nil {
		t.Fatalf("open server: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s, "http://" + s.Addr()
}

// forgedClient is an API client of s at its real address whose requests all
// carry the forged host.
func forgedClient(t *testing.T, s *server.Server, direct string) *client {
	c := newClient(t, s)
	c.base = direct
	c.hc.Transport = forgingTransport{}
	return c
}

// noForgedHost fails when any header or the body of an answer names the forged host.
func noForgedHost(t *testing.T, what string, h http.Header, body string) {
	t.Helper()
	for k, vs := range h {
		for _, v := range vs {
			if strings.Contains(v, forgedHost) {
				t.Errorf("%s: header %s: %q names the forged host", what, k, v)
			}
		}
	}
	if i := strings.Index(body, forgedHost); i >= 0 {
		t.Errorf("%s: the body names the forged host: …%s…", what, body[max(0, i-80):min(len(body), i+40)])
	}
}

func TestPublicURLNotFromHost(t *testing.T) {
	const public = "https://deploy.example.test"
	s, direct := openPublicServer(t, public, true)
	if s.URL != public {
		t.Fatalf("Server.URL = %q, want the public URL %q", s.URL, public)
	}
	admin := forgedClient(t, s, direct).login(adminUser, adminPassword)

	t.Run("api", func(t *testing.T) {
		for _, name := range []string{"One", "Two", "Three"} {
			admin.must("POST", "/api/Spaces-1/environments", map[string]any{"Name": name}, http.StatusCreated, nil)
		}
		for _, path := range []string{"/api", "/api/", "/api/Spaces-1", "/api/spaces/Spaces-1", "/api/users/me",
			"/api/Spaces-1/environments?take=1", "/api/environments?take=1&skip=1", "/api/Spaces-1/projects/no-such-project"} {
			req, _ := http.NewRequest("GET", direct+path, nil)
			resp, err := admin.hc.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			noForgedHost(t, "GET "+path, resp.Header, string(b))
		}
		var page paged[resource]
		admin.must("GET", "/api/Spaces-1/environments?take=1", nil, http.StatusOK, &page)
		next := page.Links["Page.Next"]
		if next == "" || !strings.HasPrefix(next, "/api/") {
			t.Errorf("Page.Next = %q, want a relative /api/ link", next)
		}
		var root struct{ Links map[string]string }
		admin.must("GET", "/api", nil, http.StatusOK, &root)
		for k, v := range root.Links {
			if !strings.HasPrefix(v, "/") || strings.HasPrefix(v, "//") {
				t.Errorf("root link %s = %q, want a path on this server", k, v)
			}
		}
	})

	t.Run("portal", func(t *testing.T) {
		c := portalClient()
		c.Transport = forgingTransport{}
		for _, path := range []string{"/", "/app", "/app/projects?x=1", "/app/login"} {
			resp, err := c.Get(direct + path)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			noForgedHost(t, "GET "+path, resp.Header, string(b))
			if loc := resp.Header.Get("Location"); loc != "" && !strings.HasPrefix(loc, "/") {
				t.Errorf("GET %s redirects to %q, want a path", path, loc)
			}
		}
		token := formToken(t, c, direct+"/app/login")
		resp, body := postForm(t, c, direct+"/app/login", url.Values{"csrf_token": {token}, "username": {adminUser},
			"password": {adminPassword}, "next": {"/app/projects"}})
		noForgedHost(t, "sign-in", resp.Header, body)
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/app/projects" {
			t.Errorf("sign-in: %d to %q, want 303 to /app/projects", resp.StatusCode, resp.Header.Get("Location"))
		}
		token = formToken(t, c, direct+"/app/infrastructure/environments/new")
		resp, body = postForm(t, c, direct+"/app/infrastructure/environments", url.Values{"csrf_token": {token}, "name": {"Four"}})
		noForgedHost(t, "create environment", resp.Header, body)
		if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/app/") {
			t.Errorf("create environment: %d to %q, want 303 to a portal path", resp.StatusCode, resp.Header.Get("Location"))
		}
		resp, body = postForm(t, c, direct+"/app/logout", url.Values{"csrf_token": {token}})
		noForgedHost(t, "sign-out", resp.Header, body)
	})

	t.Run("system variables", func(t *testing.T) {
		createEnvironment(t, admin, "Dev")
		deployAnywhere(t, admin)
		projectWith(t, admin, "Links", []any{runOnServer("Say",
			`echo "server=#{Octopus.Web.ServerUri} base=#{Octopus.Web.BaseUrl} project=#{Octopus.Web.ProjectLink} deployment=#{Octopus.Web.DeploymentLink}"`)}, nil)
		releaseV1(t, admin, "Links", "1.0.0")
		task := deployV1(t, admin, map[string]any{"projectName": "Links", "releaseVersion": "1.0.0", "environmentNames": []string{"Dev"}})[0]
		if done := waitTask(t, admin, task.ServerTaskId, 30*time.Second, completed); done.State != "Success" {
			t.Fatalf("deployment: %+v", done)
		}
		log := rawLog(t, admin, task.ServerTaskId)
		noForgedHost(t, "deployment log", nil, log)
		if !strings.Contains(log, "server="+public+" base="+public+" project=/app#/Spaces-1/projects/") {
			t.Errorf("the deployment saw other links than the public URL:\n%s", log)
		}
	})
}

// TestPublicURLDefault: without a public URL, absolute links use the
// listening address, still never the Host header.
func TestPublicURLDefault(t *testing.T) {
	s, direct := openPublicServer(t, "", true)
	if s.URL != direct {
		t.Fatalf("Server.URL = %q, want the listening address %q", s.URL, direct)
	}
	admin := forgedClient(t, s, direct).login(adminUser, adminPassword)
	createEnvironment(t, admin, "Dev")
	deployAnywhere(t, admin)
	projectWith(t, admin, "Links", []any{runOnServer("Say", `echo "server=#{Octopus.Web.ServerUri}"`)}, nil)
	releaseV1(t, admin, "Links", "1.0.0")
	task := deployV1(t, admin, map[string]any{"projectName": "Links", "releaseVersion": "1.0.0", "environmentNames": []string{"Dev"}})[0]
	waitTask(t, admin, task.ServerTaskId, 30*time.Second, completed)
	if log := rawLog(t, admin, task.ServerTaskId); !strings.Contains(log, "server="+direct+"\n") {
		t.Errorf("Octopus.Web.ServerUri is not %s:\n%s", direct, log)
	}
}

// TestSetupLinkNotFromHost: the one-time setup page and its redirect are
// built without the Host header.
func TestSetupLinkNotFromHost(t *testing.T) {
	s, direct := openPublicServer(t, "https://deploy.example.test", false)
	if s.SetupToken == "" {
		t.Fatal("no setup token")
	}
	c := portalClient()
	c.Transport = forgingTransport{}
	setup := direct + "/setup?token=" + url.QueryEscape(s.SetupToken)
	resp, err := c.Get(setup)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	noForgedHost(t, "setup page", resp.Header, string(b))
	token := formToken(t, c, setup)
	resp, body := postForm(t, c, direct+"/setup", url.Values{"csrf_token": {token}, "token": {s.SetupToken},
		"username": {"owner"}, "password": {"a-long-password"}, "password_confirm": {"a-long-password"}})
	noForgedHost(t, "setup post", resp.Header, body)
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/app") {
		t.Errorf("setup: %d to %q, want 303 to the portal", resp.StatusCode, resp.Header.Get("Location"))
	}
}
