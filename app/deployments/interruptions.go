package deployments

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/argonautdeploy/argonaut/app"
)

// Interruptions implements app.InterruptionService over the store and
// wakes the deployments waiting on them. Waiting is event-driven: Submit
// closes the waiter's channel after the store commits; a waiter re-reads
// the record, so a submission that lands between its read and its wait is
// never missed (it subscribes first).
//
// Responsible teams are stored; they will be enforced once teams exist
// (a later issue) — until then anyone with InterruptionSubmit may act.
type Interruptions struct {
	Store app.InterruptionStore

	mu      sync.Mutex
	waiters map[string]chan struct{}
}

var _ app.InterruptionService = (*Interruptions)(nil)

// FindInterruptionByID implements app.InterruptionService.
func (s *Interruptions) FindInterruptionByID(ctx context.Context, spaceID, id string) (*app.Interruption, error) {
	return s.Store.FindInterruptionByID(ctx, spaceID, id)
}

// FindInterruptions implements app.InterruptionService.
func (s *Interruptions) FindInterruptions(ctx context.Context, f app.InterruptionFilter) ([]*app.Interruption, int, error) {
	return s.Store.FindInterruptions(ctx, f)
}

// TakeResponsibility implements app.InterruptionService.
func (s *Interruptions) TakeResponsibility(ctx context.Context, spaceID, id string) (*app.Interruption, error) {
	uid, uname := app.ActorName(ctx)
	return s.Store.UpdateInterruption(ctx, spaceID, id, func(i *app.Interruption) error {
		if !i.IsPending {
			return app.Errorf(app.ECONFLICT, "The interruption '%s' has already been submitted.", i.Title)
		}
		i.TakenByID, i.TakenBy = uid, uname
		return nil
	})
}

// SubmitInterruption implements app.InterruptionService.
func (s *Interruptions) SubmitInterruption(ctx context.Context, spaceID, id string, sub app.InterruptionSubmission) (*app.Interruption, error) {
	uid, uname := app.ActorName(ctx)
	i, err := s.Store.UpdateInterruption(ctx, spaceID, id, func(i *app.Interruption) error {
		if !i.IsPending {
			return app.Errorf(app.ECONFLICT, "The interruption '%s' has already been submitted.", i.Title)
		}
		result := ""
		for _, r := range i.Type.Results() {
			if strings.EqualFold(r, strings.TrimSpace(sub.Result)) {
				result = r
			}
		}
		if result == "" {
			return app.Invalid(fmt.Sprintf("Result must be one of %s.", strings.Join(i.Type.Results(), ", ")))
		}
		if i.TakenByID != "" && i.TakenByID != uid {
			return app.Errorf(app.ECONFLICT, "%s has taken responsibility for this interruption; take responsibility first.", i.TakenBy)
		}
		if len(sub.Notes) > 1<<16 {
			return app.Invalid("Notes must be at most 64 KiB.")
		}
		i.TakenByID, i.TakenBy = uid, uname
		i.IsPending, i.Result, i.Notes = false, result, sub.Notes
		i.SubmittedByID, i.SubmittedBy, i.SubmittedAt = uid, uname, time.Now().UTC()
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.signal(i.ID)
	return i, nil
}

// Raise stores a new pending interruption.
func (s *Interruptions) Raise(ctx context.Context, i *app.Interruption) error {
	return s.Store.CreateInterruption(ctx, i)
}

// Wait blocks until interruption id is submitted (and returns it) or ctx ends.
func (s *Interruptions) Wait(ctx context.Context, spaceID, id string) (*app.Interruption, error) {
	for {
		ch := s.subscribe(id)
		i, err := s.Store.FindInterruptionByID(ctx, spaceID, id)
		if err != nil {
			return nil, err
		}
		if !i.IsPending {
			return i, nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-ch:
		}
	}
}

// Cancel ends a pending interruption whose task stopped waiting (cancel,
// shutdown) so that it no longer shows as actionable.
func (s *Interruptions) Cancel(ctx context.Context, spaceID, id, why string) {
	_, _ = s.Store.UpdateInterruption(ctx, spaceID, id, func(i *app.Interruption) error {
		if !i.IsPending {
			return app.Errorf(app.ECONFLICT, "already submitted")
		}
		i.IsPending, i.Notes = false, why
		return nil
	})
}

func (s *Interruptions) subscribe(id string) chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.waiters == nil {
		s.waiters = map[string]chan struct{}{}
	}
	ch, ok := s.waiters[id]
	if !ok {
		ch = make(chan struct{})
		s.waiters[id] = ch
	}
	return ch
}

func (s *Interruptions) signal(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ch, ok := s.waiters[id]; ok {
		close(ch)
		delete(s.waiters, id)
	}
}
