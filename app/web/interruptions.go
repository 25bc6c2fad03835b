package web

import (
	"github.com/argonautdeploy/argonaut/views"
	"github.com/gofiber/fiber/v2"
)

// taskInterruption serves the interruption form of the task as a fragment
// (empty when nothing is pending); the live log inserts it.
func (h *Handler) taskInterruption(c *fiber.Ctx) error {
	t, err := h.viewableTask(c)
	if err != nil {
		return err
	}
	p := views.TaskPage{Task: t}
	if err := h.decorateTaskPage(c, &p); err != nil {
		return err
	}
	if p.Interruption == nil {
		return c.SendStatus(fiber.StatusNoContent)
	}
	return render(c, fiber.StatusOK, views.InterruptionView(t.ID, p.Interruption))
}
