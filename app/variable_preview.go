package app

import (
	"context"
	"strings"
)

// PreviewRequest names a deployment context to preview variables for, the
// way GET /api/{space}/variables/preview takes it. Project is required;
// everything else narrows the context.
type PreviewRequest struct {
	SpaceID     string
	Project     string // ID, slug or name
	Environment string // ID
	Channel     string // ID
	Tenant      string // ID (tenants arrive later; taken as given)
	TenantTags  []string
	Action      string // action (step) ID
	Machine     string // ID
	Role        string // a role the machine has and the step targets
}

// VariablePreview is what a project's variables resolve to in one context.
// Sensitive values are never revealed: resolutions carry them blank and
// every surface shows Masked.
type VariablePreview struct {
	Project     *Project
	Context     ScopeContext
	Resolutions []Resolution
}

// PreviewServices are what PreviewVariables reads.
type PreviewServices struct {
	Projects     ProjectService
	Variables    VariableService
	Environments EnvironmentService
	Machines     MachineService
	Channels     ChannelService
}

// PreviewVariables resolves every variable of a project (its own set and
// included library sets) for the context req names. Named environments,
// machines and channels must exist (EINVALID otherwise).
func PreviewVariables(ctx context.Context, svc PreviewServices, req PreviewRequest) (*VariablePreview, error) {
	if strings.TrimSpace(req.Project) == "" {
		return nil, Invalid("The query parameter 'project' is required.")
	}
	p, err := svc.Projects.FindProjectByID(ctx, req.SpaceID, req.Project)
	if err != nil {
		if ErrorCode(err) == ENOTFOUND {
			return nil, Invalid("The project '" + req.Project + "' does not exist.")
		}
		return nil, err
	}
	sc := ScopeContext{EnvironmentID: req.Environment, ActionID: req.Action, ChannelID: req.Channel,
		TenantID: req.Tenant, TenantTags: NormalizeList(req.TenantTags), ProcessOwner: p.ID}
	var problems problems
	if req.Environment != "" {
		if e, err := svc.Environments.FindEnvironmentByID(ctx, req.SpaceID, req.Environment); err != nil {
			problems.add("The environment '" + req.Environment + "' does not exist.")
		} else {
			sc.EnvironmentID = e.ID
		}
	}
	if req.Machine != "" {
		if m, err := svc.Machines.FindMachineByID(ctx, req.SpaceID, req.Machine); err != nil {
			problems.add("The deployment target '" + req.Machine + "' does not exist.")
		} else {
			sc.MachineID, sc.MachineRoles = m.ID, m.Roles
		}
	}
	if req.Channel != "" {
		if ch, err := svc.Channels.FindChannelByID(ctx, req.SpaceID, req.Channel); err != nil || !strings.EqualFold(ch.ProjectID, p.ID) {
			problems.add("The channel '" + req.Channel + "' does not exist in this project.")
		} else {
			sc.ChannelID = ch.ID
		}
	}
	if len(problems) > 0 {
		return nil, Invalid("There was a problem with your request: the preview context is not valid.", problems...)
	}
	if r := strings.TrimSpace(req.Role); r != "" {
		// The role stands for the target's role and the step's target role:
		// with no machine it lets role-scoped values be previewed at all.
		sc.MachineRoles = NormalizeList(append(append([]string{}, sc.MachineRoles...), r))
		sc.TargetRoles = []string{r}
	}
	sources, err := ProjectVariableSources(ctx, svc.Variables, p)
	if err != nil {
		return nil, err
	}
	return &VariablePreview{Project: p, Context: sc, Resolutions: ResolveVariables(sc, sources)}, nil
}

// ProjectVariableSources loads a project's variable set followed by its
// included library sets, in inclusion order, sensitive values blank.
func ProjectVariableSources(ctx context.Context, vars VariableService, p *Project) ([]VariableSource, error) {
	own, err := vars.FindVariableSetByID(ctx, p.SpaceID, p.VariableSetID)
	if err != nil {
		return nil, err
	}
	sources := []VariableSource{{SetID: own.ID, Variables: own.Variables}}
	for _, lid := range p.IncludedLibraryVariableSetIDs {
		lib, err := vars.FindVariableSetByID(ctx, p.SpaceID, VariableSetID(lid))
		if err != nil {
			return nil, err
		}
		sources = append(sources, VariableSource{SetID: lib.ID, Library: true, Variables: lib.Variables})
	}
	return sources, nil
}
