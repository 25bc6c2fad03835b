package app

import (
	"slices"
	"strings"
)

// ScopeContext is where a value is being resolved: one deployment (or
// preview) of one step on one target. Empty fields are "not in this
// context": a value scoped on a dimension whose context field is empty
// never matches (a channel-scoped value during a runbook run, a
// machine-scoped value for a step that runs on the server).
type ScopeContext struct {
	EnvironmentID string
	MachineID     string
	MachineRoles  []string // the roles (target tags) of MachineID
	ActionID      string   // the current step/action
	TargetRoles   []string // the roles the current step targets
	ChannelID     string
	TenantID      string
	TenantTags    []string // "TagSet/Tag" of TenantID
	ProcessOwner  string   // the project (deployment process) or runbook being run
}

// VariableSource is one set of candidate values: the project's own set or
// a library set the project includes, in the project's inclusion order.
type VariableSource struct {
	SetID     string
	Library   bool
	Variables []Variable
}

// Ranks of the scope dimensions, highest first, as Octopus documents them
// (docs projects/variables/index.md, "Scope specificity"). Each matched
// dimension contributes one bit, so comparing the sums compares the
// sorted rank lists lexicographically: the best dimension decides, then the
// next, and a value scoped on a superset of another's dimensions beats it
// ("more scoped dimensions beat fewer"). Rank 10 ("project") and 11
// ("unscoped") are not dimensions: project-over-library is the next key
// after specificity and unscoped is specificity 0.
const (
	rankProcess     = 1 << iota // 9. deployment or runbook process
	rankChannel                 // 8. channel
	rankEnvironment             // 7. environment
	rankTenantTag               // 6. tenant tag
	rankTenant                  // 5. tenant
	rankMachineRole             // 4. a role of the machine
	rankTargetRole              // 3. a role of the machine that the step targets
	rankMachine                 // 2. the machine
	rankAction                  // 1. the step/action
)

// Candidate is one value considered for a name, with why it matched.
type Candidate struct {
	Variable Variable
	SetID    string
	Library  bool
	// Specificity is the sum of the rank bits of the matched dimensions
	// (0 = unscoped); higher wins.
	Specificity int
	// Matched names the dimensions that matched, best first
	// ("Action", "Machine", "Role (targeted by step)", …).
	Matched []string

	source, index int // position, for the final deterministic tie-break
	width         int // total number of scope values, narrower wins a tie
}

// Resolution is the outcome for one name: the winner and the matching
// candidates it beat, best first. Values that did not match the context
// are not candidates.
type Resolution struct {
	Name   string
	Winner Candidate
	Beaten []Candidate
}

// ResolveVariables selects, for every variable name, the value that applies
// in ctx. sources are the project's set first, then the included library
// sets in inclusion order. The result is sorted by name (case-insensitive).
//
// A value matches when every scoped dimension contains the context's value
// (case-insensitive IDs and roles). Among matches the order is:
//  1. higher Specificity (see the rank constants): the best-ranked matched
//     dimension decides, then the next; a superset of dimensions wins;
//  2. project beats library (Octopus's documented rule);
//  3. a narrower scope (fewer listed values in total) beats a wider one:
//     "Environment: Prod" is more specific than "Environment: Prod, Test";
//  4. the earlier source wins (library sets in the project's inclusion order);
//  5. the earlier position in its set wins.
//
// Octopus leaves ties after rule 2 undefined; rules 3–5 make ours
// deterministic: the same release and target always get the same value.
func ResolveVariables(ctx ScopeContext, sources []VariableSource) []Resolution {
	total := 0
	for _, src := range sources {
		total += len(src.Variables)
	}
	// Matching values are collected as small references; an index sort by
	// (name, rank) groups and orders them, and only then are the (large)
	// Candidate values built, once each, into one slice that every
	// Resolution's Beaten is a part of.
	type match struct {
		key     string // case-folded name
		v       *Variable
		src     *VariableSource
		matched []string
		rank    rank
	}
	all := make([]match, 0, total)
	for si := range sources {
		src := &sources[si]
		for vi := range src.Variables {
			v := &src.Variables[vi]
			spec, matched, ok := matchScope(ctx, v.Scope)
			if !ok {
				continue
			}
			width := 0
			for _, d := range v.Scope.dims() {
				width += len(*d)
			}
			all = append(all, match{key: strings.ToLower(v.Name), v: v, src: src, matched: matched,
				rank: rank{spec: spec, library: src.Library, width: width, source: si, index: vi}})
		}
	}
	// Sorting indices, not the structs, keeps pointer writes (and their
	// GC write barriers) out of the sort.
	order := make([]int32, len(all))
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortFunc(order, func(i, j int32) int {
		a, b := &all[i], &all[j]
		if c := strings.Compare(a.key, b.key); c != 0 {
			return c
		}
		return a.rank.compare(b.rank)
	})
	cands := make([]Candidate, len(all))
	groups := 0
	for i, o := range order {
		m := &all[o]
		cands[i] = Candidate{Variable: *m.v, SetID: m.src.SetID, Library: m.src.Library, Specificity: m.rank.spec,
			Matched: m.matched, source: m.rank.source, index: m.rank.index, width: m.rank.width}
		if i == 0 || m.key != all[order[i-1]].key {
			groups++
		}
	}
	out := make([]Resolution, 0, groups)
	for start := 0; start < len(order); {
		end := start + 1
		for end < len(order) && all[order[end]].key == all[order[start]].key {
			end++
		}
		out = append(out, Resolution{Name: cands[start].Variable.Name, Winner: cands[start], Beaten: cands[start+1 : end : end]})
		start = end
	}
	return out
}

