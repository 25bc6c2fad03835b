package storage

import (
	"context"
	"fmt"
	"strings"

	"github.com/argonautdeploy/argonaut/app"
	"github.com/dgraph-io/badger/v4"
)

// projectRecord is the stored form of app.Project.
type projectRecord struct {
	V                        int      `json:"v"`
	SpaceID                  string   `json:"space_id"`
	Name                     string   `json:"name"`
	Slug                     string   `json:"slug"`
	Description              string   `json:"description,omitempty"`
	LifecycleID              string   `json:"lifecycle_id"`
	ProjectGroupID           string   `json:"project_group_id"`
	IsDisabled               bool     `json:"is_disabled,omitempty"`
	AutoCreateRelease        bool     `json:"auto_create_release,omitempty"`
	DiscreteChannelRelease   bool     `json:"discrete_channel_release,omitempty"`
	DefaultGuidedFailureMode string   `json:"default_guided_failure_mode"`
	TenantedDeploymentMode   string   `json:"tenanted_deployment_mode"`
	VersioningTemplate       string   `json:"versioning_template"`
	LibraryVariableSetIDs    []string `json:"library_variable_set_ids,omitempty"`
	stamps
}

func (r *projectRecord) space() string { return r.SpaceID }
func (r *projectRecord) label() string { return r.Name }

func (r *projectRecord) indexes() []indexEntry {
	return []indexEntry{
		{unique: true, name: "name", value: r.SpaceID + "/" + r.Name,
			conflict: fmt.Sprintf("A project with the name '%s' already exists.", r.Name)},
		{unique: true, name: "slug", value: r.SpaceID + "/" + r.Slug,
			conflict: fmt.Sprintf("A project with the slug '%s' already exists.", r.Slug)},
		{name: "group", value: r.ProjectGroupID},
		{name: "lifecycle", value: r.LifecycleID},
	}
}

func (r *projectRecord) toApp(n uint64) *app.Project {
	id := app.FormatID(app.KindProject, n)
	return &app.Project{ID: id, SpaceID: r.SpaceID, Name: r.Name, Slug: r.Slug, Description: r.Description,
		LifecycleID: r.LifecycleID, ProjectGroupID: r.ProjectGroupID, IsDisabled: r.IsDisabled,
		AutoCreateRelease: r.AutoCreateRelease, DiscreteChannelRelease: r.DiscreteChannelRelease,
		DefaultGuidedFailureMode: r.DefaultGuidedFailureMode, TenantedDeploymentMode: r.TenantedDeploymentMode,
		VersioningTemplate: r.VersioningTemplate, IncludedLibraryVariableSetIDs: orEmpty(r.LibraryVariableSetIDs),
		DeploymentProcessID: app.DeploymentProcessID(id), VariableSetID: app.VariableSetID(id), Audit: r.audit()}
}

func projectFromApp(p *app.Project) *projectRecord {
	r := &projectRecord{V: schemaVersion, SpaceID: p.SpaceID, Name: p.Name, Slug: p.Slug, Description: p.Description,
		LifecycleID: p.LifecycleID, ProjectGroupID: p.ProjectGroupID, IsDisabled: p.IsDisabled,
		AutoCreateRelease: p.AutoCreateRelease, DiscreteChannelRelease: p.DiscreteChannelRelease,
		DefaultGuidedFailureMode: p.DefaultGuidedFailureMode, TenantedDeploymentMode: p.TenantedDeploymentMode,
		VersioningTemplate: p.VersioningTemplate, LibraryVariableSetIDs: app.NormalizeList(p.IncludedLibraryVariableSetIDs)}
	if r.Slug == "" {
		r.Slug = app.Slugify(p.Name)
	}
	if r.DefaultGuidedFailureMode == "" {
		r.DefaultGuidedFailureMode = "EnvironmentDefault"
	}
	if r.TenantedDeploymentMode == "" {
		r.TenantedDeploymentMode = "Untenanted"
	}
	if r.VersioningTemplate == "" {
		r.VersioningTemplate = app.DefaultVersioningTemplate
	}
	return r
}

