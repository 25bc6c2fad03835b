package template

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"
)

func render(t *testing.T, tmpl string, vars *Variables) Result {
	t.Helper()
	res, err := Evaluate(tmpl, vars, Options{Location: time.UTC})
	if err != nil {
		t.Fatalf("Evaluate(%q): %v", tmpl, err)
	}
	return res
}

func TestEvaluateTable(t *testing.T) {
	vars := VariablesFrom(
		"Name", "World",
		"Url", "http://#{Server | ToLower}:#{Port}",
		"Server", "WEB01",
		"Port", "80",
		"Steps[a].Name", "First",
		"Steps[b].Name", "Second",
		"Key", "b",
		"L", "a, b,,c",
		"Json", `{items: [{"n": 1}, {"n": 2.50}], 'q': true}`,
	)
	tests := []struct {
		name, tmpl, want string
		unresolved       []string
	}{
		{"binding", "Hello #{name}!", "Hello World!", nil},
		{"recursive value with filters", "#{Url}/x", "http://web01:80/x", nil},
		{"dynamic indexer", "#{Steps[#{Key}].Name}", "Second", nil},
		{"index node renders its index", "#{Steps[a]}", "a", nil},
		{"wildcard takes the first in insertion order", "#{Steps[*].Name}", "First", nil},
		{"escape", "##{Name} ###{Name}", "#{Name} #World", nil},
		{"lone hashes", "# ## #x #", "# ## #x #", nil},
		{"echo is rebuilt from the parse tree", "#{ Missing|ToUpper }", "#{Missing | ToUpper}", []string{"#{Missing | ToUpper}"}},
		{"options are re-quoted in echoes", "#{Missing | Substring 1 2}", `#{Missing | Substring "1" "2"}`, []string{`#{Missing | Substring "1" "2"}`}},
		{"missing in a condition is empty, not echoed", "#{if Missing}x#{else}y#{/if}", "y", nil},
		{"elseif", "#{if Missing}a#{elseif Name == \"World\"}b#{else}c#{/if}", "b", nil},
		{"unless with else swaps", "#{unless Name}a#{else}b#{/unless}", "b", nil},
		{"each with specials", "#{each s in Steps}#{s}=#{s.Name}#{if Octopus.Template.Each.Last == \"False\"},#{/if}#{/each}", "a=First,b=Second", nil},
		{"each over a comma list keeps blanks", "#{each x in L}[#{x}]#{/each}", "[a][ b][][c]", nil},
		{"json array walk", "#{Json.items[1].n}", "2.5", nil},
		{"json object re-serialised", "#{Json.items}", `[{"n":1},{"n":2.5}]`, nil},
		{"json bool", "#{Json.q}", "True", nil},
		{"calc", "#{calc {Port}/8+1}", "11", nil},
		{"failed calc echoes without calc", "#{calc Nope*2}", "#{Nope*2}", nil},
		{"unknown filter echoes", "#{Name | Shout}", "#{Name | Shout}", []string{"#{Name | Shout}"}},
		{"nested option tokens", "#{Name | Replace #{Key}#{Port}}", "World", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := render(t, tc.tmpl, vars)
			if res.Output != tc.want {
				t.Errorf("got %q, want %q", res.Output, tc.want)
			}
			if fmt.Sprint(res.Unresolved) != fmt.Sprint(tc.unresolved) && tc.unresolved != nil {
				t.Errorf("unresolved %q, want %q", res.Unresolved, tc.unresolved)
			}
		})
	}
}

func TestEachOverMissingCollectionIsQuiet(t *testing.T) {
	res := render(t, "a#{each x in Nope}#{x}#{/each}b", NewVariables())
	if res.Output != "ab" || res.HasError() {
		t.Fatalf("got %q, error %q", res.Output, res.ErrorText())
	}
}

func TestParseErrors(t *testing.T) {
	for _, tmpl := range []string{"#{Foo", "#{}", "#{ }", "#{if A}x#{/unless}", "#{/if}", "#{each a in B}"} {
		res, err := Evaluate(tmpl, NewVariables(), Options{})
		if err != nil || res.ParseError == nil || res.Output != tmpl {
			t.Errorf("%q: got %+v, %v; want the input back with a parse error", tmpl, res, err)
		}
	}
	res, err := Evaluate(`a #{" b #{X} #{`, VariablesFrom("X", "x"), Options{ContinueOnParseError: true})
	if err != nil || res.Output != `a #{" b x #{` {
		t.Fatalf("continue mode: got %q, %v", res.Output, err)
	}
}

