// Package feed is the built-in package repository: it turns a pushed file
// name into a package ID and version the way Octopus does, checks the
// archive, hands the content to the store to keep durably, lists versions
// in version order, and applies the retention policy. It implements
// app.PackageService on top of an app.PackageStore.
package feed

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/argonautdeploy/argonaut/app"
	"github.com/argonautdeploy/argonaut/runner/version"
)

// DefaultMaxPackageSize is the largest package accepted unless configured.
const DefaultMaxPackageSize int64 = 10 << 30

// DefaultRetentionInterval is how often the retention policy runs by itself.
const DefaultRetentionInterval = time.Hour

// Manifest is what a package says about itself (a .nupkg's .nuspec).
type Manifest struct {
	ID          string
	Version     string
	Title       string
	Description string
}

// PackageValidator checks the content of a pushed package before it is
// accepted. It reads the staged file (r, size), never the network, and
// returns an *app.Error with code EINVALID naming the offending entry when
// the archive is unsafe or over its limits. For a .nupkg it returns the
// .nuspec's ID and version so that the feed can check they agree with the
// file name.
//
// This is the seam for runner/archive (issue 3 item 3, built on branch
// archive): ArchiveValidator wires it in once that branch is merged.
type PackageValidator interface {
	ValidatePackage(ctx context.Context, r io.ReaderAt, size int64, name version.FileName) (Manifest, error)
}

// Config tunes a Service; zero fields take the defaults.
type Config struct {
	// MaxPackageSize is the largest package accepted (ETOOLARGE above it).
	MaxPackageSize int64
	// RetentionInterval is how often Start's loop applies retention.
	RetentionInterval time.Duration
	// Validator checks archives; nil accepts any content.
	Validator PackageValidator
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
}

// Service implements app.PackageService.
type Service struct {
	log    *slog.Logger
	store  app.PackageStore
	spaces app.SpaceService
	cfg    Config

	stop chan struct{}
	wg   sync.WaitGroup
}

var _ app.PackageService = (*Service)(nil)

