// Package storage keeps Argonaut's state in Badger and package files in a
// blob directory. It implements the service interfaces of package app; only
// app/server (and tests) import it.
package storage

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/argonautdeploy/argonaut/app"
	"github.com/argonautdeploy/argonaut/app/secrets"
	"github.com/dgraph-io/badger/v4"
)

// maxConflictRetries bounds how often one use case is retried when Badger
// reports a write conflict with a concurrent transaction.
const maxConflictRetries = 20

// Options configure Open.
type Options struct {
	// Dir holds the Badger files (dir/db) and the blob directory (dir/blobs).
	Dir string
	// Logger receives Badger's own messages and storage events.
	Logger *slog.Logger
	// GCInterval is how often value-log GC runs; 0 means 5 minutes.
	GCInterval time.Duration
	// Now returns the current time; nil means time.Now. Tests pin it.
	Now func() time.Time
	// Cipher seals sensitive values under the master key. Open verifies it
	// against the key check value in the store and fails closed on a
	// mismatch. nil means sensitive values can be neither stored nor read.
	Cipher *secrets.Cipher
	// KeyGenerated says the key was generated for this start (no key file,
	// none configured): an existing store with encrypted values then gets
	// a "key missing" error rather than "wrong key".
	KeyGenerated bool
}

// DB is an open store. Its methods are safe for concurrent use.
type DB struct {
	db     *badger.DB
	cipher *secrets.Cipher
	log    *slog.Logger
	now    func() time.Time
	Blobs  *Blobs

	stop chan struct{}
	wg   sync.WaitGroup

	blobLocks digestLocks // see storage/package.go
}

// Open opens (creating if needed) the store in opts.Dir, runs migrations and
// starts value-log GC. Badger holds a directory lock: a second Open of the
// same directory fails until the first is closed.
func Open(ctx context.Context, opts Options) (*DB, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.GCInterval == 0 {
		opts.GCInterval = 5 * time.Minute
	}
	if err := os.MkdirAll(opts.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("storage: create data dir: %w", err)
	}
	bo := badger.DefaultOptions(filepath.Join(opts.Dir, "db")).
		WithSyncWrites(true).
		WithLogger(badgerLogger{opts.Logger.With("component", "badger")}).
		WithNumVersionsToKeep(1).
		WithCompactL0OnClose(true).
		// Small tables and memtables keep the idle footprint modest; our
		// records are small and few compared with Badger's defaults.
		WithMemTableSize(16 << 20).
		WithValueLogFileSize(256 << 20).
		WithBlockCacheSize(16 << 20).
		WithIndexCacheSize(8 << 20).
		WithNumCompactors(2)
	bdb, err := badger.Open(bo)
	if err != nil {
		return nil, fmt.Errorf("storage: open badger: %w", err)
	}
	blobs, err := openBlobs(filepath.Join(opts.Dir, "blobs"))
	if err != nil {
		bdb.Close()
		return nil, err
	}
	d := &DB{db: bdb, cipher: opts.Cipher, log: opts.Logger, now: opts.Now, Blobs: blobs, stop: make(chan struct{})}
	if err := d.migrate(ctx); err != nil {
		bdb.Close()
		return nil, err
	}
	if d.cipher != nil {
		if err := d.verifyMasterKey(ctx, opts.KeyGenerated); err != nil {
			bdb.Close()
			return nil, err
		}
	}
	d.wg.Add(1)
	go d.gcLoop(opts.GCInterval)
	return d, nil
}

// Close stops background work and closes Badger.
func (d *DB) Close() error {
	close(d.stop)
	d.wg.Wait()
	if err := d.db.Close(); err != nil {
		return fmt.Errorf("storage: close: %w", err)
	}
	return nil
}

// Size returns the bytes used by the LSM tree and the value log.
func (d *DB) Size() (lsm, vlog int64) { return d.db.Size() }

// gcLoop runs value-log GC on a ticker, repeating while it reclaims a file,
// as Badger's documentation recommends.
func (d *DB) gcLoop(every time.Duration) {
	defer d.wg.Done()
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-d.stop:
			return
		case <-t.C:
			for i := 0; i < 16; i++ {
				if err := d.db.RunValueLogGC(0.5); err != nil {
					break
				}
			}
		}
	}
}

// update runs fn in one read-write transaction, retrying on conflicts a
// bounded number of times. fn must be free of side effects outside txn
// because it may run more than once.
func (d *DB) update(ctx context.Context, fn func(txn *badger.Txn) error) error {
	for attempt := 0; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		err := d.db.Update(fn)
		if !errors.Is(err, badger.ErrConflict) {
			return err
		}
		if attempt >= maxConflictRetries {
			return app.Errorf(app.ECONFLICT, "Too many concurrent changes; please try again.")
		}
		// A short, growing pause lets the winner finish.
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Duration(attempt+1) * time.Millisecond):
		}
	}
}

// view runs fn in a read-only transaction.
func (d *DB) view(fn func(txn *badger.Txn) error) error { return d.db.View(fn) }

// nextID reads and bumps the counter of kind in txn. Because the read is
// part of the transaction, two concurrent inserts conflict instead of
// getting the same number, and no number is ever skipped.
func nextID(txn *badger.Txn, kind string) (uint64, error) {
	k := seqKey(kind)
	var n uint64
	item, err := txn.Get(k)
	switch {
	case err == nil:
		if err := item.Value(func(v []byte) error { n = binary.BigEndian.Uint64(v); return nil }); err != nil {
			return 0, err
		}
	case !errors.Is(err, badger.ErrKeyNotFound):
		return 0, err
	}
	n++
	return n, txn.Set(k, binary.BigEndian.AppendUint64(nil, n))
}

// getJSON decodes the value at k into v; a missing key is ENOTFOUND with id in the message.
func getJSON(txn *badger.Txn, k key, id string, v any) error {
	item, err := txn.Get(k)
	if errors.Is(err, badger.ErrKeyNotFound) {
		return app.NotFound(id)
	} else if err != nil {
		return err
	}
	return item.Value(func(b []byte) error { return json.Unmarshal(b, v) })
}

func setJSON(txn *badger.Txn, k key, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return txn.Set(k, b)
}

func exists(txn *badger.Txn, k key) (bool, error) {
	_, err := txn.Get(k)
	if errors.Is(err, badger.ErrKeyNotFound) {
		return false, nil
	}
	return err == nil, err
}

type badgerLogger struct{ l *slog.Logger }

func (b badgerLogger) Errorf(f string, a ...any)   { b.l.Error(fmt.Sprintf(f, a...)) }
func (b badgerLogger) Warningf(f string, a ...any) { b.l.Warn(fmt.Sprintf(f, a...)) }
func (b badgerLogger) Infof(f string, a ...any)    { b.l.Debug(fmt.Sprintf(f, a...)) }
func (b badgerLogger) Debugf(f string, a ...any)   { b.l.Debug(fmt.Sprintf(f, a...)) }

func jsonBytes(v any) ([]byte, error) { return json.Marshal(v) }
