package runner

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"

	"github.com/argonautdeploy/argonaut/runner/bootstrap"
	"github.com/argonautdeploy/argonaut/runner/template"
)

// scriptStep runs an inline script: the body is evaluated as an Octostache
// template, then run by the shell its Syntax names in a fresh directory of
// the run's workspace.
type scriptStep struct{}

func (scriptStep) execute(ctx context.Context, sc *stepRun) error {
	body, err := evaluateScriptBody(sc.step.ScriptBody, sc.vars)
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp(sc.run.workspace, "step-")
	if err != nil {
		return fmt.Errorf("create step directory: %w", err)
	}
	return runScript(ctx, sc, script{Syntax: sc.step.Syntax, Body: body, Dir: dir})
}

// evaluateScriptBody substitutes #{…} in an inline script. Text that is not
// a valid template is kept (shell code such as "${#a[@]}" is common), but a
// token naming an unknown variable fails the step, as in Octopus.
func evaluateScriptBody(body string, vars *template.Variables) (string, error) {
	res, err := template.Evaluate(body, vars, template.Options{ContinueOnParseError: true})
	if err != nil {
		return "", fmt.Errorf("evaluate script body: %w", err)
	}
	return res.Output, nil
}

// script is one script to run: an inline step body or a package's
// PreDeploy/Deploy/PostDeploy/DeployFailed file.
type script struct {
	Syntax Syntax
	Body   string
	Dir    string // working directory
	// Vars overrides the step's variables (package scripts add
	// Octopus.Action.Package.InstallationDirectoryPath); nil means the
	// step's.
	Vars *template.Variables
}

// scriptError is a script that ran and failed.
type scriptError struct {
	ExitCode int
	Message  string // from fail_step / resultMessage, if any
}

func (e *scriptError) Error() string {
	if e.Message != "" {
		return e.Message
	}
	return fmt.Sprintf("the script failed with exit code %d", e.ExitCode)
}

// runScript runs s and reports its output through sc.
//
// How variables reach the script: the bootstrap helpers, a generated
// lookup function holding every variable's value, and the script body are
// written into an in-memory file (a memfd on Linux, a pipe elsewhere; see
// scriptSource) the shell inherits as fd 3 and reads as its script
// (/dev/fd/3). So no variable, sensitive or not, is ever written to disk,
// put on a command line (visible in the process listing) or exported to the
// environment (readable in /proc/<pid>/environ and inherited by every
// child). The trade-off: the values live in the shell's memory, and a user
// script that prints its own functions (`set`, `declare -f`) shows them;
// such output is still masked. $0 is /dev/fd/3 rather than a file name.
func runScript(ctx context.Context, sc *stepRun, s script) error {
	shell, err := shellFor(s.Syntax)
	if err != nil {
		return err
	}
	vars := s.Vars
	if vars == nil {
		vars = sc.vars
	}
	source := bootstrap.Script(evaluatedVariables(vars), s.Body)

	src, feed, err := scriptSource(source)
	if err != nil {
		return err
	}
	defer src.Close()
	out := newScriptOutput(sc)
	cmd := exec.CommandContext(ctx, shell, "/dev/fd/3")
	cmd.Dir = s.Dir
	cmd.Env = scriptEnvironment()
	cmd.Stdin = nil // /dev/null
	cmd.Stdout = out.stdout
	cmd.Stderr = out.stderr
	cmd.ExtraFiles = []*os.File{src}
	killProcessGroupOnCancel(cmd)
	if err := cmd.Start(); err != nil {
		feed() // closes the pipe's write end, if any
		return fmt.Errorf("start %s: %w", shell, err)
	}
	src.Close()
	feed()
	waitErr := cmd.Wait()
	out.close()
	return out.outcome(waitErr)
}

// shellFor finds the interpreter for a syntax.
func shellFor(syn Syntax) (string, error) {
	switch syn {
	case Bash:
		return lookShell("bash")
	case Sh:
		return lookShell("sh")
	case PowerShell:
		if _, err := exec.LookPath("pwsh"); err != nil {
			return "", errors.New("PowerShell scripts need pwsh, which is not installed on this target (not found in PATH)")
		}
		return "", errors.New("PowerShell scripts are not supported by this runner yet")
	}
	return "", fmt.Errorf("unknown script syntax %q", syn)
}

func lookShell(name string) (string, error) {
	path, err := exec.LookPath(name)
	if err != nil {
		return "", fmt.Errorf("%s is not installed on this target: %w", name, err)
	}
	return path, nil
}

// scriptEnvironment is the runner's environment without the variables that
// would make a shell run other code or trace itself (BASH_ENV, ENV,
// SHELLOPTS with xtrace, …).
func scriptEnvironment() []string {
	env := os.Environ()
	kept := env[:0:0]
	for _, kv := range env {
		name, _, _ := strings.Cut(kv, "=")
		switch name {
		case "BASH_ENV", "ENV", "SHELLOPTS", "BASHOPTS", "PS4", "BASH_XTRACEFD", "CDPATH":
			continue
		}
		if strings.HasPrefix(name, "BASH_FUNC_") {
			continue
		}
		kept = append(kept, kv)
	}
	return kept
}

