package storage

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
)

// Blobs is a content-addressed directory of large files (packages,
// artifacts). Layout: <dir>/sha256/<first two hex>/<full hex>, with
// in-flight uploads under <dir>/tmp. A blob is durable before Put returns:
// temp file → fsync → rename → fsync of the directory. Callers commit
// metadata that refers to a blob only after Put has returned.
type Blobs struct {
	dir string
}

var hexDigest = regexp.MustCompile(`^[0-9a-f]{64}$`)

func openBlobs(dir string) (*Blobs, error) {
	for _, sub := range []string{"sha256", "tmp"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o700); err != nil {
			return nil, fmt.Errorf("storage: create blob dir: %w", err)
		}
	}
	return &Blobs{dir: dir}, nil
}

// BlobInfo describes a stored blob.
type BlobInfo struct {
	SHA256 string
	Size   int64
}

// Put streams r into the store, never holding it in memory, and returns its
// digest and size. maxSize > 0 fails the write (and removes the partial
// file) once more than maxSize bytes arrive. Identical content is stored once.
func (b *Blobs) Put(r io.Reader, maxSize int64) (BlobInfo, error) {
	s, err := b.Stage(r, maxSize)
	if err != nil {
		return BlobInfo{}, err
	}
	defer s.Discard()
	if err := b.Place(s); err != nil {
		return BlobInfo{}, err
	}
	return s.Info, nil
}

// StagedBlob is content written and fsynced under tmp/ but not yet placed
// at its content address, so that it can be inspected (an archive check,
// say) before anything can refer to it. Discard it or Place it.
type StagedBlob struct {
	Info BlobInfo
	// File is the staged content, open for reading (it is an io.ReaderAt).
	File *os.File
	done bool
}

// Stage streams r into a temp file while hashing it, then fsyncs it. See
// Put for maxSize. The temp file is removed on any error.
func (b *Blobs) Stage(r io.Reader, maxSize int64) (*StagedBlob, error) {
	tmp, err := os.CreateTemp(filepath.Join(b.dir, "tmp"), "upload-*")
	if err != nil {
		return nil, fmt.Errorf("storage: blob temp file: %w", err)
	}
	s := &StagedBlob{File: tmp}
	ok := false
	defer func() {
		if !ok {
			s.Discard()
		}
	}()
	h := sha256.New()
	src := r
	if maxSize > 0 {
		src = io.LimitReader(r, maxSize+1)
	}
	n, err := copyInBlocks(io.MultiWriter(&writebackFile{f: tmp}, h), src)
	if err != nil {
		return nil, fmt.Errorf("storage: write blob: %w", err)
	}
	if maxSize > 0 && n > maxSize {
		return nil, ErrBlobTooLarge
	}
	if err := tmp.Sync(); err != nil {
		return nil, fmt.Errorf("storage: sync blob: %w", err)
	}
	s.Info = BlobInfo{SHA256: hex.EncodeToString(h.Sum(nil)), Size: n}
	ok = true
	return s, nil
}

// copyInBlocks copies src to dst in 1 MiB writes. Network readers (a
// multipart part, say) return a few KiB per Read; writing each of those to
// the file would cost a syscall per few KiB, which is most of the time of a
// big upload. The buffer is the only memory a copy holds.
func copyInBlocks(dst io.Writer, src io.Reader) (int64, error) {
	buf := make([]byte, 1<<20)
	var total int64
	for {
		// Fill the buffer by hand: io.ReadAtLeast would turn a source's own
		// io.ErrUnexpectedEOF (a cut connection) into a clean short read.
		n := 0
		var err error
		for n < len(buf) && err == nil {
			var m int
			m, err = src.Read(buf[n:])
			n += m
		}
		if n > 0 {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return total, werr
			}
			total += int64(n)
		}
		if errors.Is(err, io.EOF) {
			return total, nil
		} else if err != nil {
			return total, err
		}
	}
}

// writebackFile writes to f and starts the writeback of each write (see
// startWriteback), so that the fsync at the end of Stage has little left
// to do.
type writebackFile struct {
	f   *os.File
	off int64
}

func (w *writebackFile) Write(p []byte) (int, error) {
	n, err := w.f.Write(p)
	if n > 0 {
		startWriteback(w.f, w.off, int64(n))
		w.off += int64(n)
	}
	return n, err
}

