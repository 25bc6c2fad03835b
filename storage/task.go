package storage

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/argonautdeploy/argonaut/app"
	"github.com/dgraph-io/badger/v4"
)

// taskRecord is the stored form of app.Task. Every state change rewrites it
// together with its queue\0 entry in one transaction.
type taskRecord struct {
	V                       int               `json:"v"`
	SpaceID                 string            `json:"space_id"`
	Name                    string            `json:"name"`
	Description             string            `json:"description,omitempty"`
	State                   string            `json:"state"`
	ConcurrencyTag          string            `json:"concurrency_tag,omitempty"`
	QueueTime               time.Time         `json:"queue_time,omitzero"`
	QueueTimeExpiry         time.Time         `json:"queue_time_expiry,omitzero"`
	Created                 time.Time         `json:"created"`
	StartTime               time.Time         `json:"start_time,omitzero"`
	CompletedTime           time.Time         `json:"completed_time,omitzero"`
	ErrorMessage            string            `json:"error_message,omitempty"`
	HasPendingInterruptions bool              `json:"has_pending_interruptions,omitempty"`
	HasWarningsOrErrors     bool              `json:"has_warnings_or_errors,omitempty"`
	Arguments               map[string]string `json:"arguments,omitempty"`
	ProjectID               string            `json:"project_id,omitempty"`
	EnvironmentID           string            `json:"environment_id,omitempty"`
	TenantID                string            `json:"tenant_id,omitempty"`
	RerunOf                 string            `json:"rerun_of,omitempty"`
}

func (r *taskRecord) indexes() []indexEntry { return nil }

func (r *taskRecord) toApp(n uint64) *app.Task {
	return &app.Task{
		ID: app.FormatID(app.KindTask, n), SpaceID: r.SpaceID, Name: r.Name, Description: r.Description,
		State: app.TaskState(r.State), ConcurrencyTag: r.ConcurrencyTag, QueueTime: r.QueueTime,
		QueueTimeExpiry: r.QueueTimeExpiry, Created: r.Created, StartTime: r.StartTime,
		CompletedTime: r.CompletedTime, ErrorMessage: r.ErrorMessage,
		HasPendingInterruptions: r.HasPendingInterruptions, HasWarningsOrErrors: r.HasWarningsOrErrors,
		Arguments: r.Arguments, ProjectID: r.ProjectID, EnvironmentID: r.EnvironmentID, TenantID: r.TenantID,
		RerunOf: r.RerunOf,
	}
}

func taskFromApp(t *app.Task) *taskRecord {
	utc := func(v time.Time) time.Time {
		if v.IsZero() {
			return v
		}
		return v.UTC()
	}
	return &taskRecord{
		V: schemaVersion, SpaceID: t.SpaceID, Name: t.Name, Description: t.Description, State: string(t.State),
		ConcurrencyTag: t.ConcurrencyTag, QueueTime: utc(t.QueueTime), QueueTimeExpiry: utc(t.QueueTimeExpiry),
		Created: utc(t.Created), StartTime: utc(t.StartTime), CompletedTime: utc(t.CompletedTime),
		ErrorMessage: t.ErrorMessage, HasPendingInterruptions: t.HasPendingInterruptions,
		HasWarningsOrErrors: t.HasWarningsOrErrors, Arguments: t.Arguments, ProjectID: t.ProjectID,
		EnvironmentID: t.EnvironmentID, TenantID: t.TenantID, RerunOf: t.RerunOf,
	}
}

var tasks = table{kind: app.KindTask}

// queueEntry is the queue\0 key of an active task, or nil once it is completed.
func (r *taskRecord) queueEntry(n uint64) key {
	if app.TaskState(r.State).IsCompleted() {
		return nil
	}
	return queueKey(r.State, uint64(r.Created.UnixNano()), n)
}

