package server_test

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestUnreadBodyIsNotParsedAsARequest sends a request that is refused before
// its body is read, with a second request hidden in that body. The server
// must not run the hidden request: the next response on the connection
// belongs to the next real request.
func TestUnreadBodyIsNotParsedAsARequest(t *testing.T) {
	s := startServer(t, t.TempDir())
	c := adminClient(t, s)
	key := c.header.Get("X-Octopus-ApiKey")
	u, _ := url.Parse(s.URL)
	hidden := "POST /api/environments HTTP/1.1\r\nHost: x\r\nX-Octopus-ApiKey: " + key +
		"\r\nContent-Type: application/json\r\nContent-Length: 17\r\n\r\n{\"Name\":\"Hidden\"}"
	chunked := fmt.Sprintf("%x\r\n%s\r\n0\r\n\r\n", len(hidden), hidden)
	// fasthttp prefetches the first 8 KiB of a body; the rest stays on the wire.
	padded := strings.Repeat(" ", 8<<10) + hidden
	framings := map[string]string{
		"content-length": fmt.Sprintf("Content-Length: %d\r\n\r\n%s", len(padded), padded),
		"chunked":        "Transfer-Encoding: chunked\r\n\r\n" + chunked,
	}
	for name, framing := range framings {
		t.Run(name, func(t *testing.T) {
			conn, err := net.Dial("tcp", u.Host)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			conn.SetDeadline(time.Now().Add(30 * time.Second))
			// No credentials: refused with 401 before the body is read.
			first := "POST /api/environments HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" + framing
			second := "GET /api/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
			if _, err := conn.Write([]byte(first + second)); err != nil {
				t.Fatal(err)
			}
			br := bufio.NewReader(conn)
			statuses := []int{}
			for {
				resp, err := http.ReadResponse(br, nil)
				if err != nil {
					break
				}
				resp.Body.Close()
				statuses = append(statuses, resp.StatusCode)
			}
			if len(statuses) == 0 || statuses[0] != http.StatusUnauthorized {
				t.Fatalf("statuses = %v, want 401 first", statuses)
			}
			for _, st := range statuses[1:] {
				if st != http.StatusOK {
					t.Fatalf("statuses = %v: the hidden request was answered", statuses)
				}
			}
		})
	}
	var all []environment
	c.must("GET", "/api/environments/all", nil, http.StatusOK, &all)
	for _, e := range all {
		if strings.EqualFold(e.Name, "Hidden") {
			t.Fatal("the request hidden in a refused body was executed")
		}
	}
}
