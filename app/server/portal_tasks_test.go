package server_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/argonautdeploy/argonaut/app"
	"github.com/argonautdeploy/argonaut/app/server"
	"github.com/argonautdeploy/argonaut/app/tasks"
	"github.com/argonautdeploy/argonaut/app/web"
)

// startStreamServer starts a server with the given executors, a fast live
// log poll and a signed-in portal client.
func startStreamServer(t *testing.T, ex map[string]tasks.Executor) (*server.Server, *http.Client) {
	t.Helper()
	s := server.New(server.Config{DataDir: t.TempDir(), Listen: "127.0.0.1:0", AdminUsername: "admin",
		AdminPassword: "correct-horse-battery", TaskConfig: server.TaskConfig{TaskCap: 2, TaskExecutors: ex,
			StreamTiming: web.StreamTiming{Poll: 20 * time.Millisecond, KeepAlive: 50 * time.Millisecond}}})
	if err := s.Open(context.Background()); err != nil {
		t.Fatalf("open server: %v", err)
	}
	t.Cleanup(func() {
		start := time.Now()
		if err := s.Close(); err != nil {
			t.Errorf("close server: %v", err)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("close took %s: a live stream held the shutdown", d)
		}
	})
	c := portalClient()
	token := formToken(t, c, s.URL+"/app/login")
	resp, _ := postForm(t, c, s.URL+"/app/login", url.Values{"csrf_token": {token}, "username": {"admin"},
		"password": {"correct-horse-battery"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-in: %d", resp.StatusCode)
	}
	return s, c
}

// sseEvent is one Server-Sent Event.
type sseEvent struct {
	ID, Event, Data string
}

// sseStream reads events from an open event stream.
type sseStream struct {
	resp *http.Response
	r    *bufio.Reader
}

func openEvents(t *testing.T, c *http.Client, target, lastEventID string) *sseStream {
	t.Helper()
	req, _ := http.NewRequest("GET", target, nil)
	if lastEventID != "" {
		req.Header.Set("Last-Event-ID", lastEventID)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		resp.Body.Close()
		t.Fatalf("GET %s: %d %s", target, resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	t.Cleanup(func() { resp.Body.Close() })
	return &sseStream{resp: resp, r: bufio.NewReader(resp.Body)}
}

// next returns the next event; comments (keep-alives) are counted, not
// returned. ok is false at the end of the stream.
func (s *sseStream) next(t *testing.T, comments *int) (ev sseEvent, ok bool) {
	t.Helper()
	for {
		line, err := s.r.ReadString('\n')
		if err != nil {
			return ev, false
		}
		line = strings.TrimRight(line, "\n")
		switch {
		case line == "":
			if ev.Data != "" || ev.Event != "" {
				if ev.Event == "" {
					ev.Event = "message"
				}
				return ev, true
			}
		case strings.HasPrefix(line, ":"):
			if comments != nil {
				*comments++
			}
		case strings.HasPrefix(line, "id: "):
			ev.ID = strings.TrimPrefix(line, "id: ")
		case strings.HasPrefix(line, "event: "):
			ev.Event = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			ev.Data = strings.TrimPrefix(line, "data: ")
		}
	}
}

type streamLine struct {
	Seq  uint64
	Kind string
	Node string
	Name string
	Cat  string
	Msg  string
}

func TestPortalLiveLog(t *testing.T) {
	next := make(chan struct{})
	s, c := startStreamServer(t, map[string]tasks.Executor{
		"Stream": tasks.ExecutorFunc(func(ctx context.Context, task *app.Task, log tasks.TaskLog) error {
			step := log.Open("Step 1: <b>Talk</b>")
			for i := 1; i <= 5; i++ {
				step.Info(fmt.Sprintf("first %d <script>", i))
			}
			if err := log.Flush(ctx); err != nil {
				return err
			}
			select {
			case <-next:
			case <-ctx.Done():
				return ctx.Err()
			}
			for i := 6; i <= 10; i++ {
				step.Warning(fmt.Sprintf("second %d", i))
			}
			step.Finish(app.ActivitySuccess)
			return nil
		}),
		"Block": tasks.ExecutorFunc(func(ctx context.Context, task *app.Task, log tasks.TaskLog) error {
			log.Open("Step 1: wait").Info("waiting")
			<-ctx.Done()
			return ctx.Err()
		}),
	})
	ctx := context.Background()
	task := &app.Task{SpaceID: app.DefaultSpaceID, Name: "Stream", Description: "Stream <lines>"}
	if err := s.Tasks.QueueTask(ctx, task); err != nil {
		t.Fatal(err)
	}
	base := s.URL + "/app/tasks/" + task.ID

	// The first stream, from the start: the opening and five lines, then
	// the client goes away.
	first := openEvents(t, c, base+"/events?cursor=0", "")
	var got []streamLine
	var lastID string
	var comments int
	for len(got) < 5 {
		ev, ok := first.next(t, &comments)
		if !ok {
			t.Fatalf("stream ended after %d lines", len(got))
		}
		if ev.Event != "message" {
			continue
		}
		var l streamLine
		if err := json.Unmarshal([]byte(ev.Data), &l); err != nil {
			t.Fatal(err)
		}
		if ev.ID != strconv.FormatUint(l.Seq, 10) {
			t.Errorf("event id %s for seq %d", ev.ID, l.Seq)
		}
		lastID = ev.ID
		if l.Kind == "line" {
			got = append(got, l)
		}
	}
	// Keep-alives arrive while nothing happens.
	for comments == 0 {
		if _, ok := first.next(t, &comments); !ok {
			t.Fatal("stream ended while the task waits")
		}
	}
	first.resp.Body.Close()

	// The page shows what is there so far, escaped, with the cursor to resume from.
	req, _ := http.NewRequest("GET", base, nil)
	status, body := send(t, c, req)
	if status != 200 || !strings.Contains(body, "first 5 &lt;script&gt;") || !strings.Contains(body, `data-cursor="`) ||
		!strings.Contains(body, "Step 1: &lt;b&gt;Talk&lt;/b&gt;") || !strings.Contains(body, "/api/tasks/"+task.ID+"/raw") {
		t.Fatalf("task page: %d %.300s", status, body)
	}
	if !strings.Contains(body, `data-testid="task-cancel"`) {
		t.Error("no cancel button on a running task")
	}

	// Reconnect with Last-Event-ID: only what came after, then the end.
	second := openEvents(t, c, base+"/events?cursor=0", lastID)
	close(next)
	var end sseEvent
	for {
		ev, ok := second.next(t, nil)
		if !ok {
			break
		}
		switch ev.Event {
		case "message":
			var l streamLine
			if err := json.Unmarshal([]byte(ev.Data), &l); err != nil {
				t.Fatal(err)
			}
			if l.Kind == "line" {
				got = append(got, l)
			}
		case "end":
			end = ev
		}
	}
	if end.Data == "" || !strings.Contains(end.Data, `"state":"Success"`) || !strings.Contains(end.Data, `"completed":true`) {
		t.Errorf("end event = %+v", end)
	}
	if len(got) != 10 {
		t.Fatalf("got %d lines, want 10 (each once): %+v", len(got), got)
	}
	for i, l := range got {
		want := fmt.Sprintf("first %d <script>", i+1)
		if i >= 5 {
			want = fmt.Sprintf("second %d", i+1)
		}
		if l.Msg != want || (i >= 5 && l.Cat != "Warning") {
			t.Errorf("line %d = %+v, want %q", i, l, want)
		}
		if i > 0 && l.Seq <= got[i-1].Seq {
			t.Errorf("seq %d after %d", l.Seq, got[i-1].Seq)
		}
	}

	// A completed task's stream sends what is left and ends at once.
	done := openEvents(t, c, base+"/events?cursor="+strconv.FormatUint(got[7].Seq, 10), "")
	var lines, ends int
	for {
		ev, ok := done.next(t, nil)
		if !ok {
			break
		}
		if ev.Event == "message" && strings.Contains(ev.Data, `"kind":"line"`) {
			lines++
		}
		if ev.Event == "end" {
			ends++
		}
	}
	if lines != 2 || ends != 1 {
		t.Errorf("completed task stream: %d lines, %d end events; want 2 and 1", lines, ends)
	}

	// The finished step is collapsed with its line count; its lines load on demand.
	_, body = send(t, c, mustRequest("GET", base))
	if !strings.Contains(body, `data-testid="log-show"`) || !strings.Contains(body, "Show 10 lines") || strings.Contains(body, "second 10") {
		t.Errorf("finished step is not collapsed: %.2000s", between(body, `id="log"`, `</section>`))
	}
	if strings.Contains(body, `data-testid="task-cancel"`) {
		t.Error("cancel button on a completed task")
	}

	t.Run("unknown task", func(t *testing.T) {
		for _, p := range []string{"", "/events", "/lines?node=x"} {
			if status, _ := send(t, c, mustRequest("GET", s.URL+"/app/tasks/ServerTasks-999"+p)); status != 404 {
				t.Errorf("%s: %d, want 404", p, status)
			}
		}
	})

	t.Run("cancel needs the form token", func(t *testing.T) {
		block := &app.Task{SpaceID: app.DefaultSpaceID, Name: "Block", Description: "Block"}
		if err := s.Tasks.QueueTask(ctx, block); err != nil {
			t.Fatal(err)
		}
		page := s.URL + "/app/tasks/" + block.ID
		resp, _ := postForm(t, c, page+"/cancel", url.Values{})
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("cancel without token: %d", resp.StatusCode)
		}
		token := formToken(t, c, page)
		// A stream is open while the task is cancelled: it ends with the task.
		stream := openEvents(t, c, page+"/events", "")
		resp, _ = postForm(t, c, page+"/cancel", url.Values{"csrf_token": {token}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("cancel: %d", resp.StatusCode)
		}
		var last sseEvent
		for {
			ev, ok := stream.next(t, nil)
			if !ok {
				break
			}
			last = ev
		}
		if last.Event != "end" || !strings.Contains(last.Data, `"state":"Canceled"`) {
			t.Errorf("last event after cancel = %+v", last)
		}
	})

	t.Run("tasks list", func(t *testing.T) {
		_, body := send(t, c, mustRequest("GET", s.URL+"/app/tasks"))
		if !strings.Contains(body, "Stream &lt;lines&gt;") || strings.Count(body, `data-testid="task-row"`) != 2 {
			t.Errorf("tasks list: %.500s", between(body, `<main`, `</main>`))
		}
		_, body = send(t, c, mustRequest("GET", s.URL+"/app/tasks?state=Success"))
		if strings.Count(body, `data-testid="task-row"`) != 1 {
			t.Errorf("state filter: %d rows", strings.Count(body, `data-testid="task-row"`))
		}
		if status, _ := send(t, c, mustRequest("GET", s.URL+"/app/tasks?state=Bogus")); status != 400 {
			t.Errorf("unknown state: %d", status)
		}
	})
}

// TestPortalLogPaging: a finished step of 100 000 lines is collapsed to a
// count; a failed step with many lines renders a tail, and the lines
// fragment pages backwards through the rest.
func TestPortalLogPaging(t *testing.T) {
	const n, big = 2500, 100000
	s, c := startStreamServer(t, map[string]tasks.Executor{
		"Many": tasks.ExecutorFunc(func(ctx context.Context, task *app.Task, log tasks.TaskLog) error {
			chatty := log.Open("Step 0: chatty")
			for i := 1; i <= big; i++ {
				chatty.Info("chatty line " + strconv.Itoa(i))
			}
			chatty.Finish(app.ActivitySuccess)
			step := log.Open("Step 1")
			for i := 1; i <= n; i++ {
				step.Info(fmt.Sprintf("line %04d", i))
			}
			step.Finish(app.ActivityFailed)
			return fmt.Errorf("failed on purpose")
		}),
	})
	task := &app.Task{SpaceID: app.DefaultSpaceID, Name: "Many"}
	if err := s.Tasks.QueueTask(context.Background(), task); err != nil {
		t.Fatal(err)
	}
	base := s.URL + "/app/tasks/" + task.ID
	// Wait for the end through the stream itself.
	stream := openEvents(t, c, base+"/events?cursor=0", "")
	var node string
	for {
		ev, ok := stream.next(t, nil)
		if !ok {
			break
		}
		if strings.Contains(ev.Data, `"kind":"open"`) {
			var l streamLine
			_ = json.Unmarshal([]byte(ev.Data), &l)
			node = l.Node // the last step opened: Step 1
		}
	}
	_, body := send(t, c, mustRequest("GET", base))
	if !strings.Contains(body, "Show 100000 lines") || strings.Contains(body, "chatty line") {
		t.Errorf("the finished 100 000-line step is not collapsed (task error: %.300s)", between(body, `data-testid="task-error">`, "</p>"))
	}
	if len(body) > 200<<10 {
		t.Errorf("the task page is %d KiB; it must not grow with the log", len(body)>>10)
	}
	// A failed step stays open: its last 200 lines, and a link to the rest.
	if strings.Count(body, `class="log-line log-line--info"`) != 200 || !strings.Contains(body, "Load 2300 earlier lines") {
		t.Fatalf("failed step: %d lines", strings.Count(body, `class="log-line log-line--info"`))
	}
	before := ""
	var pages []int
	for {
		target := base + "/lines?" + url.Values{"node": {node}, "before": {before}}.Encode()
		resp, err := c.Get(target)
		if err != nil {
			t.Fatal(err)
		}
		b := new(strings.Builder)
		_, _ = bufio.NewReader(resp.Body).WriteTo(b)
		resp.Body.Close()
		pages = append(pages, strings.Count(b.String(), "<li"))
		if resp.Header.Get("X-Earlier-Lines") == "0" {
			if !strings.Contains(b.String(), ">line 0001<") {
				t.Error("the first page does not start at line 1")
			}
			break
		}
		before = resp.Header.Get("X-First-Seq")
		if len(pages) > 5 {
			t.Fatal("paging does not end")
		}
	}
	if fmt.Sprint(pages) != "[1000 1000 500]" {
		t.Errorf("pages = %v, want [1000 1000 500]", pages)
	}
}

func mustRequest(method, target string) *http.Request {
	req, err := http.NewRequest(method, target, nil)
	if err != nil {
		panic(err)
	}
	return req
}

// TestPortalDeployForm: the release page's deploy form refuses what the
// backend refuses (shown above the form), deploys, and the release and
// project pages then show the deployment; the interruption form assigns
// and submits.
func TestPortalDeployForm(t *testing.T) {
	s := startServer(t, t.TempDir())
	api := adminClient(t, s)
	env := createEnvironment(t, api, "Staging")
	projectWith(t, api, "Form Demo", []any{manualStep("Approve", "Say yes")}, nil)
	rel := releaseV1(t, api, "Form Demo", "1.2.3")

	c := portalClient()
	token := formToken(t, c, s.URL+"/app/login")
	if resp, _ := postForm(t, c, s.URL+"/app/login", url.Values{"csrf_token": {token}, "username": {adminUser}, "password": {adminPassword}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-in: %d", resp.StatusCode)
	}
	page := s.URL + "/app/releases/" + rel
	token = formToken(t, c, page)
	resp, body := postForm(t, c, page+"/deployments", url.Values{"csrf_token": {token}, "environment": {"Environments-999"}})
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, `class="alert alert--error"`) || !strings.Contains(body, `data-testid="deploy-form"`) {
		t.Fatalf("bad environment: %d %.300s", resp.StatusCode, between(body, "<main", "</main>"))
	}
	resp, _ = postForm(t, c, page+"/deployments", url.Values{"csrf_token": {token}, "environment": {env.Id}, "guided": {"off"}})
	taskURL := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(taskURL, "/app/tasks/ServerTasks-") {
		t.Fatalf("deploy: %d to %q", resp.StatusCode, taskURL)
	}
	taskID := strings.TrimPrefix(taskURL, "/app/tasks/")
	in := pendingInterruption(t, api, taskID)

	_, body = send(t, c, mustRequest("GET", s.URL+taskURL))
	if !strings.Contains(body, `data-testid="interruption-form"`) || !strings.Contains(body, "Say yes") || !strings.Contains(body, `data-testid="task-release"`) {
		t.Fatalf("task page without the interruption form: %.500s", between(body, "<main", "</main>"))
	}
	// The fragment the live log inserts is the same form.
	if status, frag := send(t, c, mustRequest("GET", s.URL+taskURL+"/interruption")); status != 200 || !strings.Contains(frag, `data-testid="interruption-take"`) {
		t.Errorf("interruption fragment: %d", status)
	}
	token = formToken(t, c, s.URL+taskURL)
	iurl := s.URL + taskURL + "/interruptions/" + in["Id"].(string)
	if resp, _ := postForm(t, c, iurl+"/responsible", url.Values{"csrf_token": {token}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("take responsibility: %d", resp.StatusCode)
	}
	_, body = send(t, c, mustRequest("GET", s.URL+taskURL))
	if !strings.Contains(body, `data-testid="interruption-responsible"`) || strings.Contains(body, `data-testid="interruption-take"`) {
		t.Errorf("after taking responsibility: %.500s", between(body, `data-testid="interruption"`, "</section>"))
	}
	if resp, _ := postForm(t, c, iurl+"/submit", url.Values{"csrf_token": {token}, "result": {"Abort"}, "notes": {"not today"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("submit: %d", resp.StatusCode)
	}
	waitTask(t, api, taskID, 30*time.Second, completed)
	// The page's raw log link works with the portal session alone.
	if status, raw := send(t, c, mustRequest("GET", s.URL+"/api/tasks/"+taskID+"/raw")); status != 200 || !strings.Contains(raw, "Say yes") {
		t.Errorf("raw log with the session: %d %.200s", status, raw)
	}

	_, body = send(t, c, mustRequest("GET", page))
	if !strings.Contains(body, `data-testid="release-deployment"`) || !strings.Contains(body, `href="`+taskURL+`"`) {
		t.Errorf("release page without the deployment: %.500s", between(body, "<main", "</main>"))
	}
	_, body = send(t, c, mustRequest("GET", s.URL+"/app/projects/form-demo"))
	if !strings.Contains(body, `data-testid="release-row-deployment"`) {
		t.Errorf("project page without the release's deployment")
	}
}

// TestPortalDeployFormOptions deploys from the release page with prompted
// variables (a required one, a sensitive one), force package redeployment
// and a start time: a missing required prompt re-shows the form with the
// problem and the typed values (never the sensitive one).
func TestPortalDeployFormOptions(t *testing.T) {
	s := startServer(t, t.TempDir())
	api := adminClient(t, s)
	env := createEnvironment(t, api, "Staging")
	projectWith(t, api, "Prompts Demo", []any{runOnServer("Show", `echo "color=#{Color} token=#{Token} note=#{Note}"`)},
		[]map[string]any{
			{"Name": "Color", "Value": "", "Prompt": map[string]any{"Label": "Colour of the day", "Required": true}},
			{"Name": "Token", "Value": "", "Type": "Sensitive", "IsSensitive": true, "Prompt": map[string]any{"Label": "API token", "Description": "from the vault"}},
			{"Name": "Note", "Value": "none", "Prompt": map[string]any{"Label": "A note"}},
		})
	rel := releaseV1(t, api, "Prompts Demo", "1.0.0")

	c := portalClient()
	token := formToken(t, c, s.URL+"/app/login")
	if resp, _ := postForm(t, c, s.URL+"/app/login", url.Values{"csrf_token": {token}, "username": {adminUser}, "password": {adminPassword}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-in: %d", resp.StatusCode)
	}
	page := s.URL + "/app/releases/" + rel
	_, body := send(t, c, mustRequest("GET", page))
	form := between(body, `data-testid="deploy-form"`, "</form>")
	// Sorted by label, required marked, the sensitive one a password box.
	iNote, iToken, iColour := strings.Index(form, "A note"), strings.Index(form, "API token"), strings.Index(form, "Colour of the day")
	if iNote < 0 || iToken < iNote || iColour < iToken || !strings.Contains(form, `name="prompt:Token" autocomplete="off"`) ||
		!strings.Contains(form, `type="password"`) || !strings.Contains(form, `name="prompt:Color" value="" required`) ||
		!strings.Contains(form, `name="prompt:Note" value="none"`) ||
		!strings.Contains(form, `data-testid="field-force"`) || !strings.Contains(form, `data-testid="field-queue_time"`) {
		t.Fatalf("deploy form:\n%s", form)
	}

	token = formToken(t, c, page)
	resp, body := postForm(t, c, page+"/deployments", url.Values{"csrf_token": {token}, "environment": {env.Id},
		"prompt:Note": {"typed note"}, "prompt:Token": {"tok-S3cret"}})
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "The prompted variable &#39;Color&#39;") ||
		!strings.Contains(body, `value="typed note"`) || strings.Contains(body, "tok-S3cret") {
		t.Fatalf("missing required prompt: %d %s", resp.StatusCode, between(body, "<main", "</main>"))
	}
	resp, body = postForm(t, c, page+"/deployments", url.Values{"csrf_token": {token}, "environment": {env.Id},
		"prompt:Color": {"teal"}, "queue_time": {"tomorrow"}})
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "Start at must be a date and time") {
		t.Fatalf("bad start time: %d %s", resp.StatusCode, between(body, "<main", "</main>"))
	}

	start := time.Now().UTC().Add(2 * time.Second).Truncate(time.Second)
	resp, _ = postForm(t, c, page+"/deployments", url.Values{"csrf_token": {token}, "environment": {env.Id},
		"prompt:Color": {"teal"}, "prompt:Token": {"tok-S3cret"}, "force": {"on"},
		"queue_time": {start.Format("2006-01-02 15:04:05")}, "queue_expiry": {start.Add(time.Hour).Format("2006-01-02T15:04")}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("deploy: %d", resp.StatusCode)
	}
	taskID := strings.TrimPrefix(resp.Header.Get("Location"), "/app/tasks/")
	var deps paged[struct {
		FormValues               map[string]string
		ForcePackageRedeployment bool
		QueueTime                time.Time
		QueueTimeExpiry          time.Time
	}]
	api.must("GET", "/api/Spaces-1/deployments?taskIds="+taskID, nil, http.StatusOK, &deps)
	if len(deps.Items) != 1 {
		t.Fatalf("deployments of %s: %+v", taskID, deps)
	}
	d := deps.Items[0]
	if d.FormValues["Color"] != "teal" || !d.ForcePackageRedeployment || !d.QueueTime.Equal(start) || d.QueueTimeExpiry.Before(start) {
		t.Errorf("deployment %+v (start %s)", d, start)
	}
	got := waitTask(t, api, taskID, 30*time.Second, completed)
	text := details(t, api, taskID).ActivityLogs[0].text()
	if got.State != "Success" || !strings.Contains(text, "color=teal token=******** note=none") {
		t.Fatalf("%+v\n%s", got, text)
	}
}
