// Package releases creates releases the way Octopus does: the version is
// explicit or generated from the project's versioning template or mask, and
// every package reference of the process gets a version (explicit, from a
// "Step:Version" spec, a default, or the latest in the feed). Storing the
// release and its snapshot is the ReleaseService's job.
package releases

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/argonautdeploy/argonaut/app"
	"github.com/argonautdeploy/argonaut/runner/template"
	"github.com/argonautdeploy/argonaut/runner/version"
)

// Service creates releases.
type Service struct {
	Projects  app.ProjectService
	Channels  app.ChannelService
	Processes app.ProcessService
	Releases  app.ReleaseService
	// Feed answers "latest version"; nil means package versions must be given.
	Feed app.PackageVersionSource
	// Now is the clock for date variables in templates; nil = time.Now.
	Now func() time.Time
	// Created, when set, is told of each release created (not of one that
	// already existed): the lifecycle's automatic deployments start there.
	Created func(ctx context.Context, rel *app.Release)
}

// Request asks for a release. Project is an ID, slug or name.
type Request struct {
	SpaceID      string
	Project      string
	Version      string // "" = generate
	ChannelID    string
	ChannelName  string
	ReleaseNotes string
	// DefaultPackageVersion applies to every package reference without a
	// more specific choice.
	DefaultPackageVersion string
	// Packages are CLI specs: "Step:Version", "Step:PackageRef:Version" or
	// "PackageID:Version"; a Step of "*" matches every step.
	Packages []string
	// PackageVersions maps an action name (or "Action:Ref") to a version,
	// as the portal's form sends them.
	PackageVersions map[string]string
	// IgnoreIfExists returns the existing release of that version instead
	// of a conflict.
	IgnoreIfExists bool
}

// Create creates the release described by req. existed reports that
// IgnoreIfExists found the version already released.
func (s *Service) Create(ctx context.Context, req Request) (rel *app.Release, existed bool, err error) {
	p, err := s.Projects.FindProjectByID(ctx, req.SpaceID, req.Project)
	if err != nil {
		if app.ErrorCode(err) == app.ENOTFOUND {
			return nil, false, app.Invalid(fmt.Sprintf("The project '%s' does not exist.", req.Project))
		}
		return nil, false, err
	}
	if p.IsDisabled {
		return nil, false, app.Invalid(fmt.Sprintf("The project '%s' is disabled; enable it before creating releases.", p.Name))
	}
	channelID, err := s.channel(ctx, p, req)
	if err != nil {
		return nil, false, err
	}
	if v := strings.TrimSpace(req.Version); v != "" && !version.IsMask(v) {
		if existing, err := s.Releases.FindReleaseByVersion(ctx, p.SpaceID, p.ID, v); err == nil {
			if req.IgnoreIfExists {
				return existing, true, nil
			}
			return nil, false, app.Invalid(fmt.Sprintf("A release with the version '%s' already exists in the project '%s'.", v, p.Name))
		}
	}
	dp, err := s.Processes.FindDeploymentProcessByID(ctx, p.SpaceID, p.DeploymentProcessID)
	if err != nil {
		return nil, false, err
	}
	pkgs, err := s.selectPackages(ctx, p.SpaceID, dp, req)
	if err != nil {
		return nil, false, err
	}
	// A generated version can lose a race with a concurrent release; the
	// uniqueness check inside CreateRelease catches it and we generate again.
	for attempt := 0; ; attempt++ {
		v := strings.TrimSpace(req.Version)
		generated := v == "" || version.IsMask(v)
		if generated {
			if v, err = s.nextVersion(ctx, p, v); err != nil {
				return nil, false, err
			}
		}
		rel = &app.Release{SpaceID: p.SpaceID, ProjectID: p.ID, ChannelID: channelID, Version: v,
			ReleaseNotes: req.ReleaseNotes, SelectedPackages: pkgs}
		err = s.Releases.CreateRelease(ctx, rel)
		if err == nil {
			if s.Created != nil {
				s.Created(ctx, rel)
			}
			return rel, false, nil
		}
		if app.ErrorCode(err) != app.ECONFLICT {
			return nil, false, err
		}
		if req.IgnoreIfExists {
			if existing, ferr := s.Releases.FindReleaseByVersion(ctx, p.SpaceID, p.ID, v); ferr == nil {
				return existing, true, nil
			}
		}
		if !generated || attempt >= 3 {
			// Octopus answers a duplicate version with 400, and the CLI relies on it.
			return nil, false, app.Invalid(fmt.Sprintf("A release with the version '%s' already exists in the project '%s'.", v, p.Name))
		}
	}
}

