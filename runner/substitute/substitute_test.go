package substitute

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/argonautdeploy/argonaut/runner/template"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func loadVars(t *testing.T) *template.Variables {
	t.Helper()
	b, err := os.ReadFile("testdata/structured/vars.json")
	if err != nil {
		t.Fatal(err)
	}
	var pairs [][2]string
	if err := json.Unmarshal(b, &pairs); err != nil {
		t.Fatal(err)
	}
	vars := template.NewVariables()
	for _, p := range pairs {
		vars.Set(p[0], p[1])
	}
	return vars
}

// TestStructuredGolden replaces the variables of testdata/structured/
// vars.json in every other file there and compares with <file>.golden
// (go test -run Golden -update rewrites them).
func TestStructuredGolden(t *testing.T) {
	vars := loadVars(t)
	inputs, _ := filepath.Glob("testdata/structured/*")
	wantCounts := map[string]int{"appsettings.json": 10, "config.yaml": 11, "app.properties": 4, "unknown.conf": 2}
	tested := 0
	for _, in := range inputs {
		base := filepath.Base(in)
		if base == "vars.json" || strings.HasSuffix(base, ".golden") {
			continue
		}
		tested++
		t.Run(base, func(t *testing.T) {
			data, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			out, n, format, err := Structured(base, data, vars)
			if err != nil {
				t.Fatal(err)
			}
			if want, ok := wantCounts[base]; !ok || n != want {
				t.Errorf("%s (%s): replaced %d, want %d", base, format, n, want)
			}
			golden := in + ".golden"
			if *update {
				if err := os.WriteFile(golden, out, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update)", err)
			}
			if !bytes.Equal(out, want) {
				t.Errorf("%s differs from %s:\n%s", base, golden, out)
			}
			// Replacing again with the same variables changes nothing more.
			again, _, _, err := Structured(base, out, vars)
			if err != nil || !bytes.Equal(again, out) {
				t.Errorf("not idempotent (%v):\n%s", err, again)
			}
		})
	}
	if tested != len(wantCounts) {
		t.Errorf("tested %d files, want %d", tested, len(wantCounts))
	}
}

func TestStructuredKeepsEncodingAndLineEndings(t *testing.T) {
	vars := template.VariablesFrom("A:B", "new", "Key", "v")
	for _, tc := range []struct {
		name string
		text string
		want string
	}{
		{"x.json", "{\r\n  \"A\": {\r\n    \"B\": \"old\"\r\n  }\r\n}\r\n", "{\r\n  \"A\": {\r\n    \"B\": \"new\"\r\n  }\r\n}\r\n"},
		{"x.yml", "a:\r\n  b: old\r\n", "a:\r\n  b: new\r\n"},
		{"x.properties", "# c\r\nkey=old\r\n", "# c\r\nkey=v\r\n"},
	} {
		for _, enc := range []Encoding{UTF8, UTF8BOM, UTF16LE, UTF16BE} {
			t.Run(tc.name+" "+enc.String(), func(t *testing.T) {
				out, n, _, err := Structured(tc.name, Encode(tc.text, enc), vars)
				if err != nil || n != 1 {
					t.Fatalf("n=%d err=%v", n, err)
				}
				if want := Encode(tc.want, enc); !bytes.Equal(out, want) {
					t.Errorf("got  %q\nwant %q", out, want)
				}
			})
		}
	}
}

