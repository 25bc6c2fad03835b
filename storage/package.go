package storage

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/argonautdeploy/argonaut/app"
	"github.com/dgraph-io/badger/v4"
)

// The package repository keeps each file once, in the content-addressed
// blob store, and counts in blob\0<sha256>\0 how many package records
// refer to it. The order of a push is what makes it crash-safe:
//
//  1. stream the body to tmp/ while hashing, fsync (Blobs.Stage);
//  2. inspect the staged file (archive checks) — nothing refers to it yet;
//  3. lock the digest, place the file at its address, fsync the directory;
//  4. one transaction: uniqueness check, record, indexes, blob count +1,
//     audit event; then unlock.
//
// A crash before 4 leaves a temp file or an unreferenced blob, which the
// start-up reconcile removes; it never leaves metadata without its file.
// A blob is removed only when its count drops to zero, by the transaction
// that drops it, under the digest lock, after re-reading the count — so a
// concurrent push of identical content can never lose its file.

// feedPackageRecord is the stored form of app.Package.
type feedPackageRecord struct {
	V           int       `json:"v"`
	SpaceID     string    `json:"space_id"`
	PackageID   string    `json:"package_id"`
	Version     string    `json:"version"`
	VersionKey  string    `json:"version_key"`
	Title       string    `json:"title,omitempty"`
	Description string    `json:"description,omitempty"`
	Published   time.Time `json:"published"`
	Size        int64     `json:"size"`
	Hash        string    `json:"sha256"`
	Extension   string    `json:"extension"`
	PushedBy    string    `json:"pushed_by,omitempty"`
	BlobMissing bool      `json:"blob_missing,omitempty"`
}

func (r *feedPackageRecord) id() string { return app.PackageRecordID(r.PackageID, r.Version) }

func (r *feedPackageRecord) indexes() []indexEntry {
	return []indexEntry{
		{unique: true, name: "version", value: r.SpaceID + "/" + r.PackageID + "/" + r.VersionKey,
			conflict: fmt.Sprintf("The package %s version %s already exists.", r.PackageID, r.Version)},
		{unique: true, name: "id", value: r.SpaceID + "/" + r.id(),
			conflict: fmt.Sprintf("A package with the ID '%s' already exists.", r.id())},
		{name: "package", value: r.SpaceID + "/" + r.PackageID},
	}
}

func (r *feedPackageRecord) toApp() *app.Package {
	return &app.Package{ID: r.id(), SpaceID: r.SpaceID, PackageID: r.PackageID, Version: r.Version,
		Title: r.Title, Description: r.Description, Published: r.Published, Size: r.Size, Hash: r.Hash,
		FileExtension: r.Extension, PushedBy: r.PushedBy, BlobMissing: r.BlobMissing}
}

var packages = table{kind: app.KindPackage}

// digestLocks serialise, per blob digest, placing a file with counting a
// reference to it, and re-checking a zero count with removing the file.
type digestLocks struct {
	mu    sync.Mutex
	locks map[string]*digestLock
}

type digestLock struct {
	sync.Mutex
	users int
}

func (l *digestLocks) lock(sha string) func() {
	l.mu.Lock()
	if l.locks == nil {
		l.locks = map[string]*digestLock{}
	}
	dl := l.locks[sha]
	if dl == nil {
		dl = &digestLock{}
		l.locks[sha] = dl
	}
	dl.users++
	l.mu.Unlock()
	dl.Lock()
	return func() {
		dl.Unlock()
		l.mu.Lock()
		if dl.users--; dl.users == 0 {
			delete(l.locks, sha)
		}
		l.mu.Unlock()
	}
}

