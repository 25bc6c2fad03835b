package app

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Variable types. Octopus knows more (accounts, certificates, worker pools);
// they arrive with the features that own them.
const (
	VariableTypeString    = "String"
	VariableTypeSensitive = "Sensitive"
)

// MaxVariableValueLength bounds one value (in bytes) so that a variable set
// stays a reasonable Badger value.
const MaxVariableValueLength = 1 << 20

// MaxVariablesPerSet bounds the variables of one set.
const MaxVariablesPerSet = 10000

// Masked is what every user-facing surface shows instead of a secret.
const Masked = "********"

// VariableSet holds the variables of a project or of a library variable set.
// Version is bumped on every change; an update naming an older Version is
// refused (optimistic concurrency).
type VariableSet struct {
	ID        string
	SpaceID   string
	OwnerID   string // Projects-N or LibraryVariableSets-N
	Version   int
	Variables []Variable
	Audit
}

// Variable is one named value with its scope. Names are case-insensitive.
//
// Sensitive values: outside storage, Value of a sensitive variable is only
// ever filled by VariableService.RevealVariableSet (for the deployment
// planner); every other read leaves it empty. KeepValue, set on an update,
// means "leave the stored value unchanged" (the API's Value null).
type Variable struct {
	ID          string
	Name        string
	Value       string
	Description string
	Type        string // VariableTypeString or VariableTypeSensitive
	IsSensitive bool
	Scope       VariableScope
	Prompt      *VariablePrompt
	KeepValue   bool
}

// LogValue keeps sensitive values out of logs.
func (v Variable) LogValue() slog.Value {
	val := v.Value
	if v.IsSensitive {
		val = Masked
	}
	return slog.GroupValue(slog.String("id", v.ID), slog.String("name", v.Name), slog.String("value", val))
}

// VariablePrompt asks for the value at deployment time.
type VariablePrompt struct {
	Label       string
	Description string
	Required    bool
}

// VariableScope restricts where a value applies. Values within one
// dimension are alternatives (OR); non-empty dimensions must all match (AND).
// Environment, Machine, Action, Channel, Tenant and ProcessOwner hold IDs;
// Role and TenantTag hold free text ("web", "Region/EU").
type VariableScope struct {
	Environment  []string
	Machine      []string
	Role         []string
	Action       []string
	Channel      []string
	TenantTag    []string
	Tenant       []string
	ProcessOwner []string
}

// dims lists the scope's dimensions in a fixed order, for loops.
func (s *VariableScope) dims() []*[]string {
	return []*[]string{&s.Environment, &s.Machine, &s.Role, &s.Action, &s.Channel, &s.TenantTag, &s.Tenant, &s.ProcessOwner}
}

// ScopeDimensionNames are the JSON names of the dimensions, in dims order.
var ScopeDimensionNames = []string{"Environment", "Machine", "Role", "Action", "Channel", "TenantTag", "Tenant", "ProcessOwner"}

// Normalize trims every list, drops empty entries and case-insensitive
// duplicates, and sorts it, so that scopes written in a different order
// compare equal (the Octopus bug this avoids is Issues #4719).
func (s *VariableScope) Normalize() {
	for _, d := range s.dims() {
		l := NormalizeList(*d)
		sort.SliceStable(l, func(i, j int) bool { return strings.ToLower(l[i]) < strings.ToLower(l[j]) })
		if len(l) == 0 {
			l = nil
		}
		*d = l
	}
}

// IsEmpty reports whether no dimension is scoped.
func (s VariableScope) IsEmpty() bool {
	for _, d := range s.dims() {
		if len(*d) > 0 {
			return false
		}
	}
	return true
}

// Equal reports whether two normalised scopes are the same (case-insensitively).
func (s VariableScope) Equal(o VariableScope) bool {
	a, b := s.dims(), o.dims()
	for i := range a {
		if len(*a[i]) != len(*b[i]) {
			return false
		}
		for j := range *a[i] {
			if !strings.EqualFold((*a[i])[j], (*b[i])[j]) {
				return false
			}
		}
	}
	return true
}

// String renders the scope for people: "Environment: Environments-1, Environments-2; Role: web".
func (s VariableScope) String() string {
	var parts []string
	for i, d := range s.dims() {
		if len(*d) > 0 {
			parts = append(parts, ScopeDimensionNames[i]+": "+strings.Join(*d, ", "))
		}
	}
	if len(parts) == 0 {
		return "Unscoped"
	}
	return strings.Join(parts, "; ")
}

// NewVariableID returns a random GUID-shaped ID, as Octopus uses for variables.
func NewVariableID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("app: crypto/rand failed: " + err.Error())
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// Normalize fills defaults and tidies the scope: the type follows
// IsSensitive (either one set means sensitive), and a missing ID gets a new one.
func (v *Variable) Normalize() {
	if v.Type == VariableTypeSensitive {
		v.IsSensitive = true
	}
	if v.IsSensitive {
		v.Type = VariableTypeSensitive
	} else if v.Type == "" {
		v.Type = VariableTypeString
	}
	v.ID = strings.TrimSpace(v.ID)
	if v.ID == "" {
		v.ID = NewVariableID()
	}
	v.Scope.Normalize()
	if v.Prompt != nil && *v.Prompt == (VariablePrompt{}) {
		v.Prompt = nil
	}
}

