package server

import (
	"context"
	"io"
	"maps"
	"os"
	"path/filepath"
	"strings"

	"github.com/argonautdeploy/argonaut/app"
	"github.com/argonautdeploy/argonaut/app/deploy"
	"github.com/argonautdeploy/argonaut/app/deployments"
	"github.com/argonautdeploy/argonaut/app/tasks"
	"github.com/argonautdeploy/argonaut/app/web"
)

// TaskConfig configures the task engine.
type TaskConfig struct {
	// TaskCap is the most tasks executing at once; 0 means tasks.DefaultCap (5).
	TaskCap int
	// TaskExecutors run tasks by Name. The server registers its own
	// ("Deploy"); tests add theirs here (theirs win on a name clash).
	TaskExecutors map[string]tasks.Executor
	// StreamTiming tunes the portal's live log stream (zero: defaults).
	StreamTiming web.StreamTiming
}

// openTasks starts the task engine over the store with the server's own
// executors. Its recovery pass fails tasks a crash left executing, before
// the API can show them.
func (s *Server) openTasks(ctx context.Context) error {
	s.Interruptions = &deployments.Interruptions{Store: s.DB}
	executors := map[string]tasks.Executor{app.TaskNameDeploy: s.deployExecutor()}
	maps.Copy(executors, s.TaskExecutors)
	deps := &deployments.Service{Store: s.DB, Releases: s.DB, Projects: s.DB, Environments: s.DB, Machines: s.DB,
		Lifecycles: s.DB, Channels: s.DB, Tasks: s.DB}
	s.Tasks = tasks.New(s.DB, tasks.Options{Cap: s.TaskCap, Executors: executors, Logger: s.log,
		Rerunners: map[string]tasks.Rerunner{app.TaskNameDeploy: deps.Rerun}, OnComplete: s.taskCompleted})
	deps.Wake = s.Tasks.Wake
	s.Deployments = deps
	// Workspaces a crash left behind: nothing runs yet, so none is in use.
	if err := os.RemoveAll(filepath.Join(s.DataDir, "work")); err != nil {
		s.log.Warn("remove old work directories", "err", err)
	}
	if err := s.Tasks.Start(ctx); err != nil {
		return err
	}
	return s.closeOrphanedInterruptions(ctx)
}

// taskCompleted deploys a release on to the automatic environments of the
// lifecycle phases its successful deployment opened.
func (s *Server) taskCompleted(t *app.Task) {
	deps, err := s.Deployments.AutoDeployAfter(context.Background(), t)
	for _, d := range deps {
		s.log.Info("automatic deployment queued", "deployment", d.ID, "task", d.TaskID, "after", t.ID)
	}
	if err != nil {
		s.log.Error("automatic deployment", "after", t.ID, "err", err)
	}
}

// releaseCreated deploys a new release to the automatic environments of
// its lifecycle's first phase.
func (s *Server) releaseCreated(ctx context.Context, rel *app.Release) {
	deps, err := s.Deployments.AutoDeploy(ctx, rel)
	for _, d := range deps {
		s.log.Info("automatic deployment queued", "deployment", d.ID, "task", d.TaskID, "release", rel.ID)
	}
	if err != nil {
		s.log.Error("automatic deployment", "release", rel.ID, "err", err)
	}
}

// closeOrphanedInterruptions ends interruptions still pending for tasks
// that are completed — the recovery pass failed the task that was waiting
// on them — so they no longer show as actionable.
func (s *Server) closeOrphanedInterruptions(ctx context.Context) error {
	pending, _, err := s.DB.FindInterruptions(ctx, app.InterruptionFilter{PendingOnly: true})
	if err != nil {
		return err
	}
	for _, i := range pending {
		if t, err := s.DB.FindTaskByID(ctx, i.TaskID); err == nil && !t.IsCompleted() {
			continue
		}
		s.Interruptions.Cancel(ctx, i.SpaceID, i.ID, "The task is no longer waiting ("+app.InterruptedByRestart+").")
	}
	return nil
}

// deployExecutor runs deployments on the server's built-in worker.
func (s *Server) deployExecutor() *deployments.Executor {
	return &deployments.Executor{Deployments: s.DB, Releases: s.DB, Projects: s.DB, ProjectGroups: s.DB,
		Channels: s.DB, Environments: s.DB, Machines: s.DB, Spaces: s.DB, Interruptions: s.Interruptions,
		Artifacts: s.DB, DataDir: s.DataDir, ServerURI: s.serverURL, Logger: s.log,
		PutBlob: func(r io.Reader) (string, int64, error) {
			info, err := s.DB.Blobs.Put(r, 0)
			return info.SHA256, info.Size, err
		},
		PackageSource: deployments.BlobPackages{OpenBlob: s.DB.Blobs.Open},
		Packages:      s.packageFile,
	}
}

// serverURL is the server's URL once it listens.
func (s *Server) serverURL() string {
	s.urlMu.Lock()
	defer s.urlMu.Unlock()
	return s.URL
}

// closeTasks stops the engine: executing tasks are cancelled and end
// Failed ("interrupted by server shutdown"). Safe to call when not open.
func (s *Server) closeTasks() error {
	if s.Tasks == nil {
		return nil
	}
	return s.Tasks.Close()
}

// packageFile finds a package version's file for a deployment: in
// Config.PackageFiles when set (tests, other feeds), else in the built-in
// feed. It is a method rather than a value because the feed is created
// after the task engine starts.
func (s *Server) packageFile(ctx context.Context, spaceID, feedID, packageID, ver string) (deploy.PackageFile, error) {
	if s.PackageFiles != nil {
		return s.PackageFiles(ctx, spaceID, feedID, packageID, ver)
	}
	if feedID != "" && !strings.EqualFold(feedID, app.BuiltInFeedID) {
		return deploy.PackageFile{}, app.Invalid("Only the built-in feed is supported; the step names feed '" + feedID + "'.")
	}
	p, err := s.Feed.FindPackageVersion(ctx, spaceID, packageID, ver)
	if err != nil {
		return deploy.PackageFile{}, err
	}
	return deploy.PackageFile{SHA256: p.Hash, Size: p.Size, FileName: p.FileName()}, nil
}
