package storage

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/argonautdeploy/argonaut/app"
)

// openTest opens a real store in dir and closes it when the test ends
// (unless the test closed it itself).
func openTest(t *testing.T, dir string) *DB {
	t.Helper()
	d, err := Open(context.Background(), Options{Dir: dir})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() {
		if _, done := closedInTest.LoadOrStore(d, true); !done {
			d.Close()
		}
	})
	return d
}

// closedInTest remembers stores a test closed itself, so that the cleanup
// does not close them twice.
var closedInTest sync.Map

// closeTest closes d in the middle of a test.
func closeTest(t *testing.T, d *DB) {
	t.Helper()
	if err := d.Close(); err != nil {
		t.Fatalf("close store: %v", err)
	}
	closedInTest.Store(d, true)
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := app.ErrorCode(err); got != code {
		t.Fatalf("error code = %q (%v), want %q", got, err, code)
	}
}

func mustOK(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func newEnv(t *testing.T, d *DB, name string) *app.Environment {
	t.Helper()
	e := &app.Environment{SpaceID: app.DefaultSpaceID, Name: name}
	mustOK(t, d.CreateEnvironment(context.Background(), e))
	return e
}

func newProject(t *testing.T, d *DB, name string) *app.Project {
	t.Helper()
	p := &app.Project{SpaceID: app.DefaultSpaceID, Name: name, LifecycleID: app.DefaultLifecycleID, ProjectGroupID: app.DefaultProjectGroupID}
	mustOK(t, d.CreateProject(context.Background(), p))
	return p
}

func newMachine(t *testing.T, d *DB, name string, envIDs ...string) *app.Machine {
	t.Helper()
	m := &app.Machine{SpaceID: app.DefaultSpaceID, Name: name, EnvironmentIDs: envIDs, Roles: []string{"web"},
		Endpoint: app.Endpoint{CommunicationStyle: app.CommsNone}}
	mustOK(t, d.CreateMachine(context.Background(), m))
	return m
}

func eventCount(t *testing.T, d *DB) int {
	t.Helper()
	_, total, err := d.FindEvents(context.Background(), app.EventFilter{})
	mustOK(t, err)
	return total
}

// kindOps drives one space-scoped kind through the generic CRUD test.
type kindOps struct {
	name   string
	prefix string // ID kind
	create func(d *DB, name string) (id string, err error)
	find   func(d *DB, id string) (name string, err error)
	rename func(d *DB, id, name string) error
	list   func(d *DB) ([]string, error) // names
	delete func(d *DB, id string) error
}

func allKinds(t *testing.T) []kindOps {
	ctx := context.Background()
	sp := app.DefaultSpaceID
	return []kindOps{
		{
			name: "environment", prefix: app.KindEnvironment,
			create: func(d *DB, name string) (string, error) {
				e := &app.Environment{SpaceID: sp, Name: name, Description: "d"}
				err := d.CreateEnvironment(ctx, e)
				return e.ID, err
			},
			find: func(d *DB, id string) (string, error) {
				e, err := d.FindEnvironmentByID(ctx, sp, id)
				if err != nil {
					return "", err
				}
				return e.Name, nil
			},
			rename: func(d *DB, id, name string) error {
				e, err := d.FindEnvironmentByID(ctx, sp, id)
				if err != nil {
					return err
				}
				e.Name = name
				return d.UpdateEnvironment(ctx, e)
			},
			list: func(d *DB) ([]string, error) {
				es, _, err := d.FindEnvironments(ctx, app.Filter{SpaceID: sp})
				return names(es, func(e *app.Environment) string { return e.Name }), err
			},
			delete: func(d *DB, id string) error { return d.DeleteEnvironment(ctx, sp, id) },
		},
		{
			name: "project group", prefix: app.KindProjectGroup,
			create: func(d *DB, name string) (string, error) {
				g := &app.ProjectGroup{SpaceID: sp, Name: name}
				err := d.CreateProjectGroup(ctx, g)
				return g.ID, err
			},
			find: func(d *DB, id string) (string, error) {
				g, err := d.FindProjectGroupByID(ctx, sp, id)
				if err != nil {
					return "", err
				}
				return g.Name, nil
			},
			rename: func(d *DB, id, name string) error {
				g, err := d.FindProjectGroupByID(ctx, sp, id)
				if err != nil {
					return err
				}
				g.Name = name
				return d.UpdateProjectGroup(ctx, g)
			},
			list: func(d *DB) ([]string, error) {
				gs, _, err := d.FindProjectGroups(ctx, app.Filter{SpaceID: sp})
				return names(gs, func(g *app.ProjectGroup) string { return g.Name }), err
			},
			delete: func(d *DB, id string) error { return d.DeleteProjectGroup(ctx, sp, id) },
		},
		{
			name: "lifecycle", prefix: app.KindLifecycle,
			create: func(d *DB, name string) (string, error) {
				l := &app.Lifecycle{SpaceID: sp, Name: name, Phases: []app.Phase{{Name: "First"}}}
				err := d.CreateLifecycle(ctx, l)
				return l.ID, err
			},
			find: func(d *DB, id string) (string, error) {
				l, err := d.FindLifecycleByID(ctx, sp, id)
				if err != nil {
					return "", err
				}
				if len(l.Phases) != 1 || l.Phases[0].Name != "First" {
					return "", fmt.Errorf("phases not kept: %+v", l.Phases)
				}
				return l.Name, nil
			},
			rename: func(d *DB, id, name string) error {
				l, err := d.FindLifecycleByID(ctx, sp, id)
				if err != nil {
					return err
				}
				l.Name = name
				return d.UpdateLifecycle(ctx, l)
			},
			list: func(d *DB) ([]string, error) {
				ls, _, err := d.FindLifecycles(ctx, app.Filter{SpaceID: sp})
				return names(ls, func(l *app.Lifecycle) string { return l.Name }), err
			},
			delete: func(d *DB, id string) error { return d.DeleteLifecycle(ctx, sp, id) },
		},
		{
			name: "project", prefix: app.KindProject,
			create: func(d *DB, name string) (string, error) {
				p := &app.Project{SpaceID: sp, Name: name, LifecycleID: app.DefaultLifecycleID, ProjectGroupID: app.DefaultProjectGroupID}
				err := d.CreateProject(ctx, p)
				return p.ID, err
			},
			find: func(d *DB, id string) (string, error) {
				p, err := d.FindProjectByID(ctx, sp, id)
				if err != nil {
					return "", err
				}
				return p.Name, nil
			},
			rename: func(d *DB, id, name string) error {
				p, err := d.FindProjectByID(ctx, sp, id)
				if err != nil {
					return err
				}
				p.Name = name
				return d.UpdateProject(ctx, p)
			},
			list: func(d *DB) ([]string, error) {
				ps, _, err := d.FindProjects(ctx, app.ProjectFilter{Filter: app.Filter{SpaceID: sp}})
				return names(ps, func(p *app.Project) string { return p.Name }), err
			},
			delete: func(d *DB, id string) error { return d.DeleteProject(ctx, sp, id) },
		},
		{
			name: "machine", prefix: app.KindMachine,
			create: func(d *DB, name string) (string, error) {
				envs, _, err := d.FindEnvironments(ctx, app.Filter{SpaceID: sp, Name: "Machine Home"})
				if err != nil {
					return "", err
				}
				if len(envs) == 0 {
					e := &app.Environment{SpaceID: sp, Name: "Machine Home"}
					if err := d.CreateEnvironment(ctx, e); err != nil {
						return "", err
					}
					envs = []*app.Environment{e}
				}
				m := &app.Machine{SpaceID: sp, Name: name, EnvironmentIDs: []string{envs[0].ID},
					Endpoint: app.Endpoint{CommunicationStyle: app.CommsSSH, Host: "h", Port: 22, Username: "u"}}
				err = d.CreateMachine(ctx, m)
				return m.ID, err
			},
			find: func(d *DB, id string) (string, error) {
				m, err := d.FindMachineByID(ctx, sp, id)
				if err != nil {
					return "", err
				}
				return m.Name, nil
			},
			rename: func(d *DB, id, name string) error {
				m, err := d.FindMachineByID(ctx, sp, id)
				if err != nil {
					return err
				}
				m.Name = name
				return d.UpdateMachine(ctx, m)
			},
			list: func(d *DB) ([]string, error) {
				ms, _, err := d.FindMachines(ctx, app.MachineFilter{Filter: app.Filter{SpaceID: sp}})
				return names(ms, func(m *app.Machine) string { return m.Name }), err
			},
			delete: func(d *DB, id string) error { return d.DeleteMachine(ctx, sp, id) },
		},
	}
}

func names[T any](items []T, name func(T) string) []string {
	out := make([]string, 0, len(items))
	for _, it := range items {
		out = append(out, name(it))
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestCRUDPerKind(t *testing.T) {
	for _, k := range allKinds(t) {
		t.Run(k.name, func(t *testing.T) {
			d := openTest(t, t.TempDir())
			id, err := k.create(d, "Alpha")
			mustOK(t, err)
			if !strings.HasPrefix(id, k.prefix+"-") {
				t.Fatalf("id = %q, want prefix %s-", id, k.prefix)
			}
			got, err := k.find(d, id)
			mustOK(t, err)
			if got != "Alpha" {
				t.Fatalf("find name = %q, want Alpha", got)
			}
			// IDs are case-insensitive on the way in.
			if got, err := k.find(d, strings.ToLower(id)); err != nil || got != "Alpha" {
				t.Fatalf("find by lower-case id = %q, %v", got, err)
			}

			_, err = k.create(d, "ALPHA")
			wantCode(t, err, app.ECONFLICT)
			_, err = k.create(d, "")
			wantCode(t, err, app.EINVALID)
			_, err = k.create(d, strings.Repeat("x", 201))
			wantCode(t, err, app.EINVALID)
			_, err = k.create(d, "bad\x07name")
			wantCode(t, err, app.EINVALID)

			mustOK(t, k.rename(d, id, "Beta"))
			if got, _ := k.find(d, id); got != "Beta" {
				t.Fatalf("after rename name = %q, want Beta", got)
			}
			list, err := k.list(d)
			mustOK(t, err)
			if !contains(list, "Beta") || contains(list, "Alpha") {
				t.Fatalf("list = %v, want Beta and no Alpha", list)
			}

			wantCode(t, k.rename(d, k.prefix+"-999", "Gamma"), app.ENOTFOUND)
			wantCode(t, k.delete(d, k.prefix+"-999"), app.ENOTFOUND)
			_, err = k.find(d, "Nonsense-1")
			wantCode(t, err, app.ENOTFOUND)

			mustOK(t, k.delete(d, id))
			_, err = k.find(d, id)
			wantCode(t, err, app.ENOTFOUND)
			if msg := app.ErrorMessage(err); msg != fmt.Sprintf("The resource '%s' was not found.", id) {
				t.Fatalf("not-found message = %q", msg)
			}
			wantCode(t, k.delete(d, id), app.ENOTFOUND)
		})
	}
}

func TestUniqueIndexFollowsRename(t *testing.T) {
	for _, k := range allKinds(t) {
		t.Run(k.name, func(t *testing.T) {
			d := openTest(t, t.TempDir())
			a, err := k.create(d, "Old Name")
			mustOK(t, err)
			b, err := k.create(d, "Other")
			mustOK(t, err)
			// Renaming onto a taken name (any case) is a conflict and changes nothing.
			wantCode(t, k.rename(d, b, "old name"), app.ECONFLICT)
			if got, _ := k.find(d, b); got != "Other" {
				t.Fatalf("failed rename changed the name to %q", got)
			}
			// A record may change the case of its own name.
			mustOK(t, k.rename(d, a, "OLD NAME"))
			mustOK(t, k.rename(d, a, "New Name"))
			// The old name is free again; the new one is taken.
			_, err = k.create(d, "Old Name")
			mustOK(t, err)
			_, err = k.create(d, "new name")
			wantCode(t, err, app.ECONFLICT)
			// Deleting frees the name too.
			mustOK(t, k.delete(d, a))
			_, err = k.create(d, "New Name")
			mustOK(t, err)
		})
	}
}

func TestReopenKeepsEverythingAndCounters(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	d := openTest(t, dir)
	e1 := newEnv(t, d, "Dev")
	e2 := newEnv(t, d, "Test")
	p := newProject(t, d, "Web")
	m := newMachine(t, d, "box", e1.ID)
	g := &app.ProjectGroup{SpaceID: app.DefaultSpaceID, Name: "Group"}
	mustOK(t, d.CreateProjectGroup(ctx, g))
	l := &app.Lifecycle{SpaceID: app.DefaultSpaceID, Name: "LC", Phases: []app.Phase{{Name: "P", AutomaticDeploymentTargets: []string{e2.ID}}}}
	mustOK(t, d.CreateLifecycle(ctx, l))
	u := &app.User{Username: "alice", IsActive: true, PasswordHash: "x"}
	mustOK(t, d.CreateUser(ctx, u))
	events := eventCount(t, d)
	closeTest(t, d)

	d = openTest(t, dir)
	if got, err := d.FindEnvironmentByID(ctx, app.DefaultSpaceID, e2.ID); err != nil || got.Name != "Test" || got.SortOrder != 2 {
		t.Fatalf("environment after reopen = %+v, %v", got, err)
	}
	if got, err := d.FindProjectByID(ctx, app.DefaultSpaceID, "web"); err != nil || got.ID != p.ID {
		t.Fatalf("project by slug after reopen = %+v, %v", got, err)
	}
	if got, err := d.FindMachineByID(ctx, app.DefaultSpaceID, m.ID); err != nil || got.EnvironmentIDs[0] != e1.ID {
		t.Fatalf("machine after reopen = %+v, %v", got, err)
	}
	if got, err := d.FindLifecycleByID(ctx, app.DefaultSpaceID, l.ID); err != nil || got.Phases[0].AutomaticDeploymentTargets[0] != e2.ID {
		t.Fatalf("lifecycle after reopen = %+v, %v", got, err)
	}
	if got, err := d.FindUserByUsername(ctx, "ALICE"); err != nil || got.ID != u.ID {
		t.Fatalf("user after reopen = %+v, %v", got, err)
	}
	if got := eventCount(t, d); got != events {
		t.Fatalf("events after reopen = %d, want %d", got, events)
	}
	// The unique index survived: the old name is still taken.
	err := d.CreateEnvironment(ctx, &app.Environment{SpaceID: app.DefaultSpaceID, Name: "dev"})
	wantCode(t, err, app.ECONFLICT)
	// Counters continue without gaps (a failed create consumed nothing).
	e3 := newEnv(t, d, "Prod")
	if e3.ID != "Environments-3" {
		t.Fatalf("next environment id = %s, want Environments-3", e3.ID)
	}
	if g2 := (&app.ProjectGroup{SpaceID: app.DefaultSpaceID, Name: "G2"}); d.CreateProjectGroup(ctx, g2) != nil || g2.ID != "ProjectGroups-3" {
		t.Fatalf("next project group id = %s, want ProjectGroups-3", g2.ID)
	}
	if p2 := newProject(t, d, "Api"); p2.ID != "Projects-2" {
		t.Fatalf("next project id = %s, want Projects-2", p2.ID)
	}
}

func TestConcurrentCreatesOfOneNameExactlyOneWins(t *testing.T) {
	d := openTest(t, t.TempDir())
	const n = 20
	var wg sync.WaitGroup
	errs := make([]error, n)
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			errs[i] = d.CreateEnvironment(context.Background(), &app.Environment{SpaceID: app.DefaultSpaceID, Name: "Production"})
		}()
	}
	close(start)
	wg.Wait()
	wins := 0
	for i, err := range errs {
		switch app.ErrorCode(err) {
		case "":
			wins++
		case app.ECONFLICT:
		default:
			t.Errorf("goroutine %d: unexpected error %v", i, err)
		}
	}
	if wins != 1 {
		t.Fatalf("%d creates won, want exactly 1", wins)
	}
	envs, total, err := d.FindEnvironments(context.Background(), app.Filter{SpaceID: app.DefaultSpaceID})
	mustOK(t, err)
	if total != 1 || envs[0].ID != "Environments-1" {
		t.Fatalf("environments = %d (%+v), want only Environments-1", total, envs)
	}
	if e := newEnv(t, d, "Staging"); e.ID != "Environments-2" {
		t.Fatalf("next id = %s, want Environments-2 (no gaps)", e.ID)
	}
}

func TestConcurrentCreatesOfDistinctNamesGetDistinctIDs(t *testing.T) {
	d := openTest(t, t.TempDir())
	const n = 20
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = d.CreateEnvironment(context.Background(), &app.Environment{SpaceID: app.DefaultSpaceID, Name: fmt.Sprintf("Env %02d", i)})
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("create %d: %v", i, err)
		}
	}
	envs, _, err := d.FindEnvironments(context.Background(), app.Filter{SpaceID: app.DefaultSpaceID})
	mustOK(t, err)
	seen := map[string]bool{}
	orders := map[int]bool{}
	for _, e := range envs {
		seen[e.ID] = true
		orders[e.SortOrder] = true
	}
	for i := 1; i <= n; i++ {
		if !seen[fmt.Sprintf("Environments-%d", i)] || !orders[i] {
			t.Fatalf("ids %v / sort orders %v: want 1..%d each exactly once", seen, orders, n)
		}
	}
}

