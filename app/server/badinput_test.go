package server_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
)

// snapshot renders everything a bad request might have changed, so that a
// test can check that the store is unchanged afterwards.
func snapshot(c *client) string {
	c.t.Helper()
	var b strings.Builder
	for _, path := range []string{"/api/environments/all", "/api/projectgroups/all", "/api/lifecycles/all", "/api/projects/all",
		"/api/machines/all", "/api/users/all", "/api/channels?take=1000"} {
		status, body := c.call("GET", path, nil)
		if status != http.StatusOK {
			c.t.Fatalf("snapshot %s: %d %s", path, status, body)
		}
		fmt.Fprintf(&b, "%s\n%s\n", path, body)
	}
	return b.String()
}

func TestBadInput(t *testing.T) {
	s := startServer(t, t.TempDir())
	admin := adminClient(t, s)
	anon := newClient(t, s)

	var prod environment
	admin.must("POST", "/api/environments", map[string]any{"Name": "Prod"}, http.StatusCreated, &prod)
	var other environment
	admin.must("POST", "/api/environments", map[string]any{"Name": "Other"}, http.StatusCreated, &other)
	var pr project
	admin.must("POST", "/api/projects", map[string]any{"Name": "Shop", "LifecycleId": "Lifecycles-1", "ProjectGroupId": "ProjectGroups-1"}, http.StatusCreated, &pr)
	var m machine
	admin.must("POST", "/api/machines", map[string]any{"Name": "web-01", "EnvironmentIds": []string{prod.Id}, "Endpoint": map[string]any{"CommunicationStyle": "None"}}, http.StatusCreated, &m)

	// A non-admin user may read but not change anything.
	admin.must("POST", "/api/users", map[string]any{"Username": "viewer", "Password": "viewer-password"}, http.StatusCreated, nil)
	viewer := newClient(t, s).login("viewer", "viewer-password")
	// A cookie client that never sends the CSRF header.
	noCSRF := newClient(t, s).login(adminUser, adminPassword)
	noCSRF.csrf = false

	long := strings.Repeat("x", 201)
	okProject := func(over map[string]any) map[string]any {
		p := map[string]any{"Name": "New Project", "LifecycleId": "Lifecycles-1", "ProjectGroupId": "ProjectGroups-1"}
		for k, v := range over {
			if v == nil {
				delete(p, k)
			} else {
				p[k] = v
			}
		}
		return p
	}
	tests := []struct {
		name    string
		c       *client
		method  string
		path    string
		body    any
		status  int
		message string // ErrorMessage or one of Errors contains this
	}{
		{"malformed JSON", admin, "POST", "/api/environments", `{"Name": "x"`, 400, "not valid JSON"},
		{"malformed JSON garbage", admin, "POST", "/api/projects", `<xml/>`, 400, "not valid JSON"},
		{"empty body", admin, "POST", "/api/environments", "", 400, "empty"},
		{"array instead of object", admin, "POST", "/api/environments", `["Name"]`, 400, "JSON"},
		{"SortOrder as string", admin, "POST", "/api/environments", `{"Name":"x","SortOrder":"x"}`, 400, "SortOrder"},
		{"Name as number", admin, "POST", "/api/environments", `{"Name":5}`, 400, "Name"},
		{"Roles as string", admin, "POST", "/api/machines", `{"Name":"m","Roles":"web","EnvironmentIds":["` + prod.Id + `"],"Endpoint":{"CommunicationStyle":"None"}}`, 400, "Roles"},
		{"IsDisabled as string", admin, "PUT", "/api/projects/" + pr.Id, `{"Name":"Shop","IsDisabled":"yes"}`, 400, "IsDisabled"},
		{"phase targets as object", admin, "POST", "/api/lifecycles", `{"Name":"L","Phases":[{"Name":"P","AutomaticDeploymentTargets":{}}]}`, 400, "AutomaticDeploymentTargets"},
		{"sortorder not a list", admin, "PUT", "/api/environments/sortorder", `{"Ids":[]}`, 400, "array"},

		{"environment without Name", admin, "POST", "/api/environments", map[string]any{"Description": "d"}, 400, "Name is required"},
		{"environment blank Name", admin, "POST", "/api/environments", map[string]any{"Name": "   "}, 400, "Name is required"},
		{"project without Name", admin, "POST", "/api/projects", okProject(map[string]any{"Name": nil}), 400, "Name is required"},
		{"project without LifecycleId", admin, "POST", "/api/projects", okProject(map[string]any{"LifecycleId": nil}), 400, "LifecycleId is required"},
		{"project without ProjectGroupId", admin, "POST", "/api/projects", okProject(map[string]any{"ProjectGroupId": nil}), 400, "ProjectGroupId is required"},
		{"project with unknown lifecycle", admin, "POST", "/api/projects", okProject(map[string]any{"LifecycleId": "Lifecycles-99"}), 400, "Lifecycles-99"},
		{"project with unknown group", admin, "POST", "/api/projects", okProject(map[string]any{"ProjectGroupId": "ProjectGroups-99"}), 400, "ProjectGroups-99"},
		{"project group without Name", admin, "POST", "/api/projectgroups", map[string]any{}, 400, "Name is required"},
		{"lifecycle without Name", admin, "POST", "/api/lifecycles", map[string]any{"Phases": []any{}}, 400, "Name is required"},
		{"machine without environments", admin, "POST", "/api/machines", map[string]any{"Name": "m", "Endpoint": map[string]any{"CommunicationStyle": "None"}}, 400, "environment"},
		{"machine without endpoint", admin, "POST", "/api/machines", map[string]any{"Name": "m", "EnvironmentIds": []string{prod.Id}}, 400, "CommunicationStyle"},
		{"machine unknown style", admin, "POST", "/api/machines", map[string]any{"Name": "m", "EnvironmentIds": []string{prod.Id}, "Endpoint": map[string]any{"CommunicationStyle": "Carrier Pigeon"}}, 400, "Carrier Pigeon"},
		{"listening agent without thumbprint", admin, "POST", "/api/machines", map[string]any{"Name": "m", "EnvironmentIds": []string{prod.Id}, "Endpoint": map[string]any{"CommunicationStyle": "TentaclePassive", "Uri": "https://h:10933/"}}, 400, "thumbprint"},
		{"polling agent with https uri", admin, "POST", "/api/machines", map[string]any{"Name": "m", "EnvironmentIds": []string{prod.Id}, "Endpoint": map[string]any{"CommunicationStyle": "TentacleActive", "Uri": "https://h/", "Thumbprint": strings.Repeat("A", 40)}}, 400, "poll://"},
		{"machine unknown environment", admin, "POST", "/api/machines", map[string]any{"Name": "m", "EnvironmentIds": []string{"Environments-99"}, "Endpoint": map[string]any{"CommunicationStyle": "None"}}, 400, "Environments-99"},

		{"environment name too long", admin, "POST", "/api/environments", map[string]any{"Name": long}, 400, "at most 200"},
		{"project name too long", admin, "POST", "/api/projects", okProject(map[string]any{"Name": long}), 400, "at most 200"},
		{"group name too long", admin, "POST", "/api/projectgroups", map[string]any{"Name": long}, 400, "at most 200"},
		{"lifecycle name too long", admin, "POST", "/api/lifecycles", map[string]any{"Name": long}, 400, "at most 200"},
		{"machine name too long", admin, "POST", "/api/machines", map[string]any{"Name": long, "EnvironmentIds": []string{prod.Id}, "Endpoint": map[string]any{"CommunicationStyle": "None"}}, 400, "at most 200"},
		{"rename too long", admin, "PUT", "/api/environments/" + prod.Id, map[string]any{"Name": long}, 400, "at most 200"},
		{"control character tab", admin, "POST", "/api/environments", map[string]any{"Name": "a\tb"}, 400, "control characters"},
		{"control character NUL", admin, "POST", "/api/projectgroups", map[string]any{"Name": "a\x00b"}, 400, "control characters"},
		{"control character newline", admin, "POST", "/api/projects", okProject(map[string]any{"Name": "a\nb"}), 400, "control characters"},
		{"control character escape", admin, "POST", "/api/machines", map[string]any{"Name": "a\x1bb", "EnvironmentIds": []string{prod.Id}, "Endpoint": map[string]any{"CommunicationStyle": "None"}}, 400, "control characters"},

		{"duplicate environment", admin, "POST", "/api/environments", map[string]any{"Name": "PROD"}, 409, "already exists"},
		{"duplicate environment other route", admin, "POST", "/api/Spaces-1/environments", map[string]any{"Name": "prod"}, 409, "already exists"},
		{"rename onto another environment", admin, "PUT", "/api/environments/" + other.Id, map[string]any{"Name": "pRoD"}, 409, "already exists"},
		{"duplicate project", admin, "POST", "/api/projects", okProject(map[string]any{"Name": "SHOP"}), 409, "already exists"},
		{"duplicate project group", admin, "POST", "/api/projectgroups", map[string]any{"Name": "default project group"}, 409, "already exists"},
		{"duplicate lifecycle", admin, "POST", "/api/lifecycles", map[string]any{"Name": "DEFAULT LIFECYCLE"}, 409, "already exists"},
		{"duplicate machine", admin, "POST", "/api/machines", map[string]any{"Name": "WEB-01", "EnvironmentIds": []string{prod.Id}, "Endpoint": map[string]any{"CommunicationStyle": "None"}}, 409, "already exists"},
		{"duplicate user", admin, "POST", "/api/users", map[string]any{"Username": "VIEWER", "Password": "another-password"}, 409, "already exists"},
		{"environment in use", admin, "DELETE", "/api/environments/" + prod.Id, nil, 409, "web-01"},

		{"unknown environment GET", admin, "GET", "/api/environments/Environments-99", nil, 404, "The resource 'Environments-99' was not found."},
		{"unknown environment PUT", admin, "PUT", "/api/environments/Environments-99", map[string]any{"Name": "x"}, 404, "The resource 'Environments-99' was not found."},
		{"unknown environment DELETE", admin, "DELETE", "/api/Spaces-1/environments/Environments-99", nil, 404, "The resource 'Environments-99' was not found."},
		{"malformed environment id", admin, "GET", "/api/environments/Projects-1", nil, 404, "The resource 'Projects-1' was not found."},
		{"unknown project", admin, "GET", "/api/projects/Projects-99", nil, 404, "The resource 'Projects-99' was not found."},
		{"unknown project slug", admin, "GET", "/api/projects/no-such-project", nil, 404, "The resource 'no-such-project' was not found."},
		{"unknown project DELETE", admin, "DELETE", "/api/projects/Projects-99", nil, 404, "The resource 'Projects-99' was not found."},
		{"unknown project group", admin, "PUT", "/api/projectgroups/ProjectGroups-99", map[string]any{"Name": "x"}, 404, "The resource 'ProjectGroups-99' was not found."},
		{"unknown lifecycle", admin, "DELETE", "/api/lifecycles/Lifecycles-99", nil, 404, "The resource 'Lifecycles-99' was not found."},
		{"unknown machine", admin, "GET", "/api/machines/Machines-99", nil, 404, "The resource 'Machines-99' was not found."},
		{"unknown machine PUT", admin, "PUT", "/api/machines/Machines-99", map[string]any{"Name": "m", "EnvironmentIds": []string{prod.Id}, "Endpoint": map[string]any{"CommunicationStyle": "None"}}, 404, "The resource 'Machines-99' was not found."},
		{"unknown channel", admin, "GET", "/api/channels/Channels-99", nil, 404, "The resource 'Channels-99' was not found."},
		{"unknown space", admin, "POST", "/api/Spaces-7/environments", map[string]any{"Name": "x"}, 404, "Spaces-7"},
		{"unknown api key id", admin, "DELETE", "/api/users/me/apikeys/APIKeys-99", nil, 404, "APIKeys-99"},
		{"bad skip", admin, "GET", "/api/environments?skip=-1", nil, 400, "skip"},
		{"bad take", admin, "GET", "/api/environments?take=lots", nil, 400, "take"},

		{"wrong API key", anon.withKey("API-" + strings.Repeat("Z", 30)), "GET", "/api/environments", nil, 401, "API key"},
		{"wrong API key on write", anon.withKey("API-" + strings.Repeat("Z", 30)), "POST", "/api/environments", map[string]any{"Name": "x"}, 401, "API key"},
		{"malformed API key lower case", anon.withKey("API-" + strings.Repeat("z", 30)), "GET", "/api/environments", nil, 401, "API key"},
		{"malformed API key short", anon.withKey("API-ABC"), "GET", "/api/environments", nil, 401, "API key"},
		{"malformed API key no prefix", anon.withKey("hello"), "GET", "/api/environments", nil, 401, "API key"},
		{"malformed bearer", anon.withHeader("Authorization", "Bearer not-a-key"), "GET", "/api/environments", nil, 401, "API key"},
		{"no auth GET", anon, "GET", "/api/environments", nil, 401, "logged in"},
		{"no auth POST", anon, "POST", "/api/environments", map[string]any{"Name": "x"}, 401, "logged in"},
		{"no auth me", anon, "GET", "/api/users/me", nil, 401, "logged in"},

		{"viewer creates environment", viewer, "POST", "/api/environments", map[string]any{"Name": "x"}, 403, "permission"},
		{"viewer edits environment", viewer, "PUT", "/api/environments/" + prod.Id, map[string]any{"Name": "x"}, 403, "permission"},
		{"viewer deletes environment", viewer, "DELETE", "/api/environments/" + other.Id, nil, 403, "permission"},
		{"viewer reorders", viewer, "PUT", "/api/environments/sortorder", []string{other.Id, prod.Id}, 403, "permission"},
		{"viewer creates project", viewer, "POST", "/api/projects", okProject(nil), 403, "permission"},
		{"viewer deletes project", viewer, "DELETE", "/api/projects/" + pr.Id, nil, 403, "permission"},
		{"viewer creates group", viewer, "POST", "/api/projectgroups", map[string]any{"Name": "x"}, 403, "permission"},
		{"viewer edits lifecycle", viewer, "PUT", "/api/lifecycles/Lifecycles-1", map[string]any{"Name": "x"}, 403, "permission"},
		{"viewer deletes machine", viewer, "DELETE", "/api/machines/" + m.Id, nil, 403, "permission"},
		{"viewer creates user", viewer, "POST", "/api/users", map[string]any{"Username": "evil", "Password": "evil-password"}, 403, "permission"},
		{"viewer revokes admin key", viewer, "DELETE", "/api/users/Users-1/apikeys/APIKeys-1", nil, 403, "own"},
		{"cookie POST without CSRF", noCSRF, "POST", "/api/environments", map[string]any{"Name": "x"}, 403, "X-Octopus-Csrf-Token"},
		{"cookie PUT without CSRF", noCSRF, "PUT", "/api/environments/" + prod.Id, map[string]any{"Name": "x"}, 403, "X-Octopus-Csrf-Token"},
		{"cookie DELETE without CSRF", noCSRF, "DELETE", "/api/environments/" + other.Id, nil, 403, "X-Octopus-Csrf-Token"},
		{"cookie API key without CSRF", noCSRF, "POST", "/api/users/me/apikeys", map[string]any{"Purpose": "x"}, 403, "X-Octopus-Csrf-Token"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			admin := admin.on(t)
			before := snapshot(admin)
			e := tc.c.on(t).mustFail(tc.method, tc.path, tc.body, tc.status)
			if !strings.Contains(e.ErrorMessage+"\n"+strings.Join(e.Errors, "\n"), tc.message) {
				t.Errorf("error %+v does not mention %q", e, tc.message)
			}
			if after := snapshot(admin); after != before {
				t.Errorf("the store changed:\nbefore %s\nafter %s", before, after)
			}
		})
	}

	// Reads still work for the viewer, and the CSRF-less cookie may read.
	viewer.must("GET", "/api/environments/"+prod.Id, nil, http.StatusOK, nil)
	viewer.must("GET", "/api/projects/all", nil, http.StatusOK, nil)
	noCSRF.must("GET", "/api/environments", nil, http.StatusOK, nil)
}