// channelRecord is the stored form of app.Channel.
type channelRecord struct {
	V           int    `json:"v"`
	SpaceID     string `json:"space_id"`
	ProjectID   string `json:"project_id"`
	Name        string `json:"name"`
	Slug        string `json:"slug"`
	Description string `json:"description,omitempty"`
	LifecycleID string `json:"lifecycle_id,omitempty"`
	IsDefault   bool   `json:"is_default,omitempty"`
	stamps
}

func (r *channelRecord) space() string { return r.SpaceID }
func (r *channelRecord) label() string { return r.Name }

func (r *channelRecord) indexes() []indexEntry {
	return []indexEntry{
		{unique: true, name: "name", value: r.ProjectID + "/" + r.Name,
			conflict: fmt.Sprintf("A channel with the name '%s' already exists in this project.", r.Name)},
		{name: "project", value: r.ProjectID},
	}
}

func (r *channelRecord) toApp(n uint64) *app.Channel {
	return &app.Channel{ID: app.FormatID(app.KindChannel, n), SpaceID: r.SpaceID, ProjectID: r.ProjectID,
		Name: r.Name, Slug: r.Slug, Description: r.Description, LifecycleID: r.LifecycleID,
		IsDefault: r.IsDefault, Audit: r.audit()}
}

// processRecord is the stored form of a project's deployment process,
// numbered by its project.
type processRecord struct {
	V       int          `json:"v"`
	SpaceID string       `json:"space_id"`
	Version int          `json:"version"`
	Steps   []stepRecord `json:"steps"`
	stamps
}

type stepRecord struct {
	ID                 string            `json:"id"`
	Name               string            `json:"name"`
	Condition          string            `json:"condition,omitempty"`
	StartTrigger       string            `json:"start_trigger,omitempty"`
	PackageRequirement string            `json:"package_requirement,omitempty"`
	Properties         map[string]string `json:"properties,omitempty"`
	Actions            []actionRecord    `json:"actions,omitempty"`
}

type actionRecord struct {
	ID                   string            `json:"id"`
	Name                 string            `json:"name"`
	ActionType           string            `json:"action_type"`
	IsDisabled           bool              `json:"is_disabled,omitempty"`
	IsRequired           bool              `json:"is_required,omitempty"`
	Environments         []string          `json:"environments,omitempty"`
	ExcludedEnvironments []string          `json:"excluded_environments,omitempty"`
	Channels             []string          `json:"channels,omitempty"`
	TenantTags           []string          `json:"tenant_tags,omitempty"`
	Packages             []packageRecord   `json:"packages,omitempty"`
	Properties           map[string]string `json:"properties,omitempty"`
}

type packageRecord struct {
	ID                  string            `json:"id"`
	Name                string            `json:"name,omitempty"`
	PackageID           string            `json:"package_id"`
	FeedID              string            `json:"feed_id"`
	AcquisitionLocation string            `json:"acquisition_location,omitempty"`
	Properties          map[string]string `json:"properties,omitempty"`
}

func (r *processRecord) indexes() []indexEntry { return nil }

const (
	kindProcess     = "DeploymentProcesses"
	kindVariableSet = "VariableSets"
)

var (
	projects     = table{kind: app.KindProject}
	projectKind  = kindOf{tbl: projects, what: "Project"}
	channels     = table{kind: app.KindChannel}
	processes    = table{kind: kindProcess}
	variableSets = table{kind: kindVariableSet}
)

// FindProjectByID implements app.ProjectService: idOrSlug may be an ID, a
// slug or a name.
func (d *DB) FindProjectByID(ctx context.Context, spaceID, idOrSlug string) (*app.Project, error) {
	var out *app.Project
	err := d.view(func(txn *badger.Txn) error {
		n, r, err := findProject(txn, spaceID, idOrSlug)
		if err == nil {
			out = r.toApp(n)
		}
		return err
	})
	return out, err
}