// New returns a feed over store. spaces lists the spaces retention visits.
func New(log *slog.Logger, store app.PackageStore, spaces app.SpaceService, cfg Config) *Service {
	if cfg.MaxPackageSize <= 0 {
		cfg.MaxPackageSize = DefaultMaxPackageSize
	}
	if cfg.RetentionInterval <= 0 {
		cfg.RetentionInterval = DefaultRetentionInterval
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Service{log: log, store: store, spaces: spaces, cfg: cfg}
}

// MaxPackageSize is the configured limit, for the HTTP edge's messages.
func (s *Service) MaxPackageSize() int64 { return s.cfg.MaxPackageSize }

// ParseFileName splits a pushed file name into package ID, version and
// extension, refusing anything that is not a plain file name of a supported
// format with a NuGet-valid ID (CVE-2017-11348: nothing derived from a name
// may address a path). It returns the version's uniqueness key too.
func ParseFileName(name string) (version.FileName, string, error) {
	bad := func(reason string) (version.FileName, string, error) {
		return version.FileName{}, "", app.Invalid(fmt.Sprintf("The package file name %q is not valid: %s", name, reason))
	}
	switch {
	case name == "":
		return bad("a file name is required (the multipart part's filename, or ?fileName=).")
	case len(name) > 255:
		return bad("longer than 255 characters.")
	case strings.ContainsAny(name, `/\:`) || strings.Contains(name, ".."):
		return bad("it must be a plain file name, without a directory, '..' or ':'.")
	case strings.IndexFunc(name, func(r rune) bool { return unicode.IsControl(r) || r > unicode.MaxASCII }) >= 0:
		return bad("it must be printable ASCII.")
	}
	ext, ok := version.SupportedExtension(name)
	if !ok {
		return bad("the extension must be one of " + strings.Join(version.SupportedExtensions, ", ") + ".")
	}
	fn, err := version.ParseFileName(name)
	// The cache form (Id@SVersion@Buster.ext) is what Octopus writes into
	// package caches, not what anyone pushes.
	if err != nil || strings.Contains(name, "@") {
		return bad("expected <PackageId>.<Version>" + ext + ", such as Acme.Web.1.2.0" + ext + ".")
	}
	if !strings.EqualFold(fn.Extension, ext) {
		return bad("expected <PackageId>.<Version>" + ext + ", such as Acme.Web.1.2.0" + ext + ".")
	}
	if err := version.ValidatePackageID(fn.ID); err != nil {
		return bad(strings.TrimPrefix(err.Error(), "version: ") + ".")
	}
	v := fn.Version.String()
	if v == "" || strings.ContainsAny(v, `/\`) {
		return bad("the version is not valid.")
	}
	return fn, strings.ToLower(fn.Version.Normalized()), nil
}

// PushPackage implements app.PackageService.
func (s *Service) PushPackage(ctx context.Context, spaceID, fileName string, r io.Reader, mode app.OverwriteMode) (*app.Package, app.PushResult, error) {
	fn, key, err := ParseFileName(fileName)
	if err != nil {
		return nil, 0, err
	}
	switch mode {
	case "":
		mode = app.FailIfExists
	case app.FailIfExists, app.OverwriteExisting, app.IgnoreIfExists:
	default:
		return nil, 0, app.Invalid(fmt.Sprintf("The overwrite mode %q is not one of FailIfExists, OverwriteExisting, IgnoreIfExists.", mode))
	}
	p := &app.Package{SpaceID: spaceID, PackageID: fn.ID, Version: fn.Version.String(), Title: fn.ID,
		FileExtension: strings.ToLower(fn.Extension)}
	inspect := func(ctx context.Context, r io.ReaderAt, size int64) error {
		if s.cfg.Validator == nil {
			return nil
		}
		m, err := s.cfg.Validator.ValidatePackage(ctx, r, size, fn)
		if err != nil {
			return err
		}
		if strings.EqualFold(p.FileExtension, ".nupkg") && (m.ID != "" || m.Version != "") {
			if err := nuspecAgrees(fn, m); err != nil {
				return err
			}
		}
		if m.Title != "" {
			p.Title = m.Title
		}
		p.Description = m.Description
		return nil
	}
	res, err := s.store.StorePackage(ctx, p, r, app.StoreOptions{Mode: mode, VersionKey: key,
		MaxSize: s.cfg.MaxPackageSize, Inspect: inspect})
	if err != nil {
		return nil, 0, err
	}
	if res != app.PushIgnored {
		s.log.Info("package pushed", "space", spaceID, "package", p.PackageID, "version", p.Version,
			"size", p.Size, "sha256", p.Hash, "overwritten", res == app.PushOverwritten)
	}
	return p, res, nil
}

// nuspecAgrees checks that a .nupkg's .nuspec names the package its file
// name does. (A .nupkg without a .nuspec is the validator's to refuse.)
func nuspecAgrees(fn version.FileName, m Manifest) error {
	if !strings.EqualFold(m.ID, fn.ID) {
		return app.Invalid(fmt.Sprintf("The .nuspec says the package ID is %q but the file name says %q.", m.ID, fn.ID))
	}
	v, err := version.ParseSemVer(m.Version)
	if err != nil || version.Compare(v, fn.Version) != 0 {
		return app.Invalid(fmt.Sprintf("The .nuspec says the version is %q but the file name says %q.", m.Version, fn.Version.String()))
	}
	return nil
}

// PackageExists implements app.PackageService.
func (s *Service) PackageExists(ctx context.Context, spaceID, fileName string) (*app.Package, error) {
	fn, key, err := ParseFileName(fileName)
	if err != nil {
		return nil, err
	}
	return s.store.FindPackageByVersion(ctx, spaceID, fn.ID, key)
}

// FindPackageByID implements app.PackageService.
func (s *Service) FindPackageByID(ctx context.Context, spaceID, id string) (*app.Package, error) {
	return s.store.FindPackageByID(ctx, spaceID, id)
}

// FindPackages implements app.PackageService: package IDs in
// case-insensitive order, each one's versions newest first.
func (s *Service) FindPackages(ctx context.Context, f app.PackageFilter) ([]*app.Package, int, error) {
	all, err := s.store.ListPackages(ctx, f.SpaceID, f.PackageID)
	if err != nil {
		return nil, 0, err
	}
	out := all[:0]
	for _, p := range all {
		if f.Filter != "" && !strings.Contains(strings.ToLower(p.PackageID), strings.ToLower(f.Filter)) {
			continue
		}
		out = append(out, p)
	}
	sortPackages(out)
	if f.Latest {
		latest := out[:0]
		for i, p := range out {
			if i == 0 || !strings.EqualFold(out[i-1].PackageID, p.PackageID) {
				latest = append(latest, p)
			}
		}
		out = latest
	}
	page, total := app.Page(out, f.Skip, f.Take)
	return page, total, nil
}

// sortPackages orders by package ID, then newest version first.
func sortPackages(ps []*app.Package) {
	vs := make(map[*app.Package]version.Version, len(ps))
	for _, p := range ps {
		vs[p] = parseVersion(p.Version)
	}
	sort.SliceStable(ps, func(i, j int) bool {
		a, b := strings.ToLower(ps[i].PackageID), strings.ToLower(ps[j].PackageID)
		if a != b {
			return a < b
		}
		if c := version.Compare(vs[ps[i]], vs[ps[j]]); c != 0 {
			return c > 0
		}
		return ps[i].Published.After(ps[j].Published)
	})
}

// parseVersion reads a stored version; pushed names are SemVer, but the
// Octopus parser accepts anything a future import might have stored.
func parseVersion(s string) version.Version {
	if v, err := version.ParseSemVer(s); err == nil {
		return v
	}
	v, _ := version.ParseOctopus(s)
	return v
}

// OpenPackage implements app.PackageService.
func (s *Service) OpenPackage(ctx context.Context, spaceID, id string) (*app.Package, app.ReadSeekCloser, error) {
	p, err := s.store.FindPackageByID(ctx, spaceID, id)
	if err != nil {
		return nil, nil, err
	}
	f, err := s.store.OpenPackageBlob(ctx, p)
	if err != nil {
		return nil, nil, err
	}
	return p, f, nil
}

// DeletePackage implements app.PackageService.
func (s *Service) DeletePackage(ctx context.Context, spaceID, id string) error {
	return s.store.DeletePackage(ctx, spaceID, id, "")
}

// FeedSettings implements app.PackageService.
func (s *Service) FeedSettings(ctx context.Context, spaceID string) (*app.FeedSettings, error) {
	return s.store.FeedSettings(ctx, spaceID)
}

// UpdateFeedSettings implements app.PackageService.
func (s *Service) UpdateFeedSettings(ctx context.Context, fs *app.FeedSettings) error {
	return s.store.UpdateFeedSettings(ctx, fs)
}

// RunRetention implements app.PackageService. A version goes when the
// settings let it go (see app.FeedSettings) and no release uses it; each
// removal is logged here and audited by the store.
func (s *Service) RunRetention(ctx context.Context, spaceID string) (*app.RetentionRun, error) {
	run := &app.RetentionRun{SpaceID: spaceID, Started: s.cfg.Now().UTC(), Removed: []*app.Package{}}
	set, err := s.store.FeedSettings(ctx, spaceID)
	if err != nil {
		return nil, err
	}
	if set.KeepVersions == 0 && set.KeepDays == 0 {
		return run, nil
	}
	all, err := s.store.ListPackages(ctx, spaceID, "")
	if err != nil {
		return nil, err
	}
	sortPackages(all)
	cutoff := run.Started.AddDate(0, 0, -set.KeepDays)
	rank := 0
	for i, p := range all {
		if i > 0 && strings.EqualFold(all[i-1].PackageID, p.PackageID) {
			rank++
		} else {
			rank = 0
		}
		tooMany := set.KeepVersions == 0 || rank >= set.KeepVersions
		tooOld := set.KeepDays == 0 || p.Published.Before(cutoff)
		if !tooMany || !tooOld {
			continue
		}
		reason := fmt.Sprintf("retention policy: keep %d versions, %d days", set.KeepVersions, set.KeepDays)
		err := s.store.DeletePackage(ctx, spaceID, p.ID, reason)
		switch app.ErrorCode(err) {
		case "":
			run.Removed = append(run.Removed, p)
			s.log.Info("retention removed package", "space", spaceID, "package", p.PackageID, "version", p.Version,
				"size", p.Size, "sha256", p.Hash, "published", p.Published)
		case app.ECONFLICT:
			run.KeptReferenced++
		case app.ENOTFOUND:
			// Deleted meanwhile by someone else.
		default:
			return run, err
		}
	}
	s.log.Info("retention run finished", "space", spaceID, "removed", len(run.Removed), "kept_referenced", run.KeptReferenced)
	return run, nil
}

// Start runs retention for every space on a ticker until Close. It is the
// stand-in for a scheduled server task: the task system (a later issue)
// will run RunRetention as a task with its own log.
func (s *Service) Start() {
	s.stop = make(chan struct{})
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		t := time.NewTicker(s.cfg.RetentionInterval)
		defer t.Stop()
		for {
			select {
			case <-s.stop:
				return
			case <-t.C:
				s.retainAll()
			}
		}
	}()
}

func (s *Service) retainAll() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-s.stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	spaces, _, err := s.spaces.FindSpaces(ctx, app.Filter{})
	if err != nil {
		s.log.Error("retention: list spaces", "err", err)
		return
	}
	for _, sp := range spaces {
		if _, err := s.RunRetention(ctx, sp.ID); err != nil && !errors.Is(err, context.Canceled) {
			s.log.Error("retention run failed", "space", sp.ID, "err", err)
		}
	}
}

// Close stops the retention loop and waits for a run in progress.
func (s *Service) Close() {
	if s.stop != nil {
		close(s.stop)
		s.wg.Wait()
		s.stop = nil
	}
}

var _ app.PackageVersionSource = (*Service)(nil)

// LatestPackageVersion implements app.PackageVersionSource for release
// creation: the newest version without a prerelease tag, or the newest
// version when every one is a prerelease. ENOTFOUND when there is none.
func (s *Service) LatestPackageVersion(ctx context.Context, spaceID, packageID string) (string, error) {
	all, _, err := s.FindPackages(ctx, app.PackageFilter{SpaceID: spaceID, PackageID: packageID})
	if err != nil {
		return "", err
	}
	if len(all) == 0 {
		return "", app.Errorf(app.ENOTFOUND, "The built-in feed has no versions of package '%s'.", packageID)
	}
	for _, p := range all {
		if !parseVersion(p.Version).IsPrerelease() {
			return p.Version, nil
		}
	}
	return all[0].Version, nil
}

// FindPackageVersion returns one version of a package, matching versions
// the way pushes do (normalised, case-insensitive: "1.0" finds "1.0.0").
// Deployments use it to find the file a release's package step needs.
func (s *Service) FindPackageVersion(ctx context.Context, spaceID, packageID, ver string) (*app.Package, error) {
	v, err := version.ParseSemVer(ver)
	if err != nil {
		return nil, app.Invalid(fmt.Sprintf("The version %q of package '%s' is not valid.", ver, packageID))
	}
	return s.store.FindPackageByVersion(ctx, spaceID, packageID, strings.ToLower(v.Normalized()))
}
