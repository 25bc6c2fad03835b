package api

import (
	"sort"
	"strings"

	"github.com/argonautdeploy/argonaut/app"
	"github.com/gofiber/fiber/v2"
)

// VariableScopeResource is a variable's scope; JSON keys are singular, as in Octopus.
type VariableScopeResource struct {
	Environment  []string `json:",omitempty"`
	Machine      []string `json:",omitempty"`
	Role         []string `json:",omitempty"`
	Action       []string `json:",omitempty"`
	Channel      []string `json:",omitempty"`
	TenantTag    []string `json:",omitempty"`
	Tenant       []string `json:",omitempty"`
	ProcessOwner []string `json:",omitempty"`
}

// VariablePromptResource asks for a value at deployment time.
type VariablePromptResource struct {
	Label           string
	Description     string
	Required        bool
	DisplaySettings map[string]string
}

// VariableResource is one variable. Value is null for sensitive variables,
// always: on PUT, a sensitive variable sent with Value null keeps its
// stored value.
type VariableResource struct {
	Id          string
	Name        string
	Value       *string
	Description string
	Type        string
	IsSensitive bool
	IsEditable  bool
	Scope       VariableScopeResource
	Prompt      *VariablePromptResource
}

// ReferenceDataItem names a scope value for pickers.
type ReferenceDataItem struct {
	Id   string
	Name string
}

// ScopeValuesResource lists what a set's variables may be scoped to.
type ScopeValuesResource struct {
	Environments []ReferenceDataItem
	Machines     []ReferenceDataItem
	Actions      []ReferenceDataItem
	Roles        []ReferenceDataItem
	Channels     []ReferenceDataItem
	TenantTags   []ReferenceDataItem
	Processes    []ReferenceDataItem
}

// VariableSetResource is a project's or library set's variables.
type VariableSetResource struct {
	Id          string
	OwnerId     string
	SpaceId     string
	Version     int
	Variables   []VariableResource
	ScopeValues ScopeValuesResource
	Links       map[string]string
}

func variableDTO(v app.Variable) VariableResource {
	r := VariableResource{Id: v.ID, Name: v.Name, Description: v.Description, Type: v.Type, IsSensitive: v.IsSensitive,
		IsEditable: true, Scope: VariableScopeResource(v.Scope)}
	if !v.IsSensitive {
		value := v.Value
		r.Value = &value
	}
	if v.Prompt != nil {
		r.Prompt = &VariablePromptResource{Label: v.Prompt.Label, Description: v.Prompt.Description, Required: v.Prompt.Required,
			DisplaySettings: map[string]string{}}
	}
	return r
}

func (r VariableResource) toApp() app.Variable {
	v := app.Variable{ID: r.Id, Name: r.Name, Description: r.Description, Type: r.Type, IsSensitive: r.IsSensitive,
		Scope: app.VariableScope(r.Scope)}
	if r.Type == app.VariableTypeSensitive {
		v.IsSensitive = true
	}
	if r.Value != nil {
		v.Value = *r.Value
	} else if v.IsSensitive {
		v.KeepValue = true
	}
	if r.Prompt != nil {
		v.Prompt = &app.VariablePrompt{Label: r.Prompt.Label, Description: r.Prompt.Description, Required: r.Prompt.Required}
	}
	return v
}

func (h *Handler) variableSetDTO(c *fiber.Ctx, vs *app.VariableSet) (VariableSetResource, error) {
	r := VariableSetResource{Id: vs.ID, OwnerId: vs.OwnerID, SpaceId: vs.SpaceID, Version: vs.Version,
		Variables: mapAll(vs.Variables, variableDTO),
		Links:     map[string]string{"Self": spaceLink(vs.SpaceID, "/variables/%s", vs.ID)}}
	sv, err := h.scopeValues(c, vs)
	r.ScopeValues = sv
	return r, err
}

