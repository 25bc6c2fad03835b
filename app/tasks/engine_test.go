package tasks_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/argonautdeploy/argonaut/app"
	"github.com/argonautdeploy/argonaut/app/tasks"
	"github.com/argonautdeploy/argonaut/storage"
)

// gate is an executor whose tasks block until released or cancelled.
type gate struct {
	started    chan string
	mu         sync.Mutex
	release    map[string]chan struct{}
	running    atomic.Int32
	maxRunning atomic.Int32
	causes     sync.Map // task ID → context.Cause when cancelled
}

func newGate() *gate {
	return &gate{started: make(chan string, 100), release: map[string]chan struct{}{}}
}

func (g *gate) ch(id string) chan struct{} {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.release[id] == nil {
		g.release[id] = make(chan struct{})
	}
	return g.release[id]
}

func (g *gate) open(id string) { close(g.ch(id)) }

func (g *gate) Execute(ctx context.Context, t *app.Task, log tasks.TaskLog) error {
	n := g.running.Add(1)
	defer g.running.Add(-1)
	for {
		m := g.maxRunning.Load()
		if n <= m || g.maxRunning.CompareAndSwap(m, n) {
			break
		}
	}
	log.Info("started " + t.ID)
	g.started <- t.ID
	select {
	case <-ctx.Done():
		g.causes.Store(t.ID, context.Cause(ctx))
		return ctx.Err()
	case <-g.ch(t.ID):
		return nil
	}
}

func openStore(tb testing.TB, dir string) *storage.DB {
	tb.Helper()
	d, err := storage.Open(context.Background(), storage.Options{Dir: dir})
	if err != nil {
		tb.Fatal(err)
	}
	return d
}

// startEngine runs an engine over a fresh store; both close with the test.
func startEngine(t *testing.T, cap int, ex map[string]tasks.Executor) (*tasks.Engine, *storage.DB) {
	t.Helper()
	d := openStore(t, t.TempDir())
	e := tasks.New(d, tasks.Options{Cap: cap, Executors: ex})
	if err := e.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := e.Close(); err != nil {
			t.Error(err)
		}
		if err := d.Close(); err != nil {
			t.Error(err)
		}
	})
	return e, d
}

func queue(t *testing.T, e *tasks.Engine, name, tag string) *app.Task {
	t.Helper()
	task := &app.Task{SpaceID: app.DefaultSpaceID, Name: name, Description: name, ConcurrencyTag: tag,
		Arguments: map[string]string{"n": "1"}}
	if err := e.QueueTask(context.Background(), task); err != nil {
		t.Fatal(err)
	}
	return task
}

// eventually polls cond until it holds or 15 s pass.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func stateOf(t *testing.T, e *tasks.Engine, id string) *app.Task {
	t.Helper()
	task, err := e.FindTaskByID(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return task
}

func waitState(t *testing.T, e *tasks.Engine, id string, want app.TaskState) *app.Task {
	t.Helper()
	var got *app.Task
	eventually(t, id+" to be "+string(want), func() bool { got = stateOf(t, e, id); return got.State == want })
	return got
}

func started(t *testing.T, g *gate) string {
	t.Helper()
	select {
	case id := <-g.started:
		return id
	case <-time.After(15 * time.Second):
		t.Fatal("no task started")
		return ""
	}
}

func countStates(t *testing.T, e *tasks.Engine) map[app.TaskState]int {
	all, _, err := e.FindTasks(context.Background(), app.TaskFilter{})
	if err != nil {
		t.Fatal(err)
	}
	out := map[app.TaskState]int{}
	for _, task := range all {
		out[task.State]++
	}
	return out
}

