package app

import (
	"testing"
	"time"
)

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

func TestParseScheduleTime(t *testing.T) {
	want := time.Date(2030, 1, 2, 10, 30, 0, 0, time.UTC)
	for _, c := range []struct {
		in   string
		want time.Time
		ok   bool
	}{
		{"", time.Time{}, true},
		{"  ", time.Time{}, true},
		{"2030-01-02T10:30:00Z", want, true},
		{"2030-01-02T12:30:00+02:00", want, true},
		{"2030-01-02T10:30:00.000Z", want, true},
		{"2030-01-02T12:30+02:00", want, true},
		{"2030-01-02T10:30:00", want, true},
		{"2030-01-02 10:30:00", want, true},
		{"2030-01-02T10:30", want, true},
		{" 2030-01-02 10:30 ", want, true},
		{"2030-01-02", time.Time{}, false}, // a day is not a start time
		{"10:30", time.Time{}, false},
		{"tomorrow", time.Time{}, false},
		{"2030-13-02 10:30", time.Time{}, false},
	} {
		got, ok := ParseScheduleTime(c.in)
		if ok != c.ok || !got.Equal(c.want) || (ok && got.Location() != time.UTC) {
			t.Errorf("ParseScheduleTime(%q) = %v, %v; want %v, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}
