package storage

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/argonautdeploy/argonaut/app"
	"github.com/dgraph-io/badger/v4"
)

type endpointRecord struct {
	CommunicationStyle string `json:"communication_style"`
	URI                string `json:"uri,omitempty"`
	Thumbprint         string `json:"thumbprint,omitempty"`
	Host               string `json:"host,omitempty"`
	Port               int    `json:"port,omitempty"`
	Fingerprint        string `json:"fingerprint,omitempty"`
	Username           string `json:"username,omitempty"`
	DropFolderPath     string `json:"drop_folder_path,omitempty"`
}

// machineRecord is the stored form of app.Machine.
type machineRecord struct {
	V                   int            `json:"v"`
	SpaceID             string         `json:"space_id"`
	Name                string         `json:"name"`
	Slug                string         `json:"slug"`
	Roles               []string       `json:"roles,omitempty"`
	EnvironmentIDs      []string       `json:"environment_ids"`
	IsDisabled          bool           `json:"is_disabled,omitempty"`
	Endpoint            endpointRecord `json:"endpoint"`
	HealthStatus        string         `json:"health_status"`
	StatusSummary       string         `json:"status_summary,omitempty"`
	MachinePolicyID     string         `json:"machine_policy_id,omitempty"`
	TenantParticipation string         `json:"tenant_participation,omitempty"`
	TenantIDs           []string       `json:"tenant_ids,omitempty"`
	TenantTags          []string       `json:"tenant_tags,omitempty"`
	stamps
}

func (r *machineRecord) space() string { return r.SpaceID }
func (r *machineRecord) label() string { return r.Name }

func (r *machineRecord) indexes() []indexEntry {
	out := []indexEntry{{unique: true, name: "name", value: r.SpaceID + "/" + r.Name,
		conflict: fmt.Sprintf("A deployment target with the name '%s' already exists.", r.Name)}}
	for _, e := range r.EnvironmentIDs {
		out = append(out, indexEntry{name: "environment", value: e})
	}
	if r.Endpoint.Thumbprint != "" {
		out = append(out, indexEntry{name: "thumbprint", value: r.Endpoint.Thumbprint})
	}
	return out
}

func (r *machineRecord) toApp(n uint64) *app.Machine {
	e := r.Endpoint
	return &app.Machine{ID: app.FormatID(app.KindMachine, n), SpaceID: r.SpaceID, Name: r.Name, Slug: r.Slug,
		Roles: orEmpty(r.Roles), EnvironmentIDs: orEmpty(r.EnvironmentIDs), IsDisabled: r.IsDisabled,
		Endpoint: app.Endpoint{CommunicationStyle: e.CommunicationStyle, URI: e.URI, Thumbprint: e.Thumbprint,
			Host: e.Host, Port: e.Port, Fingerprint: e.Fingerprint, Username: e.Username, DropFolderPath: e.DropFolderPath},
		HealthStatus: r.HealthStatus, StatusSummary: r.StatusSummary, MachinePolicyID: r.MachinePolicyID,
		TenantedDeploymentParticipation: r.TenantParticipation, TenantIDs: orEmpty(r.TenantIDs),
		TenantTags: orEmpty(r.TenantTags), Audit: r.audit()}
}

func machineFromApp(m *app.Machine) *machineRecord {
	e := m.Endpoint
	return &machineRecord{V: schemaVersion, SpaceID: m.SpaceID, Name: m.Name, Slug: app.Slugify(m.Name),
		Roles: m.Roles, EnvironmentIDs: m.EnvironmentIDs, IsDisabled: m.IsDisabled,
		Endpoint: endpointRecord{CommunicationStyle: e.CommunicationStyle, URI: e.URI, Thumbprint: e.Thumbprint,
			Host: e.Host, Port: e.Port, Fingerprint: e.Fingerprint, Username: e.Username, DropFolderPath: e.DropFolderPath},
		HealthStatus: m.HealthStatus, StatusSummary: m.StatusSummary, MachinePolicyID: m.MachinePolicyID,
		TenantParticipation: m.TenantedDeploymentParticipation, TenantIDs: m.TenantIDs, TenantTags: m.TenantTags}
}

var machines = table{kind: app.KindMachine}
var machineKind = kindOf{tbl: machines, what: "Deployment target"}