func TestRecursiveDefinition(t *testing.T) {
	vars := VariablesFrom("A", "#{B}", "B", "#{C | ToUpper}", "C", "x#{A}")
	_, err := Evaluate("#{A}", vars, Options{})
	var rec *RecursiveDefinitionError
	if !errors.As(err, &rec) {
		t.Fatalf("got %v, want a RecursiveDefinitionError", err)
	}
	want := `An attempt to parse the variable symbol "A" appears to have resulted in a self referencing loop (A -> B -> C -> A). Ensure that recursive loops do not exist in the variable values.`
	if err.Error() != want {
		t.Fatalf("got %q\nwant %q", err.Error(), want)
	}
}

func TestLimits(t *testing.T) {
	// Each level doubles the output: 2^40 bytes unless something stops it.
	amplify := NewVariables()
	for i := 0; i < 40; i++ {
		amplify.Set(fmt.Sprintf("A%d", i), fmt.Sprintf("#{A%d}#{A%d}", i+1, i+1))
	}
	amplify.Set("A40", "xxxxxxxx")
	// The same shape producing nothing: only the step limit stops it.
	silent := NewVariables()
	for i := 0; i < 40; i++ {
		silent.Set(fmt.Sprintf("A%d", i), fmt.Sprintf("#{A%d}#{A%d}", i+1, i+1))
	}
	silent.Set("A40", "")
	deep := NewVariables()
	for i := 0; i < 1000; i++ {
		deep.Set(fmt.Sprintf("D%d", i), fmt.Sprintf("#{D%d}", i+1))
	}
	tests := []struct {
		name  string
		tmpl  string
		vars  *Variables
		limit string
	}{
		{"output", "#{A0}", amplify, "output"},
		{"steps", "#{A0}", silent, "steps"},
		{"depth", "#{D0}", deep, "depth"},
		{"filter amplification", `#{X | Replace "" xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx | Replace "" xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx | Replace "" xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx | Replace "" xxxxxxxxxxxxxxxxxxxxxxxxxxx}`, VariablesFrom("X", strings.Repeat("y", 1000)), "output"},
	}
	// Small limits keep the test quick under -race on a loaded machine; the
	// defaults are the same mechanism with bigger numbers, and the fuzz
	// target exercises them.
	small := Options{Limits: Limits{MaxOutputBytes: 1 << 20, MaxSteps: 200_000}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Evaluate(tc.tmpl, tc.vars, small)
			var le *LimitError
			if !errors.As(err, &le) || le.Limit != tc.limit {
				t.Fatalf("got %v, want a %s LimitError", err, tc.limit)
			}
		})
	}
}

func TestDeepTemplateNestingDoesNotParse(t *testing.T) {
	tmpl := strings.Repeat("#{if A}", 10000) + strings.Repeat("#{/if}", 10000)
	res, err := Evaluate(tmpl, NewVariables(), Options{})
	if err != nil || res.ParseError == nil {
		t.Fatalf("got %v, %v; want a parse error (nesting limit)", res.ParseError, err)
	}
}

func TestNullFilter(t *testing.T) {
	res := render(t, "a#{ | Null}b", NewVariables())
	if !res.Null || res.Output != "" {
		t.Fatalf("got %+v, want a null result", res)
	}
	res = render(t, "#{if X}#{ | Null}#{/if}ok", NewVariables())
	if res.Null || res.Output != "ok" {
		t.Fatalf("an untaken Null must not count: %+v", res)
	}
}

func TestVariablesOrderAndCase(t *testing.T) {
	v := VariablesFrom("B", "1", "a", "2", "b", "3")
	if got := strings.Join(v.Names(), ","); got != "B,a" {
		t.Fatalf("names %q", got)
	}
	if got, _ := v.Get("B"); got != "3" {
		t.Fatalf("Get(B) = %q, want the replaced value", got)
	}
}

func TestDotnetReplace(t *testing.T) {
	tests := []struct{ pattern, input, rep, want string }{
		{"o(.+)o([a-z]*)s", "opuocts", "o$2o$1s", "octopus"},
		{"(a)", "abc", "[$1$$$&${1}$9]", "[a$aa$9]bc"},
		{"", "ab", "-", "-a-b-"},
		{"(?P<x>b)", "abc", "${x}${x}", "abbc"},
		{"a", "aXa", "$`|$'", "|XaX" + "aX|"},
	}
	for _, tc := range tests {
		got, ok := dotnetReplace(regexp.MustCompile(tc.pattern), tc.input, tc.rep, 1<<20)
		if !ok || got != tc.want {
			t.Errorf("Replace(%q, %q, %q) = %q, want %q", tc.input, tc.pattern, tc.rep, got, tc.want)
		}
	}
}

