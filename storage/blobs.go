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
	tmp, err := os.CreateTemp(filepath.Join(b.dir, "tmp"), "upload-*")
	if err != nil {
		return BlobInfo{}, fmt.Errorf("storage: blob temp file: %w", err)
	}
	committed := false
	defer func() {
		if !committed {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	h := sha256.New()
	src := r
	if maxSize > 0 {
		src = io.LimitReader(r, maxSize+1)
	}
	n, err := io.Copy(io.MultiWriter(tmp, h), src)
	if err != nil {
		return BlobInfo{}, fmt.Errorf("storage: write blob: %w", err)
	}
	if maxSize > 0 && n > maxSize {
		return BlobInfo{}, ErrBlobTooLarge
	}
	if err := tmp.Sync(); err != nil {
		return BlobInfo{}, fmt.Errorf("storage: sync blob: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return BlobInfo{}, fmt.Errorf("storage: close blob: %w", err)
	}
	info := BlobInfo{SHA256: hex.EncodeToString(h.Sum(nil)), Size: n}
	final := b.path(info.SHA256)
	if err := os.MkdirAll(filepath.Dir(final), 0o700); err != nil {
		return BlobInfo{}, fmt.Errorf("storage: blob dir: %w", err)
	}
	if err := os.Rename(tmp.Name(), final); err != nil {
		return BlobInfo{}, fmt.Errorf("storage: place blob: %w", err)
	}
	committed = true
	if err := syncDir(filepath.Dir(final)); err != nil {
		return BlobInfo{}, err
	}
	return info, nil
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
