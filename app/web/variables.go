package web

import (
	"context"
	"strings"

	"github.com/argonautdeploy/argonaut/app"
	"github.com/argonautdeploy/argonaut/views"
	"github.com/argonautdeploy/argonaut/views/ui"
	"github.com/gofiber/fiber/v2"
)

// scopeNames maps environment, machine and channel IDs of the space (and
// the project's channels) to their names, for scope chips.
func (h *Handler) scopeNames(ctx context.Context, projectID string) (map[string]string, []*app.Environment, []*app.Machine, []*app.Channel, error) {
	names := map[string]string{}
	envs, _, err := h.Environments.FindEnvironments(ctx, app.Filter{SpaceID: spaceID})
	if err != nil {
		return nil, nil, nil, nil, err
	}
	for _, e := range envs {
		names[e.ID] = e.Name
	}
	machines, _, err := h.Machines.FindMachines(ctx, app.MachineFilter{Filter: app.Filter{SpaceID: spaceID}})
	if err != nil {
		return nil, nil, nil, nil, err
	}
	for _, m := range machines {
		names[m.ID] = m.Name
	}
	chans, _, err := h.Channels.FindChannels(ctx, app.ChannelFilter{Filter: app.Filter{SpaceID: spaceID}, ProjectID: projectID})
	if err != nil {
		return nil, nil, nil, nil, err
	}
	for _, c := range chans {
		names[c.ID] = c.Name
	}
	return names, envs, machines, chans, nil
}

func (h *Handler) projectVariablesPreview(c *fiber.Ctx) error {
	ctx := c.UserContext()
	pr, err := h.Projects.FindProjectByID(ctx, spaceID, c.Params("slug"))
	if err != nil {
		return err
	}
	names, envs, machines, chans, err := h.scopeNames(ctx, pr.ID)
	if err != nil {
		return err
	}
	form := views.PreviewForm{Environment: c.Query("environment"), Machine: c.Query("machine"), Channel: c.Query("channel"),
		Action: strings.TrimSpace(c.Query("action")), Role: strings.TrimSpace(c.Query("role"))}
	page := views.VariablePreviewPage{Project: pr, Form: form, Environments: envs, Machines: machines, Channels: chans, Names: names}
	status := fiber.StatusOK
	if c.Query("run") != "" {
		pv, err := app.PreviewVariables(ctx, app.PreviewServices{Projects: h.Projects, Variables: h.Variables,
			Environments: h.Environments, Machines: h.Machines, Channels: h.Channels},
			app.PreviewRequest{SpaceID: spaceID, Project: pr.ID, Environment: form.Environment, Channel: form.Channel,
				Action: form.Action, Machine: form.Machine, Role: form.Role})
		if app.ErrorCode(err) == app.EINVALID {
			page.Problem = &ui.Problem{Message: app.ErrorMessage(err), Details: app.ErrorDetails(err)}
			status = fiber.StatusBadRequest
		} else if err != nil {
			return err
		}
		page.Preview = pv
	}
	return render(c, status, views.VariablePreview(page))
}
