package app_test

import (
	"testing"
	"time"

	"github.com/argonautdeploy/argonaut/app"
)

func TestTaskStateDerivedFlags(t *testing.T) {
	tests := []struct {
		state               app.TaskState
		completed, finished bool
	}{
		{app.TaskQueued, false, false},
		{app.TaskExecuting, false, false},
		{app.TaskCancelling, false, false},
		{app.TaskSuccess, true, true},
		{app.TaskFailed, true, false},
		{app.TaskCanceled, true, false},
		{app.TaskTimedOut, true, false},
	}
	if len(tests) != len(app.TaskStates) {
		t.Fatalf("table covers %d states, the domain has %d", len(tests), len(app.TaskStates))
	}
	for _, tc := range tests {
		t.Run(string(tc.state), func(t *testing.T) {
			task := &app.Task{State: tc.state}
			if got := task.IsCompleted(); got != tc.completed {
				t.Errorf("IsCompleted = %v, want %v", got, tc.completed)
			}
			if got := task.FinishedSuccessfully(); got != tc.finished {
				t.Errorf("FinishedSuccessfully = %v, want %v", got, tc.finished)
			}
			// Clients decide on these two alone: success implies completion.
			if task.FinishedSuccessfully() && !task.IsCompleted() {
				t.Error("FinishedSuccessfully without IsCompleted")
			}
			if !tc.state.Valid() {
				t.Error("not Valid")
			}
			if s, ok := app.ParseTaskState(string(tc.state)); !ok || s != tc.state {
				t.Errorf("ParseTaskState(%q) = %q, %v", tc.state, s, ok)
			}
		})
	}
	if app.TaskState("Running").Valid() {
		t.Error("unknown state is Valid")
	}
}

func TestTaskTransitions(t *testing.T) {
	allowed := map[[2]app.TaskState]bool{
		{app.TaskQueued, app.TaskExecuting}:     true,
		{app.TaskQueued, app.TaskCanceled}:      true,
		{app.TaskQueued, app.TaskTimedOut}:      true,
		{app.TaskQueued, app.TaskFailed}:        true,
		{app.TaskExecuting, app.TaskSuccess}:    true,
		{app.TaskExecuting, app.TaskFailed}:     true,
		{app.TaskExecuting, app.TaskCancelling}: true,
		{app.TaskExecuting, app.TaskCanceled}:   true,
		{app.TaskCancelling, app.TaskCanceled}:  true,
		{app.TaskCancelling, app.TaskFailed}:    true,
	}
	for _, from := range app.TaskStates {
		for _, to := range app.TaskStates {
			want := allowed[[2]app.TaskState{from, to}]
			if got := app.CanTransition(from, to); got != want {
				t.Errorf("CanTransition(%s, %s) = %v, want %v", from, to, got, want)
			}
			if from.IsCompleted() && app.CanTransition(from, to) {
				t.Errorf("completed state %s may change to %s", from, to)
			}
		}
	}
}

