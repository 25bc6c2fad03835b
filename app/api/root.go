package api

import (
	"github.com/argonautdeploy/argonaut/app"
	"github.com/gofiber/fiber/v2"
)

// RootResource is the API root document. Clients build every path from its
// Links, so each service they touch must be published here.
type RootResource struct {
	Application          string
	Version              string
	ApiVersion           string
	InstallationId       string
	HasLongTermSupport   bool
	IsEarlyAccessProgram bool
	Links                map[string]string
}

func (h *Handler) root(c *fiber.Ctx) error {
	links := map[string]string{
		"Self":         "/api",
		"Spaces":       "/api/spaces{/id}{?skip,ids,take,partialName}",
		"SpaceHome":    "/api/{spaceId}",
		"CurrentUser":  "/api/users/me",
		"Users":        "/api/users{/id}{?skip,take,ids,filter}",
		"SignIn":       "/api/users/login",
		"SignOut":      "/api/users/logout",
		"Capabilities": "/api/capabilities",
		"Events":       "/api/events{/id}{?skip,take,regarding}",
		"Web":          "/app",
	}
	for k, v := range spaceLinks("Spaces-1") {
		if _, ok := links[k]; !ok {
			links[k] = v
		}
	}
	return c.JSON(RootResource{Application: "Octopus Deploy", Version: h.version, ApiVersion: "3.0.0",
		InstallationId: h.installationID, Links: links})
}

// spaceLinks are the RFC 6570 templates of every space-scoped service.
func spaceLinks(space string) map[string]string {
	p := "/api/" + space
	return map[string]string{
		"Environments":                        p + "/environments{/id}{?name,skip,ids,take,partialName}",
		"EnvironmentSortOrder":                p + "/environments/sortorder",
		"Machines":                            p + "/machines{/id}{?skip,take,name,ids,partialName,roles,isDisabled,healthStatuses,commStyles,environmentIds,thumbprint}",
		"MachineRoles":                        p + "/machineroles/all",
		"ProjectGroups":                       p + "/projectgroups{/id}{?skip,take,ids,partialName}",
		"Projects":                            p + "/projects{/id}{?name,skip,ids,take,partialName}",
		"ProjectsExperimentalSummaries":       p + "/projects/experimental/summaries{?ids}",
		"Lifecycles":                          p + "/lifecycles{/id}{?skip,take,ids,partialName}",
		"Channels":                            p + "/channels{/id}{?skip,take,ids,partialName}",
		"DeploymentProcesses":                 p + "/deploymentprocesses{/id}{?skip,take,ids}",
		"Variables":                           p + "/variables{/id}{?ids}",
		"Releases":                            p + "/releases{/id}{?skip,take,ids}",
		"Deployments":                         p + "/deployments{/id}{?skip,take,ids,projects,environments,tenants}",
		"Interruptions":                       p + "/interruptions{/id}{?skip,take,regarding,pendingOnly,ids}",
		"Artifacts":                           p + "/artifacts{/id}{?skip,take,regarding,ids}",
		"CreateDeploymentUntenantedCommandV1": p + "/deployments/create/untenanted/v1",
		"Tasks":                               "/api/tasks{/id}{?skip,take,ids,states,project,environment,tenant,spaces,name,active}",
		"Feeds":                               p + "/feeds{/id}{?skip,take,ids,partialName}",
		"Packages":                            p + "/packages{/id}{?nuGetPackageId,filter,latest,skip,take}",
		"PackageUpload":                       p + "/packages/raw{?replace,overwriteMode}",
	}
}

// SpaceResource is a space as clients see it.
type SpaceResource struct {
	Id                       string
	Name                     string
	Slug                     string
	Description              string
	IsDefault                bool
	TaskQueueStopped         bool
	SpaceManagersTeams       []string
	SpaceManagersTeamMembers []string
	Links                    map[string]string
}

func spaceDTO(s *app.Space) SpaceResource {
	// Web is Octopus's one-page-app form, which clients take apart (the
	// octopus CLI's `space view` splits it at "/app#/"); the portal's
	// script maps such links to its pages.
	links := map[string]string{"Self": "/api/spaces/" + s.ID, "SpaceHome": "/api/" + s.ID, "Web": "/app#/" + s.ID}
	return SpaceResource{Id: s.ID, Name: s.Name, Slug: app.Slugify(s.Name), Description: s.Description,
		IsDefault: s.IsDefault, TaskQueueStopped: s.TaskQueueStopped, SpaceManagersTeams: []string{},
		SpaceManagersTeamMembers: []string{}, Links: links}
}

func (h *Handler) spaceRoot(c *fiber.Ctx) error {
	s, err := h.Spaces.FindSpaceByID(c.UserContext(), param(c, "space"))
	if err != nil {
		return err
	}
	links := spaceLinks(s.ID)
	links["Self"] = "/api/" + s.ID
	links["SpaceHome"] = "/api/" + s.ID
	return c.JSON(fiber.Map{"Application": "Octopus Deploy", "Version": h.version, "ApiVersion": "3.0.0",
		"InstallationId": h.installationID, "Links": links})
}

func (h *Handler) capabilities(c *fiber.Ctx) error {
	return c.JSON(fiber.Map{"Capabilities": []string{"CreateReleaseCommandV1", "CreateDeploymentUntenantedCommandV1",
		"CreateDeploymentTenantedCommandV1"}})
}

func (h *Handler) listSpaces(c *fiber.Ctx) error {
	f, err := listFilter(c)
	if err != nil {
		return err
	}
	items, total, err := h.Spaces.FindSpaces(c.UserContext(), f)
	if err != nil {
		return err
	}
	return c.JSON(page(c, "Space", mapAll(items, spaceDTO), total, f))
}

func (h *Handler) allSpaces(c *fiber.Ctx) error {
	items, _, err := h.Spaces.FindSpaces(c.UserContext(), app.Filter{IDs: splitList(c.Query("ids"))})
	if err != nil {
		return err
	}
	return c.JSON(mapAll(items, spaceDTO))
}

func (h *Handler) getSpace(c *fiber.Ctx) error {
	s, err := h.Spaces.FindSpaceByID(c.UserContext(), param(c, "id"))
	if err != nil {
		return err
	}
	return c.JSON(spaceDTO(s))
}
