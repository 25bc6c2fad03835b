package storage_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/argonautdeploy/argonaut/app"
	"github.com/argonautdeploy/argonaut/storage"
)

func openTaskDB(t *testing.T, dir string) *storage.DB {
	t.Helper()
	d, err := storage.Open(context.Background(), storage.Options{Dir: dir})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	return d
}

func queueTask(t *testing.T, d *storage.DB, name string) *app.Task {
	t.Helper()
	task := &app.Task{SpaceID: app.DefaultSpaceID, Name: name, Description: name + " task",
		Arguments: map[string]string{"DeploymentId": "Deployments-1"}, ProjectID: "Projects-1"}
	if err := d.CreateTask(context.Background(), task); err != nil {
		t.Fatalf("create task: %v", err)
	}
	return task
}

func ids(ts []*app.Task) []string {
	out := make([]string, 0, len(ts))
	for _, t := range ts {
		out = append(out, t.ID)
	}
	return out
}

func TestTaskQueueFollowsState(t *testing.T) {
	ctx := context.Background()
	d := openTaskDB(t, t.TempDir())
	defer d.Close()

	a, b, c := queueTask(t, d, "Deploy"), queueTask(t, d, "Health"), queueTask(t, d, "Deploy")
	if a.ID != "ServerTasks-1" || c.ID != "ServerTasks-3" || a.State != app.TaskQueued || a.Created.IsZero() {
		t.Fatalf("created %+v, %+v", a, c)
	}
	q, err := d.TasksInState(ctx, app.TaskQueued)
	if err != nil || fmt.Sprint(ids(q)) != "[ServerTasks-1 ServerTasks-2 ServerTasks-3]" {
		t.Fatalf("queued = %v, %v; want FIFO order", ids(q), err)
	}

	start := func(t *app.Task) error { t.State, t.StartTime = app.TaskExecuting, time.Now(); return nil }
	if _, err := d.UpdateTask(ctx, b.ID, start); err != nil {
		t.Fatal(err)
	}
	q, _ = d.TasksInState(ctx, app.TaskQueued)
	x, _ := d.TasksInState(ctx, app.TaskExecuting)
	if fmt.Sprint(ids(q)) != "[ServerTasks-1 ServerTasks-3]" || fmt.Sprint(ids(x)) != "[ServerTasks-2]" {
		t.Errorf("after start: queued %v executing %v", ids(q), ids(x))
	}

	// Illegal transitions are refused and change nothing.
	_, err = d.UpdateTask(ctx, a.ID, func(t *app.Task) error { t.State = app.TaskSuccess; return nil })
	if app.ErrorCode(err) != app.ECONFLICT {
		t.Errorf("Queued → Success: %v, want ECONFLICT", err)
	}
	got, _ := d.FindTaskByID(ctx, a.ID)
	if got.State != app.TaskQueued {
		t.Errorf("state after refused change = %s", got.State)
	}
	// ErrUnchanged returns the task as it is.
	got, err = d.UpdateTask(ctx, a.ID, func(*app.Task) error { return storage.ErrUnchanged })
	if err != nil || got.ID != a.ID {
		t.Errorf("ErrUnchanged: %v, %v", got, err)
	}

	done := func(t *app.Task) error { t.State, t.CompletedTime = app.TaskSuccess, time.Now(); return nil }
	if _, err := d.UpdateTask(ctx, b.ID, done); err != nil {
		t.Fatal(err)
	}
	x, _ = d.TasksInState(ctx, app.TaskExecuting)
	if len(x) != 0 {
		t.Errorf("completed task still in the executing queue: %v", ids(x))
	}

	// Finding: newest first, with filters and paging.
	all, total, err := d.FindTasks(ctx, app.TaskFilter{})
	if err != nil || total != 3 || fmt.Sprint(ids(all)) != "[ServerTasks-3 ServerTasks-2 ServerTasks-1]" {
		t.Errorf("FindTasks = %v (%d), %v", ids(all), total, err)
	}
	deploys, total, _ := d.FindTasks(ctx, app.TaskFilter{Names: []string{"Deploy"}, Take: 1})
	if total != 2 || len(deploys) != 1 || deploys[0].ID != c.ID {
		t.Errorf("Deploy page = %v of %d", ids(deploys), total)
	}
	byID, total, _ := d.FindTasks(ctx, app.TaskFilter{IDs: []string{"ServerTasks-2", "ServerTasks-99", "nonsense"}})
	if total != 1 || byID[0].State != app.TaskSuccess || byID[0].Arguments["DeploymentId"] != "Deployments-1" {
		t.Errorf("by ids = %+v", byID)
	}
	if _, err := d.FindTaskByID(ctx, "ServerTasks-99"); app.ErrorCode(err) != app.ENOTFOUND {
		t.Errorf("missing task: %v", err)
	}
	if err := d.CreateTask(ctx, &app.Task{SpaceID: "Spaces-9", Name: "Deploy"}); app.ErrorCode(err) != app.EINVALID {
		t.Errorf("unknown space: %v", err)
	}
}

