package tasks

import (
	"context"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/argonautdeploy/argonaut/app"
)

// Activity is one node of a task's activity tree (the task itself, a step,
// a target). Its methods append events to the task log; they never block
// on the disk (see TaskLog for batching) and are safe for concurrent use —
// parallel steps may write to their own nodes from several goroutines, and
// the log keeps the order in which the calls happened.
type Activity interface {
	// ID names the node in the log.
	ID() string
	// Open adds a child node that is Running from now.
	Open(name string) Activity
	// Plan adds a child node that is Pending until Start.
	Plan(name string) Activity
	// Start marks a planned node Running.
	Start()
	// Finish ends the node with Success, Failed, Skipped or Canceled.
	Finish(status app.ActivityStatus)
	// Log appends one line per line of msg in category c.
	Log(c app.LogCategory, msg string)
	Verbose(msg string)
	Info(msg string)
	Highlight(msg string)
	Warning(msg string)
	Error(msg string)
}

// TaskLog is what an executor gets to report on its task: the root
// activity (the task itself) and control over durability.
//
// Lines are buffered and committed in batches by a background flusher — when
// a batch reaches batchBytes, every flushInterval, and on Flush — so a chatty
// script costs one fsync per batch, not per line. Live subscribers see a
// batch only after it is committed: nothing they are shown can be lost by a
// crash. If the flusher falls behind by maxPending bytes, writers block
// until it catches up (backpressure instead of unbounded memory).
type TaskLog interface {
	Activity
	// Flush returns once every event appended so far is committed.
	Flush(ctx context.Context) error
	// Await is the hook for interruptions (manual intervention, guided
	// failure): it sets HasPendingInterruptions, gives the task's slot back
	// to the queue while wait runs (the concurrency tag stays held, so no
	// other deployment of the same project/environment starts), then clears
	// the flag and takes a slot again — ahead of queued tasks — before
	// returning wait's error. wait must return when ctx is done: that is how
	// a cancel reaches a waiting task. Do not call it from several goroutines
	// of one task at once.
	Await(ctx context.Context, reason string, wait func(ctx context.Context) error) error
}

// Log batching parameters (see TaskLog).
const (
	batchBytes = 256 << 10
	maxPending = 8 << 20
	// maxCommit bounds one store transaction by estimated size. The stored
	// JSON of short lines is about twice the estimate, and Badger refuses
	// transactions over 15% of its 16 MiB memtable (2.4 MiB): keep well under.
	maxCommit     = 1 << 20
	flushInterval = 100 * time.Millisecond
)

// logWriter numbers, buffers and commits the events of one task.
type logWriter struct {
	store  Store
	hub    *hub
	log    *slog.Logger
	taskID string
	now    func() time.Time
	await  func(ctx context.Context, reason string, wait func(ctx context.Context) error) error

	mu           sync.Mutex
	seq          uint64 // last assigned
	nodes        int
	pending      []app.LogEvent
	pendingBytes int
	committed    uint64        // last durable
	progress     chan struct{} // closed and replaced after each commit
	problems     bool          // a Warning, Error or Fatal line was written
	err          error         // sticky commit failure
	closed       bool

	kick chan struct{}
	done chan struct{}
}

func newLogWriter(store Store, h *hub, log *slog.Logger, taskID string, lastSeq uint64, now func() time.Time) *logWriter {
	w := &logWriter{store: store, hub: h, log: log, taskID: taskID, now: now, seq: lastSeq, committed: lastSeq,
		progress: make(chan struct{}), kick: make(chan struct{}, 1), done: make(chan struct{})}
	go w.flusher()
	return w
}

func (w *logWriter) append(e app.LogEvent) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for w.pendingBytes >= maxPending && !w.closed && w.err == nil {
		ch := w.progress
		w.mu.Unlock()
		<-ch
		w.mu.Lock()
	}
	if w.closed {
		return
	}
	w.seq++
	e.Seq = w.seq
	if e.At.IsZero() {
		e.At = w.now()
	}
	if e.Kind == app.LogLine && e.Category.IsProblem() {
		w.problems = true
	}
	w.pending = append(w.pending, e)
	w.pendingBytes += len(e.Message) + len(e.Name) + 64
	if w.pendingBytes >= batchBytes {
		w.signal()
	}
}

func (w *logWriter) signal() {
	select {
	case w.kick <- struct{}{}:
	default:
	}
}