// validate returns the problems of one variable; at names it in messages.
func (v *Variable) validate(at string) []string {
	var p problems
	if msg := ValidateName("Name", v.Name); msg != "" {
		p.add(at + ": " + msg)
	}
	if v.Type != VariableTypeString && v.Type != VariableTypeSensitive {
		p.add(fmt.Sprintf("%s: Type must be String or Sensitive, not '%s'.", at, v.Type))
	}
	if !utf8.ValidString(v.Value) {
		p.add(at + ": Value must be valid UTF-8.")
	}
	if len(v.Value) > MaxVariableValueLength {
		p.add(fmt.Sprintf("%s: Value must be at most %d bytes.", at, MaxVariableValueLength))
	}
	if strings.ContainsRune(v.Value, 0) {
		p.add(at + ": Value must not contain NUL characters.")
	}
	p.add(prefixed(at, ValidateDescription("Description", v.Description)))
	if v.KeepValue && !v.IsSensitive {
		p.add(at + ": Value is required for a variable that is not sensitive.")
	}
	for i, d := range v.Scope.dims() {
		for _, s := range *d {
			if strings.IndexFunc(s, unicode.IsControl) >= 0 || utf8.RuneCountInString(s) > MaxNameLength {
				p.add(fmt.Sprintf("%s: the %s scope value '%s' is not valid.", at, ScopeDimensionNames[i], strings.ToValidUTF8(s, "?")))
			}
		}
	}
	if v.Prompt != nil {
		p.add(prefixed(at, ValidateDescription("Prompt label", v.Prompt.Label)))
		p.add(prefixed(at, ValidateDescription("Prompt description", v.Prompt.Description)))
		if v.Prompt.Required && strings.TrimSpace(v.Prompt.Label) == "" {
			p.add(at + ": a required prompt needs a Label.")
		}
	}
	return p
}

func prefixed(at, msg string) string {
	if msg == "" {
		return ""
	}
	return at + ": " + msg
}

// Validate normalises every variable and checks the set: valid names and
// values, unique IDs, and no two values of one name with the same scope
// (which would make the choice between them arbitrary). library says the
// set belongs to a library variable set, whose values cannot be scoped to
// steps, channels or processes (Octopus's rule).
func (vs *VariableSet) Validate(library bool) error {
	var p problems
	if len(vs.Variables) > MaxVariablesPerSet {
		p.add(fmt.Sprintf("A variable set may hold at most %d variables.", MaxVariablesPerSet))
		return p.err("variable set")
	}
	ids := map[string]bool{}
	for i := range vs.Variables {
		v := &vs.Variables[i]
		v.Normalize()
		at := fmt.Sprintf("Variables[%d] '%s'", i, strings.ToValidUTF8(v.Name, "?"))
		p = append(p, v.validate(at)...)
		if ids[strings.ToLower(v.ID)] {
			p.add(fmt.Sprintf("%s: the Id '%s' is used by more than one variable.", at, v.ID))
		}
		ids[strings.ToLower(v.ID)] = true
		if library && (len(v.Scope.Action) > 0 || len(v.Scope.Channel) > 0 || len(v.Scope.ProcessOwner) > 0) {
			p.add(at + ": variables of a library variable set cannot be scoped to steps, channels or processes.")
		}
		for j := 0; j < i; j++ {
			w := &vs.Variables[j]
			if strings.EqualFold(w.Name, v.Name) && w.Scope.Equal(v.Scope) {
				p.add(fmt.Sprintf("%s: the variable '%s' already has a value with the scope %s.", at, w.Name, v.Scope))
				break
			}
		}
	}
	return p.err("variable set")
}

// LibraryVariableSet is a named set of variables that projects include.
type LibraryVariableSet struct {
	ID            string
	SpaceID       string
	Name          string
	Description   string
	ContentType   string // "Variables" (script modules come later)
	VariableSetID string
	Audit
}

// KindLibraryVariableSet numbers library variable sets ("LibraryVariableSets-3").
const KindLibraryVariableSet = "LibraryVariableSets"

// Validate checks the fields a user supplies.
func (l *LibraryVariableSet) Validate() error {
	var p problems
	p.add(ValidateName("Name", l.Name))
	p.add(ValidateDescription("Description", l.Description))
	if l.ContentType == "" {
		l.ContentType = "Variables"
	}
	if l.ContentType != "Variables" {
		p.add("ContentType must be Variables.")
	}
	return p.err("library variable set")
}

// VariableService manages project and library variable sets.
//
// Sensitive values never leave it in clear except through
// RevealVariableSet, which the deployment planner alone calls: every other
// read returns sensitive variables with an empty Value.
type VariableService interface {
	// FindVariableSetByID returns a project's or library set's variables,
	// sensitive values blanked.
	FindVariableSetByID(ctx context.Context, spaceID, id string) (*VariableSet, error)
	// RevealVariableSet is FindVariableSetByID with sensitive values decrypted.
	RevealVariableSet(ctx context.Context, spaceID, id string) (*VariableSet, error)
	// UpdateVariableSet replaces the variables of vs.ID if vs.Version is the
	// stored version (ECONFLICT otherwise) and bumps the version. Scope
	// values must name existing environments, machines and channels.
	UpdateVariableSet(ctx context.Context, vs *VariableSet) error

	FindLibraryVariableSetByID(ctx context.Context, spaceID, id string) (*LibraryVariableSet, error)
	FindLibraryVariableSets(ctx context.Context, f Filter) ([]*LibraryVariableSet, int, error)
	CreateLibraryVariableSet(ctx context.Context, l *LibraryVariableSet) error
	UpdateLibraryVariableSet(ctx context.Context, l *LibraryVariableSet) error
	// DeleteLibraryVariableSet refuses while a project includes the set.
	DeleteLibraryVariableSet(ctx context.Context, spaceID, id string) error
}
