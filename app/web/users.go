package web

import (
	"slices"
	"strings"

	"github.com/argonautdeploy/argonaut/app"
	"github.com/argonautdeploy/argonaut/app/auth"
	"github.com/argonautdeploy/argonaut/views"
	"github.com/argonautdeploy/argonaut/views/ui"
	"github.com/gofiber/fiber/v2"
)

func (h *Handler) profile(c *fiber.Ctx) error {
	return render(c, fiber.StatusOK, views.Profile(views.ProfilePage{User: app.PrincipalFrom(c.UserContext())}))
}

// apiKeyList returns the signed-in user's keys by purpose, then newest first.
func (h *Handler) apiKeyList(c *fiber.Ctx) ([]*app.APIKey, error) {
	keys, err := h.Users.FindAPIKeys(c.UserContext(), app.PrincipalFrom(c.UserContext()).ID)
	if err != nil {
		return nil, err
	}
	slices.SortStableFunc(keys, func(a, b *app.APIKey) int {
		if c := strings.Compare(strings.ToLower(a.Purpose), strings.ToLower(b.Purpose)); c != 0 {
			return c
		}
		return b.Created.Compare(a.Created)
	})
	return keys, nil
}

func (h *Handler) apiKeys(c *fiber.Ctx) error {
	keys, err := h.apiKeyList(c)
	if err != nil {
		return err
	}
	return render(c, fiber.StatusOK, views.APIKeys(views.APIKeysPage{Keys: keys}))
}

// apiKeyCreate mints a key and shows it in this response only: it is not
// redirected, so the key never travels in a URL or a cookie.
func (h *Handler) apiKeyCreate(c *fiber.Ctx) error {
	u := app.PrincipalFrom(c.UserContext())
	purpose := strings.TrimSpace(c.FormValue("purpose"))
	if msg := app.ValidateName("Purpose", purpose); msg != "" {
		keys, err := h.apiKeyList(c)
		if err != nil {
			return err
		}
		return render(c, fiber.StatusBadRequest, views.APIKeys(views.APIKeysPage{Keys: keys, Purpose: purpose,
			Problem: &ui.Problem{Message: "The API key could not be created.", Details: []string{msg}}}))
	}
	secret, hash, err := auth.NewAPIKey()
	if err != nil {
		return err
	}
	k := &app.APIKey{UserID: u.ID, Purpose: purpose, Hash: hash, Hint: secret[len(secret)-4:]}
	if err := h.Users.CreateAPIKey(c.UserContext(), k); err != nil {
		return err
	}
	keys, err := h.apiKeyList(c)
	if err != nil {
		return err
	}
	return render(c, fiber.StatusCreated, views.APIKeys(views.APIKeysPage{Keys: keys, NewKey: &views.NewAPIKey{Key: k, Secret: secret}}))
}

func (h *Handler) findAPIKey(c *fiber.Ctx) (*app.APIKey, error) {
	keys, err := h.apiKeyList(c)
	if err != nil {
		return nil, err
	}
	for _, k := range keys {
		if strings.EqualFold(k.ID, c.Params("id")) {
			return k, nil
		}
	}
	return nil, app.NotFound(c.Params("id"))
}

func (h *Handler) apiKeyRevokePage(c *fiber.Ctx) error {
	k, err := h.findAPIKey(c)
	if err != nil {
		return err
	}
	return render(c, fiber.StatusOK, views.APIKeyRevoke(views.APIKeyRevokePage{Key: k}))
}

func (h *Handler) apiKeyRevoke(c *fiber.Ctx) error {
	k, err := h.findAPIKey(c)
	if err != nil {
		return err
	}
	if err := h.Users.DeleteAPIKey(c.UserContext(), k.UserID, k.ID); err != nil {
		return err
	}
	return h.redirectWithFlash(c, "/app/profile/apikeys", "API key '"+k.Purpose+"' revoked.")
}