func (w *logWriter) nodeID() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.nodes++
	return w.taskID + "_" + strconv.Itoa(w.nodes)
}

// flusher commits pending events until the writer is closed and drained.
func (w *logWriter) flusher() {
	defer close(w.done)
	tick := time.NewTicker(flushInterval)
	defer tick.Stop()
	for {
		w.mu.Lock()
		batch, closed := w.pending, w.closed
		w.pending, w.pendingBytes = nil, 0
		w.mu.Unlock()
		if len(batch) > 0 {
			w.commit(batch)
			continue // more may have arrived during the fsync: group them
		}
		if closed {
			return
		}
		select {
		case <-w.kick:
		case <-tick.C:
		}
	}
}

func (w *logWriter) commit(batch []app.LogEvent) {
	var err error
	for len(batch) > 0 && err == nil {
		n, size := 0, 0
		for n < len(batch) && (n == 0 || size < maxCommit) {
			size += len(batch[n].Message) + 64
			n++
		}
		// Bounded retries: a store that keeps failing is reported, not hammered.
		for attempt := 0; attempt < 3; attempt++ {
			if err = w.store.AppendTaskLog(context.Background(), w.taskID, batch[:n]); err == nil {
				break
			}
			time.Sleep(time.Duration(attempt+1) * 50 * time.Millisecond)
		}
		if err == nil {
			w.hub.publish(w.taskID, batch[:n])
			w.mu.Lock()
			w.committed = batch[n-1].Seq
			close(w.progress)
			w.progress = make(chan struct{})
			w.mu.Unlock()
		}
		batch = batch[n:]
	}
	if err != nil {
		w.log.Error("task log lost", "task", w.taskID, "err", err)
		w.mu.Lock()
		w.err = err
		close(w.progress)
		w.progress = make(chan struct{})
		w.mu.Unlock()
	}
}

// Flush implements TaskLog.
func (w *logWriter) Flush(ctx context.Context) error {
	w.mu.Lock()
	target := w.seq
	for w.committed < target && w.err == nil {
		ch := w.progress
		w.mu.Unlock()
		w.signal()
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
		w.mu.Lock()
	}
	err := w.err
	w.mu.Unlock()
	return err
}

// close commits what is pending and stops the flusher; later appends are dropped.
func (w *logWriter) close() error {
	w.mu.Lock()
	w.closed = true
	w.mu.Unlock()
	w.signal()
	<-w.done
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

func (w *logWriter) hadProblems() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.problems
}

// activity implements Activity over a writer; the root has id "".
type activity struct {
	w  *logWriter
	id string
}

// taskLog implements TaskLog.
type taskLog struct {
	activity
}

func (l taskLog) Flush(ctx context.Context) error { return l.w.Flush(ctx) }

func (l taskLog) Await(ctx context.Context, reason string, wait func(ctx context.Context) error) error {
	return l.w.await(ctx, reason, wait)
}

func (a activity) ID() string {
	if a.id == "" {
		return a.w.taskID
	}
	return a.id
}

func (a activity) child(name string, s app.ActivityStatus) Activity {
	id := a.w.nodeID()
	a.w.append(app.LogEvent{Kind: app.LogOpen, NodeID: id, ParentID: a.id, Name: name, Status: s})
	return activity{w: a.w, id: id}
}

func (a activity) Open(name string) Activity { return a.child(name, app.ActivityRunning) }
func (a activity) Plan(name string) Activity { return a.child(name, app.ActivityPending) }
func (a activity) Start()                    { a.Finish(app.ActivityRunning) }

func (a activity) Finish(s app.ActivityStatus) {
	a.w.append(app.LogEvent{Kind: app.LogStatus, NodeID: a.id, Status: s})
}

func (a activity) Log(c app.LogCategory, msg string) {
	msg = strings.TrimSuffix(strings.ReplaceAll(msg, "\r\n", "\n"), "\n")
	for _, line := range strings.Split(msg, "\n") {
		a.w.append(app.LogEvent{Kind: app.LogLine, NodeID: a.id, Category: c, Message: line})
	}
}

func (a activity) Verbose(msg string)   { a.Log(app.LogVerbose, msg) }
func (a activity) Info(msg string)      { a.Log(app.LogInfo, msg) }
func (a activity) Highlight(msg string) { a.Log(app.LogHighlight, msg) }
func (a activity) Warning(msg string)   { a.Log(app.LogWarning, msg) }
func (a activity) Error(msg string)     { a.Log(app.LogError, msg) }
