package substitute

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/argonautdeploy/argonaut/runner/template"
)

// FuzzStructured feeds arbitrary files to the structured configuration
// replacers: no panics, and a second pass with the same variables changes
// nothing (replacing is idempotent).
func FuzzStructured(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/structured/*")
	for _, s := range seeds {
		if b, err := os.ReadFile(s); err == nil {
			f.Add(filepath.Ext(s), b)
		}
	}
	f.Add(".properties", []byte("a\\\n=b\\u00\n"))
	f.Add(".yml", []byte("\xff\xfea\x00:\x00 \x001\x00"))
	vars := template.VariablesFrom("A", "1", "a:b", `{"x": [1]}`, "Port", "x\ny", "list:0", "true", "K", " \\v")
	f.Fuzz(func(t *testing.T, ext string, data []byte) {
		if len(data) > 1<<16 {
			return
		}
		name := "f" + ext
		out, _, _, err := Structured(name, data, vars)
		if err != nil {
			return
		}
		again, _, _, err := Structured(name, out, vars)
		if err != nil {
			t.Fatalf("output does not parse again: %v\n%q", err, out)
		}
		if ext == ".properties" && !bytes.Equal(again, out) {
			t.Fatalf("not idempotent:\n%q\n%q", out, again)
		}
	})
}

// FuzzEncoding checks that Decode and Encode round-trip every input with a
// byte order mark they accept.
func FuzzEncoding(f *testing.F) {
	f.Add([]byte("\xef\xbb\xbfx"))
	f.Add([]byte("\xff\xfea\x00"))
	f.Add([]byte("\xfe\xff\x00a"))
	f.Fuzz(func(t *testing.T, data []byte) {
		text, enc, err := Decode(data)
		if err != nil {
			return
		}
		again, enc2, err := Decode(Encode(text, enc))
		if err != nil || enc2 != enc || again != text {
			t.Fatalf("round trip of %q: %q %s %v", data, again, enc2, err)
		}
	})
}
