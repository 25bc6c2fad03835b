package api

import (
	"bufio"
	"bytes"
	"testing"
	"time"

	"github.com/argonautdeploy/argonaut/app"
)

// TestTaskDTOFlagsFollowState: clients decide on IsCompleted and
// FinishedSuccessfully alone, so for every state they must agree with it.
func TestTaskDTOFlagsFollowState(t *testing.T) {
	now := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	for _, s := range app.TaskStates {
		task := &app.Task{ID: "ServerTasks-1", SpaceID: app.DefaultSpaceID, State: s, Created: now}
		got := taskDTO(task, now)
		if got.State != string(s) || got.IsCompleted != s.IsCompleted() || got.FinishedSuccessfully != (s == app.TaskSuccess) {
			t.Errorf("%s: State %q IsCompleted %v FinishedSuccessfully %v", s, got.State, got.IsCompleted, got.FinishedSuccessfully)
		}
		if got.CanRerun != s.IsCompleted() {
			t.Errorf("%s: CanRerun %v", s, got.CanRerun)
		}
		if !got.QueueTime.Equal(now) || !got.StartTime.IsZero() {
			t.Errorf("%s: QueueTime %v StartTime %v", s, got.QueueTime, got.StartTime)
		}
	}
}

func TestRawLogFormat(t *testing.T) {
	at := time.Date(2024, 5, 1, 13, 51, 3, 0, time.UTC)
	events := []app.LogEvent{
		{Seq: 1, Kind: app.LogOpen, NodeID: "a", Name: "Step 1: Hello", Status: app.ActivityRunning, At: at},
		{Seq: 2, Kind: app.LogLine, NodeID: "a", Category: app.LogInfo, Message: "hello", At: at},
		{Seq: 3, Kind: app.LogOpen, NodeID: "b", ParentID: "a", Name: "web-01", Status: app.ActivityRunning, At: at},
		{Seq: 4, Kind: app.LogLine, NodeID: "b", Category: app.LogWarning, Message: "careful", At: at},
		{Seq: 5, Kind: app.LogStatus, NodeID: "b", Status: app.ActivitySuccess, At: at},
		{Seq: 6, Kind: app.LogLine, Category: app.LogFatal, Message: "stopped", At: at},
	}
	var buf bytes.Buffer
	w := bufio.NewWriter(&buf)
	depth := map[string]int{"": 0}
	for i := range events {
		writeRawEvent(w, &events[i], depth)
	}
	w.Flush()
	want := "                    |   Running: Step 1: Hello\n" +
		"13:51:03   Info     |     hello\n" +
		"                    |     Running: web-01\n" +
		"13:51:03   Warning  |       careful\n" +
		"                    |       Success\n" +
		"13:51:03   Fatal    |   stopped\n"
	if got := buf.String(); got != want {
		t.Errorf("raw log:\n%s\nwant:\n%s", got, want)
	}
}
