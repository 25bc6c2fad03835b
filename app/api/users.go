package api

import (
	"strings"
	"time"

	"github.com/argonautdeploy/argonaut/app"
	"github.com/argonautdeploy/argonaut/app/auth"
	"github.com/gofiber/fiber/v2"
)

// UserResource is a user as clients see it; never with its password hash.
type UserResource struct {
	Id                  string
	Username            string
	DisplayName         string
	EmailAddress        string
	IsActive            bool
	IsService           bool
	IsRequestor         bool
	CanPasswordBeEdited bool
	Links               map[string]string
}

func userDTO(u *app.User) UserResource {
	return UserResource{Id: u.ID, Username: u.Username, DisplayName: u.DisplayName, EmailAddress: u.EmailAddress,
		IsActive: u.IsActive, IsService: u.IsService, CanPasswordBeEdited: !u.IsService,
		Links: map[string]string{"Self": "/api/users/" + u.ID, "ApiKeys": "/api/users/" + u.ID + "/apikeys{/id}{?skip,take}"}}
}

// LoginCommand is the body of POST /api/users/login.
type LoginCommand struct {
	Username   string
	Password   string
	RememberMe bool
}

func (h *Handler) login(c *fiber.Ctx) error {
	var cmd LoginCommand
	if err := decode(c, &cmd); err != nil {
		return err
	}
	if cmd.Username == "" || cmd.Password == "" {
		return app.Invalid("Username and Password are required.")
	}
	u, token, s, err := h.Auth.Login(c.UserContext(), cmd.Username, cmd.Password, c.IP())
	if err != nil {
		return err
	}
	SetSessionCookies(c, token, s, h.secureCookies)
	return c.JSON(userDTO(u))
}

// SetSessionCookies sets the session and CSRF cookies after a sign-in.
func SetSessionCookies(c *fiber.Ctx, token string, s *app.Session, secure bool) {
	c.Cookie(&fiber.Cookie{Name: SessionCookie, Value: token, Path: "/", Expires: s.Expires,
		HTTPOnly: true, Secure: secure, SameSite: fiber.CookieSameSiteLaxMode})
	c.Cookie(&fiber.Cookie{Name: CSRFCookie, Value: s.CSRFToken, Path: "/", Expires: s.Expires,
		Secure: secure, SameSite: fiber.CookieSameSiteLaxMode})
}

// ClearSessionCookies removes the session cookies on sign-out.
func ClearSessionCookies(c *fiber.Ctx, secure bool) {
	for _, name := range []string{SessionCookie, CSRFCookie} {
		c.Cookie(&fiber.Cookie{Name: name, Value: "", Path: "/", Expires: time.Unix(0, 0), MaxAge: -1,
			HTTPOnly: name == SessionCookie, Secure: secure, SameSite: fiber.CookieSameSiteLaxMode})
	}
}

func (h *Handler) logout(c *fiber.Ctx) error {
	if err := h.Auth.Logout(c.UserContext(), c.Cookies(SessionCookie)); err != nil {
		return err
	}
	ClearSessionCookies(c, h.secureCookies)
	return c.SendStatus(fiber.StatusNoContent)
}

func (h *Handler) me(c *fiber.Ctx) error { return c.JSON(userDTO(principal(c))) }

func (h *Handler) listUsers(c *fiber.Ctx) error {
	f, err := listFilter(c)
	if err != nil {
		return err
	}
	f.SpaceID = ""
	items, total, err := h.Users.FindUsers(c.UserContext(), f)
	if err != nil {
		return err
	}
	return c.JSON(page(c, "User", mapAll(items, userDTO), total, f))
}

func (h *Handler) allUsers(c *fiber.Ctx) error {
	items, _, err := h.Users.FindUsers(c.UserContext(), app.Filter{IDs: splitList(c.Query("ids"))})
	if err != nil {
		return err
	}
	return c.JSON(mapAll(items, userDTO))
}

// CreateUserCommand is the body of POST /api/users.
type CreateUserCommand struct {
	Username     string
	DisplayName  string
	EmailAddress string
	Password     string
	IsService    bool
	IsActive     *bool
}

func (h *Handler) createUser(c *fiber.Ctx) error {
	var cmd CreateUserCommand
	if err := decode(c, &cmd); err != nil {
		return err
	}
	u := &app.User{Username: cmd.Username, DisplayName: cmd.DisplayName, EmailAddress: cmd.EmailAddress,
		IsService: cmd.IsService, IsActive: cmd.IsActive == nil || *cmd.IsActive}
	if !cmd.IsService {
		if len(cmd.Password) < app.MinPasswordLength {
			return app.Invalid("Password must be at least 8 characters.")
		}
		hash, err := auth.HashPassword(cmd.Password)
		if err != nil {
			return err
		}
		u.PasswordHash = hash
	}
	if err := h.Users.CreateUser(c.UserContext(), u); err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(userDTO(u))
}

