package deployments_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/argonautdeploy/argonaut/app"
	"github.com/argonautdeploy/argonaut/app/deployments"
	"github.com/argonautdeploy/argonaut/storage"
)

func openInterruptions(t *testing.T) (*deployments.Interruptions, context.Context) {
	t.Helper()
	d, err := storage.Open(context.Background(), storage.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	alice := &app.User{ID: "Users-1", Username: "alice", IsActive: true, IsAdmin: true}
	return &deployments.Interruptions{Store: d}, app.WithPrincipal(context.Background(), alice)
}

func TestWaitWakesOnSubmitAndNotBefore(t *testing.T) {
	s, ctx := openInterruptions(t)
	i := &app.Interruption{SpaceID: app.DefaultSpaceID, Type: app.InterruptionManual, Title: "Approve", TaskID: "ServerTasks-1"}
	if err := s.Raise(ctx, i); err != nil {
		t.Fatal(err)
	}
	got := make(chan *app.Interruption, 1)
	go func() {
		r, err := s.Wait(context.Background(), i.SpaceID, i.ID)
		if err != nil {
			t.Error(err)
		}
		got <- r
	}()
	select {
	case <-got:
		t.Fatal("Wait returned before the submission")
	case <-time.After(50 * time.Millisecond):
	}
	if _, err := s.SubmitInterruption(ctx, i.SpaceID, i.ID, app.InterruptionSubmission{Result: "proceed", Notes: "ok"}); err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-got:
		if r.IsPending || r.Result != app.ResultProceed || r.Notes != "ok" || r.SubmittedBy != "alice" || r.TakenBy != "alice" {
			t.Fatalf("woken with %+v", r)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Wait was not woken by the submission")
	}
	// Waiting on a submitted interruption returns at once.
	if r, err := s.Wait(context.Background(), i.SpaceID, i.ID); err != nil || r.Result != app.ResultProceed {
		t.Fatalf("late wait: %+v %v", r, err)
	}
}

func TestSubmitRules(t *testing.T) {
	s, ctx := openInterruptions(t)
	i := &app.Interruption{SpaceID: app.DefaultSpaceID, Type: app.InterruptionGuidedFailure, Title: "Step failed", TaskID: "ServerTasks-1"}
	if err := s.Raise(ctx, i); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SubmitInterruption(ctx, i.SpaceID, i.ID, app.InterruptionSubmission{Result: app.ResultProceed}); app.ErrorCode(err) != app.EINVALID {
		t.Errorf("Proceed on guided failure: %v", err)
	}
	bob := app.WithPrincipal(context.Background(), &app.User{ID: "Users-2", Username: "bob", IsActive: true})
	if _, err := s.TakeResponsibility(bob, i.SpaceID, i.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SubmitInterruption(ctx, i.SpaceID, i.ID, app.InterruptionSubmission{Result: app.ResultRetry}); app.ErrorCode(err) != app.ECONFLICT {
		t.Errorf("submit while bob is responsible: %v", err)
	}
	if _, err := s.SubmitInterruption(bob, i.SpaceID, i.ID, app.InterruptionSubmission{Result: "retry"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SubmitInterruption(bob, i.SpaceID, i.ID, app.InterruptionSubmission{Result: app.ResultRetry}); app.ErrorCode(err) != app.ECONFLICT {
		t.Errorf("second submission: %v", err)
	}
	wctx, cancel := context.WithCancel(context.Background())
	cancel()
	j := &app.Interruption{SpaceID: app.DefaultSpaceID, Type: app.InterruptionManual, Title: "Other", TaskID: "ServerTasks-2"}
	if err := s.Raise(ctx, j); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Wait(wctx, j.SpaceID, j.ID); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled wait: %v", err)
	}
}
