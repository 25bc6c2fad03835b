package runner

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"
)

// Sink receives everything a run produces.
//
// # Contract
//
//   - Ordering: the runner assigns Event.Seq, starting at 1 and increasing
//     by one per event, and calls Event in Seq order. A sink may rely on
//     "no gaps, no reordering" for one run.
//   - Concurrency: Event is never called concurrently for one run. Calls
//     may come from different goroutines (steps of a parallel group report
//     from their own goroutines), but each call returns before the next
//     begins, so a sink needs no locking of its own for a single run.
//     A sink shared by several runs must synchronise itself.
//   - Blocking: every step of the run waits while Event runs; a sink must
//     not block for long (buffer, batch, or fail instead).
//   - Errors: a non-nil error stops the run: the runner cancels the running
//     steps, sends no further events and Run returns the error. A sink that
//     can tolerate loss should swallow its own errors.
//   - Secrets: log lines are already split into lines and masked. Output
//     variable events flagged Sensitive carry the real value (hosts that
//     feed the server need it); a sink that writes to a screen or to disk
//     must not write it (ConsoleSink and JSONLinesSink do not, unless told).
//   - ctx is the run's context; a sink may use it to bound its own I/O.
type Sink interface {
	Event(ctx context.Context, e Event) error
}

// SinkFunc adapts a function to the Sink interface.
type SinkFunc func(ctx context.Context, e Event) error

// Event calls f.
func (f SinkFunc) Event(ctx context.Context, e Event) error { return f(ctx, e) }

// EventKind says what an Event reports; it selects the fields that matter.
type EventKind string

// Event kinds and the fields each one uses (besides Seq, Time and Kind).
const (
	// EventStepStarted: StepID, StepName.
	EventStepStarted EventKind = "StepStarted"
	// EventStepFinished: StepID, StepName, Outcome, Message (why it failed
	// or was skipped; masked).
	EventStepFinished EventKind = "StepFinished"
	// EventLog: StepID, StepName, Category, Message (one line, masked, no
	// line break).
	EventLog EventKind = "Log"
	// EventOutputVariable: StepID, StepName, Name, Value, Sensitive. Name is
	// the short name the script set ("Url"); later steps see it as
	// Octopus.Action[StepName].Output.Url.
	EventOutputVariable EventKind = "OutputVariable"
	// EventArtifact: StepID, StepName, Path (absolute on the target), Name.
	EventArtifact EventKind = "Artifact"
	// EventProgress: StepID, StepName, Percentage (0–100), Message (masked).
	EventProgress EventKind = "Progress"
)

// Category is a log line's level.
type Category string

// Log categories, as in Octopus.
const (
	Info      Category = "Info"
	Verbose   Category = "Verbose"
	Warning   Category = "Warning"
	Error     Category = "Error"
	Highlight Category = "Highlight"
)

// Outcome is how a step or a run ended.
type Outcome string

// Outcomes.
const (
	Succeeded Outcome = "Succeeded"
	Failed    Outcome = "Failed"
	// Skipped: the step's condition was false.
	Skipped Outcome = "Skipped"
	// Canceled: the run's context was cancelled.
	Canceled Outcome = "Canceled"
	// TimedOut: the step exceeded its Timeout; it counts as a failure.
	TimedOut Outcome = "TimedOut"
)

// Event is one thing a run reports. Kind selects the fields that are set;
// the others are zero and omitted from JSON.
type Event struct {
	Seq        int64
	Time       time.Time
	Kind       EventKind
	StepID     string   `json:",omitempty"`
	StepName   string   `json:",omitempty"`
	Outcome    Outcome  `json:",omitempty"`
	Category   Category `json:",omitempty"`
	Message    string   `json:",omitempty"`
	Name       string   `json:",omitempty"`
	Value      string   `json:",omitempty"`
	Sensitive  bool     `json:",omitempty"`
	Path       string   `json:",omitempty"`
	Percentage int      `json:",omitempty"`
}

// redacted is what sinks that must not show a sensitive value write instead.
const redacted = "********"

// redact returns e with a sensitive output value replaced.
func (e Event) redact() Event {
	if e.Sensitive && e.Kind == EventOutputVariable {
		e.Value = redacted
	}
	return e
}

// MultiSink sends every event to each sink in order and stops at the first
// error.
type MultiSink []Sink

// Event forwards e.
func (m MultiSink) Event(ctx context.Context, e Event) error {
	for _, s := range m {
		if err := s.Event(ctx, e); err != nil {
			return err
		}
	}
	return nil
}

// JSONLinesSink writes one JSON object per event and line to W, the form
// `run-plan` writes to stdout over SSH and bundles write to journal.jsonl.
// Sensitive output values are written as "********" unless IncludeSensitive
// is set (set it only when W is a channel to the server, never a file).
type JSONLinesSink struct {
	W                io.Writer
	IncludeSensitive bool

	mu  sync.Mutex
	enc *json.Encoder
}

// Event writes e as one line.
func (s *JSONLinesSink) Event(_ context.Context, e Event) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.enc == nil {
		s.enc = json.NewEncoder(s.W)
		s.enc.SetEscapeHTML(false)
	}
	if !s.IncludeSensitive {
		e = e.redact()
	}
	if err := s.enc.Encode(e); err != nil {
		return fmt.Errorf("runner: jsonl sink: %w", err)
	}
	return nil
}

// DecodeEvents reads JSON-lines events written by a JSONLinesSink and calls
// fn for each, stopping at the first error. It is how a host turns a remote
// run's stdout (or a journal) back into events.
func DecodeEvents(r io.Reader, fn func(Event) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 2*maxLineBytes)
	for sc.Scan() {
		if len(sc.Bytes()) == 0 {
			continue
		}
		var e Event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			return fmt.Errorf("runner: decode event: %w", err)
		}
		if err := fn(e); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("runner: decode events: %w", err)
	}
	return nil
}

// ConsoleSink writes events as human-readable text to W, for offline
// bundles and local runs. Verbose lines are written only when Verbose is set.
type ConsoleSink struct {
	W       io.Writer
	Verbose bool

	mu sync.Mutex
}

// Event writes e as text.
func (s *ConsoleSink) Event(_ context.Context, e Event) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	line := s.format(e.redact())
	if line == "" {
		return nil
	}
	if _, err := io.WriteString(s.W, line+"\n"); err != nil {
		return fmt.Errorf("runner: console sink: %w", err)
	}
	return nil
}

func (s *ConsoleSink) format(e Event) string {
	ts := e.Time.Format("15:04:05")
	switch e.Kind {
	case EventStepStarted:
		return fmt.Sprintf("%s ==> Step %q", ts, e.StepName)
	case EventStepFinished:
		if e.Message != "" {
			return fmt.Sprintf("%s <== Step %q %s: %s", ts, e.StepName, e.Outcome, e.Message)
		}
		return fmt.Sprintf("%s <== Step %q %s", ts, e.StepName, e.Outcome)
	case EventLog:
		if e.Category == Verbose && !s.Verbose {
			return ""
		}
		return fmt.Sprintf("%s %-9s %s", ts, e.Category, e.Message)
	case EventOutputVariable:
		return fmt.Sprintf("%s output    Octopus.Action[%s].Output.%s = %s", ts, e.StepName, e.Name, e.Value)
	case EventArtifact:
		return fmt.Sprintf("%s artifact  %s (%s)", ts, e.Name, e.Path)
	case EventProgress:
		return fmt.Sprintf("%s progress  %d%% %s", ts, e.Percentage, e.Message)
	}
	return fmt.Sprintf("%s %s", ts, e.Kind)
}