// userParam resolves the {id} of /users/{id}/…: "me" or an ID, which must be
// the caller unless the caller administers users.
func (h *Handler) userParam(c *fiber.Ctx) (*app.User, error) {
	me := principal(c)
	id := param(c, "id")
	if strings.EqualFold(id, "me") || strings.EqualFold(id, me.ID) {
		return me, nil
	}
	if !me.Can(app.PermUserEdit) {
		return nil, app.Errorf(app.EFORBIDDEN, "You may only manage your own API keys.")
	}
	return h.Users.FindUserByID(c.UserContext(), id)
}

func (h *Handler) getUser(c *fiber.Ctx) error {
	me := principal(c)
	id := param(c, "id")
	if !strings.EqualFold(id, me.ID) && !me.Can(app.PermUserView) {
		return app.Errorf(app.EFORBIDDEN, "You do not have permission to view other users.")
	}
	u, err := h.Users.FindUserByID(c.UserContext(), id)
	if err != nil {
		return err
	}
	return c.JSON(userDTO(u))
}

// APIKeyResource describes an API key; ApiKey is set only in the response
// that creates it.
type APIKeyResource struct {
	Id      string
	UserId  string
	Purpose string
	ApiKey  *ApiKeyValue `json:",omitempty"`
	Created Time
	Expires *Time `json:",omitempty"`
	Links   map[string]string
}

// ApiKeyValue is how newer Octopus versions wrap the key; older clients read
// the plain string, so the create response carries both shapes (see createAPIKey).
type ApiKeyValue = string

func apiKeyDTO(k *app.APIKey) APIKeyResource {
	r := APIKeyResource{Id: k.ID, UserId: k.UserID, Purpose: k.Purpose, Created: Time{k.Created},
		Links: map[string]string{"Self": "/api/users/" + k.UserID + "/apikeys/" + k.ID}}
	if k.Expires != nil {
		r.Expires = &Time{*k.Expires}
	}
	return r
}

// CreateAPIKeyCommand is the body of POST /api/users/{id}/apikeys.
type CreateAPIKeyCommand struct {
	Purpose string
	Expires *Time
}

func (h *Handler) createAPIKey(c *fiber.Ctx) error {
	u, err := h.userParam(c)
	if err != nil {
		return err
	}
	var cmd CreateAPIKeyCommand
	if err := decode(c, &cmd); err != nil {
		return err
	}
	if msg := app.ValidateName("Purpose", cmd.Purpose); msg != "" {
		return app.Invalid(msg)
	}
	key, hash, err := auth.NewAPIKey()
	if err != nil {
		return err
	}
	k := &app.APIKey{UserID: u.ID, Purpose: cmd.Purpose, Hash: hash, Hint: key[len(key)-4:]}
	if cmd.Expires != nil && !cmd.Expires.IsZero() {
		t := cmd.Expires.Time
		k.Expires = &t
	}
	if err := h.Users.CreateAPIKey(c.UserContext(), k); err != nil {
		return err
	}
	dto := apiKeyDTO(k)
	dto.ApiKey = &key
	return c.Status(fiber.StatusCreated).JSON(dto)
}

func (h *Handler) listAPIKeys(c *fiber.Ctx) error {
	u, err := h.userParam(c)
	if err != nil {
		return err
	}
	keys, err := h.Users.FindAPIKeys(c.UserContext(), u.ID)
	if err != nil {
		return err
	}
	f, err := listFilter(c)
	if err != nil {
		return err
	}
	items, total := app.Page(keys, f.Skip, f.Take)
	return c.JSON(page(c, "ApiKey", mapAll(items, apiKeyDTO), total, f))
}

func (h *Handler) getAPIKey(c *fiber.Ctx) error {
	u, err := h.userParam(c)
	if err != nil {
		return err
	}
	keys, err := h.Users.FindAPIKeys(c.UserContext(), u.ID)
	if err != nil {
		return err
	}
	for _, k := range keys {
		if strings.EqualFold(k.ID, param(c, "keyId")) {
			return c.JSON(apiKeyDTO(k))
		}
	}
	return app.NotFound(param(c, "keyId"))
}

func (h *Handler) deleteAPIKey(c *fiber.Ctx) error {
	u, err := h.userParam(c)
	if err != nil {
		return err
	}
	if err := h.Users.DeleteAPIKey(c.UserContext(), u.ID, param(c, "keyId")); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}
