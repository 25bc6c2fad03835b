package auth

import (
	"context"
	"sync"
	"time"

	"github.com/argonautdeploy/argonaut/app"
)

// SessionLifetime is how long a browser session lasts without signing in again.
const SessionLifetime = 12 * time.Hour

// Authenticator turns credentials (password, API key, session token) into
// a signed-in user. It is shared by the API and the portal.
type Authenticator struct {
	Users    app.UserService
	Throttle *Throttle
	Now      func() time.Time
}

// NewAuthenticator returns an authenticator allowing 5 failed sign-ins per
// username or client address every 5 minutes.
func NewAuthenticator(users app.UserService) *Authenticator {
	return &Authenticator{Users: users, Throttle: NewThrottle(5, 5*time.Minute), Now: time.Now}
}

// Login checks a username and password and, on success, starts a session.
// It returns the raw session token for the cookie; only its hash is stored.
// Every failure looks the same to the caller, so usernames cannot be probed.
func (a *Authenticator) Login(ctx context.Context, username, password, clientIP string) (*app.User, string, *app.Session, error) {
	keys := []string{"user:" + username, "ip:" + clientIP}
	// The attempt counts as a failure until the password proves right, so
	// that concurrent guesses cannot all slip past the limit.
	if ok, wait := a.Throttle.Attempt(keys...); !ok {
		return nil, "", nil, app.Errorf(app.ETOOMANY, "Too many failed sign-in attempts. Try again in %d seconds.", int(wait.Seconds())+1)
	}
	fail := func() (*app.User, string, *app.Session, error) {
		return nil, "", nil, app.Errorf(app.EUNAUTHORIZED, "Invalid username or password.")
	}
	u, err := a.Users.FindUserByUsername(ctx, username)
	if err != nil {
		if app.ErrorCode(err) != app.ENOTFOUND {
			return nil, "", nil, err
		}
		// Spend the same time as a real check so that timing reveals nothing.
		CheckPassword(dummyHash(), password)
		return fail()
	}
	if !u.IsActive || u.IsService || u.PasswordHash == "" || !CheckPassword(u.PasswordHash, password) {
		return fail()
	}
	a.Throttle.Succeed(keys...)
	token, s, err := a.StartSession(ctx, u)
	if err != nil {
		return nil, "", nil, err
	}
	return u, token, s, nil
}

// StartSession creates a session for u and returns its raw token.
func (a *Authenticator) StartSession(ctx context.Context, u *app.User) (string, *app.Session, error) {
	token, err := NewToken()
	if err != nil {
		return "", nil, err
	}
	csrf, err := NewToken()
	if err != nil {
		return "", nil, err
	}
	now := a.Now()
	s := &app.Session{TokenHash: HashToken(token), UserID: u.ID, CSRFToken: csrf, Created: now, Expires: now.Add(SessionLifetime)}
	if err := a.Users.CreateSession(ctx, s); err != nil {
		return "", nil, err
	}
	return token, s, nil
}

// FromSession returns the user and session of a session cookie's token.
func (a *Authenticator) FromSession(ctx context.Context, token string) (*app.User, *app.Session, error) {
	if token == "" {
		return nil, nil, app.Errorf(app.EUNAUTHORIZED, "You must be signed in.")
	}
	s, err := a.Users.FindSessionByHash(ctx, HashToken(token))
	if err != nil {
		return nil, nil, app.Errorf(app.EUNAUTHORIZED, "Your session has expired; please sign in again.")
	}
	u, err := a.Users.FindUserByID(ctx, s.UserID)
	if err != nil || !u.IsActive {
		return nil, nil, app.Errorf(app.EUNAUTHORIZED, "Your session has expired; please sign in again.")
	}
	return u, s, nil
}

// FromAPIKey returns the user an API key belongs to.
func (a *Authenticator) FromAPIKey(ctx context.Context, key string) (*app.User, error) {
	unauthorized := app.Errorf(app.EUNAUTHORIZED, "The API key you provided was not valid. Please double-check your API key and try again.")
	hash, err := APIKeyHash(key)
	if err != nil {
		return nil, unauthorized
	}
	k, err := a.Users.FindAPIKeyByHash(ctx, hash)
	if err != nil {
		return nil, unauthorized
	}
	if k.Expires != nil && !a.Now().Before(*k.Expires) {
		return nil, unauthorized
	}
	u, err := a.Users.FindUserByID(ctx, k.UserID)
	if err != nil || !u.IsActive {
		return nil, unauthorized
	}
	return u, nil
}

// Logout ends the session of token.
func (a *Authenticator) Logout(ctx context.Context, token string) error {
	if token == "" {
		return nil
	}
	return a.Users.DeleteSession(ctx, HashToken(token))
}

// dummyHash is checked against when the username is unknown. It is
// computed on first use, not at package init: an argon2id hash costs
// 64 MiB and most of a second, which every argonaut process (version,
// agent, run-plan) would otherwise pay at start-up.
var dummyHash = sync.OnceValue(func() string {
	h, _ := HashPassword("argonaut-dummy-password")
	return h
})
