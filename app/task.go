package app

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// KindTask numbers server tasks: "ServerTasks-N".
const KindTask = "ServerTasks"

// TaskState is where a task is in its life. The spelling is Octopus's.
//
//	Queued ──▶ Executing ──▶ Success | Failed
//	  │            │
//	  │            └──▶ Cancelling ──▶ Canceled | Failed (restart)
//	  └──▶ Canceled | TimedOut (QueueTimeExpiry passed) | Failed
type TaskState string

// Task states.
const (
	TaskQueued     TaskState = "Queued"
	TaskExecuting  TaskState = "Executing"
	TaskCancelling TaskState = "Cancelling"
	TaskSuccess    TaskState = "Success"
	TaskFailed     TaskState = "Failed"
	TaskCanceled   TaskState = "Canceled"
	TaskTimedOut   TaskState = "TimedOut"
)

// TaskStates lists every state, active ones first.
var TaskStates = []TaskState{TaskQueued, TaskExecuting, TaskCancelling, TaskSuccess, TaskFailed, TaskCanceled, TaskTimedOut}

// Valid reports whether s is one of the known states.
func (s TaskState) Valid() bool {
	for _, v := range TaskStates {
		if s == v {
			return true
		}
	}
	return false
}

// IsCompleted reports whether s is final: nothing will change the task again.
func (s TaskState) IsCompleted() bool {
	switch s {
	case TaskSuccess, TaskFailed, TaskCanceled, TaskTimedOut:
		return true
	}
	return false
}

// ParseTaskState returns the state named s (case-insensitive).
func ParseTaskState(s string) (TaskState, bool) {
	for _, v := range TaskStates {
		if strings.EqualFold(string(v), s) {
			return v, true
		}
	}
	return "", false
}

// taskTransitions lists every allowed state change.
var taskTransitions = map[TaskState][]TaskState{
	TaskQueued:     {TaskExecuting, TaskCanceled, TaskTimedOut, TaskFailed},
	TaskExecuting:  {TaskSuccess, TaskFailed, TaskCancelling, TaskCanceled},
	TaskCancelling: {TaskCanceled, TaskFailed},
}

// CanTransition reports whether a task may move from one state to another.
// Completed states never change.
func CanTransition(from, to TaskState) bool {
	for _, s := range taskTransitions[from] {
		if s == to {
			return true
		}
	}
	return false
}

// Task is one unit of long-running work (a deployment, a health check …).
// What it does is chosen by Name, which names an executor; Arguments are
// opaque to the engine and handed to that executor.
type Task struct {
	ID             string // "ServerTasks-N"
	SpaceID        string
	Name           string // task type, e.g. "Deploy"
	Description    string // "Deploy Acme release 1.2.3 to Production"
	State          TaskState
	ConcurrencyTag string // tasks with equal non-empty tags run one at a time
	// QueueTime delays the start; zero = as soon as a slot is free.
	QueueTime time.Time
	// QueueTimeExpiry: a task not started by then ends TimedOut; zero = never.
	QueueTimeExpiry         time.Time
	Created                 time.Time // when it was queued (the FIFO order)
	StartTime               time.Time
	CompletedTime           time.Time
	ErrorMessage            string
	HasPendingInterruptions bool
	HasWarningsOrErrors     bool
	Arguments               map[string]string
	// ProjectID, EnvironmentID and TenantID scope who may see the task.
	ProjectID     string
	EnvironmentID string
	TenantID      string
	// RerunOf names the task this one repeats, if any.
	RerunOf string
}

// IsCompleted reports whether the task is in a final state. It is derived
// from State alone, so it always agrees with it.
func (t *Task) IsCompleted() bool { return t.State.IsCompleted() }

// FinishedSuccessfully reports whether the task completed with Success.
func (t *Task) FinishedSuccessfully() bool { return t.State == TaskSuccess }

// Duration is how long the task ran (until now while it still runs).
func (t *Task) Duration(now time.Time) time.Duration {
	if t.StartTime.IsZero() {
		return 0
	}
	end := t.CompletedTime
	if end.IsZero() {
		end = now
	}
	if end.Before(t.StartTime) {
		return 0
	}
	return end.Sub(t.StartTime)
}

