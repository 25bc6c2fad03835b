package server_test

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"

	"github.com/argonautdeploy/argonaut/app"
	"github.com/argonautdeploy/argonaut/app/api"
	"github.com/argonautdeploy/argonaut/app/server"
)

// The permission walk: every route of the API and of the portal, as the
// server mounts them (Server.APIRoutes, Server.PortalRoutes), is sent by
// every role, and the answer must be the one the permission policy gives.
// A route added later is walked without anyone touching this file; a route
// with a path parameter the walk does not know fails the test until the
// parameter is added to walkParams.
//
// Order of checks, as tested here: sign-in, then CSRF (for sessions), then
// the permission, then the object. So a non-admin gets 403 for a write to an
// object that does not exist, never 404: whether an object exists is not
// told to someone who may not act on it anyway. Writes are therefore sent
// with IDs of objects that do not exist (which also keeps the admin's
// requests from deleting the fixtures); reads use real objects.

// userHolds is the permission policy for an active non-admin user until
// teams and roles exist (see app/permission.go): the view permissions, but
// not the user list or the audit log. The walk states it independently so
// that a change to the policy is a deliberate change to this test too.
var userHolds = map[app.Permission]bool{
	app.PermSpaceView: true, app.PermEnvironmentView: true, app.PermMachineView: true,
	app.PermProjectView: true, app.PermProjectGroupView: true, app.PermLifecycleView: true,
	app.PermVariableView: true, app.PermLibraryVariableSetView: true, app.PermReleaseView: true,
	app.PermTaskView: true, app.PermBuiltInFeedView: true, app.PermDeploymentView: true,
	app.PermInterruptionView: true, app.PermArtifactView: true,
}

// selfService are the writes every signed-in user may make on their own
// account (method and path as mounted). Any other write needs a permission
// that only administrators hold today.
var selfService = map[string]bool{
	"POST /users/:id/apikeys":              true,
	"DELETE /users/:id/apikeys/:keyId":     true,
	"POST /app/logout":                     true,
	"POST /app/profile/apikeys":            true,
	"POST /app/profile/apikeys/:id/revoke": true,
}

// userMayCall reports whether a signed-in non-admin may make the call.
func userMayCall(method, path string, perm app.Permission) bool {
	if method != http.MethodGet {
		return selfService[method+" "+path]
	}
	return perm == "" || userHolds[perm]
}

// walkActor is one role of the walk: how it signs its requests.
type walkActor struct {
	name   string
	hc     *http.Client // never follows redirects
	key    string       // X-Octopus-ApiKey, if any
	csrf   string       // the session's CSRF token, if signed in with a session
	userID string       // the user it acts as ("" for nobody)
	keyID  string       // an API key of that user
	apiKey string       // the secret of keyID
}

// withKey returns a as an API-key caller: no cookies, no CSRF token.
func (a walkActor) withKey(name string) walkActor {
	a.name, a.hc, a.csrf, a.key = name, noRedirects(nil), "", a.apiKey
	return a
}