func TestStructuredErrors(t *testing.T) {
	vars := template.VariablesFrom("A", "1")
	for name, body := range map[string]string{
		"bad.json":  "{nope",
		"bad.yaml":  "a: [unclosed",
		"bad.conf":  "{nope: [",
		"odd16.yml": "\xff\xfea\x00b",
	} {
		if _, _, _, err := Structured(name, []byte(body), vars); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	// Nothing to replace: the file comes back byte for byte, even when its
	// formatting is not what the writer would produce.
	in := []byte("{\"Other\":   [1,2]}")
	if out, n, _, err := Structured("x.json", in, vars); err != nil || n != 0 || !bytes.Equal(out, in) {
		t.Errorf("unchanged file rewritten: %q %d %v", out, n, err)
	}
}

func TestProperties(t *testing.T) {
	tests := []struct {
		name, in  string
		vars      []string
		want      string
		wantCount int
	}{
		{"separators kept", "a=1\nb: 2\nc 3\nd   =   4\n", []string{"A", "x", "B", "y", "C", "z", "D", "w"}, "a=x\nb: y\nc z\nd   =   w\n", 4},
		{"continuation replaced", "a=1\\\n  2\\\n  3\nb=keep\n", []string{"a", "new"}, "a=new\nb=keep\n", 1},
		{"escaped backslash is not a continuation", "a=x\\\\\nb=2\n", []string{"b", "9"}, "a=x\\\\\nb=9\n", 1},
		{"value escapes", "a=1\n", []string{"a", " lead\\back\nline\ttab"}, "a=\\ lead\\\\back\\nline\\ttab\n", 1},
		{"unicode key escape", "caf\\u00e9=1\n", []string{"CAFÉ", "2"}, "caf\\u00e9=2\n", 1},
		{"escaped separator in key", "a\\=b=1\n", []string{"a=b", "2"}, "a\\=b=2\n", 1},
		{"comments untouched", "#a=1\n!a=1\n  # a=1\n", []string{"a", "2"}, "#a=1\n!a=1\n  # a=1\n", 0},
		{"duplicate keys all replaced", "a=1\na=2", []string{"a", "3"}, "a=3\na=3", 2},
		{"empty value", "a=\n", []string{"a", "v"}, "a=v\n", 1},
		{"key only", "a\n", []string{"a", "v"}, "av\n", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, n := Properties(tt.in, template.VariablesFrom(tt.vars...))
			if got != tt.want || n != tt.wantCount {
				t.Errorf("got %q (%d), want %q (%d)", got, n, tt.want, tt.wantCount)
			}
		})
	}
}

func TestTextKeepsEncoding(t *testing.T) {
	vars := template.VariablesFrom("Name", "Zoë ☕", "Empty", "")
	in := "héllo #{Name}!\r\n#{Empty}end 😀\n"
	want := "héllo Zoë ☕!\r\nend 😀\n"
	for _, enc := range []Encoding{UTF8, UTF8BOM, UTF16LE, UTF16BE} {
		t.Run(enc.String(), func(t *testing.T) {
			out, res, err := Text(Encode(in, enc), vars, template.Options{})
			if err != nil || res.HasError() {
				t.Fatalf("%v %v", err, res.ErrorText())
			}
			if !bytes.Equal(out, Encode(want, enc)) {
				t.Errorf("got %q, want %q", out, Encode(want, enc))
			}
			text, got, err := Decode(out)
			if err != nil || got != enc || text != want {
				t.Errorf("Decode = %q %s %v", text, got, err)
			}
		})
	}
}

func TestTextReportsUnresolvedAndParseErrors(t *testing.T) {
	vars := template.VariablesFrom("A", "1")
	out, res, err := Text([]byte("#{A} #{Missing}"), vars, template.Options{})
	if err != nil || string(out) != "1 #{Missing}" || len(res.Unresolved) != 1 || res.Unresolved[0] != "#{Missing}" {
		t.Errorf("unresolved: %q %+v %v", out, res, err)
	}
	in := []byte("\xef\xbb\xbf#{if A}x#{/unless}")
	out, res, err = Text(in, vars, template.Options{})
	if err != nil || res.ParseError == nil || !bytes.Equal(out, in) {
		t.Errorf("parse error: %q %+v %v", out, res, err)
	}
	if _, _, err := Text([]byte("#{A}"), template.VariablesFrom("A", "#{A}"), template.Options{}); err == nil {
		t.Error("recursive definition: no error")
	}
}

func TestEncodingDetection(t *testing.T) {
	for _, tc := range []struct {
		data []byte
		want Encoding
		text string
	}{
		{[]byte("plain"), UTF8, "plain"},
		{[]byte("\xef\xbb\xbfbom"), UTF8BOM, "bom"},
		{[]byte("\xff\xfeA\x00\xe9\x00"), UTF16LE, "Aé"},
		{[]byte("\xfe\xff\x00A\x00\xe9"), UTF16BE, "Aé"},
		{[]byte("\xff\xfe=\xd8\x00\xde"), UTF16LE, "😀"},
		{[]byte{}, UTF8, ""},
	} {
		text, enc, err := Decode(tc.data)
		if err != nil || enc != tc.want || text != tc.text {
			t.Errorf("Decode(%q) = %q %s %v, want %q %s", tc.data, text, enc, err, tc.text, tc.want)
		}
		if got := Encode(text, enc); !bytes.Equal(got, tc.data) {
			t.Errorf("Encode round trip of %q = %q", tc.data, got)
		}
	}
	if _, _, err := Decode([]byte("\xff\xfeA")); err == nil {
		t.Error("odd UTF-16 accepted")
	}
}