func TestDeleteProjectRemovesOwnedRecords(t *testing.T) {
	ctx := context.Background()
	d := openTest(t, t.TempDir())
	p := newProject(t, d, "Web Site")
	other := newProject(t, d, "Other")

	chans, total, err := d.FindChannels(ctx, app.ChannelFilter{ProjectID: p.ID})
	mustOK(t, err)
	if total != 1 || chans[0].Name != "Default" || !chans[0].IsDefault {
		t.Fatalf("channels of a new project = %+v, want one Default", chans)
	}
	if p.DeploymentProcessID != "deploymentprocess-"+p.ID || p.VariableSetID != "variableset-"+p.ID {
		t.Fatalf("owned ids = %s, %s", p.DeploymentProcessID, p.VariableSetID)
	}
	if _, err := d.FindDeploymentProcessByID(ctx, app.DefaultSpaceID, p.DeploymentProcessID); err != nil {
		t.Fatal(err)
	}
	if _, err := d.FindVariableSetByID(ctx, app.DefaultSpaceID, p.VariableSetID); err != nil {
		t.Fatal(err)
	}

	// Deleting by slug works as well as by ID.
	mustOK(t, d.DeleteProject(ctx, app.DefaultSpaceID, "web-site"))
	_, err = d.FindProjectByID(ctx, app.DefaultSpaceID, p.ID)
	wantCode(t, err, app.ENOTFOUND)
	_, err = d.FindChannelByID(ctx, app.DefaultSpaceID, chans[0].ID)
	wantCode(t, err, app.ENOTFOUND)
	if _, total, _ := d.FindChannels(ctx, app.ChannelFilter{ProjectID: p.ID}); total != 0 {
		t.Fatalf("%d channels left behind", total)
	}
	_, err = d.FindDeploymentProcessByID(ctx, app.DefaultSpaceID, p.DeploymentProcessID)
	wantCode(t, err, app.ENOTFOUND)
	_, err = d.FindVariableSetByID(ctx, app.DefaultSpaceID, p.VariableSetID)
	wantCode(t, err, app.ENOTFOUND)

	// The other project keeps what it owns.
	if _, total, _ := d.FindChannels(ctx, app.ChannelFilter{ProjectID: other.ID}); total != 1 {
		t.Fatalf("other project has %d channels, want 1", total)
	}
	if _, err := d.FindDeploymentProcessByID(ctx, app.DefaultSpaceID, other.DeploymentProcessID); err != nil {
		t.Fatal(err)
	}
	// Its name is free again, and a new project with it gets a fresh Default channel.
	p2 := newProject(t, d, "Web Site")
	if _, total, _ := d.FindChannels(ctx, app.ChannelFilter{ProjectID: p2.ID}); total != 1 {
		t.Fatalf("recreated project has %d channels, want 1", total)
	}
}

