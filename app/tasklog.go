package app

import (
	"context"
	"time"
)

// LogCategory classifies one log line. The spelling is Octopus's.
type LogCategory string

// Log categories, quietest first.
const (
	LogVerbose   LogCategory = "Verbose"
	LogInfo      LogCategory = "Info"
	LogHighlight LogCategory = "Highlight"
	LogWarning   LogCategory = "Warning"
	LogError     LogCategory = "Error"
	LogFatal     LogCategory = "Fatal"
)

// IsProblem reports whether lines of c make a task "HasWarningsOrErrors".
func (c LogCategory) IsProblem() bool {
	return c == LogWarning || c == LogError || c == LogFatal
}

// ActivityStatus is the state of one node of a task's activity tree.
type ActivityStatus string

// Activity statuses.
const (
	ActivityPending  ActivityStatus = "Pending"
	ActivityRunning  ActivityStatus = "Running"
	ActivitySuccess  ActivityStatus = "Success"
	ActivityFailed   ActivityStatus = "Failed"
	ActivitySkipped  ActivityStatus = "Skipped"
	ActivityCanceled ActivityStatus = "Canceled"
)

// IsFinal reports whether a node in status s has ended.
func (s ActivityStatus) IsFinal() bool {
	return s != ActivityPending && s != ActivityRunning && s != ""
}

// LogEventKind says what one entry of a task log records.
type LogEventKind uint8

// Log event kinds.
const (
	// LogOpen adds node NodeID (Name, Status) under ParentID ("" = the root).
	LogOpen LogEventKind = iota + 1
	// LogStatus changes the Status of node NodeID.
	LogStatus
	// LogLine appends a line (Category, Message) to node NodeID ("" = the root).
	LogLine
)

// LogEvent is one entry of a task's append-only log. Seq numbers a task's
// events 1, 2, 3 … without gaps; a reader's cursor is the last Seq it has.
type LogEvent struct {
	Seq      uint64
	Kind     LogEventKind
	NodeID   string
	ParentID string
	Name     string
	Status   ActivityStatus
	At       time.Time
	Category LogCategory
	Message  string
}

// LogElement is one line of an activity.
type LogElement struct {
	Seq         uint64
	OccurredAt  time.Time
	Category    LogCategory
	MessageText string
}

// ActivityElement is one node of the activity tree: the task itself at the
// root, then steps, then targets, each with its own lines.
type ActivityElement struct {
	ID       string
	ParentID string
	Name     string
	Status   ActivityStatus
	Started  time.Time
	Ended    time.Time
	Children []*ActivityElement
	Lines    []LogElement
}

// TaskLogService reads task logs. Events come in Seq order and are never
// all held in memory by the store: ScanTaskLog streams them.
type TaskLogService interface {
	// ScanTaskLog calls fn for every event of task id with Seq > after, in
	// order, until fn returns an error (which ScanTaskLog returns).
	ScanTaskLog(ctx context.Context, id string, after uint64, fn func(e *LogEvent) error) error
}

// ActivityOptions shape a tree built by ActivityTree.
type ActivityOptions struct {
	Verbose bool // keep Verbose lines
	Tail    int  // keep only the last Tail lines of each node; 0 = all
}

// ActivityTree folds a task's log into its activity tree.
type ActivityTree struct {
	Root  *ActivityElement
	opts  ActivityOptions
	nodes map[string]*ActivityElement
}

// NewActivityTree starts a tree for t whose root node is the task itself.
func NewActivityTree(t *Task, opts ActivityOptions) *ActivityTree {
	name := t.Description
	if name == "" {
		name = t.Name
	}
	root := &ActivityElement{ID: t.ID, Name: name, Status: ActivityPending}
	return &ActivityTree{Root: root, opts: opts, nodes: map[string]*ActivityElement{"": root, t.ID: root}}
}