// CreateTask stores t as Queued, in the caller's order: the queue entry and
// the audit event (EventTaskQueued, by the caller in ctx) are written in the
// same transaction as the record. t gets its ID and Created.
func (d *DB) CreateTask(ctx context.Context, t *app.Task) error {
	if err := t.Validate(); err != nil {
		return err
	}
	t.State = app.TaskQueued
	t.Created = d.now().UTC()
	rec := taskFromApp(t)
	var n uint64
	err := d.update(ctx, func(txn *badger.Txn) (err error) {
		if n, err = d.insertTask(txn, rec); err != nil {
			return err
		}
		msg := taskLabel(rec.toApp(n)) + " was queued"
		if t.RerunOf != "" {
			msg += " (a rerun of " + t.RerunOf + ")"
		}
		return d.audit(ctx, txn, rec.SpaceID, app.EventTaskQueued, msg, taskRelated(rec.toApp(n))...)
	})
	if err != nil {
		return fmt.Errorf("storage: create task: %w", err)
	}
	*t = *rec.toApp(n)
	return nil
}

// insertTask numbers and stores a queued task inside txn, so that use cases
// that create a task along with other records (a deployment) stay one
// transaction.
func (d *DB) insertTask(txn *badger.Txn, rec *taskRecord) (uint64, error) {
	if err := requireSpace(txn, rec.SpaceID); err != nil {
		return 0, err
	}
	n, err := nextID(txn, app.KindTask)
	if err != nil {
		return 0, err
	}
	if err := tasks.insert(txn, n, rec); err != nil {
		return 0, err
	}
	return n, txn.Set(rec.queueEntry(n), nil)
}

// FindTaskByID returns one task.
func (d *DB) FindTaskByID(ctx context.Context, id string) (*app.Task, error) {
	n, err := parseID(app.KindTask, id)
	if err != nil {
		return nil, err
	}
	var rec taskRecord
	if err := d.view(func(txn *badger.Txn) error { return tasks.get(txn, n, id, &rec) }); err != nil {
		return nil, err
	}
	return rec.toApp(n), nil
}

// FindTasks returns the tasks f selects, newest first, and the total before
// paging. A filter naming IDs reads only those records.
func (d *DB) FindTasks(ctx context.Context, f app.TaskFilter) ([]*app.Task, int, error) {
	var out []*app.Task
	var unfiltered bool
	var skipped, beyond int
	err := d.view(func(txn *badger.Txn) error {
		if len(f.IDs) > 0 {
			var nums []uint64
			for _, id := range f.IDs {
				if n, ok := app.ParseID(app.KindTask, id); ok && !slices.Contains(nums, n) {
					nums = append(nums, n)
				}
			}
			// Newest first, like the full scan.
			slices.SortFunc(nums, func(a, b uint64) int { return cmp.Compare(b, a) })
			for _, n := range nums {
				id := app.FormatID(app.KindTask, n)
				var rec taskRecord
				if err := tasks.get(txn, n, id, &rec); app.ErrorCode(err) == app.ENOTFOUND {
					continue
				} else if err != nil {
					return err
				}
				if t := rec.toApp(n); f.Matches(t) {
					out = append(out, t)
				}
			}
			return nil
		}
		prefix := objPrefix(app.KindTask)
		// Without a filter only the page needs decoding; the rest is counted by key.
		unfiltered = pagingOnly(f)
		it := txn.NewIterator(badger.IteratorOptions{PrefetchValues: !unfiltered, PrefetchSize: 64, Prefix: prefix, Reverse: true})
		defer it.Close()
		for it.Seek(append(bytes.Clone(prefix), 0xff)); it.Valid(); it.Next() {
			if unfiltered && skipped < f.Skip {
				skipped++
				continue
			}
			if unfiltered && f.Take > 0 && len(out) >= f.Take {
				beyond++
				continue
			}
			var rec taskRecord
			if err := it.Item().Value(func(b []byte) error { return json.Unmarshal(b, &rec) }); err != nil {
				return fmt.Errorf("decode %s: %w", it.Item().Key(), err)
			}
			if t := rec.toApp(numAt(it.Item().Key())); f.Matches(t) {
				out = append(out, t)
			}
		}
		return nil
	})
	if err != nil {
		return nil, 0, fmt.Errorf("storage: find tasks: %w", err)
	}
	if unfiltered {
		return out, skipped + len(out) + beyond, nil
	}
	page, total := app.Page(out, f.Skip, f.Take)
	return page, total, nil
}