func noRedirects(jar http.CookieJar) *http.Client {
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// sessionActor signs username in through the API and returns a cookie actor.
func sessionActor(t *testing.T, s *server.Server, name, username, password string) walkActor {
	t.Helper()
	c := newClient(t, s).login(username, password)
	var me struct{ Id string }
	c.must("GET", "/api/users/me", nil, http.StatusOK, &me)
	keyID, key := c.newAPIKey("walk " + name)
	a := walkActor{name: name, hc: noRedirects(c.hc.Jar), userID: me.Id, keyID: keyID, apiKey: key}
	u, _ := url.Parse(s.URL)
	for _, ck := range c.hc.Jar.Cookies(u) {
		if ck.Name == api.CSRFCookie {
			a.csrf = ck.Value
		}
	}
	if a.csrf == "" {
		t.Fatalf("%s: no CSRF cookie after sign-in", name)
	}
	return a
}

// walkFixtures are the real objects whose IDs fill the path parameters of reads.
type walkFixtures struct {
	env, machine, project, slug, process, varSet, variable, channel, step string
	release, version, deployment, task, interruption                      string
	library, libraryVar, pkgID, packageID, pkgVersion                     string
	event                                                                 string
}

func createWalkFixtures(t *testing.T, admin *client) walkFixtures {
	t.Helper()
	var f walkFixtures
	env := createEnvironment(t, admin, "Walk")
	f.env = env.Id
	deployAnywhere(t, admin)
	f.machine = createCloudTarget(t, admin, "walk-target", []string{"web"}, env.Id).Id
	p := projectWith(t, admin, "Walk", []any{manualStep("Approve", "Look, then approve.")},
		[]map[string]any{{"Name": "Greeting", "Value": "hello"}})
	f.project, f.slug = p.Id, p.Slug
	var dp processDoc
	admin.must("GET", p.Links["DeploymentProcess"], nil, http.StatusOK, &dp)
	f.process, f.step = dp.Id, dp.Steps[0]["Id"].(string)
	var vs struct {
		Id        string
		Variables []struct{ Id string }
	}
	admin.must("GET", p.Links["Variables"], nil, http.StatusOK, &vs)
	f.varSet, f.variable = vs.Id, vs.Variables[0].Id
	var chans paged[resource]
	admin.must("GET", "/api/Spaces-1/projects/"+p.Id+"/channels", nil, http.StatusOK, &chans)
	f.channel = chans.Items[0].Id

	f.version = "1.0.0"
	f.release = releaseV1(t, admin, "Walk", f.version)
	dt := deployV1(t, admin, map[string]any{"projectName": "Walk", "releaseVersion": f.version, "environmentNames": []string{"Walk"}})[0]
	f.deployment, f.task = dt.DeploymentId, dt.ServerTaskId
	f.interruption = pendingInterruption(t, admin, f.task)["Id"].(string)

	var lib struct{ Id, VariableSetId string }
	admin.must("POST", "/api/Spaces-1/libraryvariablesets", map[string]any{"Name": "Walk library"}, http.StatusCreated, &lib)
	f.library = lib.Id
	var libVars map[string]any
	admin.must("GET", "/api/Spaces-1/variables/"+lib.VariableSetId, nil, http.StatusOK, &libVars)
	libVars["Variables"] = []map[string]any{{"Name": "Shared", "Value": "x"}}
	var libAfter struct{ Variables []struct{ Id string } }
	admin.must("PUT", "/api/Spaces-1/variables/"+lib.VariableSetId, libVars, http.StatusOK, &libAfter)
	f.libraryVar = libAfter.Variables[0].Id

	var pkg struct{ Id, PackageId, Version string }
	admin.must("POST", "/api/Spaces-1/packages/raw?fileName=Walk.Pkg.1.0.0.zip",
		zipOf(t, map[string]string{"a.txt": "a"}), http.StatusCreated, &pkg)
	f.packageID, f.pkgID, f.pkgVersion = pkg.Id, pkg.PackageId, pkg.Version
	var evs paged[resource]
	admin.must("GET", "/api/events?take=1", nil, http.StatusOK, &evs)
	f.event = evs.Items[0].Id
	return f
}

// missing is the ID of an object that does not exist, used for every
// path parameter of a write.
const missing = "X-1"

// walkParams fills the parameters of a route pattern for actor a. A read
// gets real objects, a write gets missing ones (see the top of the file).
// The key of a parameter is the segment before it and its name.
func walkParams(t *testing.T, f walkFixtures, a walkActor, method, pattern string) string {
	t.Helper()
	write := method != http.MethodGet
	real := map[string]string{
		"spaces/:id": "Spaces-1", "users/:id": a.userID, "apikeys/:keyId": a.keyID,
		"environments/:id": f.env, "machines/:id": f.machine, "projectgroups/:id": "ProjectGroups-1",
		"lifecycles/:id": "Lifecycles-1", "projects/:id": f.project, "channels/:id": f.channel,
		"deploymentprocesses/:id": f.process, "variables/:id": f.varSet, "releases/:id": f.release,
		"releases/:version": f.version, "deployments/:id": f.deployment, "interruptions/:id": f.interruption,
		"artifacts/:id": "Artifacts-1", "libraryvariablesets/:id": f.library, "packages/:id": f.packageID,
		":id/:version": f.pkgVersion, "feeds/:id": "feeds-builtin", "events/:id": f.event, "tasks/:id": f.task, "rerun/:id": f.task,
		// portal
		"projects/:slug": f.slug, "variables/:vid": f.variable, "variables/:lib": f.library,
		":lib/:vid": f.libraryVar, "steps/:step": f.step, ":step/:action": "moveup",
		"interruptions/:iid": f.interruption, "packages/:pkg": f.pkgID, "versions/:vid": f.packageID,
		"apikeys/:id": a.keyID,
	}
	if strings.Contains(pattern, "/packages/:id/:version") {
		real["packages/:id"] = f.pkgID // /packages/{packageId}/{version}/delta-signature
	}
	orig := strings.Split(pattern, "/")
	segs := strings.Split(pattern, "/")
	for i, seg := range orig {
		if !strings.HasPrefix(seg, ":") {
			continue
		}
		if strings.HasPrefix(seg, ":space<") {
			segs[i] = "Spaces-1"
			continue
		}
		key := orig[i-1] + "/" + seg
		v, ok := real[key]
		if !ok {
			t.Fatalf("%s %s: the walk does not know the parameter %q; add it to walkParams", method, pattern, key)
		}
		switch {
		case v == "":
			v = missing // nobody has no account and no key
		case key == "users/:id" && write:
			v = "me" // own account: self-service
		case write:
			v = missing
		}
		segs[i] = url.PathEscape(v)
	}
	return strings.Join(segs, "/")
}

// walkSend sends one request of the walk and returns the status and Location.
// Portal writes carry the actor's CSRF token in the form (multipart when the
// route reads it from the body), so that the permission check is what answers.
func walkSend(t *testing.T, base string, a walkActor, method, target string, portal, csrfInBody bool) (int, string) {
	t.Helper()
	var body []byte
	ctype := ""
	if portal && method != http.MethodGet {
		if csrfInBody {
			var b bytes.Buffer
			mw := multipart.NewWriter(&b)
			mw.WriteField("csrf_token", a.csrf)
			mw.Close()
			body, ctype = b.Bytes(), mw.FormDataContentType()
		} else {
			body, ctype = []byte(url.Values{"csrf_token": {a.csrf}}.Encode()), "application/x-www-form-urlencoded"
		}
	}
	req, err := http.NewRequest(method, base+target, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if a.key != "" {
		req.Header.Set("X-Octopus-ApiKey", a.key)
	}
	if !portal && a.csrf != "" && method != http.MethodGet {
		req.Header.Set(api.CSRFHeader, a.csrf)
	}
	resp, err := a.hc.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, target, err)
	}
	// Only the status matters; the body may be a live stream (task events).
	resp.Body.Close()
	return resp.StatusCode, resp.Header.Get("Location")
}

