package archive

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

var fixedTime = time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)

// bad is one malicious archive of the extraction battery (SECURITY.md).
type bad struct {
	name string
	// members are built as a tar and as a zip unless tarOnly/zipOnly; or
	// build crafts the archive itself. "{parent}" in a name or link is
	// replaced by the absolute path of the directory holding destDir.
	members          []member
	tarOnly, zipOnly bool
	build            func(t testing.TB, parent string) (Format, []byte)
	lim              Limits
	want             error  // category of the refusal
	wantName         string // entry the error names ("" for none)
	extractOK        bool   // Extract strips instead of refusing
}

func battery(t testing.TB) []bad {
	many := func(n int) []member {
		ms := make([]member, n)
		for i := range ms {
			ms[i] = member{name: fmt.Sprintf("f/%06d", i), body: "x"}
		}
		return ms
	}
	deep := strings.Repeat("d/", 65) + "x"
	long := strings.Repeat("n", 4097)
	dir := func(name string) member { return member{name: name, typ: tar.TypeDir} }
	sym := func(name, link string) member { return member{name: name, typ: tar.TypeSymlink, link: link} }
	file := func(name string) member { return member{name: name, body: "pwned"} }
	return []bad{
		{name: "dotdot", members: []member{file("../x")}, want: ErrUnsafe, wantName: "../x"},
		{name: "nested dotdot", members: []member{file("a/../../x")}, want: ErrUnsafe, wantName: "a/../../x"},
		{name: "backslash dotdot", members: []member{file(`a\..\..\x`)}, want: ErrUnsafe, wantName: `a\..\..\x`},
		{name: "drive absolute", members: []member{file(`C:\x`)}, want: ErrUnsafe, wantName: `C:\x`},
		{name: "drive relative", members: []member{file(`C:x`)}, want: ErrUnsafe, wantName: `C:x`},
		{name: "absolute", members: []member{file("{parent}/abs")}, want: ErrUnsafe, wantName: "{parent}/abs"},
		{name: "backslash absolute", members: []member{file(`\x`)}, want: ErrUnsafe, wantName: `\x`},
		{name: "dotdot directory", members: []member{dir("../d/")}, want: ErrUnsafe, wantName: "../d/"},
		{name: "dotdot late", members: []member{file("ok"), file("ok2/../../late")}, want: ErrUnsafe, wantName: "ok2/../../late"},
		{name: "symlink to absolute then write through", members: []member{sym("etc", "{parent}"), file("etc/x")}, want: ErrUnsafe, wantName: "etc"},
		{name: "symlink to /etc", members: []member{sym("etc", "/etc")}, want: ErrUnsafe, wantName: "etc"},
		{name: "symlink escaping", members: []member{dir("a/"), sym("a/l", "../../x")}, want: ErrUnsafe, wantName: "a/l"},
		{name: "symlink backslash escaping", members: []member{sym("l", `..\x`)}, want: ErrUnsafe, wantName: "l"},
		{name: "symlink escaping through a link", members: []member{sym("s", "."), sym("l", "s/s/..")}, want: ErrUnsafe, wantName: "l"},
		{name: "symlink escaping through a later link", members: []member{sym("l", "s/.."), sym("s", ".")}, want: ErrUnsafe, wantName: "l"},
		{name: "symlink loop", members: []member{sym("a", "b"), sym("b", "a")}, want: ErrUnsafe, wantName: "b"},
		{name: "write through inside symlink", members: []member{dir("sub/"), sym("l", "sub"), file("l/x")}, want: ErrUnsafe, wantName: "l/x"},
		{name: "duplicate replaces symlink", members: []member{dir("sub/"), sym("l", "sub"), file("l")}, want: ErrUnsafe, wantName: "l"},
		{name: "symlink replaces file", members: []member{file("f"), sym("f", "{parent}")}, want: ErrUnsafe, wantName: "f"},
		{name: "duplicate file", members: []member{file("a"), file("a")}, want: ErrUnsafe, wantName: "a"},
		{name: "file under file", members: []member{file("a"), file("a/b")}, want: ErrUnsafe, wantName: "a/b"},
		{name: "hard link outside", tarOnly: true, members: []member{{name: "h", typ: tar.TypeLink, link: "../outside"}}, want: ErrUnsafe, wantName: "h"},
		{name: "hard link absolute", tarOnly: true, members: []member{{name: "h", typ: tar.TypeLink, link: "/etc/passwd"}}, want: ErrUnsafe, wantName: "h"},
		{name: "hard link to missing", tarOnly: true, members: []member{{name: "h", typ: tar.TypeLink, link: "missing"}}, want: ErrUnsafe, wantName: "h"},
		{name: "hard link to directory", tarOnly: true, members: []member{dir("d/"), {name: "h", typ: tar.TypeLink, link: "d"}}, want: ErrUnsafe, wantName: "h"},
		{name: "hard link to symlink", tarOnly: true, members: []member{sym("s", "x"), {name: "h", typ: tar.TypeLink, link: "s"}}, want: ErrUnsafe, wantName: "h"},
		{name: "fifo", members: []member{{name: "p", typ: tar.TypeFifo}}, want: ErrUnsafe, wantName: "p"},
		{name: "char device", members: []member{{name: "c", typ: tar.TypeChar}}, want: ErrUnsafe, wantName: "c"},
		{name: "block device", members: []member{{name: "b", typ: tar.TypeBlock}}, want: ErrUnsafe, wantName: "b"},
		{name: "set-uid", members: []member{{name: "su", mode: 0o755 | fs.ModeSetuid, body: "#!/bin/sh\n"}}, want: ErrUnsafe, wantName: "su", extractOK: true},
		{name: "set-gid directory", members: []member{{name: "sg/", typ: tar.TypeDir, mode: 0o755 | fs.ModeSetgid}}, want: ErrUnsafe, wantName: "sg/", extractOK: true},
		{name: "name over 4096 bytes", members: []member{file(long)}, want: ErrLimit, wantName: long},
		{name: "path too deep", members: []member{file(deep)}, want: ErrLimit, wantName: deep},
		{name: "NUL in name (zip)", zipOnly: true, members: []member{file("a\x00b")}, want: ErrUnsafe, wantName: "a\x00b"},
		{name: "NUL in a PAX name", build: func(t testing.TB, _ string) (Format, []byte) {
			rec := "path=evil\x00/../../x\n"
			rec = fmt.Sprintf("%d %s", len(rec)+3, rec)
			return FormatTar, rawTar(rawTarHeader("pax", tar.TypeXHeader, int64(len(rec)), 0o644, ""), []byte(rec),
				rawTarHeader("evil", tar.TypeReg, 1, 0o644, ""), []byte("x"))
		}, want: ErrCorrupt},
		{name: "empty name", zipOnly: true, members: []member{file("")}, want: ErrUnsafe, wantName: ""},
		{name: "root as a file", members: []member{file(".")}, want: ErrUnsafe, wantName: "."},
		{name: "100000 tiny files", members: many(100000), want: ErrLimit, wantName: "f/065536"},
		{name: "entries over a small limit", members: many(11), lim: Limits{MaxEntries: 10}, want: ErrLimit, wantName: "f/000010"},
		{name: "overlapping zip entries", build: func(t testing.TB, _ string) (Format, []byte) {
			z := buildZip(t, []member{{name: "a", body: strings.Repeat("overlap ", 1000)}})
			return FormatZip, zipWithAliases(t, z, "b", "c")
		}, want: ErrUnsafe, wantName: "b"},
		{name: "zip header declares less than its data", build: func(t testing.TB, _ string) (Format, []byte) {
			z := buildZip(t, []member{{name: "liar", body: strings.Repeat("x", 100000)}})
			return FormatZip, patchZipDirectory(z, 24, 10) // uncompressed size
		}, want: ErrCorrupt, wantName: "liar"},
		{name: "zip header declares more than the limit", build: func(t testing.TB, _ string) (Format, []byte) {
			z := buildZip(t, []member{{name: "liar", body: "small"}})
			return FormatZip, patchZipDirectory(z, 24, 0xfffffff0)
		}, want: ErrLimit, wantName: "liar", lim: Limits{MaxBytes: 1 << 20}},
		{name: "tar header declares more than its data", build: func(t testing.TB, _ string) (Format, []byte) {
			return FormatTar, append(rawTarHeader("liar", tar.TypeReg, 1<<20, 0o644, ""), make([]byte, 512)...)
		}, want: ErrCorrupt, wantName: "liar"},
		{name: "tar header declares less than its data", build: func(t testing.TB, _ string) (Format, []byte) {
			return FormatTar, rawTar(rawTarHeader("liar", tar.TypeReg, 5, 0o644, ""), bytes.Repeat([]byte("garbage!"), 200))
		}, want: ErrCorrupt},
		{name: "tar header with a bad checksum", build: func(t testing.TB, _ string) (Format, []byte) {
			h := rawTarHeader("x", tar.TypeReg, 1, 0o644, "")
			h[0] = 'y'
			return FormatTar, rawTar(h, []byte("x"))
		}, want: ErrCorrupt},
		{name: "zip local header corrupt", build: func(t testing.TB, _ string) (Format, []byte) {
			z := buildZip(t, []member{file("a"), file("b")})
			i := bytes.LastIndex(z[:bytes.Index(z, []byte("PK\x01\x02"))], []byte("PK\x03\x04"))
			z[i+3] = 9
			return FormatZip, z
		}, want: ErrCorrupt, wantName: "b"},
		{name: "zip central directory corrupt", build: func(t testing.TB, _ string) (Format, []byte) {
			z := buildZip(t, []member{file("a")})
			binary.LittleEndian.PutUint32(z[len(z)-6:], uint32(len(z)+100)) // directory offset
			return FormatZip, z
		}, want: ErrCorrupt},
		{name: "not gzip", build: func(t testing.TB, _ string) (Format, []byte) {
			return FormatTarGzip, []byte("this is not a gzip stream at all")
		}, want: ErrCorrupt},
		{name: "not zip", build: func(t testing.TB, _ string) (Format, []byte) {
			return FormatZip, buildTar(t, []member{file("a")})
		}, want: ErrCorrupt},
		{name: "encrypted zip entry", build: func(t testing.TB, _ string) (Format, []byte) {
			return FormatZip, rawZip(t, "secret", 0, 1, "ciphertext")
		}, want: ErrUnsupported, wantName: "secret"},
		{name: "unknown zip method", build: func(t testing.TB, _ string) (Format, []byte) {
			return FormatZip, rawZip(t, "weird", 99, 0, "data")
		}, want: ErrUnsupported, wantName: "weird"},
		{name: "zip bad CRC", build: func(t testing.TB, _ string) (Format, []byte) {
			z := buildZip(t, []member{{name: "crc", body: "hello"}})
			return FormatZip, patchZipDirectory(z, 16, 12345)
		}, want: ErrCorrupt, wantName: "crc"},
		{name: "second nuspec", zipOnly: true, members: []member{file("a.nuspec"), file("b.nuspec")}, want: ErrUnsafe, wantName: "b.nuspec"},
	}
}