func TestCapIsRespected(t *testing.T) {
	g := newGate()
	e, _ := startEngine(t, 2, map[string]tasks.Executor{"Block": g})
	var ids []string
	for i := 0; i < 5; i++ {
		ids = append(ids, queue(t, e, "Block", "").ID)
	}
	first, second := started(t, g), started(t, g)
	if first != ids[0] || second != ids[1] {
		t.Errorf("started %s, %s; want FIFO %s, %s", first, second, ids[0], ids[1])
	}
	if got := countStates(t, e); got[app.TaskExecuting] != 2 || got[app.TaskQueued] != 3 {
		t.Errorf("states = %v, want 2 executing and 3 queued", got)
	}
	for i, id := range ids {
		g.open(id)
		if i+2 < len(ids) {
			if next := started(t, g); next != ids[i+2] {
				t.Errorf("started %s, want %s", next, ids[i+2])
			}
		}
	}
	for _, id := range ids {
		if task := waitState(t, e, id, app.TaskSuccess); !task.FinishedSuccessfully() || task.StartTime.IsZero() || task.CompletedTime.Before(task.StartTime) {
			t.Errorf("%s = %+v", id, task)
		}
	}
	if m := g.maxRunning.Load(); m != 2 {
		t.Errorf("at most %d ran at once, want 2", m)
	}
}

func TestConcurrencyTagSerialises(t *testing.T) {
	g := newGate()
	e, _ := startEngine(t, 5, map[string]tasks.Executor{"Block": g})
	tag := "Projects-1/Environments-1"
	a, b, c := queue(t, e, "Block", tag), queue(t, e, "Block", tag), queue(t, e, "Block", tag)
	free := queue(t, e, "Block", "Projects-2/Environments-1")
	got := map[string]bool{started(t, g): true, started(t, g): true}
	if !got[a.ID] || !got[free.ID] {
		t.Fatalf("started %v, want %s and %s", got, a.ID, free.ID)
	}
	if s := stateOf(t, e, b.ID).State; s != app.TaskQueued {
		t.Errorf("second task of the tag is %s while the first runs", s)
	}
	g.open(a.ID)
	if next := started(t, g); next != b.ID {
		t.Errorf("after the first, %s started; want %s (queue order)", next, b.ID)
	}
	if s := stateOf(t, e, c.ID).State; s != app.TaskQueued {
		t.Errorf("third task is %s while the second runs", s)
	}
	g.open(b.ID)
	if next := started(t, g); next != c.ID {
		t.Errorf("started %s, want %s", next, c.ID)
	}
	g.open(c.ID)
	g.open(free.ID)
	waitState(t, e, c.ID, app.TaskSuccess)
}

func TestCancelQueuedAndExecuting(t *testing.T) {
	g := newGate()
	e, _ := startEngine(t, 1, map[string]tasks.Executor{"Block": g})
	ctx := context.Background()
	a, b := queue(t, e, "Block", ""), queue(t, e, "Block", "")
	if id := started(t, g); id != a.ID {
		t.Fatalf("started %s", id)
	}
	got, err := e.CancelTask(ctx, b.ID)
	if err != nil || got.State != app.TaskCanceled || !got.IsCompleted() || got.CompletedTime.IsZero() {
		t.Fatalf("cancel queued = %+v, %v; want Canceled at once", got, err)
	}
	got, err = e.CancelTask(ctx, a.ID)
	if err != nil || (got.State != app.TaskCancelling && got.State != app.TaskCanceled) {
		t.Fatalf("cancel executing = %+v, %v; want Cancelling", got, err)
	}
	done := waitState(t, e, a.ID, app.TaskCanceled)
	if done.FinishedSuccessfully() || done.ErrorMessage == "" {
		t.Errorf("canceled task = %+v", done)
	}
	if cause, _ := g.causes.Load(a.ID); cause == nil || !strings.Contains(fmt.Sprint(cause), "canceled") {
		t.Errorf("executor saw cause %v", cause)
	}
	// Cancelling a completed task changes nothing.
	again, err := e.CancelTask(ctx, a.ID)
	if err != nil || again.State != app.TaskCanceled {
		t.Errorf("cancel again = %+v, %v", again, err)
	}
	if _, err := e.CancelTask(ctx, "ServerTasks-99"); app.ErrorCode(err) != app.ENOTFOUND {
		t.Errorf("cancel missing = %v", err)
	}
	// The canceled queued task never ran; the slot is free again.
	c := queue(t, e, "Block", "")
	if id := started(t, g); id != c.ID {
		t.Errorf("started %s, want %s (the canceled %s must never run)", id, c.ID, b.ID)
	}
	g.open(c.ID)
	waitState(t, e, c.ID, app.TaskSuccess)
}

