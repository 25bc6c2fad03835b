package app

import (
	"fmt"
	"strings"
)

// Phase progress values, as Octopus names them.
const (
	PhasePending  = "Pending"  // an earlier required phase is not complete yet
	PhaseCurrent  = "Current"  // deployable now, not complete
	PhaseComplete = "Complete" // enough environments deployed successfully
)

// PhaseProgression is one phase of a release's way through its lifecycle.
type PhaseProgression struct {
	ID                         string
	Name                       string
	AutomaticDeploymentTargets []string // environment IDs
	OptionalDeploymentTargets  []string // environment IDs; for a phase that lists none, every environment no earlier phase lists
	// MinimumEnvironmentsBeforePromotion is the number of this phase's
	// environments that must have a successful deployment before the next
	// phase opens; 0 = all of them.
	MinimumEnvironmentsBeforePromotion int
	IsOptionalPhase                    bool
	Progress                           string   // PhasePending, PhaseCurrent or PhaseComplete
	Succeeded                          []string // environment IDs of this phase deployed successfully
}

// Environments lists the phase's environment IDs, automatic ones first.
func (p *PhaseProgression) Environments() []string {
	return append(append([]string(nil), p.AutomaticDeploymentTargets...), p.OptionalDeploymentTargets...)
}

// Required is how many successful environments complete the phase.
func (p *PhaseProgression) Required() int {
	n := len(p.AutomaticDeploymentTargets) + len(p.OptionalDeploymentTargets)
	if m := p.MinimumEnvironmentsBeforePromotion; m > 0 && m < n {
		return m
	}
	return n
}

// Progression is where a release stands in its lifecycle: which phases are
// complete and where it may be deployed now.
type Progression struct {
	LifecycleID   string
	LifecycleName string
	Phases        []PhaseProgression
	// NextDeployments are the environments of the current phases not yet
	// deployed successfully: where the release goes next.
	NextDeployments []string
	// NextDeploymentsMinimumRequired is how many of NextDeployments the
	// first current phase still needs before the following one opens.
	NextDeploymentsMinimumRequired int
}

// Allows reports whether the release may be deployed to envID now: the
// environment belongs to a phase that is open (Current or Complete).
// Redeploying to an environment of an earlier phase is always allowed.
func (p *Progression) Allows(envID string) bool {
	for _, ph := range p.Phases {
		if ph.Progress != PhasePending && ContainsFold(ph.Environments(), envID) {
			return true
		}
	}
	return false
}

// Check returns nil when the release may be deployed to env, else an
// EINVALID error that says why, in the words the portal shows.
func (p *Progression) Check(env *Environment, releaseVersion string) error {
	if p.Allows(env.ID) {
		return nil
	}
	for i, ph := range p.Phases {
		if ContainsFold(ph.Environments(), env.ID) {
			return Invalid(fmt.Sprintf("Release %s cannot be deployed to %s yet: the lifecycle '%s' puts %s in the phase '%s', which opens when the phases before it are complete (%s).",
				releaseVersion, env.Name, p.LifecycleName, env.Name, ph.Name, p.blockers(i)))
		}
	}
	return Invalid(fmt.Sprintf("Release %s cannot be deployed to %s: the environment is not part of the lifecycle '%s'.",
		releaseVersion, env.Name, p.LifecycleName))
}

// blockers describes the incomplete required phases before phase n.
func (p *Progression) blockers(n int) string {
	s := ""
	for _, ph := range p.Phases[:n] {
		if ph.Progress == PhaseComplete || ph.IsOptionalPhase {
			continue
		}
		if s != "" {
			s += "; "
		}
		s += fmt.Sprintf("'%s' needs %d successful of %d, has %d", ph.Name, ph.Required(), len(ph.Environments()), len(ph.Succeeded))
	}
	return s
}

// AutomaticNow lists the automatic deployment targets of open phases, in
// phase order: the environments a release deploys to by itself as soon as
// their phase opens. Optional phases never deploy automatically.
func (p *Progression) AutomaticNow() []string {
	var out []string
	for _, ph := range p.Phases {
		if ph.Progress != PhasePending && !ph.IsOptionalPhase {
			out = append(out, ph.AutomaticDeploymentTargets...)
		}
	}
	return out
}

