package archive

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"
)

// entryKind is what an entry asks to create.
type entryKind uint8

const (
	kindFile entryKind = iota + 1
	kindDir
	kindSymlink
	kindHardlink
)

// entry is one archive member as a format reader presents it, before any rule
// is applied.
type entry struct {
	name string      // as spelled in the archive
	kind entryKind   // 0 for a kind this package refuses; see bad
	bad  string      // why the kind is refused ("FIFO", "character device")
	mode fs.FileMode // permission and set-uid/set-gid/sticky bits
	size int64       // declared uncompressed size; -1 if unknown
	link string      // link target; for zip symlinks it is read from body
	// linkInBody is set for zip symlinks, whose target is the entry's data.
	linkInBody bool
	body       io.Reader // content of files (and zip symlinks)
}

// reader presents an archive's entries in order. next returns io.EOF after
// the last entry; any other error is returned as is (the walker turns format
// errors into EntryErrors).
type reader interface {
	next() (*entry, error)
	close() error
}

// visitor receives each checked entry. name is clean; for files, body yields
// the content with limits enforced and must be read to the end.
type visitor interface {
	dir(name string, mode fs.FileMode) error
	file(name string, mode fs.FileMode, body io.Reader) error
	hardlink(name, target string) error
	symlink(name, target string) error
	// finish is called after every entry was checked and every link resolved.
	finish() error
}

// walk is the one entry loop shared by Validate and Extract: it reads every
// entry from rd, applies the rules and limits, and hands safe entries to v.
type walk struct {
	ctx     context.Context
	lim     Limits
	src     *countingReaderAt
	sum     *Summary
	tree    *tree
	strip   bool  // strip special mode bits (Extract) instead of refusing (Validate)
	skip    bool  // count file content by its declared size instead of reading it (see skipsContent)
	skipped int64 // content bytes skipped: stored as they are, so they count as read for the ratio
	nuspecs int
	last    string // name of the last entry read, for errors between entries
}

func (w *walk) run(rd reader, v visitor) error {
	for {
		if err := w.ctx.Err(); err != nil {
			return err
		}
		e, err := rd.next()
		if err == io.EOF {
			if err := w.drain(rd); err != nil {
				return err
			}
			break
		}
		if err != nil {
			name := ""
			if w.skip && w.last != "" && errors.Is(err, io.ErrUnexpectedEOF) {
				// The skipped content of the last entry ends early (archive/tar
				// reads its last byte when it seeks past it).
				name = w.last
			}
			return w.formatError(name, err)
		}
		w.last = e.name
		if err := w.entry(e, v); err != nil {
			return err
		}
	}
	// Links may point through links that came later; check them all again
	// now that the whole archive is known, before the first one is created.
	for _, name := range w.tree.order {
		if why := w.tree.escapes(name); why != "" {
			return refuse(name, ErrUnsafe, "%s", why)
		}
		if err := v.symlink(name, w.tree.links[name]); err != nil {
			return err
		}
	}
	return v.finish()
}

// drain reads whatever a reader holds after its last entry, counted like
// content, so compressed-stream checksums are verified and a truncated stream
// is refused.
func (w *walk) drain(rd reader) error {
	r, ok := rd.(interface{ rest() io.Reader })
	if !ok {
		return nil
	}
	m := &meteredReader{w: w, name: "", r: r.rest()}
	_, err := io.CopyBuffer(discard{}, m, make([]byte, 32<<10))
	if m.err != nil {
		return m.err
	}
	return err
}

func (w *walk) entry(e *entry, v visitor) error {
	w.sum.Entries++
	if w.sum.Entries > w.lim.MaxEntries {
		return refuse(e.name, ErrLimit, "more than %d entries", w.lim.MaxEntries)
	}
	if e.kind == 0 {
		return refuse(e.name, ErrUnsafe, "%s entries are not allowed", e.bad)
	}
	name, rerr := cleanName(e.name, &w.lim)
	if rerr != nil {
		return rerr
	}
	if name == "." {
		if e.kind != kindDir {
			return refuse(e.name, ErrUnsafe, "names the root directory")
		}
		return nil // "./" in tar archives made with "tar -C dir ."
	}
	mode, err := w.mode(e)
	if err != nil {
		return err
	}
	switch e.kind {
	case kindDir:
		if err := w.tree.add(e.name, name, nodeDir); err != nil {
			return err
		}
		w.sum.Dirs++
		return v.dir(name, mode)
	case kindFile:
		if err := w.tree.add(e.name, name, nodeFile); err != nil {
			return err
		}
		if e.size > w.lim.MaxBytes-w.sum.Bytes {
			return refuse(e.name, ErrLimit, "declares %d bytes, over the limit of %d uncompressed bytes", e.size, w.lim.MaxBytes)
		}
		w.sum.Files++
		if w.skip {
			w.sum.Bytes += e.size
			w.skipped += e.size
			return nil // the tar reader seeks over the content on its next entry
		}
		body := &meteredReader{w: w, name: e.name, r: e.body}
		if w.keepNuspec(name) {
			return w.nuspec(e.name, name, mode, body, v)
		}
		if err := v.file(name, mode, body); err != nil {
			return err
		}
		return body.err
	case kindHardlink:
		target, rerr := cleanName(e.link, &w.lim)
		if rerr != nil {
			return refuse(e.name, ErrUnsafe, "hard link target %q: %s", e.link, rerr.Reason)
		}
		if w.tree.nodes[target] != nodeFile {
			return refuse(e.name, ErrUnsafe, "hard link to %q, which is not an earlier file of the archive", e.link)
		}
		if err := w.tree.add(e.name, name, nodeFile); err != nil {
			return err
		}
		w.sum.Hardlinks++
		return v.hardlink(name, target)
	case kindSymlink:
		raw := e.link
		if e.linkInBody {
			b, err := w.readLink(e)
			if err != nil {
				return err
			}
			raw = b
		}
		target, rerr := checkLinkTarget(e.name, raw, &w.lim)
		if rerr != nil {
			return rerr
		}
		if err := w.tree.add(e.name, name, nodeSymlink); err != nil {
			return err
		}
		w.tree.links[name] = target
		w.tree.order = append(w.tree.order, name)
		// An early, partial check gives the common case ("link -> /etc",
		// "link -> ../../x") a prompt error; run checks all links again.
		if why := w.tree.escapes(name); why != "" {
			return refuse(e.name, ErrUnsafe, "%s (%q)", why, raw)
		}
		w.sum.Symlinks++
		return nil
	}
	return refuse(e.name, ErrUnsupported, "unknown entry kind")
}