// patchZipDirectory overwrites a uint32 field of the first central directory
// header.
func patchZipDirectory(z []byte, field int, v uint32) []byte {
	z = bytes.Clone(z)
	i := bytes.Index(z, []byte("PK\x01\x02"))
	binary.LittleEndian.PutUint32(z[i+field:], v)
	return z
}

// rawZip writes one entry with CreateRaw, for methods and flags the writer
// would not produce.
func rawZip(t testing.TB, name string, method, flags uint16, data string) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.CreateRaw(&zip.FileHeader{Name: name, Method: method, Flags: flags, CompressedSize64: uint64(len(data)), UncompressedSize64: uint64(len(data))})
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(w, data)
	zw.Close()
	return buf.Bytes()
}

// archives returns the archives a case is tried as.
func (c bad) archives(t testing.TB, parent string) map[string][]byte {
	out := map[string][]byte{}
	if c.build != nil {
		f, b := c.build(t, parent)
		out[f.String()] = b
		return out
	}
	ms := make([]member, len(c.members))
	for i, m := range c.members {
		m.name = strings.ReplaceAll(m.name, "{parent}", parent)
		m.link = strings.ReplaceAll(m.link, "{parent}", parent)
		ms[i] = m
	}
	if !c.zipOnly {
		out["tar"] = buildTar(t, ms)
	}
	if !c.tarOnly {
		out["zip"] = buildZip(t, ms)
	}
	return out
}