// scopeValues lists environments, machines, roles and (for projects)
// channels and steps of the set's space, for the scope pickers of clients.
func (h *Handler) scopeValues(c *fiber.Ctx, vs *app.VariableSet) (ScopeValuesResource, error) {
	ctx := c.UserContext()
	sv := ScopeValuesResource{Environments: []ReferenceDataItem{}, Machines: []ReferenceDataItem{}, Actions: []ReferenceDataItem{},
		Roles: []ReferenceDataItem{}, Channels: []ReferenceDataItem{}, TenantTags: []ReferenceDataItem{}, Processes: []ReferenceDataItem{}}
	envs, _, err := h.Environments.FindEnvironments(ctx, app.Filter{SpaceID: vs.SpaceID})
	if err != nil {
		return sv, err
	}
	for _, e := range envs {
		sv.Environments = append(sv.Environments, ReferenceDataItem{e.ID, e.Name})
	}
	machines, _, err := h.Machines.FindMachines(ctx, app.MachineFilter{Filter: app.Filter{SpaceID: vs.SpaceID}})
	if err != nil {
		return sv, err
	}
	for _, m := range machines {
		sv.Machines = append(sv.Machines, ReferenceDataItem{m.ID, m.Name})
	}
	roles, err := h.Machines.FindMachineRoles(ctx, vs.SpaceID)
	if err != nil {
		return sv, err
	}
	for _, v := range vs.Variables {
		roles = append(roles, v.Scope.Role...)
	}
	roles = app.NormalizeList(roles)
	sort.Slice(roles, func(i, j int) bool { return strings.ToLower(roles[i]) < strings.ToLower(roles[j]) })
	for _, r := range roles {
		sv.Roles = append(sv.Roles, ReferenceDataItem{r, r})
	}
	if _, ok := app.ParseID(app.KindProject, vs.OwnerID); ok {
		chans, _, err := h.Channels.FindChannels(ctx, app.ChannelFilter{Filter: app.Filter{SpaceID: vs.SpaceID}, ProjectID: vs.OwnerID})
		if err != nil {
			return sv, err
		}
		for _, ch := range chans {
			sv.Channels = append(sv.Channels, ReferenceDataItem{ch.ID, ch.Name})
		}
		if p, err := h.Projects.FindProjectByID(ctx, vs.SpaceID, vs.OwnerID); err == nil {
			sv.Processes = append(sv.Processes, ReferenceDataItem{p.ID, p.Name})
			if dp, err := h.Processes.FindDeploymentProcessByID(ctx, vs.SpaceID, p.DeploymentProcessID); err == nil {
				for _, s := range dp.Steps {
					for _, a := range s.Actions {
						sv.Actions = append(sv.Actions, ReferenceDataItem{a.ID, a.Name})
					}
				}
			}
		}
	}
	return sv, nil
}

func (h *Handler) getVariableSet(c *fiber.Ctx) error {
	vs, err := h.Variables.FindVariableSetByID(c.UserContext(), spaceID(c), c.Params("id"))
	if err != nil {
		return err
	}
	r, err := h.variableSetDTO(c, vs)
	if err != nil {
		return err
	}
	return c.JSON(r)
}

func (h *Handler) updateVariableSet(c *fiber.Ctx) error {
	var r VariableSetResource
	if err := decode(c, &r); err != nil {
		return err
	}
	existing, err := h.Variables.FindVariableSetByID(c.UserContext(), spaceID(c), c.Params("id"))
	if err != nil {
		return err
	}
	vs := &app.VariableSet{ID: existing.ID, SpaceID: existing.SpaceID, Version: r.Version,
		Variables: mapAll(r.Variables, VariableResource.toApp)}
	if err := h.Variables.UpdateVariableSet(c.UserContext(), vs); err != nil {
		return err
	}
	out, err := h.variableSetDTO(c, vs)
	if err != nil {
		return err
	}
	return c.JSON(out)
}

// LibraryVariableSetResource is a library variable set.
type LibraryVariableSetResource struct {
	Id            string
	Name          string
	Description   string
	VariableSetId string
	ContentType   string
	Templates     []any
	SpaceId       string
	Links         map[string]string
}

func libraryDTO(l *app.LibraryVariableSet) LibraryVariableSetResource {
	return LibraryVariableSetResource{Id: l.ID, Name: l.Name, Description: l.Description, VariableSetId: l.VariableSetID,
		ContentType: l.ContentType, Templates: []any{}, SpaceId: l.SpaceID,
		Links: map[string]string{"Self": spaceLink(l.SpaceID, "/libraryvariablesets/%s", l.ID),
			"Variables": spaceLink(l.SpaceID, "/variables/%s", l.VariableSetID)}}
}

func (r LibraryVariableSetResource) toApp(space string) *app.LibraryVariableSet {
	return &app.LibraryVariableSet{ID: r.Id, SpaceID: space, Name: r.Name, Description: r.Description, ContentType: r.ContentType}
}

func (h *Handler) listLibraryVariableSets(c *fiber.Ctx) error {
	f, err := listFilter(c)
	if err != nil {
		return err
	}
	if ct := c.Query("contentType"); ct != "" && ct != "Variables" {
		return c.JSON(page(c, "LibraryVariableSet", []LibraryVariableSetResource{}, 0, f))
	}
	items, total, err := h.Variables.FindLibraryVariableSets(c.UserContext(), f)
	if err != nil {
		return err
	}
	return c.JSON(page(c, "LibraryVariableSet", mapAll(items, libraryDTO), total, f))
}