func (s *Service) channel(ctx context.Context, p *app.Project, req Request) (string, error) {
	if req.ChannelID == "" && req.ChannelName == "" {
		return "", nil // the store picks the default channel
	}
	chans, _, err := s.Channels.FindChannels(ctx, app.ChannelFilter{Filter: app.Filter{SpaceID: p.SpaceID}, ProjectID: p.ID})
	if err != nil {
		return "", err
	}
	for _, c := range chans {
		if strings.EqualFold(c.ID, req.ChannelID) || (req.ChannelID == "" && strings.EqualFold(c.Name, req.ChannelName)) {
			return c.ID, nil
		}
	}
	name := req.ChannelName
	if req.ChannelID != "" {
		name = req.ChannelID
	}
	return "", app.Invalid(fmt.Sprintf("The channel '%s' does not exist in the project '%s'.", name, p.Name))
}

// NextVersion returns the version a release of p would get without an explicit one.
func (s *Service) NextVersion(ctx context.Context, p *app.Project) (string, error) {
	return s.nextVersion(ctx, p, "")
}

// latest returns the highest existing release version of p, or nil.
func (s *Service) latest(ctx context.Context, p *app.Project) (*version.Version, error) {
	rels, _, err := s.Releases.FindReleases(ctx, app.ReleaseFilter{Filter: app.Filter{SpaceID: p.SpaceID}, ProjectID: p.ID})
	if err != nil {
		return nil, err
	}
	var best *version.Version
	for _, r := range rels {
		v, err := version.ParseOctopus(r.Version)
		if err != nil {
			continue
		}
		if best == nil || version.Compare(v, *best) > 0 {
			best = &v
		}
	}
	return best, nil
}

// nextVersion applies a mask (given, or the project's template when that
// is a mask) or evaluates the project's versioning template.
func (s *Service) nextVersion(ctx context.Context, p *app.Project, mask string) (string, error) {
	last, err := s.latest(ctx, p)
	if err != nil {
		return "", err
	}
	tmpl := p.VersioningTemplate
	if tmpl == "" {
		tmpl = app.DefaultVersioningTemplate
	}
	if mask == "" && version.IsMask(tmpl) {
		mask = tmpl
	}
	if mask != "" {
		v, err := version.ApplyMask(mask, last)
		if err != nil {
			return "", app.Invalid("The version mask '" + mask + "' cannot be applied: " + err.Error())
		}
		return v, nil
	}
	return s.fromTemplate(tmpl, p, last)
}

// VersionVariables are the Octopus.Version.* values a versioning template sees.
func VersionVariables(last *version.Version) map[string]string {
	var l version.Version
	if last != nil {
		l = *last
	}
	itoa := strconv.Itoa
	return map[string]string{
		"Octopus.Version.LastMajor":     itoa(l.Major),
		"Octopus.Version.LastMinor":     itoa(l.Minor),
		"Octopus.Version.LastPatch":     itoa(l.Patch),
		"Octopus.Version.LastBuild":     itoa(l.Revision),
		"Octopus.Version.LastRevision":  itoa(l.Revision),
		"Octopus.Version.LastSuffix":    l.Release,
		"Octopus.Version.NextMajor":     itoa(l.Major + 1),
		"Octopus.Version.NextMinor":     itoa(l.Minor + 1),
		"Octopus.Version.NextPatch":     itoa(l.Patch + 1),
		"Octopus.Version.NextBuild":     itoa(l.Revision + 1),
		"Octopus.Version.NextRevision":  itoa(l.Revision + 1),
		"Octopus.Version.Channel.Major": itoa(l.Major),
	}
}

