// Package tasks is the durable task engine: a FIFO queue kept in the
// store, a cap on concurrently executing tasks, one executing task per
// concurrency tag, scheduled and expiring tasks, cancellation, rerun, the
// recovery pass after a crash, and the task log with its live fan-out.
//
// What a task does is not the engine's business: executors plug in by task
// Name (a deployment executor, a health check …).
//
// Durability: every state change is one store transaction that also moves
// the task's queue entry; the queue is re-read from the store on every
// scheduling pass, so nothing lives only in memory except which goroutine
// runs which task. A crash leaves Executing tasks behind; Start's recovery
// pass finishes them as Failed ("interrupted by server restart") before
// anything else runs.
//
// Interruptions (manual intervention, guided failure) plug in through
// TaskLog.Await: the executor stores its interruption record, then calls
// log.Await(ctx, "Manual intervention: Approve", wait) where wait blocks
// until the interruption service signals a submitted Proceed/Abort (or ctx
// ends, which is how Cancel reaches a waiting task). While it waits the
// task shows HasPendingInterruptions, keeps its concurrency tag and gives
// its slot to the next queued task; when wait returns it takes a slot back
// ahead of queued tasks. A restart or shutdown while waiting fails the
// task like any other interrupted one, with a reason that says it was
// waiting (app.InterruptedReason): resuming would need the executor to
// rebuild its position and the outputs of earlier steps, which live only
// in the server that ran it (sensitive ones included), so a deployment is
// never resumed half-way.
package tasks

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"runtime/debug"
	"sync"
	"time"

	"github.com/argonautdeploy/argonaut/app"
)

// Executor runs tasks of one type (one Name).
//
// Execute runs on its own goroutine while the task holds a slot. It
// returns nil for Success or an error whose text becomes the task's
// ErrorMessage (Failed). ctx is cancelled when a user cancels the task
// (the task ends Canceled whatever Execute returns) or the server shuts
// down; Execute must then stop promptly — kill child processes, abandon
// waits — and return. t is a copy; changing it changes nothing. Everything
// the user should see goes to log; see TaskLog for ordering, batching and
// the Await hook for interruptions. A panic fails the task.
type Executor interface {
	Execute(ctx context.Context, t *app.Task, log TaskLog) error
}

// ExecutorFunc adapts a function to Executor.
type ExecutorFunc func(ctx context.Context, t *app.Task, log TaskLog) error

// Execute implements Executor.
func (f ExecutorFunc) Execute(ctx context.Context, t *app.Task, log TaskLog) error {
	return f(ctx, t, log)
}

// Store is what the engine needs from storage.
type Store interface {
	app.TaskLogService
	CreateTask(ctx context.Context, t *app.Task) error
	FindTaskByID(ctx context.Context, id string) (*app.Task, error)
	FindTasks(ctx context.Context, f app.TaskFilter) ([]*app.Task, int, error)
	// TasksInState lists the tasks in an active state in queue order.
	TasksInState(ctx context.Context, s app.TaskState) ([]*app.Task, error)
	// UpdateTask applies change in one transaction; a state change not
	// allowed by app.CanTransition is ECONFLICT. An error from change
	// aborts the update and is returned.
	UpdateTask(ctx context.Context, id string, change func(t *app.Task) error) (*app.Task, error)
	// UpdateTaskAudited is UpdateTask for a change a user asked for: it
	// also writes the audit event (category, what happened) in the same
	// transaction, and neither when change returns an error.
	UpdateTaskAudited(ctx context.Context, id, category, what string, change func(t *app.Task) error) (*app.Task, error)
	// RecoverInterruptedTasks fails every Executing or Cancelling task
	// with reason(task) as its ErrorMessage (see storage).
	RecoverInterruptedTasks(ctx context.Context, reason func(t *app.Task) string) ([]string, error)
	AppendTaskLog(ctx context.Context, id string, events []app.LogEvent) error
	LastTaskLogSeq(ctx context.Context, id string) (uint64, error)
}

