// Package cli implements argonaut's sub-commands. Every flag also reads an
// ARGONAUT_* environment variable (flag > environment > default); secrets
// can also come from a file (--NAME-file or ARGONAUT_NAME_FILE).
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"
	"text/tabwriter"
)

// Run executes the sub-command named by args[0] and returns the process
// exit code: 0 on success, 1 on failure, 2 on a usage error.
func Run(ctx context.Context, version string, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return run(ctx, &env{version: version, stdin: stdin, stdout: stdout, stderr: stderr, getenv: os.Getenv}, args)
}

// env is the outside world of one invocation. Tests replace getenv.
type env struct {
	version        string
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
}

// command is one sub-command.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, e *env, args []string) int
}

// commands lists every sub-command in the order help shows them.
func commands() []command {
	return []command{
		{"server", "Run the Argonaut server (API, portal, task engine).", runServer},
		{"service", "Install, control or run argonaut as an OS service (install|uninstall|start|stop|status|run).", runService},
		{"admin", "Offline administration of a stopped server's data dir (rotate-master-key).", func(ctx context.Context, e *env, args []string) int {
			return runAdmin(ctx, e.getenv, args, e.stdout, e.stderr)
		}},
		{"release", "Create a release through a server's API (release create).", runRelease},
		{"deploy", "Deploy a release to environments through a server's API; --wait makes the exit code the outcome.", runDeploy},
		{"template", "Render #{…} templates locally with variables (render).", runTemplate},
		{"version", "Print the version.", runVersion},
		{"help", "Show help for argonaut or one of its commands.", runHelp},
	}
}

func findCommand(name string) (command, bool) {
	for _, c := range commands() {
		if c.name == name {
			return c, true
		}
	}
	return command{}, false
}

func run(ctx context.Context, e *env, args []string) int {
	if len(args) == 0 {
		usage(e.stderr)
		return 2
	}
	switch args[0] {
	case "-h", "-help", "--help":
		usage(e.stdout)
		return 0
	case "-version", "--version":
		return runVersion(ctx, e, nil)
	}
	c, ok := findCommand(args[0])
	if !ok {
		fmt.Fprintf(e.stderr, "argonaut: unknown command %q\n\n", args[0])
		usage(e.stderr)
		return 2
	}
	return c.run(ctx, e, args[1:])
}

func usage(w io.Writer) {
	fmt.Fprint(w, "Argonaut deploys releases of your software to your environments.\n\nUsage: argonaut <command> [flags]\n\nCommands:\n")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, c := range commands() {
		fmt.Fprintf(tw, "  %s\t%s\n", c.name, c.summary)
	}
	tw.Flush()
	fmt.Fprint(w, "\nRun 'argonaut <command> --help' for the flags of a command.\n")
}

func runHelp(ctx context.Context, e *env, args []string) int {
	if len(args) == 0 {
		usage(e.stdout)
		return 0
	}
	if _, ok := findCommand(args[0]); !ok || args[0] == "help" {
		fmt.Fprintf(e.stderr, "argonaut: unknown command %q\n\n", args[0])
		usage(e.stderr)
		return 2
	}
	return run(ctx, e, append(args[:1:1], append(args[1:], "--help")...))
}

func runVersion(_ context.Context, e *env, args []string) int {
	if len(args) > 0 {
		if args[0] == "-h" || args[0] == "--help" || args[0] == "-help" {
			fmt.Fprint(e.stdout, "Usage: argonaut version\n\nPrints the version.\n")
			return 0
		}
		fmt.Fprintf(e.stderr, "argonaut version: unexpected argument %q\n", args[0])
		return 2
	}
	fmt.Fprintln(e.stdout, "argonaut", resolveVersion(e.version))
	return 0
}

// resolveVersion prefers the version stamped with -ldflags and falls back to
// the module version of a `go install`ed binary.
func resolveVersion(v string) string {
	if v != "" && v != "dev" {
		return v
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

// parseFlags parses args with f and reports usage errors the same way for
// every command. done is true when the command should return code.
func parseFlags(e *env, f *flags, args []string) (rest []string, code int, done bool) {
	rest, err := f.parse(args)
	switch {
	case errors.Is(err, errHelp):
		f.usage(e.stdout)
		return nil, 0, true
	case err != nil:
		fmt.Fprintf(e.stderr, "%s: %s\n\n", f.cmd, strings.TrimSpace(err.Error()))
		f.usage(e.stderr)
		return nil, 2, true
	}
	return rest, 0, false
}