func TestRouteWalk(t *testing.T) {
	s := startServer(t, t.TempDir())
	admin := adminClient(t, s)
	f := createWalkFixtures(t, admin)
	admin.must("POST", "/api/users", map[string]any{"Username": "walker", "DisplayName": "Walker",
		"Password": "walker-password"}, http.StatusCreated, nil)

	jar, _ := cookiejar.New(nil)
	nobody := walkActor{name: "nobody", hc: noRedirects(jar)}
	user := sessionActor(t, s, "user session", "walker", "walker-password")
	userKey := user.withKey("user key")
	adminSession := sessionActor(t, s, "admin session", adminUser, adminPassword)
	adminKey := adminSession.withKey("admin key")

	// Signing out ends the session it is sent with: those routes get a
	// session of their own for every role.
	fresh := func(t *testing.T, a walkActor, path string) walkActor {
		if !strings.HasSuffix(path, "/logout") || a.csrf == "" {
			return a
		}
		name := "walker"
		pw := "walker-password"
		if a.userID != user.userID {
			name, pw = adminUser, adminPassword
		}
		return sessionActor(t, s, a.name, name, pw)
	}

	apiRoutes, portalRoutes := s.APIRoutes(), s.PortalRoutes()
	if len(apiRoutes) < 100 || len(portalRoutes) < 50 {
		t.Fatalf("only %d API and %d portal routes listed", len(apiRoutes), len(portalRoutes))
	}
	calls := 0
	t.Run("api", func(t *testing.T) {
		for _, rt := range apiRoutes {
			t.Run(rt.Method+" "+rt.Path, func(t *testing.T) {
				for _, a := range []walkActor{nobody, user, userKey, adminKey, adminSession} {
					a = fresh(t, a, rt.Path)
					target := "/api" + walkParams(t, f, a, rt.Method, rt.Path)
					got, _ := walkSend(t, s.URL, a, rt.Method, target, false, false)
					calls++
					refused := got == http.StatusUnauthorized || got == http.StatusForbidden
					switch {
					case rt.Anonymous:
						if refused {
							t.Errorf("%s: %s %s = %d, want no refusal (anonymous route)", a.name, rt.Method, target, got)
						}
					case a.userID == "":
						if got != http.StatusUnauthorized {
							t.Errorf("%s: %s %s = %d, want 401", a.name, rt.Method, target, got)
						}
					case a.userID == user.userID && !userMayCall(rt.Method, rt.Path, rt.Permission):
						if got != http.StatusForbidden {
							t.Errorf("%s: %s %s = %d, want 403 (needs %q)", a.name, rt.Method, target, got, rt.Permission)
						}
					default:
						if refused {
							t.Errorf("%s: %s %s = %d, want no refusal", a.name, rt.Method, target, got)
						}
					}
				}
			})
		}
	})
	t.Run("portal", func(t *testing.T) {
		for _, rt := range portalRoutes {
			t.Run(rt.Method+" "+rt.Path, func(t *testing.T) {
				// The portal knows only sessions: an API key is nobody there.
				for _, a := range []walkActor{nobody, user, userKey, adminSession} {
					a = fresh(t, a, rt.Path)
					if a.userID == "" && rt.Anonymous && rt.Method != http.MethodGet {
						a.csrf = loginFormToken(t, s.URL, a.hc)
					}
					target := walkParams(t, f, a, rt.Method, rt.Path)
					got, loc := walkSend(t, s.URL, a, rt.Method, target, true, rt.CSRFInBody)
					calls++
					// The portal asks for a sign-in with a redirect that
					// remembers the page (signing out redirects without it).
					toSignIn := got == http.StatusSeeOther && strings.HasPrefix(loc, "/app/login?next=")
					refused := got == http.StatusUnauthorized || got == http.StatusForbidden || toSignIn
					signedIn := a.userID != "" && a.key == ""
					switch {
					case rt.Anonymous:
						if got == http.StatusUnauthorized || toSignIn {
							t.Errorf("%s: %s %s = %d %q, want no sign-in demanded (anonymous route)", a.name, rt.Method, target, got, loc)
						}
					case !signedIn:
						if !toSignIn {
							t.Errorf("%s: %s %s = %d %q, want 303 to /app/login?next=…", a.name, rt.Method, target, got, loc)
						}
					case a.userID == user.userID && !userMayCall(rt.Method, rt.Path, rt.Permission):
						if got != http.StatusForbidden {
							t.Errorf("%s: %s %s = %d, want 403 (needs %q)", a.name, rt.Method, target, got, rt.Permission)
						}
					default:
						if refused {
							t.Errorf("%s: %s %s = %d %q, want no refusal", a.name, rt.Method, target, got, loc)
						}
					}
				}
			})
		}
	})
	t.Logf("walked %d API and %d portal routes: %d requests", len(apiRoutes), len(portalRoutes), calls)
}