func TestScheduledAndExpiredTasks(t *testing.T) {
	g := newGate()
	e, _ := startEngine(t, 1, map[string]tasks.Executor{"Block": g})
	ctx := context.Background()

	at := time.Now().Add(300 * time.Millisecond)
	later := &app.Task{SpaceID: app.DefaultSpaceID, Name: "Block", QueueTime: at}
	if err := e.QueueTask(ctx, later); err != nil {
		t.Fatal(err)
	}
	if s := stateOf(t, e, later.ID).State; s != app.TaskQueued {
		t.Errorf("scheduled task is %s before its time", s)
	}
	if id := started(t, g); id != later.ID {
		t.Fatalf("started %s", id)
	}
	if st := stateOf(t, e, later.ID).StartTime; st.Before(at) {
		t.Errorf("started at %v, before its QueueTime %v", st, at)
	}

	// The slot is busy: a task that must start within 200 ms times out.
	exp := time.Now().Add(200 * time.Millisecond)
	expiring := &app.Task{SpaceID: app.DefaultSpaceID, Name: "Block", QueueTimeExpiry: exp}
	if err := e.QueueTask(ctx, expiring); err != nil {
		t.Fatal(err)
	}
	got := waitState(t, e, expiring.ID, app.TaskTimedOut)
	if !got.IsCompleted() || got.FinishedSuccessfully() || !strings.Contains(got.ErrorMessage, "expiry") || !got.StartTime.IsZero() {
		t.Errorf("expired task = %+v", got)
	}
	if got.CompletedTime.Before(exp) {
		t.Errorf("timed out at %v, before its expiry %v", got.CompletedTime, exp)
	}
	g.open(later.ID)
	waitState(t, e, later.ID, app.TaskSuccess)

	bad := &app.Task{SpaceID: app.DefaultSpaceID, Name: "Block", QueueTime: at, QueueTimeExpiry: at.Add(-time.Second)}
	if err := e.QueueTask(ctx, bad); app.ErrorCode(err) != app.EINVALID {
		t.Errorf("expiry before queue time: %v", err)
	}
}

func TestFailuresPanicsAndUnknownTypes(t *testing.T) {
	e, _ := startEngine(t, 5, map[string]tasks.Executor{
		"Fail": tasks.ExecutorFunc(func(ctx context.Context, task *app.Task, log tasks.TaskLog) error {
			log.Warning("about to fail")
			return errors.New("the script exited with code 3")
		}),
		"Panic": tasks.ExecutorFunc(func(context.Context, *app.Task, tasks.TaskLog) error { panic("boom") }),
		"Ok": tasks.ExecutorFunc(func(ctx context.Context, task *app.Task, log tasks.TaskLog) error {
			task.State = app.TaskFailed // a copy: changes nothing
			log.Info("fine")
			return nil
		}),
	})
	cases := []struct{ name, wantMsg string }{
		{"Fail", "the script exited with code 3"},
		{"Panic", "boom"},
		{"Nope", "No executor is registered for tasks of type 'Nope'."},
	}
	for _, tc := range cases {
		task := queue(t, e, tc.name, "")
		got := waitState(t, e, task.ID, app.TaskFailed)
		if !strings.Contains(got.ErrorMessage, tc.wantMsg) || !got.HasWarningsOrErrors {
			t.Errorf("%s: %+v", tc.name, got)
		}
		var last app.LogEvent
		_ = e.Follow(context.Background(), task.ID, 0, func(ev *app.LogEvent) error { last = *ev; return nil })
		if last.Category != app.LogFatal || !strings.Contains(last.Message, tc.wantMsg) {
			t.Errorf("%s: last log event %+v, want a Fatal line with the error", tc.name, last)
		}
	}
	ok := queue(t, e, "Ok", "")
	if got := waitState(t, e, ok.ID, app.TaskSuccess); got.HasWarningsOrErrors || got.ErrorMessage != "" {
		t.Errorf("ok task = %+v", got)
	}
}

