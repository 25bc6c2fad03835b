package runner

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
)

// recorder is a Sink that keeps every event. It takes no lock on purpose:
// the Sink contract says Event is never called concurrently, and the race
// detector checks that.
type recorder struct {
	events []Event
	onLog  func(Event) // called for each log event, if set
}

func (r *recorder) Event(_ context.Context, e Event) error {
	r.events = append(r.events, e)
	if r.onLog != nil && e.Kind == EventLog {
		r.onLog(e)
	}
	return nil
}

// logs returns the messages of log events of a step ("" = all steps).
func (r *recorder) logs(step string) []string {
	var out []string
	for _, e := range r.events {
		if e.Kind == EventLog && (step == "" || e.StepName == step) {
			out = append(out, e.Message)
		}
	}
	return out
}

func (r *recorder) of(kind EventKind) []Event {
	var out []Event
	for _, e := range r.events {
		if e.Kind == kind {
			out = append(out, e)
		}
	}
	return out
}

// checkSeq fails unless Seq runs 1, 2, 3, … without gaps.
func (r *recorder) checkSeq(t *testing.T) {
	t.Helper()
	for i, e := range r.events {
		if e.Seq != int64(i+1) {
			t.Fatalf("event %d has Seq %d: %+v", i, e.Seq, e)
		}
	}
}

// testRunner returns a Runner whose workspaces live in a fresh directory.
func testRunner(t *testing.T) *Runner {
	t.Helper()
	return &Runner{WorkDir: t.TempDir(), ApplicationsDir: t.TempDir()}
}

func plan(steps ...Step) *Plan {
	return &Plan{
		FormatVersion: FormatVersion,
		TaskID:        "ServerTasks-1",
		Environment:   "Production",
		Target:        Target{ID: "Machines-1", Name: "web01", Roles: []string{"web"}, OS: "linux"},
		Steps:         steps,
	}
}

func scriptStepOf(name, body string) Step {
	return Step{ID: "id-" + name, Name: name, Kind: KindScript, Syntax: Bash, ScriptBody: body,
		Condition: Condition{Kind: ConditionSuccess}}
}

func runPlan(t *testing.T, r *Runner, p *Plan) (*Result, *recorder) {
	t.Helper()
	rec := &recorder{}
	res, err := r.Run(context.Background(), p, rec)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	rec.checkSeq(t)
	return res, rec
}

func outcomes(res *Result) map[string]Outcome {
	m := map[string]Outcome{}
	for _, s := range res.Steps {
		m[s.Name] = s.Outcome
	}
	return m
}

// grepDir returns the files under dir that contain needle.
func grepDir(t *testing.T, dir, needle string) []string {
	t.Helper()
	var hits []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		b, err := os.ReadFile(path)
		if err == nil && bytes.Contains(b, []byte(needle)) {
			hits = append(hits, path)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return hits
}

// syncBuffer is a bytes.Buffer safe for the sinks under test.
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

func containsLine(lines []string, want string) bool {
	for _, l := range lines {
		if strings.Contains(l, want) {
			return true
		}
	}
	return false
}

func runtime_Gosched() { runtime.Gosched() }
