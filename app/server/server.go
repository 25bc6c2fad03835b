// Package server is the composition root of server mode: it opens the
// store, builds the services, and serves the API and the portal. Tests start
// a whole server in-process with Open on 127.0.0.1:0.
package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/argonautdeploy/argonaut/app"
	"github.com/argonautdeploy/argonaut/app/api"
	"github.com/argonautdeploy/argonaut/app/auth"
	"github.com/argonautdeploy/argonaut/app/deployments"
	"github.com/argonautdeploy/argonaut/app/feed"
	"github.com/argonautdeploy/argonaut/app/releases"
	"github.com/argonautdeploy/argonaut/app/secrets"
	"github.com/argonautdeploy/argonaut/app/tasks"
	"github.com/argonautdeploy/argonaut/app/web"
	"github.com/argonautdeploy/argonaut/runner/archive"
	"github.com/argonautdeploy/argonaut/storage"
	"github.com/gofiber/fiber/v2"
)

// Config is everything server mode can be told.
type Config struct {
	DataDir       string
	Listen        string // host:port; port 0 picks a free one
	PublicURL     string // used for every absolute link and redirect; "" = derived from Listen
	TLSCert       string
	TLSKey        string
	TLSSelfSigned bool
	AdminUsername string
	AdminPassword string
	MaxBodyBytes  int
	Version       string
	// MasterKey encrypts sensitive values at rest (32 bytes, base64 or hex;
	// the CLI fills it from ARGONAUT_MASTER_KEY[_FILE]). "" = the key in
	// <DataDir>/master.key, generated on first start.
	MasterKey string
	Logger    *slog.Logger
	TaskConfig
	// PackageVersions answers "latest version of a package" for release
	// creation; nil = releases need explicit package versions. The package
	// feed fills it.
	PackageVersions app.PackageVersionSource

	// MaxPackageBytes is the largest package the built-in feed accepts
	// (0 = 10 GiB). Uploads stream, so MaxBodyBytes does not apply to them.
	MaxPackageBytes int64
	// ReadTimeout is how long a client may take to send a request's headers
	// (and a small body), and how long a streamed upload may stall without a
	// byte arriving; an upload that keeps moving may take longer (0 = 1 minute).
	ReadTimeout time.Duration
	// PackageFiles finds a package version's file (sha256, size) in a feed
	// for deployments; nil = package steps cannot be deployed yet.
	PackageFiles deployments.PackageFinder
}

// readTimeout is ReadTimeout or its default.
func (c Config) readTimeout() time.Duration {
	if c.ReadTimeout > 0 {
		return c.ReadTimeout
	}
	return time.Minute
}

// Server is a running Argonaut server.
type Server struct {
	Config
	DB   *storage.DB
	Auth *auth.Authenticator
	Feed *feed.Service
	// Tasks is the task engine (see tasks.go).
	Tasks *tasks.Engine
	// Deployments creates deployments; Interruptions resumes waiting ones.
	Deployments   *deployments.Service
	Interruptions *deployments.Interruptions

	// URL is where the server can be reached (PublicURL or derived from the listener).
	URL string
	// SetupToken is set when the store had no users and no admin was configured:
	// the printed one-time link creates the first administrator.
	SetupToken string
	// TLSThumbprint is the SHA-256 thumbprint of the serving certificate, if any.
	TLSThumbprint string

	api     *api.Handler
	web     *web.Handler
	urlMu   sync.Mutex // guards URL for executors that start before the listener
	setupMu sync.Mutex // guards SetupToken while serving (see web.go)

	log  *slog.Logger
	fib  *fiber.App
	ln   net.Listener
	done chan error
}

// New returns an unopened server.
func New(cfg Config) *Server {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.MaxBodyBytes == 0 {
		cfg.MaxBodyBytes = 10 << 20
	}
	if cfg.Version == "" {
		cfg.Version = "dev"
	}
	return &Server{Config: cfg, log: cfg.Logger}
}