func formatOf(key string) Format {
	f, _, err := DetectFormat("x." + key)
	if err != nil {
		panic(err)
	}
	return f
}

func TestBattery(t *testing.T) {
	for _, c := range battery(t) {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			parent := t.TempDir()
			for key, data := range c.archives(t, parent) {
				wantName := strings.ReplaceAll(c.wantName, "{parent}", parent)
				format := formatOf(key)
				t.Run(key, func(t *testing.T) {
					_, err := Validate(context.Background(), bytes.NewReader(data), int64(len(data)), format, c.lim)
					checkRefusal(t, "Validate", err, c.want, wantName, c.build == nil || c.wantName != "")

					dest := filepath.Join(parent, "dest-"+key)
					sum, err := Extract(context.Background(), bytes.NewReader(data), int64(len(data)), format, dest, c.lim)
					if c.extractOK {
						if err != nil {
							t.Fatalf("Extract: %v", err)
						}
						if sum.StrippedModes != 1 {
							t.Errorf("StrippedModes = %d, want 1", sum.StrippedModes)
						}
						checkNoSpecialBits(t, dest)
					} else {
						checkRefusal(t, "Extract", err, c.want, wantName, c.build == nil || c.wantName != "")
					}
					if out := outsideEntries(t, parent, dest); len(out) > 0 {
						t.Errorf("written outside destDir: %q", out)
					}
					os.RemoveAll(dest)
				})
			}
		})
	}
}

