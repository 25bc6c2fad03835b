package app

import (
	"context"
	"strings"
	"time"
)

// KindRelease numbers releases ("Releases-7").
const KindRelease = "Releases"

// Release is a version of a project frozen for deployment: the deployment
// process and the variables as they were when it was created (the
// snapshot), the package version chosen for each package reference, and the
// channel. Editing the project later never changes an existing release.
type Release struct {
	ID               string
	SpaceID          string
	ProjectID        string
	ChannelID        string
	Version          string
	ReleaseNotes     string
	Assembled        time.Time
	SelectedPackages []SelectedPackage
	// Process is the snapshot of the project's deployment process.
	Process DeploymentProcess
	// Variables is the snapshot of the project's variable set followed by
	// its included library sets, in inclusion order. Sensitive values are
	// blank except when read through ReleaseService.RevealReleaseVariables.
	Variables []VariableSource
	Audit
}

// SelectedPackage is the version of one package reference chosen for a release.
type SelectedPackage struct {
	ActionName           string
	StepName             string
	PackageReferenceName string
	Version              string
}

// PackageVersion returns the version selected for the package reference
// ref of action, and whether one was selected.
func (r *Release) PackageVersion(action, ref string) (string, bool) {
	for _, p := range r.SelectedPackages {
		if strings.EqualFold(p.ActionName, action) && strings.EqualFold(p.PackageReferenceName, ref) {
			return p.Version, true
		}
	}
	return "", false
}

// Validate checks the fields a user supplies.
func (r *Release) Validate() error {
	var p problems
	if strings.TrimSpace(r.Version) == "" {
		p.add("Version is required.")
	} else if msg := ValidateName("Version", r.Version); msg != "" {
		p.add(msg)
	} else if strings.ContainsAny(r.Version, "/\\ ") {
		p.add("Version must not contain spaces or slashes.")
	}
	if r.ProjectID == "" {
		p.add("ProjectId is required.")
	}
	if len(r.ReleaseNotes) > 1<<20 {
		p.add("ReleaseNotes must be at most 1 MiB.")
	}
	return p.err("release")
}

// ReleaseService stores releases and their snapshots.
type ReleaseService interface {
	FindReleaseByID(ctx context.Context, spaceID, id string) (*Release, error)
	// FindReleaseByVersion finds a project's release by version (case-insensitive).
	FindReleaseByVersion(ctx context.Context, spaceID, projectID, version string) (*Release, error)
	// FindReleases returns releases newest first.
	FindReleases(ctx context.Context, f ReleaseFilter) ([]*Release, int, error)
	// CreateRelease stores r, taking the snapshot of the project's process
	// and variables in the same transaction; the version must be unused in
	// the project (ECONFLICT otherwise). ChannelID "" = the default channel.
	CreateRelease(ctx context.Context, r *Release) error
	// SnapshotReleaseVariables replaces the release's variable snapshot
	// with the project's current variables.
	SnapshotReleaseVariables(ctx context.Context, spaceID, id string) (*Release, error)
	// RevealReleaseVariables returns the variable snapshot with sensitive
	// values decrypted; only the deployment planner's caller uses it.
	RevealReleaseVariables(ctx context.Context, spaceID, id string) ([]VariableSource, error)
	DeleteRelease(ctx context.Context, spaceID, id string) error
}

// ReleaseFilter narrows FindReleases.
type ReleaseFilter struct {
	Filter
	ProjectID string
	ChannelID string
}

// PackageVersionSource answers which version of a package is the latest in
// a feed. It is optional: without one, release creation requires explicit
// package versions.
type PackageVersionSource interface {
	LatestPackageVersion(ctx context.Context, spaceID, packageID string) (string, error)
}
