package web

import (
	"context"
	"sort"
	"strings"

	"github.com/argonautdeploy/argonaut/app"
	"github.com/argonautdeploy/argonaut/views"
	"github.com/gofiber/fiber/v2"
)

func (h *Handler) library(c *fiber.Ctx) error {
	return render(c, fiber.StatusOK, views.Library())
}

// projectsByGroup returns every project group (by name) with its projects (by name).
func (h *Handler) projectsByGroup(ctx context.Context) ([]views.ProjectGroupSection, error) {
	groups, _, err := h.ProjectGroups.FindProjectGroups(ctx, app.Filter{SpaceID: spaceID})
	if err != nil {
		return nil, err
	}
	projects, _, err := h.Projects.FindProjects(ctx, app.ProjectFilter{Filter: app.Filter{SpaceID: spaceID}})
	if err != nil {
		return nil, err
	}
	sort.SliceStable(groups, func(i, j int) bool { return lessFold(groups[i].Name, groups[j].Name) })
	sort.SliceStable(projects, func(i, j int) bool { return lessFold(projects[i].Name, projects[j].Name) })
	byGroup := map[string][]*app.Project{}
	for _, p := range projects {
		byGroup[p.ProjectGroupID] = append(byGroup[p.ProjectGroupID], p)
	}
	out := make([]views.ProjectGroupSection, 0, len(groups))
	for _, g := range groups {
		out = append(out, views.ProjectGroupSection{Group: g, Projects: byGroup[g.ID]})
	}
	return out, nil
}

func lessFold(a, b string) bool { return strings.ToLower(a) < strings.ToLower(b) }
