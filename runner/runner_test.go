package runner

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestConditions(t *testing.T) {
	withCondition := func(s Step, kind ConditionKind, expr string) Step {
		s.Condition = Condition{Kind: kind, Expression: expr}
		return s
	}
	tests := []struct {
		name string
		vars []Variable
		step []Step
		want map[string]Outcome
		run  Outcome
	}{
		{
			name: "all succeed: failure step skipped",
			step: []Step{
				scriptStepOf("A", "true"),
				withCondition(scriptStepOf("OnFailure", "true"), ConditionFailure, ""),
				withCondition(scriptStepOf("Always", "true"), ConditionAlways, ""),
				scriptStepOf("B", "true"),
			},
			want: map[string]Outcome{"A": Succeeded, "OnFailure": Skipped, "Always": Succeeded, "B": Succeeded},
			run:  Succeeded,
		},
		{
			name: "a failure: success steps skipped, failure/always/variable steps run",
			vars: []Variable{{Name: "Flag", Value: "False"}, {Name: "Yes", Value: "True"}},
			step: []Step{
				scriptStepOf("A", "true"),
				scriptStepOf("Broken", "echo about to fail; exit 3"),
				scriptStepOf("NotAfterFailure", "true"),
				withCondition(scriptStepOf("Cleanup", "true"), ConditionFailure, ""),
				withCondition(scriptStepOf("Always", "true"), ConditionAlways, ""),
				withCondition(scriptStepOf("OnError", `echo "error was: #{Octopus.Deployment.Error}"`), ConditionVariable, "#{if Octopus.Deployment.Error}true#{/if}"),
				withCondition(scriptStepOf("FlagOff", "true"), ConditionVariable, "#{Flag}"),
				withCondition(scriptStepOf("FlagOn", "true"), ConditionVariable, "#{Yes}"),
			},
			want: map[string]Outcome{"A": Succeeded, "Broken": Failed, "NotAfterFailure": Skipped, "Cleanup": Succeeded,
				"Always": Succeeded, "OnError": Succeeded, "FlagOff": Skipped, "FlagOn": Succeeded},
			run: Failed,
		},
		{
			name: "fail_step message and a failing cleanup",
			step: []Step{
				scriptStepOf("Broken", `fail_step "database unreachable"; echo never`),
				withCondition(scriptStepOf("Cleanup", "exit 1"), ConditionFailure, ""),
			},
			want: map[string]Outcome{"Broken": Failed, "Cleanup": Failed},
			run:  Failed,
		},
		{
			name: "manual step refused",
			step: []Step{{ID: "m", Name: "Approve", Kind: KindManual, Condition: Condition{Kind: ConditionSuccess}}},
			want: map[string]Outcome{"Approve": Failed},
			run:  Failed,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := plan(tt.step...)
			p.Variables = tt.vars
			res, rec := runPlan(t, testRunner(t), p)
			if got := outcomes(res); !mapsEqual(got, tt.want) {
				t.Errorf("outcomes = %v, want %v", got, tt.want)
			}
			if res.Outcome != tt.run {
				t.Errorf("run outcome = %s, want %s", res.Outcome, tt.run)
			}
			if len(rec.of(EventStepFinished)) != len(tt.step) {
				t.Errorf("%d StepFinished events for %d steps", len(rec.of(EventStepFinished)), len(tt.step))
			}
			for _, s := range res.Steps {
				if s.Name == "Broken" && s.Outcome == Failed && strings.Contains(tt.name, "fail_step") && s.Message != "database unreachable" {
					t.Errorf("Broken message = %q", s.Message)
				}
				if s.Name == "OnError" && !containsLine(rec.logs("OnError"), "error was: the script failed with exit code 3") {
					t.Errorf("OnError logs = %q", rec.logs("OnError"))
				}
			}
		})
	}
}