// mode returns the permission bits to use, refusing or stripping set-uid,
// set-gid and sticky bits.
func (w *walk) mode(e *entry) (fs.FileMode, error) {
	special := e.mode & (fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky)
	if special != 0 {
		if !w.strip {
			return 0, refuse(e.name, ErrUnsafe, "set-uid, set-gid or sticky bit (mode %v)", e.mode)
		}
		w.sum.StrippedModes++
	}
	return e.mode.Perm(), nil
}

// readLink reads a zip symlink's target from its data, counted like content.
func (w *walk) readLink(e *entry) (string, error) {
	body := &meteredReader{w: w, name: e.name, r: e.body}
	b, err := io.ReadAll(io.LimitReader(body, int64(w.lim.MaxNameLength)+1))
	if body.err != nil {
		return "", body.err
	}
	if err != nil {
		return "", err
	}
	if len(b) > w.lim.MaxNameLength {
		return "", refuse(e.name, ErrLimit, "link target over %d bytes", w.lim.MaxNameLength)
	}
	return string(b), nil
}

// keepNuspec reports whether name is a .nuspec at the root of a zip, which
// the server needs for a .nupkg's id and version.
func (w *walk) keepNuspec(name string) bool {
	return w.sum.Format == FormatZip && !strings.Contains(name, "/") &&
		strings.EqualFold(path.Ext(name), ".nuspec")
}

// nuspec passes a root .nuspec to the visitor while keeping a copy of it.
func (w *walk) nuspec(raw, name string, mode fs.FileMode, body *meteredReader, v visitor) error {
	w.nuspecs++
	if w.nuspecs > 1 {
		return refuse(raw, ErrUnsafe, "a second .nuspec at the root (the first was %q)", w.sum.NuspecName)
	}
	keep := &capBuffer{max: w.lim.MaxNuspecBytes}
	if err := v.file(name, mode, io.TeeReader(body, keep)); err != nil {
		return err
	}
	if body.err != nil {
		return body.err
	}
	if keep.over {
		return refuse(raw, ErrLimit, ".nuspec over %d bytes", w.lim.MaxNuspecBytes)
	}
	w.sum.Nuspec, w.sum.NuspecName = keep.b, name
	return nil
}

// formatError turns an error from a format reader into an EntryError unless
// it came from the source itself or from the context.
func (w *walk) formatError(name string, err error) error {
	var ee *EntryError
	if errors.As(err, &ee) {
		return err
	}
	if ioErr := w.src.ioErr(); ioErr != nil {
		return ioErr
	}
	if cerr := w.ctx.Err(); cerr != nil {
		return cerr
	}
	what := "corrupt header"
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		what = "truncated archive"
	}
	if name == "" && w.last != "" {
		what += fmt.Sprintf(" after entry %q", w.last)
	}
	return corrupt(name, what, err)
}

// meteredReader counts an entry's decompressed bytes against the limits. It
// never asks the decompressor for more than one byte past MaxBytes, so a bomb
// is stopped before it is expanded, and it records the first refusal in err
// so a visitor's io.Copy error cannot hide it.
type meteredReader struct {
	w    *walk
	name string
	r    io.Reader
	err  error
}

func (m *meteredReader) Read(p []byte) (int, error) {
	if m.err != nil {
		return 0, m.err
	}
	w := m.w
	if err := w.ctx.Err(); err != nil {
		m.err = err
		return 0, err
	}
	if room := w.lim.MaxBytes - w.sum.Bytes + 1; int64(len(p)) > room {
		p = p[:room]
	}
	n, err := m.r.Read(p)
	w.sum.Bytes += int64(n)
	if w.sum.Bytes > w.lim.MaxBytes {
		m.err = refuse(m.name, ErrLimit, "archive expands to more than %d bytes", w.lim.MaxBytes)
		return n, m.err
	}
	if w.sum.Bytes > w.lim.RatioGrace {
		read := max(w.src.n.Load()+w.skipped, 1)
		if w.sum.Bytes/read >= w.lim.MaxRatio {
			m.err = refuse(m.name, ErrLimit, "compression ratio over %d:1 (%d bytes from %d)", w.lim.MaxRatio, w.sum.Bytes, read)
			return n, m.err
		}
	}
	if err != nil && err != io.EOF {
		m.err = w.formatError(m.name, err)
		return n, m.err
	}
	return n, err
}

// capBuffer keeps up to max bytes written to it and notes whether there were
// more.
type capBuffer struct {
	b    []byte
	max  int64
	over bool
}

func (c *capBuffer) Write(p []byte) (int, error) {
	if room := c.max - int64(len(c.b)); int64(len(p)) > room {
		c.b = append(c.b, p[:max(room, 0)]...)
		c.over = true
		return len(p), nil
	}
	c.b = append(c.b, p...)
	return len(p), nil
}