// Add applies one event. Events for unknown nodes attach to the root, so a
// damaged log still shows every line.
func (a *ActivityTree) Add(e *LogEvent) {
	switch e.Kind {
	case LogOpen:
		parent := a.node(e.ParentID)
		n := &ActivityElement{ID: e.NodeID, ParentID: parent.ID, Name: e.Name, Status: ActivityPending}
		a.nodes[e.NodeID] = n
		parent.Children = append(parent.Children, n)
		setStatus(n, e.Status, e.At)
	case LogStatus:
		setStatus(a.node(e.NodeID), e.Status, e.At)
	case LogLine:
		if e.Category == LogVerbose && !a.opts.Verbose {
			return
		}
		n := a.node(e.NodeID)
		n.Lines = append(n.Lines, LogElement{Seq: e.Seq, OccurredAt: e.At, Category: e.Category, MessageText: e.Message})
		if t := a.opts.Tail; t > 0 && len(n.Lines) > 2*t {
			n.Lines = append(n.Lines[:0:0], n.Lines[len(n.Lines)-t:]...)
		}
	}
}

func (a *ActivityTree) node(id string) *ActivityElement {
	if n, ok := a.nodes[id]; ok {
		return n
	}
	return a.Root
}

func setStatus(n *ActivityElement, s ActivityStatus, at time.Time) {
	if s == "" {
		return
	}
	n.Status = s
	if s != ActivityPending && n.Started.IsZero() {
		n.Started = at
	}
	if s.IsFinal() && n.Ended.IsZero() {
		n.Ended = at
	}
}

// Finish completes the tree against the task's current state: the root
// takes the task's status, lines are cut to Tail, and nodes a completed
// task left open (a crash, a cancelled step) end with the task.
func (a *ActivityTree) Finish(t *Task) *ActivityElement {
	var rootStatus ActivityStatus
	switch t.State {
	case TaskQueued:
		rootStatus = ActivityPending
	case TaskExecuting, TaskCancelling:
		rootStatus = ActivityRunning
	case TaskSuccess:
		rootStatus = ActivitySuccess
	case TaskCanceled:
		rootStatus = ActivityCanceled
	default:
		rootStatus = ActivityFailed
	}
	a.Root.Status, a.Root.Started, a.Root.Ended = rootStatus, t.StartTime, t.CompletedTime
	var walk func(n *ActivityElement)
	walk = func(n *ActivityElement) {
		if tl := a.opts.Tail; tl > 0 && len(n.Lines) > tl {
			n.Lines = n.Lines[len(n.Lines)-tl:]
		}
		if t.IsCompleted() && n != a.Root && !n.Status.IsFinal() {
			switch {
			case n.Status == ActivityPending:
				n.Status = ActivitySkipped
			case t.State == TaskCanceled:
				n.Status = ActivityCanceled
			default:
				n.Status = ActivityFailed
			}
			if n.Ended.IsZero() {
				n.Ended = t.CompletedTime
			}
		}
		for _, c := range n.Children {
			walk(c)
		}
	}
	walk(a.Root)
	return a.Root
}

// TaskProgress is a rough estimate of how far a task is.
type TaskProgress struct {
	// Percentage is 0–100: 100 once the task has completed.
	Percentage int
	// Remaining is a guess at the time left; 0 when unknown or completed.
	Remaining time.Duration
}

// ProgressOf estimates the progress of t from root, its activity tree
// after Finish: the share of the root's children (a deployment's steps,
// which the executor plans up front) that have ended. Remaining assumes
// the steps left take as long on average as those that ended. A task
// without children stays at 0 until it completes. It reads only the first
// level of the tree, so it costs nothing next to building the tree.
func ProgressOf(t *Task, root *ActivityElement, now time.Time) TaskProgress {
	if t.IsCompleted() {
		return TaskProgress{Percentage: 100}
	}
	if root == nil || len(root.Children) == 0 {
		return TaskProgress{}
	}
	total, done := len(root.Children), 0
	for _, c := range root.Children {
		if c.Status.IsFinal() {
			done++
		}
	}
	p := TaskProgress{Percentage: done * 100 / total}
	if done > 0 && !t.StartTime.IsZero() && now.After(t.StartTime) {
		p.Remaining = now.Sub(t.StartTime) / time.Duration(done) * time.Duration(total-done)
	}
	return p
}