// Progress computes a release's progression through l. envs are every
// environment of the space in sort order; succeeded holds the IDs of the
// environments where the release has a successful deployment.
//
// The rules (Octopus's): phases open in order; a phase opens when every
// earlier phase is complete or optional; a phase is complete when the
// required number of its environments (MinimumEnvironmentsBeforePromotion,
// 0 = all) has a successful deployment. A phase that lists no environment
// takes every environment no earlier phase lists, future ones included. A
// lifecycle without phases has one phase per environment, in sort order.
// An environment listed by two phases belongs to the first.
func Progress(l *Lifecycle, envs []*Environment, succeeded map[string]bool) *Progression {
	p := &Progression{LifecycleID: l.ID, LifecycleName: l.Name}
	phases := l.Phases
	if len(phases) == 0 {
		for _, e := range envs {
			phases = append(phases, Phase{ID: e.ID, Name: e.Name, OptionalDeploymentTargets: []string{e.ID}})
		}
	}
	known := map[string]*Environment{}
	for _, e := range envs {
		known[foldKey(e.ID)] = e
	}
	taken := map[string]bool{}
	take := func(ids []string) []string {
		var out []string
		for _, id := range ids {
			e := known[foldKey(id)]
			if e == nil || taken[foldKey(e.ID)] {
				continue // deleted since, or already in an earlier phase
			}
			taken[foldKey(e.ID)] = true
			out = append(out, e.ID)
		}
		return out
	}
	open := true
	for i, ph := range phases {
		pp := PhaseProgression{ID: ph.ID, Name: ph.Name, MinimumEnvironmentsBeforePromotion: ph.MinimumEnvironmentsBeforePromotion,
			IsOptionalPhase: ph.IsOptionalPhase}
		if len(ph.AutomaticDeploymentTargets)+len(ph.OptionalDeploymentTargets) == 0 {
			for _, e := range envs {
				if !listedIn(phases[:i], e.ID) && !taken[foldKey(e.ID)] {
					pp.OptionalDeploymentTargets = append(pp.OptionalDeploymentTargets, e.ID)
				}
			}
			take(pp.OptionalDeploymentTargets)
		} else {
			pp.AutomaticDeploymentTargets = take(ph.AutomaticDeploymentTargets)
			pp.OptionalDeploymentTargets = take(ph.OptionalDeploymentTargets)
		}
		for _, id := range pp.Environments() {
			if succeeded[id] {
				pp.Succeeded = append(pp.Succeeded, id)
			}
		}
		complete := len(pp.Succeeded) >= pp.Required()
		switch {
		case complete && open:
			pp.Progress = PhaseComplete
		case open:
			pp.Progress = PhaseCurrent
		default:
			pp.Progress = PhasePending
		}
		if pp.Progress == PhaseCurrent {
			first := p.NextDeploymentsMinimumRequired == 0 && len(p.NextDeployments) == 0
			for _, id := range pp.Environments() {
				if !succeeded[id] {
					p.NextDeployments = append(p.NextDeployments, id)
				}
			}
			if first {
				p.NextDeploymentsMinimumRequired = pp.Required() - len(pp.Succeeded)
			}
		}
		// Completeness is judged on the deployments alone; a later phase
		// stays closed behind an incomplete required one.
		open = open && (complete || ph.IsOptionalPhase)
		p.Phases = append(p.Phases, pp)
	}
	return p
}

// listedIn reports whether one of phases lists envID.
func listedIn(phases []Phase, envID string) bool {
	for _, ph := range phases {
		if ContainsFold(ph.AutomaticDeploymentTargets, envID) || ContainsFold(ph.OptionalDeploymentTargets, envID) {
			return true
		}
	}
	return false
}

// foldKey is an ID as a map key that ignores case.
func foldKey(id string) string { return strings.ToLower(id) }
