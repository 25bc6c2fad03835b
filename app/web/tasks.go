package web

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/argonautdeploy/argonaut/app"
	"github.com/argonautdeploy/argonaut/views"
	"github.com/gofiber/fiber/v2"
)

// TaskFollower streams a task's log: the events after a cursor that are
// stored, then live ones, until the task completes. tasks.Engine is one.
type TaskFollower interface {
	Follow(ctx context.Context, id string, after uint64, fn func(ev *app.LogEvent) error) error
}

// Limits of the task page.
const (
	// pageTail is how many lines of a running or failed activity the task
	// page renders; earlier ones are loaded on demand.
	pageTail = 200
	// liveLineCap is the most lines per activity the live log keeps in the page.
	liveLineCap = 1000
	// linesPage is how many lines one "load earlier" request returns.
	linesPage = 1000
	// tasksPageSize is how many tasks one page of the list shows.
	tasksPageSize = 30
)

// StreamTiming tunes the live log stream; tests shorten it.
type StreamTiming struct {
	// Poll is how often the stream re-reads the task's state.
	Poll time.Duration
	// KeepAlive is the longest silence before a comment line is sent (which
	// also notices a client that went away).
	KeepAlive time.Duration
}

func (s StreamTiming) orDefaults() StreamTiming {
	if s.Poll <= 0 {
		s.Poll = time.Second
	}
	if s.KeepAlive <= 0 {
		s.KeepAlive = 15 * time.Second
	}
	return s
}

// viewableTask loads the :id task if the user may view it. Users who may
// not see a task get the same 404 as for one that does not exist
// (CVE-2020-12286: a task's existence is not disclosed either).
func (h *Handler) viewableTask(c *fiber.Ctx) (*app.Task, error) {
	t, err := h.Tasks.FindTaskByID(c.UserContext(), c.Params("id"))
	if err != nil {
		return nil, err
	}
	if !canViewTask(app.PrincipalFrom(c.UserContext()), t) {
		return nil, app.NotFound(c.Params("id"))
	}
	return t, nil
}

// canViewTask is the one rule for who may see a task, its log and its
// events. Permissions are not yet scoped to projects or environments (teams
// come later); when they are, this is the place that checks t.ProjectID and
// t.EnvironmentID.
func canViewTask(u *app.User, t *app.Task) bool {
	return u.Can(app.PermTaskView) && t.SpaceID != ""
}

// taskTree folds the whole log of t into the page's tree: every activity
// with its line count, the last pageTail lines of those still running or
// failed, none of those that finished well (collapsed). It also returns the
// last Seq read, from where the live stream resumes, and the task's
// progress (app.ProgressOf) in percent.
func (h *Handler) taskTree(ctx context.Context, t *app.Task) (*views.TaskNode, uint64, int, error) {
	tree := app.NewActivityTree(t, app.ActivityOptions{Verbose: true, Tail: pageTail})
	counts := map[string]int{}
	nodeOf := map[string]string{"": t.ID}
	var cursor uint64
	err := h.TaskLogs.ScanTaskLog(ctx, t.ID, 0, func(e *app.LogEvent) error {
		cursor = e.Seq
		switch e.Kind {
		case app.LogOpen:
			nodeOf[e.NodeID] = e.NodeID
		case app.LogLine:
			id, ok := nodeOf[e.NodeID]
			if !ok {
				id = t.ID
			}
			counts[id]++
		}
		tree.Add(e)
		return nil
	})
	if err != nil {
		return nil, 0, 0, err
	}
	root := tree.Finish(t)
	var convert func(a *app.ActivityElement, depth int) *views.TaskNode
	convert = func(a *app.ActivityElement, depth int) *views.TaskNode {
		n := &views.TaskNode{ID: a.ID, Name: a.Name, Status: a.Status, LineCount: counts[a.ID], Lines: a.Lines}
		if depth > 0 && n.LineCount > 0 && (a.Status == app.ActivitySuccess || a.Status == app.ActivitySkipped) {
			n.Collapsed, n.Lines = true, nil
		}
		for _, c := range a.Children {
			n.Children = append(n.Children, convert(c, depth+1))
		}
		return n
	}
	return convert(root, 0), cursor, app.ProgressOf(t, root, time.Now()).Percentage, nil
}

func (h *Handler) task(c *fiber.Ctx) error {
	t, err := h.viewableTask(c)
	if err != nil {
		return err
	}
	root, cursor, progress, err := h.taskTree(c.UserContext(), t)
	if err != nil {
		return err
	}
	page := views.TaskPage{Task: t, Now: time.Now(), Root: root, Cursor: cursor, LineCap: liveLineCap,
		Progress: progress}
	if err := h.decorateTaskPage(c, &page); err != nil {
		return err
	}
	return render(c, fiber.StatusOK, views.TaskView(page))
}

