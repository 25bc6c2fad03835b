package app

import (
	"context"
	"fmt"
	"strconv"
	"strings"
)

// Step conditions: when a step runs, given the steps before it.
const (
	ConditionSuccess  = "Success"
	ConditionFailure  = "Failure"
	ConditionAlways   = "Always"
	ConditionVariable = "Variable"
)

// Start triggers: StartWithPrevious runs a step in parallel with the one before.
const (
	StartAfterPrevious = "StartAfterPrevious"
	StartWithPrevious  = "StartWithPrevious"
)

// Action types Argonaut executes.
const (
	ActionTypeScript  = "Octopus.Script"
	ActionTypePackage = "Octopus.TentaclePackage"
	ActionTypeManual  = "Octopus.Manual"
)

// Property names, spelled as Octopus spells them so that clients round-trip.
const (
	PropTargetRoles         = "Octopus.Action.TargetRoles"
	PropMaxParallelism      = "Octopus.Action.MaxParallelism"
	PropConditionExpression = "Octopus.Step.ConditionVariableExpression"
	PropScriptBody          = "Octopus.Action.Script.ScriptBody"
	PropScriptSyntax        = "Octopus.Action.Script.Syntax"
	PropScriptSource        = "Octopus.Action.Script.ScriptSource"
	PropRunOnServer         = "Octopus.Action.RunOnServer"
	PropPackageID           = "Octopus.Action.Package.PackageId"
	PropPackageFeedID       = "Octopus.Action.Package.FeedId"
	PropManualInstructions  = "Octopus.Action.Manual.Instructions"
	PropManualTeams         = "Octopus.Action.Manual.ResponsibleTeamIds"
	// The other step-level property a client may send with the variable
	// condition; go-octopusdeploy documents this spelling.
	propConditionExpressionAlt = "Octopus.Action.ConditionVariableExpression"
)

// BuiltInFeedID is the ID of the server's own package feed.
const BuiltInFeedID = "feeds-builtin"

// DeploymentProcess is the ordered list of steps of a project. Version is
// bumped on every change; an update naming an older Version is refused
// (optimistic concurrency).
type DeploymentProcess struct {
	ID        string
	SpaceID   string
	ProjectID string
	Version   int
	Steps     []Step
	Audit
}

// Step is one entry of a deployment process: its actions run in order on
// each target that has one of the step's target roles (or on the server).
type Step struct {
	ID                 string
	Name               string
	Condition          string // ConditionSuccess, …; Variable reads PropConditionExpression
	StartTrigger       string // StartAfterPrevious or StartWithPrevious
	PackageRequirement string // LetOctopusDecide, BeforePackageAcquisition, AfterPackageAcquisition
	Properties         map[string]string
	Actions            []Action
}

// TargetRoles returns the roles the step targets (Octopus.Action.TargetRoles).
func (s *Step) TargetRoles() []string {
	return NormalizeList(strings.Split(s.Properties[PropTargetRoles], ","))
}

// ConditionExpression returns the expression of a Variable condition.
func (s *Step) ConditionExpression() string {
	if e := s.Properties[PropConditionExpression]; e != "" {
		return e
	}
	return s.Properties[propConditionExpressionAlt]
}

// MaxParallelism returns the rolling window (0 = all targets at once).
func (s *Step) MaxParallelism() int {
	n, _ := strconv.Atoi(strings.TrimSpace(s.Properties[PropMaxParallelism]))
	return n
}

// RunsOnServer reports whether the step's first action runs on the server's
// built-in worker rather than on targets. Manual interventions run on the server.
func (s *Step) RunsOnServer() bool {
	if len(s.Actions) == 0 {
		return false
	}
	return s.Actions[0].RunsOnServer()
}

// Action is what a step does on each target.
type Action struct {
	ID                   string
	Name                 string
	ActionType           string
	IsDisabled           bool
	IsRequired           bool
	Environments         []string // IDs; empty = every environment
	ExcludedEnvironments []string
	Channels             []string
	TenantTags           []string
	Packages             []PackageReference
	Properties           map[string]string
}