// Rerunner reruns a completed task of one type its own way and returns
// the queued task that does it (see Options.Rerunners).
type Rerunner func(ctx context.Context, old *app.Task) (*app.Task, error)

// Options configure an Engine.
type Options struct {
	// Rerunners replace the default rerun (a new task with the same
	// arguments) for task Names whose task belongs to a record that must
	// follow it: a deployment is rerun as a new deployment with its own task.
	Rerunners map[string]Rerunner
	// Cap is the most tasks executing at once; 0 means DefaultCap.
	Cap int
	// Executors maps task Names to what runs them. A task whose Name has
	// no executor fails when it starts.
	Executors map[string]Executor
	Logger    *slog.Logger
	// PollInterval bounds how long a scheduling pass can be late if a
	// wake-up were ever missed; 0 means 20 s (Octopus's queue poll).
	PollInterval time.Duration
	// ShutdownGrace is how long Close waits for executors to return; 0 means 10 s.
	ShutdownGrace time.Duration
	// OnComplete, when set, is told of each task whose executor finished,
	// once its final state is stored (a deployment's success may deploy
	// the release on to its lifecycle's next automatic environments). It
	// runs on the task's goroutine; it must not block for long.
	OnComplete func(t *app.Task)
}

// DefaultCap is Octopus's default task cap per node.
const DefaultCap = 5

// InterruptedByShutdown is the ErrorMessage of tasks a clean shutdown stopped.
const InterruptedByShutdown = "interrupted by server shutdown"

// Cancellation causes, so a run knows why its context ended.
var (
	errCanceled = errors.New("the task was canceled")
	errShutdown = errors.New(InterruptedByShutdown)
)

// Engine schedules and runs tasks. It implements app.TaskService.
type Engine struct {
	store     Store
	executors map[string]Executor
	rerunners map[string]Rerunner
	cap       int
	log       *slog.Logger
	poll      time.Duration
	grace     time.Duration
	hub       *hub
	// onComplete is Options.OnComplete.
	onComplete func(t *app.Task)

	mu       sync.Mutex
	runs     map[string]*run
	tags     map[string]string // concurrency tag → task holding it
	active   int               // runs holding a slot
	resuming int               // parked runs waiting to take a slot back
	changed  chan struct{}     // closed and replaced whenever a slot frees
	closing  bool

	wake   chan struct{}
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup // the loop and every run
}

// run is one executing task.
type run struct {
	task   *app.Task
	ctx    context.Context
	cancel context.CancelCauseFunc
	log    *logWriter
	parked bool // gave its slot back (Await)
	// waitedAtShutdown: a shutdown ended an Await (set by the run's own goroutine).
	waitedAtShutdown bool
}