// taskLines serves the lines fragment: the last linesPage lines of one
// activity (?node=) before a Seq (?before=, 0 = the end), oldest first.
// X-Earlier-Lines says how many lines come before them, X-First-Seq where
// the next "load earlier" starts.
func (h *Handler) taskLines(c *fiber.Ctx) error {
	t, err := h.viewableTask(c)
	if err != nil {
		return err
	}
	node := c.Query("node")
	if node == "" || node == t.ID {
		node = ""
	}
	before, _ := strconv.ParseUint(c.Query("before"), 10, 64)
	limit := linesPage
	ring := make([]app.LogElement, 0, limit)
	start, total := 0, 0
	known := map[string]bool{"": true}
	err = h.TaskLogs.ScanTaskLog(c.UserContext(), t.ID, 0, func(e *app.LogEvent) error {
		if before > 0 && e.Seq >= before {
			return errStopScan
		}
		switch e.Kind {
		case app.LogOpen:
			known[e.NodeID] = true
		case app.LogLine:
			id := e.NodeID
			if !known[id] || id == t.ID {
				id = "" // lines of unknown nodes show under the root, as in the tree
			}
			if id != node {
				return nil
			}
			total++
			l := app.LogElement{Seq: e.Seq, OccurredAt: e.At, Category: e.Category, MessageText: e.Message}
			if len(ring) < limit {
				ring = append(ring, l)
			} else {
				ring[start] = l
				start = (start + 1) % limit
			}
		}
		return nil
	})
	if err != nil && err != errStopScan {
		return err
	}
	lines := append(ring[start:len(ring):len(ring)], ring[:start]...)
	c.Set("X-Earlier-Lines", strconv.Itoa(total-len(lines)))
	if len(lines) > 0 {
		c.Set("X-First-Seq", strconv.FormatUint(lines[0].Seq, 10))
	}
	return render(c, fiber.StatusOK, views.TaskLines(lines))
}

var errStopScan = fmt.Errorf("stop scan")

func (h *Handler) taskCancel(c *fiber.Ctx) error {
	t, err := h.viewableTask(c)
	if err != nil {
		return err
	}
	if _, err := h.Tasks.CancelTask(c.UserContext(), t.ID); err != nil {
		return err
	}
	return h.redirectWithFlash(c, string(views.TaskURL(t.ID)), "Cancellation requested.")
}

func (h *Handler) tasks(c *fiber.Ctx) error {
	pageNo, _ := strconv.Atoi(c.Query("page"))
	pageNo = max(pageNo, 1)
	f := app.TaskFilter{SpaceIDs: []string{spaceID}, Skip: (pageNo - 1) * tasksPageSize, Take: tasksPageSize}
	state := c.Query("state")
	if state != "" {
		s, ok := app.ParseTaskState(state)
		if !ok {
			return app.Invalid(fmt.Sprintf("Unknown task state '%s'.", state))
		}
		state = string(s)
		f.States = []app.TaskState{s}
	}
	user := app.PrincipalFrom(c.UserContext())
	items, total, err := h.Tasks.FindTasks(c.UserContext(), f)
	if err != nil {
		return err
	}
	visible := items[:0:0]
	for _, t := range items {
		if canViewTask(user, t) {
			visible = append(visible, t)
		}
	}
	pages := max((total+tasksPageSize-1)/tasksPageSize, 1)
	return render(c, fiber.StatusOK, views.Tasks(views.TasksPage{Tasks: visible, Now: time.Now(), State: state,
		Page: pageNo, Pages: pages, Total: total}))
}

// streamEvent is one log event as the live log receives it.
type streamEvent struct {
	Seq    uint64 `json:"seq"`
	Kind   string `json:"kind"`
	Node   string `json:"node,omitempty"`
	Parent string `json:"parent,omitempty"`
	Name   string `json:"name,omitempty"`
	Status string `json:"status,omitempty"`
	At     string `json:"at,omitempty"`
	Cat    string `json:"cat,omitempty"`
	Msg    string `json:"msg,omitempty"`
}

func toStreamEvent(e *app.LogEvent) streamEvent {
	kind := "line"
	switch e.Kind {
	case app.LogOpen:
		kind = "open"
	case app.LogStatus:
		kind = "status"
	}
	return streamEvent{Seq: e.Seq, Kind: kind, Node: e.NodeID, Parent: e.ParentID, Name: e.Name, Status: string(e.Status),
		At: e.At.UTC().Format(time.RFC3339Nano), Cat: string(e.Category), Msg: e.Message}
}

