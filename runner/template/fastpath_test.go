package template

import (
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

// The parser and the evaluator have fast paths for the commonest tokens
// (plain bindings). They must never change a result: these tests evaluate
// the same input with and without them and compare everything.

// agree evaluates tmpl both ways and returns a description of any
// difference. Each way gets its own copy of vars: the caches on a variable
// tree change what a later evaluation is charged for JSON parsing.
func agree(tmpl string, vars *Variables, opts Options) string {
	fast, fastErr := evaluate(tmpl, copyVariables(vars), opts, false)
	slow, slowErr := evaluate(tmpl, copyVariables(vars), opts, true)
	if fmt.Sprint(fastErr) != fmt.Sprint(slowErr) {
		return fmt.Sprintf("errors differ:\nfast %v\nslow %v", fastErr, slowErr)
	}
	if !reflect.DeepEqual(fast, slow) {
		return fmt.Sprintf("results differ:\nfast %#v\nslow %#v", fast, slow)
	}
	return ""
}

func copyVariables(v *Variables) *Variables {
	c := NewVariables()
	for _, n := range v.Names() {
		val, _ := v.Get(n)
		c.Set(n, val)
	}
	return c
}

func TestFastPathsAgreeOnConformance(t *testing.T) {
	for _, c := range loadConformance(t) {
		opts := Options{
			ContinueOnParseError: c.HaltOnError != nil && !*c.HaltOnError,
			Location:             time.UTC,
			Now:                  func() time.Time { return time.Date(2030, 5, 22, 9, 5, 0, 0, time.UTC) },
		}
		if d := agree(c.Template, caseVariables(c), opts); d != "" {
			t.Errorf("%s: %s", c.Name, d)
		}
	}
}

func TestFastPathsAgree(t *testing.T) {
	vars := VariablesFrom(
		"Name", "World", "name.first", "Ada", "Lower", "x", "Upper", "#{Name}",
		"Json", `{"a": {"b": 1}}`, "Self", "#{Self}", "Dots.In.Name", "d",
		"List", "a,b", "Container.Child", "c", "Idx[k]", "v",
	)
	tmpls := []string{
		"#{Name} #{NAME} #{name} #{Name.First} #{name.first} #{Lower} #{Upper}",
		"#{Json.a.b} #{Json.a} #{Missing} #{Missing.Too} #{Container} #{Container.Child}",
		"#{Self}", "a #{Name} b #{Self}", "#{Dots.In.Name} #{Dots..In} #{.Dots} #{Dots.}",
		"#{each x in List}#{x}#{Name}#{x.y}#{Octopus.Template.Each.Index}#{/each}",
		"#{each Name in List}#{Name}#{/each}", "#{if Name}#{Name}#{else}#{Lower}#{/if}",
		"#{Idx} #{Idx[k]} #{Idx.k} ##{Name} ###{Name} #{if} #{else} #{calc} #{each}",
		"#{Name | ToUpper} #{Name|Replace #{Lower} y} #{ Name } #{Name }",
		"#{a-b:c/d~e(f)@g} #{Ünï} #{Name", "#{Name}}", "#{/if}", "#{Name} #{if x}",
		// Without halt, a "#{" that does not parse is text, merged with
		// the text around it.
		"x#{ y}z#{/if}#{Name}#{ w}v#{", "#{##{Name}}#{", "#{#{#{Name}", "a#{/each}b#{Name}#{Name}c#{",
	}
	for _, tmpl := range append(tmpls, padded(tmpls)...) {
		for _, cont := range []bool{false, true} {
			lims := []Limits{{}, {MaxDepth: 1}, {MaxDepth: 2}, {MaxOutputBytes: 10}}
			for steps := 1; steps <= 40; steps++ {
				lims = append(lims, Limits{MaxSteps: steps})
			}
			for _, lim := range lims {
				if d := agree(tmpl, vars, Options{ContinueOnParseError: cont, Limits: lim}); d != "" {
					t.Errorf("%q (continue %v, limits %+v): %s", tmpl, cont, lim, d)
				}
			}
		}
	}
	octo, bvars, _, _, _ := benchTemplates(t)
	if d := agree(octo, bvars, Options{}); d != "" {
		t.Errorf("benchmark template: %s", d)
	}
}

// padded returns the templates behind enough plain text that their one-pass
// evaluation uses the name index.
func padded(tmpls []string) []string {
	pad := strings.Repeat("-", indexMinTemplate)
	out := make([]string, len(tmpls))
	for i, t := range tmpls {
		out[i] = pad + t
	}
	return out
}

func TestNameIndexAgreesWithTheTree(t *testing.T) {
	long := strings.Repeat("N", maxIndexedName)
	vars := VariablesFrom(
		"A", "a", "a.B", "ab", "A.b.C", "#{A}", "Json", `{"x": 1}`, "Json.y", "y",
		"Idx[k].Z", "z", long, "long", long[1:], "fits", "Ünï.Name", "u", "Kelvin", "k",
		"Spaced Name.X", "s", "E", "", " .Empty", "first step is empty",
	)
	names := vars.tree().nameIndex()
	for _, name := range []string{"a", "A", "a.b", "A.B.C", "a.b.c", "json", "json.x", "json.y", "idx", "idx.k",
		long, long[1:], "ünï.name", "kelvin", "KELVIN", "spaced name.x", "e", "missing", "a.missing", "empty", ".empty"} {
		b := vars.tree().root
		for _, seg := range strings.Split(name, ".") {
			if b, _ = b.children.get(seg); b == nil {
				break
			}
		}
		want, wantOK := "", b != nil && b.item != nil && b.plain
		if wantOK {
			want = *b.item
		}
		if len(foldKey(name)) > maxIndexedName || foldKey(name) != strings.ToLower(name) {
			wantOK, want = false, "" // never looked up in the index
		}
		got, ok := names.lookup([]byte(foldKey(name)))
		if got != want || ok != wantOK {
			t.Errorf("%q: index has %q %v, tree %q %v", name, got, ok, want, wantOK)
		}
	}
}

// FuzzFastPathsAgree checks the fast paths against the general code on
// any input.
func FuzzFastPathsAgree(f *testing.F) {
	f.Add("#{Foo} #{Foo.Bar} #{foo}", "Foo", "#{Bar}")
	f.Add("#{A.B}#{each x in L}#{x}#{A}#{/each}", "A.B", "v")
	f.Add("#{Self}", "Self", "#{Self}")
	f.Add("#{J.a}", "J", `{"a": 1}`)
	clock := time.Date(2030, 5, 22, 9, 5, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, tmpl, name, value string) {
		vars := VariablesFrom(name, value, "Other", tmpl, name+".Y", value, "L", "a,"+name)
		for _, tmpl := range []string{tmpl, padded([]string{tmpl})[0]} {
			for _, cont := range []bool{false, true} {
				for _, lim := range []Limits{
					{MaxDepth: 64, MaxOutputBytes: 1 << 20, MaxSteps: 100_000},
					{MaxDepth: 3, MaxSteps: 20, MaxOutputBytes: 64},
					{MaxDepth: 3, MaxSteps: 20, MaxOutputBytes: 64 << 10},
				} {
					opts := Options{ContinueOnParseError: cont, Now: func() time.Time { return clock }, Location: time.UTC, Limits: lim}
					if d := agree(tmpl, vars, opts); d != "" {
						t.Fatal(d)
					}
				}
			}
		}
	})
}

// TestNameIndexIsSharedSafely evaluates a template large enough to use the
// name index from many goroutines at once (run with -race): the index is
// built once, on first use, and only read afterwards.
func TestNameIndexIsSharedSafely(t *testing.T) {
	vars := VariablesFrom("Name", "World", "A.B", "ab", "L", "x,y")
	tmpl := padded([]string{"#{Name} #{a.b} #{each i in L}#{i}#{/each}"})[0]
	want := strings.Repeat("-", indexMinTemplate) + "World ab xy"
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 20 {
				if res, err := Evaluate(tmpl, vars, Options{}); err != nil || res.Output != want {
					t.Errorf("got %q %v", res.Output[len(res.Output)-min(len(res.Output), 20):], err)
					return
				}
			}
		}()
	}
	wg.Wait()
}
