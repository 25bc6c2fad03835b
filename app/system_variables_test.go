package app

import (
	"reflect"
	"testing"
	"time"
)

func TestSystemVariables(t *testing.T) {
	created := time.Date(2024, 5, 6, 7, 8, 9, 0, time.FixedZone("CEST", 2*3600))
	full := SystemContext{
		ServerURI: "https://deploy.example.com",
		Space:     Space{ID: "Spaces-1", Name: "Default"},
		Project:   Project{ID: "Projects-3", Name: "Acme Web", Slug: "acme-web"}, ProjectGroup: ProjectGroup{ID: "ProjectGroups-1", Name: "All"},
		Environment: Environment{ID: "Environments-2", Name: "Production", SortOrder: 1},
		ReleaseID:   "Releases-9", ReleaseNumber: "1.4.0", ReleaseNotes: "Fixes", ReleaseCreated: created, ChannelID: "Channels-1", ChannelName: "Default",
		DeploymentID: "Deployments-12", DeploymentName: "Deploy to Production", DeploymentCreated: created,
		CreatedBy:            User{ID: "Users-1", Username: "admin", DisplayName: "Admin", EmailAddress: "a@example.com"},
		DeploymentMachineIDs: []string{"Machines-1", "Machines-2"},
		TenantID:             "Tenants-4", TenantName: "Globex", TenantTags: []string{"Tier/Gold", "Region/EU"},
		TaskID: "ServerTasks-40", TaskName: "Deploy",
		Machine: &Machine{ID: "Machines-1", Name: "web-01", Roles: []string{"web", "db"}, Endpoint: Endpoint{URI: "https://web01.internal:10933/"}},
		StepID:  "step-1", StepName: "Deploy web", StepNumber: 2,
		ActionID: "action-1", ActionName: "Deploy web", ActionNumber: "2", ActionTargetRoles: []string{"web"},
	}
	tests := []struct {
		name   string
		ctx    SystemContext
		want   map[string]string // a subset that must match exactly
		absent []string
	}{
		{name: "full deployment on a machine", ctx: full, want: map[string]string{
			"Octopus.Web.ServerUri":                     "https://deploy.example.com",
			"Octopus.Space.Id":                          "Spaces-1",
			"Octopus.Space.Name":                        "Default",
			"Octopus.Project.Id":                        "Projects-3",
			"Octopus.Project.Name":                      "Acme Web",
			"Octopus.Project.Slug":                      "acme-web",
			"Octopus.ProjectGroup.Name":                 "All",
			"Octopus.Environment.Id":                    "Environments-2",
			"Octopus.Environment.Name":                  "Production",
			"Octopus.Environment.SortOrder":             "1",
			"Octopus.Release.Id":                        "Releases-9",
			"Octopus.Release.Number":                    "1.4.0",
			"Octopus.Release.Notes":                     "Fixes",
			"Octopus.Release.Created":                   "2024-05-06T05:08:09Z",
			"Octopus.Release.Channel.Name":              "Default",
			"Octopus.Deployment.Id":                     "Deployments-12",
			"Octopus.Deployment.Name":                   "Deploy to Production",
			"Octopus.Deployment.CreatedBy.Id":           "Users-1",
			"Octopus.Deployment.CreatedBy.Username":     "admin",
			"Octopus.Deployment.CreatedBy.DisplayName":  "Admin",
			"Octopus.Deployment.CreatedBy.EmailAddress": "a@example.com",
			"Octopus.Deployment.Machines":               "Machines-1,Machines-2",
			"Octopus.Deployment.Tenant.Id":              "Tenants-4",
			"Octopus.Deployment.Tenant.Name":            "Globex",
			"Octopus.Deployment.Tenant.Tags":            "Region/EU, Tier/Gold",
			"Octopus.Task.Id":                           "ServerTasks-40",
			"Octopus.Machine.Id":                        "Machines-1",
			"Octopus.Machine.Name":                      "web-01",
			"Octopus.Machine.Roles":                     "web,db",
			"Octopus.Machine.Hostname":                  "web01.internal",
			"Octopus.Step.Id":                           "step-1",
			"Octopus.Step.Name":                         "Deploy web",
			"Octopus.Step.Number":                       "2",
			"Octopus.Action.Id":                         "action-1",
			"Octopus.Action.Name":                       "Deploy web",
			"Octopus.Action.Number":                     "2",
			"Octopus.Action.TargetRoles":                "web",
			"Octopus.Action.IsSkipped":                  "false",
			"Octopus.Web.ProjectLink":                   "/app#/Spaces-1/projects/Projects-3",
			"Octopus.Web.ReleaseLink":                   "/app#/Spaces-1/releases/Releases-9",
			"Octopus.Web.DeploymentLink":                "/app#/Spaces-1/deployments/Deployments-12",
			"Octopus.Task.ConcurrencyTag":               "Tenants-4/Projects-3/Environments-2",
		}},
		// Untenanted, server-run step: no tenant or machine variables at all.
		{name: "untenanted on the server", ctx: func() SystemContext {
			c := full
			c.TenantID, c.TenantName, c.TenantTags, c.Machine = "", "", nil, nil
			return c
		}(), want: map[string]string{"Octopus.Task.ConcurrencyTag": "Projects-3/Environments-2"},
			absent: []string{"Octopus.Deployment.Tenant.Id", "Octopus.Deployment.Tenant.Tags", "Octopus.Machine.Id", "Octopus.Machine.Roles"}},
		// Nothing known: nothing invented.
		{name: "empty context", ctx: SystemContext{}, want: map[string]string{},
			absent: []string{"Octopus.Environment.SortOrder", "Octopus.Step.Number", "Octopus.Action.IsSkipped", "Octopus.Web.ProjectLink"}},
		// SSH targets report their host.
		{name: "ssh host", ctx: SystemContext{Machine: &Machine{ID: "Machines-5", Endpoint: Endpoint{Host: "10.0.0.5"}}},
			want: map[string]string{"Octopus.Machine.Hostname": "10.0.0.5"}},
		// IPv6 listening endpoints.
		{name: "ipv6 host", ctx: SystemContext{Machine: &Machine{ID: "Machines-6", Endpoint: Endpoint{URI: "https://[fe80::1]:10933/"}}},
			want: map[string]string{"Octopus.Machine.Hostname": "fe80::1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := SystemVariables(tt.ctx)
			sub := map[string]string{}
			for k := range tt.want {
				if v, ok := got[k]; ok {
					sub[k] = v
				}
			}
			if !reflect.DeepEqual(sub, tt.want) {
				for k, w := range tt.want {
					if got[k] != w {
						t.Errorf("%s = %q, want %q", k, got[k], w)
					}
				}
			}
			for _, k := range tt.absent {
				if _, ok := got[k]; ok {
					t.Errorf("%s present (%q), want absent", k, got[k])
				}
			}
			if tt.name == "empty context" && len(got) != 0 {
				t.Errorf("empty context produced %v", got)
			}
		})
	}
}