func (s *Service) fromTemplate(tmpl string, p *app.Project, last *version.Version) (string, error) {
	vars := template.NewVariables()
	for k, v := range VersionVariables(last) {
		vars.Set(k, v)
	}
	vars.Set("Octopus.Project.Name", p.Name)
	vars.Set("Octopus.Project.Id", p.ID)
	opts := template.Options{Now: s.Now, Location: time.UTC}
	res, err := template.Evaluate(tmpl, vars, opts)
	if err != nil {
		return "", app.Invalid("The versioning template '" + tmpl + "' cannot be evaluated: " + err.Error())
	}
	if res.HasError() {
		return "", app.Invalid("The versioning template '" + tmpl + "' cannot be evaluated: " + res.ErrorText())
	}
	out := strings.TrimSpace(res.Output)
	if _, err := version.ParseOctopus(out); err != nil {
		return "", app.Invalid(fmt.Sprintf("The versioning template '%s' produced '%s', which is not a valid version.", tmpl, out))
	}
	return out, nil
}

// packageSpec is one parsed "--package" value.
type packageSpec struct {
	step, ref, version string
	refGiven           bool
	used               bool
}

func parseSpecs(in []string) ([]*packageSpec, error) {
	var out []*packageSpec
	for _, s := range in {
		parts := strings.Split(strings.TrimSpace(s), ":")
		for i := range parts {
			parts[i] = strings.TrimSpace(parts[i])
		}
		switch {
		case len(parts) == 2 && parts[0] != "" && parts[1] != "":
			out = append(out, &packageSpec{step: parts[0], version: parts[1]})
		case len(parts) == 3 && parts[0] != "" && parts[2] != "":
			out = append(out, &packageSpec{step: parts[0], ref: parts[1], version: parts[2], refGiven: true})
		default:
			return nil, app.Invalid(fmt.Sprintf("The package '%s' is not valid; use Step:Version, Step:Package:Version or PackageId:Version.", s))
		}
	}
	return out, nil
}

// matches reports whether the spec names this package reference.
func (ps *packageSpec) matches(s *app.Step, a *app.Action, ref *app.PackageReference) bool {
	stepMatch := ps.step == "*" || strings.EqualFold(ps.step, a.Name) || strings.EqualFold(ps.step, s.Name)
	if ps.refGiven {
		return stepMatch && (strings.EqualFold(ps.ref, ref.Name) || strings.EqualFold(ps.ref, ref.PackageID))
	}
	return stepMatch || strings.EqualFold(ps.step, ref.PackageID)
}

// Slot is one package reference of a process that needs a version.
type Slot struct {
	Step      *app.Step
	Action    *app.Action
	Reference *app.PackageReference
}

// PackageSlots lists the package references of enabled actions, in process order.
func PackageSlots(dp *app.DeploymentProcess) []Slot {
	var out []Slot
	for i := range dp.Steps {
		s := &dp.Steps[i]
		for j := range s.Actions {
			a := &s.Actions[j]
			if a.IsDisabled {
				continue
			}
			for k := range a.Packages {
				out = append(out, Slot{Step: s, Action: a, Reference: &a.Packages[k]})
			}
		}
	}
	return out
}