// RunsOnServer reports whether the action runs on the built-in worker.
func (a *Action) RunsOnServer() bool {
	return a.ActionType == ActionTypeManual || strings.EqualFold(a.Properties[PropRunOnServer], "true")
}

// PrimaryPackage returns the package an Octopus.TentaclePackage action
// deploys (the reference with an empty Name), or nil.
func (a *Action) PrimaryPackage() *PackageReference {
	for i := range a.Packages {
		if a.Packages[i].Name == "" {
			return &a.Packages[i]
		}
	}
	return nil
}

// PackageReference names a package an action uses. Name is "" for the
// action's primary package.
type PackageReference struct {
	ID                  string
	Name                string
	PackageID           string
	FeedID              string
	AcquisitionLocation string // Server or ExecutionTarget
	Properties          map[string]string
}

// Script syntaxes an Octopus.Script action may use.
var scriptSyntaxes = []string{"Bash", "PowerShell", "Sh"}

// Normalize fills defaults: IDs, condition, start trigger, and for package
// actions the primary package reference and its PackageId property kept in step.
func (dp *DeploymentProcess) Normalize() {
	for i := range dp.Steps {
		s := &dp.Steps[i]
		s.Name = strings.TrimSpace(s.Name)
		if strings.TrimSpace(s.ID) == "" {
			s.ID = NewVariableID()
		}
		if s.Condition == "" {
			s.Condition = ConditionSuccess
		}
		if s.StartTrigger == "" {
			s.StartTrigger = StartAfterPrevious
		}
		if s.PackageRequirement == "" {
			s.PackageRequirement = "LetOctopusDecide"
		}
		if s.Properties == nil {
			s.Properties = map[string]string{}
		}
		if e, ok := s.Properties[propConditionExpressionAlt]; ok {
			if s.Properties[PropConditionExpression] == "" {
				s.Properties[PropConditionExpression] = e
			}
			delete(s.Properties, propConditionExpressionAlt)
		}
		if r, ok := s.Properties[PropTargetRoles]; ok {
			roles := s.TargetRoles()
			if len(roles) == 0 {
				delete(s.Properties, PropTargetRoles)
			} else if strings.Join(roles, ",") != r {
				s.Properties[PropTargetRoles] = strings.Join(roles, ",")
			}
		}
		for j := range s.Actions {
			a := &s.Actions[j]
			a.Name = strings.TrimSpace(a.Name)
			if a.Name == "" && len(s.Actions) == 1 {
				a.Name = s.Name
			}
			if strings.TrimSpace(a.ID) == "" {
				a.ID = NewVariableID()
			}
			if a.Properties == nil {
				a.Properties = map[string]string{}
			}
			a.Environments = NormalizeList(a.Environments)
			a.ExcludedEnvironments = NormalizeList(a.ExcludedEnvironments)
			a.Channels = NormalizeList(a.Channels)
			a.TenantTags = NormalizeList(a.TenantTags)
			for k := range a.Packages {
				p := &a.Packages[k]
				if p.ID == "" {
					p.ID = NewVariableID()
				}
				if p.FeedID == "" {
					p.FeedID = BuiltInFeedID
				}
				if p.AcquisitionLocation == "" {
					p.AcquisitionLocation = "Server"
				}
				if p.Properties == nil {
					p.Properties = map[string]string{}
				}
			}
			if a.ActionType == ActionTypePackage {
				a.syncPrimaryPackage()
			}
			if a.ActionType == ActionTypeScript && a.Properties[PropScriptSource] == "" {
				a.Properties[PropScriptSource] = "Inline"
			}
		}
	}
}