func mapsEqual[K comparable, V comparable](a, b map[K]V) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func TestScriptLogging(t *testing.T) {
	body := `echo plain
echo to stderr >&2
write_verbose quiet
write_highlight bright
write_warning careful
write_wait waiting
echo back to info
printf 'no newline then '; echo '##octopus[stdout-warning]'
echo warned
echo "##octopus[stdout-default]"
printf "##octopus[progress percentage='%s' message='%s']\n" "$(printf 42 | base64)" "$(printf half | base64)"
update_progress 50 "halfway there"
echo '##octopus[stdout-ignore]'
echo dropped
echo '##octopus[stdout-default]'
echo '##octopus[made-up]'
echo '##octopus[setVariable name='"'"'!!!'"'"']'
printf 'last line without newline'`
	for _, syn := range []Syntax{Bash, Sh} {
		t.Run(string(syn), func(t *testing.T) {
			s := scriptStepOf("Log", body)
			s.Syntax = syn
			res, rec := runPlan(t, testRunner(t), plan(s))
			if res.Outcome != Succeeded {
				t.Fatalf("outcome %s: %+v", res.Outcome, res.Steps)
			}
			type line struct {
				Cat Category
				Msg string
			}
			var got []line
			for _, e := range rec.of(EventLog) {
				got = append(got, line{e.Category, e.Message})
			}
			want := []line{
				{Info, "plain"}, {Error, "to stderr"}, {Verbose, "quiet"}, {Highlight, "bright"},
				{Warning, "careful"}, {Info, "waiting"}, {Info, "back to info"}, {Info, "no newline then "},
				{Warning, "warned"}, {Verbose, `Ignored unsupported service message "made-up"`},
				{Warning, "Ignored a malformed service message: service message setVariable: attribute name is not base64"},
				{Info, "last line without newline"},
			}
			// stderr is a separate pipe: its line may arrive anywhere.
			if !slices.Contains(got, line{Error, "to stderr"}) {
				t.Errorf("stderr line missing: %v", got)
			}
			got = slices.DeleteFunc(got, func(l line) bool { return l.Cat == Error })
			want = slices.DeleteFunc(want, func(l line) bool { return l.Cat == Error })
			if !slices.Equal(got, want) {
				t.Errorf("log lines:\n got %v\nwant %v", got, want)
			}
			var pct []string
			for _, e := range rec.of(EventProgress) {
				pct = append(pct, strconv.Itoa(e.Percentage)+" "+e.Message)
			}
			if !slices.Equal(pct, []string{"42 half", "50 halfway there"}) {
				t.Errorf("progress = %v", pct)
			}
		})
	}
}

func TestOutputVariablesAndArtifacts(t *testing.T) {
	s1 := scriptStepOf("Build", `set_octopusvariable "Url" "https://example.test/a b"
set_octopusvariable Multi "$(printf 'line1\nline2')"
echo report > report.txt
new_octopusartifact report.txt
new_octopusartifact "$PWD/report.txt" "Custom name.txt"
new_octopusartifact missing.txt`)
	sibling := scriptStepOf("Sibling", `echo "sibling sees [$(get_octopusvariable 'Octopus.Action[Build].Output.Url')]"`)
	sibling.StartWithPrevious = true
	s2 := scriptStepOf("Use", `echo "template #{Octopus.Action[Build].Output.Url}"
echo "machine $(get_octopusvariable 'Octopus.Action[Build].Output[web01].Url')"
echo "case $(get_octopusvariable 'octopus.action[build].output.url')"
get_octopusvariable 'Octopus.Action[Build].Output.Multi'; echo
echo "missing [$(get_octopusvariable Nope)]"`)
	res, rec := runPlan(t, testRunner(t), plan(s1, sibling, s2))
	if res.Outcome != Succeeded {
		t.Fatalf("outcome %s: %+v", res.Outcome, res.Steps)
	}
	logs := rec.logs("Use")
	for _, want := range []string{"template https://example.test/a b", "machine https://example.test/a b",
		"case https://example.test/a b", "line1", "line2", "missing []"} {
		if !slices.Contains(logs, want) {
			t.Errorf("Use logs %q lack %q", logs, want)
		}
	}
	if got := rec.logs("Sibling"); !slices.Equal(got, []string{"sibling sees []"}) {
		t.Errorf("a step of the same parallel group saw an output: %q", got)
	}
	if len(res.Outputs) != 2 || res.Outputs[0] != (Output{Step: "Build", Name: "Url", Value: "https://example.test/a b"}) {
		t.Errorf("outputs = %+v", res.Outputs)
	}
	if len(res.Artifacts) != 2 || res.Artifacts[0].Name != "report.txt" || res.Artifacts[1].Name != "Custom name.txt" ||
		filepath.Base(res.Artifacts[0].Path) != "report.txt" {
		t.Errorf("artifacts = %+v", res.Artifacts)
	}
	if !containsLine(rec.logs("Build"), "Artifact missing.txt was not collected") {
		t.Errorf("no warning for the missing artifact: %q", rec.logs("Build"))
	}
}