// Open opens the store, ensures a first administrator (or a setup token),
// and starts serving. It returns once the listener accepts connections.
func (s *Server) Open(ctx context.Context) (err error) {
	if s.DataDir == "" {
		return errors.New("server: no data directory")
	}
	if s.DataDir, err = filepath.Abs(s.DataDir); err != nil {
		return fmt.Errorf("server: data dir: %w", err)
	}
	if err := os.MkdirAll(s.DataDir, 0o700); err != nil {
		return fmt.Errorf("server: create data dir: %w", err)
	}
	key, keySource, err := secrets.LoadKey(s.DataDir, s.MasterKey)
	if err != nil {
		return fmt.Errorf("server: master key: %w", err)
	}
	cipher, err := secrets.NewCipher(key)
	if err != nil {
		return err
	}
	s.DB, err = storage.Open(ctx, storage.Options{Dir: s.DataDir, Logger: s.log, Cipher: cipher,
		KeyGenerated: keySource == secrets.KeyGeneratedHere})
	if err != nil {
		if _, statErr := os.Stat(filepath.Join(s.DataDir, secrets.KeyFileName+".new")); statErr == nil {
			err = fmt.Errorf("%w (%s.new exists: a master key rotation was interrupted after re-encrypting; if so, move it to %s)",
				err, secrets.KeyFileName, secrets.KeyFileName)
		}
		return err
	}
	if keySource == secrets.KeyGeneratedHere {
		// Written only once the store accepted the key, so a store whose key
		// file went missing is never paired with a new, useless key file.
		if err := secrets.WriteKeyFile(filepath.Join(s.DataDir, secrets.KeyFileName), key); err != nil {
			s.DB.Close()
			return err
		}
		s.log.Warn("generated a new master key; back it up, encrypted values cannot be read without it",
			"file", filepath.Join(s.DataDir, secrets.KeyFileName))
	}
	defer func() {
		if err != nil {
			s.closeTasks()
			s.DB.Close()
		}
	}()
	if n, err := s.DB.Blobs.CleanTemp(); err != nil {
		return err
	} else if n > 0 {
		s.log.Warn("removed interrupted uploads", "count", n)
	}
	if _, err := s.DB.ReconcilePackages(ctx); err != nil {
		return err
	}
	s.Auth = auth.NewAuthenticator(s.DB)
	if err := s.ensureAdmin(ctx); err != nil {
		return err
	}
	if err := s.openTasks(ctx); err != nil {
		return err
	}
	installationID, err := s.installationID()
	if err != nil {
		return err
	}

	var tlsConfig *tls.Config
	if s.TLSCert != "" || s.TLSSelfSigned {
		if tlsConfig, s.TLSThumbprint, err = s.loadTLS(); err != nil {
			return err
		}
	}
	s.ln, err = net.Listen("tcp", s.Listen)
	if err != nil {
		return fmt.Errorf("server: listen: %w", err)
	}
	scheme := "http"
	if tlsConfig != nil {
		scheme = "https"
		s.ln = tls.NewListener(s.ln, tlsConfig)
	}
	s.urlMu.Lock()
	s.URL = strings.TrimRight(s.PublicURL, "/")
	if s.URL == "" {
		s.URL = scheme + "://" + s.ln.Addr().String()
	}
	s.urlMu.Unlock()

	s.fib = fiber.New(fiber.Config{
		Immutable:             true,
		DisableStartupMessage: true,
		BodyLimit:             s.MaxBodyBytes,
		StreamRequestBody:     true,
		ReadTimeout:           s.readTimeout(),
		IdleTimeout:           2 * time.Minute,
		ErrorHandler:          api.ErrorHandler(s.log),
		AppName:               "Argonaut",

		// Multipart bodies are parsed by the handlers that want them, as a
		// stream: fasthttp's pre-parse would spool a package to os.TempDir
		// before any handler or limit could look at it.
		DisablePreParseMultipartForm: true,
	})
	s.Feed = feed.New(s.log, s.DB, s.DB, feed.Config{MaxPackageSize: s.MaxPackageBytes, Validator: feed.ArchiveValidator(archive.Limits{})})
	s.Feed.Start()
	if s.PackageVersions == nil {
		s.PackageVersions = s.Feed
	}
	s.routes(installationID, tlsConfig != nil)
	s.done = make(chan error, 1)
	go func() { s.done <- s.fib.Listener(s.ln) }()
	s.log.Info("server listening", "url", s.URL, "data_dir", s.DataDir)
	return nil
}