// streamState is the task's header as the live log updates it.
type streamState struct {
	State       string `json:"state"`
	StateClass  string `json:"stateClass"`
	Completed   bool   `json:"completed"`
	CompletedAt string `json:"completedAt,omitempty"`
	Duration    string `json:"duration"`
	Pending     bool   `json:"pending"`
	// Progress is 100 once the task has completed and 0 before: while it
	// runs, tasklog.js counts the steps that ended (as app.ProgressOf does).
	Progress int `json:"progress"`
}

func stateOf(t *app.Task) streamState {
	s := streamState{State: string(t.State), StateClass: views.TaskStateClass(t.State), Completed: t.IsCompleted(),
		Duration: app.HumanDuration(t.Duration(time.Now())), Pending: t.HasPendingInterruptions}
	if t.IsCompleted() {
		s.Progress = 100
		if !t.CompletedTime.IsZero() {
			s.CompletedAt = t.CompletedTime.UTC().Format("2 Jan 2006 15:04:05 UTC")
		}
	}
	return s
}

// taskEvents streams the task's log as Server-Sent Events: each log event
// after the cursor (?cursor=, or the Last-Event-ID header of a reconnecting
// EventSource) as a message whose id is its Seq; "task" events when the
// state or pending interruptions change; one "end" event when the task has
// completed and every line was sent; comment lines as keep-alives. It stops
// when the client goes away, when the task completes, or when the portal
// closes.
func (h *Handler) taskEvents(c *fiber.Ctx) error {
	t, err := h.viewableTask(c)
	if err != nil {
		return err
	}
	cursor, _ := strconv.ParseUint(c.Query("cursor"), 10, 64)
	if v := c.Get("Last-Event-ID"); v != "" {
		if n, err := strconv.ParseUint(v, 10, 64); err == nil {
			cursor = n
		}
	}
	c.Set(fiber.HeaderContentType, "text/event-stream")
	c.Set("X-Accel-Buffering", "no")
	// Everything the stream needs is copied out of c: the stream writer runs
	// after this handler has returned, and c is then reused.
	s := &eventStream{tasks: h.Tasks, follow: h.TaskFollow, id: t.ID, cursor: cursor,
		timing: h.StreamTiming.orDefaults(), closing: h.closing}
	c.Context().SetBodyStreamWriter(s.run)
	return nil
}

type eventStream struct {
	tasks   app.TaskService
	follow  TaskFollower
	id      string
	cursor  uint64
	timing  StreamTiming
	closing context.Context
}

func (s *eventStream) run(w *bufio.Writer) {
	ctx, cancel := context.WithCancel(s.closing)
	defer cancel()
	events := make(chan streamEvent, 256)
	done := make(chan error, 1)
	go func() {
		done <- s.follow.Follow(ctx, s.id, s.cursor, func(e *app.LogEvent) error {
			select {
			case events <- toStreamEvent(e):
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		})
	}()
	// Wait for Follow before returning, so that nothing outlives the stream.
	followed := false
	defer func() {
		cancel()
		if !followed {
			<-done
		}
	}()

	write := func(ev streamEvent) {
		b, _ := json.Marshal(ev)
		fmt.Fprintf(w, "id: %d\ndata: %s\n\n", ev.Seq, b)
	}
	sendState := func(name string, st streamState) {
		b, _ := json.Marshal(st)
		fmt.Fprintf(w, "event: %s\ndata: %s\n\n", name, b)
	}
	fmt.Fprint(w, "retry: 2000\n\n")
	var last streamState
	if t, err := s.tasks.FindTaskByID(ctx, s.id); err == nil {
		last = stateOf(t)
		sendState("task", last)
	}
	if w.Flush() != nil {
		return
	}
	poll := time.NewTicker(s.timing.Poll)
	defer poll.Stop()
	lastWrite := time.Now()
	for {
		select {
		case ev := <-events:
			write(ev)
			if len(events) == 0 {
				if w.Flush() != nil {
					return
				}
				lastWrite = time.Now()
			}
		case err := <-done:
			followed = true
			for len(events) > 0 {
				write(<-events)
			}
			if err == nil {
				if t, ferr := s.tasks.FindTaskByID(context.Background(), s.id); ferr == nil {
					sendState("end", stateOf(t))
				}
			}
			w.Flush()
			return
		case <-poll.C:
			wrote := false
			if t, err := s.tasks.FindTaskByID(ctx, s.id); err == nil {
				if st := stateOf(t); st.State != last.State || st.Pending != last.Pending || st.Duration != last.Duration {
					last = st
					sendState("task", st)
					wrote = true
				}
			}
			if !wrote && time.Since(lastWrite) >= s.timing.KeepAlive {
				fmt.Fprint(w, ": keep-alive\n\n")
				wrote = true
			}
			if wrote {
				if w.Flush() != nil {
					return
				}
				lastWrite = time.Now()
			}
		case <-ctx.Done():
			return
		}
	}
}
