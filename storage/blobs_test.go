package storage

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func tempEntries(t *testing.T, b *Blobs) []os.DirEntry {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(b.dir, "tmp"))
	if err != nil {
		t.Fatal(err)
	}
	return entries
}

// chunkReader hands out its content a few bytes at a time, like a network stream.
type chunkReader struct {
	data []byte
	size int
}

func (r *chunkReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, io.EOF
	}
	n := min(r.size, len(p), len(r.data))
	copy(p, r.data[:n])
	r.data = r.data[n:]
	return n, nil
}

func TestBlobPutStreamsAndHashes(t *testing.T) {
	b, err := openBlobs(t.TempDir())
	mustOK(t, err)
	content := bytes.Repeat([]byte("argonaut package bytes\n"), 50000) // ~1.1 MB
	sum := sha256.Sum256(content)
	want := hex.EncodeToString(sum[:])

	info, err := b.Put(&chunkReader{data: content, size: 4093}, 0)
	mustOK(t, err)
	if info.SHA256 != want || info.Size != int64(len(content)) {
		t.Fatalf("info = %+v, want sha %s size %d", info, want, len(content))
	}
	f, err := b.Open(info.SHA256)
	mustOK(t, err)
	got, err := io.ReadAll(f)
	f.Close()
	mustOK(t, err)
	if !bytes.Equal(got, content) {
		t.Fatal("stored content differs")
	}
	if n := len(tempEntries(t, b)); n != 0 {
		t.Fatalf("%d temp files left after a good Put", n)
	}
}

func TestBlobPutSizeLimit(t *testing.T) {
	b, err := openBlobs(t.TempDir())
	mustOK(t, err)
	tests := []struct {
		name    string
		size    int
		limit   int64
		wantErr error
	}{
		{"under", 99, 100, nil},
		{"exactly", 100, 100, nil},
		{"one over", 101, 100, ErrBlobTooLarge},
		{"far over", 1 << 20, 100, ErrBlobTooLarge},
		{"no limit", 1 << 20, 0, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			data := bytes.Repeat([]byte{byte(tc.size)}, tc.size)
			info, err := b.Put(bytes.NewReader(data), tc.limit)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			if n := len(tempEntries(t, b)); n != 0 {
				t.Fatalf("%d temp files left", n)
			}
			if tc.wantErr != nil {
				sum := sha256.Sum256(data)
				if _, err := os.Stat(b.path(hex.EncodeToString(sum[:]))); !errors.Is(err, os.ErrNotExist) {
					t.Fatalf("an over-limit blob was stored (stat err %v)", err)
				}
				return
			}
			if info.Size != int64(tc.size) {
				t.Fatalf("size = %d", info.Size)
			}
		})
	}
}

type failingReader struct{ n int }

func (r *failingReader) Read(p []byte) (int, error) {
	if r.n <= 0 {
		return 0, errors.New("connection reset")
	}
	n := min(len(p), r.n)
	r.n -= n
	return n, nil
}

func TestBlobPutReadErrorLeavesNothing(t *testing.T) {
	b, err := openBlobs(t.TempDir())
	mustOK(t, err)
	if _, err := b.Put(&failingReader{n: 5000}, 0); err == nil || !strings.Contains(err.Error(), "connection reset") {
		t.Fatalf("err = %v, want the read error", err)
	}
	if n := len(tempEntries(t, b)); n != 0 {
		t.Fatalf("%d temp files left", n)
	}
}

func TestBlobIdenticalContentStoredOnce(t *testing.T) {
	b, err := openBlobs(t.TempDir())
	mustOK(t, err)
	i1, err := b.Put(strings.NewReader("same"), 0)
	mustOK(t, err)
	i2, err := b.Put(strings.NewReader("same"), 0)
	mustOK(t, err)
	if i1 != i2 {
		t.Fatalf("%+v != %+v", i1, i2)
	}
	var files []string
	mustOK(t, filepath.WalkDir(filepath.Join(b.dir, "sha256"), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files = append(files, p)
		}
		return err
	}))
	if len(files) != 1 {
		t.Fatalf("files = %v, want one", files)
	}
	mustOK(t, b.Remove(i1.SHA256))
	mustOK(t, b.Remove(i1.SHA256)) // removing a missing blob is fine
	if _, err := b.Open(i1.SHA256); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("open after remove: %v", err)
	}
}

func TestBlobRejectsBadDigests(t *testing.T) {
	b, err := openBlobs(t.TempDir())
	mustOK(t, err)
	for _, d := range []string{"", "../../etc/passwd", strings.Repeat("A", 64), strings.Repeat("a", 63), strings.Repeat("a", 62) + "/x"} {
		if _, err := b.Open(d); err == nil {
			t.Errorf("Open(%q) succeeded", d)
		}
		if err := b.Remove(d); err == nil {
			t.Errorf("Remove(%q) succeeded", d)
		}
	}
}

func TestBlobCleanTemp(t *testing.T) {
	b, err := openBlobs(t.TempDir())
	mustOK(t, err)
	kept, err := b.Put(strings.NewReader("kept"), 0)
	mustOK(t, err)
	for _, name := range []string{"upload-1", "upload-2"} {
		mustOK(t, os.WriteFile(filepath.Join(b.dir, "tmp", name), []byte("partial"), 0o600))
	}
	n, err := b.CleanTemp()
	mustOK(t, err)
	if n != 2 || len(tempEntries(t, b)) != 0 {
		t.Fatalf("CleanTemp removed %d, %d left", n, len(tempEntries(t, b)))
	}
	if f, err := b.Open(kept.SHA256); err != nil {
		t.Fatalf("CleanTemp removed a committed blob: %v", err)
	} else {
		f.Close()
	}
	if n, err := b.CleanTemp(); n != 0 || err != nil {
		t.Fatalf("second CleanTemp = %d, %v", n, err)
	}
}

// TestCopyHashed runs the read/hash/write ring over more blocks than it
// has, with a source that returns odd-sized reads.
func TestCopyHashed(t *testing.T) {
	content := make([]byte, stageBlocks*stageBlockSize*2+12345)
	for i := range content {
		content[i] = byte(i * 7 / 3)
	}
	var dst bytes.Buffer
	n, sum, err := copyHashed(&dst, &chunkReader{data: content, size: 65521})
	mustOK(t, err)
	if n != int64(len(content)) || sum != sha256.Sum256(content) || !bytes.Equal(dst.Bytes(), content) {
		t.Fatalf("copied %d bytes (want %d), digest or content differs", n, len(content))
	}
}

type failingWriter struct{ after int }

func (w *failingWriter) Write(p []byte) (int, error) {
	if w.after <= 0 {
		return 0, errors.New("disk full")
	}
	w.after--
	return len(p), nil
}

// endless is an upload that never ends.
type endless struct{}

func (endless) Read(p []byte) (int, error) { return len(p), nil }

// TestCopyHashedWriteError checks that a failed write stops the copy (an
// endless upload would otherwise be read to its end) and is returned.
func TestCopyHashedWriteError(t *testing.T) {
	for _, after := range []int{0, 1, stageBlocks + 1} {
		_, _, err := copyHashed(&failingWriter{after: after}, endless{})
		if err == nil || !strings.Contains(err.Error(), "disk full") {
			t.Fatalf("write fails after %d blocks: err = %v, want the write error", after, err)
		}
	}
}
