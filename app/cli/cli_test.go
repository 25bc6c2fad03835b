package cli

import (
	"bytes"
	"context"
	"io/fs"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// testFlags is a flag set with one flag of every kind, reading the given
// environment and files.
type testFlags struct {
	f        *flags
	listen   string
	dir      string
	password string
	tls      bool
	max      int
	format   string
}

func newTestFlags(env, files map[string]string) *testFlags {
	tf := &testFlags{}
	tf.f = newFlags("argonaut test", "Test.", func(k string) string { return env[k] })
	tf.f.readFile = func(name string) ([]byte, error) {
		if b, ok := files[name]; ok {
			return []byte(b), nil
		}
		return nil, fs.ErrNotExist
	}
	tf.f.String(&tf.listen, "listen", "ADDR", "127.0.0.1:8080", "Listen.")
	tf.f.Path(&tf.dir, "data-dir", "DIR", "/default/dir", "Data.")
	tf.f.Secret(&tf.password, "admin-password", "Password.")
	tf.f.Bool(&tf.tls, "tls-self-signed", false, "TLS.")
	tf.f.Int(&tf.max, "max-body-bytes", "N", 100, "Max.")
	tf.f.Choice(&tf.format, "log-format", []string{"text", "json"}, "text", "Format.")
	return tf
}

func TestEnvName(t *testing.T) {
	for flag, want := range map[string]string{
		"data-dir":        "ARGONAUT_DATA_DIR",
		"listen":          "ARGONAUT_LISTEN",
		"admin-password":  "ARGONAUT_ADMIN_PASSWORD",
		"tls-self-signed": "ARGONAUT_TLS_SELF_SIGNED",
	} {
		if got := EnvName(flag); got != want {
			t.Errorf("EnvName(%q) = %q, want %q", flag, got, want)
		}
	}
}

// TestPrecedence checks flag > environment > default for every kind of
// flag, and value > file at each level for secrets.
func TestPrecedence(t *testing.T) {
	abs := func(p string) string { a, _ := filepath.Abs(p); return a }
	files := map[string]string{
		"/run/secrets/pw":    "from-env-file\n",
		"/etc/argonaut/pw":   "from-flag-file\r\n",
		"/run/secrets/empty": "\n",
	}
	type want struct {
		listen, dir, password string
		tls                   bool
		max                   int
		format                string
		src                   map[string]source // optional checks of where values came from
	}
	defaults := want{listen: "127.0.0.1:8080", dir: "/default/dir", max: 100, format: "text"}
	with := func(mod func(*want)) want { w := defaults; mod(&w); return w }
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		want    want
		wantErr string
	}{
		{name: "defaults", want: with(func(w *want) {
			w.src = map[string]source{"listen": fromDefault, "admin-password": fromDefault}
		})},
		{name: "env over default",
			env: map[string]string{"ARGONAUT_LISTEN": "0.0.0.0:9000", "ARGONAUT_DATA_DIR": "/srv/argonaut",
				"ARGONAUT_TLS_SELF_SIGNED": "true", "ARGONAUT_MAX_BODY_BYTES": "42", "ARGONAUT_LOG_FORMAT": "JSON"},
			want: with(func(w *want) {
				w.listen, w.dir, w.tls, w.max, w.format = "0.0.0.0:9000", "/srv/argonaut", true, 42, "json"
				w.src = map[string]source{"listen": fromEnv, "data-dir": fromEnv}
			})},
		{name: "flag over env",
			args: []string{"--listen", "127.0.0.1:0", "--data-dir=/flag/dir", "--tls-self-signed=false", "--max-body-bytes", "7", "--log-format", "text"},
			env: map[string]string{"ARGONAUT_LISTEN": "0.0.0.0:9000", "ARGONAUT_DATA_DIR": "/srv/argonaut",
				"ARGONAUT_TLS_SELF_SIGNED": "true", "ARGONAUT_MAX_BODY_BYTES": "42", "ARGONAUT_LOG_FORMAT": "json"},
			want: with(func(w *want) {
				w.listen, w.dir, w.max = "127.0.0.1:0", "/flag/dir", 7
				w.src = map[string]source{"listen": fromFlag, "tls-self-signed": fromFlag}
			})},
		{name: "empty env is unset", env: map[string]string{"ARGONAUT_LISTEN": ""}, want: defaults},
		{name: "single-dash flags", args: []string{"-listen", "127.0.0.1:1"}, want: with(func(w *want) { w.listen = "127.0.0.1:1" })},
		{name: "relative path made absolute", args: []string{"--data-dir", "data"}, want: with(func(w *want) { w.dir = abs("data") })},
		{name: "relative env path made absolute", env: map[string]string{"ARGONAUT_DATA_DIR": "./d"}, want: with(func(w *want) { w.dir = abs("d") })},

		{name: "secret from env", env: map[string]string{"ARGONAUT_ADMIN_PASSWORD": "from-env"},
			want: with(func(w *want) { w.password = "from-env"; w.src = map[string]source{"admin-password": fromEnv} })},
		{name: "secret from env file, newline dropped", env: map[string]string{"ARGONAUT_ADMIN_PASSWORD_FILE": "/run/secrets/pw"},
			want: with(func(w *want) { w.password = "from-env-file"; w.src = map[string]source{"admin-password": fromEnvFile} })},
		{name: "secret file flag over env", args: []string{"--admin-password-file", "/etc/argonaut/pw"},
			env: map[string]string{"ARGONAUT_ADMIN_PASSWORD": "from-env"},
			want: with(func(w *want) {
				w.password = "from-flag-file"
				w.src = map[string]source{"admin-password": fromFlagFile}
			})},
		{name: "secret flag over env file", args: []string{"--admin-password", "from-flag"},
			env:  map[string]string{"ARGONAUT_ADMIN_PASSWORD_FILE": "/run/secrets/pw"},
			want: with(func(w *want) { w.password = "from-flag"; w.src = map[string]source{"admin-password": fromFlag} })},
		{name: "secret env and env file both", env: map[string]string{"ARGONAUT_ADMIN_PASSWORD": "a", "ARGONAUT_ADMIN_PASSWORD_FILE": "/run/secrets/pw"},
			wantErr: "not both"},
		{name: "secret flag and file flag both", args: []string{"--admin-password", "a", "--admin-password-file", "/etc/argonaut/pw"},
			wantErr: "not both"},
		{name: "secret file missing", env: map[string]string{"ARGONAUT_ADMIN_PASSWORD_FILE": "/nope"}, wantErr: "ARGONAUT_ADMIN_PASSWORD_FILE"},
		{name: "secret file empty", env: map[string]string{"ARGONAUT_ADMIN_PASSWORD_FILE": "/run/secrets/empty"}, wantErr: "empty"},

		{name: "bad env bool names the variable", env: map[string]string{"ARGONAUT_TLS_SELF_SIGNED": "maybe"}, wantErr: "ARGONAUT_TLS_SELF_SIGNED"},
		{name: "bad env int names the variable", env: map[string]string{"ARGONAUT_MAX_BODY_BYTES": "10MB"}, wantErr: "ARGONAUT_MAX_BODY_BYTES"},
		{name: "bad env choice names the variable", env: map[string]string{"ARGONAUT_LOG_FORMAT": "xml"}, wantErr: "ARGONAUT_LOG_FORMAT"},
		{name: "bad flag choice", args: []string{"--log-format", "xml"}, wantErr: "want one of text, json"},
		{name: "unknown flag", args: []string{"--nope"}, wantErr: "not defined"},
		{name: "help", args: []string{"--help"}, wantErr: "help requested"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tf := newTestFlags(tc.env, files)
			_, err := tf.f.parse(tc.args)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("parse error = %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := want{listen: tf.listen, dir: tf.dir, password: tf.password, tls: tf.tls, max: tf.max, format: tf.format}
			w := tc.want
			srcs := w.src
			w.src = nil
			if !reflect.DeepEqual(got, w) {
				t.Errorf("got  %+v\nwant %+v", got, w)
			}
			for name, s := range srcs {
				if g := tf.f.byName[name].src; g != s {
					t.Errorf("source of %s = %s, want %s", name, g, s)
				}
			}
		})
	}
}

