package api

import (
	"strings"

	"github.com/argonautdeploy/argonaut/app"
	"github.com/argonautdeploy/argonaut/app/auth"
	"github.com/gofiber/fiber/v2"
)

// Cookie names. The session cookie is HttpOnly; the CSRF cookie is readable
// by the page's script so that it can echo it in X-Octopus-Csrf-Token, the
// way Octopus's own portal does.
const (
	SessionCookie = "argonaut_session"
	CSRFCookie    = "Octopus-Csrf-Token"
	CSRFHeader    = "X-Octopus-Csrf-Token"
)

type localKey int

const (
	spaceKey localKey = iota + 1
	sessionKey
	bodyKey
)

// authenticate resolves the caller from an API key (X-Octopus-ApiKey or
// Authorization: Bearer) or a session cookie. Requests signed in with a
// cookie must also carry the CSRF header for anything but reads.
func (h *Handler) authenticate(anonymous bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		key := c.Get("X-Octopus-ApiKey")
		if key == "" {
			if b, ok := strings.CutPrefix(c.Get(fiber.HeaderAuthorization), "Bearer "); ok {
				key = strings.TrimSpace(b)
			}
		}
		if key == "" {
			key = c.Query("apikey")
		}
		var u *app.User
		switch {
		case key != "":
			var err error
			if u, err = h.Auth.FromAPIKey(c.UserContext(), key); err != nil {
				if anonymous {
					return c.Next()
				}
				return err
			}
		case c.Cookies(SessionCookie) != "":
			user, s, err := h.Auth.FromSession(c.UserContext(), c.Cookies(SessionCookie))
			if err != nil {
				if anonymous {
					return c.Next()
				}
				return err
			}
			if !isSafe(c.Method()) && !anonymous && !auth.EqualTokens(c.Get(CSRFHeader), s.CSRFToken) {
				return app.Errorf(app.EFORBIDDEN, "A valid %s header is required for requests signed in with a browser session.", CSRFHeader)
			}
			u = user
			c.Locals(sessionKey, s)
		case anonymous:
			return c.Next()
		default:
			return app.Errorf(app.EUNAUTHORIZED, "You must be logged in to perform this action. Please provide an API key (X-Octopus-ApiKey header) or sign in.")
		}
		c.SetUserContext(app.WithPrincipal(c.UserContext(), u))
		return c.Next()
	}
}

func isSafe(method string) bool {
	return method == fiber.MethodGet || method == fiber.MethodHead || method == fiber.MethodOptions
}

// authorize refuses callers lacking perm ("" = any signed-in user).
func (h *Handler) authorize(perm app.Permission) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if perm == "" {
			return c.Next()
		}
		u := app.PrincipalFrom(c.UserContext())
		if u == nil {
			return app.Errorf(app.EUNAUTHORIZED, "You must be logged in to perform this action.")
		}
		if !u.Can(perm) {
			return app.Errorf(app.EFORBIDDEN, "You do not have permission to perform this action. Missing permission: %s.", perm)
		}
		return c.Next()
	}
}

// resolveSpace checks the {spaceId} segment names a space and remembers it.
func (h *Handler) resolveSpace(c *fiber.Ctx) error {
	s, err := h.Spaces.FindSpaceByID(c.UserContext(), param(c, "space"))
	if err != nil {
		return err
	}
	c.Locals(spaceKey, s.ID)
	return c.Next()
}

func (h *Handler) defaultSpace(c *fiber.Ctx) error {
	c.Locals(spaceKey, app.DefaultSpaceID)
	return c.Next()
}

// spaceID is the space the request addresses.
func spaceID(c *fiber.Ctx) string {
	if s, ok := c.Locals(spaceKey).(string); ok {
		return s
	}
	return app.DefaultSpaceID
}

// principal is the signed-in caller (nil on anonymous routes).
func principal(c *fiber.Ctx) *app.User { return app.PrincipalFrom(c.UserContext()) }
