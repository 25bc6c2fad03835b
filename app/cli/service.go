package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/kardianos/service"
)

// serviceActions are the verbs of `argonaut service`.
var serviceActions = []string{"install", "uninstall", "start", "stop", "status", "run"}

const serviceSummary = `Installs, controls or runs argonaut as an OS service (systemd, launchd,
Windows services, …).

  argonaut service install [--service-name NAME] [--mode server] [mode flags]
      records the mode and its flags (every path made absolute) as the
      service's command line: argonaut service run --mode server --data-dir …
  argonaut service uninstall|start|stop|status [--service-name NAME]
  argonaut service run [--service-name NAME] [--mode server] [mode flags]
      runs the mode under the service manager (this is what install records).

Secrets are never recorded on a service's command line, which every local
user can read: use --admin-password-file instead of --admin-password.`

func runService(ctx context.Context, e *env, args []string) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "-help" {
		fmt.Fprintf(e.stdout, "Usage: argonaut service <%s> [flags]\n\n%s\n", strings.Join(serviceActions, "|"), serviceSummary)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	action, args := args[0], args[1:]
	switch action {
	case "install", "run":
		return runServiceMode(ctx, e, action, args)
	case "uninstall", "start", "stop", "status":
		return runServiceControl(e, action, args)
	}
	fmt.Fprintf(e.stderr, "argonaut service: unknown action %q (want one of %s)\n", action, strings.Join(serviceActions, ", "))
	return 2
}

// serviceFlags are the flags every service action takes.
type serviceFlags struct {
	name string
	mode string
}

func (sf *serviceFlags) define(f *flags, withMode bool) {
	f.String(&sf.name, "service-name", "NAME", "argonaut", "Name of the service in the OS service manager.")
	if withMode {
		var names []string
		for _, m := range modes() {
			names = append(names, m.name)
		}
		f.Choice(&sf.mode, "mode", names, "server", "What the service runs; its flags follow.")
	}
}

// runServiceMode handles install and run, which take a mode and its flags.
func runServiceMode(ctx context.Context, e *env, action string, args []string) int {
	cmd := "argonaut service " + action
	m, ok := findMode(scanMode(args, e.getenv))
	if !ok {
		fmt.Fprintf(e.stderr, "%s: unknown --mode %q\n", cmd, scanMode(args, e.getenv))
		return 2
	}
	var sf serviceFlags
	f := newFlags(cmd, serviceSummary, e.getenv)
	sf.define(f, true)
	start := m.define(f, e, true)
	rest, code, done := parseFlags(e, f, args)
	if done {
		return code
	}
	if len(rest) > 0 {
		fmt.Fprintf(e.stderr, "%s: unexpected argument %q\n", cmd, rest[0])
		return 2
	}
	if action == "install" {
		runArgs, err := serviceRunArgs(f, sf)
		if err != nil {
			fmt.Fprintf(e.stderr, "%s: %v\n", cmd, err)
			return 2
		}
		s, err := newService(sf.name, runArgs, nil)
		if err == nil {
			err = s.Install()
		}
		if err != nil {
			fmt.Fprintf(e.stderr, "%s: %v\n", cmd, err)
			return 1
		}
		fmt.Fprintf(e.stdout, "Installed service %q (%s): argonaut %s\n", sf.name, s.Platform(), strings.Join(runArgs, " "))
		return 0
	}
	p := &program{parent: ctx, run: start, finished: make(chan struct{})}
	s, err := newService(sf.name, nil, p)
	if err == nil {
		err = s.Run()
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "%s: %v\n", cmd, err)
		return 1
	}
	return p.exitCode()
}

