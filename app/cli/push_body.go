package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/textproto"
	"os"
	"sync/atomic"
	"time"
)

// multipartFile is a multipart/form-data request body with one part "file"
// holding a file. The framing around the file (head: boundary and part
// header; tail: closing boundary) is computed up front, so the request can
// carry a Content-Length instead of being chunked, and the file itself can
// go from the page cache to the socket with sendfile (see sendfileConn)
// instead of being copied through user space twice. It counts the bytes it
// has sent in done, for the progress display.
type multipartFile struct {
	contentType string
	head, tail  []byte
	file        *os.File
	size        int64         // of file
	off         int64         // bytes of the whole body sent so far
	done        *atomic.Int64 // bytes of the file sent so far
}

func newMultipartFile(file *os.File, size int64, name string, done *atomic.Int64) (*multipartFile, error) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="file"; filename="%s"`, escapeQuotes(name)))
	h.Set("Content-Type", "application/octet-stream")
	if _, err := mw.CreatePart(h); err != nil {
		return nil, err
	}
	headLen := buf.Len()
	if err := mw.Close(); err != nil {
		return nil, err
	}
	b := buf.Bytes()
	return &multipartFile{contentType: mw.FormDataContentType(), head: b[:headLen:headLen], tail: b[headLen:],
		file: file, size: size, done: done}, nil
}

// Len is the length of the whole body.
func (b *multipartFile) Len() int64 { return int64(len(b.head)) + b.size + int64(len(b.tail)) }

// Read reads the body in order: head, file, tail. net/http reads the first
// few KiB this way, to fill the buffer behind the request headers.
func (b *multipartFile) Read(p []byte) (int, error) {
	head, size := int64(len(b.head)), b.size
	switch {
	case b.off < head:
		n := copy(p, b.head[b.off:])
		b.off += int64(n)
		return n, nil
	case b.off < head+size:
		n, err := b.file.Read(p[:min(int64(len(p)), head+size-b.off)])
		b.off += int64(n)
		b.done.Add(int64(n))
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF // the file shrank while being pushed
		}
		return n, err
	case b.off < b.Len():
		n := copy(p, b.tail[b.off-head-size:])
		b.off += int64(n)
		return n, nil
	}
	return 0, io.EOF
}

// Close does nothing: the file belongs to the caller. The body is an
// io.ReadCloser so that net/http sees it as it is, rather than wrapped in
// an io.NopCloser that sendfileConn would not recognise.
func (b *multipartFile) Close() error { return nil }

// sendfileSlice is how much of the file one sendfile call sends, so that
// the progress display moves during a big push.
const sendfileSlice = 8 << 20

// writeTo writes the rest of the body to w. When w is a *net.TCPConn, the
// file part goes through its ReadFrom, which uses sendfile for an
// io.LimitedReader over an *os.File. The file's offset is where Read left
// it, since sendfile without an offset reads from (and moves) it.
func (b *multipartFile) writeTo(w io.Writer) (int64, error) {
	var total int64
	head, size := int64(len(b.head)), b.size
	if b.off < head {
		n, err := w.Write(b.head[b.off:])
		b.off += int64(n)
		total += int64(n)
		if err != nil {
			return total, err
		}
	}
	for b.off < head+size {
		n, err := io.Copy(w, io.LimitReader(b.file, min(sendfileSlice, head+size-b.off)))
		b.off += n
		total += n
		b.done.Add(n)
		if err != nil {
			return total, err
		}
		if n == 0 {
			return total, io.ErrUnexpectedEOF // the file shrank while being pushed
		}
	}
	if b.off < b.Len() {
		n, err := w.Write(b.tail[b.off-head-size:])
		b.off += int64(n)
		total += int64(n)
		if err != nil {
			return total, err
		}
	}
	return total, nil
}

// sendfileConn is a client connection that lets a multipartFile body write
// itself. net/http sends a request body of known length as
// io.Copy(conn, io.LimitReader(body, n)) once the headers are flushed,
// which reaches the connection's ReadFrom: for a multipartFile that
// ReadFrom hands over to the body's writeTo, and the file goes to the
// socket with sendfile. Any other body, and TLS (which wraps this conn and
// only calls Write), are copied as usual.
type sendfileConn struct{ net.Conn }

func (c sendfileConn) ReadFrom(r io.Reader) (int64, error) {
	if lr, ok := r.(*io.LimitedReader); ok {
		if b, ok := lr.R.(*multipartFile); ok && lr.N == b.Len()-b.off {
			n, err := b.writeTo(c.Conn)
			lr.N -= n
			return n, err
		}
	}
	return io.Copy(c.Conn, r)
}

// pushClient is the HTTP client of `argonaut push`: the default transport
// (proxies from the environment, TLS, timeouts) dialling sendfileConns.
var pushClient = func() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	dial := (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	t.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return sendfileConn{c}, nil
	}
	return &http.Client{Transport: t}
}()
