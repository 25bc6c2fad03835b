package archive

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// Summary describes an archive that passed Validate or Extract.
type Summary struct {
	Format    Format
	Entries   int // every entry, including directories, links and "./"
	Files     int
	Dirs      int
	Symlinks  int
	Hardlinks int
	// Bytes is the uncompressed content actually decompressed (Validate) or
	// written (Extract), whatever the headers declared; for a plain tar,
	// which Validate does not read (see skipsContent), the declared sizes.
	Bytes int64
	// CompressedBytes is what was read from the source, including
	// read-ahead and the zip central directory.
	CompressedBytes int64
	// StrippedModes counts entries whose set-uid, set-gid or sticky bits
	// Extract removed (Validate refuses them instead).
	StrippedModes int
	// Nuspec is the content of the one .nuspec at the root of a zip archive
	// (a .nupkg), and NuspecName its name; both empty if there is none. Pass
	// it to ReadNuspec for the package id and version.
	Nuspec     []byte
	NuspecName string
}

// Validate reads every entry of the archive in the first size bytes of src,
// decompressing all content without writing anything, and returns an
// *EntryError if the archive breaks a rule of this package or one of lim.
// The server calls it on every pushed package. Only the counters it needs and
// the .nuspec are held in memory; zip archives also keep their central
// directory (at most lim.MaxEntries entries).
func Validate(ctx context.Context, src io.ReaderAt, size int64, format Format, lim Limits) (Summary, error) {
	v := &validator{buf: make([]byte, 256<<10)}
	return run(ctx, src, size, format, lim, false, v)
}

// skipsContent reports whether validating format may skip file content
// instead of reading it. In a plain tar the content is neither decompressed
// nor inspected, so reading it proves nothing that the declared sizes (held
// to lim.MaxBytes) and archive/tar's seek over it (which still reads the
// last byte of each file, so a truncated archive is refused) do not: a
// pushed 1 GiB tar is validated without reading 1 GiB again.
func skipsContent(v visitor, format Format) bool {
	_, validating := v.(*validator)
	return validating && format == FormatTar
}

// ValidateFile opens the file at path, detects its format from its name and
// validates it.
func ValidateFile(ctx context.Context, path string, lim Limits) (Summary, error) {
	format, _, err := DetectFormat(path)
	if err != nil {
		return Summary{}, err
	}
	f, err := os.Open(path)
	if err != nil {
		return Summary{}, fmt.Errorf("archive: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return Summary{}, fmt.Errorf("archive: %w", err)
	}
	return Validate(ctx, f, st.Size(), format, lim)
}

// run opens the format reader and walks it with v.
func run(ctx context.Context, src io.ReaderAt, size int64, format Format, lim Limits, strip bool, v visitor) (sum Summary, err error) {
	lim = lim.withDefaults()
	cs := &countingReaderAt{r: src}
	sum.Format = format
	w := &walk{ctx: ctx, lim: lim, src: cs, sum: &sum, tree: newTree(), strip: strip, skip: skipsContent(v, format)}
	defer func() { sum.CompressedBytes = cs.n.Load() }()
	if err := checkMagic(cs, size, format); err != nil {
		return sum, err
	}
	var rd reader
	if format == FormatZip {
		rd, err = openZip(cs, size, &lim)
	} else {
		rd, err = openTar(cs, size, format, &lim, w.skip)
	}
	if err != nil {
		return sum, w.formatError("", err)
	}
	defer rd.close()
	return sum, w.run(rd, v)
}

// validator is the visitor of Validate: it reads content and writes nothing.
type validator struct {
	buf []byte
}

func (v *validator) dir(string, fs.FileMode) error { return nil }
func (v *validator) hardlink(string, string) error { return nil }
func (v *validator) symlink(string, string) error  { return nil }
func (v *validator) finish() error                 { return nil }
func (v *validator) file(_ string, _ fs.FileMode, body io.Reader) error {
	_, err := io.CopyBuffer(discard{}, body, v.buf)
	return err
}

// discard is io.Discard without ReadFrom, so io.CopyBuffer uses our buffer.
type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
