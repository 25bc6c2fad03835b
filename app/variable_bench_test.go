package app

import (
	"fmt"
	"testing"
)

// benchVariableSources builds a project set and a library set with 2 000
// variables between them: 400 names, each with an unscoped value and values
// scoped to environments, roles, machines and a step, like a large real
// project.
func benchVariableSources() []VariableSource {
	var project, library []Variable
	for i := range 400 {
		name := fmt.Sprintf("App.Setting%d", i)
		project = append(project,
			Variable{Name: name, Value: "default"},
			Variable{Name: name, Value: "env", Scope: VariableScope{Environment: []string{fmt.Sprintf("Environments-%d", i%3+1)}}},
			Variable{Name: name, Value: "role", Scope: VariableScope{Role: []string{fmt.Sprintf("role-%d", i%5)}, Environment: []string{"Environments-1", "Environments-2"}}},
			Variable{Name: name, Value: "machine", Scope: VariableScope{Machine: []string{fmt.Sprintf("Machines-%d", i%1000+1)}}})
		library = append(library,
			Variable{Name: name, Value: "step", Scope: VariableScope{Action: []string{"Actions-1"}, Channel: []string{"Channels-1"}}})
	}
	return []VariableSource{{SetID: "variableset-Projects-1", Variables: project}, {SetID: "LibraryVariableSets-1", Library: true, Variables: library}}
}

// BenchmarkResolveVariables resolves the full dictionary for 1 000 targets
// against 2 000 scoped variables and reports the cost per target.
func BenchmarkResolveVariables(b *testing.B) {
	sources := benchVariableSources()
	n := 0
	for _, s := range sources {
		n += len(s.Variables)
	}
	if n != 2000 {
		b.Fatalf("%d variables, want 2000", n)
	}
	targets := make([]ScopeContext, 1000)
	for i := range targets {
		targets[i] = ScopeContext{EnvironmentID: fmt.Sprintf("Environments-%d", i%3+1), MachineID: fmt.Sprintf("Machines-%d", i+1),
			MachineRoles: []string{fmt.Sprintf("role-%d", i%5), "web"}, TargetRoles: []string{"web"}, ActionID: "Actions-1", ChannelID: "Channels-1",
			ProcessOwner: "Projects-1"}
	}
	for b.Loop() {
		for _, t := range targets {
			if res := ResolveVariables(t, sources); len(res) != 400 {
				b.Fatalf("%d names resolved, want 400", len(res))
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(targets)), "ns/target")
}
