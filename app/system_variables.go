package app

import (
	"sort"
	"strconv"
	"strings"
	"time"
)

// SystemContext is what the server knows about one step of one deployment
// on one target; SystemVariables turns it into Octopus's system variables.
// Zero-valued parts are left out (an untenanted deployment has no
// Octopus.Deployment.Tenant.*, a server-run step no Octopus.Machine.*).
type SystemContext struct {
	ServerURI string // absolute base URL, no trailing slash

	Space        Space
	Project      Project
	ProjectGroup ProjectGroup
	Environment  Environment

	ReleaseID, ReleaseNumber, ReleaseNotes string
	ReleaseCreated                         time.Time
	ChannelID, ChannelName                 string

	DeploymentID, DeploymentName, DeploymentComments string
	DeploymentCreated                                time.Time
	CreatedBy                                        User
	DeploymentMachineIDs                             []string
	SpecificMachineIDs, ExcludedMachineIDs           []string

	TenantID, TenantName string
	TenantTags           []string

	TaskID, TaskName string

	Machine *Machine

	StepID, StepName       string
	StepNumber             int // 1-based
	ActionID, ActionName   string
	ActionNumber           string // "1", or "2.1" for a child step
	ActionTargetRoles      []string
	ActionMaxParallelism   int
	ActionTemplateID       string
	ActionTemplateVersion  string
	ActionIsSkipped        bool
	WorkerPoolID, PoolName string
}

// SystemVariables returns the Octopus.* variables for c, named exactly as
// Octopus documents them (docs projects/variables/system-variables.md),
// so that users' scripts and templates keep working.
func SystemVariables(c SystemContext) map[string]string {
	v := map[string]string{}
	set := func(name, value string) {
		if value != "" {
			v[name] = value
		}
	}
	stamp := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format(time.RFC3339)
	}
	list := func(l []string) string { return strings.Join(l, ",") }

	set("Octopus.Web.ServerUri", c.ServerURI)
	set("Octopus.Web.BaseUrl", c.ServerURI)

	set("Octopus.Space.Id", c.Space.ID)
	set("Octopus.Space.Name", c.Space.Name)

	set("Octopus.Project.Id", c.Project.ID)
	set("Octopus.Project.Name", c.Project.Name)
	set("Octopus.Project.Slug", c.Project.Slug)
	set("Octopus.ProjectGroup.Id", c.ProjectGroup.ID)
	set("Octopus.ProjectGroup.Name", c.ProjectGroup.Name)

	set("Octopus.Environment.Id", c.Environment.ID)
	set("Octopus.Environment.Name", c.Environment.Name)
	if c.Environment.ID != "" {
		v["Octopus.Environment.SortOrder"] = strconv.Itoa(c.Environment.SortOrder)
	}

	set("Octopus.Release.Id", c.ReleaseID)
	set("Octopus.Release.Number", c.ReleaseNumber)
	set("Octopus.Release.Notes", c.ReleaseNotes)
	set("Octopus.Release.Created", stamp(c.ReleaseCreated))
	set("Octopus.Release.Channel.Name", c.ChannelName)
	set("Octopus.Release.Channel.Id", c.ChannelID)

	set("Octopus.Deployment.Id", c.DeploymentID)
	set("Octopus.Deployment.Name", c.DeploymentName)
	set("Octopus.Deployment.Comments", c.DeploymentComments)
	set("Octopus.Deployment.Created", stamp(c.DeploymentCreated))
	set("Octopus.Deployment.CreatedBy.Id", c.CreatedBy.ID)
	set("Octopus.Deployment.CreatedBy.Username", c.CreatedBy.Username)
	set("Octopus.Deployment.CreatedBy.DisplayName", c.CreatedBy.DisplayName)
	set("Octopus.Deployment.CreatedBy.EmailAddress", c.CreatedBy.EmailAddress)
	set("Octopus.Deployment.Machines", list(c.DeploymentMachineIDs))
	set("Octopus.Deployment.SpecificMachines", list(c.SpecificMachineIDs))
	set("Octopus.Deployment.ExcludedMachines", list(c.ExcludedMachineIDs))
	if c.TenantID != "" {
		set("Octopus.Deployment.Tenant.Id", c.TenantID)
		set("Octopus.Deployment.Tenant.Name", c.TenantName)
		tags := append([]string(nil), c.TenantTags...)
		sort.Strings(tags)
		set("Octopus.Deployment.Tenant.Tags", strings.Join(tags, ", "))
	}

	set("Octopus.Task.Id", c.TaskID)
	set("Octopus.Task.Name", c.TaskName)

	if m := c.Machine; m != nil {
		set("Octopus.Machine.Id", m.ID)
		set("Octopus.Machine.Name", m.Name)
		set("Octopus.Machine.Roles", list(m.Roles))
		host := m.Endpoint.Host
		if host == "" {
			host = hostOf(m.Endpoint.URI)
		}
		set("Octopus.Machine.Hostname", host)
	}

	set("Octopus.Step.Id", c.StepID)
	set("Octopus.Step.Name", c.StepName)
	if c.StepNumber > 0 {
		v["Octopus.Step.Number"] = strconv.Itoa(c.StepNumber)
	}
	set("Octopus.Action.Id", c.ActionID)
	set("Octopus.Action.Name", c.ActionName)
	set("Octopus.Action.Number", c.ActionNumber)
	set("Octopus.Action.TargetRoles", list(c.ActionTargetRoles))
	if c.ActionMaxParallelism > 0 {
		v["Octopus.Action.MaxParallelism"] = strconv.Itoa(c.ActionMaxParallelism)
	}
	set("Octopus.Action.Template.Id", c.ActionTemplateID)
	set("Octopus.Action.Template.Version", c.ActionTemplateVersion)
	if c.ActionID != "" {
		v["Octopus.Action.IsSkipped"] = strconv.FormatBool(c.ActionIsSkipped)
	}
	set("Octopus.WorkerPool.Id", c.WorkerPoolID)
	set("Octopus.WorkerPool.Name", c.PoolName)

	// Links are relative to the server, as Octopus renders them.
	if c.Space.ID != "" && c.Project.ID != "" {
		base := "/app#/" + c.Space.ID
		set("Octopus.Web.ProjectLink", base+"/projects/"+c.Project.ID)
		if c.ReleaseID != "" {
			set("Octopus.Web.ReleaseLink", base+"/releases/"+c.ReleaseID)
		}
		if c.DeploymentID != "" {
			set("Octopus.Web.DeploymentLink", base+"/deployments/"+c.DeploymentID)
		}
	}

	// The concurrency tag Octopus uses by default.
	if c.Project.ID != "" && c.Environment.ID != "" {
		tag := c.Project.ID + "/" + c.Environment.ID
		if c.TenantID != "" {
			tag = c.TenantID + "/" + tag
		}
		v["Octopus.Task.ConcurrencyTag"] = tag
	}
	return v
}

// hostOf extracts the host of "https://host:port/…" without net/url's strictness.
func hostOf(uri string) string {
	_, rest, ok := strings.Cut(uri, "://")
	if !ok {
		return ""
	}
	rest, _, _ = strings.Cut(rest, "/")
	if strings.HasPrefix(rest, "[") {
		if i := strings.Index(rest, "]"); i > 0 {
			return rest[1:i]
		}
	}
	host, _, _ := strings.Cut(rest, ":")
	return host
}
