package cli

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/argonautdeploy/argonaut/app/server"
)

// pushServer starts a real server and returns it with an API key.
func pushServer(t *testing.T) (*server.Server, string) {
	t.Helper()
	s := server.New(server.Config{DataDir: t.TempDir(), Listen: "127.0.0.1:0", AdminUsername: "admin", AdminPassword: "correct horse battery"})
	if err := s.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	resp, err := c.Post(s.URL+"/api/users/login", "application/json", strings.NewReader(`{"Username":"admin","Password":"correct horse battery"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	u, _ := url.Parse(s.URL)
	var csrf string
	for _, ck := range jar.Cookies(u) {
		if ck.Name == "Octopus-Csrf-Token" {
			csrf = ck.Value
		}
	}
	req, _ := http.NewRequest("POST", s.URL+"/api/users/Users-1/apikeys", strings.NewReader(`{"Purpose":"push"}`))
	req.Header.Set("X-Octopus-Csrf-Token", csrf)
	resp, err = c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct{ ApiKey string }
	json.NewDecoder(resp.Body).Decode(&out)
	if out.ApiKey == "" {
		t.Fatalf("no API key: %s", resp.Status)
	}
	return s, out.ApiKey
}

func writeZip(t *testing.T, dir, name, content string) string {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.Create("content.txt")
	w.Write([]byte(content))
	zw.Close()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestPushCommand(t *testing.T) {
	s, key := pushServer(t)
	dir := t.TempDir()
	a := writeZip(t, dir, "Acme.Cli.1.0.0.zip", "one")
	b := writeZip(t, dir, "Acme.Cli.1.1.0.zip", "two")
	a2 := writeZip(t, t.TempDir(), "Acme.Cli.1.0.0.zip", "changed")
	bad := writeZip(t, dir, "not-a-package.zip", "x")

	tests := []struct {
		name     string
		args     []string
		env      map[string]string
		code     int
		stdout   string
		stderr   string
		versions int
	}{
		{"two files, flags after files", []string{a, b, "--server", s.URL, "--api-key", key}, nil, 0, "Pushed Acme.Cli 1.1.0", "", 2},
		{"exists: fail is the default", []string{a2, "--server", s.URL, "--api-key", key}, nil, 1, "", "already exists", 2},
		{"exists: ignore", []string{"--overwrite-mode", "ignore", a2}, map[string]string{"ARGONAUT_SERVER": s.URL, "ARGONAUT_API_KEY": key}, 0, "Ignored Acme.Cli 1.0.0", "", 2},
		{"exists: overwrite, Octopus variables", []string{"--overwrite-mode=overwrite", a2}, map[string]string{"OCTOPUS_URL": s.URL, "OCTOPUS_API_KEY": key}, 0, "Pushed Acme.Cli 1.0.0", "", 2},
		{"server refuses the name", []string{bad, "--server", s.URL, "--api-key", key}, nil, 1, "", "is not valid", 2},
		{"bad key", []string{a, "--server", s.URL, "--api-key", "API-WRONG"}, nil, 1, "", "HTTP 401", 2},
		{"missing file", []string{filepath.Join(dir, "nope.1.0.0.zip"), "--server", s.URL, "--api-key", key}, nil, 1, "", "no such file", 2},
		{"no server", []string{a, "--api-key", key}, nil, 2, "", "--server", 2},
		{"no files", []string{"--server", s.URL, "--api-key", key}, nil, 2, "", "at least one", 2},
		{"space must be an ID", []string{a, "--server", s.URL, "--api-key", key, "--space", "Default"}, nil, 2, "", "space ID", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			e := &env{stdout: &stdout, stderr: &stderr, getenv: func(k string) string { return tt.env[k] }}
			code := run(context.Background(), e, append([]string{"push"}, tt.args...))
			if code != tt.code || !strings.Contains(stdout.String(), tt.stdout) || !strings.Contains(stderr.String(), tt.stderr) {
				t.Fatalf("exit %d, stdout %q, stderr %q; want %d, %q, %q", code, stdout.String(), stderr.String(), tt.code, tt.stdout, tt.stderr)
			}
			list, err := s.DB.ListPackages(context.Background(), "Spaces-1", "Acme.Cli")
			if err != nil || len(list) != tt.versions {
				t.Fatalf("versions on the server = %d (%v), want %d", len(list), err, tt.versions)
			}
		})
	}
	got, err := s.DB.FindPackageByID(context.Background(), "Spaces-1", "packages-Acme.Cli.1.0.0")
	want, _ := os.ReadFile(a2)
	if err != nil || got.Size != int64(len(want)) {
		t.Fatalf("after overwrite: %+v %v", got, err)
	}
}

func TestSplitPushArgs(t *testing.T) {
	f := newFlags("argonaut push", "", func(string) string { return "" })
	var s string
	var b bool
	f.String(&s, "server", "URL", "", "")
	f.Bool(&b, "verbose", false, "")
	flags, files := splitPushArgs(f.fs, []string{"a.zip", "--server", "http://x", "b.zip", "--verbose", "c.zip", "--server=y", "--", "--d.zip"})
	if strings.Join(flags, " ") != "--server http://x --verbose --server=y" || strings.Join(files, " ") != "a.zip b.zip c.zip --d.zip" {
		t.Fatalf("flags %q files %q", flags, files)
	}
}