func runCLI(t *testing.T, vars map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), &env{version: "v1.2.3", stdin: strings.NewReader(""), stdout: &out, stderr: &errb,
		getenv: func(k string) string { return vars[k] }}, args)
	return code, out.String(), errb.String()
}

func TestCommands(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStdout []string
		wantStderr []string
	}{
		{"no command", nil, 2, nil, []string{"Usage: argonaut <command>", "server", "service", "version"}},
		{"unknown command", []string{"deploy-everything"}, 2, nil, []string{`unknown command "deploy-everything"`, "Usage: argonaut <command>"}},
		{"top-level help", []string{"--help"}, 0, []string{"Commands:", "server", "service"}, nil},
		{"help command", []string{"help"}, 0, []string{"Commands:"}, nil},
		{"help for a command", []string{"help", "server"}, 0, []string{"Usage: argonaut server", "ARGONAUT_DATA_DIR"}, nil},
		{"help for an unknown command", []string{"help", "nope"}, 2, nil, []string{`unknown command "nope"`}},
		{"version", []string{"version"}, 0, []string{"argonaut v1.2.3"}, nil},
		{"--version", []string{"--version"}, 0, []string{"argonaut v1.2.3"}, nil},
		{"version help", []string{"version", "--help"}, 0, []string{"Usage: argonaut version"}, nil},
		{"server unknown flag", []string{"server", "--nope"}, 2, nil, []string{"flag provided but not defined: -nope", "Usage: argonaut server"}},
		{"server stray argument", []string{"server", "extra"}, 2, nil, []string{`unexpected argument "extra"`}},
		{"server tls cert without key", []string{"server", "--tls-cert", "/x.pem"}, 2, nil, []string{"--tls-cert and --tls-key go together"}},
		{"server relative public URL", []string{"server", "--public-url", "deploy.example.com"}, 2, nil, []string{"--public-url must be an absolute http or https URL"}},
		{"server public URL with a query", []string{"server", "--public-url", "https://deploy.example.com/?next=x"}, 2, nil, []string{"--public-url must be"}},
		{"server javascript public URL", []string{"server", "--public-url", "javascript://x"}, 2, nil, []string{"--public-url must be"}},
		{"server password without user", []string{"server", "--admin-password", "secret123"}, 2, nil, []string{"--admin-password needs --admin-username"}},
		{"service without action", []string{"service"}, 2, []string{"Usage: argonaut service <install|uninstall|start|stop|status|run>"}, nil},
		{"service help", []string{"service", "--help"}, 0, []string{"service run --mode server"}, nil},
		{"service unknown action", []string{"service", "explode"}, 2, nil, []string{`unknown action "explode"`}},
		{"service unknown mode", []string{"service", "install", "--mode", "toaster"}, 2, nil, []string{`unknown --mode "toaster"`}},
		{"service install help", []string{"service", "install", "--help"}, 0,
			[]string{"ARGONAUT_SERVICE_NAME", "ARGONAUT_MODE", "ARGONAUT_DATA_DIR", "ARGONAUT_ADMIN_PASSWORD_FILE"}, nil},
		{"service status help", []string{"service", "status", "--help"}, 0, []string{"ARGONAUT_SERVICE_NAME"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, nil, tc.args...)
			if code != tc.wantCode {
				t.Errorf("exit code = %d, want %d\nstdout: %s\nstderr: %s", code, tc.wantCode, stdout, stderr)
			}
			for _, w := range tc.wantStdout {
				if !strings.Contains(stdout, w) {
					t.Errorf("stdout lacks %q:\n%s", w, stdout)
				}
			}
			for _, w := range tc.wantStderr {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, stderr)
				}
			}
		})
	}
}

