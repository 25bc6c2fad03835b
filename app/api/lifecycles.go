package api

import (
	"github.com/argonautdeploy/argonaut/app"
)

// RetentionPolicyResource is Octopus's retention shape.
type RetentionPolicyResource struct {
	QuantityToKeep    int
	ShouldKeepForever bool
	Unit              string
}

// PhaseResource is one lifecycle phase.
type PhaseResource struct {
	Id                                 string
	Name                               string
	AutomaticDeploymentTargets         []string
	OptionalDeploymentTargets          []string
	MinimumEnvironmentsBeforePromotion int
	IsOptionalPhase                    bool
	IsPriorityPhase                    bool
	ReleaseRetentionPolicy             *RetentionPolicyResource
	TentacleRetentionPolicy            *RetentionPolicyResource
}

// LifecycleResource is a lifecycle as clients see it.
type LifecycleResource struct {
	Id                      string
	Name                    string
	Slug                    string
	Description             string
	Phases                  []PhaseResource
	ReleaseRetentionPolicy  *RetentionPolicyResource
	TentacleRetentionPolicy *RetentionPolicyResource
	SpaceId                 string
	LastModifiedOn          Time
	LastModifiedBy          string
	Links                   map[string]string
}

func retentionDTO(r app.RetentionPolicy) *RetentionPolicyResource {
	return &RetentionPolicyResource{QuantityToKeep: r.QuantityToKeep, ShouldKeepForever: r.ShouldKeepForever, Unit: r.Unit}
}

func retentionApp(r *RetentionPolicyResource) app.RetentionPolicy {
	if r == nil {
		return app.RetentionPolicy{ShouldKeepForever: true, Unit: app.RetentionUnitDays}
	}
	return app.RetentionPolicy{QuantityToKeep: r.QuantityToKeep, ShouldKeepForever: r.ShouldKeepForever, Unit: r.Unit}
}

func lifecycleDTO(l *app.Lifecycle) LifecycleResource {
	r := LifecycleResource{Id: l.ID, Name: l.Name, Slug: l.Slug, Description: l.Description, Phases: []PhaseResource{},
		ReleaseRetentionPolicy: retentionDTO(l.ReleaseRetentionPolicy), TentacleRetentionPolicy: retentionDTO(l.TentacleRetentionPolicy),
		SpaceId: l.SpaceID, LastModifiedOn: Time{l.LastModifiedOn}, LastModifiedBy: l.LastModifiedBy,
		Links: map[string]string{"Self": spaceLink(l.SpaceID, "/lifecycles/%s", l.ID),
			"Preview": spaceLink(l.SpaceID, "/lifecycles/%s/preview", l.ID)}}
	for _, p := range l.Phases {
		pr := PhaseResource{Id: p.ID, Name: p.Name, AutomaticDeploymentTargets: p.AutomaticDeploymentTargets,
			OptionalDeploymentTargets: p.OptionalDeploymentTargets, MinimumEnvironmentsBeforePromotion: p.MinimumEnvironmentsBeforePromotion,
			IsOptionalPhase: p.IsOptionalPhase}
		if p.ReleaseRetentionPolicy != nil {
			pr.ReleaseRetentionPolicy = retentionDTO(*p.ReleaseRetentionPolicy)
		}
		if p.TentacleRetentionPolicy != nil {
			pr.TentacleRetentionPolicy = retentionDTO(*p.TentacleRetentionPolicy)
		}
		r.Phases = append(r.Phases, pr)
	}
	return r
}

func (r LifecycleResource) toApp(space string) *app.Lifecycle {
	l := &app.Lifecycle{ID: r.Id, SpaceID: space, Name: r.Name, Description: r.Description,
		ReleaseRetentionPolicy: retentionApp(r.ReleaseRetentionPolicy), TentacleRetentionPolicy: retentionApp(r.TentacleRetentionPolicy)}
	for _, p := range r.Phases {
		ph := app.Phase{ID: p.Id, Name: p.Name, AutomaticDeploymentTargets: p.AutomaticDeploymentTargets,
			OptionalDeploymentTargets: p.OptionalDeploymentTargets, MinimumEnvironmentsBeforePromotion: p.MinimumEnvironmentsBeforePromotion,
			IsOptionalPhase: p.IsOptionalPhase}
		if p.ReleaseRetentionPolicy != nil {
			rr := retentionApp(p.ReleaseRetentionPolicy)
			ph.ReleaseRetentionPolicy = &rr
		}
		if p.TentacleRetentionPolicy != nil {
			tr := retentionApp(p.TentacleRetentionPolicy)
			ph.TentacleRetentionPolicy = &tr
		}
		l.Phases = append(l.Phases, ph)
	}
	return l
}

// lifecycleResource serves the standard lifecycle routes.
func (h *Handler) lifecycleResource() resource[app.Lifecycle, LifecycleResource] {
	return resource[app.Lifecycle, LifecycleResource]{itemType: "Lifecycle",
		find: h.Lifecycles.FindLifecycleByID, list: h.Lifecycles.FindLifecycles,
		create: h.Lifecycles.CreateLifecycle, update: h.Lifecycles.UpdateLifecycle,
		remove: h.Lifecycles.DeleteLifecycle, toDTO: lifecycleDTO,
		fromDTO: func(d *LifecycleResource, space, id string) *app.Lifecycle {
			l := d.toApp(space)
			l.ID = id
			return l
		}}
}
