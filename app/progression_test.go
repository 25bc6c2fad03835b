package app

import (
	"slices"
	"strings"
	"testing"
)

func TestProgress(t *testing.T) {
	envs := []*Environment{{ID: "Environments-1", Name: "Dev"}, {ID: "Environments-2", Name: "Test"},
		{ID: "Environments-3", Name: "Staging"}, {ID: "Environments-4", Name: "Production"}}
	const dev, test, staging, prod = "Environments-1", "Environments-2", "Environments-3", "Environments-4"
	phase := func(name string, auto, optional []string, min int, isOptional bool) Phase {
		return Phase{ID: "p-" + name, Name: name, AutomaticDeploymentTargets: auto, OptionalDeploymentTargets: optional,
			MinimumEnvironmentsBeforePromotion: min, IsOptionalPhase: isOptional}
	}
	three := []Phase{phase("Dev", []string{dev}, nil, 0, false), phase("Test", nil, []string{test, staging}, 0, false),
		phase("Prod", nil, []string{prod}, 0, false)}
	tests := []struct {
		name      string
		phases    []Phase
		succeeded []string
		allowed   []string // in env order
		progress  []string // per phase
		next      []string
		minimum   int
		automatic []string
	}{
		{name: "no phases: one per environment, nothing deployed", allowed: []string{dev},
			progress: []string{PhaseCurrent, PhasePending, PhasePending, PhasePending}, next: []string{dev}, minimum: 1},
		{name: "no phases: dev done opens test", succeeded: []string{dev}, allowed: []string{dev, test},
			progress: []string{PhaseComplete, PhaseCurrent, PhasePending, PhasePending}, next: []string{test}, minimum: 1},
		{name: "no phases: all done", succeeded: []string{dev, test, staging, prod}, allowed: []string{dev, test, staging, prod},
			progress: []string{PhaseComplete, PhaseComplete, PhaseComplete, PhaseComplete}},
		{name: "no phases: a success out of order does not skip a phase", succeeded: []string{test}, allowed: []string{dev},
			progress: []string{PhaseCurrent, PhasePending, PhasePending, PhasePending}, next: []string{dev}, minimum: 1},
		{name: "three phases: first open, automatic dev", phases: three, allowed: []string{dev},
			progress: []string{PhaseCurrent, PhasePending, PhasePending}, next: []string{dev}, minimum: 1, automatic: []string{dev}},
		{name: "all must complete: one of two is not enough", phases: three, succeeded: []string{dev, test},
			allowed: []string{dev, test, staging}, progress: []string{PhaseComplete, PhaseCurrent, PhasePending},
			next: []string{staging}, minimum: 1, automatic: []string{dev}},
		{name: "all must complete: both open the last phase", phases: three, succeeded: []string{dev, test, staging},
			allowed: []string{dev, test, staging, prod}, progress: []string{PhaseComplete, PhaseComplete, PhaseCurrent},
			next: []string{prod}, minimum: 1, automatic: []string{dev}},
		{name: "minimum of one", phases: []Phase{phase("Dev", nil, []string{dev}, 0, false),
			phase("Test", nil, []string{test, staging}, 1, false), phase("Prod", nil, []string{prod}, 0, false)},
			succeeded: []string{dev, staging}, allowed: []string{dev, test, staging, prod},
			progress: []string{PhaseComplete, PhaseComplete, PhaseCurrent}, next: []string{prod}, minimum: 1},
		{name: "minimum larger than the phase means all", phases: []Phase{phase("Test", nil, []string{test, staging}, 5, false),
			phase("Prod", nil, []string{prod}, 0, false)},
			succeeded: []string{test}, allowed: []string{test, staging}, progress: []string{PhaseCurrent, PhasePending},
			next: []string{staging}, minimum: 1},
		{name: "optional phase can be skipped", phases: []Phase{phase("Dev", nil, []string{dev}, 0, false),
			phase("UAT", []string{test}, nil, 0, true), phase("Prod", nil, []string{prod}, 0, false)},
			succeeded: []string{dev}, allowed: []string{dev, test, prod},
			progress: []string{PhaseComplete, PhaseCurrent, PhaseCurrent}, next: []string{test, prod}, minimum: 1},
		{name: "optional phase never deploys automatically", phases: []Phase{phase("UAT", []string{test}, nil, 0, true),
			phase("Prod", []string{prod}, nil, 0, false)},
			allowed: []string{test, prod}, progress: []string{PhaseCurrent, PhaseCurrent}, next: []string{test, prod},
			minimum: 1, automatic: []string{prod}},
		{name: "a phase without environments takes the rest", phases: []Phase{phase("Dev", nil, []string{dev}, 0, false),
			phase("Anything else", nil, nil, 1, false)},
			succeeded: []string{dev}, allowed: []string{dev, test, staging, prod},
			progress: []string{PhaseComplete, PhaseCurrent}, next: []string{test, staging, prod}, minimum: 1},
		{name: "one phase with every environment: deploy anywhere", phases: []Phase{phase("All", nil, []string{dev, test, staging, prod}, 0, false)},
			allowed: []string{dev, test, staging, prod}, progress: []string{PhaseCurrent}, next: []string{dev, test, staging, prod}, minimum: 4},
		{name: "an environment not in the lifecycle is never allowed", phases: []Phase{phase("Dev", nil, []string{dev}, 0, false),
			phase("Prod", nil, []string{prod}, 0, false)}, succeeded: []string{dev},
			allowed: []string{dev, prod}, progress: []string{PhaseComplete, PhaseCurrent}, next: []string{prod}, minimum: 1},
		{name: "listed twice: the first phase owns it; deleted IDs ignored", phases: []Phase{phase("Dev", nil, []string{dev, "Environments-99"}, 0, false),
			phase("Again", nil, []string{dev, test}, 0, false)},
			allowed: []string{dev}, progress: []string{PhaseCurrent, PhasePending}, next: []string{dev}, minimum: 1},
		{name: "IDs compare without case", phases: []Phase{phase("Dev", nil, []string{strings.ToLower(dev)}, 0, false),
			phase("Test", nil, []string{test}, 0, false)}, succeeded: []string{dev},
			allowed: []string{dev, test}, progress: []string{PhaseComplete, PhaseCurrent}, next: []string{test}, minimum: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			succeeded := map[string]bool{}
			for _, id := range tc.succeeded {
				succeeded[id] = true
			}
			p := Progress(&Lifecycle{ID: "Lifecycles-9", Name: "L", Phases: tc.phases}, envs, succeeded)
			var allowed, progress []string
			for _, e := range envs {
				if p.Allows(e.ID) {
					allowed = append(allowed, e.ID)
				}
			}
			for _, ph := range p.Phases {
				progress = append(progress, ph.Progress)
			}
			if !slices.Equal(allowed, tc.allowed) {
				t.Errorf("allowed %v, want %v", allowed, tc.allowed)
			}
			if !slices.Equal(progress, tc.progress) {
				t.Errorf("progress %v, want %v", progress, tc.progress)
			}
			if !slices.Equal(p.NextDeployments, tc.next) || p.NextDeploymentsMinimumRequired != tc.minimum {
				t.Errorf("next %v (min %d), want %v (min %d)", p.NextDeployments, p.NextDeploymentsMinimumRequired, tc.next, tc.minimum)
			}
			if !slices.Equal(p.AutomaticNow(), tc.automatic) {
				t.Errorf("automatic %v, want %v", p.AutomaticNow(), tc.automatic)
			}
			for _, e := range envs {
				err := p.Check(e, "1.0.0")
				if (err == nil) != p.Allows(e.ID) {
					t.Errorf("Check(%s) = %v, Allows = %v", e.Name, err, p.Allows(e.ID))
				}
				if err != nil && (ErrorCode(err) != EINVALID || !strings.Contains(ErrorMessage(err), e.Name)) {
					t.Errorf("Check(%s) = %v: want EINVALID naming the environment", e.Name, err)
				}
			}
		})
	}
}