func TestRerun(t *testing.T) {
	g := newGate()
	e, _ := startEngine(t, 5, map[string]tasks.Executor{"Block": g})
	ctx := context.Background()
	task := &app.Task{SpaceID: app.DefaultSpaceID, Name: "Block", Description: "Deploy Acme 1.0 to Dev", ConcurrencyTag: "P/E",
		Arguments: map[string]string{"DeploymentId": "Deployments-7"}, ProjectID: "Projects-1", EnvironmentID: "Environments-1"}
	if err := e.QueueTask(ctx, task); err != nil {
		t.Fatal(err)
	}
	started(t, g)
	if _, err := e.RerunTask(ctx, task.ID); app.ErrorCode(err) != app.ECONFLICT {
		t.Errorf("rerun of an executing task: %v, want ECONFLICT", err)
	}
	g.open(task.ID)
	waitState(t, e, task.ID, app.TaskSuccess)
	again, err := e.RerunTask(ctx, task.ID)
	if err != nil {
		t.Fatal(err)
	}
	if again.ID == task.ID || again.RerunOf != task.ID || again.Arguments["DeploymentId"] != "Deployments-7" ||
		again.ConcurrencyTag != "P/E" || again.ProjectID != "Projects-1" || again.Description != task.Description {
		t.Errorf("rerun = %+v", again)
	}
	if id := started(t, g); id != again.ID {
		t.Errorf("started %s", id)
	}
	g.open(again.ID)
	waitState(t, e, again.ID, app.TaskSuccess)
}

// TestAwaitGivesTheSlotBack: a task waiting for an interruption holds its
// concurrency tag but not its slot.
func TestAwaitGivesTheSlotBack(t *testing.T) {
	g := newGate()
	approve := make(chan struct{})
	waiting := make(chan struct{})
	e, _ := startEngine(t, 1, map[string]tasks.Executor{
		"Block": g,
		"Manual": tasks.ExecutorFunc(func(ctx context.Context, task *app.Task, log tasks.TaskLog) error {
			step := log.Open("Step 1: Approve")
			err := log.Await(ctx, "approval of the release", func(ctx context.Context) error {
				close(waiting)
				select {
				case <-approve:
					return nil
				case <-ctx.Done():
					return ctx.Err()
				}
			})
			step.Finish(app.ActivitySuccess)
			return err
		}),
	})
	manual := queue(t, e, "Manual", "P/E")
	<-waiting
	eventually(t, "HasPendingInterruptions", func() bool { return stateOf(t, e, manual.ID).HasPendingInterruptions })
	sameTag := queue(t, e, "Block", "P/E")
	other := queue(t, e, "Block", "")
	if id := started(t, g); id != other.ID {
		t.Fatalf("started %s, want %s: the waiting task must free its slot but keep its tag", id, other.ID)
	}
	if s := stateOf(t, e, sameTag.ID).State; s != app.TaskQueued {
		t.Errorf("task with the waiting task's tag is %s", s)
	}
	close(approve)
	// The slot is busy: the approved task waits for it, then finishes.
	if s := stateOf(t, e, manual.ID).State; s != app.TaskExecuting {
		t.Errorf("approved task is %s", s)
	}
	g.open(other.ID)
	got := waitState(t, e, manual.ID, app.TaskSuccess)
	if got.HasPendingInterruptions {
		t.Error("HasPendingInterruptions still set")
	}
	if id := started(t, g); id != sameTag.ID {
		t.Errorf("started %s, want %s", id, sameTag.ID)
	}
	g.open(sameTag.ID)
	waitState(t, e, sameTag.ID, app.TaskSuccess)
	if holding, waitingN := e.Running(); holding != 0 || waitingN != 0 {
		t.Errorf("Running = %d, %d after everything finished", holding, waitingN)
	}
}

