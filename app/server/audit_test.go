package server_test

import (
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// eventDoc is an audit event as GET /api/events returns it.
type eventDoc struct {
	Id                 string
	Category           string
	Message            string
	RelatedDocumentIds []string
	UserId             string
	Username           string
	SpaceId            string
}

// TestAuditOneEventPerChange: every change made through the API writes
// exactly one audit event (same transaction: the storage writes it with the
// change), naming the category, the caller and the changed document; and
// the API offers no way to write, edit or delete events.
func TestAuditOneEventPerChange(t *testing.T) {
	s := startServer(t, t.TempDir())
	admin := adminClient(t, s)
	var me struct{ Id, Username string }
	admin.must("GET", "/api/users/me", nil, http.StatusOK, &me)

	events := func(t *testing.T) paged[eventDoc] {
		t.Helper()
		var p paged[eventDoc]
		admin.must("GET", "/api/events?take=1000", nil, http.StatusOK, &p)
		return p
	}
	// change runs do, then requires exactly one new event, of category,
	// by the admin, regarding the ID related returns (after do ran), with
	// a message containing what.
	change := func(name, category, what string, do func(t *testing.T), related func() string) {
		t.Run(name, func(t *testing.T) {
			before := events(t).TotalResults
			do(t)
			after := events(t)
			if got := after.TotalResults - before; got != 1 {
				t.Fatalf("%d new events, want exactly 1: %+v", got, after.Items[:min(len(after.Items), max(got, 1))])
			}
			e := after.Items[0] // newest first
			if e.Category != category || e.UserId != me.Id || e.Username != me.Username ||
				!slices.Contains(e.RelatedDocumentIds, related()) || !strings.Contains(e.Message, what) {
				t.Errorf("event = %+v, want %s by %s regarding %s saying %q", e, category, me.Username, related(), what)
			}
		})
	}

	var env, lc, proj resource
	var userID, keyID, releaseID, deploymentID, taskID, pkgID string
	var dp processDoc
	// While hold exists the deployment's script waits, so that a task can
	// be cancelled while it runs.
	hold := filepath.Join(t.TempDir(), "hold")
	change("create environment", "Created", "Audited", func(t *testing.T) {
		admin.on(t).must("POST", "/api/Spaces-1/environments", map[string]any{"Name": "Audited"}, http.StatusCreated, &env)
	}, func() string { return env.Id })
	change("update environment", "Modified", "Audited Again", func(t *testing.T) {
		admin.on(t).must("PUT", "/api/Spaces-1/environments/"+env.Id, map[string]any{"Name": "Audited Again"}, http.StatusOK, nil)
	}, func() string { return env.Id })
	change("create lifecycle", "Created", "Audit train", func(t *testing.T) {
		admin.on(t).must("POST", "/api/lifecycles", map[string]any{"Name": "Audit train",
			"Phases": []map[string]any{{"Name": "Only", "OptionalDeploymentTargets": []string{env.Id}}}}, http.StatusCreated, &lc)
	}, func() string { return lc.Id })
	change("update lifecycle", "Modified", "Audit train 2", func(t *testing.T) {
		admin.on(t).must("PUT", "/api/lifecycles/"+lc.Id, map[string]any{"Name": "Audit train 2",
			"Phases": []map[string]any{{"Name": "Only", "OptionalDeploymentTargets": []string{env.Id}}}}, http.StatusOK, nil)
	}, func() string { return lc.Id })
	change("create project", "Created", "Audit shop", func(t *testing.T) {
		admin.on(t).must("POST", "/api/Spaces-1/projects", map[string]any{"Name": "Audit shop", "LifecycleId": lc.Id,
			"ProjectGroupId": "ProjectGroups-1"}, http.StatusCreated, &proj)
	}, func() string { return proj.Id })
	change("update project", "Modified", "Audit shop", func(t *testing.T) {
		admin.on(t).must("PUT", "/api/Spaces-1/projects/"+proj.Id, map[string]any{"Name": "Audit shop", "LifecycleId": lc.Id,
			"ProjectGroupId": "ProjectGroups-1", "Description": "changed"}, http.StatusOK, nil)
	}, func() string { return proj.Id })
	change("put deployment process", "Modified", "Audit shop", func(t *testing.T) {
		admin.on(t).must("PUT", proj.Links["DeploymentProcess"], map[string]any{"Version": 0,
			"Steps": []any{runOnServer("Say", "echo audited; while [ -e '"+hold+"' ]; do sleep 0.05; done")}}, http.StatusOK, &dp)
	}, func() string { return proj.Id })
	change("put variables", "Modified", "", func(t *testing.T) {
		var vs map[string]any
		admin.on(t).must("GET", proj.Links["Variables"], nil, http.StatusOK, &vs)
		vs["Variables"] = []map[string]any{{"Name": "Greeting", "Value": "hello"}}
		admin.on(t).must("PUT", proj.Links["Variables"], vs, http.StatusOK, nil)
	}, func() string { return proj.Id })
	change("create release", "Created", "1.0.0", func(t *testing.T) {
		var r struct{ Id string }
		admin.on(t).must("POST", "/api/Spaces-1/releases", map[string]any{"ProjectId": proj.Id, "Version": "1.0.0"}, http.StatusCreated, &r)
		releaseID = r.Id
	}, func() string { return releaseID })
	change("create deployment", "DeploymentQueued", "1.0.0", func(t *testing.T) {
		var d struct{ Id, TaskId string }
		admin.on(t).must("POST", "/api/Spaces-1/deployments", map[string]any{"ReleaseId": releaseID, "EnvironmentId": env.Id},
			http.StatusCreated, &d)
		deploymentID, taskID = d.Id, d.TaskId
		// Running the deployment is not a change through the API: it
		// adds no event of its own.
		if done := waitTask(t, admin.on(t), taskID, 30*time.Second, completed); done.State != "Success" {
			t.Fatalf("deployment: %+v", done)
		}
	}, func() string { return deploymentID })
	var rerunID string
	// Rerunning a deployment's task is a new deployment of the same release
	// with the same options: one DeploymentQueued event for the new task.
	change("rerun task", "DeploymentQueued", "was queued", func(t *testing.T) {
		if err := os.WriteFile(hold, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		var r struct{ Id string }
		admin.on(t).must("POST", "/api/tasks/rerun/"+taskID, nil, http.StatusOK, &r)
		rerunID = r.Id
	}, func() string { return rerunID })
	change("cancel task", "TaskCanceled", "was canceled", func(t *testing.T) {
		admin.on(t).must("POST", "/api/tasks/"+rerunID+"/cancel", nil, http.StatusOK, nil)
		// The task ends Canceled without another event.
		if done := waitTask(t, admin.on(t), rerunID, 30*time.Second, completed); done.State != "Canceled" {
			t.Fatalf("cancelled task: %+v", done)
		}
		os.Remove(hold)
	}, func() string { return rerunID })
	change("push package", "Created", "Audit.Pkg", func(t *testing.T) {
		var p struct{ Id string }
		admin.on(t).must("POST", "/api/Spaces-1/packages/raw?fileName=Audit.Pkg.1.0.0.zip",
			zipOf(t, map[string]string{"a.txt": "a"}), http.StatusCreated, &p)
		pkgID = p.Id
	}, func() string { return pkgID })
	change("create user", "Created", "auditee", func(t *testing.T) {
		var u struct{ Id string }
		admin.on(t).must("POST", "/api/users", map[string]any{"Username": "auditee", "Password": "auditee-password"}, http.StatusCreated, &u)
		userID = u.Id
	}, func() string { return userID })
	change("create API key", "Created", "API key", func(t *testing.T) {
		var k struct{ Id string }
		admin.on(t).must("POST", "/api/users/"+userID+"/apikeys", map[string]any{"Purpose": "audit"}, http.StatusCreated, &k)
		keyID = k.Id
	}, func() string { return keyID })
	change("revoke API key", "Deleted", "API key", func(t *testing.T) {
		admin.on(t).must("DELETE", "/api/users/"+userID+"/apikeys/"+keyID, nil, http.StatusNoContent, nil)
	}, func() string { return keyID })
	change("delete release", "Deleted", "1.0.0", func(t *testing.T) {
		admin.on(t).must("DELETE", "/api/Spaces-1/releases/"+releaseID, nil, http.StatusOK, nil)
	}, func() string { return releaseID })
	change("delete project", "Deleted", "Audit shop", func(t *testing.T) {
		admin.on(t).must("DELETE", "/api/Spaces-1/projects/"+proj.Id, nil, http.StatusOK, nil)
	}, func() string { return proj.Id })
	change("delete lifecycle", "Deleted", "Audit train 2", func(t *testing.T) {
		admin.on(t).must("DELETE", "/api/lifecycles/"+lc.Id, nil, http.StatusOK, nil)
	}, func() string { return lc.Id })
	change("delete package", "Deleted", "Audit.Pkg", func(t *testing.T) {
		admin.on(t).must("DELETE", "/api/Spaces-1/packages/"+pkgID, nil, http.StatusOK, nil)
	}, func() string { return pkgID })

	var spare, group, machine, lib resource
	change("create second environment", "Created", "Spare", func(t *testing.T) {
		admin.on(t).must("POST", "/api/Spaces-1/environments", map[string]any{"Name": "Spare"}, http.StatusCreated, &spare)
	}, func() string { return spare.Id })
	change("sort environments", "Modified", "reordered", func(t *testing.T) {
		admin.on(t).must("PUT", "/api/Spaces-1/environments/sortorder", []string{spare.Id, env.Id}, http.StatusOK, nil)
	}, func() string { return spare.Id })
	change("delete environment", "Deleted", "Spare", func(t *testing.T) {
		admin.on(t).must("DELETE", "/api/Spaces-1/environments/"+spare.Id, nil, http.StatusOK, nil)
	}, func() string { return spare.Id })
	change("create project group", "Created", "Audit group", func(t *testing.T) {
		admin.on(t).must("POST", "/api/Spaces-1/projectgroups", map[string]any{"Name": "Audit group"}, http.StatusCreated, &group)
	}, func() string { return group.Id })
	change("delete project group", "Deleted", "Audit group", func(t *testing.T) {
		admin.on(t).must("DELETE", "/api/Spaces-1/projectgroups/"+group.Id, nil, http.StatusOK, nil)
	}, func() string { return group.Id })
	change("create machine", "Created", "audit-target", func(t *testing.T) {
		admin.on(t).must("POST", "/api/Spaces-1/machines", map[string]any{"Name": "audit-target", "Roles": []string{"web"},
			"EnvironmentIds": []string{env.Id}, "Endpoint": map[string]any{"CommunicationStyle": "None"}}, http.StatusCreated, &machine)
	}, func() string { return machine.Id })
	change("delete machine", "Deleted", "audit-target", func(t *testing.T) {
		admin.on(t).must("DELETE", "/api/Spaces-1/machines/"+machine.Id, nil, http.StatusOK, nil)
	}, func() string { return machine.Id })
	change("create library variable set", "Created", "Audit library", func(t *testing.T) {
		admin.on(t).must("POST", "/api/Spaces-1/libraryvariablesets", map[string]any{"Name": "Audit library"}, http.StatusCreated, &lib)
	}, func() string { return lib.Id })

	// The portal's forms change through the same storage.
	browser := portalClient()
	token := formToken(t, browser, s.URL+"/app/login")
	if resp, _ := postForm(t, browser, s.URL+"/app/login", url.Values{"csrf_token": {token}, "username": {adminUser},
		"password": {adminPassword}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("portal sign-in: %d", resp.StatusCode)
	}
	var portalEnv string
	change("portal: create environment", "Created", "From the portal", func(t *testing.T) {
		token := formToken(t, browser, s.URL+"/app/infrastructure/environments/new")
		resp, _ := postForm(t, browser, s.URL+"/app/infrastructure/environments", url.Values{"csrf_token": {token}, "name": {"From the portal"}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("create: %d", resp.StatusCode)
		}
		var list paged[resource]
		admin.on(t).must("GET", "/api/Spaces-1/environments?name="+url.QueryEscape("From the portal"), nil, http.StatusOK, &list)
		portalEnv = list.Items[0].Id
	}, func() string { return portalEnv })
	change("portal: delete environment", "Deleted", "From the portal", func(t *testing.T) {
		token := formToken(t, browser, s.URL+"/app/infrastructure/environments/"+portalEnv+"/delete")
		resp, _ := postForm(t, browser, s.URL+"/app/infrastructure/environments/"+portalEnv+"/delete", url.Values{"csrf_token": {token}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("delete: %d", resp.StatusCode)
		}
	}, func() string { return portalEnv })

	// A refused change writes nothing.
	t.Run("refused changes", func(t *testing.T) {
		before := events(t).TotalResults
		admin.on(t).mustFail("POST", "/api/Spaces-1/environments", map[string]any{"Name": ""}, http.StatusBadRequest)
		admin.on(t).mustFail("DELETE", "/api/Spaces-1/environments/Environments-999", nil, http.StatusNotFound)
		admin.on(t).must("POST", "/api/tasks/"+taskID+"/cancel", nil, http.StatusOK, nil) // completed: nothing to cancel
		if got := events(t).TotalResults - before; got != 0 {
			t.Errorf("%d events for refused changes, want 0", got)
		}
	})

	t.Run("events cannot be changed", func(t *testing.T) {
		all := events(t)
		if all.TotalResults == 0 {
			t.Fatal("no events")
		}
		id := all.Items[0].Id
		var one eventDoc
		admin.on(t).must("GET", "/api/events/"+id, nil, http.StatusOK, &one)
		if one.Id != id || one.Message != all.Items[0].Message {
			t.Errorf("GET /api/events/%s = %+v, want %+v", id, one, all.Items[0])
		}
		admin.on(t).mustFail("GET", "/api/events/Events-999999", nil, http.StatusNotFound)
		for _, path := range []string{"/api/events", "/api/events/" + id, "/api/Spaces-1/events", "/api/Spaces-1/events/" + id} {
			for _, method := range []string{"POST", "PUT", "PATCH", "DELETE"} {
				status, body := admin.on(t).call(method, path, map[string]any{"Id": id, "Message": "rewritten"})
				if status != http.StatusNotFound && status != http.StatusMethodNotAllowed {
					t.Errorf("%s %s = %d %s, want 404 or 405", method, path, status, body)
				}
			}
		}
		after := events(t)
		summary := func(p paged[eventDoc]) []string {
			return names(p.Items, func(e eventDoc) string { return e.Id + " " + e.Category + " " + e.Message })
		}
		if !slices.Equal(summary(after), summary(all)) {
			t.Errorf("the events changed:\nbefore %q\nafter  %q", summary(all), summary(after))
		}
	})
}
