package server_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/argonautdeploy/argonaut/app"
	"github.com/argonautdeploy/argonaut/app/auth"
	"github.com/argonautdeploy/argonaut/app/server"
	"github.com/argonautdeploy/argonaut/app/tasks"
)

// taskJSON is what `octopus task wait` decodes from a task.
type taskJSON struct {
	Id, Name, Description, State, ErrorMessage, Duration       string
	IsCompleted, FinishedSuccessfully, HasPendingInterruptions bool
	QueueTime, StartTime, CompletedTime                        *string
	Links                                                      map[string]string
}

type activityJSON struct {
	Id, Name, Status string
	Started, Ended   *string
	Children         []activityJSON
	LogElements      []struct{ OccurredAt, Category, MessageText string }
}

type detailsJSON struct {
	Task         taskJSON
	ActivityLogs []activityJSON
}

const talkLines = 10000

func startTaskServer(t *testing.T, ex map[string]tasks.Executor) *server.Server {
	t.Helper()
	s := server.New(server.Config{DataDir: t.TempDir(), Listen: "127.0.0.1:0", AdminUsername: "admin",
		AdminPassword: "correct-horse-battery", TaskConfig: server.TaskConfig{TaskCap: 2, TaskExecutors: ex}})
	if err := s.Open(context.Background()); err != nil {
		t.Fatalf("open server: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("close server: %v", err)
		}
	})
	return s
}

// apiKeyFor creates a user (admin or a plain viewer) with an API key.
func apiKeyFor(t *testing.T, s *server.Server, username string, admin bool) string {
	t.Helper()
	ctx := context.Background()
	u, err := s.DB.FindUserByUsername(ctx, username)
	if err != nil {
		u = &app.User{Username: username, DisplayName: username, IsActive: true, IsAdmin: admin}
		if err := s.DB.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	key, hash, err := auth.NewAPIKey()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.DB.CreateAPIKey(ctx, &app.APIKey{UserID: u.ID, Purpose: "test", Hash: hash, Hint: key[len(key)-4:]}); err != nil {
		t.Fatal(err)
	}
	return key
}

func call(t *testing.T, s *server.Server, key, method, path string, out any) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, s.URL+path, nil)
	req.Header.Set("X-Octopus-ApiKey", key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %v in %.200s", method, path, err, b)
		}
	}
	return resp.StatusCode, string(b)
}