// New returns an engine over store; call Start to run it.
func New(store Store, opts Options) *Engine {
	if opts.Cap <= 0 {
		opts.Cap = DefaultCap
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.PollInterval <= 0 {
		opts.PollInterval = 20 * time.Second
	}
	if opts.ShutdownGrace <= 0 {
		opts.ShutdownGrace = 10 * time.Second
	}
	ex := make(map[string]Executor, len(opts.Executors))
	for k, v := range opts.Executors {
		ex[k] = v
	}
	return &Engine{store: store, executors: ex, rerunners: maps.Clone(opts.Rerunners), cap: opts.Cap, log: opts.Logger.With("component", "tasks"),
		poll: opts.PollInterval, grace: opts.ShutdownGrace, hub: newHub(), onComplete: opts.OnComplete, runs: map[string]*run{},
		tags: map[string]string{}, changed: make(chan struct{}), wake: make(chan struct{}, 1)}
}

// Start runs the recovery pass — tasks a crash left Executing or
// Cancelling become Failed — and then starts scheduling.
func (e *Engine) Start(ctx context.Context) error {
	ids, err := e.store.RecoverInterruptedTasks(ctx, func(t *app.Task) string {
		return app.InterruptedReason(app.InterruptedByRestart, t.HasPendingInterruptions)
	})
	if err != nil {
		return fmt.Errorf("tasks: recovery: %w", err)
	}
	if len(ids) > 0 {
		e.log.Warn("failed tasks interrupted by a restart", "tasks", ids)
	}
	e.ctx, e.cancel = context.WithCancel(context.Background())
	e.wg.Add(1)
	go e.loop()
	return nil
}

// Close stops scheduling, cancels executing tasks (they end Failed,
// "interrupted by server shutdown") and waits up to the grace period for
// their executors to return. Tasks still running after that are left
// Executing for the next start's recovery pass.
func (e *Engine) Close() error {
	if e.cancel == nil {
		return nil
	}
	e.mu.Lock()
	if e.closing {
		e.mu.Unlock()
		return nil
	}
	e.closing = true
	for _, r := range e.runs {
		r.cancel(errShutdown)
	}
	e.mu.Unlock()
	e.cancel()
	done := make(chan struct{})
	go func() { e.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-time.After(e.grace):
		return errors.New("tasks: executors still running after the shutdown grace period")
	}
}

// Subscribe follows the committed log events of task id from now on; see
// Subscription. Most callers want Follow.
func (e *Engine) Subscribe(id string) *Subscription { return e.hub.subscribe(id) }

// Follow calls fn for every log event of task id after the cursor `after`,
// first those already stored, then live ones as they are committed, until
// the task completes (nil), ctx ends, or fn fails. A subscriber that falls
// behind re-reads the store from its cursor; fn sees each Seq once, in order.
func (e *Engine) Follow(ctx context.Context, id string, after uint64, fn func(ev *app.LogEvent) error) error {
	emit := func(ev *app.LogEvent) error {
		if ev.Seq <= after {
			return nil
		}
		if err := fn(ev); err != nil {
			return err
		}
		after = ev.Seq
		return nil
	}
	for {
		// Subscribe before reading the store: a batch committed in between
		// is then seen twice (and skipped by Seq), never missed.
		sub := e.hub.subscribe(id)
		if err := e.store.ScanTaskLog(ctx, id, after, emit); err != nil {
			sub.Close()
			return err
		}
		t, err := e.store.FindTaskByID(ctx, id)
		if err != nil {
			sub.Close()
			return err
		}
		if t.IsCompleted() {
			sub.Close()
			return e.store.ScanTaskLog(ctx, id, after, emit)
		}
	live:
		for {
			select {
			case <-ctx.Done():
				sub.Close()
				return ctx.Err()
			case batch, ok := <-sub.C:
				if !ok {
					break live
				}
				for i := range batch {
					if err := emit(&batch[i]); err != nil {
						sub.Close()
						return err
					}
				}
			}
		}
		if !sub.Dropped() {
			// The task completed: its final lines were committed before.
			return e.store.ScanTaskLog(ctx, id, after, emit)
		}
	}
}

// FindTaskByID implements app.TaskService.
func (e *Engine) FindTaskByID(ctx context.Context, id string) (*app.Task, error) {
	return e.store.FindTaskByID(ctx, id)
}

// FindTasks implements app.TaskService.
func (e *Engine) FindTasks(ctx context.Context, f app.TaskFilter) ([]*app.Task, int, error) {
	return e.store.FindTasks(ctx, f)
}

// QueueTask implements app.TaskService.
func (e *Engine) QueueTask(ctx context.Context, t *app.Task) error {
	if err := e.store.CreateTask(ctx, t); err != nil {
		return err
	}
	e.poke()
	return nil
}

// errNoChange aborts an UpdateTask that has nothing to do.
var errNoChange = errors.New("no change")

// CancelTask implements app.TaskService. A queued task is Canceled at
// once; an executing one becomes Cancelling and its executor's context is
// cancelled; it ends Canceled when the executor returns.
func (e *Engine) CancelTask(ctx context.Context, id string) (*app.Task, error) {
	// Under mu, so a task cannot start between our decision and the update.
	e.mu.Lock()
	defer e.mu.Unlock()
	now := time.Now().UTC()
	t, err := e.store.UpdateTaskAudited(ctx, id, app.EventTaskCanceled, "was canceled", func(t *app.Task) error {
		switch t.State {
		case app.TaskQueued:
			t.State, t.CompletedTime, t.ErrorMessage = app.TaskCanceled, now, "The task was canceled before it started."
		case app.TaskExecuting:
			t.State = app.TaskCancelling
		default:
			return errNoChange
		}
		return nil
	})
	if errors.Is(err, errNoChange) {
		return e.store.FindTaskByID(ctx, id)
	} else if err != nil {
		return nil, err
	}
	if r := e.runs[t.ID]; r != nil && t.State == app.TaskCancelling {
		r.cancel(errCanceled)
	}
	if t.IsCompleted() {
		e.hub.end(t.ID)
	}
	return t, nil
}

// RerunTask implements app.TaskService.
func (e *Engine) RerunTask(ctx context.Context, id string) (*app.Task, error) {
	old, err := e.store.FindTaskByID(ctx, id)
	if err != nil {
		return nil, err
	}
	if !old.IsCompleted() {
		return nil, app.Errorf(app.ECONFLICT, "The task %s is %s; only completed tasks can be rerun.", old.ID, old.State)
	}
	if rerun := e.rerunners[old.Name]; rerun != nil {
		t, err := rerun(ctx, old)
		if err != nil {
			return nil, err
		}
		e.poke()
		return t, nil
	}
	args := make(map[string]string, len(old.Arguments))
	for k, v := range old.Arguments {
		args[k] = v
	}
	t := &app.Task{SpaceID: old.SpaceID, Name: old.Name, Description: old.Description, ConcurrencyTag: old.ConcurrencyTag,
		Arguments: args, ProjectID: old.ProjectID, EnvironmentID: old.EnvironmentID, TenantID: old.TenantID, RerunOf: old.ID}
	if err := e.QueueTask(ctx, t); err != nil {
		return nil, err
	}
	return t, nil
}

// Wake asks for a scheduling pass, for callers that queue tasks through the
// store directly (a deployment is created with its task in one transaction).
func (e *Engine) Wake() { e.poke() }

// poke asks the loop for a scheduling pass.
func (e *Engine) poke() {
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

func (e *Engine) loop() {
	defer e.wg.Done()
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-e.ctx.Done():
			return
		case <-e.wake:
		case <-timer.C:
		}
		wait := e.poll
		if next := e.dispatch(); !next.IsZero() {
			if d := time.Until(next); d < wait {
				wait = max(d, time.Millisecond)
			}
		}
		timer.Reset(wait)
	}
}

