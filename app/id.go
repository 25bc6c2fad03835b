package app

import (
	"strconv"
	"strings"
)

// Kinds name the collections whose members get user-visible IDs "Kind-N".
// The spelling is Octopus's, so IDs look the way existing clients expect.
const (
	KindSpace         = "Spaces"
	KindEnvironment   = "Environments"
	KindProjectGroup  = "ProjectGroups"
	KindLifecycle     = "Lifecycles"
	KindProject       = "Projects"
	KindChannel       = "Channels"
	KindMachine       = "Machines"
	KindUser          = "Users"
	KindAPIKey        = "APIKeys"
	KindEvent         = "Events"
	KindDeploymentPrc = "deploymentprocess"
	KindVariableSet   = "variableset"
)

// FormatID returns the user-visible ID "Kind-N".
func FormatID(kind string, n uint64) string {
	return kind + "-" + strconv.FormatUint(n, 10)
}

// ParseID splits "Kind-N" into its kind and number. The kind comparison is
// case-insensitive because Octopus documentation writes "machines-123" as
// often as "Machines-123"; the returned kind is the canonical one passed in.
func ParseID(kind, id string) (uint64, bool) {
	i := strings.LastIndexByte(id, '-')
	if i <= 0 || !strings.EqualFold(id[:i], kind) {
		return 0, false
	}
	n, err := strconv.ParseUint(id[i+1:], 10, 64)
	if err != nil || n == 0 || id[i+1] == '+' || id[i+1] == '0' {
		return 0, false
	}
	return n, true
}

// DeploymentProcessID is the ID of a project's deployment process.
func DeploymentProcessID(projectID string) string { return "deploymentprocess-" + projectID }

// VariableSetID is the ID of a project's (or library set's) variable set.
func VariableSetID(ownerID string) string { return "variableset-" + ownerID }