func (s *Server) routes(installationID string, secure bool) {
	h := api.New(s.log, api.Services{
		Spaces: s.DB, Environments: s.DB, ProjectGroups: s.DB, Lifecycles: s.DB, Projects: s.DB,
		Channels: s.DB, Processes: s.DB, Variables: s.DB, Machines: s.DB, Users: s.DB, Events: s.DB, Packages: s.Feed, Auth: s.Auth,
		Tasks: s.Tasks, TaskLogs: s.DB,
		Releases: s.DB, ReleaseCreator: s.releaseService(),
		Deployments: s.Deployments, Interruptions: s.Interruptions, Artifacts: s.DB, Blobs: s.DB.Blobs,
	}, s.Version, installationID, secure)
	s.api = h
	s.observe() // first: request IDs, logging and metrics wrap every route
	s.fib.Get("/livez", func(c *fiber.Ctx) error { return c.SendString("ok") })
	s.fib.Get("/readyz", func(c *fiber.Ctx) error {
		if _, err := s.DB.SchemaVersion(); err != nil {
			return c.Status(fiber.StatusServiceUnavailable).SendString("store unavailable")
		}
		return c.SendString("ready")
	})
	h.Register(s.fib)
	s.webRoutes(secure)
}

// Addr is the address the server listens on (host:port), which differs
// from URL when a public URL is configured. Valid once the server is open.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// APIRoutes lists every route of the API (below /api), for checks that walk
// them all. Valid once the server is open.
func (s *Server) APIRoutes() []api.Route { return s.api.Routes() }

// PortalRoutes lists every route of the portal, for checks that walk them
// all. Valid once the server is open.
func (s *Server) PortalRoutes() []web.Route { return s.web.Routes() }

// Close stops serving (letting in-flight requests finish) and closes the store.
func (s *Server) Close() error {
	var errs []error
	if s.web != nil {
		s.web.Close() // live log streams end, or Shutdown would wait for their tasks
	}
	if s.fib != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		errs = append(errs, s.fib.ShutdownWithContext(ctx))
		// A Close right after Open can reach Shutdown before the serving
		// goroutine has registered the listener with fasthttp; closing the
		// listener ourselves makes that Serve return instead of running on.
		s.ln.Close()
		<-s.done
	}
	errs = append(errs, s.closeTasks())
	if s.Feed != nil {
		s.Feed.Close()
	}
	if s.DB != nil {
		errs = append(errs, s.DB.Close())
	}
	return errors.Join(errs...)
}

// ensureAdmin creates the first administrator from the configured
// credentials, or, when there are none, prepares a one-time setup token.
// There is never a default password.
func (s *Server) ensureAdmin(ctx context.Context) error {
	n, err := s.DB.CountUsers(ctx)
	if err != nil || n > 0 {
		return err
	}
	if s.AdminUsername != "" && s.AdminPassword != "" {
		if len(s.AdminPassword) < app.MinPasswordLength {
			return fmt.Errorf("server: the admin password must be at least %d characters", app.MinPasswordLength)
		}
		hash, err := auth.HashPassword(s.AdminPassword)
		if err != nil {
			return err
		}
		u := &app.User{Username: s.AdminUsername, DisplayName: s.AdminUsername, IsActive: true, IsAdmin: true, PasswordHash: hash}
		if err := s.DB.CreateUser(ctx, u); err != nil {
			return fmt.Errorf("server: create admin: %w", err)
		}
		s.log.Info("created first administrator", "username", u.Username)
		return nil
	}
	token, err := auth.NewToken()
	if err != nil {
		return err
	}
	s.SetupToken = token
	return nil
}

// installationID is a random ID kept in the data dir, stable across restarts.
func (s *Server) installationID() (string, error) {
	path := filepath.Join(s.DataDir, "installation-id")
	if b, err := os.ReadFile(path); err == nil {
		return strings.TrimSpace(string(b)), nil
	}
	t, err := auth.NewToken()
	if err != nil {
		return "", err
	}
	id := fmt.Sprintf("%x", []byte(t))[:32]
	id = id[:8] + "-" + id[8:12] + "-" + id[12:16] + "-" + id[16:20] + "-" + id[20:32]
	if err := os.WriteFile(path, []byte(id+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("server: write installation id: %w", err)
	}
	return id, nil
}

// releaseService builds the release creator over the store.
func (s *Server) releaseService() *releases.Service {
	return &releases.Service{Projects: s.DB, Channels: s.DB, Processes: s.DB, Releases: s.DB, Feed: s.PackageVersions,
		Created: s.releaseCreated}
}