// StorePackage implements app.PackageStore (see the order described above).
func (d *DB) StorePackage(ctx context.Context, p *app.Package, r io.Reader, o app.StoreOptions) (app.PushResult, error) {
	if err := requireSpaceView(d, p.SpaceID); err != nil {
		return 0, err
	}
	staged, err := d.Blobs.Stage(r, o.MaxSize)
	if errors.Is(err, ErrBlobTooLarge) {
		return 0, app.Errorf(app.ETOOLARGE, "The package is larger than the limit of %d bytes.", o.MaxSize)
	} else if err != nil {
		return 0, err
	}
	defer staged.Discard()
	if o.Inspect != nil {
		if err := o.Inspect(ctx, staged.File, staged.Info.Size); err != nil {
			return 0, err
		}
	}
	sha := staged.Info.SHA256
	p.Hash, p.Size = sha, staged.Info.Size

	unlock := d.blobLocks.lock(sha)
	if err := d.Blobs.Place(staged); err != nil {
		unlock()
		return 0, err
	}
	now := d.now().UTC()
	_, by := app.ActorName(ctx)
	rec := &feedPackageRecord{V: schemaVersion, SpaceID: p.SpaceID, PackageID: p.PackageID, Version: p.Version,
		VersionKey: o.VersionKey, Title: p.Title, Description: p.Description, Published: now, Size: p.Size,
		Hash: sha, Extension: p.FileExtension, PushedBy: by}
	var result app.PushResult
	var freed string // a digest whose count this push dropped to zero
	err = d.update(ctx, func(txn *badger.Txn) error {
		result, freed = 0, ""
		n, ok, err := packages.lookup(txn, "version", rec.SpaceID+"/"+rec.PackageID+"/"+rec.VersionKey)
		if err != nil {
			return err
		}
		if ok {
			var old feedPackageRecord
			if err := packages.get(txn, n, rec.id(), &old); err != nil {
				return err
			}
			switch o.Mode {
			case app.IgnoreIfExists:
				result = app.PushIgnored
				*p = *old.toApp()
				return nil
			case app.OverwriteExisting:
				if err := packages.remove(txn, n, &old); err != nil {
					return err
				}
				if left, err := addBlobRef(txn, old.Hash, -1); err != nil {
					return err
				} else if left == 0 {
					freed = old.Hash
				}
				result = app.PushOverwritten
			default:
				return app.Errorf(app.ECONFLICT, "The package %s version %s already exists. Push with overwriteMode=OverwriteExisting to replace it, or IgnoreIfExists to keep it.", old.PackageID, old.Version)
			}
		} else {
			result = app.PushCreated
		}
		n, err = nextID(txn, app.KindPackage)
		if err != nil {
			return err
		}
		if err := packages.insert(txn, n, rec); err != nil {
			return err
		}
		if _, err := addBlobRef(txn, sha, +1); err != nil {
			return err
		}
		verb := "pushed"
		if result == app.PushOverwritten {
			verb = "pushed, replacing the previous file"
		}
		return d.audit(ctx, txn, rec.SpaceID, app.EventCreated,
			fmt.Sprintf("Package %s version %s was %s", rec.PackageID, rec.Version, verb), rec.id())
	})
	unlock()
	if err != nil || result == app.PushIgnored {
		// The placed file may now be referenced by nothing.
		d.releaseBlob(sha)
		if err != nil {
			return 0, err
		}
		return result, nil
	}
	if freed != "" && freed != sha {
		d.releaseBlob(freed)
	}
	*p = *rec.toApp()
	return result, nil
}

// requireSpaceView checks that the space exists, outside any update.
func requireSpaceView(d *DB, spaceID string) error {
	return d.view(func(txn *badger.Txn) error { return requireSpace(txn, spaceID) })
}

// addBlobRef changes the reference count of sha by delta and returns the new count.
func addBlobRef(txn *badger.Txn, sha string, delta int64) (uint64, error) {
	n, err := blobRefs(txn, sha)
	if err != nil {
		return 0, err
	}
	next := int64(n) + delta
	if next <= 0 {
		return 0, txn.Delete(blobRefKey(sha))
	}
	return uint64(next), txn.Set(blobRefKey(sha), binary.BigEndian.AppendUint64(nil, uint64(next)))
}

func blobRefs(txn *badger.Txn, sha string) (uint64, error) {
	item, err := txn.Get(blobRefKey(sha))
	if errors.Is(err, badger.ErrKeyNotFound) {
		return 0, nil
	} else if err != nil {
		return 0, err
	}
	var n uint64
	err = item.Value(func(v []byte) error { n = binary.BigEndian.Uint64(v); return nil })
	return n, err
}

// releaseBlob removes the file of sha if no record refers to it any more.
func (d *DB) releaseBlob(sha string) {
	unlock := d.blobLocks.lock(sha)
	defer unlock()
	var n uint64
	if err := d.view(func(txn *badger.Txn) (err error) { n, err = blobRefs(txn, sha); return err }); err != nil {
		d.log.Error("package blob: read reference count", "sha256", sha, "err", err)
		return
	}
	if n > 0 {
		return
	}
	if err := d.Blobs.Remove(sha); err != nil {
		d.log.Error("package blob: remove unreferenced file", "sha256", sha, "err", err)
	}
}

