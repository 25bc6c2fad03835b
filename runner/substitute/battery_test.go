package substitute

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestFilesTraversalBattery is the archive-extraction battery of
// SECURITY.md applied to substitution (Argo CD CVE-2022-24348/24904/31036):
// whatever the globs and whatever links the package or a script planted,
// nothing outside the root is read or written.
func TestFilesTraversalBattery(t *testing.T) {
	const secret = "outside-#{Var}"
	type fixture struct{ root, outside string }
	setup := func(t *testing.T) fixture {
		base := t.TempDir()
		f := fixture{root: filepath.Join(base, "root"), outside: filepath.Join(base, "outside")}
		for _, d := range []string{f.root, f.outside, filepath.Join(f.root, "conf")} {
			if err := os.MkdirAll(d, 0o755); err != nil {
				t.Fatal(err)
			}
		}
		write(t, filepath.Join(f.outside, "x.conf"), secret)
		write(t, filepath.Join(f.root, "conf", "app.conf"), "#{Var}")
		return f
	}
	editUpper := func(name string, data []byte) ([]byte, error) {
		return []byte(strings.ToUpper(string(data))), nil
	}
	tests := []struct {
		name    string
		globs   []string
		plant   func(t *testing.T, f fixture)
		wantErr string
	}{
		{name: "parent glob", globs: []string{"../*"}, wantErr: "must be relative"},
		{name: "parent glob with backslashes", globs: []string{`..\outside\*`}, wantErr: "must be relative"},
		{name: "glob climbing out of a subdirectory", globs: []string{"conf/../../outside/*"}, wantErr: "must be relative"},
		{name: "absolute glob", globs: []string{"/etc/*"}, wantErr: "must be relative"},
		{name: "drive-letter glob", globs: []string{"C:/x/*"}, wantErr: "must be relative"},
		{name: "symlink file to outside", globs: []string{"conf/*.conf"},
			plant: func(t *testing.T, f fixture) {
				symlink(t, filepath.Join(f.outside, "x.conf"), filepath.Join(f.root, "conf", "evil.conf"))
			},
			wantErr: "refusing conf/evil.conf: it is a symbolic link"},
		{name: "relative symlink climbing out", globs: []string{"conf/*.conf"},
			plant: func(t *testing.T, f fixture) {
				symlink(t, "../../outside/x.conf", filepath.Join(f.root, "conf", "evil.conf"))
			},
			wantErr: "symbolic link"},
		{name: "symlinked directory is not entered", globs: []string{"**/*.conf"},
			plant: func(t *testing.T, f fixture) { symlink(t, f.outside, filepath.Join(f.root, "conf", "sub")) }},
		{name: "symlinked directory at the top is not entered", globs: []string{"linked/*", "linked/**"},
			plant: func(t *testing.T, f fixture) { symlink(t, f.outside, filepath.Join(f.root, "linked")) }},
		{name: "symlinked directory named by the glob is refused", globs: []string{"linked"},
			plant:   func(t *testing.T, f fixture) { symlink(t, f.outside, filepath.Join(f.root, "linked")) },
			wantErr: "refusing linked: it is a symbolic link"},
		{name: "symlink to /etc", globs: []string{"etc/passwd", "**/passwd"},
			plant: func(t *testing.T, f fixture) { symlink(t, "/etc", filepath.Join(f.root, "etc")) }},
		{name: "hard link to an outside file is replaced, not written through", globs: []string{"conf/*.conf"},
			plant: func(t *testing.T, f fixture) {
				if err := os.Link(filepath.Join(f.outside, "x.conf"), filepath.Join(f.root, "conf", "hard.conf")); err != nil {
					t.Fatal(err)
				}
			}},
		{name: "planted temporary-file link is removed, not written through", globs: []string{"conf/*.conf"},
			plant: func(t *testing.T, f fixture) {
				symlink(t, filepath.Join(f.outside, "x.conf"), filepath.Join(f.root, "conf", "app.conf.argonaut-tmp"))
			}},
		{name: "FIFO is refused, not opened", globs: []string{"conf/*"},
			plant: func(t *testing.T, f fixture) {
				if err := syscall.Mkfifo(filepath.Join(f.root, "conf", "pipe"), 0o644); err != nil {
					t.Fatal(err)
				}
			},
			wantErr: "special file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := setup(t)
			if tt.plant != nil {
				tt.plant(t, f)
			}
			_, err := Files(f.root, tt.globs, editUpper)
			if tt.wantErr == "" && err != nil {
				t.Fatalf("error %v", err)
			}
			if tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
			}
			if b, err := os.ReadFile(filepath.Join(f.outside, "x.conf")); err != nil || string(b) != secret {
				t.Errorf("outside file = %q, %v: written through", b, err)
			}
			if b, err := os.ReadFile("/etc/passwd"); err != nil || strings.Contains(string(b), "ROOT:") {
				t.Errorf("/etc/passwd touched (%v)", err)
			}
		})
	}
}

// TestFilesEditsMatchingRegularFiles checks the ordinary case next to the
// battery: matching files are edited, keep their mode, others are not, and
// patterns that matched nothing are reported.
func TestFilesEditsMatchingRegularFiles(t *testing.T) {
	root := t.TempDir()
	write(t, filepath.Join(root, "a.conf"), "a")
	write(t, filepath.Join(root, "sub", "b.conf"), "b")
	write(t, filepath.Join(root, "sub", "c.txt"), "c")
	if err := os.Chmod(filepath.Join(root, "a.conf"), 0o640); err != nil {
		t.Fatal(err)
	}
	var seen []string
	unmatched, err := Files(root, []string{"**/*.conf", " ", "nothing/*"}, func(name string, data []byte) ([]byte, error) {
		seen = append(seen, name)
		return append(data, '!'), nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(seen, ",") != "a.conf,sub/b.conf" || strings.Join(unmatched, ",") != "nothing/*" {
		t.Errorf("seen %q, unmatched %q", seen, unmatched)
	}
	for name, want := range map[string]string{"a.conf": "a!", "sub/b.conf": "b!", "sub/c.txt": "c"} {
		if b, _ := os.ReadFile(filepath.Join(root, name)); string(b) != want {
			t.Errorf("%s = %q, want %q", name, b, want)
		}
	}
	if st, _ := os.Stat(filepath.Join(root, "a.conf")); st.Mode().Perm() != 0o640 {
		t.Errorf("mode %v, want 0640", st.Mode().Perm())
	}
	if _, err := os.Stat(filepath.Join(root, "a.conf.argonaut-tmp")); !os.IsNotExist(err) {
		t.Errorf("temporary file left behind: %v", err)
	}
}

func write(t *testing.T, name, body string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

func symlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
}