func TestProjectLookupBySlugNameAndPartialName(t *testing.T) {
	ctx := context.Background()
	d := openTest(t, t.TempDir())
	p := newProject(t, d, "Acme Web")
	newProject(t, d, "Acme Api")
	newProject(t, d, "Billing")
	for _, key := range []string{p.ID, strings.ToLower(p.ID), "acme-web", "Acme Web", "ACME WEB"} {
		got, err := d.FindProjectByID(ctx, app.DefaultSpaceID, key)
		if err != nil || got.ID != p.ID {
			t.Errorf("FindProjectByID(%q) = %+v, %v; want %s", key, got, err, p.ID)
		}
	}
	_, err := d.FindProjectByID(ctx, app.DefaultSpaceID, "acme")
	wantCode(t, err, app.ENOTFOUND)
	got, total, err := d.FindProjects(ctx, app.ProjectFilter{Filter: app.Filter{SpaceID: app.DefaultSpaceID, PartialName: "acme"}})
	mustOK(t, err)
	if total != 2 || len(got) != 2 {
		t.Fatalf("partialName acme = %d results, want 2", total)
	}
}

func TestDeleteEnvironmentInUseIsRefused(t *testing.T) {
	ctx := context.Background()
	d := openTest(t, t.TempDir())
	e := newEnv(t, d, "Production")
	m := newMachine(t, d, "web-01", strings.ToLower(e.ID))
	before := eventCount(t, d)

	err := d.DeleteEnvironment(ctx, app.DefaultSpaceID, e.ID)
	wantCode(t, err, app.ECONFLICT)
	if msg := app.ErrorMessage(err); !strings.Contains(msg, "web-01") || !strings.Contains(msg, "Production") {
		t.Fatalf("message %q does not name the environment and the target", msg)
	}
	if _, err := d.FindEnvironmentByID(ctx, app.DefaultSpaceID, e.ID); err != nil {
		t.Fatalf("environment gone after refused delete: %v", err)
	}
	if got := eventCount(t, d); got != before {
		t.Fatalf("a refused delete wrote %d audit events", got-before)
	}

	// Moving the target elsewhere releases the environment.
	e2 := newEnv(t, d, "Staging")
	m.EnvironmentIDs = []string{e2.ID}
	mustOK(t, d.UpdateMachine(ctx, m))
	mustOK(t, d.DeleteEnvironment(ctx, app.DefaultSpaceID, e.ID))

	// A lifecycle phase also keeps an environment alive.
	l := &app.Lifecycle{SpaceID: app.DefaultSpaceID, Name: "LC", Phases: []app.Phase{{Name: "P", OptionalDeploymentTargets: []string{e2.ID}}}}
	mustOK(t, d.CreateLifecycle(ctx, l))
	mustOK(t, d.DeleteMachine(ctx, app.DefaultSpaceID, m.ID))
	err = d.DeleteEnvironment(ctx, app.DefaultSpaceID, e2.ID)
	wantCode(t, err, app.ECONFLICT)
	if !strings.Contains(app.ErrorMessage(err), "lifecycle") {
		t.Fatalf("message %q does not mention the lifecycle", app.ErrorMessage(err))
	}
}