func checkRefusal(t testing.TB, op string, err, want error, wantName string, checkName bool) {
	t.Helper()
	var ee *EntryError
	if !errors.As(err, &ee) {
		t.Fatalf("%s: error = %v, want an *EntryError", op, err)
	}
	if !errors.Is(err, want) {
		t.Errorf("%s: error = %v, want category %v", op, err, want)
	}
	if checkName && ee.Name != wantName {
		t.Errorf("%s: error names %q, want %q (%v)", op, ee.Name, wantName, err)
	}
}

func checkNoSpecialBits(t testing.TB, dest string) {
	t.Helper()
	filepath.WalkDir(dest, func(p string, d fs.DirEntry, err error) error {
		info, err := os.Lstat(p)
		if err != nil {
			t.Fatal(err)
		}
		if info.Mode()&(fs.ModeSetuid|fs.ModeSetgid|fs.ModeSticky) != 0 || info.Mode().Perm()&0o022 != 0 {
			t.Errorf("%s has mode %v", p, info.Mode())
		}
		return nil
	})
}

var (
	bombsOnce sync.Once
	bombs     map[string][]byte
)

var writeBombs = flag.Bool("write-bombs", false, "regenerate the 1 GB zero bombs under testdata/bombs")

// bombSize is what each committed bomb expands to.
const bombSize = 1 << 30

// zeroBombs returns 1 GB of zeros as one entry, compressed in each format
// (about 1 MB, 1 MB and 0.2 MB). Compressing 1 GB takes minutes under the
// race detector, so the bombs are committed under testdata/bombs and only
// rebuilt with -write-bombs.
func zeroBombs(t testing.TB) map[string][]byte {
	bombsOnce.Do(func() {
		bombs = map[string][]byte{}
		for _, key := range []string{"zip", "tar.gz", "tar.zst"} {
			path := filepath.Join("testdata", "bombs", "zeros."+key)
			if *writeBombs {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, buildZeroBomb(key), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (regenerate with: go test -run TestZeroBomb -write-bombs)", err)
			}
			bombs[key] = data
		}
	})
	return bombs
}

func buildZeroBomb(key string) []byte {
	var buf bytes.Buffer
	tarStream := func(w io.Writer) {
		tw := tar.NewWriter(w)
		tw.WriteHeader(&tar.Header{Name: "zeros", Size: bombSize, Mode: 0o644, Typeflag: tar.TypeReg})
		io.Copy(tw, io.LimitReader(zeros{}, bombSize))
		tw.Close()
	}
	switch key {
	case "zip":
		zw := zip.NewWriter(&buf)
		w, _ := zw.Create("zeros")
		io.Copy(w, io.LimitReader(zeros{}, bombSize))
		zw.Close()
	case "tar.gz":
		gw := gzip.NewWriter(&buf)
		tarStream(gw)
		gw.Close()
	case "tar.zst":
		sw, _ := zstd.NewWriter(&buf, zstd.WithEncoderLevel(zstd.SpeedFastest))
		tarStream(sw)
		sw.Close()
	}
	return buf.Bytes()
}