// syncPrimaryPackage keeps the primary package reference and the
// Octopus.Action.Package.PackageId property in agreement; the reference wins.
func (a *Action) syncPrimaryPackage() {
	if p := a.PrimaryPackage(); p != nil {
		a.Properties[PropPackageID] = p.PackageID
		a.Properties[PropPackageFeedID] = p.FeedID
		return
	}
	if id := strings.TrimSpace(a.Properties[PropPackageID]); id != "" {
		feed := a.Properties[PropPackageFeedID]
		if feed == "" {
			feed = BuiltInFeedID
		}
		a.Packages = append(a.Packages, PackageReference{ID: NewVariableID(), PackageID: id, FeedID: feed,
			AcquisitionLocation: "Server", Properties: map[string]string{}})
		a.Properties[PropPackageFeedID] = feed
	}
}

// MaxSteps bounds the steps of one process.
const MaxSteps = 500

// Validate normalises the process and checks every rule, reporting all
// problems at once, each naming its step.
func (dp *DeploymentProcess) Validate() error {
	dp.Normalize()
	var p problems
	if len(dp.Steps) > MaxSteps {
		p.add(fmt.Sprintf("A deployment process may have at most %d steps.", MaxSteps))
		return p.err("deployment process")
	}
	stepNames, actionNames, ids := map[string]bool{}, map[string]bool{}, map[string]bool{}
	for i := range dp.Steps {
		s := &dp.Steps[i]
		at := fmt.Sprintf("Step %d '%s'", i+1, strings.ToValidUTF8(s.Name, "?"))
		if msg := ValidateName("Name", s.Name); msg != "" {
			p.add(at + ": " + msg)
		}
		if strings.ContainsAny(s.Name, "[]") {
			p.add(at + ": Name must not contain '[' or ']' (output variables are named Octopus.Action[Name]).")
		}
		if stepNames[strings.ToLower(s.Name)] {
			p.add(at + ": another step already has this name; step names must be unique.")
		}
		stepNames[strings.ToLower(s.Name)] = true
		if ids[strings.ToLower(s.ID)] {
			p.add(at + ": the Id '" + s.ID + "' is used twice.")
		}
		ids[strings.ToLower(s.ID)] = true
		switch s.Condition {
		case ConditionSuccess, ConditionFailure, ConditionAlways:
		case ConditionVariable:
			if strings.TrimSpace(s.ConditionExpression()) == "" {
				p.add(at + ": a Variable condition needs an expression (" + PropConditionExpression + ").")
			}
		default:
			p.add(at + ": Condition must be Success, Failure, Always or Variable, not '" + s.Condition + "'.")
		}
		switch s.StartTrigger {
		case StartAfterPrevious:
		case StartWithPrevious:
			if i == 0 {
				p.add(at + ": the first step cannot start with the previous one.")
			}
		default:
			p.add(at + ": StartTrigger must be StartAfterPrevious or StartWithPrevious, not '" + s.StartTrigger + "'.")
		}
		switch s.PackageRequirement {
		case "LetOctopusDecide", "BeforePackageAcquisition", "AfterPackageAcquisition":
		default:
			p.add(at + ": PackageRequirement must be LetOctopusDecide, BeforePackageAcquisition or AfterPackageAcquisition.")
		}
		if v, ok := s.Properties[PropMaxParallelism]; ok && strings.TrimSpace(v) != "" {
			if n, err := strconv.Atoi(strings.TrimSpace(v)); err != nil || n < 1 {
				p.add(at + ": " + PropMaxParallelism + " must be a whole number of at least 1.")
			}
		}
		if len(s.Actions) == 0 {
			p.add(at + ": a step needs an action.")
		}
		for j := range s.Actions {
			a := &s.Actions[j]
			aat := at
			if len(s.Actions) > 1 {
				aat = fmt.Sprintf("%s, action %d '%s'", at, j+1, strings.ToValidUTF8(a.Name, "?"))
			}
			p = append(p, a.validate(aat, actionNames, ids)...)
			if j == 0 && !a.RunsOnServer() && len(s.TargetRoles()) == 0 {
				p.add(at + ": choose the target roles the step runs on (" + PropTargetRoles + "), or run it on the server.")
			}
			if j > 0 && a.RunsOnServer() != s.Actions[0].RunsOnServer() {
				p.add(aat + ": every action of a step must run in the same place (all on the server or all on targets).")
			}
		}
	}
	return p.err("deployment process")
}

