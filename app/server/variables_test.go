package server_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"io/fs"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/argonautdeploy/argonaut/app"
	"github.com/argonautdeploy/argonaut/app/api"
	"github.com/argonautdeploy/argonaut/app/server"
	"github.com/dgraph-io/badger/v4"
)

// apiClient signs in over the API and sends JSON with the CSRF header.
type apiClient struct {
	t    *testing.T
	base string
	c    *http.Client
	csrf string
	// seen collects every response body, for the "the API never returns a
	// secret" check.
	seen *bytes.Buffer
}

func newAPIClient(t *testing.T, s *server.Server) *apiClient {
	jar, _ := cookiejar.New(nil)
	a := &apiClient{t: t, base: s.URL, c: &http.Client{Jar: jar}, seen: new(bytes.Buffer)}
	if status, body := a.do("POST", "/api/users/login", map[string]string{"Username": "admin", "Password": "correct-horse-battery"}); status != 200 {
		t.Fatalf("login: %d %s", status, body)
	}
	u, _ := url.Parse(s.URL)
	for _, ck := range jar.Cookies(u) {
		if ck.Name == api.CSRFCookie {
			a.csrf = ck.Value
		}
	}
	return a
}

func (a *apiClient) do(method, path string, body any) (int, []byte) {
	a.t.Helper()
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			a.t.Fatal(err)
		}
		r = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, a.base+path, r)
	req.Header.Set("Content-Type", "application/json")
	if a.csrf != "" {
		req.Header.Set(api.CSRFHeader, a.csrf)
	}
	resp, err := a.c.Do(req)
	if err != nil {
		a.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	a.seen.Write(b)
	return resp.StatusCode, b
}

// must sends and decodes, failing unless the status is want.
func (a *apiClient) must(want int, method, path string, body, out any) {
	a.t.Helper()
	status, b := a.do(method, path, body)
	if status != want {
		a.t.Fatalf("%s %s: %d %s, want %d", method, path, status, b, want)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			a.t.Fatalf("%s %s: decode %s: %v", method, path, b, err)
		}
	}
}

func str(s string) *string { return &s }

// Distinctive secrets: none of them may ever appear at rest or in a response.
var testSecrets = []string{
	"Pr0d-DB-p4ssw0rd-ZETA-7781",
	"tok_live_QUOKKA_5521_secret",
	"multi\nline-secret-KESTREL-9920",
	"lib-shared-api-key-NARWHAL-3310",
	"updated-secret-OCELOT-4471",
	"regex.*[meta]+(chars)?-IBEX-1200",
	"prompted-deploy-key-WOMBAT-6610", // a sensitive prompted value, given at deployment time
}

type world struct {
	s       *server.Server
	a       *apiClient
	envProd app.Environment
	envDev  app.Environment
	machine app.Machine
	project api.ProjectResource
}