func TestParallelStepsRunConcurrently(t *testing.T) {
	// Two steps meet at a FIFO: opening it blocks until both ends are open,
	// so the plan only succeeds if the steps really run at the same time.
	fifo := filepath.Join(t.TempDir(), "meet")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	writer := scriptStepOf("Writer", "echo ping > '"+fifo+"'")
	writer.Timeout = Duration(20 * time.Second)
	reader := scriptStepOf("Reader", "read -r msg < '"+fifo+"'; echo \"got $msg\"")
	reader.StartWithPrevious, reader.Timeout = true, Duration(20*time.Second)
	after := scriptStepOf("After", "echo after")
	res, rec := runPlan(t, testRunner(t), plan(writer, reader, after))
	if res.Outcome != Succeeded {
		t.Fatalf("outcome %s: %+v", res.Outcome, res.Steps)
	}
	if got := rec.logs("Reader"); !slices.Equal(got, []string{"got ping"}) {
		t.Errorf("reader logs %q", got)
	}
	// Both group members start before either finishes; After starts last.
	var order []string
	for _, e := range rec.events {
		if e.Kind == EventStepStarted || e.Kind == EventStepFinished {
			order = append(order, string(e.Kind)+":"+e.StepName)
		}
	}
	if order[0] != "StepStarted:Writer" || order[1] != "StepStarted:Reader" || order[4] != "StepStarted:After" {
		t.Errorf("event order %v", order)
	}
}

func TestCancelKillsProcessGroup(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var sleepPID int
	var cancelled time.Time
	rec := &recorder{onLog: func(e Event) {
		if pid, ok := strings.CutPrefix(e.Message, "sleeping "); ok {
			sleepPID, _ = strconv.Atoi(pid)
			cancelled = time.Now()
			cancel()
		}
	}}
	p := plan(
		scriptStepOf("Sleep", `sleep 600 & echo "sleeping $!"; wait`),
		Step{ID: "x", Name: "Always", Kind: KindScript, Syntax: Sh, ScriptBody: "true", Condition: Condition{Kind: ConditionAlways}},
	)
	res, err := testRunner(t).Run(ctx, p, rec)
	elapsed := time.Since(cancelled)
	if err != nil {
		t.Fatal(err)
	}
	if sleepPID == 0 {
		t.Fatalf("the script never reported its sleep: %q", rec.logs(""))
	}
	if elapsed > 5*time.Second {
		t.Errorf("Run returned %v after cancel, want < 5s", elapsed)
	}
	if res.Outcome != Canceled || res.Steps[0].Outcome != Canceled || res.Steps[1].Outcome != Canceled {
		t.Errorf("result %+v", res)
	}
	waitGone(t, sleepPID)
}

// waitGone fails unless pid exits (or is a zombie) within 5 s: the kill is
// sent, but reaping by init is not synchronous with Run returning.
func waitGone(t *testing.T, pid int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if err != nil {
			return // gone
		}
		if f := strings.Fields(string(b)); len(f) > 2 && f[2] == "Z" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("sleep (pid %d) still alive: %s", pid, b)
		}
		runtime_Gosched()
	}
}

func TestStepTimeout(t *testing.T) {
	slow := scriptStepOf("Slow", "sleep 600")
	slow.Timeout = Duration(300 * time.Millisecond)
	cleanup := scriptStepOf("Cleanup", "echo cleaning")
	cleanup.Condition.Kind = ConditionFailure
	start := time.Now()
	res, _ := runPlan(t, testRunner(t), plan(slow, cleanup))
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("took %v", d)
	}
	if got := outcomes(res); got["Slow"] != TimedOut || got["Cleanup"] != Succeeded || res.Outcome != Failed {
		t.Errorf("outcomes %v, run %s", got, res.Outcome)
	}
	if !strings.Contains(res.Steps[0].Message, "timeout of 300ms") {
		t.Errorf("message %q", res.Steps[0].Message)
	}
}

func TestSinkErrorStopsRun(t *testing.T) {
	boom := errors.New("disk full")
	var calls int
	sink := SinkFunc(func(_ context.Context, e Event) error {
		calls++
		if e.Kind == EventLog {
			return boom
		}
		return nil
	})
	p := plan(scriptStepOf("A", "echo one; echo two; sleep 600"), scriptStepOf("B", "echo never"))
	start := time.Now()
	res, err := testRunner(t).Run(context.Background(), p, sink)
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want the sink's error", err)
	}
	if time.Since(start) > 10*time.Second || calls != 2 {
		t.Errorf("calls = %d after %v", calls, time.Since(start))
	}
	if res.Steps[1].Outcome != Canceled {
		t.Errorf("B outcome %s", res.Steps[1].Outcome)
	}
}

func TestInvalidPlanIsAnError(t *testing.T) {
	_, err := testRunner(t).Run(context.Background(), plan(), &recorder{})
	var pe *PlanError
	if !errors.As(err, &pe) {
		t.Errorf("err = %v", err)
	}
}
