package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"

	"github.com/argonautdeploy/argonaut/app/server"
)

const (
	adminUser     = "admin"
	adminPassword = "correct horse battery"
)

// startServer runs a whole server on 127.0.0.1:0 with its store in dir and
// closes it when the test ends (unless the test closed it itself).
func startServer(t *testing.T, dir string) *server.Server {
	t.Helper()
	s := server.New(server.Config{DataDir: dir, Listen: "127.0.0.1:0", AdminUsername: adminUser, AdminPassword: adminPassword})
	if err := s.Open(context.Background()); err != nil {
		t.Fatalf("open server: %v", err)
	}
	closed := false
	t.Cleanup(func() {
		if !closed {
			s.Close()
		}
	})
	stoppers[s] = func() { closed = true }
	return s
}

// stoppers lets stopServer tell startServer's cleanup that the server is closed.
var stoppers = map[*server.Server]func(){}

func stopServer(t *testing.T, s *server.Server) {
	t.Helper()
	if err := s.Close(); err != nil {
		t.Fatalf("close server: %v", err)
	}
	stoppers[s]()
}

// client is a small HTTP client for the API: it keeps cookies, can sign
// requests with an API key, and echoes the CSRF cookie when asked.
type client struct {
	t      *testing.T
	base   string
	hc     *http.Client
	header http.Header
	csrf   bool // send X-Octopus-Csrf-Token from the cookie
}

func newClient(t *testing.T, s *server.Server) *client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &client{t: t, base: s.URL, hc: &http.Client{Jar: jar}, header: http.Header{}}
}

// on returns a copy of c that reports failures to t (a subtest).
func (c *client) on(t *testing.T) *client {
	cp := *c
	cp.t = t
	return &cp
}

// withKey returns a copy of c that sends key in X-Octopus-ApiKey and no cookies.
func (c *client) withKey(key string) *client {
	return c.withHeader("X-Octopus-ApiKey", key)
}

func (c *client) withHeader(name, value string) *client {
	h := http.Header{}
	h[name] = []string{value} // as given: header names must work in any case
	return &client{t: c.t, base: c.base, hc: &http.Client{}, header: h}
}

// login signs in with a password and returns a cookie client that sends
// the CSRF header on writes.
func (c *client) login(username, password string) *client {
	c.t.Helper()
	status, body := c.call("POST", "/api/users/login", map[string]string{"Username": username, "Password": password})
	if status != http.StatusOK {
		c.t.Fatalf("login %s: %d %s", username, status, body)
	}
	return &client{t: c.t, base: c.base, hc: c.hc, header: http.Header{}, csrf: true}
}

// call sends body (nil, []byte/string as is, anything else as JSON) and
// returns the status and the response body.
func (c *client) call(method, path string, body any) (int, []byte) {
	c.t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		r = bytes.NewReader(b)
	case string:
		r = strings.NewReader(b)
	case io.Reader:
		r = b
	default:
		j, err := json.Marshal(b)
		if err != nil {
			c.t.Fatal(err)
		}
		r = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, c.base+path, r)
	if err != nil {
		c.t.Fatal(err)
	}
	for k, v := range c.header {
		req.Header[k] = v
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.csrf && c.hc.Jar != nil {
		u, _ := url.Parse(c.base)
		for _, ck := range c.hc.Jar.Cookies(u) {
			if ck.Name == "Octopus-Csrf-Token" {
				req.Header.Set("X-Octopus-Csrf-Token", ck.Value)
			}
		}
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return resp.StatusCode, out
}

// must sends a request, requires want as the status and decodes the answer into out (if not nil).
func (c *client) must(method, path string, body any, want int, out any) {
	c.t.Helper()
	status, b := c.call(method, path, body)
	if status != want {
		c.t.Fatalf("%s %s: status %d, want %d: %s", method, path, status, want, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			c.t.Fatalf("%s %s: decode %s: %v", method, path, b, err)
		}
	}
}

// errorBody is Octopus's error document.
type errorBody struct {
	ErrorMessage string
	Errors       []string
}

// mustFail requires status want and a well-formed error body, which it returns.
func (c *client) mustFail(method, path string, body any, want int) errorBody {
	c.t.Helper()
	status, b := c.call(method, path, body)
	if status != want {
		c.t.Fatalf("%s %s: status %d, want %d: %s", method, path, status, want, b)
	}
	var e errorBody
	if err := json.Unmarshal(b, &e); err != nil {
		c.t.Fatalf("%s %s: error body %q is not JSON: %v", method, path, b, err)
	}
	if e.ErrorMessage == "" || len(e.Errors) == 0 {
		c.t.Fatalf("%s %s: error body %s lacks ErrorMessage or Errors", method, path, b)
	}
	return e
}

// newAPIKey creates an API key for the signed-in user of c.
func (c *client) newAPIKey(purpose string) (id, key string) {
	c.t.Helper()
	var me struct{ Id string }
	c.must("GET", "/api/users/me", nil, http.StatusOK, &me)
	var k struct{ Id, ApiKey, Purpose string }
	c.must("POST", "/api/users/"+me.Id+"/apikeys", map[string]string{"Purpose": purpose}, http.StatusCreated, &k)
	return k.Id, k.ApiKey
}

// adminClient signs in as the configured admin and returns an API-key client.
func adminClient(t *testing.T, s *server.Server) *client {
	t.Helper()
	_, key := newClient(t, s).login(adminUser, adminPassword).newAPIKey("tests")
	return newClient(t, s).withKey(key)
}

// resource is the part of every resource the tests look at.
type resource struct {
	Id      string
	Name    string
	Slug    string
	SpaceId string
	Links   map[string]string
}

type paged[T any] struct {
	ItemType       string
	TotalResults   int
	ItemsPerPage   int
	NumberOfPages  int
	LastPageNumber int
	Items          []T
	Links          map[string]string
}

// names lists Name of every item.
func names[T any](items []T, name func(T) string) []string {
	out := make([]string, 0, len(items))
	for _, it := range items {
		out = append(out, name(it))
	}
	return out
}
