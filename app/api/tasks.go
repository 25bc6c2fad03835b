package api

import (
	"bufio"
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/argonautdeploy/argonaut/app"
	"github.com/gofiber/fiber/v2"
)

// spaceSegment matches a {spaceId} path segment.
const spaceSegment = "/:space<regex(^(?i)spaces-[0-9]+$)>"

// TaskResource is a server task as clients see it. IsCompleted and
// FinishedSuccessfully are derived from State only: clients decide on them.
type TaskResource struct {
	Id                         string
	SpaceId                    string
	Name                       string
	Description                string
	Arguments                  map[string]string
	State                      string
	Completed                  string
	QueueTime                  Time
	QueueTimeExpiry            Time
	StartTime                  Time
	CompletedTime              Time
	LastUpdatedTime            Time
	Duration                   string
	ErrorMessage               string
	ConcurrencyTag             string
	HasBeenPickedUpByProcessor bool
	IsCompleted                bool
	FinishedSuccessfully       bool
	HasPendingInterruptions    bool
	HasWarningsOrErrors        bool
	CanRerun                   bool
	ProjectId                  string
	EnvironmentId              string
	TenantId                   string
	ServerNode                 string
	Links                      map[string]string
}

// completedFormat is how Octopus writes the human "Completed" text.
const completedFormat = "Monday, 02 January 2006 15:04:05 -07:00"

func taskDTO(t *app.Task, now time.Time) TaskResource {
	self := "/api/tasks/" + t.ID
	queued := t.QueueTime
	if queued.IsZero() {
		queued = t.Created
	}
	updated := t.Created
	for _, v := range []time.Time{t.StartTime, t.CompletedTime} {
		if v.After(updated) {
			updated = v
		}
	}
	completed := ""
	if t.IsCompleted() && !t.CompletedTime.IsZero() {
		completed = t.CompletedTime.UTC().Format(completedFormat)
	}
	args := t.Arguments
	if args == nil {
		args = map[string]string{}
	}
	return TaskResource{
		Id: t.ID, SpaceId: t.SpaceID, Name: t.Name, Description: t.Description, Arguments: args,
		State: string(t.State), Completed: completed, QueueTime: Time{queued}, QueueTimeExpiry: Time{t.QueueTimeExpiry},
		StartTime: Time{t.StartTime}, CompletedTime: Time{t.CompletedTime}, LastUpdatedTime: Time{updated},
		Duration: app.HumanDuration(t.Duration(now)), ErrorMessage: t.ErrorMessage, ConcurrencyTag: t.ConcurrencyTag,
		HasBeenPickedUpByProcessor: !t.StartTime.IsZero(), IsCompleted: t.IsCompleted(),
		FinishedSuccessfully: t.FinishedSuccessfully(), HasPendingInterruptions: t.HasPendingInterruptions,
		HasWarningsOrErrors: t.HasWarningsOrErrors, CanRerun: t.IsCompleted(), ProjectId: t.ProjectID,
		EnvironmentId: t.EnvironmentID, TenantId: t.TenantID, ServerNode: "argonaut",
		Links: map[string]string{
			"Self":          self,
			"Web":           "/app/tasks/" + t.ID,
			"Raw":           self + "/raw",
			"Details":       self + "/details{?verbose,tail}",
			"Cancel":        self + "/cancel",
			"Rerun":         "/api/tasks/rerun/" + t.ID,
			"Artifacts":     spaceLink(t.SpaceID, "/artifacts?regarding=%s", t.ID),
			"Interruptions": spaceLink(t.SpaceID, "/interruptions?regarding=%s", t.ID),
		},
	}
}

// ActivityElementResource is one node of a task's activity tree.
type ActivityElementResource struct {
	Id                 string
	Name               string
	Status             string
	Started            Time
	Ended              Time
	ShowAtSummaryLevel bool
	Children           []ActivityElementResource
	LogElements        []LogElementResource
}

// LogElementResource is one log line.
type LogElementResource struct {
	OccurredAt  Time
	Category    string
	MessageText string
	Number      uint64
}

// TaskDetailsResource is GET /api/tasks/{id}/details.
type TaskDetailsResource struct {
	Task            TaskResource
	ActivityLogs    []ActivityElementResource
	PhysicalLogSize int64
	Progress        TaskProgressResource
	Links           map[string]string
}