// dispatch is one scheduling pass over the queue, oldest first: expired
// tasks end TimedOut, due tasks start while slots and tags allow. It
// returns when the next scheduled task becomes due or expires (zero: none).
func (e *Engine) dispatch() (next time.Time) {
	queued, err := e.store.TasksInState(e.ctx, app.TaskQueued)
	if err != nil {
		if e.ctx.Err() == nil {
			e.log.Error("read the task queue", "err", err)
		}
		return time.Now().Add(time.Second) // bounded: retried on the next pass
	}
	soonest := func(t time.Time) {
		if !t.IsZero() && (next.IsZero() || t.Before(next)) {
			next = t
		}
	}
	now := time.Now()
	for _, t := range queued {
		if !t.QueueTimeExpiry.IsZero() && !now.Before(t.QueueTimeExpiry) {
			e.expire(t)
			continue
		}
		soonest(t.QueueTimeExpiry)
		if !t.QueueTime.IsZero() && now.Before(t.QueueTime) {
			soonest(t.QueueTime)
			continue
		}
		e.mu.Lock()
		if !e.closing && e.active+e.resuming < e.cap && (t.ConcurrencyTag == "" || e.tags[t.ConcurrencyTag] == "") {
			e.start(t)
		}
		e.mu.Unlock()
	}
	return next
}