func waitTaskState(t *testing.T, s *server.Server, key, id, want string) taskJSON {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		var got taskJSON
		call(t, s, key, "GET", "/api/tasks/"+id, &got)
		if got.State == want {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s is %s, want %s", id, got.State, want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestTaskAPI(t *testing.T) {
	release := make(chan struct{})
	s := startTaskServer(t, map[string]tasks.Executor{
		"Talk": tasks.ExecutorFunc(func(ctx context.Context, task *app.Task, log tasks.TaskLog) error {
			step := log.Open("Step 1: Say things")
			target := step.Open("cloud-region-1")
			target.Verbose("verbose detail")
			for i := 1; i <= talkLines; i++ {
				target.Info(fmt.Sprintf("line %05d", i))
			}
			target.Finish(app.ActivitySuccess)
			step.Finish(app.ActivitySuccess)
			log.Plan("Step 2: Never run")
			return nil
		}),
		"Block": tasks.ExecutorFunc(func(ctx context.Context, task *app.Task, log tasks.TaskLog) error {
			log.Open("Step 1: sleep 600").Info("sleeping")
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-release:
				return nil
			}
		}),
	})
	admin := apiKeyFor(t, s, "admin", true)
	viewer := apiKeyFor(t, s, "viewer", false)
	ctx := context.Background()
	queue := func(name string) *app.Task {
		task := &app.Task{SpaceID: app.DefaultSpaceID, Name: name, Description: name + " for the test", ProjectID: "Projects-1"}
		if err := s.Tasks.QueueTask(ctx, task); err != nil {
			t.Fatal(err)
		}
		return task
	}

	var root struct{ Links map[string]string }
	call(t, s, admin, "GET", "/api/", &root)
	if !strings.HasPrefix(root.Links["Tasks"], "/api/tasks") {
		t.Errorf("root Tasks link = %q", root.Links["Tasks"])
	}

	talk := queue("Talk")
	done := waitTaskState(t, s, viewer, talk.ID, "Success")
	if !done.IsCompleted || !done.FinishedSuccessfully || done.StartTime == nil || done.CompletedTime == nil || done.Duration == "" {
		t.Errorf("completed task = %+v", done)
	}
	for _, ts := range []*string{done.QueueTime, done.StartTime, done.CompletedTime} {
		if _, err := time.Parse(time.RFC3339, *ts); err != nil || !strings.HasSuffix(*ts, "Z") {
			t.Errorf("time %q is not RFC 3339 with a zone", *ts)
		}
	}

	t.Run("details", func(t *testing.T) {
		var d detailsJSON
		if code, body := call(t, s, viewer, "GET", "/api/tasks/"+talk.ID+"/details", &d); code != 200 {
			t.Fatalf("details: %d %s", code, body)
		}
		if d.Task.Id != talk.ID || len(d.ActivityLogs) != 1 || d.ActivityLogs[0].Status != "Success" || len(d.ActivityLogs[0].Children) != 2 {
			t.Fatalf("details = task %s, %d roots", d.Task.Id, len(d.ActivityLogs))
		}
		step := d.ActivityLogs[0].Children[0]
		target := step.Children[0]
		if step.Name != "Step 1: Say things" || step.Status != "Success" || target.Name != "cloud-region-1" || target.Started == nil || target.Ended == nil {
			t.Errorf("step %+v target %s %s", step.Name, target.Name, target.Status)
		}
		if n := len(target.LogElements); n != talkLines {
			t.Fatalf("target has %d lines, want %d (no verbose)", n, talkLines)
		}
		for i, l := range target.LogElements {
			if want := fmt.Sprintf("line %05d", i+1); l.MessageText != want || l.Category != "Info" {
				t.Fatalf("line %d = %+v, want %q", i, l, want)
			}
		}
		if planned := d.ActivityLogs[0].Children[1]; planned.Status != "Skipped" {
			t.Errorf("planned step of a finished task = %s, want Skipped", planned.Status)
		}
		call(t, s, viewer, "GET", "/api/Spaces-1/tasks/"+talk.ID+"/details?verbose=true&tail=3", &d)
		lines := d.ActivityLogs[0].Children[0].Children[0].LogElements
		if len(lines) != 3 || lines[2].MessageText != fmt.Sprintf("line %05d", talkLines) {
			t.Errorf("tail=3 = %+v", lines)
		}
	})

	t.Run("raw", func(t *testing.T) {
		req, _ := http.NewRequest("GET", s.URL+"/api/tasks/"+talk.ID+"/raw", nil)
		req.Header.Set("X-Octopus-ApiKey", viewer)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
			t.Fatalf("raw: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		sc := bufio.NewScanner(resp.Body)
		next, header := 1, false
		for sc.Scan() {
			line := sc.Text()
			if line == "Task ID:        "+talk.ID {
				header = true
			}
			if i := strings.Index(line, "line "); i >= 0 && strings.Contains(line, "| ") {
				if want := fmt.Sprintf("line %05d", next); line[i:] != want || !strings.Contains(line, "Info") {
					t.Fatalf("raw line %q, want %q", line, want)
				}
				next++
			}
		}
		if !header || next != talkLines+1 {
			t.Errorf("raw: header %v, %d lines, want %d", header, next-1, talkLines)
		}
	})

	t.Run("list and filters", func(t *testing.T) {
		blocked := queue("Block")
		waitTaskState(t, s, viewer, blocked.ID, "Executing")
		var page struct {
			ItemType     string
			TotalResults int
			Items        []taskJSON
		}
		call(t, s, viewer, "GET", "/api/tasks?ids="+talk.ID+","+blocked.ID, &page)
		if page.ItemType != "Task" || page.TotalResults != 2 || page.Items[0].Id != blocked.ID || page.Items[0].IsCompleted {
			t.Errorf("ids page = %+v", page)
		}
		call(t, s, viewer, "GET", "/api/tasks?states=Executing,Queued", &page)
		if page.TotalResults != 1 || page.Items[0].Id != blocked.ID {
			t.Errorf("active states page = %+v", page)
		}
		call(t, s, viewer, "GET", "/api/Spaces-1/tasks?active=false&project=Projects-1", &page)
		if page.TotalResults != 1 || page.Items[0].Id != talk.ID {
			t.Errorf("completed page = %+v", page)
		}
		if code, _ := call(t, s, viewer, "GET", "/api/tasks?states=Running", nil); code != 400 {
			t.Errorf("unknown state: %d, want 400", code)
		}

		// Cancel: viewers may not; the Octopus CLI's path works for admins.
		if code, _ := call(t, s, viewer, "POST", "/api/tasks/"+blocked.ID+"/cancel", nil); code != 403 {
			t.Errorf("viewer cancel: %d, want 403", code)
		}
		var got taskJSON
		if code, body := call(t, s, admin, "POST", "/api/spaces/Spaces-1/tasks/"+blocked.ID+"/cancel", &got); code != 200 ||
			(got.State != "Cancelling" && got.State != "Canceled") {
			t.Fatalf("cancel: %d %s", code, body)
		}
		canceled := waitTaskState(t, s, viewer, blocked.ID, "Canceled")
		if !canceled.IsCompleted || canceled.FinishedSuccessfully {
			t.Errorf("canceled = %+v", canceled)
		}

		// Queued tasks cancel at once (the cap is 2: fill it first).
		b1, b2, queued := queue("Block"), queue("Block"), queue("Block")
		waitTaskState(t, s, viewer, b2.ID, "Executing")
		call(t, s, admin, "POST", "/api/Spaces-1/tasks/"+queued.ID+"/cancel", &got)
		if got.State != "Canceled" || !got.IsCompleted {
			t.Errorf("cancel queued = %+v", got)
		}
		call(t, s, admin, "POST", "/api/tasks/"+b1.ID+"/cancel", &got)
		call(t, s, admin, "POST", "/api/tasks/"+b2.ID+"/cancel", &got)
		waitTaskState(t, s, viewer, b2.ID, "Canceled")

		// Rerun makes a new task with the same arguments.
		var rerun taskJSON
		if code, body := call(t, s, admin, "POST", "/api/tasks/rerun/"+talk.ID, &rerun); code != 200 || rerun.Id == talk.ID || rerun.Name != "Talk" {
			t.Fatalf("rerun: %d %s", code, body)
		}
		waitTaskState(t, s, viewer, rerun.Id, "Success")
		if code, _ := call(t, s, viewer, "POST", "/api/tasks/rerun/"+talk.ID, nil); code != 403 {
			t.Errorf("viewer rerun: %d, want 403", code)
		}
	})

	t.Run("not found", func(t *testing.T) {
		for _, p := range []string{"/api/tasks/ServerTasks-999", "/api/tasks/nonsense/details", "/api/Spaces-2/tasks/" + talk.ID, "/api/tasks/ServerTasks-999/raw"} {
			if code, body := call(t, s, viewer, "GET", p, nil); code != 404 || !strings.Contains(body, "ErrorMessage") {
				t.Errorf("GET %s: %d %s", p, code, body)
			}
		}
		if code, _ := call(t, s, "", "GET", "/api/tasks", nil); code != 401 {
			t.Errorf("anonymous list: %d, want 401", code)
		}
	})
	close(release)
}

// TestServerCloseFailsExecutingTasks: a clean shutdown never leaves a
// task Executing, and the next start shows it Failed.
func TestServerCloseFailsExecutingTasks(t *testing.T) {
	dir := t.TempDir()
	startedCh := make(chan struct{})
	cfg := server.Config{DataDir: dir, Listen: "127.0.0.1:0", AdminUsername: "admin", AdminPassword: "correct-horse-battery",
		TaskConfig: server.TaskConfig{TaskExecutors: map[string]tasks.Executor{
			"Block": tasks.ExecutorFunc(func(ctx context.Context, task *app.Task, log tasks.TaskLog) error {
				close(startedCh)
				<-ctx.Done()
				return ctx.Err()
			}),
		}}}
	s := server.New(cfg)
	if err := s.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	task := &app.Task{SpaceID: app.DefaultSpaceID, Name: "Block"}
	if err := s.Tasks.QueueTask(context.Background(), task); err != nil {
		t.Fatal(err)
	}
	<-startedCh
	waitServing(t, s)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s2 := server.New(server.Config{DataDir: dir, Listen: "127.0.0.1:0"})
	if err := s2.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	waitServing(t, s2)
	got, err := s2.Tasks.FindTaskByID(context.Background(), task.ID)
	if err != nil || got.State != app.TaskFailed || got.ErrorMessage != tasks.InterruptedByShutdown {
		t.Errorf("after restart: %+v, %v", got, err)
	}
}

// waitServing returns once s answers HTTP. Closing a server whose listener
// goroutine has not started serving yet can hang in fiber's Shutdown (the
// listener is not registered yet), so tests that open and close quickly
// wait for this first.
func waitServing(t *testing.T, s *server.Server) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get(s.URL + "/livez")
		if err == nil {
			resp.Body.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("server never answered: %v", err)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
