package app

import "context"

// Environment is a stage a release moves through (Dev, Test, Production).
// Targets belong to environments; SortOrder drives every display order.
type Environment struct {
	ID                         string
	SpaceID                    string
	Name                       string
	Slug                       string
	Description                string
	SortOrder                  int
	UseGuidedFailure           bool
	AllowDynamicInfrastructure bool
	Audit
}

// Validate checks the fields a user supplies.
func (e *Environment) Validate() error {
	var p problems
	p.add(ValidateName("Name", e.Name))
	p.add(ValidateDescription("Description", e.Description))
	return p.err("environment")
}

// EnvironmentService manages environments. Names are unique per space,
// case-insensitively; deleting one that targets still use is refused.
type EnvironmentService interface {
	FindEnvironmentByID(ctx context.Context, spaceID, id string) (*Environment, error)
	// FindEnvironments returns matches in SortOrder, and the total before paging.
	FindEnvironments(ctx context.Context, f Filter) ([]*Environment, int, error)
	CreateEnvironment(ctx context.Context, e *Environment) error
	UpdateEnvironment(ctx context.Context, e *Environment) error
	DeleteEnvironment(ctx context.Context, spaceID, id string) error
	// ReorderEnvironments sets SortOrder from the position of each ID in ids;
	// ids must name every environment of the space exactly once.
	ReorderEnvironments(ctx context.Context, spaceID string, ids []string) error
}