func (s *Service) selectPackages(ctx context.Context, spaceID string, dp *app.DeploymentProcess, req Request) ([]app.SelectedPackage, error) {
	specs, err := parseSpecs(req.Packages)
	if err != nil {
		return nil, err
	}
	out := []app.SelectedPackage{}
	var missing []string
	for _, slot := range PackageSlots(dp) {
		v := ""
		// Most specific first: the portal's per-action value, then a spec
		// naming the reference, then one naming the step, then the default.
		if req.PackageVersions != nil {
			v = req.PackageVersions[slot.Action.Name+":"+slot.Reference.Name]
			if v == "" && slot.Reference.Name == "" {
				v = req.PackageVersions[slot.Action.Name]
			}
		}
		for _, refPass := range []bool{true, false} {
			for _, ps := range specs {
				if v == "" && ps.refGiven == refPass && ps.matches(slot.Step, slot.Action, slot.Reference) {
					v, ps.used = ps.version, true
				}
			}
		}
		v = strings.TrimSpace(v)
		if v == "" {
			v = strings.TrimSpace(req.DefaultPackageVersion)
		}
		if v == "" && s.Feed != nil {
			latest, err := s.Feed.LatestPackageVersion(ctx, spaceID, slot.Reference.PackageID)
			if err != nil && app.ErrorCode(err) != app.ENOTFOUND {
				return nil, err
			}
			v = latest
		}
		if v == "" {
			missing = append(missing, fmt.Sprintf("Step '%s' needs a version of the package '%s': give one with --package \"%s:<version>\" or --package-version.",
				slot.Step.Name, slot.Reference.PackageID, slot.Action.Name))
			continue
		}
		if _, err := version.ParseOctopus(v); err != nil {
			return nil, app.Invalid(fmt.Sprintf("Step '%s': '%s' is not a valid package version.", slot.Step.Name, v))
		}
		out = append(out, app.SelectedPackage{ActionName: slot.Action.Name, StepName: slot.Step.Name,
			PackageReferenceName: slot.Reference.Name, Version: v})
	}
	if len(missing) > 0 {
		return nil, app.Invalid("Package versions are missing.", missing...)
	}
	for _, ps := range specs {
		if !ps.used && ps.step != "*" {
			return nil, app.Invalid(fmt.Sprintf("The package '%s' does not match any step or package of the deployment process.", ps.step))
		}
	}
	return out, nil
}

// Template is what a client needs to offer a release form: the version a
// release would get and the package references needing versions.
type Template struct {
	Project              *app.Project
	Process              *app.DeploymentProcess
	LastReleaseVersion   string
	NextVersionIncrement string
	Packages             []TemplatePackage
}

// TemplatePackage is one package reference of the template.
type TemplatePackage struct {
	ActionName, StepName, PackageReferenceName, PackageID, FeedID string
	VersionSelectedLastRelease                                    string
	LatestVersion                                                 string // "" when no feed or none found
}

// ReleaseTemplate describes the next release of the project idOrSlug.
func (s *Service) ReleaseTemplate(ctx context.Context, spaceID, idOrSlug string) (*Template, error) {
	p, err := s.Projects.FindProjectByID(ctx, spaceID, idOrSlug)
	if err != nil {
		return nil, err
	}
	dp, err := s.Processes.FindDeploymentProcessByID(ctx, p.SpaceID, p.DeploymentProcessID)
	if err != nil {
		return nil, err
	}
	next, err := s.NextVersion(ctx, p)
	if err != nil {
		return nil, err
	}
	t := &Template{Project: p, Process: dp, NextVersionIncrement: next, Packages: []TemplatePackage{}}
	rels, _, err := s.Releases.FindReleases(ctx, app.ReleaseFilter{Filter: app.Filter{SpaceID: p.SpaceID, Take: 1}, ProjectID: p.ID})
	if err != nil {
		return nil, err
	}
	var last *app.Release
	if len(rels) > 0 {
		last = rels[0]
		t.LastReleaseVersion = last.Version
	}
	for _, slot := range PackageSlots(dp) {
		tp := TemplatePackage{ActionName: slot.Action.Name, StepName: slot.Step.Name, PackageReferenceName: slot.Reference.Name,
			PackageID: slot.Reference.PackageID, FeedID: slot.Reference.FeedID}
		if last != nil {
			tp.VersionSelectedLastRelease, _ = last.PackageVersion(slot.Action.Name, slot.Reference.Name)
		}
		if s.Feed != nil {
			tp.LatestVersion, _ = s.Feed.LatestPackageVersion(ctx, p.SpaceID, slot.Reference.PackageID)
		}
		t.Packages = append(t.Packages, tp)
	}
	return t, nil
}