func TestFormatDouble(t *testing.T) {
	seven := 7.0 // a variable: constant arithmetic would be exact
	tests := []struct {
		v    float64
		want string
	}{
		{1.5, "1.5"}, {seven * 0.2, "1.4000000000000001"}, {-12, "-12"}, {2.0 / 7, "0.2857142857142857"},
		{1e15, "1E+15"}, {123456789012345, "123456789012345"}, {0.00001, "1E-05"}, {0.0001, "0.0001"},
	}
	for _, tc := range tests {
		if got := formatDouble(tc.v); got != tc.want {
			t.Errorf("formatDouble(%v) = %q, want %q", tc.v, got, tc.want)
		}
	}
}

func TestNumberFormats(t *testing.T) {
	tests := []struct{ value, format, want string }{
		{"23.4", "C", "$23.40"},
		{"-1234.5", "C", "-$1,234.50"},
		{"1234.5678", "N", "1,234.57"},
		{"2.345", "F2", "2.35"},
		{"0.125", "P1", "12.5%"},
		{"1234.5", "#,##0.00", "1,234.50"},
		{"0.5", "#.##", ".5"},
		{"7", "000", "007"},
		{"-3", "0;(0)", "(3)"},
		{"23.4", "G", "23.4"},
	}
	for _, tc := range tests {
		n, ok := parseNetDecimal(tc.value)
		if !ok {
			t.Fatalf("parse %q", tc.value)
		}
		if got, _ := formatNetNumber(n, tc.format, false); got != tc.want {
			t.Errorf("%s | %s = %q, want %q", tc.value, tc.format, got, tc.want)
		}
	}
}

func TestDateFormats(t *testing.T) {
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct{ value, format, want string }{
		{"2030/05/22 09:05:00", "HH dd-MMM-yyy", "09 22-May-2030"},
		{"2030-05-22T09:05:00+02:00", "yyyy-MM-dd HH:mm zzz", "2030-05-22 09:05 +02:00"},
		{"5/22/2030 9:05:00 PM", "dddd h tt", "Wednesday 9 PM"},
		{"2030-05-22 09:05:00.1234567", "O", "2030-05-22T09:05:00.1234567"},
		{"2030-05-22T09:05:00Z", "O", "2030-05-22T09:05:00.0000000Z"},
		{"2030-05-22", "d", "5/22/2030"},
		{"2030-05-22 13:00", "'Day' d 'at' h:mm", "Day 22 at 1:00"},
	}
	for _, tc := range tests {
		d, ok := parseNetDate(tc.value, now)
		if !ok {
			t.Fatalf("parse %q", tc.value)
		}
		if got, _ := formatNetDate(d, tc.format, time.UTC); got != tc.want {
			t.Errorf("%s | %s = %q, want %q", tc.value, tc.format, got, tc.want)
		}
	}
}

func TestNowDateUsesTheInjectedClock(t *testing.T) {
	clock := time.Date(2031, 2, 3, 4, 5, 6, 0, time.UTC)
	res, err := Evaluate("#{ | NowDateUtc} #{ | NowDate yyyy}", NewVariables(), Options{Now: func() time.Time { return clock }, Location: time.UTC})
	if err != nil || res.Output != "2031-02-03T04:05:06.0000000Z 2031" {
		t.Fatalf("got %q, %v", res.Output, err)
	}
}

func TestLenientJSON(t *testing.T) {
	e := newEvaluator(nil, Options{})
	valid := []string{`{a: 1}`, `{'a': 'b', }`, `[1, 2, ] // c`, `/* x */ {"a": [true, null]}`, `12`, `"s"`}
	invalid := []string{``, `{a: b}`, `{"a": 1}}`, `{"a": 1} x`, `[1 2]`, strings.Repeat("[", 1000) + strings.Repeat("]", 1000)}
	for _, s := range valid {
		if _, ok := e.jsonParse(leaf(s)); !ok {
			t.Errorf("%q should parse", s)
		}
	}
	for _, s := range invalid {
		if _, ok := e.jsonParse(leaf(s)); ok {
			t.Errorf("%q should not parse", s)
		}
	}
}