// pagingOnly reports whether f selects every task (only skip and take).
func pagingOnly(f app.TaskFilter) bool {
	return len(f.IDs) == 0 && len(f.States) == 0 && len(f.SpaceIDs) == 0 && len(f.ProjectIDs) == 0 &&
		len(f.EnvironmentIDs) == 0 && len(f.TenantIDs) == 0 && len(f.Names) == 0 && f.Active == nil
}

// TasksInState returns the tasks in the active state s (Queued, Executing
// or Cancelling) in queue order, oldest first, by walking the queue index.
// Completed states have no queue and return nothing.
func (d *DB) TasksInState(ctx context.Context, s app.TaskState) ([]*app.Task, error) {
	var out []*app.Task
	err := d.view(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{PrefetchValues: false, Prefix: queuePrefix(string(s))})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			n := numAt(it.Item().Key())
			var rec taskRecord
			if err := tasks.get(txn, n, app.FormatID(app.KindTask, n), &rec); err != nil {
				return err
			}
			out = append(out, rec.toApp(n))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("storage: %s tasks: %w", s, err)
	}
	return out, nil
}

// UpdateTask applies change to task id in one transaction: the record and
// its queue entry move together. A change of State must be allowed by
// app.CanTransition (else ECONFLICT, with the task left as it was). Return
// ErrUnchanged from change to leave the task untouched and get it back as is.
func (d *DB) UpdateTask(ctx context.Context, id string, change func(t *app.Task) error) (*app.Task, error) {
	return d.changeTask(ctx, id, change, nil)
}

// UpdateTaskAudited is UpdateTask for a change a user asked for (cancel):
// the audit event (category, "Task … <what>", by the caller in ctx) is
// written in the same transaction. A change function that returns an error
// (ErrUnchanged too) writes neither the task nor an event.
func (d *DB) UpdateTaskAudited(ctx context.Context, id, category, what string, change func(t *app.Task) error) (*app.Task, error) {
	return d.changeTask(ctx, id, change, func(txn *badger.Txn, t *app.Task) error {
		return d.audit(ctx, txn, t.SpaceID, category, taskLabel(t)+" "+what, taskRelated(t)...)
	})
}

