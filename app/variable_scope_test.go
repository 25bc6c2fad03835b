package app

import (
	"reflect"
	"strings"
	"testing"
)

// v builds a variable with a value and a scope written as
// "Dim=a,b;Dim2=c" (Env, Machine, Role, Action, Channel, Tag, Tenant, Process).
func v(name, value, scope string) Variable {
	va := Variable{ID: name + "/" + value, Name: name, Value: value}
	for _, part := range strings.Split(scope, ";") {
		if part == "" {
			continue
		}
		dim, list, _ := strings.Cut(part, "=")
		vals := strings.Split(list, ",")
		switch dim {
		case "Env":
			va.Scope.Environment = vals
		case "Machine":
			va.Scope.Machine = vals
		case "Role":
			va.Scope.Role = vals
		case "Action":
			va.Scope.Action = vals
		case "Channel":
			va.Scope.Channel = vals
		case "Tag":
			va.Scope.TenantTag = vals
		case "Tenant":
			va.Scope.Tenant = vals
		case "Process":
			va.Scope.ProcessOwner = vals
		default:
			panic("unknown dimension " + dim)
		}
	}
	va.Normalize()
	return va
}

// deploy is a typical context: step Action-1 targeting role "web" runs on
// Machines-1 (roles web, db) in Production, Default channel, tenant Acme.
var deploy = ScopeContext{
	EnvironmentID: "Environments-2", MachineID: "Machines-1", MachineRoles: []string{"web", "db"},
	ActionID: "Action-1", TargetRoles: []string{"web"}, ChannelID: "Channels-1",
	TenantID: "Tenants-1", TenantTags: []string{"Region/EU", "Tier/Gold"}, ProcessOwner: "Projects-1",
}

