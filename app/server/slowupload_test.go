package server_test

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/argonautdeploy/argonaut/app/server"
)

// pacedReader hands out its content a chunk per tick: a client on a slow link.
type pacedReader struct {
	r     io.Reader
	chunk int
	tick  <-chan time.Time
}

func (p *pacedReader) Read(b []byte) (int, error) {
	<-p.tick
	if len(b) > p.chunk {
		b = b[:p.chunk]
	}
	return p.r.Read(b)
}

// TestSlowUploadOutlastsReadTimeout: the read timeout bounds a stall, not an
// upload. A push that keeps moving but takes three times the timeout must be
// stored whole (a 10 GiB package on a slow link takes many minutes).
func TestSlowUploadOutlastsReadTimeout(t *testing.T) {
	const timeout = time.Second
	s := startFeedServer(t, server.Config{ReadTimeout: timeout})
	content := storedZip(t, 300_000)
	ticker := time.NewTicker(100 * time.Millisecond)
	defer ticker.Stop()
	started := time.Now()
	// 30 chunks of 10 KB, one per 100 ms: about 3 s in all.
	r := s.push(t, "", "Acme.Slow.1.0.0.zip", &pacedReader{r: bytes.NewReader(content), chunk: 10_000, tick: ticker.C}, "")
	if r.status != 201 {
		t.Fatalf("slow push: %d %s", r.status, r.body)
	}
	if took := time.Since(started); took < 2*timeout {
		t.Fatalf("the upload took %v, not longer than the read timeout: the test proves nothing", took)
	}
	got := s.do(t, "GET", "/api/packages/packages-Acme.Slow.1.0.0/raw", nil, nil)
	if got.status != 200 || sha(got.body) != sha(content) {
		t.Fatalf("download after a slow push: %d, %d bytes, sha256 %s, want %s", got.status, len(got.body), sha(got.body), sha(content))
	}
}

// TestStalledUploadIsCutOff: an upload that stops sending is dropped after the
// read timeout (it would otherwise hold a connection and a staging file
// forever), and nothing of it is stored.
func TestStalledUploadIsCutOff(t *testing.T) {
	s := startFeedServer(t, server.Config{ReadTimeout: time.Second})
	conn, err := net.Dial("tcp", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	const boundary = "stall"
	head := fmt.Sprintf("--%s\r\nContent-Disposition: form-data; name=\"file\"; filename=\"Acme.Stall.1.0.0.zip\"\r\nContent-Type: application/octet-stream\r\n\r\n", boundary)
	first := head + strings.Repeat("x", 50_000) // then nothing more
	fmt.Fprintf(conn, "POST /api/packages/raw HTTP/1.1\r\nHost: %s\r\nX-Octopus-ApiKey: %s\r\nContent-Type: multipart/form-data; boundary=%s\r\nContent-Length: %d\r\n\r\n%s",
		s.Addr(), s.key, boundary, len(first)+1_000_000, first)
	// The server must end the exchange by itself; the client deadline only
	// keeps a broken server from hanging the test.
	conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err == nil {
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode < 400 {
			t.Fatalf("a stalled upload was answered %d", resp.StatusCode)
		}
	} else if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatal("the server kept a stalled upload open for 30 s")
	}
	var list struct{ TotalResults int }
	s.do(t, "GET", "/api/packages?filter=Acme.Stall", nil, nil).decode(t, &list)
	if list.TotalResults != 0 {
		t.Fatalf("a stalled upload was stored: %d packages", list.TotalResults)
	}
}
