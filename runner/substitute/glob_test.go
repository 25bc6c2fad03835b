package substitute

import "testing"

func TestGlob(t *testing.T) {
	tests := []struct {
		glob  string
		match []string
		miss  []string
	}{
		{"*.json", []string{"a.json"}, []string{"sub/a.json", "a.jsonx"}},
		{"conf/*.conf", []string{"conf/a.conf"}, []string{"conf/sub/a.conf", "a.conf"}},
		{"**/*.config", []string{"web.config", "a/b/web.config"}, []string{"web.config.bak"}},
		{"conf/**", []string{"conf/a", "conf/a/b"}, []string{"config/a"}},
		{"./a?.txt", []string{"ab.txt"}, []string{"abc.txt", "a/.txt"}},
		{`sub\*.txt`, []string{"sub/x.txt"}, nil},
	}
	for _, tt := range tests {
		re, err := Glob(tt.glob)
		if err != nil {
			t.Fatalf("%q: %v", tt.glob, err)
		}
		for _, m := range tt.match {
			if !re.MatchString(m) {
				t.Errorf("%q should match %q", tt.glob, m)
			}
		}
		for _, m := range tt.miss {
			if re.MatchString(m) {
				t.Errorf("%q should not match %q", tt.glob, m)
			}
		}
	}
	for _, bad := range []string{"/etc/*", "../*", "..", "a/../../x", `..\x`, "C:/Windows/*", `\\server\share`} {
		if _, err := Glob(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
