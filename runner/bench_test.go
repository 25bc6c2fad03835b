package runner

import (
	"context"
	"os/exec"
	"strconv"
	"testing"
	"time"
)

// BenchmarkNoOpSteps measures the runner's overhead: a plan of 200 no-op
// script steps (bash with the bootstrap, events to a discarding sink)
// against 200 plain `sh -c true` runs via os/exec, timed in the same
// benchmark. It reports both durations per 200 and their ratio.
//
//	go test -run '^$' -bench NoOpSteps -benchtime 3x ./runner/
func BenchmarkNoOpSteps(b *testing.B) {
	const steps = 200
	var list []Step
	for i := range steps {
		s := scriptStepOf("Step "+strconv.Itoa(i), "true")
		s.Syntax = benchSyntax
		list = append(list, s)
	}
	p := plan(list...)
	p.Variables = []Variable{{Name: "Greeting", Value: "hello"}, {Name: "Secret", Value: "s3cret-value", Sensitive: true}}
	r := &Runner{WorkDir: b.TempDir()}
	discard := SinkFunc(func(context.Context, Event) error { return nil })

	var runner, plain time.Duration
	for b.Loop() {
		start := time.Now()
		res, err := r.Run(context.Background(), p, discard)
		if err != nil || res.Outcome != Succeeded {
			b.Fatalf("run: %v %+v", err, res)
		}
		runner += time.Since(start)

		start = time.Now()
		for range steps {
			if err := exec.Command("sh", "-c", "true").Run(); err != nil {
				b.Fatal(err)
			}
		}
		plain += time.Since(start)
	}
	n := float64(b.N)
	b.ReportMetric(runner.Seconds()*1000/n, "runner-ms/200")
	b.ReportMetric(plain.Seconds()*1000/n, "exec-ms/200")
	b.ReportMetric(runner.Seconds()/plain.Seconds(), "ratio")
}

var benchSyntax = Bash
