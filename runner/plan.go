package runner

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// FormatVersion is the plan format this runner executes. A plan with another
// FormatVersion is refused: the server and the runner must agree on it.
const FormatVersion = 1

// MaxPlanBytes bounds the JSON a plan may occupy when decoded with DecodePlan.
const MaxPlanBytes = 64 << 20

// Plan is everything the runner needs to deploy to one target, resolved on
// the server: no lookups happen while it runs. Its JSON form is the contract
// between the planner (app/deploy) and every host of the runner (server,
// agent, SSH, offline bundle); field names are part of that contract.
type Plan struct {
	// FormatVersion must equal the package constant FormatVersion.
	FormatVersion int
	// TaskID names the server task ("ServerTasks-42").
	TaskID string
	// DeploymentID names the deployment ("Deployments-7").
	DeploymentID string `json:",omitempty"`
	// Environment is the environment's name; package steps install under it.
	Environment string
	// Tenant is the tenant's name, or "" for an untenanted deployment.
	Tenant string `json:",omitempty"`
	// Target is the machine this plan runs for.
	Target Target
	// Variables are resolved for this target, in order; a later name replaces
	// an earlier one (names are case-insensitive).
	Variables []Variable
	// Steps run in order; see Step.StartWithPrevious for parallel groups.
	Steps []Step
}

// Target describes the machine a plan runs for. It is informational on the
// target: the runner uses Name for output variables and adds the fields to
// the variables as Octopus.Machine.*.
type Target struct {
	ID    string
	Name  string
	Roles []string `json:",omitempty"`
	// OS is "linux", "windows" or "darwin" (GOOS spelling).
	OS string `json:",omitempty"`
}

// Variable is one resolved variable. Sensitive values are masked in every
// log line from the start of the run.
type Variable struct {
	Name      string
	Value     string
	Sensitive bool `json:",omitempty"`
}

// StepKind says which executor runs a step.
type StepKind string

// Step kinds.
const (
	KindScript  StepKind = "script"
	KindPackage StepKind = "package"
	// KindManual is a manual intervention. The server resolves those; a
	// runner that meets one fails the step (see Runner.Run).
	KindManual StepKind = "manual"
)

// ConditionKind decides whether a step runs, given the steps before it.
type ConditionKind string

// Conditions, as in Octopus.
const (
	// ConditionSuccess runs the step when no earlier step failed (the
	// default).
	ConditionSuccess ConditionKind = "Success"
	// ConditionFailure runs the step only when an earlier step failed.
	ConditionFailure ConditionKind = "Failure"
	// ConditionAlways runs the step regardless of earlier outcomes.
	ConditionAlways ConditionKind = "Always"
	// ConditionVariable runs the step when Condition.Expression evaluates
	// truthy.
	ConditionVariable ConditionKind = "Variable"
)

// Condition is a step's run condition. Expression is an Octostache template
// (for example "#{unless Octopus.Deployment.Error}#{Run}#{/unless}") used
// only by the Variable kind; it sees the variables, earlier outputs and
// Octopus.Deployment.Error once a step failed.
type Condition struct {
	Kind       ConditionKind
	Expression string `json:",omitempty"`
}

// Syntax is a script language.
type Syntax string

// Script syntaxes.
const (
	Bash       Syntax = "Bash"
	Sh         Syntax = "Sh"
	PowerShell Syntax = "PowerShell"
)

// Step is one unit of work on the target.
type Step struct {
	// ID is unique within the plan.
	ID string
	// Name is unique within the plan; output variables are published as
	// Octopus.Action[Name].Output.*.
	Name      string
	Kind      StepKind
	Condition Condition
	// StartWithPrevious runs this step concurrently with the previous one;
	// a run of such steps after a normal one forms a parallel group. Steps
	// of one group see outputs of earlier groups only.
	StartWithPrevious bool `json:",omitempty"`
	// Timeout bounds the step ("90s", "10m"); zero means no limit.
	Timeout Duration `json:",omitzero"`
	// ScriptBody and Syntax are the script of a script step. The body is an
	// Octostache template evaluated before the script runs.
	ScriptBody string `json:",omitempty"`
	Syntax     Syntax `json:",omitempty"`
	// Package is the package a package step deploys.
	Package *PackageRef `json:",omitempty"`
	// Properties configure package steps.
	Properties StepProperties `json:",omitzero"`
	// Variables are step-scoped values; they replace plan variables of the
	// same name for this step only.
	Variables []Variable `json:",omitempty"`
}

