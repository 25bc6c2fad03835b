package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
)

// envPrefix starts the name of every environment variable argonaut reads.
const envPrefix = "ARGONAUT_"

// EnvName is the environment variable that backs the flag name:
// "data-dir" → "ARGONAUT_DATA_DIR".
func EnvName(flagName string) string {
	return envPrefix + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// source says where a flag's value came from, in order of precedence.
type source int

const (
	fromDefault source = iota
	fromEnvFile
	fromEnv
	fromFlagFile
	fromFlag
)

func (s source) String() string {
	return [...]string{"default", "environment file", "environment", "file flag", "flag"}[s]
}

// option is one flag of a command together with its environment fallback.
type option struct {
	name  string
	usage string
	// meta names the value in --help ("DIR", "ADDR"); "" for booleans.
	meta string
	// path options are made absolute before use, so that a service started
	// in another working directory (System32 on Windows) finds the same file.
	path bool
	// secret options also accept --NAME-file and ARGONAUT_NAME_FILE, and their
	// values are never shown.
	secret bool
	value  flag.Value
	def    string
	src    source
	// file is where a secret was read from (--NAME-file or ARGONAUT_NAME_FILE).
	file string
}

// flags is a command's flag set: the stdlib flag package plus an
// ARGONAUT_* environment fallback for every flag. Precedence is
// flag > environment > default; a secret given as --x-file counts as a flag
// and ARGONAUT_X_FILE as environment, and giving both a value and a file at
// the same level is an error.
type flags struct {
	cmd      string // "argonaut server"
	summary  string
	fs       *flag.FlagSet
	opts     []*option
	byName   map[string]*option
	files    map[string]*string // secret name → value of its --NAME-file flag
	getenv   func(string) string
	readFile func(string) ([]byte, error)
}

func newFlags(cmd, summary string, getenv func(string) string) *flags {
	f := &flags{
		cmd: cmd, summary: summary,
		fs:       flag.NewFlagSet(cmd, flag.ContinueOnError),
		byName:   map[string]*option{},
		files:    map[string]*string{},
		getenv:   getenv,
		readFile: os.ReadFile,
	}
	f.fs.SetOutput(io.Discard) // errors and usage are printed by parse's caller
	return f
}

func (f *flags) add(o *option) {
	o.def = o.value.String()
	f.fs.Var(o.value, o.name, o.usage)
	f.opts = append(f.opts, o)
	f.byName[o.name] = o
}

// String defines a string flag.
func (f *flags) String(p *string, name, meta, def, usage string) {
	*p = def
	f.add(&option{name: name, meta: meta, usage: usage, value: (*stringValue)(p)})
}

// Path defines a file or directory flag whose value is made absolute.
func (f *flags) Path(p *string, name, meta, def, usage string) {
	*p = def
	f.add(&option{name: name, meta: meta, usage: usage, path: true, value: (*stringValue)(p)})
}

// Secret defines a string flag whose value can also be read from a file:
// --NAME-file FILE or ARGONAUT_NAME_FILE.
func (f *flags) Secret(p *string, name, usage string) {
	*p = ""
	f.add(&option{name: name, meta: "VALUE", usage: usage, secret: true, value: (*stringValue)(p)})
	file := new(string)
	f.files[name] = file
	f.fs.StringVar(file, name+"-file", "", "")
}

// Bool defines a boolean flag.
func (f *flags) Bool(p *bool, name string, def bool, usage string) {
	*p = def
	f.add(&option{name: name, usage: usage, value: (*boolValue)(p)})
}

// Int defines an integer flag.
func (f *flags) Int(p *int, name, meta string, def int, usage string) {
	*p = def
	f.add(&option{name: name, meta: meta, usage: usage, value: (*intValue)(p)})
}

// Choice defines a string flag that accepts only the given values.
func (f *flags) Choice(p *string, name string, choices []string, def, usage string) {
	*p = def
	f.add(&option{name: name, meta: strings.Join(choices, "|"), usage: usage,
		value: &choiceValue{p: p, choices: choices}})
}

// errHelp is returned by parse when --help or -h was given.
var errHelp = flag.ErrHelp

// parse reads args, then fills every flag not given on the command line
// from its environment variable, then makes path flags absolute. It
// returns the remaining positional arguments.
func (f *flags) parse(args []string) ([]string, error) {
	if err := f.fs.Parse(args); err != nil {
		return nil, err
	}
	given := map[string]bool{}
	f.fs.Visit(func(fl *flag.Flag) { given[fl.Name] = true })
	for _, o := range f.opts {
		if err := f.resolve(o, given); err != nil {
			return nil, err
		}
		if o.path && o.value.String() != "" {
			abs, err := filepath.Abs(o.value.String())
			if err != nil {
				return nil, fmt.Errorf("--%s: %w", o.name, err)
			}
			_ = o.value.Set(abs)
		}
	}
	return f.fs.Args(), nil
}

func (f *flags) resolve(o *option, given map[string]bool) error {
	env := EnvName(o.name)
	if o.secret {
		if given[o.name] && given[o.name+"-file"] {
			return fmt.Errorf("give either --%s or --%s-file, not both", o.name, o.name)
		}
		if given[o.name] {
			o.src = fromFlag
			return nil
		}
		if file := *f.files[o.name]; given[o.name+"-file"] {
			o.src = fromFlagFile
			return f.setFromFile(o, "--"+o.name+"-file", file)
		}
		v, file := f.getenv(env), f.getenv(env+"_FILE")
		switch {
		case v != "" && file != "":
			return fmt.Errorf("set either %s or %s_FILE, not both", env, env)
		case v != "":
			o.src = fromEnv
			return o.value.Set(v)
		case file != "":
			o.src = fromEnvFile
			return f.setFromFile(o, env+"_FILE", file)
		}
		return nil
	}
	if given[o.name] {
		o.src = fromFlag
		return nil
	}
	if v := f.getenv(env); v != "" {
		if err := o.value.Set(v); err != nil {
			return fmt.Errorf("%s=%q: %w", env, v, err)
		}
		o.src = fromEnv
	}
	return nil
}

// setFromFile reads a secret from file; one trailing newline is dropped,
// since editors and `echo` add one.
func (f *flags) setFromFile(o *option, from, file string) error {
	if abs, err := filepath.Abs(file); err == nil {
		o.file = abs
	}
	b, err := f.readFile(file)
	if err != nil {
		return fmt.Errorf("%s: %w", from, err)
	}
	s := strings.TrimSuffix(strings.TrimSuffix(string(b), "\n"), "\r")
	if s == "" {
		return fmt.Errorf("%s: %s is empty", from, file)
	}
	return o.value.Set(s)
}

// usage writes the command's help: a summary, then every flag with its
// environment variable and default.
func (f *flags) usage(w io.Writer) {
	fmt.Fprintf(w, "Usage: %s [flags]\n\n%s\n\nFlags (each can also be set by the environment variable shown):\n", f.cmd, f.summary)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, o := range f.opts {
		name := "--" + o.name
		if o.meta != "" {
			name += " " + o.meta
		}
		fmt.Fprintf(tw, "  %s\t%s\n", name, o.usage)
		env := EnvName(o.name)
		if o.secret {
			fmt.Fprintf(tw, "  \tenv %s, no default\n", env)
			fmt.Fprintf(tw, "  --%s-file FILE\tFile holding --%s (one trailing newline is ignored).\n", o.name, o.name)
			fmt.Fprintf(tw, "  \tenv %s_FILE\n", env)
			continue
		}
		def := o.def
		if def == "" {
			def = `""`
		}
		fmt.Fprintf(tw, "  \tenv %s, default %s\n", env, def)
	}
	tw.Flush()
}

type stringValue string

func (s *stringValue) Set(v string) error { *s = stringValue(v); return nil }
func (s *stringValue) String() string     { return string(*s) }

type boolValue bool

func (b *boolValue) Set(v string) error {
	switch strings.ToLower(v) {
	case "1", "t", "true", "yes", "on":
		*b = true
	case "0", "f", "false", "no", "off":
		*b = false
	default:
		return errors.New("want true or false")
	}
	return nil
}
func (b *boolValue) String() string   { return fmt.Sprint(bool(*b)) }
func (b *boolValue) IsBoolFlag() bool { return true }

type intValue int

func (i *intValue) Set(v string) error {
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil {
		return errors.New("want a whole number")
	}
	*i = intValue(n)
	return nil
}
func (i *intValue) String() string { return fmt.Sprint(int(*i)) }

type choiceValue struct {
	p       *string
	choices []string
}

func (c *choiceValue) Set(v string) error {
	for _, ch := range c.choices {
		if strings.EqualFold(v, ch) {
			*c.p = ch
			return nil
		}
	}
	return fmt.Errorf("want one of %s", strings.Join(c.choices, ", "))
}
func (c *choiceValue) String() string {
	if c.p == nil {
		return ""
	}
	return *c.p
}