func TestProgressCheckMessage(t *testing.T) {
	envs := []*Environment{{ID: "Environments-1", Name: "Dev"}, {ID: "Environments-2", Name: "Production"}, {ID: "Environments-3", Name: "Sandbox"}}
	l := &Lifecycle{ID: "Lifecycles-2", Name: "Standard", Phases: []Phase{
		{Name: "Development", OptionalDeploymentTargets: []string{"Environments-1"}},
		{Name: "Live", OptionalDeploymentTargets: []string{"Environments-2"}}}}
	p := Progress(l, envs, nil)
	want := "Release 1.2.3 cannot be deployed to Production yet: the lifecycle 'Standard' puts Production in the phase 'Live', which opens when the phases before it are complete ('Development' needs 1 successful of 1, has 0)."
	if err := p.Check(envs[1], "1.2.3"); err == nil || ErrorMessage(err) != want {
		t.Fatalf("Check(Production) = %v,\nwant %s", err, want)
	}
	want = "Release 1.2.3 cannot be deployed to Sandbox: the environment is not part of the lifecycle 'Standard'."
	if err := p.Check(envs[2], "1.2.3"); err == nil || ErrorMessage(err) != want {
		t.Fatalf("Check(Sandbox) = %v,\nwant %s", err, want)
	}
}
