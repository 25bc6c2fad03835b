package storage

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/argonautdeploy/argonaut/app"
	"github.com/argonautdeploy/argonaut/app/secrets"
	"github.com/dgraph-io/badger/v4"
)

// variableSetRecord is the stored form of a variable set, numbered by its
// owner: kind VariableSets for projects, LibraryVariableSetVariables for
// library variable sets.
//
// A sensitive variable's value is never stored in clear: Sealed holds
// secrets.Cipher.Seal(value, ad = variable ID) and Value stays empty.
type variableSetRecord struct {
	V         int              `json:"v"`
	SpaceID   string           `json:"space_id"`
	Version   int              `json:"version"`
	Variables []variableRecord `json:"variables"`
	stamps
}

type variableRecord struct {
	ID          string        `json:"id"`
	Name        string        `json:"name"`
	Value       string        `json:"value,omitempty"`
	Sealed      string        `json:"sealed,omitempty"`
	Description string        `json:"description,omitempty"`
	Type        string        `json:"type"`
	IsSensitive bool          `json:"is_sensitive,omitempty"`
	Scope       scopeRecord   `json:"scope"`
	Prompt      *promptRecord `json:"prompt,omitempty"`
}

type scopeRecord struct {
	Environment  []string `json:"environment,omitempty"`
	Machine      []string `json:"machine,omitempty"`
	Role         []string `json:"role,omitempty"`
	Action       []string `json:"action,omitempty"`
	Channel      []string `json:"channel,omitempty"`
	TenantTag    []string `json:"tenant_tag,omitempty"`
	Tenant       []string `json:"tenant,omitempty"`
	ProcessOwner []string `json:"process_owner,omitempty"`
}

type promptRecord struct {
	Label       string `json:"label,omitempty"`
	Description string `json:"description,omitempty"`
	Required    bool   `json:"required,omitempty"`
}

func (r *variableSetRecord) indexes() []indexEntry { return nil }

// libraryRecord is the stored form of app.LibraryVariableSet.
type libraryRecord struct {
	V           int    `json:"v"`
	SpaceID     string `json:"space_id"`
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	ContentType string `json:"content_type"`
	stamps
}

func (r *libraryRecord) space() string { return r.SpaceID }
func (r *libraryRecord) label() string { return r.Name }

func (r *libraryRecord) indexes() []indexEntry {
	return []indexEntry{{unique: true, name: "name", value: r.SpaceID + "/" + r.Name,
		conflict: fmt.Sprintf("A library variable set with the name '%s' already exists.", r.Name)}}
}

func (r *libraryRecord) toApp(n uint64) *app.LibraryVariableSet {
	id := app.FormatID(app.KindLibraryVariableSet, n)
	return &app.LibraryVariableSet{ID: id, SpaceID: r.SpaceID, Name: r.Name, Description: r.Description,
		ContentType: r.ContentType, VariableSetID: app.VariableSetID(id), Audit: r.audit()}
}

const kindLibraryVariables = "LibraryVariableSetVariables"

var (
	libraries        = table{kind: app.KindLibraryVariableSet}
	libraryKind      = kindOf{tbl: libraries, what: "Library variable set"}
	libraryVariables = table{kind: kindLibraryVariables}
)

// setRef says where a variable set ID points.
type setRef struct {
	tbl     table
	n       uint64
	ownerID string
	library bool
}

// parseSetID resolves "variableset-Projects-N" or "variableset-LibraryVariableSets-N".
func parseSetID(id string) (setRef, error) {
	owner, ok := strings.CutPrefix(strings.TrimSpace(id), "variableset-")
	if !ok {
		return setRef{}, app.NotFound(id)
	}
	if n, ok := app.ParseID(app.KindProject, owner); ok {
		return setRef{tbl: variableSets, n: n, ownerID: app.FormatID(app.KindProject, n)}, nil
	}
	if n, ok := app.ParseID(app.KindLibraryVariableSet, owner); ok {
		return setRef{tbl: libraryVariables, n: n, ownerID: app.FormatID(app.KindLibraryVariableSet, n), library: true}, nil
	}
	return setRef{}, app.NotFound(id)
}

