package tasks_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/argonautdeploy/argonaut/app"
	"github.com/argonautdeploy/argonaut/app/tasks"
	"github.com/argonautdeploy/argonaut/storage"
)

// crashHelperEnv makes the test binary act as a separate server-like
// process (see TestMain): it opens the store in the named directory, runs a
// task that logs and then blocks, and prints READY once its lines are
// committed. The parent kills it with SIGKILL.
const crashHelperEnv = "ARGONAUT_TASKS_CRASH_HELPER_DIR"

const crashLines = 500

func TestMain(m *testing.M) {
	if dir := os.Getenv(crashHelperEnv); dir != "" {
		os.Exit(crashHelper(dir))
	}
	os.Exit(m.Run())
}

func crashHelper(dir string) int {
	ctx := context.Background()
	d, err := storage.Open(ctx, storage.Options{Dir: dir})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	ready := make(chan struct{})
	e := tasks.New(d, tasks.Options{Executors: map[string]tasks.Executor{
		"Deploy": tasks.ExecutorFunc(func(ctx context.Context, t *app.Task, log tasks.TaskLog) error {
			step := log.Open("Step 1: Run a long script")
			for i := 1; i <= crashLines; i++ {
				step.Info(fmt.Sprintf("acknowledged %d", i))
			}
			if err := log.Flush(ctx); err != nil {
				return err
			}
			close(ready)
			<-ctx.Done() // a script that runs until the process dies
			return ctx.Err()
		}),
	}})
	if err := e.Start(ctx); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	t := &app.Task{SpaceID: app.DefaultSpaceID, Name: "Deploy", Description: "Deploy before the crash"}
	if err := e.QueueTask(ctx, t); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	<-ready
	fmt.Println("READY", t.ID)
	select {} // until SIGKILL
}

// TestKill9DuringATask kills a real process mid-task and checks the next
// start fails the task with the restart message, keeping every
// acknowledged line.
func TestKill9DuringATask(t *testing.T) {
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), crashHelperEnv+"="+dir)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "READY ") {
				lines <- strings.TrimPrefix(sc.Text(), "READY ")
				return
			}
		}
		close(lines)
	}()
	var id string
	select {
	case id = <-lines:
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		t.Fatal("helper never became ready")
	}
	if id == "" {
		t.Fatal("helper exited before it was ready")
	}
	if err := cmd.Process.Kill(); err != nil { // SIGKILL: no deferred cleanup runs
		t.Fatal(err)
	}
	cmd.Wait()

	ctx := context.Background()
	d := openStore(t, dir)
	defer d.Close()
	before, err := d.FindTaskByID(ctx, id)
	if err != nil || before.State != app.TaskExecuting {
		t.Fatalf("after the kill, before recovery: %+v, %v; want Executing", before, err)
	}
	e := tasks.New(d, tasks.Options{})
	if err := e.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	got := stateOf(t, e, id)
	if got.State != app.TaskFailed || got.ErrorMessage != app.InterruptedByRestart || !got.IsCompleted() || got.FinishedSuccessfully() {
		t.Fatalf("after restart: %+v", got)
	}
	tree := app.NewActivityTree(got, app.ActivityOptions{})
	if err := d.ScanTaskLog(ctx, id, 0, func(ev *app.LogEvent) error { tree.Add(ev); return nil }); err != nil {
		t.Fatal(err)
	}
	root := tree.Finish(got)
	step := root.Children[0]
	if len(step.Lines) != crashLines || step.Lines[crashLines-1].MessageText != fmt.Sprintf("acknowledged %d", crashLines) {
		t.Errorf("step kept %d acknowledged lines, want %d", len(step.Lines), crashLines)
	}
	if step.Status != app.ActivityFailed {
		t.Errorf("open step after the crash = %s, want Failed", step.Status)
	}
	if n := len(root.Lines); n != 1 || root.Lines[0].Category != app.LogFatal || !strings.Contains(root.Lines[0].MessageText, app.InterruptedByRestart) {
		t.Errorf("task-level lines = %+v, want one Fatal line", root.Lines)
	}
}
