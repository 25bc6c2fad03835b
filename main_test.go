package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// binary is the argonaut executable built once for the process-level tests.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "argonaut-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "argonaut")
	build := exec.Command("go", "build", "-o", binary, "-ldflags", "-X main.version=v0.0.0-test", ".")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build argonaut:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// syncBuffer collects a process's stderr for failure messages.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// process is a running `argonaut server`.
type process struct {
	cmd    *exec.Cmd
	URL    string
	stdout []string // lines up to and including "Argonaut is running at …"
	stderr *syncBuffer
	exited chan struct{}
	err    error // Wait's result, once exited is closed
}

// testEnv is the environment of child processes: the test's own, minus any
// ARGONAUT_* variable of the developer's shell.
func testEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "ARGONAUT_") {
			env = append(env, kv)
		}
	}
	return append(env, extra...)
}

// startServer runs the binary with args and waits (bounded) until it prints
// its URL. The process is killed at the end of the test if still running.
func startServer(t *testing.T, env []string, args ...string) *process {
	t.Helper()
	p := &process{cmd: exec.Command(binary, args...), stderr: &syncBuffer{}, exited: make(chan struct{})}
	p.cmd.Env = env
	p.cmd.Stderr = p.stderr
	out, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
		_, _ = io.Copy(io.Discard, out)
		p.err = p.cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-p.exited:
		default:
			_ = p.cmd.Process.Kill()
			<-p.exited
		}
	})
	deadline := time.After(60 * time.Second)
	for p.URL == "" {
		select {
		case l, ok := <-lines:
			if !ok {
				<-p.exited
				t.Fatalf("argonaut exited before serving (%v)\nstdout:\n%s\nstderr:\n%s", p.err, strings.Join(p.stdout, "\n"), p.stderr)
			}
			p.stdout = append(p.stdout, l)
			if u, ok := strings.CutPrefix(l, "Argonaut is running at "); ok {
				p.URL = strings.TrimSpace(u)
			}
		case <-deadline:
			t.Fatalf("argonaut printed no URL within 60s\nstdout:\n%s\nstderr:\n%s", strings.Join(p.stdout, "\n"), p.stderr)
		}
	}
	// Keep draining stdout so the child never blocks on a full pipe.
	go func() {
		for range lines {
		}
	}()
	return p
}

// line returns the first stdout line starting with prefix, without it.
func (p *process) line(prefix string) (string, bool) {
	for _, l := range p.stdout {
		if v, ok := strings.CutPrefix(l, prefix); ok {
			return strings.TrimSpace(v), true
		}
	}
	return "", false
}

// stop sends SIGTERM and requires a clean exit 0 within a bounded time.
func (p *process) stop(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.exited:
	case <-time.After(20 * time.Second):
		t.Fatalf("argonaut did not exit within 20s of SIGTERM\nstderr:\n%s", p.stderr)
	}
	if p.err != nil {
		t.Fatalf("argonaut exited with %v after SIGTERM, want exit 0\nstderr:\n%s", p.err, p.stderr)
	}
}

