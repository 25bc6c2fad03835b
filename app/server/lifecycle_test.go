package server_test

import (
	"context"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/argonautdeploy/argonaut/app/server"
)

// TestCloseRightAfterOpen guards against a shutdown racing the serving
// goroutine's start: Close must return even when no request was ever served.
func TestCloseRightAfterOpen(t *testing.T) {
	for i := 0; i < 5; i++ {
		s := server.New(server.Config{DataDir: t.TempDir(), Listen: "127.0.0.1:0", AdminUsername: "admin", AdminPassword: "correct horse"})
		if err := s.Open(context.Background()); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- s.Close() }()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("close: %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Fatal("Close did not return within 30 s of Open")
		}
	}
}

// TestCloseWithUnusedConnection: an HTTP client often dials a connection it
// then never uses (it raced another that freed up first). Such a connection
// holds no request, so a graceful Close must close it rather than wait for it
// until the shutdown deadline and report "context deadline exceeded".
func TestCloseWithUnusedConnection(t *testing.T) {
	s := server.New(server.Config{DataDir: t.TempDir(), Listen: "127.0.0.1:0", AdminUsername: "admin", AdminPassword: "correct horse"})
	if err := s.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	conn, err := net.Dial("tcp", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// A served request on a second connection proves the server accepted
	// connections before Close; the idle one above never sends a byte.
	resp, err := http.Get(s.URL + "/livez")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	http.DefaultClient.CloseIdleConnections()
	if err := s.Close(); err != nil {
		t.Fatalf("close with an unused connection open: %v", err)
	}
	if _, err := conn.Read(make([]byte, 1)); err == nil {
		t.Fatal("the unused connection is still open after Close")
	}
}
