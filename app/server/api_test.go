package server_test

import (
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// prefixes are the two ways every space-scoped route is served.
var prefixes = []string{"/api/Spaces-1", "/api"}

func TestLoginAPIKeysAndAuthHeaders(t *testing.T) {
	s := startServer(t, t.TempDir())
	anon := newClient(t, s)

	// Anonymous calls to protected routes are 401 with the error body.
	anon.mustFail("GET", "/api/users/me", nil, http.StatusUnauthorized)

	cookie := anon.login(adminUser, adminPassword)
	var me struct {
		Id       string
		Username string
		IsActive bool
	}
	cookie.must("GET", "/api/users/me", nil, http.StatusOK, &me)
	if me.Username != adminUser || !me.IsActive || !strings.HasPrefix(me.Id, "Users-") {
		t.Fatalf("me = %+v", me)
	}

	var created struct {
		Id, UserId, Purpose, ApiKey string
		Created                     string
	}
	cookie.must("POST", "/api/users/"+me.Id+"/apikeys", map[string]string{"Purpose": "CI"}, http.StatusCreated, &created)
	if !regexp.MustCompile(`^API-[A-Z0-9]{26,}$`).MatchString(created.ApiKey) {
		t.Fatalf("ApiKey %q does not look like API-[A-Z0-9]{26,}", created.ApiKey)
	}
	if created.Purpose != "CI" || created.UserId != me.Id || !strings.HasPrefix(created.Id, "APIKeys-") {
		t.Fatalf("created key = %+v", created)
	}
	if _, err := time.Parse(time.RFC3339, created.Created); err != nil || !strings.HasSuffix(created.Created, "Z") {
		t.Fatalf("Created %q is not RFC 3339 with a zone: %v", created.Created, err)
	}

	// The key works in every accepted header shape.
	for _, h := range []struct{ name, value string }{
		{"X-Octopus-ApiKey", created.ApiKey},
		{"x-octopus-apikey", created.ApiKey},
		{"X-OCTOPUS-APIKEY", created.ApiKey},
		{"Authorization", "Bearer " + created.ApiKey},
	} {
		t.Run(h.name, func(t *testing.T) {
			var got struct{ Id string }
			anon.on(t).withHeader(h.name, h.value).must("GET", "/api/users/me", nil, http.StatusOK, &got)
			if got.Id != me.Id {
				t.Fatalf("me via %s = %s", h.name, got.Id)
			}
		})
	}
	keyClient := anon.withKey(created.ApiKey)

	// Listing keys never shows the key itself.
	status, body := keyClient.call("GET", "/api/users/me/apikeys", nil)
	if status != http.StatusOK || strings.Contains(string(body), created.ApiKey) || !strings.Contains(string(body), created.Id) {
		t.Fatalf("list keys: %d %s", status, body)
	}

	// Revoke: the key stops working at once, with the error body.
	cookie.must("DELETE", "/api/users/"+me.Id+"/apikeys/"+created.Id, nil, http.StatusNoContent, nil)
	e := keyClient.mustFail("GET", "/api/users/me", nil, http.StatusUnauthorized)
	if !strings.Contains(e.ErrorMessage, "API key") {
		t.Fatalf("revoked key message %q", e.ErrorMessage)
	}
	anon.withHeader("Authorization", "Bearer "+created.ApiKey).mustFail("GET", "/api/environments", nil, http.StatusUnauthorized)

	// Logout ends the cookie session.
	cookie.must("POST", "/api/users/logout", nil, http.StatusNoContent, nil)
	cookie.mustFail("GET", "/api/users/me", nil, http.StatusUnauthorized)
}

func TestRootAndSpaces(t *testing.T) {
	s := startServer(t, t.TempDir())
	c := adminClient(t, s)
	anon := newClient(t, s)
	for _, path := range []string{"/api", "/api/"} {
		var root struct {
			Application, Version, ApiVersion, InstallationId string
			Links                                            map[string]string
		}
		// The root is public: clients read it before they authenticate.
		anon.must("GET", path, nil, http.StatusOK, &root)
		if root.Application == "" || root.Version == "" || root.ApiVersion == "" || root.InstallationId == "" {
			t.Fatalf("%s: root = %+v", path, root)
		}
		for _, l := range []string{"Spaces", "CurrentUser", "Users", "Environments", "Projects", "ProjectGroups", "Lifecycles", "Machines"} {
			if root.Links[l] == "" {
				t.Errorf("%s: root lacks link %s", path, l)
			}
		}
	}

	var spaces paged[struct {
		Id, Name  string
		IsDefault bool
	}]
	c.must("GET", "/api/spaces", nil, http.StatusOK, &spaces)
	if spaces.ItemType != "Space" || spaces.TotalResults != 1 || spaces.Items[0].Id != "Spaces-1" || spaces.Items[0].Name != "Default" || !spaces.Items[0].IsDefault {
		t.Fatalf("spaces = %+v", spaces)
	}
	var all []resource
	c.must("GET", "/api/spaces/all", nil, http.StatusOK, &all)
	if len(all) != 1 || all[0].Id != "Spaces-1" {
		t.Fatalf("spaces/all = %+v", all)
	}
	var one resource
	c.must("GET", "/api/spaces/Spaces-1", nil, http.StatusOK, &one)
	if one.Name != "Default" {
		t.Fatalf("space = %+v", one)
	}
	c.mustFail("GET", "/api/spaces/Spaces-9", nil, http.StatusNotFound)

	for _, path := range []string{"/api/Spaces-1", "/api/Spaces-1/", "/api/spaces-1"} {
		var home struct{ Links map[string]string }
		c.must("GET", path, nil, http.StatusOK, &home)
		for _, l := range []string{"Self", "Environments", "Projects", "Releases", "Channels", "Tasks", "Machines", "Lifecycles", "ProjectGroups"} {
			if home.Links[l] == "" {
				t.Errorf("%s: space root lacks link %s", path, l)
			}
		}
	}
	c.mustFail("GET", "/api/Spaces-9", nil, http.StatusNotFound)
	c.mustFail("GET", "/api/Spaces-9/environments", nil, http.StatusNotFound)

	var caps struct{ Capabilities []string }
	anon.must("GET", "/api/capabilities", nil, http.StatusOK, &caps)
	if !slices.Contains(caps.Capabilities, "CreateReleaseCommandV1") {
		t.Fatalf("capabilities = %v", caps)
	}
	e := c.mustFail("GET", "/api/no-such-thing", nil, http.StatusNotFound)
	if !strings.Contains(e.ErrorMessage, "/api/no-such-thing") {
		t.Fatalf("unknown route message %q", e.ErrorMessage)
	}
}

type environment struct {
	Id, Name, Slug, Description, SpaceId string
	SortOrder                            int
	UseGuidedFailure                     bool
	AllowDynamicInfrastructure           bool
	LastModifiedOn                       string
	Links                                map[string]string
}

func TestEnvironmentsCRUD(t *testing.T) {
	s := startServer(t, t.TempDir())
	c := adminClient(t, s)
	for _, p := range prefixes {
		t.Run(p, func(t *testing.T) {
			c := c.on(t)
			name := "Dev " + strings.ReplaceAll(p, "/", "_")
			var e environment
			c.must("POST", p+"/environments", map[string]any{"Name": name, "Description": "first", "UseGuidedFailure": true}, http.StatusCreated, &e)
			if !strings.HasPrefix(e.Id, "Environments-") || e.Name != name || e.SpaceId != "Spaces-1" || !e.UseGuidedFailure || e.Links["Self"] == "" || e.SortOrder == 0 {
				t.Fatalf("created = %+v", e)
			}
			if _, err := time.Parse(time.RFC3339, e.LastModifiedOn); err != nil {
				t.Fatalf("LastModifiedOn %q: %v", e.LastModifiedOn, err)
			}
			var got environment
			c.must("GET", p+"/environments/"+e.Id, nil, http.StatusOK, &got)
			if got.Name != name || got.Description != "first" {
				t.Fatalf("get = %+v", got)
			}
			e.Name = name + " renamed"
			e.AllowDynamicInfrastructure = true
			c.must("PUT", p+"/environments/"+e.Id, e, http.StatusOK, &got)
			if got.Name != e.Name || !got.AllowDynamicInfrastructure || got.Id != e.Id {
				t.Fatalf("put = %+v", got)
			}
			var list paged[environment]
			c.must("GET", p+"/environments?partialName=renamed", nil, http.StatusOK, &list)
			if list.TotalResults != 1 || list.Items[0].Id != e.Id {
				t.Fatalf("list partialName = %+v", list)
			}
			c.must("GET", p+"/environments?name="+strings.ReplaceAll(strings.ToUpper(e.Name), " ", "%20"), nil, http.StatusOK, &list)
			if list.TotalResults != 1 {
				t.Fatalf("list by name = %+v", list)
			}
			var all []environment
			c.must("GET", p+"/environments/all?ids="+e.Id, nil, http.StatusOK, &all)
			if len(all) != 1 || all[0].Id != e.Id {
				t.Fatalf("all?ids = %+v", all)
			}
			// Octopus clients decode any non-empty DELETE answer as JSON.
			if status, body := c.call("DELETE", p+"/environments/"+e.Id, nil); status != http.StatusOK || len(body) != 0 {
				t.Fatalf("delete = %d %q, want 200 with an empty body", status, body)
			}
			e404 := c.mustFail("GET", p+"/environments/"+e.Id, nil, http.StatusNotFound)
			if e404.ErrorMessage != fmt.Sprintf("The resource '%s' was not found.", e.Id) {
				t.Fatalf("404 message %q", e404.ErrorMessage)
			}
		})
	}
}

func TestEnvironmentSortOrder(t *testing.T) {
	s := startServer(t, t.TempDir())
	c := adminClient(t, s)
	var ids []string
	for _, n := range []string{"A", "B", "C"} {
		var e environment
		c.must("POST", "/api/environments", map[string]any{"Name": n}, http.StatusCreated, &e)
		ids = append(ids, e.Id)
	}
	for _, p := range prefixes {
		t.Run(p, func(t *testing.T) {
			c := c.on(t)
			slices.Reverse(ids)
			var got []environment
			c.must("PUT", p+"/environments/sortorder", ids, http.StatusOK, &got)
			var all []environment
			c.must("GET", p+"/environments/all", nil, http.StatusOK, &all)
			gotIDs := names(all, func(e environment) string { return e.Id })
			if !slices.Equal(gotIDs, ids) {
				t.Fatalf("order = %v, want %v", gotIDs, ids)
			}
			for i, e := range all {
				if e.SortOrder != i+1 {
					t.Fatalf("SortOrder of %s = %d, want %d", e.Id, e.SortOrder, i+1)
				}
			}
			c.mustFail("PUT", p+"/environments/sortorder", ids[:2], http.StatusBadRequest)
		})
	}
}

type projectGroup struct {
	Id, Name, Description, SpaceId string
	Links                          map[string]string
}

func TestProjectGroupsCRUD(t *testing.T) {
	s := startServer(t, t.TempDir())
	c := adminClient(t, s)
	var seeded projectGroup
	c.must("GET", "/api/projectgroups/ProjectGroups-1", nil, http.StatusOK, &seeded)
	if seeded.Name != "Default Project Group" {
		t.Fatalf("seeded group = %+v", seeded)
	}
	for i, p := range prefixes {
		t.Run(p, func(t *testing.T) {
			c := c.on(t)
			name := fmt.Sprintf("Group %d", i)
			var g projectGroup
			c.must("POST", p+"/projectgroups", map[string]any{"Name": name, "Description": "d"}, http.StatusCreated, &g)
			if !strings.HasPrefix(g.Id, "ProjectGroups-") || g.Name != name || g.SpaceId != "Spaces-1" {
				t.Fatalf("created = %+v", g)
			}
			g.Description = "changed"
			c.must("PUT", p+"/projectgroups/"+g.Id, g, http.StatusOK, &g)
			var got projectGroup
			c.must("GET", p+"/projectgroups/"+g.Id, nil, http.StatusOK, &got)
			if got.Description != "changed" {
				t.Fatalf("get after put = %+v", got)
			}
			var list paged[projectGroup]
			c.must("GET", p+"/projectgroups", nil, http.StatusOK, &list)
			if list.TotalResults != 2 {
				t.Fatalf("list = %+v", list)
			}
			var all []projectGroup
			c.must("GET", p+"/projectgroups/all", nil, http.StatusOK, &all)
			if len(all) != 2 {
				t.Fatalf("all = %+v", all)
			}
			c.must("DELETE", p+"/projectgroups/"+g.Id, nil, http.StatusOK, nil)
			c.mustFail("GET", p+"/projectgroups/"+g.Id, nil, http.StatusNotFound)
		})
	}
}

type phase struct {
	Id, Name                           string
	AutomaticDeploymentTargets         []string
	OptionalDeploymentTargets          []string
	MinimumEnvironmentsBeforePromotion int
	IsOptionalPhase                    bool
}

type lifecycle struct {
	Id, Name, Description, SpaceId string
	Phases                         []phase
	ReleaseRetentionPolicy         struct {
		QuantityToKeep    int
		ShouldKeepForever bool
		Unit              string
	}
	Links map[string]string
}

func TestLifecyclesCRUD(t *testing.T) {
	s := startServer(t, t.TempDir())
	c := adminClient(t, s)
	var dev, prod environment
	c.must("POST", "/api/environments", map[string]any{"Name": "Dev"}, http.StatusCreated, &dev)
	c.must("POST", "/api/environments", map[string]any{"Name": "Prod"}, http.StatusCreated, &prod)
	for i, p := range prefixes {
		t.Run(p, func(t *testing.T) {
			c := c.on(t)
			body := map[string]any{
				"Name": fmt.Sprintf("Release train %d", i),
				"Phases": []map[string]any{
					{"Name": "Development", "AutomaticDeploymentTargets": []string{dev.Id}},
					{"Name": "Production", "OptionalDeploymentTargets": []string{prod.Id}, "MinimumEnvironmentsBeforePromotion": 1},
				},
				"ReleaseRetentionPolicy": map[string]any{"QuantityToKeep": 5, "Unit": "Items", "ShouldKeepForever": false},
			}
			var l lifecycle
			c.must("POST", p+"/lifecycles", body, http.StatusCreated, &l)
			if !strings.HasPrefix(l.Id, "Lifecycles-") || len(l.Phases) != 2 || l.Phases[0].AutomaticDeploymentTargets[0] != dev.Id ||
				l.Phases[1].OptionalDeploymentTargets[0] != prod.Id || l.Phases[1].MinimumEnvironmentsBeforePromotion != 1 ||
				l.ReleaseRetentionPolicy.QuantityToKeep != 5 || l.ReleaseRetentionPolicy.Unit != "Items" {
				t.Fatalf("created = %+v", l)
			}
			l.Phases = l.Phases[:1]
			l.Description = "shorter"
			c.must("PUT", p+"/lifecycles/"+l.Id, l, http.StatusOK, &l)
			var got lifecycle
			c.must("GET", p+"/lifecycles/"+l.Id, nil, http.StatusOK, &got)
			if len(got.Phases) != 1 || got.Description != "shorter" {
				t.Fatalf("get after put = %+v", got)
			}
			var list paged[lifecycle]
			c.must("GET", p+"/lifecycles", nil, http.StatusOK, &list)
			if list.TotalResults != 2 {
				t.Fatalf("list = %d", list.TotalResults)
			}
			var all []lifecycle
			c.must("GET", p+"/lifecycles/all", nil, http.StatusOK, &all)
			if len(all) != 2 {
				t.Fatalf("all = %d", len(all))
			}
			// An environment in a phase cannot be deleted.
			c.mustFail("DELETE", p+"/environments/"+dev.Id, nil, http.StatusConflict)
			c.must("DELETE", p+"/lifecycles/"+l.Id, nil, http.StatusOK, nil)
			c.mustFail("GET", p+"/lifecycles/"+l.Id, nil, http.StatusNotFound)
		})
	}
	// A phase naming an unknown environment is refused.
	c.mustFail("POST", "/api/lifecycles", map[string]any{"Name": "X", "Phases": []map[string]any{{"Name": "P", "AutomaticDeploymentTargets": []string{"Environments-99"}}}}, http.StatusBadRequest)
}

type project struct {
	Id, Name, Slug, Description, LifecycleId, ProjectGroupId, SpaceId string
	DeploymentProcessId, VariableSetId                                string
	IsDisabled, AutoCreateRelease                                     bool
	Links                                                             map[string]string
}

func TestProjectsCRUD(t *testing.T) {
	s := startServer(t, t.TempDir())
	c := adminClient(t, s)
	for i, p := range prefixes {
		t.Run(p, func(t *testing.T) {
			c := c.on(t)
			name := fmt.Sprintf("Acme Web %d", i)
			var pr project
			c.must("POST", p+"/projects", map[string]any{"Name": name, "LifecycleId": "Lifecycles-1", "ProjectGroupId": "ProjectGroups-1"}, http.StatusCreated, &pr)
			if !strings.HasPrefix(pr.Id, "Projects-") || pr.Slug != fmt.Sprintf("acme-web-%d", i) || pr.SpaceId != "Spaces-1" ||
				pr.DeploymentProcessId != "deploymentprocess-"+pr.Id || pr.VariableSetId != "variableset-"+pr.Id ||
				pr.Links["DeploymentSettings"] == "" || pr.Links["Channels"] == "" {
				t.Fatalf("created = %+v", pr)
			}
			// Looked up by ID, slug or name.
			for _, key := range []string{pr.Id, pr.Slug, strings.ReplaceAll(name, " ", "%20")} {
				var got project
				c.must("GET", p+"/projects/"+key, nil, http.StatusOK, &got)
				if got.Id != pr.Id {
					t.Fatalf("lookup %q = %+v", key, got)
				}
			}
			// Its Default channel, deployment process and variable set exist.
			var chans paged[struct {
				Id, Name, ProjectId string
				IsDefault           bool
			}]
			c.must("GET", p+"/projects/"+pr.Id+"/channels", nil, http.StatusOK, &chans)
			if chans.TotalResults != 1 || chans.Items[0].Name != "Default" || !chans.Items[0].IsDefault || chans.Items[0].ProjectId != pr.Id {
				t.Fatalf("channels = %+v", chans)
			}
			c.must("GET", p+"/channels/"+chans.Items[0].Id, nil, http.StatusOK, nil)
			var dp struct {
				Id, ProjectId string
				Steps         []any
			}
			c.must("GET", p+"/deploymentprocesses/"+pr.DeploymentProcessId, nil, http.StatusOK, &dp)
			if dp.ProjectId != pr.Id || dp.Steps == nil {
				t.Fatalf("deployment process = %+v", dp)
			}
			var vs struct{ Id, OwnerId string }
			c.must("GET", p+"/variables/"+pr.VariableSetId, nil, http.StatusOK, &vs)
			if vs.OwnerId != pr.Id {
				t.Fatalf("variable set = %+v", vs)
			}
			c.must("GET", p+"/projects/"+pr.Id+"/deploymentsettings", nil, http.StatusOK, nil)

			var list paged[project]
			c.must("GET", p+fmt.Sprintf("/projects?partialName=web%%20%d", i), nil, http.StatusOK, &list)
			if list.TotalResults != 1 || list.Items[0].Id != pr.Id {
				t.Fatalf("partialName list = %+v", list)
			}

			pr.Description = "updated"
			pr.IsDisabled = true
			var got project
			c.must("PUT", p+"/projects/"+pr.Id, pr, http.StatusOK, &got)
			if got.Description != "updated" || !got.IsDisabled || got.Slug != pr.Slug {
				t.Fatalf("put = %+v", got)
			}
			var inGroup paged[project]
			c.must("GET", p+"/projectgroups/ProjectGroups-1/projects", nil, http.StatusOK, &inGroup)
			if inGroup.TotalResults != 1 {
				t.Fatalf("projects in group = %d", inGroup.TotalResults)
			}
			// The group and lifecycle it uses cannot be deleted.
			c.mustFail("DELETE", p+"/projectgroups/ProjectGroups-1", nil, http.StatusConflict)
			c.mustFail("DELETE", p+"/lifecycles/Lifecycles-1", nil, http.StatusConflict)

			c.must("DELETE", p+"/projects/"+pr.Id, nil, http.StatusOK, nil)
			c.mustFail("GET", p+"/projects/"+pr.Id, nil, http.StatusNotFound)
			c.mustFail("GET", p+"/deploymentprocesses/"+pr.DeploymentProcessId, nil, http.StatusNotFound)
			c.mustFail("GET", p+"/variables/"+pr.VariableSetId, nil, http.StatusNotFound)
			c.mustFail("GET", p+"/channels/"+chans.Items[0].Id, nil, http.StatusNotFound)
		})
	}
}

type endpoint struct {
	CommunicationStyle string
	Uri                string `json:",omitempty"`
	Thumbprint         string `json:",omitempty"`
	Host               string `json:",omitempty"`
	Port               int    `json:",omitempty"`
	Username           string `json:",omitempty"`
	DropFolderPath     string `json:",omitempty"`
}

type machine struct {
	Id, Name, SpaceId, HealthStatus, Status string
	Roles, EnvironmentIds                   []string
	IsDisabled                              bool
	Endpoint                                endpoint
	Thumbprint                              string
	Links                                   map[string]string
}

func TestMachinesCRUD(t *testing.T) {
	s := startServer(t, t.TempDir())
	c := adminClient(t, s)
	var env environment
	c.must("POST", "/api/environments", map[string]any{"Name": "Prod"}, http.StatusCreated, &env)
	thumb := strings.Repeat("AB", 20)
	endpoints := map[string]endpoint{
		"None":            {CommunicationStyle: "None"},
		"OfflineDrop":     {CommunicationStyle: "OfflineDrop", DropFolderPath: "/srv/drop"},
		"Ssh":             {CommunicationStyle: "Ssh", Host: "web.example", Port: 22, Username: "deploy"},
		"TentaclePassive": {CommunicationStyle: "TentaclePassive", Uri: "https://web.example:10933/", Thumbprint: strings.ToLower(thumb)},
		"TentacleActive":  {CommunicationStyle: "TentacleActive", Uri: "poll://abcdefghij/", Thumbprint: thumb},
	}
	for _, p := range prefixes {
		for style, ep := range endpoints {
			t.Run(p+"/"+style, func(t *testing.T) {
				c := c.on(t)
				name := style + strings.ReplaceAll(p, "/", "-")
				var m machine
				c.must("POST", p+"/machines", map[string]any{"Name": name, "Roles": []string{"web", style}, "EnvironmentIds": []string{env.Id}, "Endpoint": ep}, http.StatusCreated, &m)
				if !strings.HasPrefix(m.Id, "Machines-") || m.Endpoint.CommunicationStyle != style || m.HealthStatus == "" || m.Status == "" ||
					!slices.Equal(m.EnvironmentIds, []string{env.Id}) || !slices.Contains(m.Roles, "web") {
					t.Fatalf("created = %+v", m)
				}
				if ep.Thumbprint != "" && m.Endpoint.Thumbprint != thumb {
					t.Fatalf("thumbprint = %q, want upper-case %q", m.Endpoint.Thumbprint, thumb)
				}
				if ep.Uri != "" && m.Endpoint.Uri != ep.Uri {
					t.Fatalf("uri = %q", m.Endpoint.Uri)
				}
				m.IsDisabled = true
				var got machine
				c.must("PUT", p+"/machines/"+m.Id, m, http.StatusOK, &got)
				if !got.IsDisabled || got.Endpoint.CommunicationStyle != style {
					t.Fatalf("put = %+v", got)
				}
				c.must("GET", p+"/machines/"+m.Id, nil, http.StatusOK, &got)
				if got.Name != name {
					t.Fatalf("get = %+v", got)
				}
				var roles []string
				c.must("GET", p+"/machineroles/all", nil, http.StatusOK, &roles)
				if !slices.Contains(roles, "web") || !slices.Contains(roles, style) {
					t.Fatalf("roles = %v", roles)
				}
				var list paged[machine]
				c.must("GET", p+"/machines?roles="+style, nil, http.StatusOK, &list)
				if list.TotalResults != 1 || list.Items[0].Id != m.Id {
					t.Fatalf("by role = %+v", list)
				}
				c.must("GET", p+"/environments/"+env.Id+"/machines", nil, http.StatusOK, &list)
				if list.TotalResults != 1 {
					t.Fatalf("machines of environment = %d", list.TotalResults)
				}
				// The environment cannot go while the target uses it.
				e := c.mustFail("DELETE", p+"/environments/"+env.Id, nil, http.StatusConflict)
				if !strings.Contains(e.ErrorMessage, name) {
					t.Fatalf("message %q does not name the target", e.ErrorMessage)
				}
				c.must("DELETE", p+"/machines/"+m.Id, nil, http.StatusOK, nil)
				c.mustFail("GET", p+"/machines/"+m.Id, nil, http.StatusNotFound)
				var all []machine
				c.must("GET", p+"/machines/all", nil, http.StatusOK, &all)
				if len(all) != 0 {
					t.Fatalf("machines left: %+v", all)
				}
			})
		}
	}
	c.must("DELETE", "/api/environments/"+env.Id, nil, http.StatusOK, nil)
}

func TestPagingFollowsNext(t *testing.T) {
	s := startServer(t, t.TempDir())
	c := adminClient(t, s)
	for i := range 35 {
		c.must("POST", "/api/environments", map[string]any{"Name": fmt.Sprintf("Env %02d", i)}, http.StatusCreated, nil)
	}
	for _, p := range prefixes {
		t.Run(p, func(t *testing.T) {
			c := c.on(t)
			seen := map[string]int{}
			next := p + "/environments"
			pages := 0
			for next != "" {
				var pg paged[environment]
				c.must("GET", next, nil, http.StatusOK, &pg)
				pages++
				if pg.TotalResults != 35 || pg.ItemType != "Environment" || pg.ItemsPerPage != 30 || pg.NumberOfPages != 2 || pg.LastPageNumber != 1 {
					t.Fatalf("envelope = %+v", pg)
				}
				for _, l := range []string{"Self", "Page.All", "Page.Current", "Page.Last"} {
					if pg.Links[l] == "" {
						t.Fatalf("envelope lacks %s link", l)
					}
				}
				for _, e := range pg.Items {
					seen[e.Name]++
				}
				next = pg.Links["Page.Next"]
				if pages > 5 {
					t.Fatal("Page.Next never ends")
				}
			}
			if pages != 2 || len(seen) != 35 {
				t.Fatalf("%d pages, %d distinct environments", pages, len(seen))
			}
			for n, k := range seen {
				if k != 1 {
					t.Fatalf("%s seen %d times", n, k)
				}
			}
			// Smaller pages and an explicit skip work too.
			var pg paged[environment]
			c.must("GET", p+"/environments?skip=30&take=10", nil, http.StatusOK, &pg)
			if len(pg.Items) != 5 || pg.Links["Page.Next"] != "" {
				t.Fatalf("last page = %d items, next %q", len(pg.Items), pg.Links["Page.Next"])
			}
		})
	}
}

// TestChunkedBodies sends requests without a Content-Length, as some
// clients (and uploads) do.
func TestChunkedBodies(t *testing.T) {
	s := startServer(t, t.TempDir())
	c := adminClient(t, s)
	for i, p := range prefixes {
		pr, pw := io.Pipe()
		go func() {
			// Two writes become two chunks.
			fmt.Fprint(pw, `{"Name": "Chunked`)
			fmt.Fprintf(pw, ` %d", "Description": "sent in pieces"}`, i)
			pw.Close()
		}()
		var e environment
		c.must("POST", p+"/environments", pr, http.StatusCreated, &e)
		if e.Name != fmt.Sprintf("Chunked %d", i) || e.Description != "sent in pieces" {
			t.Fatalf("created = %+v", e)
		}
	}
}

func TestRestartKeepsEverything(t *testing.T) {
	dir := t.TempDir()
	s := startServer(t, dir)
	admin := newClient(t, s).login(adminUser, adminPassword)
	keyID, key := admin.newAPIKey("survives")
	c := newClient(t, s).withKey(key)

	var env environment
	c.must("POST", "/api/environments", map[string]any{"Name": "Staging"}, http.StatusCreated, &env)
	var g projectGroup
	c.must("POST", "/api/projectgroups", map[string]any{"Name": "Team"}, http.StatusCreated, &g)
	var l lifecycle
	c.must("POST", "/api/lifecycles", map[string]any{"Name": "Fast", "Phases": []map[string]any{{"Name": "Only", "AutomaticDeploymentTargets": []string{env.Id}}}}, http.StatusCreated, &l)
	var pr project
	c.must("POST", "/api/projects", map[string]any{"Name": "Shop", "LifecycleId": l.Id, "ProjectGroupId": g.Id}, http.StatusCreated, &pr)
	var m machine
	c.must("POST", "/api/machines", map[string]any{"Name": "box", "EnvironmentIds": []string{env.Id}, "Roles": []string{"db"},
		"Endpoint": map[string]any{"CommunicationStyle": "Ssh", "Host": "h", "Port": 22, "Username": "u"}}, http.StatusCreated, &m)
	var user struct{ Id string }
	c.must("POST", "/api/users", map[string]any{"Username": "viewer", "Password": "viewer-password"}, http.StatusCreated, &user)
	var root1 struct{ InstallationId string }
	c.must("GET", "/api", nil, http.StatusOK, &root1)
	stopServer(t, s)

	s2 := startServer(t, dir)
	// The old API key still works.
	c2 := newClient(t, s2).withKey(key)
	var root2 struct{ InstallationId string }
	c2.must("GET", "/api", nil, http.StatusOK, &root2)
	if root1.InstallationId != root2.InstallationId {
		t.Fatalf("installation id changed: %s -> %s", root1.InstallationId, root2.InstallationId)
	}
	var gotEnv environment
	c2.must("GET", "/api/environments/"+env.Id, nil, http.StatusOK, &gotEnv)
	var gotGroup projectGroup
	c2.must("GET", "/api/projectgroups/"+g.Id, nil, http.StatusOK, &gotGroup)
	var gotLC lifecycle
	c2.must("GET", "/api/lifecycles/"+l.Id, nil, http.StatusOK, &gotLC)
	if len(gotLC.Phases) != 1 || gotLC.Phases[0].AutomaticDeploymentTargets[0] != env.Id {
		t.Fatalf("lifecycle after restart = %+v", gotLC)
	}
	var gotPr project
	c2.must("GET", "/api/projects/shop", nil, http.StatusOK, &gotPr)
	if gotPr.Id != pr.Id || gotPr.LifecycleId != l.Id || gotPr.ProjectGroupId != g.Id {
		t.Fatalf("project after restart = %+v", gotPr)
	}
	var gotM machine
	c2.must("GET", "/api/machines/"+m.Id, nil, http.StatusOK, &gotM)
	if gotM.Endpoint.Host != "h" || gotM.Roles[0] != "db" {
		t.Fatalf("machine after restart = %+v", gotM)
	}
	var keys paged[struct{ Id string }]
	c2.must("GET", "/api/users/me/apikeys", nil, http.StatusOK, &keys)
	if keys.TotalResults != 1 || keys.Items[0].Id != keyID {
		t.Fatalf("keys after restart = %+v", keys)
	}
	// Both users can still sign in.
	newClient(t, s2).login(adminUser, adminPassword)
	newClient(t, s2).login("viewer", "viewer-password")
	// Counters continue.
	var env2 environment
	c2.must("POST", "/api/environments", map[string]any{"Name": "Production"}, http.StatusCreated, &env2)
	if env2.Id != "Environments-2" {
		t.Fatalf("next environment after restart = %s, want Environments-2", env2.Id)
	}
}
