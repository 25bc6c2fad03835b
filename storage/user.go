package storage

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/argonautdeploy/argonaut/app"
	"github.com/dgraph-io/badger/v4"
)

// userRecord is the stored form of app.User. Users are not space-scoped.
type userRecord struct {
	V            int       `json:"v"`
	Username     string    `json:"username"`
	DisplayName  string    `json:"display_name,omitempty"`
	Email        string    `json:"email,omitempty"`
	IsActive     bool      `json:"is_active"`
	IsService    bool      `json:"is_service,omitempty"`
	IsAdmin      bool      `json:"is_admin,omitempty"`
	PasswordHash string    `json:"password_hash,omitempty"`
	Created      time.Time `json:"created"`
	Modified     time.Time `json:"modified"`
}

func (r *userRecord) indexes() []indexEntry {
	return []indexEntry{{unique: true, name: "username", value: r.Username,
		conflict: fmt.Sprintf("A user with the username '%s' already exists.", r.Username)}}
}

func (r *userRecord) toApp(n uint64) *app.User {
	return &app.User{ID: app.FormatID(app.KindUser, n), Username: r.Username, DisplayName: r.DisplayName,
		EmailAddress: r.Email, IsActive: r.IsActive, IsService: r.IsService, IsAdmin: r.IsAdmin,
		PasswordHash: r.PasswordHash, Audit: app.Audit{Created: r.Created, LastModifiedOn: r.Modified}}
}

func userFromApp(u *app.User) *userRecord {
	return &userRecord{V: schemaVersion, Username: u.Username, DisplayName: u.DisplayName, Email: u.EmailAddress,
		IsActive: u.IsActive, IsService: u.IsService, IsAdmin: u.IsAdmin, PasswordHash: u.PasswordHash}
}

// apiKeyRecord is the stored form of app.APIKey: only the key's hash.
type apiKeyRecord struct {
	V       int        `json:"v"`
	UserID  string     `json:"user_id"`
	Purpose string     `json:"purpose"`
	Hash    string     `json:"hash"`
	Hint    string     `json:"hint"`
	Created time.Time  `json:"created"`
	Expires *time.Time `json:"expires,omitempty"`
}

func (r *apiKeyRecord) indexes() []indexEntry {
	return []indexEntry{
		{unique: true, name: "hash", value: r.Hash, conflict: "API key collision; please try again."},
		{name: "user", value: r.UserID},
	}
}

func (r *apiKeyRecord) toApp(n uint64) *app.APIKey {
	return &app.APIKey{ID: app.FormatID(app.KindAPIKey, n), UserID: r.UserID, Purpose: r.Purpose,
		Hash: r.Hash, Hint: r.Hint, Created: r.Created, Expires: r.Expires}
}

type sessionRecord struct {
	V       int       `json:"v"`
	UserID  string    `json:"user_id"`
	CSRF    string    `json:"csrf"`
	Created time.Time `json:"created"`
	Expires time.Time `json:"expires"`
}

var (
	users   = table{kind: app.KindUser}
	apiKeys = table{kind: app.KindAPIKey}
)

// FindUserByID implements app.UserService.
func (d *DB) FindUserByID(ctx context.Context, id string) (*app.User, error) {
	n, err := parseID(app.KindUser, id)
	if err != nil {
		return nil, err
	}
	var r userRecord
	if err := d.view(func(txn *badger.Txn) error { return users.get(txn, n, id, &r) }); err != nil {
		return nil, err
	}
	return r.toApp(n), nil
}

// FindUserByUsername implements app.UserService.
func (d *DB) FindUserByUsername(ctx context.Context, username string) (*app.User, error) {
	var out *app.User
	err := d.view(func(txn *badger.Txn) error {
		n, ok, err := users.lookup(txn, "username", username)
		if err != nil {
			return err
		} else if !ok {
			return app.Errorf(app.ENOTFOUND, "The user '%s' was not found.", username)
		}
		var r userRecord
		if err := users.get(txn, n, username, &r); err != nil {
			return err
		}
		out = r.toApp(n)
		return nil
	})
	return out, err
}

// FindUsers implements app.UserService.
func (d *DB) FindUsers(ctx context.Context, f app.Filter) ([]*app.User, int, error) {
	var out []*app.User
	err := d.view(func(txn *badger.Txn) error {
		return scan(txn, app.KindUser, func(n uint64, r *userRecord) error {
			if u := r.toApp(n); f.Matches(u.ID, u.Username) {
				out = append(out, u)
			}
			return nil
		})
	})
	if err != nil {
		return nil, 0, fmt.Errorf("storage: find users: %w", err)
	}
	page, total := app.Page(out, f.Skip, f.Take)
	return page, total, nil
}

// CountUsers implements app.UserService.
func (d *DB) CountUsers(ctx context.Context) (int, error) {
	_, total, err := d.FindUsers(ctx, app.Filter{Take: 1})
	return total, err
}

// CreateUser implements app.UserService.
func (d *DB) CreateUser(ctx context.Context, u *app.User) error {
	if err := u.Validate(); err != nil {
		return err
	}
	rec := userFromApp(u)
	now := d.now().UTC()
	rec.Created, rec.Modified = now, now
	return d.update(ctx, func(txn *badger.Txn) error {
		n, err := nextID(txn, app.KindUser)
		if err != nil {
			return err
		}
		if err := users.insert(txn, n, rec); err != nil {
			return err
		}
		*u = *rec.toApp(n)
		return d.audit(ctx, txn, "", app.EventCreated, "User "+u.Username+" was created", u.ID)
	})
}