func (h *Handler) allLibraryVariableSets(c *fiber.Ctx) error {
	items, _, err := h.Variables.FindLibraryVariableSets(c.UserContext(), app.Filter{SpaceID: spaceID(c), IDs: splitList(c.Query("ids"))})
	if err != nil {
		return err
	}
	return c.JSON(mapAll(items, libraryDTO))
}

func (h *Handler) getLibraryVariableSet(c *fiber.Ctx) error {
	l, err := h.Variables.FindLibraryVariableSetByID(c.UserContext(), spaceID(c), c.Params("id"))
	if err != nil {
		return err
	}
	return c.JSON(libraryDTO(l))
}

func (h *Handler) createLibraryVariableSet(c *fiber.Ctx) error {
	var r LibraryVariableSetResource
	if err := decode(c, &r); err != nil {
		return err
	}
	l := r.toApp(spaceID(c))
	if err := h.Variables.CreateLibraryVariableSet(c.UserContext(), l); err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(libraryDTO(l))
}

func (h *Handler) updateLibraryVariableSet(c *fiber.Ctx) error {
	var r LibraryVariableSetResource
	if err := decode(c, &r); err != nil {
		return err
	}
	existing, err := h.Variables.FindLibraryVariableSetByID(c.UserContext(), spaceID(c), c.Params("id"))
	if err != nil {
		return err
	}
	l := r.toApp(spaceID(c))
	l.ID = existing.ID
	if err := h.Variables.UpdateLibraryVariableSet(c.UserContext(), l); err != nil {
		return err
	}
	return c.JSON(libraryDTO(l))
}

func (h *Handler) deleteLibraryVariableSet(c *fiber.Ctx) error {
	if err := h.Variables.DeleteLibraryVariableSet(c.UserContext(), spaceID(c), c.Params("id")); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusOK)
}

// PreviewCandidateResource is one value considered for a name.
type PreviewCandidateResource struct {
	VariableId  string
	Value       string // Masked for sensitive values
	IsSensitive bool
	Scope       VariableScopeResource
	ScopeText   string
	Matched     []string
	SetId       string
	IsLibrary   bool
}

// PreviewVariableResource is what one name resolves to.
type PreviewVariableResource struct {
	Name   string
	Winner PreviewCandidateResource
	Beaten []PreviewCandidateResource
}

// VariablePreviewResource is the answer of GET /variables/preview.
type VariablePreviewResource struct {
	ProjectId     string
	EnvironmentId string
	ChannelId     string
	TenantId      string
	ActionId      string
	MachineId     string
	MachineRoles  []string
	TargetRoles   []string
	Variables     []PreviewVariableResource
}

// PreviewCandidateDTO renders a candidate; a sensitive value is always Masked.
func PreviewCandidateDTO(c app.Candidate) PreviewCandidateResource {
	value := c.Variable.Value
	if c.Variable.IsSensitive {
		value = app.Masked
	}
	return PreviewCandidateResource{VariableId: c.Variable.ID, Value: value, IsSensitive: c.Variable.IsSensitive,
		Scope: VariableScopeResource(c.Variable.Scope), ScopeText: c.Variable.Scope.String(), Matched: orEmptyList(c.Matched),
		SetId: c.SetID, IsLibrary: c.Library}
}

// orEmptyList makes a nil list encode as [] rather than null, as Octopus
// clients expect.
func orEmptyList(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func (h *Handler) previewVariables(c *fiber.Ctx) error {
	req := app.PreviewRequest{SpaceID: spaceID(c), Project: c.Query("project"), Environment: c.Query("environment"),
		Channel: c.Query("channel"), Tenant: c.Query("tenant"), Action: c.Query("action"), Machine: c.Query("machine"),
		Role: c.Query("role"), TenantTags: splitList(c.Query("tenantTags"))}
	pv, err := app.PreviewVariables(c.UserContext(), app.PreviewServices{Projects: h.Projects, Variables: h.Variables,
		Environments: h.Environments, Machines: h.Machines, Channels: h.Channels}, req)
	if err != nil {
		return err
	}
	out := VariablePreviewResource{ProjectId: pv.Project.ID, EnvironmentId: pv.Context.EnvironmentID, ChannelId: pv.Context.ChannelID,
		TenantId: pv.Context.TenantID, ActionId: pv.Context.ActionID, MachineId: pv.Context.MachineID,
		MachineRoles: orEmptyList(pv.Context.MachineRoles), TargetRoles: orEmptyList(pv.Context.TargetRoles),
		Variables: make([]PreviewVariableResource, 0, len(pv.Resolutions))}
	for _, r := range pv.Resolutions {
		out.Variables = append(out.Variables, PreviewVariableResource{Name: r.Name, Winner: PreviewCandidateDTO(r.Winner),
			Beaten: mapAll(r.Beaten, PreviewCandidateDTO)})
	}
	return c.JSON(out)
}
