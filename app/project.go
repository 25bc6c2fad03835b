package app

import "context"

// Project is a deployable thing: its deployment process, variables,
// channels and releases hang off it. Creating one also creates its
// deployment process, its variable set and a "Default" channel, in one step.
type Project struct {
	ID                            string
	SpaceID                       string
	Name                          string
	Slug                          string
	Description                   string
	LifecycleID                   string
	ProjectGroupID                string
	IsDisabled                    bool
	AutoCreateRelease             bool
	DiscreteChannelRelease        bool
	DefaultGuidedFailureMode      string // EnvironmentDefault, Off, On
	TenantedDeploymentMode        string // Untenanted, TenantedOrUntenanted, Tenanted
	VersioningTemplate            string
	IncludedLibraryVariableSetIDs []string
	DeploymentProcessID           string
	VariableSetID                 string
	Audit
}

// DefaultVersioningTemplate generates 0.0.1, 0.0.2, … when no version is given.
const DefaultVersioningTemplate = "#{Octopus.Version.LastMajor}.#{Octopus.Version.LastMinor}.#{Octopus.Version.NextPatch}"

// Validate checks the fields a user supplies.
func (pr *Project) Validate() error {
	var p problems
	p.add(ValidateName("Name", pr.Name))
	p.add(ValidateDescription("Description", pr.Description))
	if pr.LifecycleID == "" {
		p.add("LifecycleId is required.")
	}
	if pr.ProjectGroupID == "" {
		p.add("ProjectGroupId is required.")
	}
	switch pr.DefaultGuidedFailureMode {
	case "", "EnvironmentDefault", "Off", "On":
	default:
		p.add("DefaultGuidedFailureMode must be EnvironmentDefault, Off or On.")
	}
	switch pr.TenantedDeploymentMode {
	case "", "Untenanted", "TenantedOrUntenanted", "Tenanted":
	default:
		p.add("TenantedDeploymentMode must be Untenanted, TenantedOrUntenanted or Tenanted.")
	}
	if pr.Slug != "" && Slugify(pr.Slug) != pr.Slug {
		p.add("Slug may contain only lower-case letters, digits and dashes.")
	}
	return p.err("project")
}

// ProjectService manages projects. FindProjectByID also accepts a slug or a
// name, since the Octopus CLI looks projects up by whatever the user typed.
type ProjectService interface {
	FindProjectByID(ctx context.Context, spaceID, idOrSlug string) (*Project, error)
	FindProjects(ctx context.Context, f ProjectFilter) ([]*Project, int, error)
	CreateProject(ctx context.Context, p *Project) error
	UpdateProject(ctx context.Context, p *Project) error
	// DeleteProject deletes the project with its process, variables and channels.
	DeleteProject(ctx context.Context, spaceID, id string) error
}

// ProjectFilter narrows FindProjects.
type ProjectFilter struct {
	Filter
	ProjectGroupID string
}

// Channel varies process and rules for a line of releases of one project.
type Channel struct {
	ID          string
	SpaceID     string
	ProjectID   string
	Name        string
	Slug        string
	Description string
	LifecycleID string // "" = the project's lifecycle
	IsDefault   bool
	Audit
}

// ChannelService reads channels; editing them arrives with the channels issue.
type ChannelService interface {
	FindChannelByID(ctx context.Context, spaceID, id string) (*Channel, error)
	FindChannels(ctx context.Context, f ChannelFilter) ([]*Channel, int, error)
}

// ChannelFilter narrows FindChannels.
type ChannelFilter struct {
	Filter
	ProjectID string
}
