package api

import (
	"github.com/gofiber/fiber/v2"

	"github.com/argonautdeploy/argonaut/app"
)

// PhaseProgressionResource is one lifecycle phase of a release, as
// Octopus's LifecycleProgressionResource lists them.
type PhaseProgressionResource struct {
	Id                                 string
	Name                               string
	Blocked                            bool
	Progress                           string // Pending, Current or Complete
	AutomaticDeploymentTargets         []string
	OptionalDeploymentTargets          []string
	MinimumEnvironmentsBeforePromotion int
	IsOptionalPhase                    bool
	SucceededEnvironmentIds            []string
}

// LifecycleProgressionResource is GET /releases/{id}/progression.
type LifecycleProgressionResource struct {
	Id                             string
	LifecycleId                    string
	LifecycleName                  string
	Phases                         []PhaseProgressionResource
	NextDeployments                []string
	NextDeploymentsMinimumRequired int
	Links                          map[string]string
}

// DeploymentPromotionTarget is an environment a release may go to now.
type DeploymentPromotionTarget struct {
	Id    string
	Name  string
	Links map[string]string
}

// DeploymentTemplateResource is GET /releases/{id}/deployments/template:
// the deploy form's choices (Octopus clients read PromoteTo).
type DeploymentTemplateResource struct {
	IsDeploymentProcessModified  bool
	IsVariableSetModified        bool
	IsLibraryVariableSetModified bool
	DeploymentNotes              string
	PromoteTo                    []DeploymentPromotionTarget
	TenantPromotions             []any
}

// progression finds the release named by the route and its progression.
func (h *Handler) progression(c *fiber.Ctx) (*app.Release, *app.Progression, error) {
	svc, err := h.deploymentsOrErr()
	if err != nil {
		return nil, nil, err
	}
	rel, err := h.Releases.FindReleaseByID(c.UserContext(), spaceID(c), param(c, "id"))
	if err != nil {
		return nil, nil, err
	}
	p, err := svc.Progression(c.UserContext(), rel)
	return rel, p, err
}

func (h *Handler) releaseProgression(c *fiber.Ctx) error {
	rel, p, err := h.progression(c)
	if err != nil {
		return err
	}
	out := LifecycleProgressionResource{Id: rel.ID, LifecycleId: p.LifecycleID, LifecycleName: p.LifecycleName,
		Phases: []PhaseProgressionResource{}, NextDeployments: orEmptyList(p.NextDeployments),
		NextDeploymentsMinimumRequired: p.NextDeploymentsMinimumRequired,
		Links: map[string]string{"Self": spaceLink(rel.SpaceID, "/releases/%s/progression", rel.ID),
			"Release": spaceLink(rel.SpaceID, "/releases/%s", rel.ID)}}
	for _, ph := range p.Phases {
		out.Phases = append(out.Phases, PhaseProgressionResource{Id: ph.ID, Name: ph.Name, Progress: ph.Progress,
			AutomaticDeploymentTargets: orEmptyList(ph.AutomaticDeploymentTargets), OptionalDeploymentTargets: orEmptyList(ph.OptionalDeploymentTargets),
			MinimumEnvironmentsBeforePromotion: ph.MinimumEnvironmentsBeforePromotion, IsOptionalPhase: ph.IsOptionalPhase,
			SucceededEnvironmentIds: orEmptyList(ph.Succeeded)})
	}
	return c.JSON(out)
}

func (h *Handler) releaseDeploymentTemplate(c *fiber.Ctx) error {
	rel, p, err := h.progression(c)
	if err != nil {
		return err
	}
	envs, _, err := h.Environments.FindEnvironments(c.UserContext(), app.Filter{SpaceID: rel.SpaceID})
	if err != nil {
		return err
	}
	out := DeploymentTemplateResource{PromoteTo: []DeploymentPromotionTarget{}, TenantPromotions: []any{}}
	for _, e := range envs {
		if p.Allows(e.ID) {
			out.PromoteTo = append(out.PromoteTo, DeploymentPromotionTarget{Id: e.ID, Name: e.Name,
				Links: map[string]string{"Environment": spaceLink(e.SpaceID, "/environments/%s", e.ID)}})
		}
	}
	return c.JSON(out)
}