func (d *DB) loadSet(txn *badger.Txn, spaceID, id string) (setRef, *variableSetRecord, error) {
	ref, err := parseSetID(id)
	if err != nil {
		return ref, nil, err
	}
	var r variableSetRecord
	if err := ref.tbl.get(txn, ref.n, id, &r); err != nil {
		return ref, nil, err
	}
	if spaceID != "" && r.SpaceID != spaceID {
		return ref, nil, app.NotFound(id)
	}
	return ref, &r, nil
}

// FindVariableSetByID implements app.VariableService: sensitive values are blank.
func (d *DB) FindVariableSetByID(ctx context.Context, spaceID, id string) (*app.VariableSet, error) {
	return d.findVariableSet(spaceID, id, false)
}

// RevealVariableSet implements app.VariableService: sensitive values are decrypted.
func (d *DB) RevealVariableSet(ctx context.Context, spaceID, id string) (*app.VariableSet, error) {
	return d.findVariableSet(spaceID, id, true)
}

func (d *DB) findVariableSet(spaceID, id string, reveal bool) (*app.VariableSet, error) {
	var out *app.VariableSet
	err := d.view(func(txn *badger.Txn) error {
		ref, r, err := d.loadSet(txn, spaceID, id)
		if err != nil {
			return err
		}
		out, err = d.setToApp(ref, r, reveal)
		return err
	})
	return out, err
}

func (d *DB) setToApp(ref setRef, r *variableSetRecord, reveal bool) (*app.VariableSet, error) {
	out := &app.VariableSet{ID: app.VariableSetID(ref.ownerID), SpaceID: r.SpaceID, OwnerID: ref.ownerID,
		Version: r.Version, Variables: make([]app.Variable, 0, len(r.Variables)), Audit: r.audit()}
	for _, v := range r.Variables {
		av := app.Variable{ID: v.ID, Name: v.Name, Value: v.Value, Description: v.Description, Type: v.Type,
			IsSensitive: v.IsSensitive, Scope: app.VariableScope(v.Scope)}
		if v.Prompt != nil {
			av.Prompt = &app.VariablePrompt{Label: v.Prompt.Label, Description: v.Prompt.Description, Required: v.Prompt.Required}
		}
		if v.IsSensitive {
			av.Value = ""
			if reveal {
				pt, err := d.open(v.Sealed, v.ID)
				if err != nil {
					return nil, err
				}
				av.Value = pt
			}
		}
		out.Variables = append(out.Variables, av)
	}
	return out, nil
}

// seal encrypts a sensitive value for the variable id.
func (d *DB) seal(value, id string) (string, error) {
	if d.cipher == nil {
		return "", errors.New("storage: no master key configured; sensitive values cannot be stored")
	}
	return d.cipher.Seal([]byte(value), []byte(id))
}

func (d *DB) open(sealed, id string) (string, error) {
	if d.cipher == nil {
		return "", errors.New("storage: no master key configured; sensitive values cannot be read")
	}
	pt, err := d.cipher.Open(sealed, []byte(id))
	if err != nil {
		return "", fmt.Errorf("storage: sensitive variable %s: %w", id, err)
	}
	return string(pt), nil
}