// Validate checks a task about to be queued.
func (t *Task) Validate() error {
	var p problems
	if strings.TrimSpace(t.Name) == "" {
		p.add("Name is required.")
	}
	if t.SpaceID == "" {
		p.add("SpaceId is required.")
	}
	if !t.QueueTime.IsZero() && !t.QueueTimeExpiry.IsZero() && !t.QueueTimeExpiry.After(t.QueueTime) {
		p.add("QueueTimeExpiry must be after QueueTime.")
	}
	if len(t.Description) > 1000 {
		p.add("Description must be at most 1000 characters.")
	}
	return p.err("task")
}

// HumanDuration renders d the way Octopus shows task durations ("3 seconds",
// "1 minute", "2 hours").
func HumanDuration(d time.Duration) string {
	plural := func(n int64, unit string) string {
		if n == 1 {
			return "1 " + unit
		}
		return fmt.Sprintf("%d %ss", n, unit)
	}
	switch {
	case d < time.Minute:
		return plural(int64(d/time.Second), "second")
	case d < time.Hour:
		return plural(int64(d/time.Minute), "minute")
	case d < 48*time.Hour:
		return plural(int64(d/time.Hour), "hour")
	}
	return plural(int64(d/(24*time.Hour)), "day")
}

// TaskFilter selects tasks, newest first.
type TaskFilter struct {
	IDs            []string
	States         []TaskState
	SpaceIDs       []string
	ProjectIDs     []string
	EnvironmentIDs []string
	TenantIDs      []string
	Names          []string // task types
	// Active keeps only tasks that are not completed (true) or only completed ones (false).
	Active *bool
	Skip   int
	Take   int // 0 = no limit
}

// Matches reports whether t passes every part of f except paging.
func (f TaskFilter) Matches(t *Task) bool {
	in := inFilter
	if !in(f.IDs, t.ID) || !in(f.SpaceIDs, t.SpaceID) || !in(f.ProjectIDs, t.ProjectID) ||
		!in(f.EnvironmentIDs, t.EnvironmentID) || !in(f.TenantIDs, t.TenantID) || !in(f.Names, t.Name) {
		return false
	}
	if len(f.States) > 0 {
		ok := false
		for _, s := range f.States {
			ok = ok || s == t.State
		}
		if !ok {
			return false
		}
	}
	if f.Active != nil && *f.Active == t.IsCompleted() {
		return false
	}
	return true
}

// TaskService queues, finds and controls tasks. The task engine implements
// it: cancelling an executing task must reach the goroutine running it.
type TaskService interface {
	FindTaskByID(ctx context.Context, id string) (*Task, error)
	// FindTasks returns matches newest first, and the total before paging.
	FindTasks(ctx context.Context, f TaskFilter) ([]*Task, int, error)
	// QueueTask stores t as Queued and fills in its ID and times.
	QueueTask(ctx context.Context, t *Task) error
	// CancelTask cancels a queued task at once and asks an executing one to
	// stop (Cancelling, then Canceled). Completed tasks are returned as they are.
	CancelTask(ctx context.Context, id string) (*Task, error)
	// RerunTask queues a new task with the same type, arguments and scope as
	// the completed task id — or, for a deployment, a new deployment with
	// the same release, environment and options, with its own task (so the
	// dashboard and release pages follow the rerun). Active tasks cannot be
	// rerun (ECONFLICT).
	RerunTask(ctx context.Context, id string) (*Task, error)
}

// InterruptedByRestart is the ErrorMessage of tasks a crash or restart left running.
const InterruptedByRestart = "interrupted by server restart"

// InterruptedReason is the ErrorMessage of a task a restart or shutdown
// (base) stopped. A task that was waiting on an interruption (a manual
// intervention or a guided failure decision) says so: it is not resumed,
// because what its earlier steps produced (output variables, sensitive
// ones included, the masking set, guided failure exclusions) lives only in
// the server that ran it, and a later step reading a missing output would
// quietly run with a blank value.
func InterruptedReason(base string, waiting bool) string {
	if !waiting {
		return base
	}
	return base + " while it waited for a manual intervention or guided failure decision; " +
		"a deployment does not resume after a restart, deploy the release again"
}

// EventTaskCanceled is the audit category of a user cancelling a task.
const EventTaskCanceled = "TaskCanceled"

// EventTaskQueued is the audit category of a task queued on its own (a
// rerun); a deployment's task is audited as its DeploymentQueued event.
const EventTaskQueued = "TaskQueued"
