package app

import "testing"

func TestGuidedFailureOn(t *testing.T) {
	yes, no := true, false
	for _, tc := range []struct {
		name     string
		explicit *bool
		env      bool
		mode     string
		want     bool
	}{
		{"environment default off", nil, false, "EnvironmentDefault", false},
		{"environment default on", nil, true, "EnvironmentDefault", true},
		{"empty mode follows the environment", nil, true, "", true},
		{"project on beats environment off", nil, false, "On", true},
		{"project off beats environment on", nil, true, "Off", false},
		{"deployment on beats project off", &yes, false, "Off", true},
		{"deployment off beats everything", &no, true, "On", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := &Deployment{DeploymentOptions: DeploymentOptions{UseGuidedFailure: tc.explicit}}
			if got := GuidedFailureOn(d, tc.env, tc.mode); got != tc.want {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestDeploymentConcurrencyTagAndFilters(t *testing.T) {
	d := &Deployment{ID: "Deployments-1", SpaceID: "Spaces-1", ProjectID: "Projects-1", EnvironmentID: "Environments-2", ReleaseID: "Releases-3", TaskID: "ServerTasks-4"}
	if got := d.ConcurrencyTag(); got != "Projects-1/Environments-2" {
		t.Errorf("tag %q", got)
	}
	d.TenantID = "Tenants-5"
	if got := d.ConcurrencyTag(); got != "Projects-1/Environments-2/Tenants-5" {
		t.Errorf("tenanted tag %q", got)
	}
	for _, tc := range []struct {
		f    DeploymentFilter
		want bool
	}{
		{DeploymentFilter{}, true},
		{DeploymentFilter{ProjectIDs: []string{"projects-1"}}, true},
		{DeploymentFilter{EnvironmentIDs: []string{"Environments-9"}}, false},
		{DeploymentFilter{ReleaseIDs: []string{"Releases-3"}, TaskIDs: []string{"ServerTasks-4"}}, true},
		{DeploymentFilter{SpaceID: "Spaces-2"}, false},
	} {
		if got := tc.f.Matches(d); got != tc.want {
			t.Errorf("%+v: got %v", tc.f, got)
		}
	}
	i := &Interruption{SpaceID: "Spaces-1", TaskID: "ServerTasks-4", DeploymentID: "Deployments-1", IsPending: false}
	if (InterruptionFilter{Regarding: "Deployments-1"}).Matches(i) != true || (InterruptionFilter{PendingOnly: true}).Matches(i) {
		t.Error("interruption filter")
	}
	if got := InterruptionGuidedFailure.Results(); len(got) != 4 || got[2] != ResultIgnore {
		t.Errorf("guided results %v", got)
	}
}