func findProject(txn *badger.Txn, spaceID, idOrSlug string) (uint64, *projectRecord, error) {
	if _, ok := app.ParseID(app.KindProject, idOrSlug); ok {
		return findRecord[projectRecord](txn, projectKind, spaceID, idOrSlug)
	}
	if spaceID == "" {
		spaceID = app.DefaultSpaceID
	}
	for _, index := range []string{"slug", "name"} {
		n, ok, err := projects.lookup(txn, index, spaceID+"/"+idOrSlug)
		if err != nil {
			return 0, nil, err
		}
		if ok {
			var r projectRecord
			err := projects.get(txn, n, idOrSlug, &r)
			return n, &r, err
		}
	}
	return 0, nil, app.NotFound(idOrSlug)
}

// FindProjects implements app.ProjectService.
func (d *DB) FindProjects(ctx context.Context, f app.ProjectFilter) ([]*app.Project, int, error) {
	out, err := findRecords(d, projectKind, f.SpaceID, (*projectRecord).toApp, func(p *app.Project) bool {
		return f.Matches(p.ID, p.Name) && (f.ProjectGroupID == "" || strings.EqualFold(f.ProjectGroupID, p.ProjectGroupID))
	})
	if err != nil {
		return nil, 0, fmt.Errorf("storage: find projects: %w", err)
	}
	page, total := app.Page(out, f.Skip, f.Take)
	return page, total, nil
}

// checkProjectRefs requires the project's lifecycle and group to exist in its space.
func checkProjectRefs(txn *badger.Txn, r *projectRecord) error {
	if _, _, err := findRecord[lifecycleRecord](txn, lifecycleKind, r.SpaceID, r.LifecycleID); err != nil {
		return app.Invalid("The lifecycle '" + r.LifecycleID + "' does not exist.")
	}
	if _, _, err := findRecord[projectGroupRecord](txn, projectGroupKind, r.SpaceID, r.ProjectGroupID); err != nil {
		return app.Invalid("The project group '" + r.ProjectGroupID + "' does not exist.")
	}
	return checkLibraryRefs(txn, r.SpaceID, r.LibraryVariableSetIDs)
}

// CreateProject implements app.ProjectService: the project, its deployment
// process, its variable set and its Default channel commit together.
func (d *DB) CreateProject(ctx context.Context, p *app.Project) error {
	if err := p.Validate(); err != nil {
		return err
	}
	rec := projectFromApp(p)
	if rec.Slug == "" {
		return app.Invalid("There was a problem with your request: the project is not valid.", "Name must contain at least one letter or digit.")
	}
	now := d.now().UTC()
	_, by := app.ActorName(ctx)
	// A slug the caller chose must be free; one derived from the name is
	// made unique instead, because slugs outlive renames: after renaming
	// "Web" to "Site", a new project called "Web" must still be possible.
	derivedSlug := p.Slug == ""
	baseSlug := rec.Slug
	n, err := createRecord(ctx, d, projectKind, rec, func(txn *badger.Txn, pn uint64) error {
		if err := checkProjectRefs(txn, rec); err != nil {
			return err
		}
		if derivedSlug {
			slug, err := freeProjectSlug(txn, rec.SpaceID, baseSlug)
			if err != nil {
				return err
			}
			rec.Slug = slug
		}
		projectID := app.FormatID(app.KindProject, pn)
		cn, err := nextID(txn, app.KindChannel)
		if err != nil {
			return err
		}
		ch := &channelRecord{V: schemaVersion, SpaceID: rec.SpaceID, ProjectID: projectID, Name: "Default", Slug: "default", IsDefault: true}
		ch.stamp(now, now, by)
		if err := channels.insert(txn, cn, ch); err != nil {
			return err
		}
		proc := &processRecord{V: schemaVersion, SpaceID: rec.SpaceID, Steps: []stepRecord{}}
		proc.stamp(now, now, by)
		if err := processes.insert(txn, pn, proc); err != nil {
			return err
		}
		vs := &variableSetRecord{V: schemaVersion, SpaceID: rec.SpaceID, Variables: []variableRecord{}}
		vs.stamp(now, now, by)
		return variableSets.insert(txn, pn, vs)
	})
	if err != nil {
		return err
	}
	*p = *rec.toApp(n)
	return nil
}