func (a *Action) validate(at string, names, ids map[string]bool) problems {
	var p problems
	if msg := ValidateName("Action name", a.Name); msg != "" {
		p.add(at + ": " + msg)
	}
	if strings.ContainsAny(a.Name, "[]") {
		p.add(at + ": Action name must not contain '[' or ']'.")
	}
	if names[strings.ToLower(a.Name)] {
		p.add(at + ": another action already has the name '" + a.Name + "'; action names must be unique.")
	}
	names[strings.ToLower(a.Name)] = true
	if ids[strings.ToLower(a.ID)] {
		p.add(at + ": the Id '" + a.ID + "' is used twice.")
	}
	ids[strings.ToLower(a.ID)] = true
	switch a.ActionType {
	case ActionTypeScript:
		if strings.TrimSpace(a.Properties[PropScriptBody]) == "" {
			p.add(at + ": a script step needs a script body (" + PropScriptBody + ").")
		}
		if src := a.Properties[PropScriptSource]; src != "Inline" {
			p.add(at + ": only inline scripts are supported (" + PropScriptSource + " = Inline).")
		}
		syn := a.Properties[PropScriptSyntax]
		ok := syn == ""
		for _, s := range scriptSyntaxes {
			ok = ok || s == syn
		}
		if !ok {
			p.add(at + ": " + PropScriptSyntax + " must be Bash, Sh or PowerShell, not '" + syn + "'.")
		}
	case ActionTypePackage:
		if pp := a.PrimaryPackage(); pp == nil || strings.TrimSpace(pp.PackageID) == "" {
			p.add(at + ": a package step needs a package ID (" + PropPackageID + ").")
		}
	case ActionTypeManual:
		if strings.TrimSpace(a.Properties[PropManualInstructions]) == "" {
			p.add(at + ": a manual intervention needs instructions (" + PropManualInstructions + ").")
		}
	case "":
		p.add(at + ": ActionType is required.")
	default:
		p.add(at + ": the action type '" + a.ActionType + "' is not supported; use Octopus.Script, Octopus.TentaclePackage or Octopus.Manual.")
	}
	refs := map[string]bool{}
	for k, pr := range a.Packages {
		if strings.TrimSpace(pr.PackageID) == "" {
			p.add(fmt.Sprintf("%s: package reference %d needs a PackageId.", at, k+1))
		}
		if refs[strings.ToLower(pr.Name)] {
			p.add(fmt.Sprintf("%s: two package references are named '%s'.", at, pr.Name))
		}
		refs[strings.ToLower(pr.Name)] = true
	}
	for _, e := range a.Environments {
		if ContainsFold(a.ExcludedEnvironments, e) {
			p.add(at + ": the environment '" + e + "' is both included and excluded.")
		}
	}
	return p
}

// FindStep returns the step named name (case-insensitive), or nil.
func (dp *DeploymentProcess) FindStep(name string) *Step {
	for i := range dp.Steps {
		if strings.EqualFold(dp.Steps[i].Name, name) {
			return &dp.Steps[i]
		}
	}
	return nil
}

// ProcessService reads and edits the deployment processes of projects.
type ProcessService interface {
	FindDeploymentProcessByID(ctx context.Context, spaceID, id string) (*DeploymentProcess, error)
	// UpdateDeploymentProcess validates dp and replaces the stored steps if
	// dp.Version is the stored version (ECONFLICT otherwise), bumping it;
	// one transaction with one audit event.
	UpdateDeploymentProcess(ctx context.Context, dp *DeploymentProcess) error
}
