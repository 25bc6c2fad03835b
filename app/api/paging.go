package api

import (
	"fmt"
	"net/url"
	"strconv"

	"github.com/argonautdeploy/argonaut/app"
	"github.com/gofiber/fiber/v2"
)

// DefaultPageSize is Octopus's default "take".
const DefaultPageSize = 30

// maxPageSize bounds one page so a single request cannot ask for everything at once.
const maxPageSize = 1000

// Paged is Octopus's collection envelope. Clients follow Links["Page.Next"]
// until it is absent.
type Paged[T any] struct {
	ItemType       string
	TotalResults   int
	ItemsPerPage   int
	NumberOfPages  int
	LastPageNumber int
	Items          []T
	Links          map[string]string
}

// listFilter reads skip, take, ids, name and partialName from the query.
func listFilter(c *fiber.Ctx) (app.Filter, error) {
	skip, err := queryInt(c, "skip", 0)
	if err != nil {
		return app.Filter{}, err
	}
	take, err := queryInt(c, "take", DefaultPageSize)
	if err != nil {
		return app.Filter{}, err
	}
	if take > maxPageSize {
		take = maxPageSize
	}
	return app.Filter{SpaceID: spaceID(c), IDs: splitList(c.Query("ids")), Name: c.Query("name"),
		PartialName: c.Query("partialName"), Skip: skip, Take: take}, nil
}

// page builds the envelope for items (already one page) out of total.
func page[T any](c *fiber.Ctx, itemType string, items []T, total int, f app.Filter) Paged[T] {
	take := f.Take
	if take <= 0 {
		take = DefaultPageSize
	}
	pages := (total + take - 1) / take
	last := pages - 1
	if last < 0 {
		last = 0
	}
	if items == nil {
		items = []T{}
	}
	at := func(skip int) string {
		q := url.Values{}
		for k, v := range c.Queries() {
			q.Set(k, v)
		}
		q.Set("skip", strconv.Itoa(skip))
		q.Set("take", strconv.Itoa(take))
		return c.Path() + "?" + q.Encode()
	}
	links := map[string]string{
		"Self":         at(f.Skip),
		"Template":     c.Path() + "{?skip,take,ids,partialName}",
		"Page.All":     c.Path() + "/all",
		"Page.Current": at(f.Skip),
		"Page.Last":    at(last * take),
	}
	if f.Skip+len(items) < total {
		links["Page.Next"] = at(f.Skip + take)
	}
	return Paged[T]{ItemType: itemType, TotalResults: total, ItemsPerPage: take, NumberOfPages: pages,
		LastPageNumber: last, Items: items, Links: links}
}

// mapAll converts domain values to DTOs.
func mapAll[A, D any](in []A, conv func(A) D) []D {
	out := make([]D, 0, len(in))
	for _, a := range in {
		out = append(out, conv(a))
	}
	return out
}

// spaceLink builds a space-scoped API path.
func spaceLink(space, format string, args ...any) string {
	return "/api/" + space + fmt.Sprintf(format, args...)
}