// PackageRef names a package by content: the runner refuses a file whose
// size or sha256 differ.
type PackageRef struct {
	ID      string
	Version string
	// SHA256 is lower-case hex.
	SHA256 string
	Size   int64
	// FileName is the package's file name (a base name, no directories);
	// its extension selects the archive format.
	FileName string
}

// StepProperties are the package step's configuration features.
type StepProperties struct {
	// SubstituteInFiles are globs, relative to the installation directory,
	// of files in which #{…} is replaced ("Substitute Variables in Files").
	SubstituteInFiles []string `json:",omitempty"`
	// IgnoreVariableReplacementErrors keeps going when a substituted file
	// has unresolved tokens or does not parse.
	IgnoreVariableReplacementErrors bool `json:",omitempty"`
	// StructuredConfigFiles are globs of JSON files whose values are
	// replaced by variables named after their paths (see structured.go).
	StructuredConfigFiles []string `json:",omitempty"`
	// CustomInstallationDirectory, when set, receives a copy of the
	// prepared package; Deploy and PostDeploy scripts run there.
	CustomInstallationDirectory string `json:",omitempty"`
	// PurgeCustomInstallationDirectory empties it first.
	PurgeCustomInstallationDirectory bool `json:",omitempty"`
	// SkipPackageScripts disables PreDeploy/Deploy/PostDeploy/DeployFailed.
	SkipPackageScripts bool `json:",omitempty"`
	// SkipIfAlreadyInstalled skips the step when this target's journal
	// records a successful installation of the same package version in the
	// same environment (and tenant) whose directory still exists
	// (Octopus.Action.Package.SkipIfAlreadyInstalled; the planner clears it
	// for a deployment with ForcePackageRedeployment).
	SkipIfAlreadyInstalled bool `json:",omitempty"`
}

func (p StepProperties) isZero() bool {
	return len(p.SubstituteInFiles) == 0 && len(p.StructuredConfigFiles) == 0 &&
		p.CustomInstallationDirectory == "" && !p.PurgeCustomInstallationDirectory &&
		!p.IgnoreVariableReplacementErrors && !p.SkipPackageScripts && !p.SkipIfAlreadyInstalled
}

// Duration is a time.Duration written in JSON as a Go duration string.
type Duration time.Duration

// MarshalText writes the duration as "1m30s".
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// UnmarshalText reads a Go duration string.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return err
	}
	if v < 0 {
		return fmt.Errorf("negative duration %q", b)
	}
	*d = Duration(v)
	return nil
}

