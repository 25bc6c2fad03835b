package archive

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// member describes one entry of a test archive.
type member struct {
	name string
	typ  byte        // tar type flag; tar.TypeReg when zero
	mode fs.FileMode // permission and special bits; 0644 or 0755 when zero
	body string
	link string
}

func (m member) fileMode() fs.FileMode {
	mode := m.mode
	if mode&fs.ModePerm == 0 {
		mode |= 0o644
		if m.typ == tar.TypeDir {
			mode |= 0o755
		}
	}
	return mode
}

// buildTar writes members with archive/tar. It uses PAX when a name needs it.
func buildTar(t testing.TB, ms []member) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, m := range ms {
		typ := m.typ
		if typ == 0 {
			typ = tar.TypeReg
		}
		h := &tar.Header{Name: m.name, Typeflag: typ, Linkname: m.link, ModTime: fixedTime}
		h.Mode = int64(m.fileMode().Perm())
		if m.mode&fs.ModeSetuid != 0 {
			h.Mode |= 0o4000
		}
		if m.mode&fs.ModeSetgid != 0 {
			h.Mode |= 0o2000
		}
		if typ == tar.TypeReg {
			h.Size = int64(len(m.body))
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatalf("tar header %q: %v", m.name, err)
		}
		if typ == tar.TypeReg {
			io.WriteString(tw, m.body)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// rawTarHeader crafts a ustar header by hand, for names and fields
// archive/tar refuses to write. size is what the header declares.
func rawTarHeader(name string, typ byte, size int64, mode int64, link string) []byte {
	h := make([]byte, 512)
	copy(h[0:100], name)
	copy(h[100:108], fmt.Sprintf("%07o\x00", mode))
	copy(h[108:116], "0000000\x00")
	copy(h[116:124], "0000000\x00")
	copy(h[124:136], fmt.Sprintf("%011o\x00", size))
	copy(h[136:148], fmt.Sprintf("%011o\x00", fixedTime.Unix()))
	h[156] = typ
	copy(h[157:257], link)
	copy(h[257:265], "ustar\x0000")
	copy(h[148:156], "        ")
	sum := 0
	for _, b := range h {
		sum += int(b)
	}
	copy(h[148:156], fmt.Sprintf("%06o\x00 ", sum))
	return h
}

// rawTar concatenates crafted headers and bodies, padding bodies to 512
// bytes, and ends with the two zero blocks.
func rawTar(parts ...[]byte) []byte {
	var buf bytes.Buffer
	for _, p := range parts {
		buf.Write(p)
		if pad := len(p) % 512; pad != 0 {
			buf.Write(make([]byte, 512-pad))
		}
	}
	buf.Write(make([]byte, 1024))
	return buf.Bytes()
}

// buildZip writes members with archive/zip; tar types map to zip modes.
func buildZip(t testing.TB, ms []member) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, m := range ms {
		h := &zip.FileHeader{Name: m.name, Method: zip.Deflate, Modified: fixedTime}
		mode := m.fileMode()
		switch m.typ {
		case tar.TypeDir:
			mode |= fs.ModeDir
			h.Method = zip.Store
		case tar.TypeSymlink:
			mode |= fs.ModeSymlink
			m.body = m.link
		case tar.TypeFifo:
			mode |= fs.ModeNamedPipe
		case tar.TypeChar:
			mode |= fs.ModeDevice | fs.ModeCharDevice
		case tar.TypeBlock:
			mode |= fs.ModeDevice
		}
		h.SetMode(mode)
		w, err := zw.CreateHeader(h)
		if err != nil {
			t.Fatalf("zip header %q: %v", m.name, err)
		}
		io.WriteString(w, m.body)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// compress wraps a tar stream in format's compression.
func compress(t testing.TB, format Format, tarball []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	switch format {
	case FormatTar:
		return tarball
	case FormatTarGzip:
		zw := gzip.NewWriter(&buf)
		zw.Write(tarball)
		zw.Close()
	case FormatTarZstd:
		zw, _ := zstd.NewWriter(&buf)
		zw.Write(tarball)
		zw.Close()
	case FormatTarBzip2:
		cmd := exec.Command("bzip2", "-c")
		cmd.Stdin = bytes.NewReader(tarball)
		cmd.Stdout = &buf
		if err := cmd.Run(); err != nil {
			t.Fatalf("bzip2 command not available (apt-get install bzip2): %v", err)
		}
	default:
		t.Fatalf("compress: %v", format)
	}
	return buf.Bytes()
}

// zipWithAliases appends to a one-entry zip more central directory headers
// that point at the same local header under other names: entries that share
// their data, as an overlapping zip bomb does.
func zipWithAliases(t testing.TB, z []byte, aliases ...string) []byte {
	t.Helper()
	end := bytes.LastIndex(z, []byte("PK\x05\x06"))
	dirOff := int(binary.LittleEndian.Uint32(z[end+16:]))
	dirSize := int(binary.LittleEndian.Uint32(z[end+12:]))
	first := z[dirOff : dirOff+dirSize]
	nameLen := int(binary.LittleEndian.Uint16(first[28:]))
	if 46+nameLen+int(binary.LittleEndian.Uint16(first[30:]))+int(binary.LittleEndian.Uint16(first[32:])) != dirSize {
		t.Fatal("zipWithAliases wants a one-entry zip")
	}
	dir := bytes.Clone(first)
	for _, a := range aliases {
		h := bytes.Clone(first[:46])
		binary.LittleEndian.PutUint16(h[28:], uint16(len(a)))
		binary.LittleEndian.PutUint16(h[30:], 0)
		binary.LittleEndian.PutUint16(h[32:], 0)
		dir = append(append(dir, h...), a...)
	}
	out := append(bytes.Clone(z[:dirOff]), dir...)
	eocd := bytes.Clone(z[end : end+22])
	n := uint16(1 + len(aliases))
	binary.LittleEndian.PutUint16(eocd[8:], n)
	binary.LittleEndian.PutUint16(eocd[10:], n)
	binary.LittleEndian.PutUint32(eocd[12:], uint32(len(dir)))
	return append(out, eocd...)
}

// outsideEntries lists everything under parent except dest itself and what
// is inside it: anything listed was written outside the extraction root.
func outsideEntries(t testing.TB, parent, dest string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(parent, func(p string, d fs.DirEntry, err error) error {
		if p == parent || p == dest {
			return nil
		}
		if strings.HasPrefix(p, dest+string(filepath.Separator)) {
			return fs.SkipDir // inside dest; do not even follow
		}
		out = append(out, p)
		return nil
	})
	return out
}

// tree lists dest as "path mode [-> target]" lines, for comparisons.
func listTree(t testing.TB, dest string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(dest, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			t.Fatal(err)
		}
		if p == dest {
			return nil
		}
		rel, _ := filepath.Rel(dest, p)
		info, _ := os.Lstat(p)
		line := fmt.Sprintf("%s %v", filepath.ToSlash(rel), info.Mode())
		if info.Mode()&fs.ModeSymlink != 0 {
			target, _ := os.Readlink(p)
			line += " -> " + target
		}
		out = append(out, line)
		return nil
	})
	return out
}

func errorsAs(err error, target any) bool { return errors.As(err, target) }
