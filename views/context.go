// Package views renders the portal's HTML pages with templ: one file per page
// family, each page taking one props struct defined next to it. Views receive
// domain types and preformatted strings and never call services.
//
// Only four cross-cutting values travel in the context, each with a typed
// accessor: the signed-in user (app.PrincipalFrom), the CSRF token, the flash
// message and the current path (for navigation). Asset URLs come from
// assets.Path.
package views

import (
	"context"

	"github.com/argonautdeploy/argonaut/app"
)

type contextKey int

const requestKey contextKey = iota + 1

// Flash is a one-shot message shown at the top of the next page.
type Flash struct {
	Kind    string // "success" or "error"
	Message string
}

// Request holds the request-scoped values every page may need.
type Request struct {
	CSRFToken string
	Flash     *Flash
	Path      string // the request path, to highlight the current section
}

// WithRequest returns a copy of ctx carrying r.
func WithRequest(ctx context.Context, r Request) context.Context {
	return context.WithValue(ctx, requestKey, r)
}

func request(ctx context.Context) Request {
	r, _ := ctx.Value(requestKey).(Request)
	return r
}

// CSRFToken returns the token every form must echo in its csrf_token field.
func CSRFToken(ctx context.Context) string { return request(ctx).CSRFToken }

// FlashFrom returns the flash message to show, or nil.
func FlashFrom(ctx context.Context) *Flash { return request(ctx).Flash }

// CurrentPath returns the path of the page being rendered.
func CurrentPath(ctx context.Context) string { return request(ctx).Path }

// Principal returns the signed-in user, or nil on the sign-in pages.
func Principal(ctx context.Context) *app.User { return app.PrincipalFrom(ctx) }

// Can reports whether the signed-in user holds perm; pages use it to hide
// actions the server would refuse anyway.
func Can(ctx context.Context, perm app.Permission) bool { return Principal(ctx).Can(perm) }

// CSRFFieldName is the name of the hidden input carrying the CSRF token.
const CSRFFieldName = "csrf_token"