// changeTask runs updateTask in one transaction, then after (if any) on the
// changed task in the same transaction.
func (d *DB) changeTask(ctx context.Context, id string, change func(t *app.Task) error, after func(*badger.Txn, *app.Task) error) (*app.Task, error) {
	n, err := parseID(app.KindTask, id)
	if err != nil {
		return nil, err
	}
	var out *app.Task
	err = d.update(ctx, func(txn *badger.Txn) error {
		var err error
		if out, err = d.updateTask(txn, n, change); err != nil || after == nil {
			return err
		}
		return after(txn, out)
	})
	if errors.Is(err, ErrUnchanged) {
		err = nil // out is the task as it was
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}

// taskLabel names a task in audit messages.
func taskLabel(t *app.Task) string {
	if t.Description != "" {
		return "Task " + t.ID + " (" + t.Description + ")"
	}
	return "Task " + t.ID
}

// taskRelated lists the documents an event about t regards.
func taskRelated(t *app.Task) []string {
	out := []string{t.ID}
	for _, id := range []string{t.RerunOf, t.Arguments[app.TaskArgDeploymentID], t.ProjectID, t.EnvironmentID} {
		if id != "" {
			out = append(out, id)
		}
	}
	return out
}

// ErrUnchanged, returned by an UpdateTask change function, leaves the task as it is.
var ErrUnchanged = errors.New("storage: task unchanged")

func (d *DB) updateTask(txn *badger.Txn, n uint64, change func(t *app.Task) error) (*app.Task, error) {
	id := app.FormatID(app.KindTask, n)
	var old taskRecord
	if err := tasks.get(txn, n, id, &old); err != nil {
		return nil, err
	}
	t := old.toApp(n)
	if err := change(t); err != nil {
		return old.toApp(n), err
	}
	if t.State != app.TaskState(old.State) && !app.CanTransition(app.TaskState(old.State), t.State) {
		return nil, app.Errorf(app.ECONFLICT, "The task %s is %s and cannot become %s.", id, old.State, t.State)
	}
	t.ID, t.Created = id, old.Created // never changed by an update
	rec := taskFromApp(t)
	if err := tasks.replace(txn, n, &old, rec); err != nil {
		return nil, err
	}
	if oldQ, newQ := old.queueEntry(n), rec.queueEntry(n); !bytes.Equal(oldQ, newQ) {
		if oldQ != nil {
			if err := txn.Delete(oldQ); err != nil {
				return nil, err
			}
		}
		if newQ != nil {
			if err := txn.Set(newQ, nil); err != nil {
				return nil, err
			}
		}
	}
	return rec.toApp(n), nil
}

// RecoverInterruptedTasks finishes every task a crash or restart left
// Executing or Cancelling: each becomes Failed with reason(task) as its
// ErrorMessage and a Fatal line at the end of its log, in one transaction
// per task. It returns the IDs it failed. Run it before any executor starts.
func (d *DB) RecoverInterruptedTasks(ctx context.Context, reason func(t *app.Task) string) ([]string, error) {
	var ids []string
	for _, s := range []app.TaskState{app.TaskExecuting, app.TaskCancelling} {
		active, err := d.TasksInState(ctx, s)
		if err != nil {
			return ids, err
		}
		for _, t := range active {
			n, _ := app.ParseID(app.KindTask, t.ID)
			now := d.now().UTC()
			err := d.update(ctx, func(txn *badger.Txn) error {
				message := ""
				if _, err := d.updateTask(txn, n, func(t *app.Task) error {
					message = reason(t)
					t.State, t.ErrorMessage, t.CompletedTime = app.TaskFailed, message, now
					t.HasPendingInterruptions, t.HasWarningsOrErrors = false, true
					return nil
				}); err != nil {
					return err
				}
				last, err := lastLogSeq(txn, n)
				if err != nil {
					return err
				}
				return appendLog(txn, n, []app.LogEvent{{Seq: last + 1, Kind: app.LogLine, At: now,
					Category: app.LogFatal, Message: "The task was " + message + "."}})
			})
			if err != nil {
				return ids, fmt.Errorf("storage: recover task %s: %w", t.ID, err)
			}
			ids = append(ids, t.ID)
		}
	}
	return ids, nil
}

// DeleteTasks removes completed tasks with their logs (retention). Active
// tasks are refused. It uses key-only iteration and a WriteBatch, so it
// can remove millions of log batches without one huge transaction; a
// crash part-way leaves log batches of deleted tasks, which a rerun removes.
func (d *DB) DeleteTasks(ctx context.Context, ids []string) error {
	var nums []uint64
	for _, id := range ids {
		n, err := parseID(app.KindTask, id)
		if err != nil {
			return err
		}
		nums = append(nums, n)
	}
	// Records first, in one transaction, so no reader sees a task without its checks.
	err := d.update(ctx, func(txn *badger.Txn) error {
		for _, n := range nums {
			var rec taskRecord
			err := tasks.get(txn, n, app.FormatID(app.KindTask, n), &rec)
			if app.ErrorCode(err) == app.ENOTFOUND {
				continue
			} else if err != nil {
				return err
			}
			if !app.TaskState(rec.State).IsCompleted() {
				return app.Errorf(app.ECONFLICT, "The task %s is %s; only completed tasks can be deleted.", app.FormatID(app.KindTask, n), rec.State)
			}
			if err := tasks.remove(txn, n, &rec); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("storage: delete tasks: %w", err)
	}
	wb := d.db.NewWriteBatch()
	defer wb.Cancel()
	for _, n := range nums {
		var keys [][]byte
		err := d.view(func(txn *badger.Txn) error {
			it := txn.NewIterator(badger.IteratorOptions{PrefetchValues: false, Prefix: logPrefix(n)})
			defer it.Close()
			for it.Rewind(); it.Valid(); it.Next() {
				keys = append(keys, it.Item().KeyCopy(nil))
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("storage: delete task logs: %w", err)
		}
		for _, k := range keys {
			if err := wb.Delete(k); err != nil {
				return fmt.Errorf("storage: delete task logs: %w", err)
			}
		}
	}
	if err := wb.Flush(); err != nil {
		return fmt.Errorf("storage: delete task logs: %w", err)
	}
	return nil
}
