package auth

import (
	"strings"
	"sync"
	"time"
)

// Throttle slows password guessing: after Limit failures for one username
// (or one client address) within Window, further attempts are refused until
// the window passes. State is in memory: a restart forgets it, which is
// acceptable because a restart is slow compared with the window.
type Throttle struct {
	Limit  int
	Window time.Duration
	Now    func() time.Time

	mu       sync.Mutex
	failures map[string][]time.Time
}

// NewThrottle returns a throttle allowing limit failures per window.
func NewThrottle(limit int, window time.Duration) *Throttle {
	return &Throttle{Limit: limit, Window: window, Now: time.Now, failures: map[string][]time.Time{}}
}

// Allowed reports whether another attempt for these keys may proceed, and
// if not, how long the caller should wait.
func (t *Throttle) Allowed(keys ...string) (bool, time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.Now()
	for _, k := range keys {
		recent := t.prune(strings.ToLower(k), now)
		if len(recent) >= t.Limit {
			return false, recent[0].Add(t.Window).Sub(now)
		}
	}
	return true, 0
}

// Attempt reserves one attempt for the keys: it is refused (with the time to
// wait) when any key already has Limit recent failures, and otherwise counted
// as a failure at once, before the password is checked. Counting up front is
// what makes the limit hold under concurrency: with a separate check and
// Fail, every request of a burst passes the check while the slow password
// hashes run, and a burst of 100 gets 100 guesses. A successful sign-in
// calls Succeed, which forgets the reservation.
func (t *Throttle) Attempt(keys ...string) (bool, time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.Now()
	for _, k := range keys {
		recent := t.prune(strings.ToLower(k), now)
		if len(recent) >= t.Limit {
			return false, recent[0].Add(t.Window).Sub(now)
		}
	}
	t.record(now, keys)
	return true, 0
}

// Fail records a failed attempt for each key.
func (t *Throttle) Fail(keys ...string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.record(t.Now(), keys)
}

func (t *Throttle) record(now time.Time, keys []string) {
	for _, k := range keys {
		k = strings.ToLower(k)
		t.failures[k] = append(t.prune(k, now), now)
	}
	if len(t.failures) > 100000 { // bound memory under a spray of usernames
		t.failures = map[string][]time.Time{}
	}
}

// Succeed forgets failures of the keys after a successful sign-in.
func (t *Throttle) Succeed(keys ...string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, k := range keys {
		delete(t.failures, strings.ToLower(k))
	}
}

func (t *Throttle) prune(k string, now time.Time) []time.Time {
	list := t.failures[k]
	i := 0
	for i < len(list) && now.Sub(list[i]) >= t.Window {
		i++
	}
	list = list[i:]
	if len(list) == 0 {
		delete(t.failures, k)
		return nil
	}
	t.failures[k] = list
	return list
}
