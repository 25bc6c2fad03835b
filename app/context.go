package app

import "context"

type contextKey int

const principalKey contextKey = iota + 1

// WithPrincipal returns a copy of ctx carrying the signed-in user.
func WithPrincipal(ctx context.Context, u *User) context.Context {
	return context.WithValue(ctx, principalKey, u)
}

// PrincipalFrom returns the signed-in user, or nil for anonymous and system work.
func PrincipalFrom(ctx context.Context) *User {
	u, _ := ctx.Value(principalKey).(*User)
	return u
}

// ActorName names whoever acts in ctx for audit records ("system" when no user).
func ActorName(ctx context.Context) (id, name string) {
	if u := PrincipalFrom(ctx); u != nil {
		return u.ID, u.Username
	}
	return "users-system", "system"
}
