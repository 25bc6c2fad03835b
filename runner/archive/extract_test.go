package archive

import (
	"archive/tar"
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func happyMembers(t testing.TB, withHardlink bool) []member {
	inner := buildZip(t, []member{{name: "../../inner-escape", body: "never extracted"}})
	ms := []member{
		{name: "app/", typ: tar.TypeDir, mode: 0o755},
		{name: "app/bin/", typ: tar.TypeDir, mode: 0o755},
		{name: "app/bin/run.sh", mode: 0o755, body: "#!/bin/sh\necho hi\n"},
		{name: "app/config.json", mode: 0o644, body: `{"a":1}`},
		{name: "app/empty/", typ: tar.TypeDir, mode: 0o755},
		{name: "app/lib/tool.sh", mode: 0o644, body: "tool"},
		{name: "app/bin/tool", typ: tar.TypeSymlink, link: "../lib/tool.sh"},
		{name: "app/inner.zip", mode: 0o644, body: string(inner)},
		{name: "./app/dot-slash.txt", mode: 0o600, body: "dot"},
	}
	if withHardlink {
		ms = append(ms, member{name: "app/config.hard", typ: tar.TypeLink, link: "app/config.json"})
	}
	return ms
}

func TestHappyPath(t *testing.T) {
	for _, format := range []Format{FormatTar, FormatTarGzip, FormatTarBzip2, FormatTarZstd, FormatZip} {
		t.Run(format.String(), func(t *testing.T) {
			isTar := format != FormatZip
			ms := happyMembers(t, isTar)
			var data []byte
			if isTar {
				data = compress(t, format, buildTar(t, ms))
			} else {
				data = buildZip(t, ms)
			}
			want := Summary{Format: format, Entries: len(ms), Files: 5, Dirs: 3, Symlinks: 1}
			if isTar {
				want.Hardlinks = 1
			}
			for _, m := range ms {
				want.Bytes += int64(len(m.body))
			}
			if !isTar {
				want.Bytes += int64(len("../lib/tool.sh")) // zip links keep their target as data
			}

			got, err := Validate(context.Background(), bytes.NewReader(data), int64(len(data)), format, Limits{})
			if err != nil {
				t.Fatalf("Validate: %v", err)
			}
			if got.CompressedBytes == 0 {
				t.Error("CompressedBytes = 0")
			}
			got.CompressedBytes = 0
			if !equalSummary(got, want) {
				t.Errorf("Validate summary = %+v, want %+v", got, want)
			}

			parent := t.TempDir()
			dest := filepath.Join(parent, "dest")
			got, err = Extract(context.Background(), bytes.NewReader(data), int64(len(data)), format, dest, Limits{})
			if err != nil {
				t.Fatalf("Extract: %v", err)
			}
			got.CompressedBytes = 0
			if !equalSummary(got, want) {
				t.Errorf("Extract summary = %+v, want %+v", got, want)
			}
			wantTree := []string{
				"app drwxr-xr-x",
				"app/bin drwxr-xr-x",
				"app/bin/run.sh -rwxr-xr-x",
				"app/bin/tool Lrwxrwxrwx -> ../lib/tool.sh",
				"app/config.json -rw-r--r--",
				"app/dot-slash.txt -rw-------",
				"app/empty drwxr-xr-x",
				"app/inner.zip -rw-r--r--",
				"app/lib drwxr-xr-x",
				"app/lib/tool.sh -rw-r--r--",
			}
			if isTar {
				wantTree = append(wantTree, "app/config.hard -rw-r--r--")
				slices.Sort(wantTree)
			}
			if got := listTree(t, dest); !slices.Equal(got, wantTree) {
				t.Errorf("tree:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(wantTree, "\n"))
			}
			for name, body := range map[string]string{"app/bin/run.sh": "#!/bin/sh\necho hi\n", "app/bin/tool": "tool", "app/config.json": `{"a":1}`} {
				if b, err := os.ReadFile(filepath.Join(dest, name)); err != nil || string(b) != body {
					t.Errorf("%s = %q, %v; want %q", name, b, err, body)
				}
			}
			if isTar {
				a, _ := os.Stat(filepath.Join(dest, "app/config.json"))
				b, _ := os.Stat(filepath.Join(dest, "app/config.hard"))
				if !os.SameFile(a, b) {
					t.Error("app/config.hard is not a hard link to app/config.json")
				}
			}
			if out := outsideEntries(t, parent, dest); len(out) > 0 {
				t.Errorf("written outside destDir: %q", out)
			}
		})
	}
}

func equalSummary(a, b Summary) bool {
	return reflect.DeepEqual(a, b)
}

func TestExtractRefusesToOverwrite(t *testing.T) {
	data := buildTar(t, []member{{name: "a", body: "new"}})
	dest := t.TempDir()
	os.WriteFile(filepath.Join(dest, "a"), []byte("old"), 0o644)
	_, err := Extract(context.Background(), bytes.NewReader(data), int64(len(data)), FormatTar, dest, Limits{})
	if err == nil {
		t.Fatal("Extract overwrote an existing file")
	}
	if b, _ := os.ReadFile(filepath.Join(dest, "a")); string(b) != "old" {
		t.Errorf("a = %q, want old", b)
	}
}

func TestExtractCancelled(t *testing.T) {
	data := buildTar(t, []member{{name: "a", body: "x"}})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Extract(ctx, bytes.NewReader(data), int64(len(data)), FormatTar, t.TempDir(), Limits{})
	if err != context.Canceled {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

// TestLargeZeroFile extracts a 100 MB file of zeros within the default
// limits; the tar is written to disk as a stream, never held in memory.
func TestLargeZeroFile(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 200 MB")
	}
	const size = 100 << 20
	dir := t.TempDir()
	path := filepath.Join(dir, "big.tar")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	tw := tar.NewWriter(f)
	tw.WriteHeader(&tar.Header{Name: "big/zeros.bin", Size: size, Mode: 0o644, Typeflag: tar.TypeReg})
	if _, err := io.Copy(tw, io.LimitReader(zeros{}, size)); err != nil {
		t.Fatal(err)
	}
	tw.Close()
	f.Close()

	dest := filepath.Join(dir, "dest")
	sum, err := ExtractFile(context.Background(), path, dest, Limits{})
	if err != nil {
		t.Fatalf("ExtractFile: %v", err)
	}
	if sum.Bytes != size || sum.Files != 1 {
		t.Errorf("summary = %+v", sum)
	}
	out, err := os.Open(filepath.Join(dest, "big/zeros.bin"))
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	n, err := io.Copy(nonZero{}, out)
	if err != nil || n != size {
		t.Errorf("extracted %d bytes, %v; want %d zeros", n, err, size)
	}
}

// nonZero is a writer that fails on any non-zero byte.
type nonZero struct{}

func (nonZero) Write(p []byte) (int, error) {
	for i, b := range p {
		if b != 0 {
			return i, io.ErrShortWrite
		}
	}
	return len(p), nil
}

func TestNuspec(t *testing.T) {
	nuspec := `<?xml version="1.0" encoding="utf-8"?>
<package xmlns="http://schemas.microsoft.com/packaging/2013/05/nuspec.xsd">
  <metadata>
    <id>Acme.Web</id>
    <version>1.2.0-beta.1</version>
    <authors>Acme</authors>
  </metadata>
  <files><file src="x" target="id"/></files>
</package>`
	data := buildZip(t, []member{
		{name: "Acme.Web.nuspec", body: nuspec},
		{name: "content/readme.txt", body: "hi"},
		{name: "content/other.nuspec", body: "not at the root"},
	})
	sum, err := Validate(context.Background(), bytes.NewReader(data), int64(len(data)), FormatZip, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if sum.NuspecName != "Acme.Web.nuspec" || string(sum.Nuspec) != nuspec {
		t.Fatalf("nuspec = %q %q", sum.NuspecName, sum.Nuspec)
	}
	id, version, err := ReadNuspec(bytes.NewReader(sum.Nuspec), 0)
	if id != "Acme.Web" || version != "1.2.0-beta.1" || err != nil {
		t.Errorf("ReadNuspec = %q, %q, %v", id, version, err)
	}
}

func TestReadNuspecRefuses(t *testing.T) {
	for name, doc := range map[string]string{
		"too big":    "<package><metadata><id>" + strings.Repeat("a", 2000) + "</id><version>1.0.0</version></metadata></package>",
		"dtd":        `<!DOCTYPE lolz [<!ENTITY lol "lol">]><package><metadata><id>&lol;</id><version>1</version></metadata></package>`,
		"no version": "<package><metadata><id>A</id></metadata></package>",
		"not xml":    "<package><metadata>",
		"wrong spot": "<package><id>A</id><version>1</version></package>",
	} {
		t.Run(name, func(t *testing.T) {
			_, _, err := ReadNuspec(strings.NewReader(doc), 1000)
			var ee *EntryError
			if !errorsAs(err, &ee) {
				t.Errorf("err = %v, want an *EntryError", err)
			}
		})
	}
}

func TestDetectFormat(t *testing.T) {
	for name, want := range map[string]Format{
		"Acme.Web.1.2.0.zip": FormatZip, "A.1.0.0.NUPKG": FormatZip, "a.jar": FormatZip, "a.war": FormatZip,
		"a.tar": FormatTar, "a.tar.gz": FormatTarGzip, "a.TGZ": FormatTarGzip, "a.tar.bz2": FormatTarBzip2,
		"a.tar.zst": FormatTarZstd, "a.gz": FormatUnknown, "a.tar.xz": FormatUnknown, ".zip": FormatUnknown,
	} {
		got, ext, err := DetectFormat(name)
		if got != want || (err == nil) != (want != FormatUnknown) {
			t.Errorf("DetectFormat(%q) = %v, %q, %v; want %v", name, got, ext, err, want)
		}
		if err == nil && !strings.HasSuffix(name, ext) {
			t.Errorf("DetectFormat(%q) extension %q", name, ext)
		}
	}
}

// TestValidatePlainTarSkipsContent: validating a plain tar seeks over file
// content instead of reading it, yet counts the declared sizes against the
// limit and still refuses a file whose content is cut short.
func TestValidatePlainTarSkipsContent(t *testing.T) {
	big := strings.Repeat("x", 4<<20)
	data := buildTar(t, []member{{name: "big.bin", body: big}, {name: "small.txt", body: "hello"}})
	// Past the ratio grace: skipped content is stored as is, not a bomb.
	sum, err := Validate(context.Background(), bytes.NewReader(data), int64(len(data)), FormatTar, Limits{RatioGrace: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Files != 2 || sum.Bytes != int64(len(big)+5) {
		t.Errorf("summary %+v: want 2 files, %d bytes", sum, len(big)+5)
	}
	if sum.CompressedBytes > 64<<10 {
		t.Errorf("read %d bytes of a %d-byte tar: the content was read, not skipped", sum.CompressedBytes, len(data))
	}
	_, err = Validate(context.Background(), bytes.NewReader(data), int64(len(data)), FormatTar, Limits{MaxBytes: 1 << 20})
	checkRefusal(t, "Validate (limit)", err, ErrLimit, "big.bin", true)
	cut := data[:2<<20]
	_, err = Validate(context.Background(), bytes.NewReader(cut), int64(len(cut)), FormatTar, Limits{})
	checkRefusal(t, "Validate (truncated)", err, ErrCorrupt, "big.bin", true)
}