// freeProjectSlug returns base, or base-2, base-3, … whichever is not yet
// taken in the space.
func freeProjectSlug(txn *badger.Txn, spaceID, base string) (string, error) {
	slug := base
	for i := 2; ; i++ {
		_, taken, err := projects.lookup(txn, "slug", spaceID+"/"+slug)
		if err != nil || !taken {
			return slug, err
		}
		slug = fmt.Sprintf("%s-%d", base, i)
	}
}

// UpdateProject implements app.ProjectService. An empty Slug keeps the
// current one: slugs are stable across renames, as in Octopus, so links and
// scripts that use them keep working.
func (d *DB) UpdateProject(ctx context.Context, p *app.Project) error {
	if err := p.Validate(); err != nil {
		return err
	}
	keepSlug := p.Slug == ""
	rec := projectFromApp(p)
	n, err := updateRecord(ctx, d, projectKind, p.SpaceID, p.ID, rec, func(txn *badger.Txn, old *projectRecord) error {
		rec.SpaceID = old.SpaceID
		if keepSlug {
			rec.Slug = old.Slug
		}
		return checkProjectRefs(txn, rec)
	})
	if err != nil {
		return err
	}
	*p = *rec.toApp(n)
	return nil
}

// DeleteProject implements app.ProjectService.
func (d *DB) DeleteProject(ctx context.Context, spaceID, id string) error {
	if n, ok := app.ParseID(app.KindProject, id); ok {
		id = app.FormatID(app.KindProject, n)
	} else if p, err := d.FindProjectByID(ctx, spaceID, id); err == nil {
		id = p.ID
	}
	return deleteRecord(ctx, d, projectKind, spaceID, id, func(txn *badger.Txn, n uint64, old *projectRecord) error {
		projectID := app.FormatID(app.KindProject, n)
		chans, err := channels.referenced(txn, "project", projectID)
		if err != nil {
			return err
		}
		for _, cn := range chans {
			var c channelRecord
			if err := channels.get(txn, cn, "", &c); err != nil {
				return err
			}
			if err := channels.remove(txn, cn, &c); err != nil {
				return err
			}
		}
		if err := deleteProjectReleases(txn, projectID); err != nil {
			return err
		}
		if err := txn.Delete(objKey(kindProcess, n)); err != nil {
			return err
		}
		return txn.Delete(objKey(kindVariableSet, n))
	})
}

// FindChannelByID implements app.ChannelService.
func (d *DB) FindChannelByID(ctx context.Context, spaceID, id string) (*app.Channel, error) {
	n, err := parseID(app.KindChannel, id)
	if err != nil {
		return nil, err
	}
	var r channelRecord
	if err := d.view(func(txn *badger.Txn) error { return channels.get(txn, n, id, &r) }); err != nil {
		return nil, err
	}
	if spaceID != "" && r.SpaceID != spaceID {
		return nil, app.NotFound(id)
	}
	return r.toApp(n), nil
}

// FindChannels implements app.ChannelService.
func (d *DB) FindChannels(ctx context.Context, f app.ChannelFilter) ([]*app.Channel, int, error) {
	var out []*app.Channel
	err := d.view(func(txn *badger.Txn) error {
		return scan(txn, app.KindChannel, func(n uint64, r *channelRecord) error {
			c := r.toApp(n)
			if (f.SpaceID == "" || r.SpaceID == f.SpaceID) && f.Matches(c.ID, c.Name) &&
				(f.ProjectID == "" || strings.EqualFold(f.ProjectID, r.ProjectID)) {
				out = append(out, c)
			}
			return nil
		})
	})
	if err != nil {
		return nil, 0, fmt.Errorf("storage: find channels: %w", err)
	}
	page, total := app.Page(out, f.Skip, f.Take)
	return page, total, nil
}
