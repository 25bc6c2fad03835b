package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func runCLIStdin(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), &env{version: "v1.2.3", stdin: strings.NewReader(stdin), stdout: &out, stderr: &errb,
		getenv: func(string) string { return "" }}, args)
	return code, out.String(), errb.String()
}

func TestTemplateRender(t *testing.T) {
	dir := t.TempDir()
	varsFile := filepath.Join(dir, "vars.json")
	if err := os.WriteFile(varsFile, []byte(`{"Env":"Production","Servers":"a,b","Port":8080,"Flags":{"x":true}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	tplFile := filepath.Join(dir, "app.config")
	if err := os.WriteFile(tplFile, []byte("env=#{Env | ToLower} port=#{Port}#{each s in Servers} [#{s}]#{/each}"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		stdin      string
		args       []string
		wantCode   int
		wantStdout string
		wantStderr []string
	}{
		{"file with --vars", "", []string{"--vars", varsFile, tplFile}, 0, "env=production port=8080 [a] [b]", nil},
		{"--var overrides --vars", "", []string{"--vars", varsFile, "--var", "Env=Test", "--var", "Port=1", tplFile}, 0, "env=test port=1 [a] [b]", nil},
		{"stdin by dash", "Hello #{Who}", []string{"--var", "Who=world", "-"}, 0, "Hello world", nil},
		{"stdin by default", "#{A}=#{B}", []string{"--var", "A=1", "--var", "B=x=y"}, 0, "1=x=y", nil},
		{"JSON value walked (.NET spelling of booleans)", "#{Flags.x}", []string{"--vars", varsFile}, 0, "True", nil},
		{"unresolved fails and lists tokens", "#{Known} #{Missing} #{Other | ToUpper}", []string{"--var", "Known=k"}, 1, "",
			[]string{"2 unresolved token(s)", "#{Missing}", "#{Other | ToUpper}"}},
		{"unresolved allowed", "#{Known} #{Missing}", []string{"--allow-unresolved", "--var", "Known=k"}, 0, "k #{Missing}",
			[]string{"warning: unresolved token(s): #{Missing}"}},
		{"bad --var", "", []string{"--var", "novalue"}, 2, "", []string{"want Name=Value"}},
		{"missing file", "", []string{filepath.Join(dir, "nope")}, 1, "", []string{"no such file"}},
		{"bad vars file", "", []string{"--vars", tplFile}, 1, "", []string{"--vars"}},
		{"two files", "", []string{tplFile, tplFile}, 2, "", []string{"unexpected argument"}},
		{"parse error", "#{if x}open", nil, 1, "", []string{"render"}},
		{"recursion", "#{A}", []string{"--var", "A=#{B}", "--var", "B=#{A}"}, 1, "", []string{"self referencing loop"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runCLIStdin(t, tc.stdin, append([]string{"template", "render"}, tc.args...)...)
			if code != tc.wantCode {
				t.Errorf("exit code = %d, want %d\nstdout: %s\nstderr: %s", code, tc.wantCode, stdout, stderr)
			}
			if stdout != tc.wantStdout {
				t.Errorf("stdout = %q, want %q", stdout, tc.wantStdout)
			}
			for _, w := range tc.wantStderr {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, stderr)
				}
			}
		})
	}
}

func TestTemplateHelp(t *testing.T) {
	code, stdout, _ := runCLIStdin(t, "", "template", "render", "--help")
	if code != 0 || !strings.Contains(stdout, "--allow-unresolved") || !strings.Contains(stdout, "--var Name=Value") {
		t.Errorf("help: code %d\n%s", code, stdout)
	}
	code, _, stderr := runCLIStdin(t, "", "template")
	if code != 2 || !strings.Contains(stderr, "render") {
		t.Errorf("template without sub-command: code %d\n%s", code, stderr)
	}
	code, stdout, _ = runCLIStdin(t, "", "--help")
	if code != 0 || !strings.Contains(stdout, "template") {
		t.Errorf("top-level help lacks template:\n%s", stdout)
	}
}