// UpdateUser implements app.UserService.
func (d *DB) UpdateUser(ctx context.Context, u *app.User) error {
	if err := u.Validate(); err != nil {
		return err
	}
	n, err := parseID(app.KindUser, u.ID)
	if err != nil {
		return err
	}
	rec := userFromApp(u)
	return d.update(ctx, func(txn *badger.Txn) error {
		var old userRecord
		if err := users.get(txn, n, u.ID, &old); err != nil {
			return err
		}
		rec.Created, rec.Modified = old.Created, d.now().UTC()
		if err := users.replace(txn, n, &old, rec); err != nil {
			return err
		}
		*u = *rec.toApp(n)
		return d.audit(ctx, txn, "", app.EventModified, "User "+u.Username+" was modified", u.ID)
	})
}

// CreateAPIKey implements app.UserService. k.Hash must already be set.
func (d *DB) CreateAPIKey(ctx context.Context, k *app.APIKey) error {
	un, err := parseID(app.KindUser, k.UserID)
	if err != nil {
		return err
	}
	rec := &apiKeyRecord{V: schemaVersion, UserID: app.FormatID(app.KindUser, un), Purpose: k.Purpose,
		Hash: k.Hash, Hint: k.Hint, Created: d.now().UTC(), Expires: k.Expires}
	return d.update(ctx, func(txn *badger.Txn) error {
		var u userRecord
		if err := users.get(txn, un, k.UserID, &u); err != nil {
			return err
		}
		n, err := nextID(txn, app.KindAPIKey)
		if err != nil {
			return err
		}
		if err := apiKeys.insert(txn, n, rec); err != nil {
			return err
		}
		*k = *rec.toApp(n)
		return d.audit(ctx, txn, "", app.EventCreated, "API key for "+u.Username+" was created", k.ID, k.UserID)
	})
}

// FindAPIKeys implements app.UserService.
func (d *DB) FindAPIKeys(ctx context.Context, userID string) ([]*app.APIKey, error) {
	un, err := parseID(app.KindUser, userID)
	if err != nil {
		return nil, err
	}
	var out []*app.APIKey
	err = d.view(func(txn *badger.Txn) error {
		ns, err := apiKeys.referenced(txn, "user", app.FormatID(app.KindUser, un))
		if err != nil {
			return err
		}
		for _, n := range ns {
			var r apiKeyRecord
			if err := apiKeys.get(txn, n, "", &r); err != nil {
				return err
			}
			out = append(out, r.toApp(n))
		}
		return nil
	})
	return out, err
}

// FindAPIKeyByHash implements app.UserService.
func (d *DB) FindAPIKeyByHash(ctx context.Context, hash string) (*app.APIKey, error) {
	var out *app.APIKey
	err := d.view(func(txn *badger.Txn) error {
		n, ok, err := apiKeys.lookup(txn, "hash", hash)
		if err != nil {
			return err
		} else if !ok {
			return app.Errorf(app.ENOTFOUND, "API key not found.")
		}
		var r apiKeyRecord
		if err := apiKeys.get(txn, n, "", &r); err != nil {
			return err
		}
		out = r.toApp(n)
		return nil
	})
	return out, err
}

// DeleteAPIKey implements app.UserService (revocation).
func (d *DB) DeleteAPIKey(ctx context.Context, userID, id string) error {
	n, err := parseID(app.KindAPIKey, id)
	if err != nil {
		return err
	}
	return d.update(ctx, func(txn *badger.Txn) error {
		var r apiKeyRecord
		if err := apiKeys.get(txn, n, id, &r); err != nil {
			return err
		}
		if userID != "" && !equalFoldID(app.KindUser, r.UserID, userID) {
			return app.NotFound(id)
		}
		if err := apiKeys.remove(txn, n, &r); err != nil {
			return err
		}
		return d.audit(ctx, txn, "", app.EventDeleted, "API key was revoked", app.FormatID(app.KindAPIKey, n), r.UserID)
	})
}

func equalFoldID(kind, a, b string) bool {
	x, ok1 := app.ParseID(kind, a)
	y, ok2 := app.ParseID(kind, b)
	return ok1 && ok2 && x == y
}

// CreateSession implements app.UserService. Badger expires the record at
// s.Expires, so abandoned sessions clean themselves up.
func (d *DB) CreateSession(ctx context.Context, s *app.Session) error {
	rec := sessionRecord{V: schemaVersion, UserID: s.UserID, CSRF: s.CSRFToken, Created: s.Created, Expires: s.Expires}
	ttl := time.Until(s.Expires)
	if ttl <= 0 {
		return app.Invalid("Session already expired.")
	}
	return d.update(ctx, func(txn *badger.Txn) error {
		b, err := jsonBytes(rec)
		if err != nil {
			return err
		}
		return txn.SetEntry(badger.NewEntry(sessionKey(s.TokenHash), b).WithTTL(ttl))
	})
}

// FindSessionByHash implements app.UserService.
func (d *DB) FindSessionByHash(ctx context.Context, hash string) (*app.Session, error) {
	var rec sessionRecord
	err := d.view(func(txn *badger.Txn) error { return getJSON(txn, sessionKey(hash), "session", &rec) })
	if err != nil {
		return nil, err
	}
	if !d.now().Before(rec.Expires) {
		return nil, app.Errorf(app.ENOTFOUND, "Session expired.")
	}
	return &app.Session{TokenHash: hash, UserID: rec.UserID, CSRFToken: rec.CSRF, Created: rec.Created, Expires: rec.Expires}, nil
}

// DeleteSession implements app.UserService.
func (d *DB) DeleteSession(ctx context.Context, hash string) error {
	err := d.update(ctx, func(txn *badger.Txn) error { return txn.Delete(sessionKey(hash)) })
	if err != nil && !errors.Is(err, badger.ErrKeyNotFound) {
		return fmt.Errorf("storage: delete session: %w", err)
	}
	return nil
}