// TestHelpListsEveryEnvName checks that --help shows, for every flag of
// every command, the flag, its environment variable and its default.
func TestHelpListsEveryEnvName(t *testing.T) {
	for _, args := range [][]string{{"server"}, {"service", "install"}, {"service", "run"}, {"service", "start"}} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			vars := map[string]string{"HOME": "/home/u"}
			code, stdout, _ := runCLI(t, vars, append(args, "--help")...)
			if code != 0 {
				t.Fatalf("exit code %d", code)
			}
			// Rebuild the command's flag set to know what help must list.
			e := &env{getenv: func(k string) string { return vars[k] }}
			f := newFlags("x", "", e.getenv)
			var sf serviceFlags
			switch {
			case args[0] == "server":
				defineServer(f, e, false)
			case args[1] == "install" || args[1] == "run":
				sf.define(f, true)
				defineServer(f, e, true)
			default:
				sf.define(f, false)
			}
			for _, o := range f.opts {
				if !strings.Contains(stdout, "--"+o.name) {
					t.Errorf("help lacks --%s", o.name)
				}
				if !strings.Contains(stdout, "env "+EnvName(o.name)) {
					t.Errorf("help lacks the env name %s", EnvName(o.name))
				}
				if o.secret {
					if !strings.Contains(stdout, "--"+o.name+"-file FILE") || !strings.Contains(stdout, "env "+EnvName(o.name)+"_FILE") {
						t.Errorf("help lacks --%s-file and %s_FILE", o.name, EnvName(o.name))
					}
				} else if o.def != "" && !strings.Contains(stdout, "default "+o.def) {
					t.Errorf("help lacks the default of --%s (%s)", o.name, o.def)
				}
			}
		})
	}
	_, stdout, _ := runCLI(t, map[string]string{"HOME": "/home/u"}, "server", "--help")
	if !strings.Contains(stdout, "default /home/u/.local/share/argonaut") && filepath.Separator == '/' {
		t.Errorf("server help does not show the per-user data dir:\n%s", stdout)
	}
}