func TestMachineNeedsExistingEnvironment(t *testing.T) {
	ctx := context.Background()
	d := openTest(t, t.TempDir())
	m := &app.Machine{SpaceID: app.DefaultSpaceID, Name: "x", EnvironmentIDs: []string{"Environments-7"},
		Endpoint: app.Endpoint{CommunicationStyle: app.CommsNone}}
	wantCode(t, d.CreateMachine(ctx, m), app.EINVALID)
	if _, total, _ := d.FindMachines(ctx, app.MachineFilter{}); total != 0 {
		t.Fatalf("%d machines stored after a refused create", total)
	}
}

func TestReorderEnvironments(t *testing.T) {
	ctx := context.Background()
	d := openTest(t, t.TempDir())
	a, b, c := newEnv(t, d, "A"), newEnv(t, d, "B"), newEnv(t, d, "C")
	order := func() string {
		es, _, err := d.FindEnvironments(ctx, app.Filter{SpaceID: app.DefaultSpaceID})
		mustOK(t, err)
		return strings.Join(names(es, func(e *app.Environment) string { return e.Name }), ",")
	}
	if got := order(); got != "A,B,C" {
		t.Fatalf("initial order %s", got)
	}
	bad := []struct {
		name string
		ids  []string
	}{
		{"missing one", []string{a.ID, b.ID}},
		{"duplicate", []string{a.ID, b.ID, b.ID}},
		{"unknown", []string{a.ID, b.ID, "Environments-99"}},
		{"not an id", []string{a.ID, b.ID, "bogus"}},
		{"extra", []string{a.ID, b.ID, c.ID, "Environments-99"}},
		{"empty", nil},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			wantCode(t, d.ReorderEnvironments(ctx, app.DefaultSpaceID, tc.ids), app.EINVALID)
			if got := order(); got != "A,B,C" {
				t.Fatalf("order changed to %s by a refused reorder", got)
			}
		})
	}
	before := eventCount(t, d)
	mustOK(t, d.ReorderEnvironments(ctx, app.DefaultSpaceID, []string{c.ID, strings.ToLower(a.ID), b.ID}))
	if got := order(); got != "C,A,B" {
		t.Fatalf("order after reorder %s, want C,A,B", got)
	}
	if got := eventCount(t, d) - before; got != 1 {
		t.Fatalf("reorder wrote %d audit events, want 1", got)
	}
	// A new environment goes last.
	newEnv(t, d, "D")
	if got := order(); got != "C,A,B,D" {
		t.Fatalf("order after create %s, want C,A,B,D", got)
	}
}