func (e *Engine) expire(t *app.Task) {
	now := time.Now().UTC()
	msg := fmt.Sprintf("The task was not started before its expiry time (%s) and will not run.", t.QueueTimeExpiry.UTC().Format(time.RFC3339))
	e.mu.Lock()
	defer e.mu.Unlock()
	_, err := e.store.UpdateTask(e.ctx, t.ID, func(t *app.Task) error {
		if t.State != app.TaskQueued {
			return errNoChange
		}
		t.State, t.CompletedTime, t.ErrorMessage = app.TaskTimedOut, now, msg
		return nil
	})
	if err != nil && !errors.Is(err, errNoChange) {
		e.log.Error("time out task", "task", t.ID, "err", err)
		return
	}
	if err == nil {
		e.hub.end(t.ID)
	}
}

// start moves t to Executing and launches its executor. Caller holds mu.
func (e *Engine) start(t *app.Task) {
	now := time.Now().UTC()
	started, err := e.store.UpdateTask(e.ctx, t.ID, func(t *app.Task) error {
		if t.State != app.TaskQueued {
			return errNoChange // cancelled meanwhile
		}
		t.State, t.StartTime = app.TaskExecuting, now
		return nil
	})
	if err != nil {
		if !errors.Is(err, errNoChange) && e.ctx.Err() == nil {
			e.log.Error("start task", "task", t.ID, "err", err)
		}
		return
	}
	last, err := e.store.LastTaskLogSeq(e.ctx, t.ID)
	if err != nil {
		e.log.Error("read task log", "task", t.ID, "err", err)
	}
	ctx, cancel := context.WithCancelCause(context.Background())
	r := &run{task: started, ctx: ctx, cancel: cancel}
	r.log = newLogWriter(e.store, e.hub, e.log, t.ID, last, func() time.Time { return time.Now().UTC() })
	r.log.await = func(ctx context.Context, reason string, wait func(context.Context) error) error {
		return e.await(r, ctx, reason, wait)
	}
	e.runs[t.ID] = r
	e.active++
	if t.ConcurrencyTag != "" {
		e.tags[t.ConcurrencyTag] = t.ID
	}
	e.wg.Add(1)
	go e.execute(r)
}

func (e *Engine) execute(r *run) {
	defer e.wg.Done()
	log := taskLog{activity{w: r.log}}
	err := e.callExecutor(r, log)
	cause := context.Cause(r.ctx)
	final := *r.task
	final.CompletedTime = time.Now().UTC()
	switch {
	case errors.Is(cause, errCanceled):
		final.State, final.ErrorMessage = app.TaskCanceled, "The task was canceled."
		log.Info("The task was canceled.")
	case errors.Is(cause, errShutdown):
		final.State, final.ErrorMessage = app.TaskFailed, app.InterruptedReason(InterruptedByShutdown, r.waitedAtShutdown)
		log.Log(app.LogFatal, "The task was "+final.ErrorMessage+".")
	case err != nil:
		final.State, final.ErrorMessage = app.TaskFailed, err.Error()
		log.Log(app.LogFatal, err.Error())
	default:
		final.State = app.TaskSuccess
	}
	if lerr := r.log.close(); lerr != nil && final.State == app.TaskSuccess {
		final.State, final.ErrorMessage = app.TaskFailed, "The task log could not be saved: "+lerr.Error()
	}
	problems := r.log.hadProblems() || final.State == app.TaskFailed
	r.cancel(nil)

	e.mu.Lock()
	done, uerr := e.store.UpdateTask(context.Background(), r.task.ID, func(t *app.Task) error {
		if t.State == app.TaskCancelling && final.State == app.TaskSuccess {
			// Cancelled after the executor returned but before we got here:
			// the user asked, and Cancelling may only end Canceled or Failed.
			final.State, final.ErrorMessage = app.TaskCanceled, "The task was canceled."
		}
		t.State, t.CompletedTime, t.ErrorMessage = final.State, final.CompletedTime, final.ErrorMessage
		t.HasWarningsOrErrors = t.HasWarningsOrErrors || problems
		t.HasPendingInterruptions = false
		return nil
	})
	if uerr != nil {
		// Left Executing: the next start's recovery pass fails it.
		e.log.Error("complete task", "task", r.task.ID, "state", final.State, "err", uerr)
	}
	delete(e.runs, r.task.ID)
	if !r.parked {
		e.active--
	}
	if tag := r.task.ConcurrencyTag; tag != "" && e.tags[tag] == r.task.ID {
		delete(e.tags, tag)
	}
	close(e.changed)
	e.changed = make(chan struct{})
	e.mu.Unlock()
	e.hub.end(r.task.ID)
	if uerr == nil && e.onComplete != nil {
		e.onComplete(done)
	}
	e.poke()
}

