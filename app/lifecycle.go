package app

import (
	"context"
	"fmt"
)

// DefaultLifecycleID is seeded in every new store.
const DefaultLifecycleID = "Lifecycles-1"

// Retention units.
const (
	RetentionUnitDays  = "Days"
	RetentionUnitItems = "Items"
)

// RetentionPolicy says how many releases (or days of them) to keep.
type RetentionPolicy struct {
	QuantityToKeep    int
	ShouldKeepForever bool
	Unit              string // Days or Items
}

// Phase is one stage of a lifecycle. Enforcement arrives with releases.
type Phase struct {
	ID                                 string
	Name                               string
	AutomaticDeploymentTargets         []string
	OptionalDeploymentTargets          []string
	MinimumEnvironmentsBeforePromotion int
	IsOptionalPhase                    bool
	ReleaseRetentionPolicy             *RetentionPolicy
	TentacleRetentionPolicy            *RetentionPolicy
}

// Lifecycle decides which environments a release may be deployed to next.
// With no phases, every environment in sort order forms its own phase.
type Lifecycle struct {
	ID                      string
	SpaceID                 string
	Name                    string
	Slug                    string
	Description             string
	Phases                  []Phase
	ReleaseRetentionPolicy  RetentionPolicy
	TentacleRetentionPolicy RetentionPolicy
	Audit
}

// Validate checks the fields a user supplies.
func (l *Lifecycle) Validate() error {
	var p problems
	p.add(ValidateName("Name", l.Name))
	p.add(ValidateDescription("Description", l.Description))
	for i, ph := range l.Phases {
		p.add(ValidateName(fmt.Sprintf("Phase %d name", i+1), ph.Name))
		if ph.MinimumEnvironmentsBeforePromotion < 0 {
			p.add(fmt.Sprintf("Phase %d minimum environments must not be negative.", i+1))
		}
	}
	for _, r := range []RetentionPolicy{l.ReleaseRetentionPolicy, l.TentacleRetentionPolicy} {
		if r.QuantityToKeep < 0 {
			p.add("Retention quantity must not be negative.")
		}
		if r.Unit != "" && r.Unit != RetentionUnitDays && r.Unit != RetentionUnitItems {
			p.add("Retention unit must be Days or Items.")
		}
	}
	return p.err("lifecycle")
}

// LifecycleService manages lifecycles; one used by a project or channel
// cannot be deleted.
type LifecycleService interface {
	FindLifecycleByID(ctx context.Context, spaceID, id string) (*Lifecycle, error)
	FindLifecycles(ctx context.Context, f Filter) ([]*Lifecycle, int, error)
	CreateLifecycle(ctx context.Context, l *Lifecycle) error
	UpdateLifecycle(ctx context.Context, l *Lifecycle) error
	DeleteLifecycle(ctx context.Context, spaceID, id string) error
}
