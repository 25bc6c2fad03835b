package template

import (
	"fmt"
	"strings"
	"testing"
	gotemplate "text/template"
	"time"
)

// benchTemplates builds the same ~1 MB document twice, as an Octostache
// template and as a Go text/template, over 10 000 variables: mostly
// bindings, with a loop over a 20-item list and a conditional every 200
// lines.
func benchTemplates(tb testing.TB) (octo string, vars *Variables, gotpl *gotemplate.Template, data map[string]any, gosrc string) {
	const nVars = 10_000
	vars = NewVariables()
	data = map[string]any{}
	for i := range nVars {
		name, value := fmt.Sprintf("Var%d", i), fmt.Sprintf("value-%d", i)
		vars.Set(name, value)
		data[name] = value
	}
	items := make([]string, 20)
	for i := range items {
		items[i] = fmt.Sprintf("item%d", i)
	}
	vars.Set("List", strings.Join(items, ","))
	vars.Set("Flag", "True")
	data["List"], data["Flag"] = items, true

	var o, g strings.Builder
	for i := 0; o.Len() < 1<<20; i++ {
		a, b := i%nVars, (i*7919)%nVars
		fmt.Fprintf(&o, "line %d: key=#{Var%d} other=#{Var%d} plain text to copy through\n", i, a, b)
		fmt.Fprintf(&g, "line %d: key={{.Var%d}} other={{.Var%d}} plain text to copy through\n", i, a, b)
		if i%200 == 0 {
			o.WriteString("#{each x in List}[#{x}]#{/each}\n#{if Flag}flag on #{Var1}#{else}off#{/if}\n")
			g.WriteString("{{range .List}}[{{.}}]{{end}}\n{{if .Flag}}flag on {{.Var1}}{{else}}off{{end}}\n")
		}
	}
	gotpl, err := gotemplate.New("bench").Option("missingkey=error").Parse(g.String())
	if err != nil {
		tb.Fatal(err)
	}
	return o.String(), vars, gotpl, data, g.String()
}

// TestBenchTemplatesAgree checks that the two benchmark templates render
// the same text, so the benchmark compares equal work.
func TestBenchTemplatesAgree(t *testing.T) {
	octo, vars, gotpl, data, _ := benchTemplates(t)
	res, err := Evaluate(octo, vars, Options{})
	if err != nil || res.HasError() {
		t.Fatalf("%v %s", err, res.ErrorText())
	}
	var g strings.Builder
	if err := gotpl.Execute(&g, data); err != nil {
		t.Fatal(err)
	}
	if res.Output != g.String() {
		t.Fatalf("outputs differ: %d vs %d bytes", len(res.Output), g.Len())
	}
}

// BenchmarkRenderVsTextTemplate renders the 1 MB template with our engine
// (parse + evaluate, as a deployment does for each file) and with Go's
// text/template, both execute only (parsed once: the most favourable case
// for it; "ratio" = ours / that) and parse + execute (like for like with a
// file substitution; "ratio-with-parse"). Throughputs are over the
// template's size; a ratio ≥ 1 means we are at least as fast.
func BenchmarkRenderVsTextTemplate(b *testing.B) {
	octo, vars, gotpl, data, gosrc := benchTemplates(b)
	size := float64(len(octo)) / 1e6
	var ours, theirs, theirsParse time.Duration
	var sb strings.Builder
	for b.Loop() {
		start := time.Now()
		res, err := Evaluate(octo, vars, Options{})
		ours += time.Since(start)
		if err != nil || res.HasError() {
			b.Fatal(err, res.ErrorText())
		}
		sb.Reset()
		start = time.Now()
		if err := gotpl.Execute(&sb, data); err != nil {
			b.Fatal(err)
		}
		theirs += time.Since(start)
		sb.Reset()
		start = time.Now()
		tp, err := gotemplate.New("bench").Option("missingkey=error").Parse(gosrc)
		if err == nil {
			err = tp.Execute(&sb, data)
		}
		theirsParse += time.Since(start)
		if err != nil {
			b.Fatal(err)
		}
	}
	n := float64(b.N)
	oursMBs, theirsMBs, theirsParseMBs := size*n/ours.Seconds(), size*n/theirs.Seconds(), size*n/theirsParse.Seconds()
	b.ReportMetric(oursMBs, "argonaut-MB/s")
	b.ReportMetric(theirsMBs, "text/template-MB/s")
	b.ReportMetric(theirsParseMBs, "text/template+parse-MB/s")
	b.ReportMetric(oursMBs/theirsMBs, "ratio")
	b.ReportMetric(oursMBs/theirsParseMBs, "ratio-with-parse")
}