// callExecutor runs the executor, turning a panic into a failure.
func (e *Engine) callExecutor(r *run, log TaskLog) (err error) {
	ex := e.executors[r.task.Name]
	if ex == nil {
		return fmt.Errorf("No executor is registered for tasks of type '%s'.", r.task.Name)
	}
	defer func() {
		if p := recover(); p != nil {
			e.log.Error("executor panicked", "task", r.task.ID, "panic", p, "stack", string(debug.Stack()))
			err = fmt.Errorf("The task failed unexpectedly: %v", p)
		}
	}()
	t := *r.task
	t.Arguments = make(map[string]string, len(r.task.Arguments))
	for k, v := range r.task.Arguments {
		t.Arguments[k] = v
	}
	return ex.Execute(r.ctx, &t, log)
}

// await implements TaskLog.Await for run r.
func (e *Engine) await(r *run, ctx context.Context, reason string, wait func(context.Context) error) error {
	setPending := func(v bool) {
		if _, err := e.store.UpdateTask(context.Background(), r.task.ID, func(t *app.Task) error {
			t.HasPendingInterruptions = v
			return nil
		}); err != nil {
			e.log.Error("set pending interruptions", "task", r.task.ID, "err", err)
		}
	}
	e.mu.Lock()
	if r.parked {
		e.mu.Unlock()
		return errors.New("tasks: Await called while already waiting")
	}
	r.parked = true
	e.active--
	close(e.changed)
	e.changed = make(chan struct{})
	e.mu.Unlock()
	e.poke()
	if reason != "" {
		taskLog{activity{w: r.log}}.Info("Waiting: " + reason)
	}
	// The log up to the wait is durable before the task shows it waits: a
	// person may take minutes or days, and a crash meanwhile must not lose
	// what the task did before.
	if err := r.log.Flush(ctx); err != nil && ctx.Err() == nil {
		e.log.Error("flush the log before waiting", "task", r.task.ID, "err", err)
	}
	setPending(true)
	err := wait(ctx)
	if errors.Is(context.Cause(r.ctx), errShutdown) {
		r.waitedAtShutdown = true
	}
	setPending(false)

	e.mu.Lock()
	defer e.mu.Unlock()
	e.resuming++
	defer func() { e.resuming-- }()
	for e.active >= e.cap {
		ch := e.changed
		e.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			e.mu.Lock()
			return errors.Join(err, ctx.Err())
		}
		e.mu.Lock()
	}
	e.active++
	r.parked = false
	return err
}

// Running reports how many tasks hold a slot and how many executing tasks
// wait in Await without one.
func (e *Engine) Running() (holding, waiting int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.active, len(e.runs) - e.active
}