// findPackage loads the record id names in the space, ENOTFOUND otherwise.
func findPackage(txn *badger.Txn, spaceID, id string) (uint64, *feedPackageRecord, error) {
	n, ok, err := packages.lookup(txn, "id", spaceID+"/"+id)
	if err != nil {
		return 0, nil, err
	}
	if !ok {
		return 0, nil, app.NotFound(id)
	}
	var r feedPackageRecord
	if err := packages.get(txn, n, id, &r); err != nil {
		return 0, nil, err
	}
	return n, &r, nil
}

// FindPackageByID implements app.PackageStore; the ID is case-insensitive.
func (d *DB) FindPackageByID(ctx context.Context, spaceID, id string) (*app.Package, error) {
	var out *app.Package
	err := d.view(func(txn *badger.Txn) error {
		_, r, err := findPackage(txn, spaceID, id)
		if err == nil {
			out = r.toApp()
		}
		return err
	})
	return out, err
}

// FindPackageByVersion implements app.PackageStore.
func (d *DB) FindPackageByVersion(ctx context.Context, spaceID, packageID, versionKey string) (*app.Package, error) {
	var out *app.Package
	err := d.view(func(txn *badger.Txn) error {
		n, ok, err := packages.lookup(txn, "version", spaceID+"/"+packageID+"/"+versionKey)
		if err != nil {
			return err
		}
		if !ok {
			return app.NotFound(app.PackageRecordID(packageID, versionKey))
		}
		var r feedPackageRecord
		if err := packages.get(txn, n, packageID, &r); err != nil {
			return err
		}
		out = r.toApp()
		return nil
	})
	return out, err
}