// TestLogOrderFollowAndDetails writes 10 000 lines from an executor while a
// follower reads them live; both the live stream and the stored log hold
// every line once, in order.
func TestLogOrderFollowAndDetails(t *testing.T) {
	const lines = 10000
	release := make(chan struct{})
	e, d := startEngine(t, 5, map[string]tasks.Executor{
		"Chatty": tasks.ExecutorFunc(func(ctx context.Context, task *app.Task, log tasks.TaskLog) error {
			<-release
			step := log.Open("Step 1: Talk")
			target := step.Open("web-01")
			for i := 1; i <= lines; i++ {
				target.Info(fmt.Sprintf("line %05d", i))
			}
			target.Finish(app.ActivitySuccess)
			step.Finish(app.ActivitySuccess)
			return nil
		}),
	})
	task := queue(t, e, "Chatty", "")
	var got []string
	var seqs []uint64
	followed := make(chan error, 1)
	go func() {
		followed <- e.Follow(context.Background(), task.ID, 0, func(ev *app.LogEvent) error {
			seqs = append(seqs, ev.Seq)
			if ev.Kind == app.LogLine && strings.HasPrefix(ev.Message, "line ") {
				got = append(got, ev.Message)
			}
			return nil
		})
	}()
	close(release)
	if err := <-followed; err != nil {
		t.Fatal(err)
	}
	if len(got) != lines {
		t.Fatalf("follower saw %d lines, want %d", len(got), lines)
	}
	for i, m := range got {
		if want := fmt.Sprintf("line %05d", i+1); m != want {
			t.Fatalf("follower line %d = %q, want %q", i, m, want)
		}
	}
	for i, s := range seqs {
		if s != uint64(i+1) {
			t.Fatalf("follower seq[%d] = %d: gap or duplicate", i, s)
		}
	}

	final := stateOf(t, e, task.ID)
	tree := app.NewActivityTree(final, app.ActivityOptions{})
	if err := d.ScanTaskLog(context.Background(), task.ID, 0, func(ev *app.LogEvent) error { tree.Add(ev); return nil }); err != nil {
		t.Fatal(err)
	}
	root := tree.Finish(final)
	target := root.Children[0].Children[0]
	if root.Status != app.ActivitySuccess || target.Name != "web-01" || target.Status != app.ActivitySuccess || len(target.Lines) != lines {
		t.Fatalf("tree: root %s, target %q %s with %d lines", root.Status, target.Name, target.Status, len(target.Lines))
	}
	for i, l := range target.Lines {
		if want := fmt.Sprintf("line %05d", i+1); l.MessageText != want {
			t.Fatalf("stored line %d = %q, want %q", i, l.MessageText, want)
		}
	}
}

// TestSlowSubscriberIsDropped: a subscriber that never reads is dropped
// after a bounded number of batches, and Follow recovers from the store.
func TestSlowSubscriberIsDropped(t *testing.T) {
	release := make(chan struct{})
	e, _ := startEngine(t, 5, map[string]tasks.Executor{
		"Flushy": tasks.ExecutorFunc(func(ctx context.Context, task *app.Task, log tasks.TaskLog) error {
			<-release
			for i := 1; i <= 100; i++ {
				log.Info(fmt.Sprintf("batch %d", i))
				if err := log.Flush(ctx); err != nil { // one committed batch each
					return err
				}
			}
			return nil
		}),
	})
	task := queue(t, e, "Flushy", "")
	sub := e.Subscribe(task.ID)
	close(release)
	waitState(t, e, task.ID, app.TaskSuccess)
	n := 0
	for range sub.C {
		n++
	}
	if !sub.Dropped() || n == 0 || n >= 100 {
		t.Errorf("slow subscriber: dropped=%v after %d batches", sub.Dropped(), n)
	}
	count := 0
	if err := e.Follow(context.Background(), task.ID, 0, func(ev *app.LogEvent) error { count++; return nil }); err != nil || count != 100 {
		t.Errorf("follow after completion: %d events, %v", count, err)
	}
}

