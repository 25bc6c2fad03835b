package web

import (
	"strings"

	"github.com/a-h/templ"
	"github.com/argonautdeploy/argonaut/app"
	"github.com/argonautdeploy/argonaut/app/api"
	"github.com/argonautdeploy/argonaut/app/auth"
	"github.com/argonautdeploy/argonaut/views"
	"github.com/argonautdeploy/argonaut/views/ui"
	"github.com/gofiber/fiber/v2"
)

func (h *Handler) loginPage(c *fiber.Ctx) error {
	next := safeNext(c.Query("next"))
	if app.PrincipalFrom(c.UserContext()) != nil {
		return c.Redirect(next, fiber.StatusFound)
	}
	return render(c, fiber.StatusOK, views.Login(views.LoginPage{Next: next}))
}

func (h *Handler) login(c *fiber.Ctx) error {
	username := strings.TrimSpace(c.FormValue("username"))
	next := safeNext(c.FormValue("next"))
	page := func(p *ui.Problem) templ.Component {
		return views.Login(views.LoginPage{Username: username, Next: next, Problem: p})
	}
	if username == "" || c.FormValue("password") == "" {
		return renderForm(c, app.Invalid("Enter your username and password."), page)
	}
	_, token, s, err := h.Auth.Login(c.UserContext(), username, c.FormValue("password"), c.IP())
	if err != nil {
		return renderForm(c, err, page)
	}
	api.SetSessionCookies(c, token, s, h.secureCookies)
	return c.Redirect(next, fiber.StatusSeeOther)
}

func (h *Handler) logout(c *fiber.Ctx) error {
	if err := h.Auth.Logout(c.UserContext(), c.Cookies(api.SessionCookie)); err != nil {
		return err
	}
	api.ClearSessionCookies(c, h.secureCookies)
	return h.redirectWithFlash(c, "/app/login", "You have signed out.")
}

func (h *Handler) setupPage(c *fiber.Ctx) error {
	token := c.Query("token")
	if h.Setup == nil || !h.Setup.SetupTokenValid(token) {
		return render(c, fiber.StatusNotFound, views.SetupUnavailable())
	}
	return render(c, fiber.StatusOK, views.Setup(views.SetupPage{Token: token}))
}

func (h *Handler) setup(c *fiber.Ctx) error {
	token := c.FormValue("token")
	if h.Setup == nil || !h.Setup.SetupTokenValid(token) {
		return render(c, fiber.StatusNotFound, views.SetupUnavailable())
	}
	form := views.SetupPage{Token: token, Username: strings.TrimSpace(c.FormValue("username")),
		DisplayName: strings.TrimSpace(c.FormValue("display_name")), Email: strings.TrimSpace(c.FormValue("email"))}
	page := func(p *ui.Problem) templ.Component { form.Problem = p; return views.Setup(form) }

	password := c.FormValue("password")
	switch {
	case len(password) < app.MinPasswordLength:
		return renderForm(c, app.Invalid("The password must be at least 8 characters."), page)
	case password != c.FormValue("password_confirm"):
		return renderForm(c, app.Invalid("The passwords do not match."), page)
	}
	hash, err := auth.HashPassword(password)
	if err != nil {
		return err
	}
	u := &app.User{Username: form.Username, DisplayName: form.DisplayName, EmailAddress: form.Email,
		IsActive: true, IsAdmin: true, PasswordHash: hash}
	if u.DisplayName == "" {
		u.DisplayName = u.Username
	}
	if err := u.Validate(); err != nil {
		return renderForm(c, err, page)
	}
	if err := h.Setup.CompleteSetup(c.UserContext(), token, u); err != nil {
		if app.ErrorCode(err) == app.EFORBIDDEN {
			return render(c, fiber.StatusNotFound, views.SetupUnavailable())
		}
		return renderForm(c, err, page)
	}
	sessionToken, s, err := h.Auth.StartSession(c.UserContext(), u)
	if err != nil {
		return err
	}
	api.SetSessionCookies(c, sessionToken, s, h.secureCookies)
	return h.redirectWithFlash(c, "/app", "Welcome to Argonaut, "+u.DisplayName+". Start by adding your environments.")
}