// evaluatedVariables returns every variable with #{…} in its value expanded,
// as get_octopusvariable returns it. A value that does not evaluate cleanly
// is passed as written.
func evaluatedVariables(vars *template.Variables) []bootstrap.Variable {
	names := vars.Names()
	out := make([]bootstrap.Variable, 0, len(names))
	for _, name := range names {
		raw, _ := vars.Get(name)
		val := raw
		if strings.Contains(raw, "#{") {
			if res, err := template.Evaluate(raw, vars, template.Options{}); err == nil && !res.HasError() && !res.Null {
				val = res.Output
			}
		}
		out = append(out, bootstrap.Variable{Name: name, Value: val})
	}
	return out
}

// scriptOutput turns a script's stdout and stderr into events. Both streams
// are split into lines first; stdout lines carrying service messages are
// acted on and never logged.
type scriptOutput struct {
	sc             *stepRun
	stdout, stderr *lineSplitter

	mu            sync.Mutex // stdout and stderr are copied by two goroutines
	stdoutCat     Category   // "" means ignore
	stderrCat     Category
	resultMessage string
}

func newScriptOutput(sc *stepRun) *scriptOutput {
	o := &scriptOutput{sc: sc, stdoutCat: Info, stderrCat: Error}
	o.stdout = &lineSplitter{fn: o.stdoutLine}
	o.stderr = &lineSplitter{fn: o.stderrLine}
	return o
}

func (o *scriptOutput) close() {
	o.stdout.Close()
	o.stderr.Close()
}

func (o *scriptOutput) stdoutLine(line string) {
	before, msg, ok := splitServiceMessage(line)
	if before != "" || !ok {
		o.logAs(&o.stdoutCat, before)
	}
	if ok {
		o.serviceMessage(msg)
	}
}

func (o *scriptOutput) stderrLine(line string) {
	o.logAs(&o.stderrCat, line)
}

func (o *scriptOutput) logAs(cat *Category, line string) {
	o.mu.Lock()
	c := *cat
	o.mu.Unlock()
	if c != "" {
		o.sc.log(c, line)
	}
}

// serviceMessage acts on one ##octopus[…] message.
func (o *scriptOutput) serviceMessage(text string) {
	m, err := parseServiceMessage(text)
	if err != nil {
		o.sc.logf(Warning, "Ignored a malformed service message: %v", err)
		return
	}
	a := m.Attrs
	switch m.Name {
	case "setVariable":
		if a["name"] == "" {
			o.sc.log(Warning, "Ignored a setVariable service message without a name")
			return
		}
		o.sc.setOutput(a["name"], a["value"], strings.EqualFold(a["sensitive"], "True"))
	case "createArtifact":
		name := a["name"]
		if name == "" {
			name = a["path"]
		}
		o.sc.addArtifact(a["path"], name)
	case "progress":
		pct, _ := strconv.Atoi(strings.TrimSpace(a["percentage"]))
		o.sc.progress(min(max(pct, 0), 100), a["message"])
	case "resultMessage":
		o.mu.Lock()
		o.resultMessage = a["message"]
		o.mu.Unlock()
	default:
		if cat, stream, ok := redirection(m.Name); ok {
			o.mu.Lock()
			if stream == "stdout" {
				o.stdoutCat = cat
			} else {
				o.stderrCat = cat
			}
			o.mu.Unlock()
			return
		}
		o.sc.logf(Verbose, "Ignored unsupported service message %q", m.Name)
	}
}

// redirection maps stdout-*/stderr-* service messages to the category later
// lines of that stream get ("" drops them).
func redirection(name string) (Category, string, bool) {
	stream, kind, ok := strings.Cut(name, "-")
	if !ok || (stream != "stdout" && stream != "stderr") {
		return "", "", false
	}
	switch kind {
	case "default":
		if stream == "stderr" {
			return Error, stream, true
		}
		return Info, stream, true
	case "verbose", "progress":
		return Verbose, stream, true
	case "warning":
		return Warning, stream, true
	case "highlight":
		return Highlight, stream, true
	case "error":
		return Error, stream, true
	case "wait":
		return Info, stream, true
	case "ignore":
		return "", stream, true
	}
	return "", "", false
}

// outcome turns the shell's exit into the step's error.
func (o *scriptOutput) outcome(waitErr error) error {
	o.mu.Lock()
	msg := o.resultMessage
	o.mu.Unlock()
	if waitErr == nil {
		return nil
	}
	var exit *exec.ExitError
	if errors.As(waitErr, &exit) {
		return &scriptError{ExitCode: exit.ExitCode(), Message: msg}
	}
	return fmt.Errorf("run script: %w", waitErr)
}