func setupWorld(t *testing.T, dir string) *world {
	ctx := context.Background()
	s := server.New(server.Config{DataDir: dir, Listen: "127.0.0.1:0", AdminUsername: "admin", AdminPassword: "correct-horse-battery"})
	if err := s.Open(ctx); err != nil {
		t.Fatal(err)
	}
	w := &world{s: s, a: newAPIClient(t, s)}
	w.envDev = app.Environment{SpaceID: app.DefaultSpaceID, Name: "Dev"}
	w.envProd = app.Environment{SpaceID: app.DefaultSpaceID, Name: "Production"}
	for _, e := range []*app.Environment{&w.envDev, &w.envProd} {
		if err := s.DB.CreateEnvironment(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	w.machine = app.Machine{SpaceID: app.DefaultSpaceID, Name: "web-01", Roles: []string{"web", "db"},
		EnvironmentIDs: []string{w.envProd.ID}, Endpoint: app.Endpoint{CommunicationStyle: app.CommsNone}}
	if err := s.DB.CreateMachine(ctx, &w.machine); err != nil {
		t.Fatal(err)
	}
	w.a.must(201, "POST", "/api/Spaces-1/projects", map[string]string{"Name": "Shop", "LifecycleId": "Lifecycles-1", "ProjectGroupId": "ProjectGroups-1"}, &w.project)
	return w
}

func TestVariablesAPI(t *testing.T) {
	w := setupWorld(t, t.TempDir())
	defer w.s.Close()
	a := w.a
	path := "/api/Spaces-1/variables/" + w.project.VariableSetId

	var vs api.VariableSetResource
	a.must(200, "GET", path, nil, &vs)
	if vs.Version != 0 || len(vs.Variables) != 0 || vs.OwnerId != w.project.Id || len(vs.ScopeValues.Environments) != 2 || len(vs.ScopeValues.Channels) != 1 {
		t.Fatalf("new set: %+v", vs)
	}

	vs.Variables = []api.VariableResource{
		{Name: "DB.Password", Value: str(testSecrets[0]), IsSensitive: true, Scope: api.VariableScopeResource{Environment: []string{w.envProd.ID}}},
		{Name: "DB.Password", Value: str("dev-password"), Scope: api.VariableScopeResource{Environment: []string{w.envDev.ID}}},
		{Name: "Api.Token", Value: str(testSecrets[1]), Type: "Sensitive"},
		{Name: "Cert", Value: str(testSecrets[2]), IsSensitive: true, Scope: api.VariableScopeResource{Role: []string{"web"}}},
		{Name: "Greeting", Value: str("hello"), Scope: api.VariableScopeResource{Machine: []string{w.machine.ID}}},
		{Name: "Pattern", Value: str(testSecrets[5]), IsSensitive: true},
	}
	var saved api.VariableSetResource
	a.must(200, "PUT", path, vs, &saved)
	if saved.Version != 1 || len(saved.Variables) != 6 {
		t.Fatalf("saved: version %d, %d variables", saved.Version, len(saved.Variables))
	}
	for _, v := range saved.Variables {
		if v.IsSensitive != (v.Value == nil) {
			t.Errorf("%s: IsSensitive %v but Value %v", v.Name, v.IsSensitive, v.Value)
		}
		if v.Id == "" {
			t.Errorf("%s: no Id assigned", v.Name)
		}
	}

	t.Run("stale version is 409", func(t *testing.T) {
		stale := vs // Version 0
		status, body := a.do("PUT", path, stale)
		if status != 409 || !strings.Contains(string(body), "current version is 1") {
			t.Fatalf("stale PUT: %d %s", status, body)
		}
	})

	t.Run("sensitive null keeps the value; new value replaces it", func(t *testing.T) {
		next := saved
		next.Variables = append([]api.VariableResource{}, saved.Variables...)
		next.Variables[2].Value = str(testSecrets[4]) // Api.Token gets a new value
		var out api.VariableSetResource
		a.must(200, "PUT", path, next, &out)
		revealed, err := w.s.DB.RevealVariableSet(context.Background(), "", w.project.VariableSetId)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		for _, v := range revealed.Variables {
			got[v.Name+"/"+v.Scope.String()] = v.Value
		}
		if got["DB.Password/Environment: "+w.envProd.ID] != testSecrets[0] || got["Api.Token/Unscoped"] != testSecrets[4] || got["Cert/Role: web"] != testSecrets[2] {
			t.Fatalf("stored values after keep/replace: %q", got)
		}
		if out.Version != 2 {
			t.Fatalf("version = %d, want 2", out.Version)
		}
		saved = out
	})

	t.Run("validation", func(t *testing.T) {
		for _, tc := range []struct {
			name string
			v    api.VariableResource
			want string
		}{
			{"name required", api.VariableResource{Name: "", Value: str("x")}, "Name is required"},
			{"control characters", api.VariableResource{Name: "A\x1bB", Value: str("x")}, "control characters"},
			{"unknown environment", api.VariableResource{Name: "A", Value: str("x"), Scope: api.VariableScopeResource{Environment: []string{"Environments-99"}}}, "Environments-99"},
			{"unknown machine", api.VariableResource{Name: "A", Value: str("x"), Scope: api.VariableScopeResource{Machine: []string{"Machines-99"}}}, "Machines-99"},
			{"unknown channel", api.VariableResource{Name: "A", Value: str("x"), Scope: api.VariableScopeResource{Channel: []string{"Channels-99"}}}, "Channels-99"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				bad := saved
				bad.Variables = []api.VariableResource{tc.v}
				status, body := a.do("PUT", path, bad)
				if status != 400 || !strings.Contains(string(body), tc.want) {
					t.Fatalf("%d %s, want 400 mentioning %q", status, body, tc.want)
				}
			})
		}
	})

	t.Run("library variable sets", func(t *testing.T) {
		var lib api.LibraryVariableSetResource
		a.must(201, "POST", "/api/Spaces-1/libraryvariablesets", map[string]string{"Name": "Shared secrets"}, &lib)
		if lib.VariableSetId != "variableset-"+lib.Id {
			t.Fatalf("library set: %+v", lib)
		}
		var page api.Paged[api.LibraryVariableSetResource]
		a.must(200, "GET", "/api/Spaces-1/libraryvariablesets?partialName=secret", nil, &page)
		if page.TotalResults != 1 || page.Items[0].Id != lib.Id {
			t.Fatalf("list: %+v", page)
		}
		var all []api.LibraryVariableSetResource
		a.must(200, "GET", "/api/Spaces-1/libraryvariablesets/all", nil, &all)
		if len(all) != 1 {
			t.Fatalf("all: %+v", all)
		}
		var lvs api.VariableSetResource
		a.must(200, "GET", "/api/Spaces-1/variables/"+lib.VariableSetId, nil, &lvs)
		lvs.Variables = []api.VariableResource{
			{Name: "Shared.Key", Value: str(testSecrets[3]), IsSensitive: true},
			{Name: "Greeting", Value: str("library hello")},
		}
		a.must(200, "PUT", "/api/Spaces-1/variables/"+lib.VariableSetId, lvs, nil)
		lvs.Variables = []api.VariableResource{{Name: "X", Value: str("x"), Scope: api.VariableScopeResource{Channel: []string{"Channels-1"}}}}
		if status, body := a.do("PUT", "/api/Spaces-1/variables/"+lib.VariableSetId, lvs); status != 400 {
			t.Fatalf("library channel scope: %d %s", status, body)
		}

		// Include it in the project; unknown sets are refused.
		p := w.project
		p.IncludedLibraryVariableSetIds = []string{"LibraryVariableSets-77"}
		if status, body := a.do("PUT", "/api/Spaces-1/projects/"+p.Id, p); status != 400 || !strings.Contains(string(body), "LibraryVariableSets-77") {
			t.Fatalf("include unknown: %d %s", status, body)
		}
		p.IncludedLibraryVariableSetIds = []string{lib.Id}
		a.must(200, "PUT", "/api/Spaces-1/projects/"+p.Id, p, &w.project)
		if status, _ := a.do("DELETE", "/api/Spaces-1/libraryvariablesets/"+lib.Id, nil); status != 409 {
			t.Fatalf("delete an included set: %d, want 409", status)
		}
	})

	t.Run("preview", func(t *testing.T) {
		var pv api.VariablePreviewResource
		q := url.Values{"project": {w.project.Slug}, "environment": {w.envProd.ID}, "machine": {w.machine.ID}, "role": {"web"}}
		a.must(200, "GET", "/api/Spaces-1/variables/preview?"+q.Encode(), nil, &pv)
		got := map[string]api.PreviewVariableResource{}
		for _, v := range pv.Variables {
			got[v.Name] = v
		}
		db := got["DB.Password"]
		if db.Winner.Value != app.Masked || !db.Winner.IsSensitive || db.Winner.ScopeText != "Environment: "+w.envProd.ID {
			t.Errorf("DB.Password winner: %+v", db.Winner)
		}
		if len(db.Beaten) != 0 {
			t.Errorf("DB.Password: the Dev value does not match Production and must not be a candidate: %+v", db.Beaten)
		}
		g := got["Greeting"]
		if g.Winner.Value != "hello" || len(g.Beaten) != 1 || g.Beaten[0].Value != "library hello" || !g.Beaten[0].IsLibrary {
			t.Errorf("Greeting: %+v", g)
		}
		if got["Shared.Key"].Winner.Value != app.Masked || got["Cert"].Winner.Matched[0] != "Role (targeted by step)" {
			t.Errorf("Shared.Key/Cert: %+v %+v", got["Shared.Key"], got["Cert"])
		}
		// Dev context: the plain Dev value wins.
		q.Set("environment", w.envDev.ID)
		a.must(200, "GET", "/api/Spaces-1/variables/preview?"+q.Encode(), nil, &pv)
		for _, v := range pv.Variables {
			if v.Name == "DB.Password" && v.Winner.Value != "dev-password" {
				t.Errorf("Dev DB.Password = %q", v.Winner.Value)
			}
		}
		for _, bad := range []string{"", "?project=nope", "?project=" + w.project.Id + "&environment=Environments-99"} {
			if status, _ := a.do("GET", "/api/Spaces-1/variables/preview"+bad, nil); status != 400 {
				t.Errorf("preview %q: %d, want 400", bad, status)
			}
		}
	})

	t.Run("portal pages", func(t *testing.T) {
		status, body := a.do("GET", "/app/projects/"+w.project.Slug+"/variables", nil)
		page := string(body)
		if status != 200 || !strings.Contains(page, `data-testid="variable-sensitive"`) || !strings.Contains(page, "DB.Password") ||
			!strings.Contains(page, "Environment: Production") || !strings.Contains(page, "Library set: Shared secrets") || !strings.Contains(page, app.Masked) {
			t.Fatalf("variables page: %d\n%s", status, page)
		}
		q := url.Values{"run": {"1"}, "environment": {w.envProd.ID}, "machine": {w.machine.ID}, "role": {"web"}}
		status, body = a.do("GET", "/app/projects/"+w.project.Slug+"/variables/preview?"+q.Encode(), nil)
		page = string(body)
		if status != 200 || strings.Count(page, `data-testid="preview-row"`) != 6 || !strings.Contains(page, "library hello") ||
			!strings.Contains(page, "Role (targeted by step)") {
			t.Fatalf("preview page: %d\n%s", status, page)
		}
		q.Set("environment", "Environments-99")
		if status, body = a.do("GET", "/app/projects/"+w.project.Slug+"/variables/preview?"+q.Encode(), nil); status != 400 || !strings.Contains(string(body), "Environments-99") {
			t.Fatalf("preview with a bad environment: %d", status)
		}
	})

	t.Run("events", func(t *testing.T) {
		var page api.Paged[api.EventResource]
		a.must(200, "GET", "/api/events?regarding="+w.project.VariableSetId, nil, &page)
		if page.TotalResults != 2 {
			t.Errorf("events for the set: %d, want 2 (one per change)", page.TotalResults)
		}
	})

	// The API never returned a secret, in any response of this test.
	assertNoSecrets(t, "API responses", a.seen.Bytes())
}

// assertNoSecrets fails if data contains any test secret, any line of a
// multi-line one, or their base64 forms.
func assertNoSecrets(t *testing.T, where string, data []byte) {
	t.Helper()
	for _, needle := range secretNeedles() {
		if bytes.Contains(data, []byte(needle)) {
			t.Errorf("%s contain the secret %q", where, needle)
		}
	}
}

func secretNeedles() []string {
	var out []string
	for _, s := range testSecrets {
		forms := []string{s}
		forms = append(forms, strings.Split(s, "\n")...)
		for _, f := range forms {
			if len(f) < 8 {
				continue
			}
			out = append(out, f, base64.StdEncoding.EncodeToString([]byte(f)), base64.RawURLEncoding.EncodeToString([]byte(f)))
			if b, err := json.Marshal(f); err == nil {
				out = append(out, strings.Trim(string(b), `"`))
			}
		}
	}
	return out
}

// TestNoSecretAtRest runs a realistic variables workload, closes the
// server, and greps every file of the data directory (Badger SSTs and
// value logs, the blob directory, everything) for each secret: zero hits.
func TestNoSecretAtRest(t *testing.T) {
	dir := t.TempDir()
	w := setupWorld(t, dir)
	a := w.a
	path := "/api/Spaces-1/variables/" + w.project.VariableSetId
	var vs api.VariableSetResource
	a.must(200, "GET", path, nil, &vs)
	vs.Variables = []api.VariableResource{
		{Name: "DB.Password", Value: str(testSecrets[0]), IsSensitive: true, Scope: api.VariableScopeResource{Environment: []string{w.envProd.ID}}},
		{Name: "Api.Token", Value: str(testSecrets[1]), IsSensitive: true},
		{Name: "Cert", Value: str(testSecrets[2]), IsSensitive: true, Scope: api.VariableScopeResource{Role: []string{"web"}}},
		{Name: "Pattern", Value: str(testSecrets[5]), IsSensitive: true},
		{Name: "Deploy.Key", Value: str("asked-at-deployment"), IsSensitive: true, Prompt: &api.VariablePromptResource{Label: "Key", Required: true}},
	}
	a.must(200, "PUT", path, vs, &vs)
	// Update: one replaced, the rest kept unchanged (Value null), one renamed.
	vs.Variables[1].Value = str(testSecrets[4])
	vs.Variables[3].Name = "Pattern2"
	a.must(200, "PUT", path, vs, &vs)
	var lib api.LibraryVariableSetResource
	a.must(201, "POST", "/api/Spaces-1/libraryvariablesets", map[string]string{"Name": "Shared"}, &lib)
	var lvs api.VariableSetResource
	a.must(200, "GET", "/api/Spaces-1/variables/"+lib.VariableSetId, nil, &lvs)
	lvs.Variables = []api.VariableResource{{Name: "Shared.Key", Value: str(testSecrets[3]), IsSensitive: true}}
	a.must(200, "PUT", "/api/Spaces-1/variables/"+lib.VariableSetId, lvs, nil)
	p := w.project
	p.IncludedLibraryVariableSetIds = []string{lib.Id}
	a.must(200, "PUT", "/api/Spaces-1/projects/"+p.Id, p, nil)
	a.must(200, "GET", "/api/Spaces-1/variables/preview?project="+p.Id+"&environment="+w.envProd.ID+"&role=web", nil, nil)
	a.must(200, "GET", "/api/events", nil, nil)
	a.must(200, "GET", path, nil, nil)

	// A deployment with a sensitive prompted value: kept encrypted, never
	// returned, masked in the log.
	a.must(200, "PUT", p.Links["DeploymentProcess"], map[string]any{"Version": 0, "Steps": []any{map[string]any{"Name": "Use",
		"Properties": map[string]any{"Octopus.Action.RunOnServer": "true"}, "Actions": []map[string]any{{"Name": "Use",
			"ActionType": "Octopus.Script", "Properties": map[string]any{"Octopus.Action.RunOnServer": "true",
				"Octopus.Action.Script.Syntax": "Bash", "Octopus.Action.Script.ScriptBody": `echo "using #{Deploy.Key}"`}}}}}}, nil)
	a.must(201, "POST", "/api/Spaces-1/releases/create/v1", map[string]any{"projectName": p.Name, "releaseVersion": "1.0.0"}, nil)
	var lc map[string]any // one phase with every environment: Production may come first
	a.must(200, "GET", "/api/Spaces-1/lifecycles/Lifecycles-1", nil, &lc)
	lc["Phases"] = []map[string]any{{"Name": "Anywhere"}}
	a.must(200, "PUT", "/api/Spaces-1/lifecycles/Lifecycles-1", lc, nil)
	var dep struct {
		DeploymentServerTasks []struct{ DeploymentId, ServerTaskId string }
	}
	a.must(201, "POST", "/api/Spaces-1/deployments/create/untenanted/v1", map[string]any{"projectName": p.Name, "releaseVersion": "1.0.0",
		"environmentNames": []string{w.envProd.Name}, "variables": map[string]string{"Deploy.Key": testSecrets[6]}}, &dep)
	taskID, depID := dep.DeploymentServerTasks[0].ServerTaskId, dep.DeploymentServerTasks[0].DeploymentId
	var task struct {
		State       string
		IsCompleted bool
	}
	deadline := time.Now().Add(30 * time.Second)
	for pause := 10 * time.Millisecond; !task.IsCompleted; pause = min(pause*2, 200*time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("deployment task %s: %+v", taskID, task)
		}
		time.Sleep(pause) // polling interval, bounded by the deadline
		a.must(200, "GET", "/api/tasks/"+taskID, nil, &task)
	}
	status, raw := a.do("GET", "/api/tasks/"+taskID+"/raw", nil)
	if task.State != "Success" || status != 200 || !strings.Contains(string(raw), "using ********") {
		t.Fatalf("deployment: %+v %d\n%s", task, status, raw)
	}
	a.must(200, "GET", "/api/Spaces-1/deployments/"+depID, nil, nil)
	a.must(200, "GET", "/api/Spaces-1/deployments", nil, nil)
	if got, err := w.s.DB.RevealDeploymentFormValues(context.Background(), "Spaces-1", depID); err != nil || got["Deploy.Key"] != testSecrets[6] {
		t.Fatalf("the sensitive prompted value is not stored: %v %v", got, err)
	}
	assertNoSecrets(t, "API responses", a.seen.Bytes())

	// The values are really there (encrypted), or the grep proves nothing.
	revealed, err := w.s.DB.RevealVariableSet(context.Background(), "", lib.VariableSetId)
	if err != nil || revealed.Variables[0].Value != testSecrets[3] {
		t.Fatalf("library secret not stored: %+v, %v", revealed, err)
	}
	// Badger compresses its tables, so a byte grep of SSTs alone could miss
	// a clear-text value. Three looks together cover it: the raw files while
	// the server runs (the write-ahead memtable files are not compressed),
	// the raw files after Close, and every key and value version read back
	// through Badger itself.
	grepDir(t, dir, "while running", true)
	if err := w.s.Close(); err != nil {
		t.Fatal(err)
	}
	grepDir(t, dir, "after close", false)
	bdb, err := badger.Open(badger.DefaultOptions(filepath.Join(dir, "db")).WithLogger(nil))
	if err != nil {
		t.Fatal(err)
	}
	defer bdb.Close()
	var logical bytes.Buffer
	err = bdb.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{AllVersions: true, PrefetchValues: false})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			logical.Write(it.Item().KeyCopy(nil))
			v, err := it.Item().ValueCopy(nil)
			if err != nil {
				return err
			}
			logical.Write(v)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(logical.Bytes(), []byte("Shared.Key")) {
		t.Fatal("the logical scan does not see the variable names: it proves nothing")
	}
	assertNoSecrets(t, "Badger keys and values (all versions)", logical.Bytes())
}

// grepDir greps every file under dir for the secrets; sanity demands that
// the plain variable name "Shared.Key" be visible, proving the grep sees data.
func grepDir(t *testing.T, dir, when string, sanity bool) {
	t.Helper()
	files, found := 0, false
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		files++
		found = found || bytes.Contains(b, []byte("Shared.Key"))
		assertNoSecrets(t, "the data file "+strings.TrimPrefix(p, dir)+" ("+when+")", b)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 3 {
		t.Fatalf("%s: only %d files in the data directory; the walk looked in the wrong place", when, files)
	}
	if sanity && !found {
		t.Fatalf("%s: the variable name is not in any data file: the grep cannot see stored data", when)
	}
}
