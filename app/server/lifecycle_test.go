package server_test

import (
	"context"
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