// TestZeroBombsAreBombs proves the committed files really declare 1 GB of
// content in a tiny file, so TestZeroBomb cannot pass on a stale small file.
func TestZeroBombsAreBombs(t *testing.T) {
	for key, data := range zeroBombs(t) {
		if len(data) > 2<<20 {
			t.Errorf("%s bomb is %d bytes, want about 1 MB or less", key, len(data))
		}
		var declared int64
		switch key {
		case "zip":
			zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
			if err != nil {
				t.Fatal(err)
			}
			declared = int64(zr.File[0].UncompressedSize64)
		case "tar.gz":
			gr, err := gzip.NewReader(bytes.NewReader(data))
			if err != nil {
				t.Fatal(err)
			}
			hdr, err := tar.NewReader(gr).Next()
			if err != nil {
				t.Fatal(err)
			}
			declared = hdr.Size
		case "tar.zst":
			zr, err := zstd.NewReader(bytes.NewReader(data))
			if err != nil {
				t.Fatal(err)
			}
			hdr, err := tar.NewReader(zr).Next()
			zr.Close()
			if err != nil {
				t.Fatal(err)
			}
			declared = hdr.Size
		}
		if declared != bombSize {
			t.Errorf("%s bomb declares %d bytes, want %d", key, declared, bombSize)
		}
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

func TestZeroBomb(t *testing.T) {
	for key, data := range zeroBombs(t) {
		t.Run(key, func(t *testing.T) {
			t.Logf("%s bomb: %d compressed bytes", key, len(data))
			format := formatOf(key)
			sum, err := Validate(context.Background(), bytes.NewReader(data), int64(len(data)), format, Limits{})
			checkRefusal(t, "Validate", err, ErrLimit, "zeros", true)
			if sum.Bytes > 32<<20 {
				t.Errorf("Validate decompressed %d bytes before refusing", sum.Bytes)
			}
			parent := t.TempDir()
			dest := filepath.Join(parent, "dest")
			sum, err = Extract(context.Background(), bytes.NewReader(data), int64(len(data)), format, dest, Limits{})
			checkRefusal(t, "Extract", err, ErrLimit, "zeros", true)
			if info, err := os.Stat(filepath.Join(dest, "zeros")); err == nil && info.Size() > 32<<20 {
				t.Errorf("Extract wrote %d bytes before refusing", info.Size())
			}
			if out := outsideEntries(t, parent, dest); len(out) > 0 {
				t.Errorf("written outside destDir: %q", out)
			}
			// The byte limit alone also stops it, with the ratio out of the way.
			_, err = Validate(context.Background(), bytes.NewReader(data), int64(len(data)), format, Limits{MaxBytes: 24 << 20, MaxRatio: 1 << 40})
			checkRefusal(t, "Validate (byte limit)", err, ErrLimit, "zeros", true)
		})
	}
}

func TestTruncated(t *testing.T) {
	ms := []member{{name: "a", body: strings.Repeat("some text ", 5000)}, {name: "b", body: strings.Repeat("more text ", 5000)}}
	tarball := buildTar(t, ms)
	for _, format := range []Format{FormatTar, FormatTarGzip, FormatTarBzip2, FormatTarZstd, FormatZip} {
		var data []byte
		if format == FormatZip {
			data = buildZip(t, ms)
		} else {
			data = compress(t, format, tarball)
		}
		for _, cut := range []int{len(data) / 3, len(data) / 2, len(data) - 1} {
			t.Run(fmt.Sprintf("%v/%d", format, cut), func(t *testing.T) {
				part := data[:cut]
				_, err := Validate(context.Background(), bytes.NewReader(part), int64(len(part)), format, Limits{})
				checkRefusal(t, "Validate", err, ErrCorrupt, "", false)
				parent := t.TempDir()
				dest := filepath.Join(parent, "dest")
				_, err = Extract(context.Background(), bytes.NewReader(part), int64(len(part)), format, dest, Limits{})
				checkRefusal(t, "Extract", err, ErrCorrupt, "", false)
				if out := outsideEntries(t, parent, dest); len(out) > 0 {
					t.Errorf("written outside destDir: %q", out)
				}
			})
		}
	}
}
