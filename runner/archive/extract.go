package archive

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
)

// Extract validates the archive in the first size bytes of src while it
// writes it into destDir (created if missing), and returns an *EntryError if
// the archive breaks a rule of this package or one of lim. Every write goes
// through an os.Root on destDir, so even a bug here cannot write outside it.
// Files are created exclusively: extract into a fresh directory. On error,
// what was written so far stays in destDir for the caller to remove.
func Extract(ctx context.Context, src io.ReaderAt, size int64, format Format, destDir string, lim Limits) (Summary, error) {
	if err := os.MkdirAll(destDir, 0o755); err != nil {
		return Summary{Format: format}, fmt.Errorf("archive: extract: %w", err)
	}
	root, err := os.OpenRoot(destDir)
	if err != nil {
		return Summary{Format: format}, fmt.Errorf("archive: extract: %w", err)
	}
	defer root.Close()
	x := &extractor{root: root, made: map[string]bool{".": true}, buf: make([]byte, 256<<10)}
	return run(ctx, src, size, format, lim, true, x)
}

// ExtractFile opens the file at path, detects its format from its name and
// extracts it into destDir.
func ExtractFile(ctx context.Context, path, destDir string, lim Limits) (Summary, error) {
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
	return Extract(ctx, f, st.Size(), format, destDir, lim)
}

// extractor is the visitor of Extract. Names it receives are clean, local
// and free of links in their parents; os.Root is the second line of defence.
type extractor struct {
	root *os.Root
	made map[string]bool // directories known to exist
	buf  []byte
}

// filePerm and dirPerm turn an archive's permission bits into the ones
// written: no group/world write, and the owner can always read and write.
func filePerm(m fs.FileMode) fs.FileMode { return m&0o755 | 0o600 }
func dirPerm(m fs.FileMode) fs.FileMode  { return m&0o755 | 0o700 }

func (x *extractor) mkdirs(dir string) error {
	if x.made[dir] {
		return nil
	}
	if err := x.root.MkdirAll(filepath.FromSlash(dir), 0o755); err != nil {
		return fmt.Errorf("archive: extract: %w", err)
	}
	for d := dir; !x.made[d]; d = path.Dir(d) {
		x.made[d] = true
	}
	return nil
}

func (x *extractor) dir(name string, mode fs.FileMode) error {
	if err := x.mkdirs(name); err != nil {
		return err
	}
	// Chmod through a handle, never by name, so it cannot follow a link.
	d, err := x.root.Open(filepath.FromSlash(name))
	if err != nil {
		return fmt.Errorf("archive: extract: %w", err)
	}
	defer d.Close()
	if err := d.Chmod(dirPerm(mode)); err != nil {
		return fmt.Errorf("archive: extract: %w", err)
	}
	return nil
}

func (x *extractor) file(name string, mode fs.FileMode, body io.Reader) error {
	if err := x.mkdirs(path.Dir(name)); err != nil {
		return err
	}
	perm := filePerm(mode)
	f, err := x.root.OpenFile(filepath.FromSlash(name), os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return fmt.Errorf("archive: extract: %w", err)
	}
	_, err = io.CopyBuffer(onlyWriter{f}, body, x.buf)
	if err == nil {
		// The umask may have removed bits the archive asked for.
		err = f.Chmod(perm)
	}
	if cerr := f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("archive: extract: %w", cerr)
	}
	var ee *EntryError
	if err != nil && !errors.As(err, &ee) && !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
		// The metered reader keeps its own error; this one is the disk's.
		return fmt.Errorf("archive: extract %q: %w", name, err)
	}
	return err
}

func (x *extractor) hardlink(name, target string) error {
	if err := x.mkdirs(path.Dir(name)); err != nil {
		return err
	}
	if err := x.root.Link(filepath.FromSlash(target), filepath.FromSlash(name)); err != nil {
		return fmt.Errorf("archive: extract: %w", err)
	}
	return nil
}

func (x *extractor) symlink(name, target string) error {
	if err := x.mkdirs(path.Dir(name)); err != nil {
		return err
	}
	if err := x.root.Symlink(filepath.FromSlash(target), filepath.FromSlash(name)); err != nil {
		return fmt.Errorf("archive: extract: %w", err)
	}
	return nil
}

func (x *extractor) finish() error { return nil }

// onlyWriter hides *os.File's ReadFrom, so io.CopyBuffer uses our buffer and
// the metered reader sees reads of a bounded size.
type onlyWriter struct{ w io.Writer }

func (o onlyWriter) Write(p []byte) (int, error) { return o.w.Write(p) }