func runServiceControl(e *env, action string, args []string) int {
	cmd := "argonaut service " + action
	var sf serviceFlags
	f := newFlags(cmd, serviceSummary, e.getenv)
	sf.define(f, false)
	rest, code, done := parseFlags(e, f, args)
	if done {
		return code
	}
	if len(rest) > 0 {
		fmt.Fprintf(e.stderr, "%s: unexpected argument %q\n", cmd, rest[0])
		return 2
	}
	s, err := newService(sf.name, nil, nil)
	if err != nil {
		fmt.Fprintf(e.stderr, "%s: %v\n", cmd, err)
		return 1
	}
	if action == "status" {
		st, err := s.Status()
		switch {
		case errors.Is(err, service.ErrNotInstalled):
			fmt.Fprintf(e.stdout, "%s: not installed\n", sf.name)
			return 3
		case err != nil:
			fmt.Fprintf(e.stderr, "%s: %v\n", cmd, err)
			return 4
		case st == service.StatusRunning:
			fmt.Fprintf(e.stdout, "%s: running\n", sf.name)
			return 0
		case st == service.StatusStopped:
			fmt.Fprintf(e.stdout, "%s: stopped\n", sf.name)
			return 3
		}
		fmt.Fprintf(e.stdout, "%s: unknown\n", sf.name)
		return 4
	}
	if err := service.Control(s, action); err != nil {
		fmt.Fprintf(e.stderr, "%s: %v\n", cmd, err)
		return 1
	}
	fmt.Fprintf(e.stdout, "%s: %sed\n", sf.name, strings.TrimSuffix(action, "e"))
	return 0
}

// scanMode finds --mode in args before they are parsed, because the mode
// decides which flags there are.
func scanMode(args []string, getenv func(string) string) string {
	for i, a := range args {
		if a == "--" {
			break
		}
		name, value, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !strings.HasPrefix(a, "-") || name != "mode" {
			continue
		}
		if hasValue {
			return value
		}
		if i+1 < len(args) {
			return args[i+1]
		}
	}
	if m := getenv(EnvName("mode")); m != "" {
		return m
	}
	return "server"
}

// serviceRunArgs is the command line install records: `service run`, the
// service name and mode, and every mode flag that was set (on the command
// line or in the environment, which the service will not have), with
// absolute paths. The data directory is always recorded, so that the
// service keeps using it whatever the defaults become.
func serviceRunArgs(f *flags, sf serviceFlags) ([]string, error) {
	args := []string{"service", "run", "--service-name=" + sf.name, "--mode=" + sf.mode}
	for _, o := range f.opts {
		if o.name == "service-name" || o.name == "mode" {
			continue
		}
		switch {
		case o.secret && (o.src == fromFlag || o.src == fromEnv):
			return nil, fmt.Errorf("--%s would be readable by every local user on the service's command line; put it in a file and pass --%s-file", o.name, o.name)
		case o.secret && o.file != "":
			args = append(args, "--"+o.name+"-file="+o.file)
		case o.src != fromDefault || o.name == "data-dir":
			args = append(args, "--"+o.name+"="+o.value.String())
		}
	}
	return args, nil
}

func newService(name string, args []string, p service.Interface) (service.Service, error) {
	if p == nil {
		p = &program{}
	}
	cfg := &service.Config{
		Name:        name,
		DisplayName: "Argonaut",
		Description: "Argonaut deployment automation.",
		Arguments:   args,
		Option:      service.KeyValue{"Restart": "on-failure", "OnFailure": "restart"},
	}
	if name != "argonaut" {
		cfg.DisplayName = "Argonaut (" + name + ")"
	}
	return service.New(p, cfg)
}

// program adapts a mode to the service manager: Start launches it in a
// goroutine and returns at once; Stop cancels it and waits for a graceful
// shutdown.
type program struct {
	parent   context.Context
	run      func(ctx context.Context) int
	cancel   context.CancelFunc
	finished chan struct{}
	once     sync.Once
	code     int
}

// stopTimeout bounds how long Stop waits; the server's own shutdown gives
// in-flight requests 10 seconds.
const stopTimeout = 20 * time.Second

func (p *program) Start(service.Service) error {
	if p.run == nil {
		return errors.New("service: nothing to run")
	}
	ctx, cancel := context.WithCancel(p.parent)
	p.cancel = cancel
	go func() {
		p.code = p.run(ctx)
		stoppedByUs := ctx.Err() != nil
		p.once.Do(func() { close(p.finished) })
		if !stoppedByUs {
			// The mode ended by itself (it could not start): exit non-zero
			// so that the service manager reports the failure and restarts.
			os.Exit(max(p.code, 1))
		}
	}()
	return nil
}

func (p *program) Stop(service.Service) error {
	if p.cancel == nil {
		return nil
	}
	p.cancel()
	select {
	case <-p.finished:
		return nil
	case <-time.After(stopTimeout):
		return fmt.Errorf("service: did not stop within %s", stopTimeout)
	}
}

func (p *program) exitCode() int {
	if p.finished == nil {
		return 0
	}
	select {
	case <-p.finished:
		return p.code
	default:
		return 0
	}
}
