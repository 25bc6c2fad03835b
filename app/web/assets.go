package web

import (
	"github.com/argonautdeploy/argonaut/assets"
	"github.com/gofiber/fiber/v2"
)

// serveAsset serves an embedded file under its content-hashed name. The
// name changes whenever the content does, so it may be cached for a year.
func serveAsset(c *fiber.Ctx) error {
	setSecurityHeaders(c)
	f, ok := assets.Lookup(c.Params("name"))
	if !ok {
		return c.Status(fiber.StatusNotFound).SendString("not found")
	}
	if c.Get(fiber.HeaderIfNoneMatch) == `"`+f.SHA256+`"` {
		return c.SendStatus(fiber.StatusNotModified)
	}
	c.Set(fiber.HeaderContentType, f.ContentType)
	c.Set(fiber.HeaderCacheControl, "public, max-age=31536000, immutable")
	c.Set(fiber.HeaderETag, `"`+f.SHA256+`"`)
	return c.Send(f.Data)
}
