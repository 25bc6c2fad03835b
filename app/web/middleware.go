package web

import (
	"io"
	"net/url"
	"strings"
	"time"

	"github.com/argonautdeploy/argonaut/app"
	"github.com/argonautdeploy/argonaut/app/api"
	"github.com/argonautdeploy/argonaut/app/auth"
	"github.com/argonautdeploy/argonaut/views"
	"github.com/gofiber/fiber/v2"
)

// Cookies of the portal besides the session cookies api.SetSessionCookies sets.
const (
	// loginCSRFCookie carries the double-submit token of the forms shown
	// before anyone is signed in (sign-in and setup).
	loginCSRFCookie = "argonaut_login_csrf"
	// flashCookie carries the one-shot message shown after a redirect.
	flashCookie = "argonaut_flash"
)

// contentSecurityPolicy allows only this origin's own files: no inline
// script or style, no plugins, no framing, forms post only here.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// setSecurityHeaders adds the headers every portal response carries.
func setSecurityHeaders(c *fiber.Ctx) {
	c.Set("Content-Security-Policy", contentSecurityPolicy)
	c.Set(fiber.HeaderXFrameOptions, "DENY")
	c.Set(fiber.HeaderXContentTypeOptions, "nosniff")
	c.Set(fiber.HeaderReferrerPolicy, "same-origin")
}

// wrap runs the portal's middleware around one route's handler, in order:
// security headers, session, sign-in, CSRF, permission. Every error the
// chain returns is rendered as the HTML error page.
func (h *Handler) wrap(rt route) fiber.Handler {
	return func(c *fiber.Ctx) error {
		setSecurityHeaders(c)
		// Pages hold CSRF tokens and, once, API keys: never cache them.
		c.Set(fiber.HeaderCacheControl, "no-store")
		if err := h.serve(c, rt); err != nil {
			return h.renderError(c, err)
		}
		return nil
	}
}

func (h *Handler) serve(c *fiber.Ctx, rt route) error {
	ctx := c.UserContext()
	user, session := h.currentSession(c)
	req := views.Request{Path: c.Path()}
	if user != nil {
		ctx = app.WithPrincipal(ctx, user)
		req.CSRFToken = session.CSRFToken
	}
	if rt.access == anonymous && user == nil {
		token, err := h.loginCSRFToken(c)
		if err != nil {
			return err
		}
		req.CSRFToken = token
	}
	if c.Method() == fiber.MethodGet {
		req.Flash = h.takeFlash(c)
	}
	c.SetUserContext(views.WithRequest(ctx, req))

	if rt.access == signedIn && user == nil {
		if c.Method() != fiber.MethodGet {
			// A form posted after the session ended: its data cannot be
			// replayed safely, so start again from the sign-in page.
			h.setFlash(c, "error", "Your session has ended; please sign in again.")
		}
		return c.Redirect("/app/login?next="+url.QueryEscape(c.OriginalURL()), fiber.StatusSeeOther)
	}
	if c.Method() != fiber.MethodGet && c.Method() != fiber.MethodHead && !rt.csrfInBody {
		if err := limitForm(c); err != nil {
			return err
		}
		if !validCSRF(c.FormValue(views.CSRFFieldName), req.CSRFToken) {
			return errCSRF
		}
	}
	if rt.perm != "" && !user.Can(rt.perm) {
		return app.Errorf(app.EFORBIDDEN, "You do not have permission to see this page or perform this action (it needs %s).", rt.perm)
	}
	return rt.handler(c)
}

// limitForm holds a form body to the app's BodyLimit before anything parses
// it. Fiber enforces the limit only on bodies it buffers; with
// StreamRequestBody (which uploads need) a larger or chunked body arrives
// as a stream, and fasthttp's form parsing would read all of it into
// memory. Streamed multipart forms (csrfInBody) are limited by their handlers.
func limitForm(c *fiber.Ctx) error {
	if c.Context().RequestBodyStream() == nil {
		return nil // buffered, so within the limit
	}
	limit := c.App().Config().BodyLimit
	b, err := io.ReadAll(io.LimitReader(api.BodyStream(c), int64(limit)+1))
	if err != nil {
		return app.Invalid("The form could not be read: " + err.Error())
	}
	if len(b) > limit {
		return app.Errorf(app.ETOOLARGE, "The form is too large; the limit is %d bytes.", limit)
	}
	c.Request().SetBody(b)
	return nil
}

// errCSRF refuses a form whose token does not match the session's.
var errCSRF = app.Errorf(app.EFORBIDDEN, "This form could not be accepted because its security token is missing or out of date. Go back, reload the page and try again.")

// validCSRF reports whether a posted token matches the expected one.
func validCSRF(posted, want string) bool {
	return want != "" && auth.EqualTokens(posted, want)
}

// currentSession returns the signed-in user and session, or nils.
func (h *Handler) currentSession(c *fiber.Ctx) (*app.User, *app.Session) {
	token := c.Cookies(api.SessionCookie)
	if token == "" {
		return nil, nil
	}
	u, s, err := h.Auth.FromSession(c.UserContext(), token)
	if err != nil {
		return nil, nil
	}
	return u, s
}

// loginCSRFToken returns the double-submit token of the anonymous forms,
// minting it (and its cookie) on first use.
func (h *Handler) loginCSRFToken(c *fiber.Ctx) (string, error) {
	if t := c.Cookies(loginCSRFCookie); len(t) >= 32 {
		return t, nil
	}
	t, err := auth.NewToken()
	if err != nil {
		return "", err
	}
	c.Cookie(&fiber.Cookie{Name: loginCSRFCookie, Value: t, Path: "/", HTTPOnly: true, Secure: h.secureCookies,
		SameSite: fiber.CookieSameSiteLaxMode, Expires: time.Now().Add(12 * time.Hour)})
	return t, nil
}

// setFlash stores a message for the next page the browser loads.
func (h *Handler) setFlash(c *fiber.Ctx, kind, message string) {
	c.Cookie(&fiber.Cookie{Name: flashCookie, Value: kind + ":" + url.QueryEscape(message), Path: "/", HTTPOnly: true,
		Secure: h.secureCookies, SameSite: fiber.CookieSameSiteLaxMode, Expires: time.Now().Add(5 * time.Minute)})
}

// takeFlash returns the pending flash message and clears it.
func (h *Handler) takeFlash(c *fiber.Ctx) *views.Flash {
	v := c.Cookies(flashCookie)
	if v == "" {
		return nil
	}
	c.Cookie(&fiber.Cookie{Name: flashCookie, Value: "", Path: "/", HTTPOnly: true, Secure: h.secureCookies,
		SameSite: fiber.CookieSameSiteLaxMode, Expires: time.Unix(0, 0), MaxAge: -1})
	kind, msg, ok := strings.Cut(v, ":")
	if !ok || (kind != "success" && kind != "error") {
		return nil
	}
	if m, err := url.QueryUnescape(msg); err == nil {
		msg = m
	}
	return &views.Flash{Kind: kind, Message: msg}
}

// redirectWithFlash ends a successful form post: 303 to a page of the portal.
func (h *Handler) redirectWithFlash(c *fiber.Ctx, path, message string) error {
	h.setFlash(c, "success", message)
	return c.Redirect(path, fiber.StatusSeeOther)
}

// safeNext returns next when it is a path inside the portal, else "/app".
// Redirects are always relative, never built from the Host header.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/app") || strings.ContainsAny(next, "\\\r\n\t") {
		return "/app"
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || strings.HasPrefix(u.Path, "//") {
		return "/app"
	}
	return next
}
