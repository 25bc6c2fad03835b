package app

import "context"

// DefaultProjectGroupID is seeded in every new store.
const DefaultProjectGroupID = "ProjectGroups-1"

// ProjectGroup organises projects on the dashboard.
type ProjectGroup struct {
	ID                string
	SpaceID           string
	Name              string
	Slug              string
	Description       string
	RetentionPolicyID string
	Audit
}

// Validate checks the fields a user supplies.
func (g *ProjectGroup) Validate() error {
	var p problems
	p.add(ValidateName("Name", g.Name))
	p.add(ValidateDescription("Description", g.Description))
	return p.err("project group")
}

// ProjectGroupService manages project groups; a group holding projects
// cannot be deleted.
type ProjectGroupService interface {
	FindProjectGroupByID(ctx context.Context, spaceID, id string) (*ProjectGroup, error)
	FindProjectGroups(ctx context.Context, f Filter) ([]*ProjectGroup, int, error)
	CreateProjectGroup(ctx context.Context, g *ProjectGroup) error
	UpdateProjectGroup(ctx context.Context, g *ProjectGroup) error
	DeleteProjectGroup(ctx context.Context, spaceID, id string) error
}