// canonicalEnvironments rewrites environment references to their canonical
// IDs, failing when one does not exist in the space.
func canonicalEnvironments(txn *badger.Txn, spaceID string, ids []string) ([]string, error) {
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		n, _, err := findRecord[environmentRecord](txn, environmentKind, spaceID, id)
		if err != nil {
			return nil, app.Invalid("The environment '" + id + "' does not exist.")
		}
		out = append(out, app.FormatID(app.KindEnvironment, n))
	}
	return out, nil
}

// FindMachineByID implements app.MachineService.
func (d *DB) FindMachineByID(ctx context.Context, spaceID, id string) (*app.Machine, error) {
	var out *app.Machine
	err := d.view(func(txn *badger.Txn) error {
		n, r, err := findRecord[machineRecord](txn, machineKind, spaceID, id)
		if err == nil {
			out = r.toApp(n)
		}
		return err
	})
	return out, err
}

// FindMachines implements app.MachineService.
func (d *DB) FindMachines(ctx context.Context, f app.MachineFilter) ([]*app.Machine, int, error) {
	out, err := findRecords(d, machineKind, f.SpaceID, (*machineRecord).toApp, func(m *app.Machine) bool {
		switch {
		case !f.Matches(m.ID, m.Name):
		case len(f.EnvironmentIDs) > 0 && !app.IntersectsFold(f.EnvironmentIDs, m.EnvironmentIDs):
		case len(f.Roles) > 0 && !app.IntersectsFold(f.Roles, m.Roles):
		case f.IsDisabled != nil && *f.IsDisabled != m.IsDisabled:
		case f.Thumbprint != "" && !strings.EqualFold(f.Thumbprint, m.Endpoint.Thumbprint):
		case len(f.CommStyles) > 0 && !app.ContainsFold(f.CommStyles, m.Endpoint.CommunicationStyle):
		default:
			return true
		}
		return false
	})
	if err != nil {
		return nil, 0, fmt.Errorf("storage: find machines: %w", err)
	}
	page, total := app.Page(out, f.Skip, f.Take)
	return page, total, nil
}

// CreateMachine implements app.MachineService.
func (d *DB) CreateMachine(ctx context.Context, m *app.Machine) error {
	m.Normalize()
	if err := m.Validate(); err != nil {
		return err
	}
	rec := machineFromApp(m)
	n, err := createRecord(ctx, d, machineKind, rec, func(txn *badger.Txn, _ uint64) (err error) {
		rec.EnvironmentIDs, err = canonicalEnvironments(txn, rec.SpaceID, rec.EnvironmentIDs)
		return err
	})
	if err != nil {
		return err
	}
	*m = *rec.toApp(n)
	return nil
}

// UpdateMachine implements app.MachineService.
func (d *DB) UpdateMachine(ctx context.Context, m *app.Machine) error {
	m.Normalize()
	if err := m.Validate(); err != nil {
		return err
	}
	rec := machineFromApp(m)
	n, err := updateRecord(ctx, d, machineKind, m.SpaceID, m.ID, rec, func(txn *badger.Txn, old *machineRecord) (err error) {
		rec.SpaceID = old.SpaceID
		rec.EnvironmentIDs, err = canonicalEnvironments(txn, rec.SpaceID, rec.EnvironmentIDs)
		return err
	})
	if err != nil {
		return err
	}
	*m = *rec.toApp(n)
	return nil
}

// DeleteMachine implements app.MachineService.
func (d *DB) DeleteMachine(ctx context.Context, spaceID, id string) error {
	return deleteRecord[machineRecord](ctx, d, machineKind, spaceID, id, nil)
}

// FindMachineRoles implements app.MachineService.
func (d *DB) FindMachineRoles(ctx context.Context, spaceID string) ([]string, error) {
	seen := map[string]string{}
	_, err := findRecords(d, machineKind, spaceID, func(r *machineRecord, _ uint64) bool {
		for _, role := range r.Roles {
			if _, ok := seen[fold(role)]; !ok {
				seen[fold(role)] = role
			}
		}
		return false
	}, func(bool) bool { return false })
	if err != nil {
		return nil, fmt.Errorf("storage: find machine roles: %w", err)
	}
	out := make([]string, 0, len(seen))
	for _, r := range seen {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return fold(out[i]) < fold(out[j]) })
	return out, nil
}
