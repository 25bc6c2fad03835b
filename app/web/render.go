package web

import (
	"errors"
	"net/http"

	"github.com/a-h/templ"
	"github.com/argonautdeploy/argonaut/app"
	"github.com/argonautdeploy/argonaut/app/api"
	"github.com/argonautdeploy/argonaut/views"
	"github.com/argonautdeploy/argonaut/views/ui"
	"github.com/gofiber/fiber/v2"
)

// render writes a page with the given status.
func render(c *fiber.Ctx, status int, page templ.Component) error {
	c.Status(status)
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	return page.Render(c.UserContext(), c.Response().BodyWriter())
}

// renderError renders err as the one HTML error page, with the status its
// code maps to (api.StatusOf: the single mapping of codes to statuses).
func (h *Handler) renderError(c *fiber.Ctx, err error) error {
	status := api.StatusOf(app.ErrorCode(err))
	msg := app.ErrorMessage(err)
	details := app.ErrorDetails(err)
	var fe *fiber.Error
	if errors.As(err, &fe) {
		status, msg, details = fe.Code, fe.Message, nil
		if status == fiber.StatusRequestEntityTooLarge {
			msg = "The form is too large."
		}
	}
	if status >= 500 {
		h.log.Error("portal request failed", "method", c.Method(), "path", c.Path(), "err", err)
	}
	c.Response().ResetBody()
	return render(c, status, views.Error(views.ErrorPage{Status: status, Title: errorTitle(status), Message: msg, Details: details}))
}

func errorTitle(status int) string {
	switch status {
	case http.StatusBadRequest:
		return "That request was not valid"
	case http.StatusUnauthorized:
		return "Please sign in"
	case http.StatusForbidden:
		return "Access denied"
	case http.StatusNotFound:
		return "Not found"
	case http.StatusConflict:
		return "That conflicts with something else"
	case http.StatusTooManyRequests:
		return "Too many requests"
	}
	if status >= 500 {
		return "Something went wrong"
	}
	return http.StatusText(status)
}

// formProblem turns an error a user can fix (invalid input, a duplicate
// name, a refused delete) into a problem shown above the form, with its
// status. Any other error is returned for the error page.
func formProblem(err error) (*ui.Problem, int, error) {
	switch app.ErrorCode(err) {
	case app.EINVALID, app.ECONFLICT, app.ETOOMANY, app.EUNAUTHORIZED:
		return &ui.Problem{Message: app.ErrorMessage(err), Details: app.ErrorDetails(err)}, api.StatusOf(app.ErrorCode(err)), nil
	}
	return nil, 0, err
}

// renderForm re-renders a form page after a fixable error, or returns err.
func renderForm(c *fiber.Ctx, err error, page func(*ui.Problem) templ.Component) error {
	p, status, err := formProblem(err)
	if err != nil {
		return err
	}
	return render(c, status, page(p))
}

// spaceID is the space the portal shows; only the default space exists yet.
const spaceID = app.DefaultSpaceID

// checked reads an HTML checkbox.
func checked(c *fiber.Ctx, name string) bool { return c.FormValue(name) != "" }

// formValues returns every value of a repeated form field.
func formValues(c *fiber.Ctx, name string) []string {
	var out []string
	for _, v := range c.Request().PostArgs().PeekMulti(name) {
		out = append(out, string(v))
	}
	return out
}