// TaskProgressResource is the progress estimate of a task (see
// app.ProgressOf): the share of its steps that have ended, and a rough
// "2 minutes" left ("" when there is no estimate yet or it has completed).
type TaskProgressResource struct {
	ProgressPercentage     int
	EstimatedTimeRemaining string
}

func activityDTO(a *app.ActivityElement, depth int) ActivityElementResource {
	out := ActivityElementResource{Id: a.ID, Name: a.Name, Status: string(a.Status), Started: Time{a.Started},
		Ended: Time{a.Ended}, ShowAtSummaryLevel: depth <= 1, Children: []ActivityElementResource{},
		LogElements: make([]LogElementResource, 0, len(a.Lines))}
	for _, c := range a.Children {
		out.Children = append(out.Children, activityDTO(c, depth+1))
	}
	for _, l := range a.Lines {
		out.LogElements = append(out.LogElements, LogElementResource{OccurredAt: Time{l.OccurredAt},
			Category: string(l.Category), MessageText: l.MessageText, Number: l.Seq})
	}
	return out
}

// taskFilter reads the task list query: skip, take, ids, states,
// project(s), environment(s), tenant(s), spaces, name, active.
func taskFilter(c *fiber.Ctx) (app.TaskFilter, error) {
	skip, err := queryInt(c, "skip", 0)
	if err != nil {
		return app.TaskFilter{}, err
	}
	take, err := queryInt(c, "take", DefaultPageSize)
	if err != nil {
		return app.TaskFilter{}, err
	}
	f := app.TaskFilter{Skip: skip, Take: min(take, maxPageSize), IDs: splitList(c.Query("ids")),
		ProjectIDs:     splitList(c.Query("project") + "," + c.Query("projects")),
		EnvironmentIDs: splitList(c.Query("environment") + "," + c.Query("environments")),
		TenantIDs:      splitList(c.Query("tenant") + "," + c.Query("tenants")),
		SpaceIDs:       splitList(c.Query("spaces")), Names: splitList(c.Query("name"))}
	if f.Take == 0 {
		f.Take = DefaultPageSize
	}
	for _, s := range splitList(c.Query("states")) {
		st, ok := app.ParseTaskState(s)
		if !ok {
			return f, app.Invalid(fmt.Sprintf("Unknown task state '%s'.", s))
		}
		f.States = append(f.States, st)
	}
	if v := c.Query("active"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return f, app.Invalid("The query parameter 'active' must be true or false.")
		}
		f.Active = &b
	}
	if s := c.Params("space"); s != "" {
		f.SpaceIDs = []string{s}
	}
	return f, nil
}

func (h *Handler) listTasks(c *fiber.Ctx) error {
	f, err := taskFilter(c)
	if err != nil {
		return err
	}
	items, total, err := h.Tasks.FindTasks(c.UserContext(), f)
	if err != nil {
		return err
	}
	now := time.Now()
	dtos := mapAll(items, func(t *app.Task) TaskResource { return taskDTO(t, now) })
	return c.JSON(page(c, "Task", dtos, total, app.Filter{Skip: f.Skip, Take: f.Take}))
}

// findTask loads the task the :id parameter names, in the :space of the
// route if there is one.
func (h *Handler) findTask(c *fiber.Ctx) (*app.Task, error) {
	t, err := h.Tasks.FindTaskByID(c.UserContext(), c.Params("id"))
	if err != nil {
		return nil, err
	}
	if s := c.Params("space"); s != "" && !strings.EqualFold(s, t.SpaceID) {
		return nil, app.NotFound(c.Params("id"))
	}
	return t, nil
}

func (h *Handler) getTask(c *fiber.Ctx) error {
	t, err := h.findTask(c)
	if err != nil {
		return err
	}
	return c.JSON(taskDTO(t, time.Now()))
}

