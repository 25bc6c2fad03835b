package runner

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

// samplePlan uses every field, so the golden file pins the whole JSON shape.
func samplePlan() *Plan {
	return &Plan{
		FormatVersion: FormatVersion,
		TaskID:        "ServerTasks-42",
		DeploymentID:  "Deployments-7",
		Environment:   "Production",
		Tenant:        "Acme",
		Target:        Target{ID: "Machines-1", Name: "web01", Roles: []string{"web", "api"}, OS: "linux"},
		Variables: []Variable{
			{Name: "Greeting", Value: "hello"},
			{Name: "Db.Password", Value: "correct horse", Sensitive: true},
		},
		Steps: []Step{
			{ID: "a1", Name: "Migrate", Kind: KindScript, Condition: Condition{Kind: ConditionSuccess},
				Syntax: Bash, ScriptBody: "echo #{Greeting}", Timeout: Duration(90 * time.Second),
				Variables: []Variable{{Name: "Greeting", Value: "hi"}}},
			{ID: "a2", Name: "Deploy web", Kind: KindPackage, Condition: Condition{Kind: ConditionSuccess},
				Package: &PackageRef{ID: "Acme.Web", Version: "1.2.3", SHA256: strings.Repeat("ab", 32), Size: 1234, FileName: "Acme.Web.1.2.3.tar.gz"},
				Properties: StepProperties{
					SubstituteInFiles:                []string{"conf/*.conf"},
					IgnoreVariableReplacementErrors:  true,
					StructuredConfigFiles:            []string{"appsettings.json"},
					CustomInstallationDirectory:      "/srv/acme",
					PurgeCustomInstallationDirectory: true,
					SkipPackageScripts:               true,
				}},
			{ID: "a3", Name: "Notify", Kind: KindScript, StartWithPrevious: true, Syntax: Sh, ScriptBody: "true",
				Condition: Condition{Kind: ConditionVariable, Expression: "#{if Notify}true#{/if}"}},
			{ID: "a4", Name: "Approve", Kind: KindManual, Condition: Condition{Kind: ConditionAlways}},
			{ID: "a5", Name: "Cleanup", Kind: KindScript, Syntax: PowerShell, ScriptBody: "Write-Host x", Condition: Condition{Kind: ConditionFailure}},
		},
	}
}

func TestPlanGolden(t *testing.T) {
	var buf bytes.Buffer
	if err := samplePlan().Encode(&buf); err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "plan.golden.json")
	if *update {
		if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got := buf.String(); got != string(want) {
		t.Errorf("plan JSON differs from %s (run with -update if intended):\n%s", golden, got)
	}
	p, err := DecodePlan(bytes.NewReader(want))
	if err != nil {
		t.Fatalf("DecodePlan(golden): %v", err)
	}
	var again bytes.Buffer
	if err := p.Encode(&again); err != nil {
		t.Fatal(err)
	}
	if again.String() != string(want) {
		t.Errorf("decode/encode round trip changed the plan:\n%s", again.String())
	}
}

func TestDecodePlanErrors(t *testing.T) {
	good, err := os.ReadFile(filepath.Join("testdata", "plan.golden.json"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, json, want string
	}{
		{"newer format", `{"FormatVersion": 2, "Surprise": true}`, "plan format version 2, this runner executes version 1"},
		{"missing format", `{"TaskID": "x"}`, "plan format version 0"},
		{"unknown field", strings.Replace(string(good), `"TaskID"`, `"Extra": 1, "TaskID"`, 1), `unknown field "Extra"`},
		{"trailing data", string(good) + `{}`, "data after the plan"},
		{"not json", `{"FormatVersion": 1,`, "decode plan"},
		{"bad duration", strings.Replace(string(good), `"1m30s"`, `"soon"`, 1), "decode plan"},
		{"too large", `{"FormatVersion": 1, "TaskID": "` + strings.Repeat("x", MaxPlanBytes) + `"}`, "plan larger than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodePlan(strings.NewReader(tt.json))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("DecodePlan error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		modify func(p *Plan)
		want   string // "" = valid
	}{
		{"sample is valid", func(p *Plan) {}, ""},
		{"no task", func(p *Plan) { p.TaskID = "" }, "TaskID is empty"},
		{"no target name", func(p *Plan) { p.Target.Name = "" }, "Target.Name is empty"},
		{"no steps", func(p *Plan) { p.Steps = nil }, "no steps"},
		{"duplicate step name", func(p *Plan) { p.Steps[1].Name = "migrate" }, "duplicate name"},
		{"duplicate step id", func(p *Plan) { p.Steps[1].ID = "a1" }, `duplicate ID "a1"`},
		{"bracket in name", func(p *Plan) { p.Steps[0].Name = "a]b" }, "must not contain"},
		{"unknown kind", func(p *Plan) { p.Steps[0].Kind = "docker" }, `unknown kind "docker"`},
		{"unknown condition", func(p *Plan) { p.Steps[0].Condition.Kind = "Sometimes" }, `unknown condition "Sometimes"`},
		{"variable without expression", func(p *Plan) { p.Steps[2].Condition.Expression = "" }, "Condition.Expression is empty"},
		{"unknown syntax", func(p *Plan) { p.Steps[0].Syntax = "Perl" }, `unknown script syntax "Perl"`},
		{"first starts with previous", func(p *Plan) { p.Steps[0].StartWithPrevious = true }, "first step cannot start with the previous"},
		{"package missing", func(p *Plan) { p.Steps[1].Package = nil }, "needs a Package"},
		{"package traversal", func(p *Plan) { p.Steps[1].Package.Version = "../../etc" }, "not a valid file name"},
		{"package file dir", func(p *Plan) { p.Steps[1].Package.FileName = "x/y.zip" }, "not a valid file name"},
		{"environment traversal", func(p *Plan) { p.Environment = ".." }, "not a valid file name"},
		{"bad sha", func(p *Plan) { p.Steps[1].Package.SHA256 = "ABC" }, "64 lower-case hex"},
		{"script with package", func(p *Plan) { p.Steps[0].Package = p.Steps[1].Package }, "a script step has no package"},
		{"variable name newline", func(p *Plan) { p.Variables[0].Name = "a\nb" }, "on one line"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := samplePlan()
			tt.modify(p)
			err := p.Validate()
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			var pe *PlanError
			if !errors.As(err, &pe) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Validate() = %v, want a *PlanError containing %q", err, tt.want)
			}
		})
	}
}