func TestResolveVariables(t *testing.T) {
	noMachine := deploy
	noMachine.MachineID, noMachine.MachineRoles = "", nil
	runbook := deploy
	runbook.ChannelID, runbook.ProcessOwner = "", "Runbooks-1"
	untenanted := deploy
	untenanted.TenantID, untenanted.TenantTags = "", nil

	tests := []struct {
		name     string
		ctx      ScopeContext
		project  []Variable
		library  [][]Variable
		want     string // winning value of "X"; "" = no value
		wantLost []string
	}{
		// Rule: an unscoped value applies everywhere.
		{name: "unscoped only", ctx: deploy, project: []Variable{v("X", "a", "")}, want: "a"},
		// Rule: no candidate, no resolution.
		{name: "nothing matches", ctx: deploy, project: []Variable{v("X", "a", "Env=Environments-9")}, want: ""},
		// Rule: any scoped value beats unscoped.
		{name: "environment beats unscoped", ctx: deploy,
			project: []Variable{v("X", "any", ""), v("X", "prod", "Env=Environments-2")}, want: "prod", wantLost: []string{"any"}},
		// Rule: values within one dimension are OR.
		{name: "dimension values are OR", ctx: deploy,
			project: []Variable{v("X", "any", ""), v("X", "both", "Env=Environments-1,Environments-2")}, want: "both", wantLost: []string{"any"}},
		// Rule: dimensions are AND — one failing dimension excludes the value.
		{name: "dimensions are AND", ctx: deploy,
			project: []Variable{v("X", "any", ""), v("X", "no", "Env=Environments-2;Channel=Channels-9")}, want: "any"},
		// Rule: a value for another environment never applies.
		{name: "other environment excluded", ctx: deploy,
			project: []Variable{v("X", "dev", "Env=Environments-1"), v("X", "any", "")}, want: "any"},
		// Rank 1 > 2: step beats machine.
		{name: "action beats machine", ctx: deploy,
			project: []Variable{v("X", "m", "Machine=Machines-1"), v("X", "a", "Action=Action-1")}, want: "a", wantLost: []string{"m"}},
		// Rank 2 > 3: machine beats role targeted by the step.
		{name: "machine beats targeted role", ctx: deploy,
			project: []Variable{v("X", "r", "Role=web"), v("X", "m", "Machine=Machines-1")}, want: "m", wantLost: []string{"r"}},
		// Rank 3 > 4: a machine role the step targets beats one it does not.
		{name: "targeted role beats machine role", ctx: deploy,
			project: []Variable{v("X", "db", "Role=db"), v("X", "web", "Role=web")}, want: "web", wantLost: []string{"db"}},
		// Rank 3 > 4 holds whatever the order of declaration.
		{name: "targeted role beats machine role, reversed", ctx: deploy,
			project: []Variable{v("X", "web", "Role=web"), v("X", "db", "Role=db")}, want: "web", wantLost: []string{"db"}},
		// Rank 3: a role list containing a targeted role ranks as targeted.
		{name: "role list with a targeted role", ctx: deploy,
			project: []Variable{v("X", "db", "Role=db"), v("X", "mix", "Role=db,web")}, want: "mix", wantLost: []string{"db"}},
		// Role scoping: a role the machine lacks never applies, even if targeted.
		{name: "role not on machine excluded", ctx: deploy,
			project: []Variable{v("X", "api", "Role=api"), v("X", "any", "")}, want: "any"},
		// Role scoping: without a machine, role-scoped values do not apply.
		{name: "no machine, no role match", ctx: noMachine,
			project: []Variable{v("X", "web", "Role=web"), v("X", "any", "")}, want: "any"},
		// Rank 4 > 5: machine role beats tenant.
		{name: "machine role beats tenant", ctx: deploy,
			project: []Variable{v("X", "t", "Tenant=Tenants-1"), v("X", "db", "Role=db")}, want: "db", wantLost: []string{"t"}},
		// Rank 5 > 6: tenant beats tenant tag.
		{name: "tenant beats tenant tag", ctx: deploy,
			project: []Variable{v("X", "tag", "Tag=Region/EU"), v("X", "t", "Tenant=Tenants-1")}, want: "t", wantLost: []string{"tag"}},
		// Rank 6 > 7: tenant tag beats environment.
		{name: "tenant tag beats environment", ctx: deploy,
			project: []Variable{v("X", "env", "Env=Environments-2"), v("X", "tag", "Tag=Tier/Gold")}, want: "tag", wantLost: []string{"env"}},
		// Rank 7 > 8: environment beats channel.
		{name: "environment beats channel", ctx: deploy,
			project: []Variable{v("X", "ch", "Channel=Channels-1"), v("X", "env", "Env=Environments-2")}, want: "env", wantLost: []string{"ch"}},
		// Rank 8 > 9: channel beats process.
		{name: "channel beats process", ctx: deploy,
			project: []Variable{v("X", "p", "Process=Projects-1"), v("X", "ch", "Channel=Channels-1")}, want: "ch", wantLost: []string{"p"}},
		// Rank 9 > 11: process beats unscoped.
		{name: "process beats unscoped", ctx: deploy,
			project: []Variable{v("X", "any", ""), v("X", "p", "Process=Projects-1")}, want: "p", wantLost: []string{"any"}},
		// Process scoping: a runbook-scoped value does not apply to the deployment.
		{name: "other process excluded", ctx: deploy,
			project: []Variable{v("X", "rb", "Process=Runbooks-1"), v("X", "any", "")}, want: "any"},
		// A value whose scope cannot apply in the context never matches: channel during a runbook run.
		{name: "channel scope never matches in a runbook", ctx: runbook,
			project: []Variable{v("X", "ch", "Channel=Channels-1"), v("X", "rb", "Process=Runbooks-1")}, want: "rb"},
		// Tenant scoping: untenanted deployments never match tenant or tag scopes.
		{name: "untenanted ignores tenant scopes", ctx: untenanted,
			project: []Variable{v("X", "t", "Tenant=Tenants-1"), v("X", "tag", "Tag=Region/EU"), v("X", "env", "Env=Environments-2")}, want: "env"},
		// More dimensions beat fewer: env+channel beats env.
		{name: "two dimensions beat one of them", ctx: deploy,
			project: []Variable{v("X", "env", "Env=Environments-2"), v("X", "envch", "Env=Environments-2;Channel=Channels-1")}, want: "envch", wantLost: []string{"env"}},
		// More dimensions beat fewer, whatever the order of declaration.
		{name: "two dimensions beat one, reversed", ctx: deploy,
			project: []Variable{v("X", "envch", "Env=Environments-2;Channel=Channels-1"), v("X", "env", "Env=Environments-2")}, want: "envch", wantLost: []string{"env"}},
		// The ranking decides first: a single higher-ranked dimension beats two lower ones.
		{name: "machine beats environment plus channel", ctx: deploy,
			project: []Variable{v("X", "envch", "Env=Environments-2;Channel=Channels-1"), v("X", "m", "Machine=Machines-1")}, want: "m", wantLost: []string{"envch"}},
		// Same best dimension: the second-best decides (action+env beats action+channel).
		{name: "second dimension decides", ctx: deploy,
			project: []Variable{v("X", "ach", "Action=Action-1;Channel=Channels-1"), v("X", "aenv", "Action=Action-1;Env=Environments-2")}, want: "aenv", wantLost: []string{"ach"}},
		// Three dimensions beat two of them.
		{name: "three beat two", ctx: deploy,
			project: []Variable{v("X", "two", "Role=web;Env=Environments-2"), v("X", "three", "Role=web;Env=Environments-2;Channel=Channels-1")}, want: "three", wantLost: []string{"two"}},
		// Project beats library at equal specificity.
		{name: "project beats library", ctx: deploy,
			library: [][]Variable{{v("X", "lib", "Env=Environments-2")}},
			project: []Variable{v("X", "proj", "Env=Environments-2")}, want: "proj", wantLost: []string{"lib"}},
		// Project beats library when both are unscoped (rank 10 > 11).
		{name: "unscoped project beats unscoped library", ctx: deploy,
			library: [][]Variable{{v("X", "lib", "")}}, project: []Variable{v("X", "proj", "")}, want: "proj", wantLost: []string{"lib"}},
		// Specificity beats the source: a more specific library value wins.
		{name: "more specific library beats project", ctx: deploy,
			library: [][]Variable{{v("X", "lib", "Machine=Machines-1")}},
			project: []Variable{v("X", "proj", "Env=Environments-2")}, want: "lib", wantLost: []string{"proj"}},
		// Tie rule 3: a narrower list wins at equal specificity.
		{name: "tie: narrower scope wins", ctx: deploy,
			project: []Variable{v("X", "wide", "Env=Environments-1,Environments-2"), v("X", "narrow", "Env=Environments-2")}, want: "narrow", wantLost: []string{"wide"}},
		// Tie rule 4: between library sets, the first included wins.
		{name: "tie: first included library set wins", ctx: deploy,
			library: [][]Variable{{v("X", "lib1", "Env=Environments-2")}, {v("X", "lib2", "Env=Environments-2")}},
			want:    "lib1", wantLost: []string{"lib2"}},
		// Tie rule 5: within one set, the earlier value wins (only reachable when
		// validation was bypassed, e.g. roles that differ but both match).
		{name: "tie: earlier position wins", ctx: deploy,
			project: []Variable{v("X", "first", "Role=db,x"), v("X", "second", "Role=db,y")}, want: "first", wantLost: []string{"second"}},
		// Tie with equal width and different roles on the same rank: earlier wins.
		{name: "tie: two machine roles", ctx: ScopeContext{MachineID: "m", MachineRoles: []string{"a", "b"}},
			project: []Variable{v("X", "b", "Role=b"), v("X", "a", "Role=a")}, want: "b", wantLost: []string{"a"}},
		// Names are case-insensitive: values of x and X compete.
		{name: "names case-insensitive", ctx: deploy,
			project: []Variable{v("x", "lower", ""), v("X", "upper", "Env=Environments-2")}, want: "upper", wantLost: []string{"lower"}},
		// Scope values are case-insensitive (IDs and roles).
		{name: "scope values case-insensitive", ctx: deploy,
			project: []Variable{v("X", "any", ""), v("X", "r", "Role=WEB;Env=environments-2")}, want: "r", wantLost: []string{"any"}},
		// Tenant tags: any tag of the tenant matches (OR).
		{name: "tenant tag OR", ctx: deploy,
			project: []Variable{v("X", "any", ""), v("X", "tag", "Tag=Region/US,Tier/Gold")}, want: "tag", wantLost: []string{"any"}},
		// Full ladder: every rank present, the step wins, losers best first.
		{name: "full ladder", ctx: deploy,
			project: []Variable{v("X", "unscoped", ""), v("X", "process", "Process=Projects-1"), v("X", "channel", "Channel=Channels-1"),
				v("X", "env", "Env=Environments-2"), v("X", "tag", "Tag=Region/EU"), v("X", "tenant", "Tenant=Tenants-1"),
				v("X", "mrole", "Role=db"), v("X", "trole", "Role=web"), v("X", "machine", "Machine=Machines-1"), v("X", "action", "Action=Action-1")},
			want:     "action",
			wantLost: []string{"machine", "trole", "mrole", "tenant", "tag", "env", "channel", "process", "unscoped"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sources := []VariableSource{{SetID: "variableset-Projects-1", Variables: tt.project}}
			for i, l := range tt.library {
				sources = append(sources, VariableSource{SetID: FormatID(KindLibraryVariableSet, uint64(i+1)), Library: true, Variables: l})
			}
			res := ResolveVariables(tt.ctx, sources)
			if tt.want == "" {
				if len(res) != 0 {
					t.Fatalf("got %d resolutions, want none: %+v", len(res), res)
				}
				return
			}
			if len(res) != 1 {
				t.Fatalf("got %d resolutions, want 1", len(res))
			}
			if got := res[0].Winner.Variable.Value; got != tt.want {
				t.Errorf("winner = %q, want %q (matched %v)", got, tt.want, res[0].Winner.Matched)
			}
			var lost []string
			for _, c := range res[0].Beaten {
				lost = append(lost, c.Variable.Value)
			}
			if !reflect.DeepEqual(lost, tt.wantLost) {
				t.Errorf("beaten = %q, want %q", lost, tt.wantLost)
			}
		})
	}
}

