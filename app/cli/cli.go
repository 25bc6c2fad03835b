// Package cli implements argonaut's sub-commands. Every flag also reads an
// ARGONAUT_* environment variable; secrets can come from *_FILE.
package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/argonautdeploy/argonaut/app/server"
)

// Run executes the sub-command named by args[0] and returns the exit code.
func Run(ctx context.Context, version string, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "usage: argonaut <server|version> [flags]")
		return 2
	}
	switch args[0] {
	case "version":
		fmt.Fprintln(stdout, "argonaut", version)
		return 0
	case "server":
		return runServer(ctx, version, args[1:], stdout, stderr)
	case "admin":
		return runAdmin(ctx, os.Getenv, args[1:], stdout, stderr)
	}
	fmt.Fprintf(stderr, "argonaut: unknown command %q\n", args[0])
	return 2
}

func runServer(ctx context.Context, version string, args []string, stdout, stderr io.Writer) int {
	home, _ := os.UserHomeDir()
	cfg := server.Config{DataDir: filepath.Join(home, ".argonaut"), Listen: "127.0.0.1:8080", Version: version,
		AdminUsername: os.Getenv("ARGONAUT_ADMIN_USERNAME"), AdminPassword: os.Getenv("ARGONAUT_ADMIN_PASSWORD"),
		Logger: slog.New(slog.NewTextHandler(stderr, nil))}
	if d := os.Getenv("ARGONAUT_DATA_DIR"); d != "" {
		cfg.DataDir = d
	}
	if l := os.Getenv("ARGONAUT_LISTEN"); l != "" {
		cfg.Listen = l
	}
	s := server.New(cfg)
	if err := s.Open(ctx); err != nil {
		fmt.Fprintln(stderr, "argonaut:", err)
		return 1
	}
	fmt.Fprintf(stdout, "Argonaut is running at %s\n", s.URL)
	if s.SetupToken != "" {
		fmt.Fprintf(stdout, "Create the first administrator at %s/setup?token=%s\n", s.URL, s.SetupToken)
	}
	<-ctx.Done()
	if err := s.Close(); err != nil {
		fmt.Fprintln(stderr, "argonaut:", err)
		return 1
	}
	return 0
}