// ListPackages implements app.PackageStore.
func (d *DB) ListPackages(ctx context.Context, spaceID, packageID string) ([]*app.Package, error) {
	var out []*app.Package
	err := d.view(func(txn *badger.Txn) error {
		if packageID == "" {
			return scan(txn, app.KindPackage, func(_ uint64, r *feedPackageRecord) error {
				if r.SpaceID == spaceID {
					out = append(out, r.toApp())
				}
				return nil
			})
		}
		ns, err := packages.referenced(txn, "package", spaceID+"/"+packageID)
		if err != nil {
			return err
		}
		for _, n := range ns {
			var r feedPackageRecord
			if err := packages.get(txn, n, packageID, &r); err != nil {
				return err
			}
			out = append(out, r.toApp())
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("storage: list packages: %w", err)
	}
	return out, nil
}

// OpenPackageBlob implements app.PackageStore.
func (d *DB) OpenPackageBlob(ctx context.Context, p *app.Package) (app.ReadSeekCloser, error) {
	f, err := d.Blobs.Open(p.Hash)
	if errors.Is(err, os.ErrNotExist) {
		return nil, app.Errorf(app.ENOTFOUND, "The file of package %s version %s is missing from the blob store; push it again.", p.PackageID, p.Version)
	} else if err != nil {
		return nil, fmt.Errorf("storage: open package: %w", err)
	}
	return f, nil
}

// DeletePackage implements app.PackageStore.
func (d *DB) DeletePackage(ctx context.Context, spaceID, id, reason string) error {
	var freed string
	err := d.update(ctx, func(txn *badger.Txn) error {
		freed = ""
		n, r, err := findPackage(txn, spaceID, id)
		if err != nil {
			return err
		}
		if by, err := packageReferenced(txn, r.SpaceID, r.PackageID, r.VersionKey); err != nil {
			return err
		} else if by != "" {
			return app.Errorf(app.ECONFLICT, "The package %s version %s cannot be deleted because %s uses it; delete the release first.", r.PackageID, r.Version, by)
		}
		if err := packages.remove(txn, n, r); err != nil {
			return err
		}
		if left, err := addBlobRef(txn, r.Hash, -1); err != nil {
			return err
		} else if left == 0 {
			freed = r.Hash
		}
		msg := fmt.Sprintf("Package %s version %s was deleted", r.PackageID, r.Version)
		if reason != "" {
			msg += " (" + reason + ")"
		}
		return d.audit(ctx, txn, r.SpaceID, app.EventDeleted, msg, r.id())
	})
	if err != nil {
		return err
	}
	if freed != "" {
		d.releaseBlob(freed)
	}
	return nil
}

// feedSettingsRecord is the stored form of app.FeedSettings.
type feedSettingsRecord struct {
	V            int `json:"v"`
	KeepVersions int `json:"keep_versions,omitempty"`
	KeepDays     int `json:"keep_days,omitempty"`
}

// FeedSettings implements app.PackageStore; a space never configured gets
// the defaults (keep everything).
func (d *DB) FeedSettings(ctx context.Context, spaceID string) (*app.FeedSettings, error) {
	var rec feedSettingsRecord
	err := d.view(func(txn *badger.Txn) error {
		if err := requireSpace(txn, spaceID); err != nil {
			return err
		}
		err := getJSON(txn, feedSettingsKey(spaceID), app.BuiltInFeedID, &rec)
		if app.ErrorCode(err) == app.ENOTFOUND {
			return nil
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return &app.FeedSettings{SpaceID: spaceID, KeepVersions: rec.KeepVersions, KeepDays: rec.KeepDays}, nil
}

// UpdateFeedSettings implements app.PackageStore.
func (d *DB) UpdateFeedSettings(ctx context.Context, s *app.FeedSettings) error {
	if err := s.Validate(); err != nil {
		return err
	}
	return d.update(ctx, func(txn *badger.Txn) error {
		if err := requireSpace(txn, s.SpaceID); err != nil {
			return err
		}
		if err := setJSON(txn, feedSettingsKey(s.SpaceID), feedSettingsRecord{V: schemaVersion, KeepVersions: s.KeepVersions, KeepDays: s.KeepDays}); err != nil {
			return err
		}
		return d.audit(ctx, txn, s.SpaceID, app.EventModified,
			fmt.Sprintf("Built-in feed retention set to keep %d versions and %d days (0 = no limit)", s.KeepVersions, s.KeepDays), app.BuiltInFeedID)
	})
}

// ReconcileReport says what ReconcilePackages found and did.
type ReconcileReport struct {
	TempRemoved        int
	OrphanBlobsRemoved int
	// MissingBlobs lists the package IDs whose file is gone; their records
	// are kept and flagged (app.Package.BlobMissing) for an operator.
	MissingBlobs []string
}

// ReconcilePackages brings the blob directory and the package metadata
// back in line after a crash. Call it at start-up, before serving: it
// removes interrupted uploads, recounts blob references from the records,
// removes blob files no record refers to, and flags records whose file is
// missing.
func (d *DB) ReconcilePackages(ctx context.Context) (ReconcileReport, error) {
	var rep ReconcileReport
	n, err := d.Blobs.CleanTemp()
	if err != nil {
		return rep, err
	}
	rep.TempRemoved = n
	refs := map[string]uint64{}
	err = d.update(ctx, func(txn *badger.Txn) error {
		clear(refs)
		rep.MissingBlobs = nil
		type fix struct {
			n   uint64
			old feedPackageRecord
		}
		var fixes []fix
		if err := scan(txn, app.KindPackage, func(n uint64, r *feedPackageRecord) error {
			refs[r.Hash]++
			missing := !d.Blobs.Exists(r.Hash)
			if missing != r.BlobMissing {
				fixes = append(fixes, fix{n, *r})
			}
			if missing {
				rep.MissingBlobs = append(rep.MissingBlobs, r.SpaceID+"/"+r.id())
			}
			return nil
		}); err != nil {
			return err
		}
		for _, f := range fixes {
			updated := f.old
			updated.BlobMissing = !f.old.BlobMissing
			if err := setJSON(txn, objKey(app.KindPackage, f.n), &updated); err != nil {
				return err
			}
		}
		// Rewrite the counts from scratch: they are derived data.
		var stale [][]byte
		it := txn.NewIterator(badger.IteratorOptions{Prefix: blobRefPrefix()})
		for it.Rewind(); it.Valid(); it.Next() {
			stale = append(stale, it.Item().KeyCopy(nil))
		}
		it.Close()
		for _, k := range stale {
			if err := txn.Delete(k); err != nil {
				return err
			}
		}
		for sha, c := range refs {
			if err := txn.Set(blobRefKey(sha), binary.BigEndian.AppendUint64(nil, c)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return rep, fmt.Errorf("storage: reconcile packages: %w", err)
	}
	err = d.Blobs.walk(func(sha, path string) error {
		if sha != "" && refs[sha] > 0 {
			return nil
		}
		if sha == "" {
			d.log.Warn("blob store: unexpected file left alone", "path", path)
			return nil
		}
		if err := os.Remove(path); err != nil {
			return fmt.Errorf("storage: remove orphan blob: %w", err)
		}
		rep.OrphanBlobsRemoved++
		return nil
	})
	for _, id := range rep.MissingBlobs {
		d.log.Error("package file missing from the blob store", "package", id)
	}
	if rep.TempRemoved > 0 || rep.OrphanBlobsRemoved > 0 {
		d.log.Warn("package store reconciled", "temp_removed", rep.TempRemoved, "orphan_blobs_removed", rep.OrphanBlobsRemoved)
	}
	return rep, err
}