// TestRecoveryOnStart: an engine started over a store with an Executing
// task fails it before running anything.
func TestRecoveryOnStart(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	d := openStore(t, dir)
	task := &app.Task{SpaceID: app.DefaultSpaceID, Name: "Block"}
	if err := d.CreateTask(ctx, task); err != nil {
		t.Fatal(err)
	}
	if _, err := d.UpdateTask(ctx, task.ID, func(t *app.Task) error { t.State = app.TaskExecuting; return nil }); err != nil {
		t.Fatal(err)
	}
	d.Close()

	g := newGate()
	d = openStore(t, dir)
	defer d.Close()
	e := tasks.New(d, tasks.Options{Executors: map[string]tasks.Executor{"Block": g}})
	if err := e.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	got := stateOf(t, e, task.ID)
	if got.State != app.TaskFailed || got.ErrorMessage != app.InterruptedByRestart {
		t.Errorf("after restart: %+v", got)
	}
	select {
	case id := <-g.started:
		t.Errorf("recovered task %s was run again", id)
	default:
	}
}

// TestShutdownFailsRunningTasks: Close cancels executors; their tasks end
// Failed rather than being left Executing.
func TestShutdownFailsRunningTasks(t *testing.T) {
	g := newGate()
	d := openStore(t, t.TempDir())
	defer d.Close()
	e := tasks.New(d, tasks.Options{Executors: map[string]tasks.Executor{"Block": g}})
	if err := e.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	task := queue(t, e, "Block", "")
	started(t, g)
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	got, _ := d.FindTaskByID(context.Background(), task.ID)
	if got.State != app.TaskFailed || got.ErrorMessage != tasks.InterruptedByShutdown {
		t.Errorf("after shutdown: %+v", got)
	}
}

// TestSubscriberSeesLinesWhileTheTaskRuns: each flushed line reaches a
// subscriber before the executor writes the next one, so delivery is live,
// not a read of the finished log.
func TestSubscriberSeesLinesWhileTheTaskRuns(t *testing.T) {
	ack := make(chan struct{})
	begin := make(chan struct{})
	e, _ := startEngine(t, 5, map[string]tasks.Executor{
		"Ping": tasks.ExecutorFunc(func(ctx context.Context, task *app.Task, log tasks.TaskLog) error {
			<-begin
			for i := 1; i <= 3; i++ {
				log.Info(fmt.Sprintf("ping %d", i))
				if err := log.Flush(ctx); err != nil {
					return err
				}
				select {
				case <-ack:
				case <-ctx.Done():
					return ctx.Err()
				}
			}
			return nil
		}),
	})
	task := queue(t, e, "Ping", "")
	sub := e.Subscribe(task.ID)
	defer sub.Close()
	close(begin)
	for i := 1; i <= 3; i++ {
		select {
		case batch := <-sub.C:
			if len(batch) != 1 || batch[0].Message != fmt.Sprintf("ping %d", i) || batch[0].Seq != uint64(i) {
				t.Fatalf("batch %d = %+v", i, batch)
			}
			if s := stateOf(t, e, task.ID).State; s != app.TaskExecuting {
				t.Fatalf("task is %s while its lines stream", s)
			}
		case <-time.After(15 * time.Second):
			t.Fatalf("line %d never arrived", i)
		}
		ack <- struct{}{}
	}
	waitState(t, e, task.ID, app.TaskSuccess)
	for range sub.C { // closed when the task completes
	}
	if sub.Dropped() {
		t.Error("a subscriber that kept up was dropped")
	}
}
