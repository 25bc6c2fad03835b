package tasks

import (
	"sync"
	"sync/atomic"

	"github.com/argonautdeploy/argonaut/app"
)

// subscriberBuffer is how many committed batches a subscriber may fall
// behind before it is dropped.
const subscriberBuffer = 64

// Subscription delivers the committed log events of one task as they are
// committed, in order. C is closed when the task completes, when the
// subscriber falls more than a bounded number of batches behind (Dropped
// then reports true: re-read the store from your cursor and subscribe
// again — Engine.Follow does exactly that), or on Close.
type Subscription struct {
	C       <-chan []app.LogEvent
	c       chan []app.LogEvent
	dropped atomic.Bool
	h       *hub
	taskID  string
	once    sync.Once
}

// Dropped reports whether the subscription ended because it fell behind.
func (s *Subscription) Dropped() bool { return s.dropped.Load() }

// Close ends the subscription.
func (s *Subscription) Close() { s.h.remove(s) }

// hub fans committed batches out to the subscribers of each task. A
// publisher never blocks: a full subscriber is dropped instead.
type hub struct {
	mu   sync.Mutex
	subs map[string]map[*Subscription]struct{}
}

func newHub() *hub { return &hub{subs: map[string]map[*Subscription]struct{}{}} }

func (h *hub) subscribe(taskID string) *Subscription {
	c := make(chan []app.LogEvent, subscriberBuffer)
	s := &Subscription{C: c, c: c, h: h, taskID: taskID}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.subs[taskID] == nil {
		h.subs[taskID] = map[*Subscription]struct{}{}
	}
	h.subs[taskID][s] = struct{}{}
	return s
}

func (h *hub) publish(taskID string, batch []app.LogEvent) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for s := range h.subs[taskID] {
		select {
		case s.c <- batch:
		default:
			s.dropped.Store(true)
			h.removeLocked(s)
		}
	}
}

// end closes every subscription of a completed task.
func (h *hub) end(taskID string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for s := range h.subs[taskID] {
		h.removeLocked(s)
	}
}

func (h *hub) remove(s *Subscription) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.removeLocked(s)
}

func (h *hub) removeLocked(s *Subscription) {
	s.once.Do(func() {
		delete(h.subs[s.taskID], s)
		if len(h.subs[s.taskID]) == 0 {
			delete(h.subs, s.taskID)
		}
		close(s.c)
	})
}

// subscribers counts the live subscriptions of a task (tests).
func (h *hub) subscribers(taskID string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.subs[taskID])
}
