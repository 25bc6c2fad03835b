package app

import (
	"strings"
	"testing"
)

func TestDeploymentProcessValidate(t *testing.T) {
	script := func(name, body string, props map[string]string) Step {
		if props == nil {
			props = map[string]string{PropTargetRoles: "web"}
		}
		ap := map[string]string{PropScriptBody: body}
		if props[PropRunOnServer] != "" {
			ap[PropRunOnServer] = props[PropRunOnServer]
			delete(props, PropRunOnServer)
		}
		return Step{Name: name, Properties: props, Actions: []Action{{ActionType: ActionTypeScript, Properties: ap}}}
	}
	tests := []struct {
		name  string
		steps []Step
		want  []string // substrings of the problems; none = valid
	}{
		{"valid", []Step{script("A", "echo", nil), script("B", "echo", map[string]string{PropRunOnServer: "true"})}, nil},
		{"duplicate names", []Step{script("A", "x", nil), script("a", "x", nil)}, []string{"step names must be unique"}},
		{"empty body", []Step{script("A", "", nil)}, []string{"needs a script body"}},
		{"no roles", []Step{script("A", "x", map[string]string{})}, []string{"choose the target roles"}},
		{"brackets", []Step{script("A[1]", "x", nil)}, []string{"must not contain '['"}},
		{"variable condition", []Step{{Name: "A", Condition: ConditionVariable, Properties: map[string]string{PropTargetRoles: "web"},
			Actions: []Action{{ActionType: ActionTypeScript, Properties: map[string]string{PropScriptBody: "x"}}}}}, []string{"needs an expression"}},
		{"first with previous", []Step{{Name: "A", StartTrigger: StartWithPrevious, Properties: map[string]string{PropTargetRoles: "web"},
			Actions: []Action{{ActionType: ActionTypeScript, Properties: map[string]string{PropScriptBody: "x"}}}}}, []string{"first step cannot start"}},
		{"bad parallelism", []Step{script("A", "x", map[string]string{PropTargetRoles: "web", PropMaxParallelism: "0"})}, []string{"at least 1"}},
		{"package without id", []Step{{Name: "P", Properties: map[string]string{PropTargetRoles: "web"},
			Actions: []Action{{ActionType: ActionTypePackage}}}}, []string{"needs a package ID"}},
		{"unknown type", []Step{{Name: "U", Properties: map[string]string{PropTargetRoles: "web"},
			Actions: []Action{{ActionType: "Octopus.AzureWebApp"}}}}, []string{"not supported"}},
		{"manual without instructions", []Step{{Name: "M", Actions: []Action{{ActionType: ActionTypeManual}}}}, []string{"needs instructions"}},
		{"no action", []Step{{Name: "E", Properties: map[string]string{PropTargetRoles: "web"}}}, []string{"needs an action"}},
		{"env both ways", []Step{{Name: "B", Properties: map[string]string{PropTargetRoles: "web"}, Actions: []Action{{ActionType: ActionTypeScript,
			Environments: []string{"Environments-1"}, ExcludedEnvironments: []string{"environments-1"},
			Properties: map[string]string{PropScriptBody: "x"}}}}}, []string{"both included and excluded"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dp := &DeploymentProcess{Steps: tc.steps}
			err := dp.Validate()
			got := strings.Join(ErrorDetails(err), "\n")
			if len(tc.want) == 0 && err != nil {
				t.Fatalf("unexpected problems: %s", got)
			}
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("problems %q lack %q", got, w)
				}
			}
		})
	}
}

func TestDeploymentProcessNormalize(t *testing.T) {
	dp := &DeploymentProcess{Steps: []Step{{Name: " Web ", Properties: map[string]string{PropTargetRoles: " web , api,web"},
		Actions: []Action{{ActionType: ActionTypePackage, Properties: map[string]string{PropPackageID: "Acme.Web"}}}}}}
	if err := dp.Validate(); err != nil {
		t.Fatal(err)
	}
	s := dp.Steps[0]
	if s.Name != "Web" || s.ID == "" || s.Condition != ConditionSuccess || s.StartTrigger != StartAfterPrevious {
		t.Errorf("step defaults: %+v", s)
	}
	if got := s.Properties[PropTargetRoles]; got != "web,api" {
		t.Errorf("roles = %q", got)
	}
	a := s.Actions[0]
	if a.Name != "Web" || a.PrimaryPackage() == nil || a.PrimaryPackage().PackageID != "Acme.Web" || a.PrimaryPackage().FeedID != BuiltInFeedID {
		t.Errorf("action: %+v", a)
	}
}
