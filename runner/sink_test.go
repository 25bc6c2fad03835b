package runner

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestJSONLinesSinkRoundTrip(t *testing.T) {
	events := []Event{
		{Seq: 1, Time: time.Unix(1, 0).UTC(), Kind: EventStepStarted, StepID: "a", StepName: "A"},
		{Seq: 2, Time: time.Unix(2, 0).UTC(), Kind: EventLog, StepID: "a", StepName: "A", Category: Warning, Message: "<careful>"},
		{Seq: 3, Time: time.Unix(3, 0).UTC(), Kind: EventOutputVariable, StepID: "a", StepName: "A", Name: "Key", Value: "s3cret!", Sensitive: true},
		{Seq: 4, Time: time.Unix(4, 0).UTC(), Kind: EventStepFinished, StepID: "a", StepName: "A", Outcome: Succeeded},
	}
	for _, include := range []bool{false, true} {
		var buf bytes.Buffer
		s := &JSONLinesSink{W: &buf, IncludeSensitive: include}
		for _, e := range events {
			if err := s.Event(context.Background(), e); err != nil {
				t.Fatal(err)
			}
		}
		if n := strings.Count(buf.String(), "\n"); n != len(events) {
			t.Fatalf("%d lines, want %d", n, len(events))
		}
		if got := strings.Contains(buf.String(), "s3cret!"); got != include {
			t.Errorf("IncludeSensitive=%v: secret present = %v", include, got)
		}
		var got []Event
		if err := DecodeEvents(&buf, func(e Event) error { got = append(got, e); return nil }); err != nil {
			t.Fatal(err)
		}
		if len(got) != len(events) || got[1] != events[1] {
			t.Errorf("decoded %+v", got)
		}
	}
}

func TestConsoleSinkRedactsAndFilters(t *testing.T) {
	var buf bytes.Buffer
	s := &ConsoleSink{W: &buf}
	ctx := context.Background()
	_ = s.Event(ctx, Event{Kind: EventLog, Category: Verbose, Message: "quiet"})
	_ = s.Event(ctx, Event{Kind: EventLog, Category: Info, Message: "loud"})
	_ = s.Event(ctx, Event{Kind: EventOutputVariable, StepName: "A", Name: "K", Value: "s3cret!", Sensitive: true})
	out := buf.String()
	if strings.Contains(out, "quiet") || !strings.Contains(out, "loud") || strings.Contains(out, "s3cret!") {
		t.Errorf("console output:\n%s", out)
	}
}

func TestMultiSinkStopsAtFirstError(t *testing.T) {
	boom := errors.New("boom")
	var after int
	m := MultiSink{
		SinkFunc(func(context.Context, Event) error { return boom }),
		SinkFunc(func(context.Context, Event) error { after++; return nil }),
	}
	if err := m.Event(context.Background(), Event{}); !errors.Is(err, boom) || after != 0 {
		t.Errorf("err = %v, later sink called %d times", err, after)
	}
}