func TestEveryMutationWritesExactlyOneAuditEvent(t *testing.T) {
	ctx := context.Background()
	d := openTest(t, t.TempDir())
	sp := app.DefaultSpaceID
	var env *app.Environment
	var proj *app.Project
	var mach *app.Machine
	var grp *app.ProjectGroup
	var lc *app.Lifecycle
	var user *app.User
	var key *app.APIKey
	steps := []struct {
		name    string
		do      func() error
		related func() string
	}{
		{"create environment", func() error {
			env = &app.Environment{SpaceID: sp, Name: "E"}
			return d.CreateEnvironment(ctx, env)
		}, func() string { return env.ID }},
		{"update environment", func() error { env.Description = "x"; return d.UpdateEnvironment(ctx, env) }, func() string { return env.ID }},
		{"create project group", func() error {
			grp = &app.ProjectGroup{SpaceID: sp, Name: "G"}
			return d.CreateProjectGroup(ctx, grp)
		}, func() string { return grp.ID }},
		{"update project group", func() error { grp.Name = "G2"; return d.UpdateProjectGroup(ctx, grp) }, func() string { return grp.ID }},
		{"create lifecycle", func() error {
			lc = &app.Lifecycle{SpaceID: sp, Name: "L"}
			return d.CreateLifecycle(ctx, lc)
		}, func() string { return lc.ID }},
		{"update lifecycle", func() error { lc.Name = "L2"; return d.UpdateLifecycle(ctx, lc) }, func() string { return lc.ID }},
		{"create project", func() error {
			proj = &app.Project{SpaceID: sp, Name: "P", LifecycleID: lc.ID, ProjectGroupID: grp.ID}
			return d.CreateProject(ctx, proj)
		}, func() string { return proj.ID }},
		{"update project", func() error { proj.Description = "y"; return d.UpdateProject(ctx, proj) }, func() string { return proj.ID }},
		{"create machine", func() error {
			mach = &app.Machine{SpaceID: sp, Name: "M", EnvironmentIDs: []string{env.ID}, Endpoint: app.Endpoint{CommunicationStyle: app.CommsOffline}}
			return d.CreateMachine(ctx, mach)
		}, func() string { return mach.ID }},
		{"update machine", func() error { mach.IsDisabled = true; return d.UpdateMachine(ctx, mach) }, func() string { return mach.ID }},
		{"reorder environments", func() error { return d.ReorderEnvironments(ctx, sp, []string{env.ID}) }, func() string { return env.ID }},
		{"create user", func() error {
			user = &app.User{Username: "bob", IsActive: true}
			return d.CreateUser(ctx, user)
		}, func() string { return user.ID }},
		{"update user", func() error { user.DisplayName = "Bob"; return d.UpdateUser(ctx, user) }, func() string { return user.ID }},
		{"create api key", func() error {
			key = &app.APIKey{UserID: user.ID, Purpose: "ci", Hash: strings.Repeat("a", 64)}
			return d.CreateAPIKey(ctx, key)
		}, func() string { return key.ID }},
		{"revoke api key", func() error { return d.DeleteAPIKey(ctx, user.ID, key.ID) }, func() string { return key.ID }},
		{"delete machine", func() error { return d.DeleteMachine(ctx, sp, mach.ID) }, func() string { return mach.ID }},
		{"delete project", func() error { return d.DeleteProject(ctx, sp, proj.ID) }, func() string { return proj.ID }},
		{"delete lifecycle", func() error { return d.DeleteLifecycle(ctx, sp, lc.ID) }, func() string { return lc.ID }},
		{"delete project group", func() error { return d.DeleteProjectGroup(ctx, sp, grp.ID) }, func() string { return grp.ID }},
		{"delete environment", func() error { return d.DeleteEnvironment(ctx, sp, env.ID) }, func() string { return env.ID }},
	}
	for _, s := range steps {
		before := eventCount(t, d)
		if err := s.do(); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if got := eventCount(t, d) - before; got != 1 {
			t.Fatalf("%s wrote %d audit events, want 1", s.name, got)
		}
		evs, _, err := d.FindEvents(ctx, app.EventFilter{Regarding: s.related(), Take: 1})
		mustOK(t, err)
		if len(evs) != 1 || evs[0].Username != "system" {
			t.Fatalf("%s: newest event regarding %s = %+v", s.name, s.related(), evs)
		}
	}
	// A signed-in user is named in the event.
	actx := app.WithPrincipal(ctx, user)
	e := &app.Environment{SpaceID: sp, Name: "By Bob"}
	mustOK(t, d.CreateEnvironment(actx, e))
	evs, _, err := d.FindEvents(ctx, app.EventFilter{Regarding: e.ID})
	mustOK(t, err)
	if len(evs) != 1 || evs[0].Username != "bob" || evs[0].UserID != user.ID || evs[0].Category != app.EventCreated {
		t.Fatalf("event = %+v", evs)
	}
	// Failed mutations write none.
	before := eventCount(t, d)
	_ = d.CreateEnvironment(ctx, &app.Environment{SpaceID: sp, Name: "By Bob"})
	_ = d.UpdateEnvironment(ctx, &app.Environment{SpaceID: sp, ID: "Environments-99", Name: "Z"})
	_ = d.DeleteProject(ctx, sp, "Projects-99")
	if got := eventCount(t, d); got != before {
		t.Fatalf("failed mutations wrote %d events", got-before)
	}
}