// UpdateVariableSet implements app.VariableService: one transaction checks
// the version, resolves "leave unchanged" sensitive values, checks scope
// references, seals sensitive values, bumps the version and writes one
// audit event (which names the set, never a value).
func (d *DB) UpdateVariableSet(ctx context.Context, vs *app.VariableSet) error {
	ref, err := parseSetID(vs.ID)
	if err != nil {
		return err
	}
	if err := vs.Validate(ref.library); err != nil {
		return err
	}
	now := d.now().UTC()
	_, by := app.ActorName(ctx)
	var saved *variableSetRecord
	err = d.update(ctx, func(txn *badger.Txn) error {
		ref, old, err := d.loadSet(txn, vs.SpaceID, vs.ID)
		if err != nil {
			return err
		}
		if vs.Version != old.Version {
			return app.Errorf(app.ECONFLICT, "The variable set %s has been changed by someone else since you loaded it (you sent version %d, the current version is %d). Reload the variables and apply your changes again.",
				vs.ID, vs.Version, old.Version)
		}
		if err := checkScopeRefs(txn, old.SpaceID, ref, vs.Variables); err != nil {
			return err
		}
		oldByID := map[string]variableRecord{}
		for _, v := range old.Variables {
			oldByID[strings.ToLower(v.ID)] = v
		}
		rec := &variableSetRecord{V: schemaVersion, SpaceID: old.SpaceID, Version: old.Version + 1,
			Variables: make([]variableRecord, 0, len(vs.Variables))}
		for _, v := range vs.Variables {
			vr := variableRecord{ID: v.ID, Name: v.Name, Description: v.Description, Type: v.Type,
				IsSensitive: v.IsSensitive, Scope: scopeRecord(v.Scope)}
			if v.Prompt != nil {
				vr.Prompt = &promptRecord{Label: v.Prompt.Label, Description: v.Prompt.Description, Required: v.Prompt.Required}
			}
			if !v.IsSensitive {
				vr.Value = v.Value
			} else {
				value := v.Value
				if v.KeepValue {
					value = ""
					if prev, ok := oldByID[strings.ToLower(v.ID)]; ok {
						if prev.IsSensitive {
							if value, err = d.open(prev.Sealed, prev.ID); err != nil {
								return err
							}
						} else {
							value = prev.Value
						}
					}
				}
				if vr.Sealed, err = d.seal(value, v.ID); err != nil {
					return err
				}
			}
			rec.Variables = append(rec.Variables, vr)
		}
		rec.stamp(old.Created, now, by)
		if err := setJSON(txn, objKey(ref.tbl.kind, ref.n), rec); err != nil {
			return err
		}
		saved = rec
		return d.audit(ctx, txn, old.SpaceID, app.EventModified,
			fmt.Sprintf("Variables of %s were modified (version %d)", ref.ownerID, rec.Version), app.VariableSetID(ref.ownerID), ref.ownerID)
	})
	if err != nil {
		return err
	}
	out, err := d.setToApp(ref, saved, false)
	if err != nil {
		return err
	}
	*vs = *out
	return nil
}

// checkScopeRefs requires environment, machine and channel scope values to
// name existing records of the space (channels of the owning project).
// Roles, tenant tags and actions are free text until their issues arrive.
func checkScopeRefs(txn *badger.Txn, spaceID string, ref setRef, vars []app.Variable) error {
	var missing []string
	checked := map[string]bool{}
	check := func(what, id string, exists func() bool) {
		key := what + "\x00" + strings.ToLower(id)
		if checked[key] {
			return
		}
		checked[key] = true
		if !exists() {
			missing = append(missing, fmt.Sprintf("The %s '%s' used in a variable scope does not exist.", what, id))
		}
	}
	for _, v := range vars {
		for _, id := range v.Scope.Environment {
			check("environment", id, func() bool {
				_, _, err := findRecord[environmentRecord](txn, environmentKind, spaceID, id)
				return err == nil
			})
		}
		for _, id := range v.Scope.Machine {
			check("deployment target", id, func() bool {
				_, _, err := findRecord[machineRecord](txn, machineKind, spaceID, id)
				return err == nil
			})
		}
		for _, id := range v.Scope.Channel {
			check("channel", id, func() bool {
				n, ok := app.ParseID(app.KindChannel, id)
				if !ok {
					return false
				}
				var c channelRecord
				return channels.get(txn, n, id, &c) == nil && c.SpaceID == spaceID && strings.EqualFold(c.ProjectID, ref.ownerID)
			})
		}
	}
	if len(missing) > 0 {
		return app.Invalid("There was a problem with your request: a variable scope names something that does not exist.", missing...)
	}
	return nil
}

// FindLibraryVariableSetByID implements app.VariableService.
func (d *DB) FindLibraryVariableSetByID(ctx context.Context, spaceID, id string) (*app.LibraryVariableSet, error) {
	var out *app.LibraryVariableSet
	err := d.view(func(txn *badger.Txn) error {
		n, r, err := findRecord[libraryRecord](txn, libraryKind, spaceID, id)
		if err == nil {
			out = r.toApp(n)
		}
		return err
	})
	return out, err
}

