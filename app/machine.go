package app

import (
	"context"
	"regexp"
	"strings"
)

// Communication styles: how the server reaches a deployment target.
const (
	CommsListening = "TentaclePassive" // agent listens, server dials it
	CommsPolling   = "TentacleActive"  // agent polls the server
	CommsSSH       = "Ssh"
	CommsOffline   = "OfflineDrop"
	CommsNone      = "None" // runs on the server's built-in worker
)

// CommunicationStyles lists the styles Argonaut supports, in display order.
var CommunicationStyles = []string{CommsListening, CommsPolling, CommsSSH, CommsOffline, CommsNone}

// Health states of a target.
const (
	HealthHealthy     = "Healthy"
	HealthHasWarnings = "HasWarnings"
	HealthUnhealthy   = "Unhealthy"
	HealthUnavailable = "Unavailable"
	HealthUnknown     = "Unknown"
)

// Endpoint says how to reach a target. Which fields matter depends on
// CommunicationStyle.
type Endpoint struct {
	CommunicationStyle string
	URI                string // listening: https://host:10933/, polling: poll://id/
	Thumbprint         string // agent certificate SHA-256, pinned
	Host               string // SSH
	Port               int    // SSH
	Fingerprint        string // SSH host key SHA256:…
	Username           string // SSH
	DropFolderPath     string // offline drop: where bundles are written
}

// Machine is a deployment target. Roles (target tags) select which steps run on it.
type Machine struct {
	ID                              string
	SpaceID                         string
	Name                            string
	Slug                            string
	Roles                           []string
	EnvironmentIDs                  []string
	IsDisabled                      bool
	Endpoint                        Endpoint
	HealthStatus                    string
	StatusSummary                   string
	MachinePolicyID                 string
	TenantedDeploymentParticipation string
	TenantIDs                       []string
	TenantTags                      []string
	Audit
}

var roleRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9 ._\-]*$`)
var thumbprintRe = regexp.MustCompile(`^[A-Fa-f0-9]{40}$|^[A-Fa-f0-9]{64}$`)

// Normalize tidies lists and defaults before validation.
func (m *Machine) Normalize() {
	m.Roles = NormalizeList(m.Roles)
	m.EnvironmentIDs = NormalizeList(m.EnvironmentIDs)
	m.TenantIDs = NormalizeList(m.TenantIDs)
	m.TenantTags = NormalizeList(m.TenantTags)
	m.Endpoint.Thumbprint = strings.ToUpper(strings.TrimSpace(m.Endpoint.Thumbprint))
	if m.HealthStatus == "" {
		m.HealthStatus = HealthUnknown
	}
	if m.TenantedDeploymentParticipation == "" {
		m.TenantedDeploymentParticipation = "Untenanted"
	}
}

// Validate checks the fields a user supplies.
func (m *Machine) Validate() error {
	var p problems
	p.add(ValidateName("Name", m.Name))
	if len(m.EnvironmentIDs) == 0 {
		p.add("At least one environment is required.")
	}
	for _, r := range m.Roles {
		if len(r) > 100 || !roleRe.MatchString(r) {
			p.add("Target tag '" + r + "' may contain only letters, digits, spaces, '.', '-' and '_' (at most 100).")
		}
	}
	e := m.Endpoint
	switch e.CommunicationStyle {
	case CommsListening:
		if !strings.HasPrefix(e.URI, "https://") {
			p.add("A listening agent needs an https:// URI.")
		}
		if !thumbprintRe.MatchString(e.Thumbprint) {
			p.add("A listening agent needs its certificate thumbprint (hex).")
		}
	case CommsPolling:
		if !strings.HasPrefix(e.URI, "poll://") {
			p.add("A polling agent needs a poll:// subscription URI.")
		}
		if !thumbprintRe.MatchString(e.Thumbprint) {
			p.add("A polling agent needs its certificate thumbprint (hex).")
		}
	case CommsSSH:
		if strings.TrimSpace(e.Host) == "" {
			p.add("An SSH target needs a host.")
		}
		if e.Port < 0 || e.Port > 65535 {
			p.add("SSH port must be between 1 and 65535.")
		}
		if strings.TrimSpace(e.Username) == "" {
			p.add("An SSH target needs a user name.")
		}
	case CommsOffline, CommsNone:
	case "":
		p.add("Endpoint.CommunicationStyle is required.")
	default:
		p.add("Unknown communication style '" + e.CommunicationStyle + "'.")
	}
	return p.err("deployment target")
}

// MachineService manages deployment targets.
type MachineService interface {
	FindMachineByID(ctx context.Context, spaceID, id string) (*Machine, error)
	FindMachines(ctx context.Context, f MachineFilter) ([]*Machine, int, error)
	CreateMachine(ctx context.Context, m *Machine) error
	UpdateMachine(ctx context.Context, m *Machine) error
	DeleteMachine(ctx context.Context, spaceID, id string) error
	// FindMachineRoles lists every role in use in the space, sorted.
	FindMachineRoles(ctx context.Context, spaceID string) ([]string, error)
}

// MachineFilter narrows FindMachines.
type MachineFilter struct {
	Filter
	EnvironmentIDs []string
	Roles          []string
	IsDisabled     *bool
	Thumbprint     string
	CommStyles     []string
}
