package runner

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"

	"github.com/argonautdeploy/argonaut/runner/bootstrap"
	"github.com/argonautdeploy/argonaut/runner/mask"
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
//
// PowerShell gets the same program shape (bootstrap.PowerShell: helpers,
// $OctopusParameters, the body) on its standard input instead, read by a
// fixed -Command loader; the same three rules hold.
func runScript(ctx context.Context, sc *stepRun, s script) error {
	shell, err := shellFor(s.Syntax)
	if err != nil {
		return err
	}
	vars := s.Vars
	if vars == nil {
		vars = sc.vars
	}
	// PowerShell reads its program from standard input through a fixed
	// loader (bootstrap.PowerShellArgs): it cannot run /dev/fd/3 (-File
	// insists on a .ps1 name), and stdin works the same on Windows.
	args := []string{"/dev/fd/3"}
	source := bootstrap.Script(evaluatedVariables(vars), s.Body)
	if s.Syntax == PowerShell {
		args = bootstrap.PowerShellArgs()
		source = bootstrap.PowerShell(evaluatedVariables(vars), s.Body)
	}

	src, feed, err := scriptSource(source)
	if err != nil {
		return err
	}
	defer src.Close()
	out := newScriptOutput(sc)
	cmd := exec.CommandContext(ctx, shell, args...)
	cmd.Dir = s.Dir
	cmd.Env = scriptEnvironment()
	cmd.Stdin = nil // /dev/null
	cmd.Stdout = out.stdout
	cmd.Stderr = out.stderr
	if s.Syntax == PowerShell {
		cmd.Stdin = src
	} else {
		cmd.ExtraFiles = []*os.File{src}
	}
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

// shellFor finds the interpreter for a syntax. PowerShell is pwsh
// (PowerShell 7, any OS) or, failing that, powershell (Windows PowerShell).
func shellFor(syn Syntax) (string, error) {
	switch syn {
	case Bash:
		return lookShell("bash")
	case Sh:
		return lookShell("sh")
	case PowerShell:
		for _, name := range []string{"pwsh", "powershell"} {
			if path, err := exec.LookPath(name); err == nil {
				return path, nil
			}
		}
		return "", ErrNoPowerShell
	}
	return "", fmt.Errorf("unknown script syntax %q", syn)
}

// ErrNoPowerShell fails a PowerShell script (inline, or a package's .ps1)
// on a host where neither pwsh nor powershell is on the PATH.
var ErrNoPowerShell = errors.New("PowerShell scripts need pwsh or powershell, and neither is installed on this target (not found in PATH)")

// HasPowerShell reports whether this host can run PowerShell scripts.
func HasPowerShell() bool {
	_, err := shellFor(PowerShell)
	return err == nil
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

// scriptOutput turns a script's stdout and stderr into events.
//
// The order on each stream, and why:
//
//  1. Service messages are parsed from the raw stdout, before masking: a
//     ##octopus[…] line is cut out of the stream and acted on, never
//     logged. Its attribute values are base64, so masking could not hide
//     anything in them anyway, and parsing the raw text means a secret
//     that happens to occur inside the base64 cannot corrupt a message.
//     A sensitive setVariable value joins the mask set before anything
//     that preceded it is flushed to the log.
//  2. Everything else goes, unchanged and with its line ends, through a
//     mask.Writer (one per stream) that masks before the text is split
//     into lines: a multi-line secret is masked as a whole, and a secret
//     written in several pieces is still seen whole.
//  3. Only the masked text is then split into lines and becomes log
//     events (which the emitter masks once more).
//
// Before a service message is acted on, the masked stdout is flushed, so
// the lines printed before it are logged before it takes effect (a
// stdout-* redirection applies to later lines only, an output variable
// event follows the lines before it).
type scriptOutput struct {
	sc                   *stepRun
	stdout               *serviceFilter // raw stdout: cuts out service messages
	stdoutMask, stderr   *mask.Writer   // mask before splitting into lines
	stdoutLog, stderrLog *lineSplitter  // masked text → log events

	mu            sync.Mutex // stdout and stderr are copied by two goroutines
	stdoutCat     Category   // "" means ignore
	stderrCat     Category
	resultMessage string
}

func newScriptOutput(sc *stepRun) *scriptOutput {
	o := &scriptOutput{sc: sc, stdoutCat: Info, stderrCat: Error}
	m := sc.run.events.masker
	o.stdoutLog = &lineSplitter{fn: func(line string) { o.logAs(&o.stdoutCat, line) }}
	o.stderrLog = &lineSplitter{fn: func(line string) { o.logAs(&o.stderrCat, line) }}
	o.stdoutMask = m.writer(o.stdoutLog)
	o.stderr = m.writer(o.stderrLog)
	o.stdout = &serviceFilter{out: o.stdoutMask, onMessage: o.stdoutMessage}
	return o
}

// close flushes both streams once the script has exited.
func (o *scriptOutput) close() {
	o.stdout.Close()
	o.stdoutMask.Close()
	o.stdoutLog.Close()
	o.stderr.Close()
	o.stderrLog.Close()
}

// stdoutMessage acts on a service message cut out of the raw stdout.
func (o *scriptOutput) stdoutMessage(msg string) {
	if m, err := parseServiceMessage(msg); err == nil && m.Name == "setVariable" && strings.EqualFold(m.Attrs["sensitive"], "True") {
		o.sc.run.events.masker.Add(m.Attrs["value"])
	}
	o.stdoutMask.Flush()
	o.serviceMessage(msg)
}

// serviceFilter is the first stage of stdout: it passes the raw text on to
// out with its line ends, except service messages, which it hands to
// onMessage (the text before a message on its line is passed on as a line
// of its own). A line longer than maxLineBytes is passed on in pieces as it
// arrives (out keeps secrets whole across them). Writes come from one
// goroutine (exec's copier), so it needs no lock.
type serviceFilter struct {
	out       io.Writer
	onMessage func(msg string)
	buf       []byte
}

func (f *serviceFilter) Write(p []byte) (int, error) {
	f.buf = append(f.buf, p...)
	rest := f.buf
	for {
		i := bytes.IndexByte(rest, '\n')
		if i < 0 {
			break
		}
		if err := f.line(rest[:i+1]); err != nil {
			return 0, err
		}
		rest = rest[i+1:]
	}
	if len(rest) >= maxLineBytes {
		if _, err := f.out.Write(rest); err != nil {
			return 0, err
		}
		rest = nil
	}
	f.buf = append(f.buf[:0], rest...)
	return len(p), nil
}

// line handles one raw line, with its line end if it has one.
func (f *serviceFilter) line(raw []byte) error {
	text := strings.TrimSuffix(strings.TrimSuffix(string(raw), "\n"), "\r")
	before, msg, ok := splitServiceMessage(text)
	if !ok {
		_, err := f.out.Write(raw)
		return err
	}
	if before != "" {
		if _, err := io.WriteString(f.out, before+"\n"); err != nil {
			return err
		}
	}
	f.onMessage(msg)
	return nil
}

// Close handles an unterminated last line.
func (f *serviceFilter) Close() error {
	if len(f.buf) == 0 {
		return nil
	}
	err := f.line(f.buf)
	f.buf = nil
	return err
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
