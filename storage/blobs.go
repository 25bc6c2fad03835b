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
	"sync/atomic"
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
	src := r
	if maxSize > 0 {
		src = io.LimitReader(r, maxSize+1)
	}
	n, sum, err := copyHashed(&writebackFile{f: tmp}, src)
	if err != nil {
		return nil, fmt.Errorf("storage: write blob: %w", err)
	}
	if maxSize > 0 && n > maxSize {
		return nil, ErrBlobTooLarge
	}
	if err := tmp.Sync(); err != nil {
		return nil, fmt.Errorf("storage: sync blob: %w", err)
	}
	s.Info = BlobInfo{SHA256: hex.EncodeToString(sum[:]), Size: n}
	ok = true
	return s, nil
}

// Blocks of a staged upload: stageBlocks buffers of stageBlockSize bytes
// are all the memory one upload holds, whatever its size.
const (
	stageBlockSize = 1 << 20
	stageBlocks    = 4
)

// copyHashed copies src to dst in 1 MiB writes and returns the SHA-256 of
// what it copied. Three goroutines work on a small ring of blocks: this one
// fills a block from src while the previous blocks are hashed on one
// goroutine and written on another, so that on a multi-core machine the
// socket read, the hash and the write syscall of a big upload overlap
// instead of taking turns. Hash and write only read a block; it goes back
// to the ring once both are done with it. Network readers return a few KiB
// per Read, so blocks are filled before they are passed on: a write per
// few KiB would cost a syscall each.
func copyHashed(dst io.Writer, src io.Reader) (n int64, sum [sha256.Size]byte, err error) {
	type block struct {
		b    []byte
		left *atomic.Int32 // consumers (hash, write) not done with b yet
	}
	free := make(chan []byte, stageBlocks)
	for range stageBlocks {
		free <- make([]byte, stageBlockSize)
	}
	release := func(k block) {
		if k.left.Add(-1) == 0 {
			free <- k.b[:cap(k.b)]
		}
	}
	toHash := make(chan block, stageBlocks)
	toWrite := make(chan block, stageBlocks)
	h := sha256.New()
	hashed := make(chan struct{})
	go func() {
		defer close(hashed)
		for k := range toHash {
			h.Write(k.b)
			release(k)
		}
	}()
	var werr error
	writeFailed := make(chan struct{})
	written := make(chan struct{})
	go func() {
		defer close(written)
		for k := range toWrite {
			if werr == nil {
				if _, werr = dst.Write(k.b); werr != nil {
					close(writeFailed)
				}
			}
			release(k)
		}
	}()

	err = func() error {
		for {
			var buf []byte
			select {
			case buf = <-free:
			case <-writeFailed:
				return nil // reported below
			}
			// Fill the buffer by hand: io.ReadAtLeast would turn a source's
			// own io.ErrUnexpectedEOF (a cut connection) into a clean short read.
			m := 0
			var rerr error
			for m < len(buf) && rerr == nil {
				var k int
				k, rerr = src.Read(buf[m:])
				m += k
			}
			if m > 0 {
				k := block{b: buf[:m], left: new(atomic.Int32)}
				k.left.Store(2)
				toHash <- k
				toWrite <- k
				n += int64(m)
			}
			if errors.Is(rerr, io.EOF) {
				return nil
			} else if rerr != nil {
				return rerr
			}
		}
	}()
	close(toHash)
	close(toWrite)
	<-hashed
	<-written
	if err == nil {
		err = werr
	}
	h.Sum(sum[:0])
	return n, sum, err
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
