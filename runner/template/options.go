package template

import (
	"fmt"
	"strings"
	"time"
)

// Options control one evaluation. The zero value is ready to use: it halts on
// parse errors (Octostache's default), reads the wall clock and uses the
// default limits.
type Options struct {
	// ContinueOnParseError keeps text that fails to parse as literal text and
	// carries on (Octostache's haltOnError=false). By default a template that
	// does not parse is returned unchanged with Result.ParseError set.
	ContinueOnParseError bool
	// Now returns the current time for NowDate and NowDateUtc; nil means
	// time.Now. Tests inject a fixed clock.
	Now func() time.Time
	// Location is the "local" time zone for NowDate and for dates written
	// without an offset; nil means time.Local.
	Location *time.Location
	// Limits bound the work one evaluation may do; zero fields take defaults.
	Limits Limits
}

// Limits bound an evaluation so that no template or variable set can use
// unbounded time or memory. Exceeding one makes Evaluate return a *LimitError.
type Limits struct {
	// MaxDepth bounds nested evaluation: variable values referencing
	// variables, loop bodies, nested option tokens. Default 200.
	MaxDepth int
	// MaxOutputBytes bounds the total text produced, counting intermediate
	// results (nested values, filter results), not just the final output.
	// Default 64 MiB.
	MaxOutputBytes int
	// MaxSteps bounds the number of lookups, tokens, loop iterations and
	// filter calls. Default 5,000,000.
	MaxSteps int
}

// Default limits.
const (
	DefaultMaxDepth       = 200
	DefaultMaxOutputBytes = 64 << 20
	DefaultMaxSteps       = 5_000_000
)

func (l Limits) withDefaults() Limits {
	if l.MaxDepth <= 0 {
		l.MaxDepth = DefaultMaxDepth
	}
	if l.MaxOutputBytes <= 0 {
		l.MaxOutputBytes = DefaultMaxOutputBytes
	}
	if l.MaxSteps <= 0 {
		l.MaxSteps = DefaultMaxSteps
	}
	return l
}

// LimitError reports that an evaluation exceeded one of its Limits.
type LimitError struct {
	Limit string // "depth", "output" or "steps"
	Max   int
}

func (e *LimitError) Error() string {
	switch e.Limit {
	case "depth":
		return fmt.Sprintf("template: evaluation nested deeper than %d levels (deeply nested or self-amplifying variables?)", e.Max)
	case "output":
		return fmt.Sprintf("template: evaluation produced more than %d bytes", e.Max)
	default:
		return fmt.Sprintf("template: evaluation took more than %d steps", e.Max)
	}
}

// RecursiveDefinitionError reports a variable whose value refers back to
// itself, directly or through other variables. The message matches
// Octostache's RecursiveDefinitionException.
type RecursiveDefinitionError struct {
	Symbol string   // the symbol met twice
	Chain  []string // the symbols being resolved, outermost first, ending with Symbol
}

func (e *RecursiveDefinitionError) Error() string {
	return fmt.Sprintf("An attempt to parse the variable symbol \"%s\" appears to have resulted in a self referencing loop (%s). Ensure that recursive loops do not exist in the variable values.",
		e.Symbol, strings.Join(e.Chain, " -> "))
}

// FilterError reports a filter that fails the whole evaluation instead of
// echoing its token (upstream throws for these): FromBase64 on invalid input
// and the Version* filters on an unparseable version.
type FilterError struct {
	Filter string
	Err    error
}

func (e *FilterError) Error() string {
	return fmt.Sprintf("template: filter %s: %v", e.Filter, e.Err)
}

func (e *FilterError) Unwrap() error { return e.Err }

// Result is the outcome of an evaluation that did not fail.
type Result struct {
	// Output is the rendered text. It is the unchanged input when the
	// template did not parse (see ParseError), and "" when Null is set.
	Output string
	// Null is set when an evaluated #{ | Null} made the whole result null
	// (Octostache returns null rather than a string).
	Null bool
	// Unresolved lists the echo text of every token that could not be
	// evaluated, distinct, in first-seen order.
	Unresolved []string
	// ParseError is set when the template did not parse in halt-on-error
	// mode.
	ParseError *ParseError
}

// HasError reports whether the evaluation had an error Octostache would
// report: a parse error or unresolved tokens.
func (r Result) HasError() bool { return r.ParseError != nil || len(r.Unresolved) > 0 }

// ErrorText returns Octostache's error text for the result, or "".
func (r Result) ErrorText() string {
	switch {
	case r.ParseError != nil:
		return r.ParseError.Error()
	case len(r.Unresolved) > 0:
		quoted := make([]string, len(r.Unresolved))
		for i, u := range r.Unresolved {
			quoted[i] = "'" + u + "'"
		}
		return "The following tokens were unable to be evaluated: " + strings.Join(quoted, ", ")
	}
	return ""
}
