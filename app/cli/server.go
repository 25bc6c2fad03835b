package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/argonautdeploy/argonaut/app/server"
)

// mode is something argonaut can run until told to stop: `argonaut
// server`, and (later) the agent. `service install` records a mode and its
// flags; `service run` runs it under the OS service manager.
type mode struct {
	name    string
	summary string
	// define registers the mode's flags on f and returns the function that
	// runs the mode, after f is parsed, until ctx ends. asService selects
	// system-wide default paths.
	define func(f *flags, e *env, asService bool) (run func(ctx context.Context) int)
}

func modes() []mode {
	return []mode{
		{name: "server", summary: "Runs the Argonaut server: the API, the web portal and the task engine.", define: defineServer},
	}
}

func findMode(name string) (mode, bool) {
	for _, m := range modes() {
		if m.name == name {
			return m, true
		}
	}
	return mode{}, false
}

func runServer(ctx context.Context, e *env, args []string) int {
	m, _ := findMode("server")
	f := newFlags("argonaut server", m.summary, e.getenv)
	start := m.define(f, e, false)
	rest, code, done := parseFlags(e, f, args)
	if done {
		return code
	}
	if len(rest) > 0 {
		fmt.Fprintf(e.stderr, "argonaut server: unexpected argument %q\n", rest[0])
		return 2
	}
	return start(ctx)
}

// serverOptions are the flags of server mode that are not server.Config fields.
type serverOptions struct {
	logFormat, logLevel string
}

func defineServer(f *flags, e *env, asService bool) func(ctx context.Context) int {
	var cfg server.Config
	var opt serverOptions
	f.Path(&cfg.DataDir, "data-dir", "DIR", hostDataDir(e.getenv, asService), "Directory for the store, package files and the TLS certificate.")
	f.String(&cfg.Listen, "listen", "ADDR", "127.0.0.1:8080", "Address to listen on, host:port (port 0 picks a free port).")
	f.String(&cfg.PublicURL, "public-url", "URL", "", "URL users reach the server at, used in links (default: derived from --listen).")
	f.Path(&cfg.TLSCert, "tls-cert", "FILE", "", "PEM certificate (chain) to serve HTTPS with; needs --tls-key.")
	f.Path(&cfg.TLSKey, "tls-key", "FILE", "", "PEM private key of --tls-cert.")
	f.Bool(&cfg.TLSSelfSigned, "tls-self-signed", false, "Serve HTTPS with a self-signed certificate generated once and kept in the data dir.")
	f.String(&cfg.AdminUsername, "admin-username", "NAME", "", "First administrator, created when the store has no users (with --admin-password).")
	f.Secret(&cfg.AdminPassword, "admin-password", "Password of the first administrator. Without it a one-time setup link is printed instead.")
	f.Secret(&cfg.MasterKey, "master-key", "Master key for sensitive values (32 bytes, base64 or hex). Default: generated once into <data-dir>/master.key (0600).")
	f.Choice(&opt.logFormat, "log-format", []string{"text", "json"}, "text", "Log format on standard error.")
	f.Choice(&opt.logLevel, "log-level", []string{"debug", "info", "warn", "error"}, "info", "Least severe log level written.")
	f.Int(&cfg.MaxBodyBytes, "max-body-bytes", "N", 10<<20, "Largest request body accepted, in bytes.")
	f.Int64(&cfg.MaxPackageBytes, "max-package-bytes", "N", 0, "Largest package the built-in feed accepts, in bytes (0 = 10 GiB).")
	f.Duration(&cfg.ReadTimeout, "read-timeout", "DURATION", time.Minute, "Time a client has to send a request's headers, and the longest an upload may stall; an upload that keeps moving may take longer.")
	return func(ctx context.Context) int {
		if err := checkServerConfig(cfg); err != nil {
			fmt.Fprintf(e.stderr, "%s: %v\n", f.cmd, err)
			return 2
		}
		cfg.Version = resolveVersion(e.version)
		cfg.Logger = newLogger(e.stderr, opt.logFormat, opt.logLevel)
		where := ""
		if f.byName["data-dir"].src == fromDefault {
			where = fmt.Sprintf(" (the default; change it with --data-dir or %s)", EnvName("data-dir"))
		}
		fmt.Fprintf(e.stdout, "Data directory: %s%s\n", cfg.DataDir, where)
		return serve(ctx, e.stdout, cfg)
	}
}

func checkServerConfig(cfg server.Config) error {
	switch {
	case (cfg.TLSCert == "") != (cfg.TLSKey == ""):
		return errors.New("--tls-cert and --tls-key go together")
	case cfg.TLSCert != "" && cfg.TLSSelfSigned:
		return errors.New("give either --tls-cert/--tls-key or --tls-self-signed, not both")
	case cfg.AdminPassword != "" && cfg.AdminUsername == "":
		return errors.New("--admin-password needs --admin-username")
	case cfg.MaxBodyBytes <= 0:
		return errors.New("--max-body-bytes must be positive")
	case cfg.PublicURL != "" && !validPublicURL(cfg.PublicURL):
		return fmt.Errorf("--public-url must be an absolute http or https URL without query or fragment, like https://deploy.example.com, not %q", cfg.PublicURL)
	}
	return nil
}

// validPublicURL reports whether s can prefix every absolute link: an
// http(s) URL with a host and at most a path.
func validPublicURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" && u.User == nil &&
		u.RawQuery == "" && !u.ForceQuery && u.Fragment == "" && !strings.ContainsAny(s, " \t\r\n\\")
}

// serve runs the server until ctx ends, then shuts it down gracefully.
func serve(ctx context.Context, stdout io.Writer, cfg server.Config) int {
	log := cfg.Logger
	s := server.New(cfg)
	if err := s.Open(ctx); err != nil {
		log.Error("server failed to start", "err", err)
		return 1
	}
	if s.TLSThumbprint != "" {
		fmt.Fprintf(stdout, "TLS certificate thumbprint (SHA-256): %s\n", s.TLSThumbprint)
	}
	if s.SetupToken != "" {
		link := s.URL + "/setup?token=" + s.SetupToken
		fmt.Fprintf(stdout, "No users yet: create the first administrator at %s\n", link)
		// A service has no terminal: the log is the only place the link shows.
		log.Info("no users yet: open the one-time setup link to create the first administrator", "url", link)
	}
	// This line comes last: scripts and tests wait for it to know the
	// server is serving, and read everything above it.
	fmt.Fprintf(stdout, "Argonaut is running at %s\n", s.URL)
	<-ctx.Done()
	log.Info("shutting down")
	if err := s.Close(); err != nil {
		log.Error("shutdown", "err", err)
		return 1
	}
	log.Info("stopped")
	return 0
}

// newLogger builds the one logger of the process; everything below app/cli
// receives it (or a child of it) explicitly.
func newLogger(w io.Writer, format, level string) *slog.Logger {
	var lvl slog.Level
	_ = lvl.UnmarshalText([]byte(strings.ToUpper(level)))
	opts := &slog.HandlerOptions{Level: lvl}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
