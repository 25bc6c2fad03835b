package app

import (
	"context"
	"regexp"
	"time"
)

// User is a person or service account that signs in to the portal or calls the API.
type User struct {
	ID           string
	Username     string
	DisplayName  string
	EmailAddress string
	IsActive     bool
	IsService    bool
	IsAdmin      bool
	PasswordHash string // argon2id, PHC string format; never leaves the server
	Audit
}

var usernameRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._@\-]{0,63}$`)

// MinPasswordLength is the shortest password accepted.
const MinPasswordLength = 8

// Validate checks the fields a user supplies.
func (u *User) Validate() error {
	var p problems
	if !usernameRe.MatchString(u.Username) {
		p.add("Username must be 1–64 letters, digits, '.', '_', '@' or '-'.")
	}
	if u.DisplayName != "" {
		p.add(ValidateName("Display name", u.DisplayName))
	}
	return p.err("user")
}

// APIKey lets a CI server act as its user. Only a hash of the key is stored;
// the key itself is shown once, when it is created.
type APIKey struct {
	ID      string
	UserID  string
	Purpose string
	Hash    string // hex SHA-256 of the full key
	Hint    string // last 4 characters, to tell keys apart
	Created time.Time
	Expires *time.Time
}

// Session is a signed-in browser. The cookie carries a random token; the
// store keeps only its hash.
type Session struct {
	TokenHash string
	UserID    string
	CSRFToken string
	Created   time.Time
	Expires   time.Time
}

// UserService manages users, their API keys and browser sessions.
type UserService interface {
	FindUserByID(ctx context.Context, id string) (*User, error)
	FindUserByUsername(ctx context.Context, username string) (*User, error)
	FindUsers(ctx context.Context, f Filter) ([]*User, int, error)
	CountUsers(ctx context.Context) (int, error)
	CreateUser(ctx context.Context, u *User) error
	UpdateUser(ctx context.Context, u *User) error

	CreateAPIKey(ctx context.Context, k *APIKey) error
	FindAPIKeys(ctx context.Context, userID string) ([]*APIKey, error)
	// FindAPIKeyByHash returns the key whose hash is given, or ENOTFOUND.
	FindAPIKeyByHash(ctx context.Context, hash string) (*APIKey, error)
	DeleteAPIKey(ctx context.Context, userID, id string) error

	CreateSession(ctx context.Context, s *Session) error
	FindSessionByHash(ctx context.Context, hash string) (*Session, error)
	DeleteSession(ctx context.Context, hash string) error
}