func TestTaskValidateAndDuration(t *testing.T) {
	now := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	bad := &app.Task{SpaceID: "Spaces-1", QueueTime: now, QueueTimeExpiry: now}
	if err := bad.Validate(); app.ErrorCode(err) != app.EINVALID || len(app.ErrorDetails(err)) != 2 {
		t.Errorf("Validate = %v (%v), want two problems", err, app.ErrorDetails(err))
	}
	ok := &app.Task{SpaceID: "Spaces-1", Name: "Deploy", QueueTime: now, QueueTimeExpiry: now.Add(time.Minute)}
	if err := ok.Validate(); err != nil {
		t.Errorf("Validate = %v", err)
	}
	running := &app.Task{StartTime: now}
	if got := running.Duration(now.Add(90 * time.Second)); got != 90*time.Second {
		t.Errorf("Duration = %v", got)
	}
	done := &app.Task{StartTime: now, CompletedTime: now.Add(3 * time.Second)}
	if got := app.HumanDuration(done.Duration(now.Add(time.Hour))); got != "3 seconds" {
		t.Errorf("HumanDuration = %q", got)
	}
	for d, want := range map[time.Duration]string{time.Second: "1 second", 2 * time.Minute: "2 minutes", time.Hour: "1 hour", 72 * time.Hour: "3 days"} {
		if got := app.HumanDuration(d); got != want {
			t.Errorf("HumanDuration(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestTaskFilter(t *testing.T) {
	task := &app.Task{ID: "ServerTasks-3", SpaceID: "Spaces-1", Name: "Deploy", State: app.TaskExecuting, ProjectID: "Projects-1", EnvironmentID: "Environments-2"}
	yes, no := true, false
	tests := []struct {
		name string
		f    app.TaskFilter
		want bool
	}{
		{"empty", app.TaskFilter{}, true},
		{"ids", app.TaskFilter{IDs: []string{"servertasks-3"}}, true},
		{"other id", app.TaskFilter{IDs: []string{"ServerTasks-4"}}, false},
		{"state", app.TaskFilter{States: []app.TaskState{app.TaskQueued, app.TaskExecuting}}, true},
		{"other state", app.TaskFilter{States: []app.TaskState{app.TaskSuccess}}, false},
		{"project and environment", app.TaskFilter{ProjectIDs: []string{"Projects-1"}, EnvironmentIDs: []string{"Environments-2"}}, true},
		{"other environment", app.TaskFilter{EnvironmentIDs: []string{"Environments-1"}}, false},
		{"active", app.TaskFilter{Active: &yes}, true},
		{"completed only", app.TaskFilter{Active: &no}, false},
		{"space", app.TaskFilter{SpaceIDs: []string{"Spaces-2"}}, false},
	}
	for _, tc := range tests {
		if got := tc.f.Matches(task); got != tc.want {
			t.Errorf("%s: Matches = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestActivityTree(t *testing.T) {
	at := func(s int) time.Time { return time.Date(2024, 5, 1, 12, 0, s, 0, time.UTC) }
	task := &app.Task{ID: "ServerTasks-1", Description: "Deploy Acme", State: app.TaskFailed, StartTime: at(0), CompletedTime: at(9)}
	events := []app.LogEvent{
		{Seq: 1, Kind: app.LogLine, Category: app.LogInfo, Message: "starting", At: at(0)},
		{Seq: 2, Kind: app.LogOpen, NodeID: "s1", Name: "Step 1", Status: app.ActivityRunning, At: at(1)},
		{Seq: 3, Kind: app.LogOpen, NodeID: "t1", ParentID: "s1", Name: "web-01", Status: app.ActivityRunning, At: at(1)},
		{Seq: 4, Kind: app.LogLine, NodeID: "t1", Category: app.LogVerbose, Message: "detail", At: at(2)},
		{Seq: 5, Kind: app.LogLine, NodeID: "t1", Category: app.LogInfo, Message: "hello", At: at(2)},
		{Seq: 6, Kind: app.LogStatus, NodeID: "t1", Status: app.ActivitySuccess, At: at(3)},
		{Seq: 7, Kind: app.LogOpen, NodeID: "s2", Name: "Step 2", Status: app.ActivityPending, At: at(3)},
		{Seq: 8, Kind: app.LogLine, NodeID: "nope", Category: app.LogFatal, Message: "orphan", At: at(4)},
	}
	tree := app.NewActivityTree(task, app.ActivityOptions{})
	for i := range events {
		tree.Add(&events[i])
	}
	root := tree.Finish(task)
	if root.Status != app.ActivityFailed || root.Name != "Deploy Acme" || len(root.Children) != 2 {
		t.Fatalf("root = %+v", root)
	}
	if len(root.Lines) != 2 || root.Lines[1].MessageText != "orphan" {
		t.Errorf("root lines = %+v, want the task line and the orphan", root.Lines)
	}
	s1, s2 := root.Children[0], root.Children[1]
	if s1.Status != app.ActivityFailed || !s1.Ended.Equal(at(9)) {
		t.Errorf("open step of a failed task = %s ended %v, want Failed at completion", s1.Status, s1.Ended)
	}
	t1 := s1.Children[0]
	if t1.Status != app.ActivitySuccess || !t1.Started.Equal(at(1)) || !t1.Ended.Equal(at(3)) || len(t1.Lines) != 1 {
		t.Errorf("target = %+v, want Success 1s–3s with one non-verbose line", t1)
	}
	if s2.Status != app.ActivitySkipped {
		t.Errorf("pending step = %s, want Skipped", s2.Status)
	}

	verbose := app.NewActivityTree(task, app.ActivityOptions{Verbose: true, Tail: 1})
	for i := range events {
		verbose.Add(&events[i])
	}
	if got := verbose.Finish(task).Children[0].Children[0].Lines; len(got) != 1 || got[0].MessageText != "hello" {
		t.Errorf("tail=1 lines = %+v", got)
	}
}

func TestProgressOf(t *testing.T) {
	start := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	steps := func(statuses ...app.ActivityStatus) *app.ActivityElement {
		root := &app.ActivityElement{ID: "ServerTasks-1"}
		for _, s := range statuses {
			root.Children = append(root.Children, &app.ActivityElement{Status: s})
		}
		return root
	}
	tests := []struct {
		name  string
		state app.TaskState
		root  *app.ActivityElement
		want  app.TaskProgress
	}{
		{"queued", app.TaskQueued, steps(), app.TaskProgress{}},
		{"no steps yet", app.TaskExecuting, steps(), app.TaskProgress{}},
		{"first of three running", app.TaskExecuting, steps(app.ActivityRunning, app.ActivityPending, app.ActivityPending), app.TaskProgress{}},
		{"one of three ended", app.TaskExecuting, steps(app.ActivitySuccess, app.ActivityRunning, app.ActivityPending),
			app.TaskProgress{Percentage: 33, Remaining: 60 * time.Second}},
		{"skipped counts as ended", app.TaskExecuting, steps(app.ActivitySkipped, app.ActivityFailed, app.ActivityRunning, app.ActivityPending),
			app.TaskProgress{Percentage: 50, Remaining: 30 * time.Second}},
		{"completed", app.TaskSuccess, steps(app.ActivitySuccess, app.ActivityPending), app.TaskProgress{Percentage: 100}},
		{"failed is completed too", app.TaskFailed, steps(app.ActivityFailed, app.ActivitySkipped), app.TaskProgress{Percentage: 100}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			task := &app.Task{ID: "ServerTasks-1", State: tc.state, StartTime: start}
			if got := app.ProgressOf(task, tc.root, start.Add(30*time.Second)); got != tc.want {
				t.Errorf("ProgressOf = %+v, want %+v", got, tc.want)
			}
		})
	}
}