func TestBodyOverLimit(t *testing.T) {
	s := startServer(t, t.TempDir())
	c := adminClient(t, s)
	before := snapshot(c)
	huge := `{"Name":"big","Description":"` + strings.Repeat("a", 11<<20) + `"}`
	t.Run("with Content-Length", func(t *testing.T) {
		e := c.on(t).mustFail("POST", "/api/environments", huge, http.StatusRequestEntityTooLarge)
		if !strings.Contains(e.ErrorMessage, "too large") {
			t.Fatalf("message %q", e.ErrorMessage)
		}
	})
	t.Run("chunked", func(t *testing.T) {
		// io.MultiReader hides the length, so the client sends it chunked.
		e := c.on(t).mustFail("POST", "/api/environments", io.MultiReader(bytes.NewReader([]byte(huge))), http.StatusRequestEntityTooLarge)
		if !strings.Contains(e.ErrorMessage, "too large") {
			t.Fatalf("message %q", e.ErrorMessage)
		}
	})
	if after := snapshot(c); after != before {
		t.Fatal("the store changed")
	}
	// The server still serves normal requests afterwards.
	c.must("POST", "/api/environments", map[string]any{"Name": "small"}, http.StatusCreated, nil)
}

func TestLoginThrottling(t *testing.T) {
	s := startServer(t, t.TempDir())
	anon := newClient(t, s)
	for i := range 5 {
		e := anon.mustFail("POST", "/api/users/login", map[string]string{"Username": adminUser, "Password": fmt.Sprintf("wrong-%d", i)}, http.StatusUnauthorized)
		if e.ErrorMessage != "Invalid username or password." {
			t.Fatalf("attempt %d: %q", i, e.ErrorMessage)
		}
	}
	// Now even the right password is refused for a while.
	e := anon.mustFail("POST", "/api/users/login", map[string]string{"Username": adminUser, "Password": adminPassword}, http.StatusTooManyRequests)
	if !strings.Contains(e.ErrorMessage, "Too many") {
		t.Fatalf("throttled message %q", e.ErrorMessage)
	}
	// An unknown user fails the same way as a wrong password.
	s2 := startServer(t, t.TempDir())
	e = newClient(t, s2).mustFail("POST", "/api/users/login", map[string]string{"Username": "nobody", "Password": "whatever-it-is"}, http.StatusUnauthorized)
	if e.ErrorMessage != "Invalid username or password." {
		t.Fatalf("unknown user message %q", e.ErrorMessage)
	}
	newClient(t, s2).mustFail("POST", "/api/users/login", `{"Username":"admin"}`, http.StatusBadRequest)
}

// TestLoginThrottlingUnderConcurrency fires a burst of wrong passwords at
// once: the slow password check must not let the burst past the limit.
func TestLoginThrottlingUnderConcurrency(t *testing.T) {
	s := startServer(t, t.TempDir())
	const n = 20
	statuses := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			body := fmt.Sprintf(`{"Username":%q,"Password":"wrong-%d"}`, adminUser, i)
			resp, err := http.Post(s.URL+"/api/users/login", "application/json", strings.NewReader(body))
			if err != nil {
				return
			}
			resp.Body.Close()
			statuses[i] = resp.StatusCode
		}()
	}
	wg.Wait()
	counts := map[int]int{}
	for _, st := range statuses {
		counts[st]++
	}
	if counts[http.StatusUnauthorized] != 5 || counts[http.StatusTooManyRequests] != n-5 {
		t.Fatalf("statuses %v: want 5 checked (401) and the rest refused (429)", counts)
	}
}