func TestSpaceScoping(t *testing.T) {
	ctx := context.Background()
	d := openTest(t, t.TempDir())
	e := newEnv(t, d, "Dev")
	_, err := d.FindEnvironmentByID(ctx, "Spaces-2", e.ID)
	wantCode(t, err, app.ENOTFOUND)
	err = d.CreateEnvironment(ctx, &app.Environment{SpaceID: "Spaces-2", Name: "X"})
	wantCode(t, err, app.EINVALID)
	wantCode(t, d.DeleteEnvironment(ctx, "Spaces-2", e.ID), app.ENOTFOUND)
}

func TestErrorsAreAppErrors(t *testing.T) {
	d := openTest(t, t.TempDir())
	_, err := d.FindEnvironmentByID(context.Background(), app.DefaultSpaceID, "Environments-1")
	var ae *app.Error
	if !errors.As(err, &ae) || ae.Code != app.ENOTFOUND {
		t.Fatalf("err = %#v, want *app.Error ENOTFOUND", err)
	}
}

func TestProjectSlugsSurviveRenames(t *testing.T) {
	ctx := context.Background()
	d := openTest(t, t.TempDir())
	p := newProject(t, d, "Web")
	p.Name, p.Slug = "Site", ""
	mustOK(t, d.UpdateProject(ctx, p))
	if p.Slug != "web" {
		t.Fatalf("slug after rename with empty Slug = %q, want web (kept)", p.Slug)
	}
	// A new project may take the old name; its derived slug is made unique.
	p2 := newProject(t, d, "Web")
	if p2.Slug != "web-2" {
		t.Fatalf("derived slug = %q, want web-2", p2.Slug)
	}
	// An explicit slug must be free.
	err := d.CreateProject(ctx, &app.Project{SpaceID: app.DefaultSpaceID, Name: "Other", Slug: "web",
		LifecycleID: app.DefaultLifecycleID, ProjectGroupID: app.DefaultProjectGroupID})
	wantCode(t, err, app.ECONFLICT)
	// Lookups by each slug find the right project.
	if got, _ := d.FindProjectByID(ctx, app.DefaultSpaceID, "web"); got == nil || got.ID != p.ID {
		t.Fatalf("web -> %+v, want %s", got, p.ID)
	}
	if got, _ := d.FindProjectByID(ctx, app.DefaultSpaceID, "web-2"); got == nil || got.ID != p2.ID {
		t.Fatalf("web-2 -> %+v, want %s", got, p2.ID)
	}
}

// TestUpdateWithoutSortOrderKeepsPosition: a client that leaves SortOrder
// out of a PUT (it decodes as 0) must not move the environment to the front.
func TestUpdateWithoutSortOrderKeepsPosition(t *testing.T) {
	ctx := context.Background()
	d := openTest(t, t.TempDir())
	newEnv(t, d, "A")
	b := newEnv(t, d, "B")
	mustOK(t, d.UpdateEnvironment(ctx, &app.Environment{ID: b.ID, SpaceID: app.DefaultSpaceID, Name: "B2"}))
	got, err := d.FindEnvironmentByID(ctx, app.DefaultSpaceID, b.ID)
	mustOK(t, err)
	if got.Name != "B2" || got.SortOrder != b.SortOrder || b.SortOrder == 0 {
		t.Fatalf("after update: %+v, want name B2 at sort order %d", got, b.SortOrder)
	}
	es, _, err := d.FindEnvironments(ctx, app.Filter{SpaceID: app.DefaultSpaceID})
	mustOK(t, err)
	if len(es) != 2 || es[0].Name != "A" || es[1].Name != "B2" {
		t.Fatalf("order after update: %v", names(es, func(e *app.Environment) string { return e.Name }))
	}
}