// TestRecoveryAfterReopen: a task left Executing when the store closed is
// Failed after the next recovery pass, with a Fatal line after its log.
func TestRecoveryAfterReopen(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	d := openTaskDB(t, dir)
	running, cancelling, queued := queueTask(t, d, "Deploy"), queueTask(t, d, "Deploy"), queueTask(t, d, "Deploy")
	for _, id := range []string{running.ID, cancelling.ID} {
		if _, err := d.UpdateTask(ctx, id, func(t *app.Task) error { t.State = app.TaskExecuting; return nil }); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := d.UpdateTask(ctx, cancelling.ID, func(t *app.Task) error { t.State = app.TaskCancelling; return nil }); err != nil {
		t.Fatal(err)
	}
	if err := d.AppendTaskLog(ctx, running.ID, []app.LogEvent{
		{Seq: 1, Kind: app.LogOpen, NodeID: "s1", Name: "Step 1", Status: app.ActivityRunning, At: time.Now()},
		{Seq: 2, Kind: app.LogLine, NodeID: "s1", Category: app.LogInfo, Message: "working", At: time.Now()},
	}); err != nil {
		t.Fatal(err)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}

	d = openTaskDB(t, dir)
	defer d.Close()
	got, err := d.RecoverInterruptedTasks(ctx, func(*app.Task) string { return app.InterruptedByRestart })
	if err != nil || fmt.Sprint(got) != fmt.Sprint([]string{running.ID, cancelling.ID}) {
		t.Fatalf("recovered %v, %v", got, err)
	}
	for _, id := range got {
		task, _ := d.FindTaskByID(ctx, id)
		if task.State != app.TaskFailed || task.ErrorMessage != app.InterruptedByRestart || task.CompletedTime.IsZero() || !task.IsCompleted() {
			t.Errorf("%s after recovery: %+v", id, task)
		}
	}
	var events []app.LogEvent
	if err := d.ScanTaskLog(ctx, running.ID, 0, func(e *app.LogEvent) error { events = append(events, *e); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(events) != 3 || events[2].Seq != 3 || events[2].Category != app.LogFatal || !strings.Contains(events[2].Message, app.InterruptedByRestart) {
		t.Errorf("log after recovery = %+v", events)
	}
	if q, _ := d.FindTaskByID(ctx, queued.ID); q.State != app.TaskQueued {
		t.Errorf("queued task became %s; it should wait for the engine", q.State)
	}
	for _, s := range []app.TaskState{app.TaskExecuting, app.TaskCancelling} {
		if left, _ := d.TasksInState(ctx, s); len(left) != 0 {
			t.Errorf("%s queue still holds %v", s, ids(left))
		}
	}
	// A second pass finds nothing.
	if again, err := d.RecoverInterruptedTasks(ctx, func(*app.Task) string { return app.InterruptedByRestart }); err != nil || len(again) != 0 {
		t.Errorf("second recovery = %v, %v", again, err)
	}
}

func TestTaskLogAppendScanAndDelete(t *testing.T) {
	ctx := context.Background()
	d := openTaskDB(t, t.TempDir())
	defer d.Close()
	task := queueTask(t, d, "Deploy")

	const lines = 10000
	seq := uint64(0)
	for batch := 0; batch < 20; batch++ {
		var events []app.LogEvent
		for i := 0; i < lines/20; i++ {
			seq++
			// Long-ish lines so that batches get cut at 64 KiB.
			events = append(events, app.LogEvent{Seq: seq, Kind: app.LogLine, At: time.Now(), Category: app.LogInfo,
				Message: fmt.Sprintf("line %06d %s", seq, strings.Repeat("x", 200))})
		}
		if err := d.AppendTaskLog(ctx, task.ID, events); err != nil {
			t.Fatal(err)
		}
	}
	if last, err := d.LastTaskLogSeq(ctx, task.ID); err != nil || last != lines {
		t.Fatalf("last seq = %d, %v", last, err)
	}
	for _, after := range []uint64{0, 1, 257, 4999, 9999, 10000} {
		want := after + 1
		err := d.ScanTaskLog(ctx, task.ID, after, func(e *app.LogEvent) error {
			if e.Seq != want || !strings.HasPrefix(e.Message, fmt.Sprintf("line %06d ", want)) {
				return fmt.Errorf("got seq %d %.12q, want %d", e.Seq, e.Message, want)
			}
			want++
			return nil
		})
		if err != nil || want != lines+1 {
			t.Errorf("scan after %d: %v (stopped before %d)", after, err, want)
		}
	}
	huge := strings.Repeat("é", storage.MaxLogMessage)
	if err := d.AppendTaskLog(ctx, task.ID, []app.LogEvent{{Seq: lines + 1, Kind: app.LogLine, Message: huge}}); err != nil {
		t.Fatal(err)
	}
	_ = d.ScanTaskLog(ctx, task.ID, lines, func(e *app.LogEvent) error {
		if len(e.Message) > storage.MaxLogMessage+64 || !strings.HasSuffix(e.Message, "(line truncated)") {
			t.Errorf("long line stored as %d bytes", len(e.Message))
		}
		return nil
	})
	if err := d.ScanTaskLog(ctx, "ServerTasks-42", 0, func(*app.LogEvent) error { return nil }); app.ErrorCode(err) != app.ENOTFOUND {
		t.Errorf("scan of a missing task: %v", err)
	}

	if err := d.DeleteTasks(ctx, []string{task.ID}); app.ErrorCode(err) != app.ECONFLICT {
		t.Errorf("delete of a queued task: %v, want ECONFLICT", err)
	}
	if _, err := d.UpdateTask(ctx, task.ID, func(t *app.Task) error { t.State = app.TaskCanceled; return nil }); err != nil {
		t.Fatal(err)
	}
	if err := d.DeleteTasks(ctx, []string{task.ID}); err != nil {
		t.Fatal(err)
	}
	if last, _ := d.LastTaskLogSeq(ctx, task.ID); last != 0 {
		t.Errorf("log survived deletion up to seq %d", last)
	}
	if _, err := d.FindTaskByID(ctx, task.ID); app.ErrorCode(err) != app.ENOTFOUND {
		t.Errorf("deleted task found: %v", err)
	}
}

// TestFindTasksPaging: the unfiltered fast path (only the page decoded)
// and the filtered path page the same way.
func TestFindTasksPaging(t *testing.T) {
	ctx := context.Background()
	d := openTaskDB(t, t.TempDir())
	defer d.Close()
	for i := 0; i < 7; i++ {
		queueTask(t, d, "Deploy")
	}
	for _, tc := range []struct {
		skip, take int
		want       string
	}{
		{0, 0, "[ServerTasks-7 ServerTasks-6 ServerTasks-5 ServerTasks-4 ServerTasks-3 ServerTasks-2 ServerTasks-1]"},
		{2, 3, "[ServerTasks-5 ServerTasks-4 ServerTasks-3]"},
		{5, 30, "[ServerTasks-2 ServerTasks-1]"},
		{9, 3, "[]"},
	} {
		fast, total, err := d.FindTasks(ctx, app.TaskFilter{Skip: tc.skip, Take: tc.take})
		if err != nil || total != 7 || fmt.Sprint(ids(fast)) != tc.want {
			t.Errorf("skip %d take %d: %v of %d, %v; want %s", tc.skip, tc.take, ids(fast), total, err, tc.want)
		}
		slow, total, _ := d.FindTasks(ctx, app.TaskFilter{Names: []string{"Deploy"}, Skip: tc.skip, Take: tc.take})
		if total != 7 || fmt.Sprint(ids(slow)) != tc.want {
			t.Errorf("filtered skip %d take %d: %v of %d", tc.skip, tc.take, ids(slow), total)
		}
	}
}
