package auth

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestThrottleLimitHoldsUnderConcurrency(t *testing.T) {
	th := NewThrottle(5, time.Minute)
	var allowed atomic.Int32
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			if ok, _ := th.Attempt("user:admin", "ip:10.0.0.1"); ok {
				allowed.Add(1)
			}
		}()
	}
	close(start)
	wg.Wait()
	if got := allowed.Load(); got != 5 {
		t.Fatalf("%d concurrent attempts allowed, want exactly 5", got)
	}
}

func TestThrottleWindowAndSuccess(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	th := NewThrottle(3, 5*time.Minute)
	th.Now = func() time.Time { return now }
	for i := range 3 {
		if ok, _ := th.Attempt("user:Alice"); !ok {
			t.Fatalf("attempt %d refused", i)
		}
	}
	ok, wait := th.Attempt("user:ALICE") // keys are case-insensitive
	if ok || wait != 5*time.Minute {
		t.Fatalf("4th attempt = %v, wait %v; want refused for 5m", ok, wait)
	}
	if ok, _ := th.Attempt("user:bob"); !ok {
		t.Fatal("another user is throttled too")
	}
	now = now.Add(5 * time.Minute)
	if ok, _ := th.Attempt("user:alice"); !ok {
		t.Fatal("still refused after the window")
	}
	th.Succeed("user:alice")
	for i := range 3 {
		if ok, _ := th.Attempt("user:alice"); !ok {
			t.Fatalf("attempt %d after success refused", i)
		}
	}
	// Allowed only looks; it never counts.
	th.Succeed("user:carol")
	for range 10 {
		if ok, _ := th.Allowed("user:carol"); !ok {
			t.Fatal("Allowed counted an attempt")
		}
	}
}