// rank is what orders the candidates of one name; see ResolveVariables.
type rank struct {
	spec          int
	library       bool
	width         int
	source, index int
}

// compare returns -1 when a wins over b, 1 when b wins, 0 for the same
// position (never, for two different values).
func (a rank) compare(b rank) int {
	switch {
	case a.spec != b.spec:
		return cmpBool(a.spec > b.spec)
	case a.library != b.library:
		return cmpBool(!a.library)
	case a.width != b.width:
		return cmpBool(a.width < b.width)
	case a.source != b.source:
		return cmpBool(a.source < b.source)
	case a.index != b.index:
		return cmpBool(a.index < b.index)
	}
	return 0
}

func cmpBool(aFirst bool) int {
	if aFirst {
		return -1
	}
	return 1
}

// matchScope reports whether scope applies in ctx, with the specificity
// and the names of the matched dimensions, best first.
func matchScope(ctx ScopeContext, s VariableScope) (spec int, matched []string, ok bool) {
	one := func(list []string, value string, rank int, name string) bool {
		if len(list) == 0 {
			return true
		}
		if value == "" || !ContainsFold(list, value) {
			return false
		}
		spec |= rank
		matched = append(matched, name)
		return true
	}
	if !one(s.Action, ctx.ActionID, rankAction, "Action") ||
		!one(s.Machine, ctx.MachineID, rankMachine, "Machine") {
		return 0, nil, false
	}
	if len(s.Role) > 0 {
		// A role-scoped value applies only on a target that has one of the
		// roles; it ranks higher when the current step targets that role.
		onMachine, targeted := false, false
		for _, r := range s.Role {
			if ContainsFold(ctx.MachineRoles, r) {
				onMachine = true
				if ContainsFold(ctx.TargetRoles, r) {
					targeted = true
				}
			}
		}
		switch {
		case targeted:
			spec |= rankTargetRole
			matched = append(matched, "Role (targeted by step)")
		case onMachine:
			spec |= rankMachineRole
			matched = append(matched, "Role")
		default:
			return 0, nil, false
		}
	}
	if !one(s.Tenant, ctx.TenantID, rankTenant, "Tenant") {
		return 0, nil, false
	}
	if len(s.TenantTag) > 0 {
		if !IntersectsFold(s.TenantTag, ctx.TenantTags) {
			return 0, nil, false
		}
		spec |= rankTenantTag
		matched = append(matched, "TenantTag")
	}
	if !one(s.Environment, ctx.EnvironmentID, rankEnvironment, "Environment") ||
		!one(s.Channel, ctx.ChannelID, rankChannel, "Channel") ||
		!one(s.ProcessOwner, ctx.ProcessOwner, rankProcess, "ProcessOwner") {
		return 0, nil, false
	}
	return spec, matched, true
}
