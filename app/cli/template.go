package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/argonautdeploy/argonaut/runner/template"
)

// runTemplate dispatches `argonaut template <sub-command>`.
func runTemplate(ctx context.Context, e *env, args []string) int {
	const help = "Usage: argonaut template <command> [flags]\n\nCommands:\n  render  Render a #{…} template with variables, as a deployment would.\n"
	if len(args) == 0 {
		fmt.Fprint(e.stderr, help)
		return 2
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		fmt.Fprint(e.stdout, help)
		return 0
	case "render":
		return runTemplateRender(ctx, e, args[1:])
	}
	fmt.Fprintf(e.stderr, "argonaut template: unknown command %q\n\n%s", args[0], help)
	return 2
}

// varList collects repeated --var Name=Value flags, in order.
type varList []string

func (l *varList) Set(v string) error {
	if i := strings.IndexByte(v, '='); i <= 0 {
		return errors.New("want Name=Value")
	}
	*l = append(*l, v)
	return nil
}

func (l *varList) String() string { return "" }

// runTemplateRender renders FILE (or stdin for "-" or no argument) with the
// variables of --vars and --var (later ones win) and prints the result. It
// exits 1 listing the unresolved tokens unless --allow-unresolved, so that
// a template that would fail a deployment fails here too.
func runTemplateRender(_ context.Context, e *env, args []string) int {
	var varsFile string
	var pairs varList
	var allowUnresolved bool
	f := newFlags("argonaut template render", "Render a template file (or - for standard input) with variables and print the result.\nThe arguments are [flags] [FILE|-].", e.getenv)
	f.Path(&varsFile, "vars", "FILE", "", `JSON object of variables: {"Name": "Value", …} (non-string values are used as JSON text).`)
	f.add(&option{name: "var", meta: "Name=Value", usage: "A variable; repeat for more. Overrides --vars.", value: &pairs})
	f.Bool(&allowUnresolved, "allow-unresolved", false, "Print the output and exit 0 even when tokens are unresolved.")
	rest, code, done := parseFlags(e, f, args)
	if done {
		return code
	}
	if len(rest) > 1 {
		fmt.Fprintf(e.stderr, "%s: unexpected argument %q\n", f.cmd, rest[1])
		return 2
	}
	vars := template.NewVariables()
	if varsFile != "" {
		if err := loadVarsFile(vars, varsFile); err != nil {
			fmt.Fprintf(e.stderr, "%s: --vars: %v\n", f.cmd, err)
			return 1
		}
	}
	for _, p := range pairs {
		name, value, _ := strings.Cut(p, "=")
		vars.Set(name, value)
	}
	text, err := readTemplate(e, rest)
	if err != nil {
		fmt.Fprintf(e.stderr, "%s: %v\n", f.cmd, err)
		return 1
	}
	res, err := template.Evaluate(text, vars, template.Options{})
	if err != nil {
		fmt.Fprintf(e.stderr, "%s: %v\n", f.cmd, err)
		return 1
	}
	if res.ParseError != nil {
		fmt.Fprintf(e.stderr, "%s: %v\n", f.cmd, res.ParseError)
		return 1
	}
	if len(res.Unresolved) > 0 && !allowUnresolved {
		fmt.Fprintf(e.stderr, "%s: %d unresolved token(s) (use --allow-unresolved to print anyway):\n", f.cmd, len(res.Unresolved))
		for _, u := range res.Unresolved {
			fmt.Fprintf(e.stderr, "  %s\n", u)
		}
		return 1
	}
	io.WriteString(e.stdout, res.Output)
	if len(res.Unresolved) > 0 {
		fmt.Fprintf(e.stderr, "warning: unresolved token(s): %s\n", strings.Join(res.Unresolved, ", "))
	}
	return 0
}

func readTemplate(e *env, rest []string) (string, error) {
	if len(rest) == 0 || rest[0] == "-" {
		b, err := io.ReadAll(e.stdin)
		if err != nil {
			return "", fmt.Errorf("read standard input: %w", err)
		}
		return string(b), nil
	}
	b, err := os.ReadFile(rest[0])
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// loadVarsFile reads a JSON object of variables, keeping its key order
// (#{each} over indexed collections follows insertion order).
func loadVarsFile(vars *template.Variables, file string) error {
	b, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return fmt.Errorf("%s: want a JSON object of Name: Value", file)
	}
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			return fmt.Errorf("%s: %w", file, err)
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return fmt.Errorf("%s: %s: %w", file, k, err)
		}
		var s string
		if json.Unmarshal(raw, &s) != nil {
			s = string(raw) // numbers, booleans, arrays and objects as JSON text
		}
		vars.Set(k.(string), s)
	}
	return nil
}
