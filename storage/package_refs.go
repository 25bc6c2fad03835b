package storage

import (
	"errors"
	"fmt"
	"strings"

	"github.com/argonautdeploy/argonaut/app"
	"github.com/argonautdeploy/argonaut/runner/version"
	"github.com/dgraph-io/badger/v4"
)

// A release references the package versions its snapshot deploys: each
// package reference of the frozen process that is on the built-in feed and
// has a version selected in SelectedPackages. Releases index them under
// "package" as <space>/<packageId>/<version key> (folded by the key
// codec), maintained with the release record itself, so the entry is
// written by the release-create transaction and removed by the release
// delete; packageReferenced reads it inside the package-delete
// transaction, so a release and a delete of a version it uses cannot both
// commit.

// packageVersionKey is the feed's uniqueness key of a version ("1.2" and
// "1.2.0" are the same version), or the trimmed text when it does not parse.
func packageVersionKey(v string) string {
	v = strings.TrimSpace(v)
	if pv, err := version.ParseSemVer(v); err == nil {
		return strings.ToLower(pv.Normalized())
	}
	if pv, err := version.ParseOctopus(v); err == nil {
		return strings.ToLower(pv.Normalized())
	}
	return strings.ToLower(v)
}

func packageRefValue(spaceID, packageID, versionKey string) string {
	return spaceID + "/" + strings.TrimSpace(packageID) + "/" + versionKey
}

// packageIndexes are the "package" index entries of a release.
func (r *releaseRecord) packageIndexes() []indexEntry {
	var out []indexEntry
	seen := map[string]bool{}
	for _, s := range r.Process.Steps {
		for _, a := range s.Actions {
			for _, p := range a.Packages {
				if p.FeedID != "" && !strings.EqualFold(p.FeedID, app.BuiltInFeedID) {
					continue
				}
				id := strings.TrimSpace(p.PackageID)
				if id == "" || strings.Contains(id, "#{") {
					continue
				}
				v, ok := r.selectedVersion(a.Name, p.Name)
				if !ok {
					continue
				}
				val := packageRefValue(r.SpaceID, id, packageVersionKey(v))
				if k := strings.ToLower(val); !seen[k] {
					seen[k] = true
					out = append(out, indexEntry{name: "package", value: val})
				}
			}
		}
	}
	return out
}

func (r *releaseRecord) selectedVersion(action, ref string) (string, bool) {
	for _, p := range r.Packages {
		if strings.EqualFold(p.ActionName, action) && strings.EqualFold(p.Reference, ref) && strings.TrimSpace(p.Version) != "" {
			return p.Version, true
		}
	}
	return "", false
}

// packageReferenced reports whether a release uses the package version,
// and if so which one, in words fit for a 409 message.
func packageReferenced(txn *badger.Txn, spaceID, packageID, versionKey string) (string, error) {
	ns, err := releases.referenced(txn, "package", packageRefValue(spaceID, packageID, versionKey))
	if err != nil || len(ns) == 0 {
		return "", err
	}
	var rel releaseRecord
	if err := releases.get(txn, ns[0], "", &rel); err != nil {
		return "", err
	}
	what := fmt.Sprintf("release %s (%s)", rel.Version, app.FormatID(app.KindRelease, ns[0]))
	if pn, err := parseID(app.KindProject, rel.ProjectID); err == nil {
		var proj projectRecord
		if projects.get(txn, pn, rel.ProjectID, &proj) == nil {
			what += " of project " + proj.Name
		}
	}
	if len(ns) > 1 {
		what += fmt.Sprintf(" and %d other release(s)", len(ns)-1)
	}
	return what, nil
}

// backfillReleasePackageIndex indexes the package versions of releases
// created before releases indexed them.
func backfillReleasePackageIndex(d *DB, txn *badger.Txn) error {
	type entry struct {
		n  uint64
		ix []indexEntry
	}
	var todo []entry
	if err := scan(txn, app.KindRelease, func(n uint64, r *releaseRecord) error {
		if ix := r.packageIndexes(); len(ix) > 0 {
			todo = append(todo, entry{n, ix})
		}
		return nil
	}); err != nil {
		return err
	}
	for _, e := range todo {
		if err := releases.addIndexes(txn, e.n, e.ix); err != nil {
			return err
		}
	}
	return nil
}

// touchReferencedPackages closes the race between creating a release and
// deleting a version it uses. The delete reads the release index by
// prefix, and badger's conflict check does not see an entry appearing
// under a prefix (a phantom). So the release-create transaction also reads
// each referenced version's unique key (a delete that commits first makes
// it retry and find the version gone) and rewrites it unchanged (a delete
// that read it before then conflicts, retries and sees the release).
func touchReferencedPackages(txn *badger.Txn, r *releaseRecord) error {
	for _, ix := range r.packageIndexes() {
		k := uniqKey(app.KindPackage, "version", ix.value)
		item, err := txn.Get(k)
		if errors.Is(err, badger.ErrKeyNotFound) {
			continue
		} else if err != nil {
			return err
		}
		v, err := item.ValueCopy(nil)
		if err != nil {
			return err
		}
		if err := txn.Set(k, v); err != nil {
			return err
		}
	}
	return nil
}