// taskDetails serves the task with its activity tree; ?verbose=true keeps
// Verbose lines, ?tail=N keeps the last N lines of each node.
func (h *Handler) taskDetails(c *fiber.Ctx) error {
	t, err := h.findTask(c)
	if err != nil {
		return err
	}
	tail, err := queryInt(c, "tail", 0)
	if err != nil {
		return err
	}
	tree := app.NewActivityTree(t, app.ActivityOptions{Verbose: c.QueryBool("verbose", false), Tail: tail})
	var size int64
	if err := h.TaskLogs.ScanTaskLog(c.UserContext(), t.ID, 0, func(e *app.LogEvent) error {
		size += int64(len(e.Message))
		tree.Add(e)
		return nil
	}); err != nil {
		return err
	}
	// Re-read the task: it may have completed while the log was read, and
	// the tree must not show a finished log under a running task.
	if fresh, err := h.Tasks.FindTaskByID(c.UserContext(), t.ID); err == nil {
		t = fresh
	}
	root := tree.Finish(t)
	now := time.Now()
	progress := app.ProgressOf(t, root, now)
	remaining := ""
	if progress.Remaining > 0 {
		remaining = app.HumanDuration(progress.Remaining)
	}
	return c.JSON(TaskDetailsResource{Task: taskDTO(t, now), ActivityLogs: []ActivityElementResource{activityDTO(root, 0)},
		PhysicalLogSize: size, Progress: TaskProgressResource{ProgressPercentage: progress.Percentage, EstimatedTimeRemaining: remaining},
		Links: map[string]string{"Self": "/api/tasks/" + t.ID + "/details"}})
}

// taskRaw streams the log as text, in the order it was written, without
// holding it in memory: the store hands over a few batches at a time.
func (h *Handler) taskRaw(c *fiber.Ctx) error {
	t, err := h.findTask(c)
	if err != nil {
		return err
	}
	logs, version := h.TaskLogs, h.version
	c.Set(fiber.HeaderContentType, "text/plain; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, `inline; filename="`+t.ID+`.txt"`)
	c.Context().SetBodyStreamWriter(func(w *bufio.Writer) {
		writeRawHeader(w, t, version)
		depth := map[string]int{"": 0}
		err := logs.ScanTaskLog(context.Background(), t.ID, 0, func(e *app.LogEvent) error {
			writeRawEvent(w, e, depth)
			if w.Buffered() > 32<<10 {
				return w.Flush() // a gone client ends the scan
			}
			return nil
		})
		if err != nil {
			fmt.Fprintf(w, "\n(The log could not be read completely: %s)\n", app.ErrorMessage(err))
		}
		w.Flush()
	})
	return nil
}

func writeRawHeader(w *bufio.Writer, t *app.Task, version string) {
	at := func(v time.Time) string {
		if v.IsZero() {
			return ""
		}
		return v.UTC().Format(completedFormat)
	}
	fmt.Fprintf(w, "Task ID:        %s\n", t.ID)
	fmt.Fprintf(w, "Task status:    %s\n", t.State)
	fmt.Fprintf(w, "Task queued:    %s\n", at(t.Created))
	fmt.Fprintf(w, "Task started:   %s\n", at(t.StartTime))
	fmt.Fprintf(w, "Task completed: %s\n", at(t.CompletedTime))
	fmt.Fprintf(w, "Task duration:  %s\n", app.HumanDuration(t.Duration(time.Now())))
	fmt.Fprintf(w, "Server version: %s\n", version)
	if t.ErrorMessage != "" {
		fmt.Fprintf(w, "Error:          %s\n", t.ErrorMessage)
	}
	fmt.Fprintf(w, "\n                    | == %s ==\n", t.Description)
}

// writeRawEvent renders one event as Octopus's raw log does:
// "HH:MM:SS   Category |   text", indented by the node's depth.
func writeRawEvent(w *bufio.Writer, e *app.LogEvent, depth map[string]int) {
	indent := func(node string) string { return strings.Repeat("  ", depth[node]+1) }
	switch e.Kind {
	case app.LogOpen:
		depth[e.NodeID] = depth[e.ParentID] + 1
		fmt.Fprintf(w, "                    | %s%s: %s\n", indent(e.ParentID), e.Status, e.Name)
	case app.LogStatus:
		if e.Status.IsFinal() {
			fmt.Fprintf(w, "                    | %s%s\n", indent(e.NodeID), e.Status)
		}
	case app.LogLine:
		fmt.Fprintf(w, "%s   %-8s | %s%s\n", e.At.UTC().Format("15:04:05"), e.Category, indent(e.NodeID), e.Message)
	}
}

func (h *Handler) cancelTask(c *fiber.Ctx) error {
	if _, err := h.findTask(c); err != nil {
		return err
	}
	t, err := h.Tasks.CancelTask(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	return c.JSON(taskDTO(t, time.Now()))
}

func (h *Handler) rerunTask(c *fiber.Ctx) error {
	if _, err := h.findTask(c); err != nil {
		return err
	}
	t, err := h.Tasks.RerunTask(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	return c.JSON(taskDTO(t, time.Now()))
}