// FindLibraryVariableSets implements app.VariableService.
func (d *DB) FindLibraryVariableSets(ctx context.Context, f app.Filter) ([]*app.LibraryVariableSet, int, error) {
	out, err := findRecords(d, libraryKind, f.SpaceID, (*libraryRecord).toApp, func(l *app.LibraryVariableSet) bool {
		return f.Matches(l.ID, l.Name)
	})
	if err != nil {
		return nil, 0, fmt.Errorf("storage: find library variable sets: %w", err)
	}
	page, total := app.Page(out, f.Skip, f.Take)
	return page, total, nil
}

// CreateLibraryVariableSet implements app.VariableService: the set and its
// empty variable set commit together.
func (d *DB) CreateLibraryVariableSet(ctx context.Context, l *app.LibraryVariableSet) error {
	if err := l.Validate(); err != nil {
		return err
	}
	rec := &libraryRecord{V: schemaVersion, SpaceID: l.SpaceID, Name: l.Name, Description: l.Description, ContentType: l.ContentType}
	now := d.now().UTC()
	_, by := app.ActorName(ctx)
	n, err := createRecord(ctx, d, libraryKind, rec, func(txn *badger.Txn, n uint64) error {
		vs := &variableSetRecord{V: schemaVersion, SpaceID: rec.SpaceID, Variables: []variableRecord{}}
		vs.stamp(now, now, by)
		return libraryVariables.insert(txn, n, vs)
	})
	if err != nil {
		return err
	}
	*l = *rec.toApp(n)
	return nil
}

// UpdateLibraryVariableSet implements app.VariableService.
func (d *DB) UpdateLibraryVariableSet(ctx context.Context, l *app.LibraryVariableSet) error {
	if err := l.Validate(); err != nil {
		return err
	}
	rec := &libraryRecord{V: schemaVersion, Name: l.Name, Description: l.Description, ContentType: l.ContentType}
	n, err := updateRecord(ctx, d, libraryKind, l.SpaceID, l.ID, rec, func(txn *badger.Txn, old *libraryRecord) error {
		rec.SpaceID = old.SpaceID
		return nil
	})
	if err != nil {
		return err
	}
	*l = *rec.toApp(n)
	return nil
}

// DeleteLibraryVariableSet implements app.VariableService.
func (d *DB) DeleteLibraryVariableSet(ctx context.Context, spaceID, id string) error {
	return deleteRecord(ctx, d, libraryKind, spaceID, id, func(txn *badger.Txn, n uint64, old *libraryRecord) error {
		lid := app.FormatID(app.KindLibraryVariableSet, n)
		var users []string
		err := scan(txn, app.KindProject, func(pn uint64, p *projectRecord) error {
			if app.ContainsFold(p.LibraryVariableSetIDs, lid) {
				users = append(users, p.Name)
			}
			return nil
		})
		if err != nil {
			return err
		}
		if len(users) > 0 {
			return app.Errorf(app.ECONFLICT, "The library variable set '%s' is included by the project(s) %s; remove it from them first.", old.Name, strings.Join(users, ", "))
		}
		return txn.Delete(objKey(kindLibraryVariables, n))
	})
}

// checkLibraryRefs requires every included library variable set to exist in the space.
func checkLibraryRefs(txn *badger.Txn, spaceID string, ids []string) error {
	var missing []string
	for _, id := range ids {
		if _, _, err := findRecord[libraryRecord](txn, libraryKind, spaceID, id); err != nil {
			missing = append(missing, fmt.Sprintf("The library variable set '%s' does not exist.", id))
		}
	}
	if len(missing) > 0 {
		return app.Invalid("There was a problem with your request: the project is not valid.", missing...)
	}
	return nil
}

// metaKeyCheck holds the master key check value.
const metaKeyCheck = "master-key-check"