func TestDefaultDataDir(t *testing.T) {
	tests := []struct {
		name      string
		goos      string
		env       map[string]string
		asService bool
		want      string
	}{
		{"linux user", "linux", map[string]string{"HOME": "/home/ann"}, false, "/home/ann/.local/share/argonaut"},
		{"linux XDG", "linux", map[string]string{"HOME": "/home/ann", "XDG_DATA_HOME": "/data/ann"}, false, "/data/ann/argonaut"},
		{"linux relative XDG ignored", "linux", map[string]string{"HOME": "/home/ann", "XDG_DATA_HOME": "rel"}, false, "/home/ann/.local/share/argonaut"},
		{"linux no home", "linux", nil, false, "/var/lib/argonaut"},
		{"linux service", "linux", map[string]string{"HOME": "/root"}, true, "/var/lib/argonaut"},
		{"darwin user", "darwin", map[string]string{"HOME": "/Users/ann"}, false, "/Users/ann/Library/Application Support/Argonaut"},
		{"darwin service", "darwin", map[string]string{"HOME": "/Users/ann"}, true, "/Library/Application Support/Argonaut"},
		{"windows user", "windows", map[string]string{"LocalAppData": `C:\Users\ann\AppData\Local`}, false, `C:\Users\ann\AppData\Local\Argonaut`},
		{"windows service", "windows", map[string]string{"ProgramData": `D:\ProgramData`}, true, `D:\ProgramData\Argonaut`},
		{"windows service no env", "windows", nil, true, `C:\ProgramData\Argonaut`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := defaultDataDir(func(k string) string { return tc.env[k] }, tc.goos, tc.asService)
			if got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

// TestServiceRunArgs checks what `service install` records: service run,
// the name and mode, the flags that were set (from flags or environment)
// with absolute paths, always the data dir, and secrets only as files.
func TestServiceRunArgs(t *testing.T) {
	abs := func(p string) string { a, _ := filepath.Abs(p); return a }
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		want    []string
		wantErr string
	}{
		{name: "defaults record the service data dir", env: map[string]string{"HOME": "/root"},
			want: []string{"service", "run", "--service-name=argonaut", "--mode=server", "--data-dir=" + hostDataDir(func(string) string { return "" }, true)}},
		{name: "flags and env recorded, paths absolute",
			args: []string{"--service-name", "argo2", "--data-dir", "rel/data", "--tls-self-signed", "--admin-username", "admin", "--admin-password-file", "pw.txt"},
			env:  map[string]string{"ARGONAUT_LISTEN": "0.0.0.0:8443", "ARGONAUT_LOG_FORMAT": "json"},
			want: []string{"service", "run", "--service-name=argo2", "--mode=server", "--data-dir=" + abs("rel/data"),
				"--listen=0.0.0.0:8443", "--tls-self-signed=true", "--admin-username=admin", "--admin-password-file=" + abs("pw.txt"), "--log-format=json"}},
		{name: "password on the command line refused", args: []string{"--admin-username", "admin", "--admin-password", "hunter22"}, wantErr: "--admin-password-file"},
		{name: "password from env refused", env: map[string]string{"ARGONAUT_ADMIN_PASSWORD": "hunter22"}, wantErr: "readable by every local user"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := &env{getenv: func(k string) string { return tc.env[k] }}
			f := newFlags("argonaut service install", "", e.getenv)
			f.readFile = func(string) ([]byte, error) { return []byte("secret-from-file"), nil }
			var sf serviceFlags
			sf.define(f, true)
			defineServer(f, e, true)
			if _, err := f.parse(tc.args); err != nil {
				t.Fatal(err)
			}
			got, err := serviceRunArgs(f, sf)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error = %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
			for _, a := range got {
				if strings.Contains(a, "secret-from-file") {
					t.Errorf("a secret leaked into the service arguments: %q", a)
				}
			}
		})
	}
}

func TestScanMode(t *testing.T) {
	tests := []struct {
		args []string
		env  string
		want string
	}{
		{nil, "", "server"},
		{nil, "agent", "agent"},
		{[]string{"--mode", "agent"}, "", "agent"},
		{[]string{"-mode=agent", "--listen", "x"}, "server", "agent"},
		{[]string{"--listen", "x", "--", "--mode", "agent"}, "", "server"},
	}
	for _, tc := range tests {
		if got := scanMode(tc.args, func(string) string { return tc.env }); got != tc.want {
			t.Errorf("scanMode(%q, env %q) = %q, want %q", tc.args, tc.env, got, tc.want)
		}
	}
}

func TestValidPublicURL(t *testing.T) {
	for s, want := range map[string]bool{
		"https://deploy.example.com":         true,
		"http://10.0.0.5:8080":               true,
		"https://example.com/argonaut":       true,
		"deploy.example.com":                 false,
		"//deploy.example.com":               false,
		"ftp://deploy.example.com":           false,
		"https://user@deploy.example.com":    false,
		"https://deploy.example.com/?a=b":    false,
		"https://deploy.example.com/#x":      false,
		"https://deploy.example.com/\\x":     false,
		"https://deploy.example.com/a\r\nX:": false,
	} {
		if got := validPublicURL(s); got != want {
			t.Errorf("validPublicURL(%q) = %v, want %v", s, got, want)
		}
	}
}