// Discard removes a staged blob that was not placed; it is safe to call
// more than once and after Place.
func (s *StagedBlob) Discard() {
	if s.done {
		return
	}
	s.done = true
	s.File.Close()
	os.Remove(s.File.Name())
}

// Place moves a staged blob to its content address and fsyncs the
// directory, so the blob survives a crash from here on. When the address
// is already taken (identical content) the staged copy is dropped instead.
func (b *Blobs) Place(s *StagedBlob) error {
	if s.done {
		return errors.New("storage: place blob: already placed or discarded")
	}
	final := b.path(s.Info.SHA256)
	if err := os.MkdirAll(filepath.Dir(final), 0o700); err != nil {
		return fmt.Errorf("storage: blob dir: %w", err)
	}
	if err := s.File.Close(); err != nil {
		return fmt.Errorf("storage: close blob: %w", err)
	}
	if fi, err := os.Stat(final); err == nil && fi.Size() == s.Info.Size {
		s.done = true
		os.Remove(s.File.Name())
		return nil
	}
	if err := os.Rename(s.File.Name(), final); err != nil {
		s.done = true
		os.Remove(s.File.Name())
		return fmt.Errorf("storage: place blob: %w", err)
	}
	s.done = true
	return syncDir(filepath.Dir(final))
}

// Exists reports whether the blob with the given hex SHA-256 is stored.
func (b *Blobs) Exists(sha string) bool {
	if !hexDigest.MatchString(sha) {
		return false
	}
	_, err := os.Stat(b.path(sha))
	return err == nil
}

// walk calls fn with the digest of every stored blob; names that are not
// digests (nothing we wrote) are reported as "" with their path.
func (b *Blobs) walk(fn func(sha, path string) error) error {
	root := filepath.Join(b.dir, "sha256")
	dirs, err := os.ReadDir(root)
	if err != nil {
		return fmt.Errorf("storage: list blobs: %w", err)
	}
	for _, d := range dirs {
		if !d.IsDir() {
			continue
		}
		files, err := os.ReadDir(filepath.Join(root, d.Name()))
		if err != nil {
			return fmt.Errorf("storage: list blobs: %w", err)
		}
		for _, f := range files {
			sha := f.Name()
			if !hexDigest.MatchString(sha) || sha[:2] != d.Name() {
				sha = ""
			}
			if err := fn(sha, filepath.Join(root, d.Name(), f.Name())); err != nil {
				return err
			}
		}
	}
	return nil
}

// ErrBlobTooLarge is returned by Put when the content exceeds its limit.
var ErrBlobTooLarge = errors.New("storage: blob exceeds the size limit")

// Open returns a reader for the blob with the given hex SHA-256.
func (b *Blobs) Open(sha string) (*os.File, error) {
	if !hexDigest.MatchString(sha) {
		return nil, fmt.Errorf("storage: invalid blob digest %q", sha)
	}
	return os.Open(b.path(sha))
}

// Remove deletes a blob; removing a missing blob is not an error.
func (b *Blobs) Remove(sha string) error {
	if !hexDigest.MatchString(sha) {
		return fmt.Errorf("storage: invalid blob digest %q", sha)
	}
	if err := os.Remove(b.path(sha)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("storage: remove blob: %w", err)
	}
	return nil
}

// CleanTemp removes uploads a crash left behind. Call it at start-up,
// before anything can be uploading.
func (b *Blobs) CleanTemp() (int, error) {
	entries, err := os.ReadDir(filepath.Join(b.dir, "tmp"))
	if err != nil {
		return 0, fmt.Errorf("storage: list blob temp dir: %w", err)
	}
	for _, e := range entries {
		if err := os.Remove(filepath.Join(b.dir, "tmp", e.Name())); err != nil {
			return 0, fmt.Errorf("storage: remove stale upload: %w", err)
		}
	}
	return len(entries), nil
}

// path is derived from a validated hex digest only, so it cannot leave dir.
func (b *Blobs) path(sha string) string {
	return filepath.Join(b.dir, "sha256", sha[:2], sha)
}

func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("storage: open dir for sync: %w", err)
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return fmt.Errorf("storage: sync dir: %w", err)
	}
	return nil
}