func fetch(t *testing.T, c *http.Client, url string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// TestServerProcess runs the real binary as a separate process, as an
// operator would, and checks probes, metrics, the API root and a graceful
// SIGTERM shutdown.
func TestServerProcess(t *testing.T) {
	dataDir := filepath.Join(t.TempDir(), "data")
	p := startServer(t, testEnv(), "server", "--listen", "127.0.0.1:0", "--data-dir", dataDir)

	if got, _ := p.line("Data directory: "); got != dataDir {
		t.Errorf("printed data directory %q, want %q", got, dataDir)
	}
	link, ok := p.line("No users yet: create the first administrator at ")
	if !ok || !strings.HasPrefix(link, p.URL+"/setup?token=") || len(link) <= len(p.URL+"/setup?token=") {
		t.Errorf("no one-time setup link printed; stdout:\n%s", strings.Join(p.stdout, "\n"))
	}

	c := &http.Client{}
	for _, tc := range []struct{ path, want string }{
		{"/livez", "ok"},
		{"/readyz", "ready"},
		{"/api/", `"Version":"v0.0.0-test"`},
	} {
		code, body := fetch(t, c, p.URL+tc.path)
		if code != http.StatusOK {
			t.Errorf("GET %s: status %d, want 200: %s", tc.path, code, body)
		}
		if !strings.Contains(body, tc.want) {
			t.Errorf("GET %s: body %q lacks %q", tc.path, body, tc.want)
		}
	}
	code, metrics := fetch(t, c, p.URL+"/metrics")
	if code != http.StatusOK {
		t.Fatalf("GET /metrics: status %d", code)
	}
	for _, want := range []string{
		`argonaut_http_requests_total{method="GET",route="/livez",status="200"} 1`,
		`argonaut_http_requests_total{method="GET",route="/api",status="200"} 1`,
		`argonaut_store_size_bytes{part="lsm"}`,
		`argonaut_store_size_bytes{part="vlog"}`,
		`argonaut_build_info{goversion=`,
		`version="v0.0.0-test"`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	p.stop(t)
	if !strings.Contains(p.stderr.String(), "msg=stopped") {
		t.Errorf("no 'stopped' log line after SIGTERM:\n%s", p.stderr)
	}
}

// TestServerProcessAdminFromEnvFile creates the first administrator from
// ARGONAUT_ADMIN_USERNAME and ARGONAUT_ADMIN_PASSWORD_FILE and logs in.
func TestServerProcessAdminFromEnvFile(t *testing.T) {
	dir := t.TempDir()
	pwFile := filepath.Join(dir, "admin-password")
	if err := os.WriteFile(pwFile, []byte("correct horse battery\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	p := startServer(t, testEnv("ARGONAUT_ADMIN_USERNAME=admin", "ARGONAUT_ADMIN_PASSWORD_FILE="+pwFile,
		"ARGONAUT_DATA_DIR="+filepath.Join(dir, "data"), "ARGONAUT_LISTEN=127.0.0.1:0", "ARGONAUT_LOG_FORMAT=json"), "server")
	if _, ok := p.line("No users yet"); ok {
		t.Errorf("a setup link was printed although an admin was configured")
	}
	login := func(password string) int {
		body := fmt.Sprintf(`{"Username":"admin","Password":%q}`, password)
		resp, err := http.Post(p.URL+"/api/users/login", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := login("correct horse battery"); got != http.StatusOK {
		t.Errorf("login with the password from the file: status %d, want 200", got)
	}
	if got := login("correct horse battery\n"); got == http.StatusOK {
		t.Errorf("login with the trailing newline succeeded: the newline was not stripped")
	}
	p.stop(t)
	if !strings.Contains(p.stderr.String(), `"msg":"stopped"`) {
		t.Errorf("--log-format json from ARGONAUT_LOG_FORMAT not applied:\n%s", p.stderr)
	}
}

// TestServerProcessSelfSignedTLS checks that --tls-self-signed prints the
// thumbprint of the certificate actually served, and keeps the same
// certificate across restarts.
func TestServerProcessSelfSignedTLS(t *testing.T) {
	dataDir := t.TempDir()
	var thumbprints []string
	for run := 0; run < 2; run++ {
		p := startServer(t, testEnv(), "server", "--listen", "127.0.0.1:0", "--data-dir", dataDir, "--tls-self-signed")
		thumb, ok := p.line("TLS certificate thumbprint (SHA-256): ")
		if !ok {
			t.Fatalf("no thumbprint printed; stdout:\n%s", strings.Join(p.stdout, "\n"))
		}
		if !strings.HasPrefix(p.URL, "https://") {
			t.Errorf("URL %q is not https", p.URL)
		}
		var served string
		c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{
			// The certificate is self-signed: trust is the thumbprint, checked below.
			InsecureSkipVerify: true,
			VerifyConnection: func(cs tls.ConnectionState) error {
				if len(cs.PeerCertificates) == 0 {
					return errors.New("no certificate")
				}
				sum := sha256.Sum256(cs.PeerCertificates[0].Raw)
				served = strings.ToUpper(hex.EncodeToString(sum[:]))
				return nil
			},
		}}}
		if code, body := fetch(t, c, p.URL+"/livez"); code != http.StatusOK {
			t.Errorf("GET /livez over TLS: status %d: %s", code, body)
		}
		if !strings.EqualFold(served, thumb) {
			t.Errorf("served certificate SHA-256 %s, printed thumbprint %s", served, thumb)
		}
		p.stop(t)
		thumbprints = append(thumbprints, thumb)
	}
	if thumbprints[0] != thumbprints[1] {
		t.Errorf("thumbprint changed across restarts: %s then %s", thumbprints[0], thumbprints[1])
	}
}

// TestBinaryUsageErrors checks exit codes of the real binary.
func TestBinaryUsageErrors(t *testing.T) {
	tests := []struct {
		args     []string
		wantCode int
		want     string
	}{
		{[]string{"frobnicate"}, 2, `unknown command "frobnicate"`},
		{[]string{}, 2, "Usage: argonaut <command>"},
		{[]string{"server", "--bogus"}, 2, "flag provided but not defined"},
		{[]string{"version"}, 0, "argonaut v0.0.0-test"},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			cmd := exec.Command(binary, tc.args...)
			cmd.Env = testEnv()
			out, err := cmd.CombinedOutput()
			code := 0
			var exit *exec.ExitError
			if errors.As(err, &exit) {
				code = exit.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if code != tc.wantCode {
				t.Errorf("exit code %d, want %d\n%s", code, tc.wantCode, out)
			}
			if !strings.Contains(string(out), tc.want) {
				t.Errorf("output lacks %q:\n%s", tc.want, out)
			}
		})
	}
}

// TestServiceRunProcess runs `argonaut service run` in the foreground, as
// the service manager would start it: it serves, and stops cleanly on
// SIGTERM; when the server cannot start it exits non-zero, so that the
// service manager sees the failure.
func TestServiceRunProcess(t *testing.T) {
	p := startServer(t, testEnv(), "service", "run", "--listen", "127.0.0.1:0", "--data-dir", t.TempDir())
	if code, _ := fetch(t, &http.Client{}, p.URL+"/readyz"); code != http.StatusOK {
		t.Errorf("GET /readyz: status %d", code)
	}
	p.stop(t)

	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, "service", "run", "--listen", busy.Addr().String(), "--data-dir", t.TempDir())
	cmd.Env = testEnv()
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() == 0 || ctx.Err() != nil {
		t.Errorf("service run on a busy port: %v, want a prompt non-zero exit\n%s", err, out)
	}
	if !strings.Contains(string(out), "address already in use") {
		t.Errorf("output does not say why:\n%s", out)
	}
}