// loginFormToken returns the CSRF token of the sign-in form for a browser
// that is not signed in (c must keep cookies).
func loginFormToken(t *testing.T, base string, c *http.Client) string {
	t.Helper()
	return formToken(t, c, base+"/app/login")
}

// TestRouteWalkOtherUsers: the routes open to every signed-in user act on
// the caller's own account only; naming another user is refused.
func TestRouteWalkOtherUsers(t *testing.T) {
	s := startServer(t, t.TempDir())
	admin := adminClient(t, s)
	var adminMe struct{ Id string }
	admin.must("GET", "/api/users/me", nil, http.StatusOK, &adminMe)
	adminKeyID, _ := newClient(t, s).login(adminUser, adminPassword).newAPIKey("other")
	admin.must("POST", "/api/users", map[string]any{"Username": "other", "DisplayName": "Other",
		"Password": "other-password"}, http.StatusCreated, nil)
	_, key := newClient(t, s).login("other", "other-password").newAPIKey("other")
	u := newClient(t, s).withKey(key)
	for _, tc := range []struct{ method, path string }{
		{"GET", "/api/users/" + adminMe.Id},
		{"GET", "/api/users/" + adminMe.Id + "/apikeys"},
		{"POST", "/api/users/" + adminMe.Id + "/apikeys"},
		{"GET", "/api/users/" + adminMe.Id + "/apikeys/" + adminKeyID},
		{"DELETE", "/api/users/" + adminMe.Id + "/apikeys/" + adminKeyID},
		{"DELETE", "/api/users/" + adminMe.Id + "/apikeys/X-1"},
	} {
		var body any
		if tc.method == "POST" {
			body = map[string]string{"Purpose": "steal"}
		}
		u.mustFail(tc.method, tc.path, body, http.StatusForbidden)
	}
	// The admin's key still works: the refused DELETE deleted nothing.
	admin.must("GET", "/api/users/"+adminMe.Id+"/apikeys/"+adminKeyID, nil, http.StatusOK, nil)
}