// verifyMasterKey makes sure the store and the key belong together: a new
// store records a check value sealed under the key; an existing one must
// open its check value with the key, or Open fails closed.
func (d *DB) verifyMasterKey(ctx context.Context, generated bool) error {
	return d.update(ctx, func(txn *badger.Txn) error {
		var check string
		err := getJSON(txn, metaKey(metaKeyCheck), metaKeyCheck, &check)
		switch {
		case app.ErrorCode(err) == app.ENOTFOUND:
			c, err := d.cipher.CheckValue()
			if err != nil {
				return err
			}
			return setJSON(txn, metaKey(metaKeyCheck), c)
		case err != nil:
			return err
		case d.cipher.Verify(check):
			return nil
		case generated:
			return errors.New("storage: this data directory holds values encrypted under a master key, but no key was given and " +
				secrets.KeyFileName + " is missing; restore " + secrets.KeyFileName + " or set ARGONAUT_MASTER_KEY / ARGONAUT_MASTER_KEY_FILE")
		default:
			return errors.New("storage: the master key does not match the key this data directory was encrypted with; " +
				"refusing to start (check ARGONAUT_MASTER_KEY / ARGONAUT_MASTER_KEY_FILE or " + secrets.KeyFileName + ")")
		}
	})
}

// RotateMasterKey re-encrypts every sensitive value and the key check
// value under next, in one transaction, and switches the store to next. It
// returns how many values were re-encrypted. The caller persists the new
// key; see app/cli admin rotate-master-key for the crash-safe order.
func (d *DB) RotateMasterKey(ctx context.Context, next *secrets.Cipher) (int, error) {
	if d.cipher == nil {
		return 0, errors.New("storage: no master key configured")
	}
	count := 0
	err := d.update(ctx, func(txn *badger.Txn) error {
		count = 0
		for _, kind := range []string{kindVariableSet, kindLibraryVariables} {
			type item struct {
				n uint64
				r *variableSetRecord
			}
			var sets []item
			err := scan(txn, kind, func(n uint64, r *variableSetRecord) error {
				sets = append(sets, item{n, r})
				return nil
			})
			if err != nil {
				return err
			}
			for _, s := range sets {
				changed := false
				for i := range s.r.Variables {
					v := &s.r.Variables[i]
					if !v.IsSensitive {
						continue
					}
					pt, err := d.open(v.Sealed, v.ID)
					if err != nil {
						return err
					}
					if v.Sealed, err = next.Seal([]byte(pt), []byte(v.ID)); err != nil {
						return err
					}
					changed = true
					count++
				}
				if changed {
					if err := setJSON(txn, objKey(kind, s.n), s.r); err != nil {
						return err
					}
				}
			}
		}
		n, err := d.resealReleaseSnapshots(txn, next)
		if err != nil {
			return err
		}
		count += n
		if n, err = d.resealDeploymentFormValues(txn, next); err != nil {
			return err
		}
		count += n
		c, err := next.CheckValue()
		if err != nil {
			return err
		}
		if err := setJSON(txn, metaKey(metaKeyCheck), c); err != nil {
			return err
		}
		return d.audit(ctx, txn, "", app.EventModified, fmt.Sprintf("The master key was rotated (%d sensitive values re-encrypted)", count))
	})
	if err != nil {
		return 0, fmt.Errorf("storage: rotate master key: %w", err)
	}
	d.cipher = next
	return count, nil
}

// resealReleaseSnapshots re-encrypts the sensitive values held in release
// variable snapshots under next, inside the rotation's transaction.
func (d *DB) resealReleaseSnapshots(txn *badger.Txn, next *secrets.Cipher) (int, error) {
	type item struct {
		n uint64
		r *releaseRecord
	}
	var rels []item
	if err := scan(txn, app.KindRelease, func(n uint64, r *releaseRecord) error {
		rels = append(rels, item{n, r})
		return nil
	}); err != nil {
		return 0, err
	}
	count := 0
	for _, it := range rels {
		changed := false
		for si := range it.r.Variables {
			for vi := range it.r.Variables[si].Variables {
				v := &it.r.Variables[si].Variables[vi]
				if !v.IsSensitive {
					continue
				}
				pt, err := d.open(v.Sealed, v.ID)
				if err != nil {
					return 0, err
				}
				if v.Sealed, err = next.Seal([]byte(pt), []byte(v.ID)); err != nil {
					return 0, err
				}
				changed = true
				count++
			}
		}
		if changed {
			if err := setJSON(txn, objKey(app.KindRelease, it.n), it.r); err != nil {
				return 0, err
			}
		}
	}
	return count, nil
}
