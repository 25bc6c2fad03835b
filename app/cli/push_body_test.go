package cli

import (
	"bytes"
	"io"
	"mime"
	"mime/multipart"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
)

// TestMultipartFileBody checks that the precomputed body is the form
// mime/multipart reads back, whether net/http reads all of it, some of it
// before handing over to writeTo (as it does to fill its buffer), or none.
func TestMultipartFileBody(t *testing.T) {
	content := bytes.Repeat([]byte("package bytes\r\n--not a boundary\r\n"), 3000)
	path := filepath.Join(t.TempDir(), `Acme "Quoted".1.0.0.zip`)
	if err := os.WriteFile(path, content, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, readFirst := range []int{0, 10, 4096, len(content), 1 << 30} {
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		var done atomic.Int64
		b, err := newMultipartFile(f, int64(len(content)), filepath.Base(path), &done)
		if err != nil {
			t.Fatal(err)
		}
		var got bytes.Buffer
		if _, err := io.CopyN(&got, b, int64(readFirst)); err != nil && err != io.EOF {
			t.Fatal(err)
		}
		if _, err := b.writeTo(&got); err != nil {
			t.Fatal(err)
		}
		f.Close()
		if int64(got.Len()) != b.Len() {
			t.Fatalf("read %d first: body is %d bytes, Len says %d", readFirst, got.Len(), b.Len())
		}
		if done.Load() != int64(len(content)) {
			t.Fatalf("read %d first: progress counted %d bytes, want %d", readFirst, done.Load(), len(content))
		}
		_, params, err := mime.ParseMediaType(b.contentType)
		if err != nil {
			t.Fatal(err)
		}
		mr := multipart.NewReader(&got, params["boundary"])
		part, err := mr.NextPart()
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(part)
		if err != nil {
			t.Fatal(err)
		}
		if part.FormName() != "file" || part.FileName() != filepath.Base(path) || !bytes.Equal(data, content) {
			t.Fatalf("read %d first: part %q %q with %d bytes, want file %q with %d", readFirst, part.FormName(), part.FileName(), len(data), filepath.Base(path), len(content))
		}
		if _, err := mr.NextPart(); err != io.EOF {
			t.Fatalf("read %d first: after the file part: %v, want io.EOF", readFirst, err)
		}
	}
}
