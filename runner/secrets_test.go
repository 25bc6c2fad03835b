package runner

import (
	"context"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSecretsMaskedInEverySink covers SECURITY.md's secret rows for the
// runner: plan secrets and runtime (sensitive output) secrets are masked from
// the very next line, in stdout and stderr, when written in pieces, in every
// sink; nothing is left in the workspace, the command line or the
// environment of the script.
func TestSecretsMaskedInEverySink(t *testing.T) {
	const secret = "hunter2-Plan-Secret"
	const runtime = "rt-S3cret-Value"
	evidence := t.TempDir() // outside the workspace
	for _, syn := range []Syntax{Bash, Sh} {
		t.Run(string(syn), func(t *testing.T) {
			produce := scriptStepOf("Produce", `echo "template: #{Password}"
echo "helper: $(get_octopusvariable Password)"
echo "stderr: $(get_octopusvariable Password)" >&2
printf 'split: hunt'; printf 'er2-Plan'; printf -- '-Secret\n'
set_octopusvariable Token "`+runtime+`" -sensitive
echo "next line: `+runtime+`"
printf 'rt-S3c'; printf 'ret-Value, split\n'
tr '\0' '\n' < /proc/$$/environ > '`+evidence+`/environ-`+string(syn)+`'
tr '\0' ' ' < /proc/$$/cmdline > '`+evidence+`/cmdline-`+string(syn)+`'
echo "checkpoint"
fail_step "failed with #{Password}"`)
			produce.Syntax = syn
			consume := scriptStepOf("Consume", `echo "later: #{Octopus.Action[Produce].Output.Token} $(get_octopusvariable 'Octopus.Action[Produce].Output.Token')"`)
			consume.Condition.Kind = ConditionAlways
			p := plan(produce, consume)
			p.Variables = []Variable{{Name: "Password", Value: secret, Sensitive: true}}

			r := testRunner(t)
			var workspaceHits []string
			rec := &recorder{onLog: func(e Event) {
				if e.Message == "checkpoint" { // while the script runs
					workspaceHits = append(grepDir(t, r.WorkDir, secret), grepDir(t, r.WorkDir, runtime)...)
				}
			}}
			var jsonl, console syncBuffer
			sink := MultiSink{rec, &JSONLinesSink{W: &jsonl}, &ConsoleSink{W: &console, Verbose: true}}
			res, err := r.Run(context.Background(), p, sink)
			if err != nil {
				t.Fatal(err)
			}
			if len(workspaceHits) != 0 {
				t.Errorf("secret found in the workspace during the run: %v", workspaceHits)
			}
			if hits := append(grepDir(t, r.WorkDir, secret), grepDir(t, r.WorkDir, runtime)...); len(hits) != 0 {
				t.Errorf("secret found in the workspace after the run: %v", hits)
			}
			if entries, _ := os.ReadDir(r.WorkDir); len(entries) != 0 {
				t.Errorf("workspace not removed: %v", entries)
			}
			for _, f := range []string{"environ-", "cmdline-"} {
				b, err := os.ReadFile(filepath.Join(evidence, f+string(syn)))
				if err != nil {
					t.Fatal(err)
				}
				if strings.Contains(string(b), secret) || strings.Contains(string(b), "Password") {
					t.Errorf("%s of the script holds the variable: %s", f, b)
				}
			}
			var all []string
			for _, e := range rec.events {
				all = append(all, e.Message, e.Name, e.Path)
				if !(e.Kind == EventOutputVariable && e.Sensitive) {
					all = append(all, e.Value)
				}
			}
			all = append(all, jsonl.String(), console.String(), res.Steps[0].Message)
			for _, s := range []string{secret, runtime, base64.StdEncoding.EncodeToString([]byte(runtime)), "hunt", "rt-S3c"} {
				for _, text := range all {
					if strings.Contains(text, s) {
						t.Errorf("%q leaked: %q", s, text)
					}
				}
			}
			want := []string{"template: ********", "helper: ********", "stderr: ********", "split: ********",
				"next line: ********", "********, split", "later: ******** ********"}
			for _, w := range want {
				if !containsLine(rec.logs(""), w) {
					t.Errorf("no line %q in %q", w, rec.logs(""))
				}
			}
			if res.Steps[0].Message != "failed with ********" {
				t.Errorf("failure message %q", res.Steps[0].Message)
			}
			if !strings.Contains(console.String(), "Output.Token = ********") {
				t.Errorf("console:\n%s", console.String())
			}
		})
	}
}

// TestBootstrapNeverTraces runs scripts with a masker that masks nothing, so
// that anything the bootstrap printed would show (CVE-2020-25825).
func TestBootstrapNeverTraces(t *testing.T) {
	const secret = "hunter2-Plan-Secret"
	for _, syn := range []Syntax{Bash, Sh} {
		for _, userTrace := range []bool{false, true} {
			name := string(syn)
			body := `v=$(get_octopusvariable Password); [ "$v" = "` + secret + `" ] || exit 9
set_octopusvariable Out "$(printf '%s' "$v" | rev)"
write_verbose hi; update_progress 10 msg; new_octopusartifact x
echo done`
			if userTrace {
				// The user's own traced commands may show what they
				// touch; the helpers' internals must not.
				name += "/user set -x"
				body = `set -x
get_octopusvariable Password >/dev/null
set_octopusvariable Out value -sensitive
write_verbose hi; update_progress 10 msg; new_octopusartifact x
echo done`
			}
			t.Run(name, func(t *testing.T) {
				s := scriptStepOf("Trace", body)
				s.Syntax = syn
				p := plan(s)
				p.Variables = []Variable{{Name: "Password", Value: secret, Sensitive: true}}
				r := testRunner(t)
				r.NewMasker = func() *Masker { return noMasker() }
				t.Setenv("SHELLOPTS", "xtrace") // must not reach the shell
				t.Setenv("BASH_ENV", "/nonexistent")
				res, rec := runPlan(t, r, p)
				if res.Outcome != Succeeded {
					t.Fatalf("outcome %s %+v: %q", res.Outcome, res.Steps, rec.logs(""))
				}
				for _, l := range rec.logs("") {
					if strings.Contains(l, secret) || strings.Contains(l, "__octopus") {
						t.Errorf("bootstrap leaked: %q", l)
					}
					if !userTrace && strings.HasPrefix(l, "+") {
						t.Errorf("trace line without set -x: %q", l)
					}
				}
			})
		}
	}
}

// noMasker returns a Masker that ignores every secret added to it.
func noMasker() *Masker {
	m := NewMasker()
	m.noop = true
	return m
}

// TestMultiLineSecretMaskedInEverySink: a 3-line secret echoed by a script
// is masked as a whole in every sink, on stdout and stderr, also when it
// is printed in two writes split across a line boundary and with CRLF line
// ends; a service message between the lines still works.
func TestMultiLineSecretMaskedInEverySink(t *testing.T) {
	const secret = "-----BEGIN KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEF\n-----END KEY-----"
	pieces := strings.Split(secret, "\n")
	for _, syn := range []Syntax{Bash, Sh} {
		t.Run(string(syn), func(t *testing.T) {
			s := scriptStepOf("Key", `echo "whole: $(get_octopusvariable Key) :end"
echo "stderr: $(get_octopusvariable Key) :end" >&2
printf 'split: -----BEGIN KEY-----\nMIIEvQIBA'; sleep 0.2; printf 'DANBgkqhkiG9w0BAQEF\n-----END KEY----- :end\n'
printf 'crlf: -----BEGIN KEY-----\r\nMIIEvQIBADANBgkqhkiG9w0BAQEF\r\n-----END KEY----- :end\r\n'
set_octopusvariable Plain "visible"
echo "after"`)
			s.Syntax = syn
			p := plan(s)
			p.Variables = []Variable{{Name: "Key", Value: secret, Sensitive: true}}
			r := testRunner(t)
			rec := &recorder{}
			var jsonl, console syncBuffer
			res, err := r.Run(context.Background(), p, MultiSink{rec, &JSONLinesSink{W: &jsonl}, &ConsoleSink{W: &console, Verbose: true}})
			if err != nil {
				t.Fatal(err)
			}
			if res.Outcome != Succeeded {
				t.Fatalf("outcome %s: %q", res.Outcome, rec.logs(""))
			}
			var all []string
			for _, e := range rec.events {
				all = append(all, e.Message, e.Name, e.Path, e.Value)
			}
			all = append(all, jsonl.String(), console.String())
			for _, text := range all {
				for _, piece := range append(pieces, "MIIEvQIBA", "DANBgkqhkiG9w0BAQEF", "BEGIN KEY", "END KEY") {
					if strings.Contains(text, piece) {
						t.Errorf("%q leaked: %q", piece, text)
					}
				}
			}
			logs := rec.logs("")
			for _, w := range []string{"whole: ******** :end", "stderr: ******** :end", "split: ******** :end", "crlf: ******** :end", "after"} {
				if !containsLine(logs, w) {
					t.Errorf("no line %q in %q", w, logs)
				}
			}
			if len(res.Outputs) != 1 || res.Outputs[0].Name != "Plain" || res.Outputs[0].Value != "visible" {
				t.Errorf("outputs %+v", res.Outputs)
			}
		})
	}
}
