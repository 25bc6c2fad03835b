package api

import (
	"context"

	"github.com/argonautdeploy/argonaut/app"
	"github.com/gofiber/fiber/v2"
)

// resource serves the standard six routes of a space-scoped collection
// (list, all, get, create, update, delete) for a domain type A with wire
// shape D, so that each collection states only what differs: its service
// calls and its DTO mapping.
type resource[A, D any] struct {
	itemType string
	find     func(ctx context.Context, spaceID, id string) (*A, error)
	list     func(ctx context.Context, f app.Filter) ([]*A, int, error)
	create   func(ctx context.Context, a *A) error
	update   func(ctx context.Context, a *A) error
	remove   func(ctx context.Context, spaceID, id string) error
	toDTO    func(*A) D
	// fromDTO maps a request body onto a new domain value in spaceID; id is
	// "" on create and the {id} route parameter on update.
	fromDTO func(d *D, spaceID, id string) *A
}

func (r resource[A, D]) listHandler(c *fiber.Ctx) error {
	f, err := listFilter(c)
	if err != nil {
		return err
	}
	items, total, err := r.list(c.UserContext(), f)
	if err != nil {
		return err
	}
	return c.JSON(page(c, r.itemType, mapAll(items, r.toDTO), total, f))
}

func (r resource[A, D]) allHandler(c *fiber.Ctx) error {
	items, _, err := r.list(c.UserContext(), app.Filter{SpaceID: spaceID(c), IDs: splitList(c.Query("ids"))})
	if err != nil {
		return err
	}
	return c.JSON(mapAll(items, r.toDTO))
}

func (r resource[A, D]) getHandler(c *fiber.Ctx) error {
	a, err := r.find(c.UserContext(), spaceID(c), param(c, "id"))
	if err != nil {
		return err
	}
	return c.JSON(r.toDTO(a))
}

func (r resource[A, D]) createHandler(c *fiber.Ctx) error {
	var d D
	if err := decode(c, &d); err != nil {
		return err
	}
	a := r.fromDTO(&d, spaceID(c), "")
	if err := r.create(c.UserContext(), a); err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(r.toDTO(a))
}

func (r resource[A, D]) updateHandler(c *fiber.Ctx) error {
	var d D
	if err := decode(c, &d); err != nil {
		return err
	}
	a := r.fromDTO(&d, spaceID(c), param(c, "id"))
	if err := r.update(c.UserContext(), a); err != nil {
		return err
	}
	return c.JSON(r.toDTO(a))
}

func (r resource[A, D]) deleteHandler(c *fiber.Ctx) error {
	if err := r.remove(c.UserContext(), spaceID(c), param(c, "id")); err != nil {
		return err
	}
	return deleted(c)
}

// crudRoutes lists the six routes of r under path with the view and edit
// permissions given (create and delete may need their own).
func (r resource[A, D]) crudRoutes(path string, view, create, edit, remove app.Permission) []route {
	return []route{
		{method: "GET", path: path, spaced: true, handler: r.listHandler, perm: view},
		{method: "GET", path: path + "/all", spaced: true, handler: r.allHandler, perm: view},
		{method: "POST", path: path, spaced: true, handler: r.createHandler, perm: create},
		{method: "GET", path: path + "/:id", spaced: true, handler: r.getHandler, perm: view},
		{method: "PUT", path: path + "/:id", spaced: true, handler: r.updateHandler, perm: edit},
		{method: "DELETE", path: path + "/:id", spaced: true, handler: r.deleteHandler, perm: remove},
	}
}
