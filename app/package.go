package app

import (
	"context"
	"io"
	"time"
)

// KindPackage names the stored package collection. Packages are not
// numbered "Kind-N" for users: their IDs are "packages-<PackageId>.<Version>".
const KindPackage = "Packages"

// PackageIDPrefix starts every package ID ("packages-Acme.Web.1.2.0").
const PackageIDPrefix = "packages-"

// PackageRecordID returns the user-visible ID of one version of a package.
func PackageRecordID(packageID, version string) string {
	return PackageIDPrefix + packageID + "." + version
}

// Package is one version of a package in the built-in repository: the file
// itself lives in the content-addressed blob store under Hash.
type Package struct {
	ID            string // "packages-Acme.Web.1.2.0"
	SpaceID       string
	PackageID     string // "Acme.Web"
	Version       string // as written in the file name: "1.2.0-beta.1"
	Title         string // from a .nuspec, else the package ID
	Description   string
	Published     time.Time
	Size          int64
	Hash          string // hex SHA-256 of the file
	FileExtension string // ".zip", ".tar.gz", …
	PushedBy      string // username
	// BlobMissing is set by the start-up reconcile when the file this
	// record points at is gone; downloads then fail with a clear error.
	BlobMissing bool
}

// FileName is the name the package was pushed with.
func (p *Package) FileName() string { return p.PackageID + "." + p.Version + p.FileExtension }

// OverwriteMode says what a push does when the version already exists.
type OverwriteMode string

// The overwrite modes, spelled as the Octopus API's overwriteMode parameter.
const (
	FailIfExists      OverwriteMode = "FailIfExists"
	OverwriteExisting OverwriteMode = "OverwriteExisting"
	IgnoreIfExists    OverwriteMode = "IgnoreIfExists"
)

// PushResult says what a push did.
type PushResult int

// Push results.
const (
	PushCreated     PushResult = iota + 1 // a new version was stored (or an old one replaced)
	PushIgnored                           // the version existed and IgnoreIfExists kept it
	PushOverwritten                       // the version existed and was replaced
)

// PackageFilter selects package versions of one space.
type PackageFilter struct {
	SpaceID   string
	PackageID string // exact, case-insensitive; "" = all
	Filter    string // substring of the package ID, case-insensitive
	Latest    bool   // only the newest version of each package ID
	Skip      int
	Take      int // 0 = no limit
}

// FeedSettings are the settings of a space's built-in feed.
type FeedSettings struct {
	SpaceID string
	// KeepVersions keeps the newest N versions of each package; 0 = keep all.
	KeepVersions int
	// KeepDays deletes versions published more than D days ago; 0 = never.
	// When both are set a version goes only if both rules let it go, so the
	// newest KeepVersions always stay however old they are.
	KeepDays int
}

// Validate checks the settings a user supplies.
func (s *FeedSettings) Validate() error {
	var p problems
	if s.KeepVersions < 0 {
		p.add("The number of versions to keep must not be negative.")
	}
	if s.KeepDays < 0 {
		p.add("The number of days to keep must not be negative.")
	}
	return p.err("feed settings")
}

// RetentionRun reports what one retention run removed.
type RetentionRun struct {
	SpaceID string
	Started time.Time
	Removed []*Package
	// Kept counts versions the policy would have removed but a release uses.
	KeptReferenced int
}

// PackageService is the built-in package repository as the API and the
// portal use it. Implementations parse and validate the file name, stream
// the content into the blob store (never holding it in memory), check the
// archive, and commit the metadata in one transaction once the file is
// durable.
type PackageService interface {
	// PushPackage stores the package file named fileName read from r.
	// Errors: EINVALID for a bad name, version or archive, ECONFLICT when
	// the version exists and mode is FailIfExists, ETOOLARGE over the limit.
	PushPackage(ctx context.Context, spaceID, fileName string, r io.Reader, mode OverwriteMode) (*Package, PushResult, error)
	// PackageExists reports (cheaply, before any upload) whether the version
	// fileName names exists; it is an optimisation, PushPackage decides.
	PackageExists(ctx context.Context, spaceID, fileName string) (*Package, error)
	FindPackageByID(ctx context.Context, spaceID, id string) (*Package, error)
	// FindPackages returns matches sorted by package ID, newest version
	// first, and the total before paging.
	FindPackages(ctx context.Context, f PackageFilter) ([]*Package, int, error)
	// OpenPackage returns the package and its file; the caller closes it.
	OpenPackage(ctx context.Context, spaceID, id string) (*Package, ReadSeekCloser, error)
	// DeletePackage removes one version; ECONFLICT while a release uses it.
	DeletePackage(ctx context.Context, spaceID, id string) error
	FeedSettings(ctx context.Context, spaceID string) (*FeedSettings, error)
	UpdateFeedSettings(ctx context.Context, s *FeedSettings) error
	// RunRetention applies the space's retention settings now.
	RunRetention(ctx context.Context, spaceID string) (*RetentionRun, error)
}

// ReadSeekCloser is an open package file; it also serves ranges (ReadAt).
type ReadSeekCloser interface {
	io.ReadSeeker
	io.ReaderAt
	io.Closer
}

// StoreOptions steer PackageStore.StorePackage.
type StoreOptions struct {
	Mode OverwriteMode
	// VersionKey identifies the version for uniqueness ("1.2" and "1.2.0"
	// are one version); the package ID is compared case-insensitively.
	VersionKey string
	// MaxSize > 0 refuses content over that many bytes with ETOOLARGE.
	MaxSize int64
	// Inspect, when set, runs on the fsynced temp copy of the content before
	// it is placed in the blob store or any metadata exists; an error
	// refuses the push. It may fill Title and Description of the package.
	Inspect func(ctx context.Context, r io.ReaderAt, size int64) error
}

// PackageStore is the persistence the package repository needs; package
// storage implements it. Every method is one transaction; StorePackage
// commits the metadata only after the content is durable.
type PackageStore interface {
	StorePackage(ctx context.Context, p *Package, r io.Reader, o StoreOptions) (PushResult, error)
	FindPackageByID(ctx context.Context, spaceID, id string) (*Package, error)
	// FindPackageByVersion finds a version by package ID and StoreOptions.VersionKey.
	FindPackageByVersion(ctx context.Context, spaceID, packageID, versionKey string) (*Package, error)
	// ListPackages returns every version of packageID ("" = of every
	// package) in the space, unsorted.
	ListPackages(ctx context.Context, spaceID, packageID string) ([]*Package, error)
	OpenPackageBlob(ctx context.Context, p *Package) (ReadSeekCloser, error)
	// DeletePackage removes one version with an audit event saying why;
	// ECONFLICT while a release uses it.
	DeletePackage(ctx context.Context, spaceID, id, reason string) error
	FeedSettings(ctx context.Context, spaceID string) (*FeedSettings, error)
	UpdateFeedSettings(ctx context.Context, s *FeedSettings) error
}
