package server

import (
	"context"

	"github.com/argonautdeploy/argonaut/app/tasks"
	"github.com/argonautdeploy/argonaut/app/web"
)

// TaskConfig configures the task engine.
type TaskConfig struct {
	// TaskCap is the most tasks executing at once; 0 means tasks.DefaultCap (5).
	TaskCap int
	// TaskExecutors run tasks by Name. The server registers its own
	// (deployments, later); tests add theirs here.
	TaskExecutors map[string]tasks.Executor
	// StreamTiming tunes the portal's live log stream (zero: defaults).
	StreamTiming web.StreamTiming
}

// openTasks starts the task engine over the store. Its recovery pass fails
// tasks a crash left executing, before the API can show them.
func (s *Server) openTasks(ctx context.Context) error {
	s.Tasks = tasks.New(s.DB, tasks.Options{Cap: s.TaskCap, Executors: s.TaskExecutors, Logger: s.log})
	return s.Tasks.Start(ctx)
}

// closeTasks stops the engine: executing tasks are cancelled and end
// Failed ("interrupted by server shutdown"). Safe to call when not open.
func (s *Server) closeTasks() error {
	if s.Tasks == nil {
		return nil
	}
	return s.Tasks.Close()
}