// DecodePlan reads one plan from r: at most MaxPlanBytes, unknown fields
// refused, nothing after the plan but white space, then validated.
func DecodePlan(r io.Reader) (*Plan, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxPlanBytes+1))
	if err != nil {
		return nil, fmt.Errorf("runner: read plan: %w", err)
	}
	if len(data) > MaxPlanBytes {
		return nil, fmt.Errorf("runner: plan larger than %d bytes", MaxPlanBytes)
	}
	// Check the version first so that a newer plan gets a clear error
	// rather than "unknown field".
	var head struct{ FormatVersion int }
	if err := json.NewDecoder(bytes.NewReader(data)).Decode(&head); err != nil {
		return nil, fmt.Errorf("runner: decode plan: %w", err)
	}
	if head.FormatVersion != FormatVersion {
		return nil, fmt.Errorf("runner: plan format version %d, this runner executes version %d", head.FormatVersion, FormatVersion)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var p Plan
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("runner: decode plan: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("runner: decode plan: data after the plan")
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	return &p, nil
}

// Encode writes p as indented JSON, the form DecodePlan reads.
func (p *Plan) Encode(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(p); err != nil {
		return fmt.Errorf("runner: encode plan: %w", err)
	}
	return nil
}

// PlanError lists every problem Validate found.
type PlanError struct {
	Problems []string
}

func (e *PlanError) Error() string {
	return "runner: invalid plan: " + strings.Join(e.Problems, "; ")
}

// Validate checks that p can be executed, reporting all problems at once as
// a *PlanError.
func (p *Plan) Validate() error {
	var v validator
	if p.FormatVersion != FormatVersion {
		v.addf("FormatVersion is %d, want %d", p.FormatVersion, FormatVersion)
	}
	v.nonEmpty("TaskID", p.TaskID)
	v.nonEmpty("Target.Name", p.Target.Name)
	v.variables("Variables", p.Variables)
	if len(p.Steps) == 0 {
		v.addf("no steps")
	}
	ids, names := map[string]bool{}, map[string]bool{}
	for i, s := range p.Steps {
		where := fmt.Sprintf("Steps[%d]", i)
		if s.Name != "" {
			where = fmt.Sprintf("step %q", s.Name)
		}
		v.step(where, s, p)
		if ids[s.ID] {
			v.addf("%s: duplicate ID %q", where, s.ID)
		}
		if names[strings.ToLower(s.Name)] {
			v.addf("%s: duplicate name", where)
		}
		ids[s.ID], names[strings.ToLower(s.Name)] = true, true
		if i == 0 && s.StartWithPrevious {
			v.addf("%s: the first step cannot start with the previous one", where)
		}
	}
	if len(v.problems) > 0 {
		return &PlanError{Problems: v.problems}
	}
	return nil
}

type validator struct{ problems []string }

func (v *validator) addf(format string, args ...any) {
	v.problems = append(v.problems, fmt.Sprintf(format, args...))
}

func (v *validator) nonEmpty(field, value string) {
	if strings.TrimSpace(value) == "" {
		v.addf("%s is empty", field)
	}
}

func (v *validator) variables(where string, vars []Variable) {
	for i, x := range vars {
		if x.Name == "" || strings.ContainsAny(x.Name, "\n\r\x00") {
			v.addf("%s[%d]: name must be non-empty and on one line", where, i)
		}
		if strings.ContainsRune(x.Value, 0) {
			v.addf("%s[%d] (%s): value contains a NUL byte", where, i, x.Name)
		}
	}
}

func (v *validator) step(where string, s Step, p *Plan) {
	v.nonEmpty(where+": ID", s.ID)
	v.nonEmpty(where+": Name", s.Name)
	if strings.ContainsAny(s.Name, "[]\n") {
		v.addf("%s: name must not contain '[', ']' or a line break", where)
	}
	switch s.Condition.Kind {
	case ConditionSuccess, ConditionFailure, ConditionAlways:
	case ConditionVariable:
		v.nonEmpty(where+": Condition.Expression", s.Condition.Expression)
	default:
		v.addf("%s: unknown condition %q", where, s.Condition.Kind)
	}
	v.variables(where+": Variables", s.Variables)
	switch s.Kind {
	case KindScript:
		switch s.Syntax {
		case Bash, Sh, PowerShell:
		default:
			v.addf("%s: unknown script syntax %q", where, s.Syntax)
		}
		if s.Package != nil || !s.Properties.isZero() {
			v.addf("%s: a script step has no package or package properties", where)
		}
	case KindPackage:
		v.packageRef(where, s.Package)
		for _, field := range []struct{ name, value string }{{"Environment", p.Environment}, {"Tenant", p.Tenant}} {
			if field.value != "" || field.name == "Environment" {
				v.pathComponent(where+": plan "+field.name, field.value)
			}
		}
	case KindManual:
	default:
		v.addf("%s: unknown kind %q", where, s.Kind)
	}
}

func (v *validator) packageRef(where string, ref *PackageRef) {
	if ref == nil {
		v.addf("%s: a package step needs a Package", where)
		return
	}
	v.pathComponent(where+": Package.ID", ref.ID)
	v.pathComponent(where+": Package.Version", ref.Version)
	v.pathComponent(where+": Package.FileName", ref.FileName)
	if len(ref.SHA256) != 64 || strings.Trim(ref.SHA256, "0123456789abcdef") != "" {
		v.addf("%s: Package.SHA256 must be 64 lower-case hex digits", where)
	}
	if ref.Size < 0 {
		v.addf("%s: Package.Size is negative", where)
	}
}

// pathComponent checks a value the runner uses as one directory name.
func (v *validator) pathComponent(field, value string) {
	switch {
	case value == "":
		v.addf("%s is empty", field)
	case value == "." || value == ".." || strings.ContainsAny(value, "/\\:\x00\n") || strings.TrimSpace(value) != value:
		v.addf("%s %q is not a valid file name", field, value)
	}
}
