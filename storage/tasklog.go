package storage

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/argonautdeploy/argonaut/app"
	"github.com/dgraph-io/badger/v4"
)

// Task logs are append-only. Each value under log\0<task>\0<seq> is a batch
// of consecutive events whose first Seq is the key's seq; batches are cut
// at maxLogBatch bytes so no value grows past 64 KiB.
const (
	maxLogBatch = 64 << 10
	// MaxLogMessage bounds one line; longer ones are cut (the runner splits
	// output into lines long before this).
	MaxLogMessage = 16 << 10
	// scanChunk is how many batches one read transaction of ScanTaskLog
	// loads before handing them to the caller outside the transaction.
	scanChunk = 32
)

// logBatchRecord is one stored batch.
type logBatchRecord struct {
	V      int              `json:"v"`
	Events []logEventRecord `json:"e"`
}

// logEventRecord is the stored form of app.LogEvent; short names because
// a log holds many of them.
type logEventRecord struct {
	Seq      uint64 `json:"s"`
	Kind     uint8  `json:"k"`
	Node     string `json:"n,omitempty"`
	Parent   string `json:"p,omitempty"`
	Name     string `json:"a,omitempty"`
	Status   string `json:"st,omitempty"`
	At       int64  `json:"t"`
	Category string `json:"c,omitempty"`
	Message  string `json:"m,omitempty"`
}

func logEventFromApp(e *app.LogEvent) logEventRecord {
	msg := e.Message
	if len(msg) > MaxLogMessage {
		cut := MaxLogMessage
		for cut > 0 && !utf8.RuneStart(msg[cut]) {
			cut--
		}
		msg = msg[:cut] + " …(line truncated)"
	}
	return logEventRecord{Seq: e.Seq, Kind: uint8(e.Kind), Node: e.NodeID, Parent: e.ParentID, Name: e.Name,
		Status: string(e.Status), At: e.At.UnixNano(), Category: string(e.Category), Message: msg}
}

func (r *logEventRecord) toApp() app.LogEvent {
	return app.LogEvent{Seq: r.Seq, Kind: app.LogEventKind(r.Kind), NodeID: r.Node, ParentID: r.Parent, Name: r.Name,
		Status: app.ActivityStatus(r.Status), At: time.Unix(0, r.At).UTC(), Category: app.LogCategory(r.Category),
		Message: r.Message}
}

// AppendTaskLog commits events to the log of task id in one transaction;
// when it returns nil they are durable (SyncWrites), so callers may
// acknowledge them. The caller — the one writer of a task — numbers events
// consecutively from the last committed Seq + 1; appending a Seq again
// replaces the batch it starts (an idempotent retry). Keep one call under
// a few MiB: it is one Badger transaction.
func (d *DB) AppendTaskLog(ctx context.Context, id string, events []app.LogEvent) error {
	n, err := parseID(app.KindTask, id)
	if err != nil {
		return err
	}
	if len(events) == 0 {
		return nil
	}
	if err := d.update(ctx, func(txn *badger.Txn) error { return appendLog(txn, n, events) }); err != nil {
		return fmt.Errorf("storage: append task log: %w", err)
	}
	return nil
}

func appendLog(txn *badger.Txn, n uint64, events []app.LogEvent) error {
	var buf bytes.Buffer
	var first uint64
	flush := func() error {
		if buf.Len() == 0 {
			return nil
		}
		buf.WriteString("]}")
		err := txn.Set(logKey(n, first), bytes.Clone(buf.Bytes()))
		buf.Reset()
		return err
	}
	for i := range events {
		b, err := json.Marshal(logEventFromApp(&events[i]))
		if err != nil {
			return err
		}
		if buf.Len() > 0 && buf.Len()+len(b)+3 > maxLogBatch {
			if err := flush(); err != nil {
				return err
			}
		}
		if buf.Len() == 0 {
			first = events[i].Seq
			buf.WriteString(`{"v":1,"e":[`)
		} else {
			buf.WriteByte(',')
		}
		buf.Write(b)
	}
	return flush()
}

// lastLogSeq returns the Seq of the last committed event of task n (0 for none).
func lastLogSeq(txn *badger.Txn, n uint64) (uint64, error) {
	prefix := logPrefix(n)
	it := txn.NewIterator(badger.IteratorOptions{Prefix: prefix, Reverse: true})
	defer it.Close()
	it.Seek(append(bytes.Clone(prefix), 0xff))
	if !it.Valid() {
		return 0, nil
	}
	var b logBatchRecord
	if err := it.Item().Value(func(v []byte) error { return json.Unmarshal(v, &b) }); err != nil {
		return 0, err
	}
	if len(b.Events) == 0 {
		return numAt(it.Item().Key()), nil
	}
	return b.Events[len(b.Events)-1].Seq, nil
}

// LastTaskLogSeq returns the Seq of the last committed event of task id.
func (d *DB) LastTaskLogSeq(ctx context.Context, id string) (uint64, error) {
	n, err := parseID(app.KindTask, id)
	if err != nil {
		return 0, err
	}
	var seq uint64
	err = d.view(func(txn *badger.Txn) (err error) { seq, err = lastLogSeq(txn, n); return err })
	return seq, err
}

// ScanTaskLog implements app.TaskLogService. It reads a few batches per
// read transaction and calls fn outside it, so a slow consumer (a raw
// download) neither holds a transaction open nor makes the store load the
// whole log. A missing task is ENOTFOUND.
func (d *DB) ScanTaskLog(ctx context.Context, id string, after uint64, fn func(e *app.LogEvent) error) error {
	n, err := parseID(app.KindTask, id)
	if err != nil {
		return err
	}
	if err := d.view(func(txn *badger.Txn) error {
		ok, err := exists(txn, objKey(app.KindTask, n))
		if err == nil && !ok {
			err = app.NotFound(id)
		}
		return err
	}); err != nil {
		return err
	}
	cursor := after
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		var chunk []logBatchRecord
		err := d.view(func(txn *badger.Txn) error {
			prefix := logPrefix(n)
			// The batch holding cursor+1 may start before it: find it backwards first.
			start := logKey(n, cursor+1)
			rit := txn.NewIterator(badger.IteratorOptions{PrefetchValues: false, Prefix: prefix, Reverse: true})
			rit.Seek(start)
			if rit.Valid() {
				start = rit.Item().KeyCopy(nil)
			}
			rit.Close()
			it := txn.NewIterator(badger.IteratorOptions{PrefetchValues: true, PrefetchSize: scanChunk, Prefix: prefix})
			defer it.Close()
			for it.Seek(start); it.Valid() && len(chunk) < scanChunk; it.Next() {
				var b logBatchRecord
				if err := it.Item().Value(func(v []byte) error { return json.Unmarshal(v, &b) }); err != nil {
					return fmt.Errorf("decode %x: %w", it.Item().Key(), err)
				}
				chunk = append(chunk, b)
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("storage: read task log: %w", err)
		}
		progressed := false
		for _, b := range chunk {
			for i := range b.Events {
				if b.Events[i].Seq <= cursor {
					continue
				}
				e := b.Events[i].toApp()
				if err := fn(&e); err != nil {
					return err
				}
				cursor, progressed = e.Seq, true
			}
		}
		if len(chunk) < scanChunk || !progressed {
			return nil
		}
	}
}
