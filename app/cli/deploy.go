package cli

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"
)

// runDeploy is `argonaut deploy`: deploy a release to one or more
// environments, optionally waiting for the tasks and following their logs.
// The exit code is the outcome: 0 when every deployment succeeded (or, without
// --wait, was queued), 1 otherwise.
func runDeploy(ctx context.Context, e *env, args []string) int {
	var (
		conn              serverFlags
		project, version  string
		environments      []string
		wait, progress    bool
		guided            string
		skip, specific    []string
		excluded, prompts []string
	)
	f := newFlags("argonaut deploy", "Deploy a release (POST deployments/create/untenanted/v1).", e.getenv)
	conn.define(f)
	f.String(&project, "project", "NAME", "", "the project (name, slug or ID)")
	f.String(&version, "version", "VERSION", "", "the release version")
	list(f, &environments, "environment", "NAME", "an environment to deploy to (repeatable)")
	list(f, &skip, "skip", "STEP", "a step not to run (repeatable)")
	list(f, &specific, "target", "NAME", "deploy only to this target (repeatable)")
	list(f, &excluded, "exclude-target", "NAME", "leave this target out (repeatable)")
	list(f, &prompts, "variable", "NAME:VALUE", "a prompted variable value (repeatable)")
	f.Choice(&guided, "guided-failure", []string{"default", "on", "off"}, "default", "guided failure for this deployment")
	f.Bool(&wait, "wait", false, "wait until the deployments finish; the exit code is their outcome")
	f.Bool(&progress, "progress", false, "print the deployments' log lines as they arrive (implies --wait)")
	if _, code, done := parseFlags(e, f, args); done {
		return code
	}
	if project == "" || version == "" || len(environments) == 0 {
		fmt.Fprintln(e.stderr, "argonaut deploy: --project, --version and at least one --environment are required")
		return 2
	}
	c, err := conn.client(e)
	if err != nil {
		fmt.Fprintln(e.stderr, "argonaut deploy:", err)
		return 2
	}
	body := map[string]any{"spaceId": c.space, "projectName": project, "releaseVersion": version,
		"environmentNames": environments, "skipStepNames": skip, "specificMachineNames": specific, "excludedMachineNames": excluded}
	if guided != "default" {
		body["useGuidedFailure"] = guided == "on"
	}
	if len(prompts) > 0 {
		vars := map[string]string{}
		for _, p := range prompts {
			name, value, ok := strings.Cut(p, ":")
			if !ok {
				fmt.Fprintf(e.stderr, "argonaut deploy: --variable %q: want NAME:VALUE\n", p)
				return 2
			}
			vars[name] = value
		}
		body["variables"] = vars
	}
	var out struct {
		DeploymentServerTasks []struct{ DeploymentId, ServerTaskId string }
	}
	if err := c.call(ctx, "POST", "/api/"+c.space+"/deployments/create/untenanted/v1", body, &out); err != nil {
		fmt.Fprintln(e.stderr, "argonaut deploy:", err)
		return 1
	}
	var ids []string
	for i, d := range out.DeploymentServerTasks {
		env := ""
		if i < len(environments) {
			env = " to " + environments[i]
		}
		fmt.Fprintf(e.stdout, "Deploying %s %s%s: %s (%s)\n", project, version, env, d.ServerTaskId, d.DeploymentId)
		ids = append(ids, d.ServerTaskId)
	}
	if !wait && !progress {
		return 0
	}
	return waitForTasks(ctx, e, c, ids, progress)
}

type cliTask struct {
	Id, Description, State, ErrorMessage string
	IsCompleted, FinishedSuccessfully    bool
	HasPendingInterruptions              bool
}

type cliActivity struct {
	Name        string
	Children    []cliActivity
	LogElements []struct {
		Category, MessageText string
		Number                uint64
	}
}

// waitForTasks polls GET /api/tasks?ids= with backoff until every task is
// completed, printing new log lines (by their number, a cursor) when asked.
func waitForTasks(ctx context.Context, e *env, c *deployAPI, ids []string, progress bool) int {
	cursor := map[string]uint64{}
	pause := 250 * time.Millisecond
	announced := map[string]bool{}
	for {
		var page struct{ Items []cliTask }
		if err := c.call(ctx, "GET", "/api/tasks?take=1000&ids="+strings.Join(ids, ","), nil, &page); err != nil {
			fmt.Fprintln(e.stderr, "argonaut deploy:", err)
			return 1
		}
		done := len(page.Items) == len(ids)
		for _, t := range page.Items {
			if progress {
				printNewLines(ctx, e, c, t.Id, cursor)
			}
			if t.HasPendingInterruptions && !announced[t.Id] {
				fmt.Fprintf(e.stdout, "%s is waiting for a manual intervention or guided failure decision\n", t.Id)
				announced[t.Id] = true
			}
			done = done && t.IsCompleted
		}
		if done {
			code := 0
			for _, t := range page.Items {
				line := fmt.Sprintf("%s %s: %s", t.Id, t.Description, t.State)
				if t.ErrorMessage != "" {
					line += " — " + t.ErrorMessage
				}
				fmt.Fprintln(e.stdout, line)
				if !t.FinishedSuccessfully {
					code = 1
				}
			}
			return code
		}
		select {
		case <-ctx.Done():
			fmt.Fprintln(e.stderr, "argonaut deploy: stopped waiting:", ctx.Err())
			return 1
		case <-time.After(pause):
		}
		pause = min(pause*3/2, 3*time.Second)
		if progress {
			pause = min(pause, time.Second)
		}
	}
}

// printNewLines prints the task's lines numbered after its cursor.
func printNewLines(ctx context.Context, e *env, c *deployAPI, id string, cursor map[string]uint64) {
	var d struct{ ActivityLogs []cliActivity }
	if err := c.call(ctx, "GET", "/api/tasks/"+id+"/details", nil, &d); err != nil {
		return // progress is best effort; the state poll reports errors
	}
	type line struct {
		n    uint64
		text string
	}
	var lines []line
	var walk func(a cliActivity, path string)
	walk = func(a cliActivity, path string) {
		for _, l := range a.LogElements {
			if l.Number > cursor[id] {
				lines = append(lines, line{l.Number, fmt.Sprintf("%s %-9s %s%s", id, l.Category, path, l.MessageText)})
			}
		}
		for _, ch := range a.Children {
			walk(ch, path+ch.Name+" | ")
		}
	}
	for _, root := range d.ActivityLogs {
		walk(root, "")
	}
	sort.Slice(lines, func(i, j int) bool { return lines[i].n < lines[j].n })
	for _, l := range lines {
		fmt.Fprintln(e.stdout, l.text)
		cursor[id] = l.n
	}
}
