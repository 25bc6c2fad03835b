package template

import (
	"strings"
	"testing"
	"time"
)

// FuzzEvaluate checks that no template and variable set makes Evaluate panic
// or run away: internal panics are recovered into an "internal error", which
// the fuzzer treats as a failure, and the limits keep each run small.
func FuzzEvaluate(f *testing.F) {
	seeds := [][3]string{
		{"#{Foo}", "Foo", "#{Bar}"},
		{"#{if A == \"x\"}y#{elseif B}z#{else}w#{/if}", "A", "x"},
		{"#{each a in L}#{a}#{Octopus.Template.Each.Index},#{/each}", "L", "a,b,,c"},
		{"#{each s in J}#{s.Key}=#{s.Value}#{/each}", "J", `{"a": {"b": [1, 2.5, null]}}`},
		{"#{calc ({X}-2)*3/7}", "X", "11"},
		{"#{X | Replace \"(a)(b)\" \"$2$1$$\" | Truncate 3 \"…\" | ToUpper}", "X", "abab"},
		{"##{X} ###{X} #{X[#{Y}].Z} #{X[*]}", "X[k].Z", "#{X[k].Z}"},
		{"#{ | NowDate | AddHours 2 | Format \"yyyy-MM-dd HH:mm zz\"}", "", ""},
		{"#{V | VersionPreReleaseCounter} #{V | Md5 base64 4} #{V | UriPart Host}", "V", "1.2.3-rc.1+m"},
		{"#{A}", "A", "#{A}"},
	}
	for _, s := range seeds {
		f.Add(s[0], s[1], s[2])
	}
	clock := time.Date(2030, 5, 22, 9, 5, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, tmpl, name, value string) {
		vars := VariablesFrom(name, value, "Other", tmpl, name+"[x].Y", value)
		opts := Options{
			Now:      func() time.Time { return clock },
			Location: time.UTC,
			Limits:   Limits{MaxDepth: 64, MaxOutputBytes: 1 << 20, MaxSteps: 100_000},
		}
		for _, cont := range []bool{false, true} {
			opts.ContinueOnParseError = cont
			res, err := Evaluate(tmpl, vars, opts)
			if err != nil && strings.Contains(err.Error(), "internal error") {
				t.Fatalf("panic inside Evaluate: %v", err)
			}
			if len(res.Output) > opts.Limits.MaxOutputBytes+len(tmpl) {
				t.Fatalf("output %d bytes exceeds the limit", len(res.Output))
			}
		}
	})
}