func TestResolveVariablesSortsNamesAndReportsMatches(t *testing.T) {
	res := ResolveVariables(deploy, []VariableSource{{Variables: []Variable{
		v("b", "1", "Role=web;Env=Environments-2"), v("A", "2", ""), v("c", "3", "Role=db"),
	}}})
	var got []string
	for _, r := range res {
		got = append(got, r.Name+"="+strings.Join(r.Winner.Matched, "+"))
	}
	want := []string{"A=", "b=Role (targeted by step)+Environment", "c=Role"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestResolveVariablesIsDeterministic(t *testing.T) {
	vars := []Variable{v("X", "1", "Env=Environments-2"), v("X", "2", "Env=Environments-2,Environments-1"),
		v("X", "3", "Role=db"), v("X", "4", "Role=db,api")}
	first := ResolveVariables(deploy, []VariableSource{{Variables: vars}})
	for i := 0; i < 50; i++ {
		again := ResolveVariables(deploy, []VariableSource{{Variables: vars}})
		if !reflect.DeepEqual(first, again) {
			t.Fatalf("run %d differs", i)
		}
	}
	if got := first[0].Winner.Variable.Value; got != "3" {
		t.Errorf("winner = %q, want 3 (role outranks environment, narrower role list wins)", got)
	}
}

func TestScopeNormalize(t *testing.T) {
	s := VariableScope{Environment: []string{" Environments-2", "environments-2", "Environments-1", ""}, Role: []string{"web", "API"}}
	s.Normalize()
	want := VariableScope{Environment: []string{"Environments-1", "Environments-2"}, Role: []string{"API", "web"}}
	if !reflect.DeepEqual(s, want) {
		t.Errorf("got %+v, want %+v", s, want)
	}
	other := VariableScope{Role: []string{"WEB", "api"}, Environment: []string{"Environments-2", "Environments-1"}}
	other.Normalize()
	if !s.Equal(other) {
		t.Errorf("scopes in a different order and case should be equal: %v vs %v", s, other)
	}
	if got := s.String(); got != "Environment: Environments-1, Environments-2; Role: API, web" {
		t.Errorf("String() = %q", got)
	}
}

func TestVariableSetValidate(t *testing.T) {
	tests := []struct {
		name    string
		library bool
		vars    []Variable
		wantErr string
	}{
		{name: "ok", vars: []Variable{{Name: "A", Value: "1"}, {Name: "A", Value: "2", Scope: VariableScope{Role: []string{"web"}}}}},
		{name: "name required", vars: []Variable{{Name: " "}}, wantErr: "Name is required"},
		{name: "control chars", vars: []Variable{{Name: "a\x07b"}}, wantErr: "control characters"},
		{name: "bad type", vars: []Variable{{Name: "A", Type: "Certificate"}}, wantErr: "Type must be String or Sensitive"},
		{name: "duplicate scope", vars: []Variable{{Name: "A", Scope: VariableScope{Role: []string{"web", "db"}}},
			{Name: "a", Scope: VariableScope{Role: []string{"DB", "web"}}}}, wantErr: "already has a value with the scope Role: DB, web"},
		{name: "duplicate id", vars: []Variable{{ID: "x", Name: "A"}, {ID: "X", Name: "B"}}, wantErr: "used by more than one"},
		{name: "library cannot scope to steps", library: true, vars: []Variable{{Name: "A", Scope: VariableScope{Action: []string{"a"}}}},
			wantErr: "cannot be scoped to steps"},
		{name: "keep value only for sensitive", vars: []Variable{{Name: "A", KeepValue: true}}, wantErr: "Value is required"},
		{name: "NUL in value", vars: []Variable{{Name: "A", Value: "a\x00"}}, wantErr: "NUL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vs := &VariableSet{Variables: tt.vars}
			err := vs.Validate(tt.library)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if ErrorCode(err) != EINVALID || !strings.Contains(strings.Join(ErrorDetails(err), "\n"), tt.wantErr) {
				t.Fatalf("got %v %q, want EINVALID containing %q", err, ErrorDetails(err), tt.wantErr)
			}
		})
	}
}

func TestVariableNormalizeTypes(t *testing.T) {
	a := Variable{Name: "A", Type: VariableTypeSensitive}
	a.Normalize()
	b := Variable{Name: "B", IsSensitive: true}
	b.Normalize()
	c := Variable{Name: "C"}
	c.Normalize()
	if !a.IsSensitive || b.Type != VariableTypeSensitive || c.Type != VariableTypeString || c.ID == "" || c.ID == a.ID {
		t.Errorf("got %+v %+v %+v", a, b, c)
	}
}
