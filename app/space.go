package app

import "context"

// DefaultSpaceID is the space every install starts with and the one that
// routes without a space segment (/api/environments) address.
const DefaultSpaceID = "Spaces-1"

// Space partitions everything a team owns: environments, projects, targets.
type Space struct {
	ID               string
	Name             string
	Description      string
	IsDefault        bool
	TaskQueueStopped bool
	Audit
}

// SpaceService reads spaces. Only the default space exists for now.
type SpaceService interface {
	FindSpaceByID(ctx context.Context, id string) (*Space, error)
	FindSpaces(ctx context.Context, f Filter) ([]*Space, int, error)
}
