// Package template implements the Octostache "#{…}" variable-substitution
// language used by Octopus Deploy, so that users' existing templates render
// the same text under Argonaut.
//
// The language, in brief:
//
//	#{Name}                          binding (names may hold dots, spaces, indexers)
//	#{Octopus.Action[Step A].Name}   indexed binding; #{A[#{B}]} resolves B first
//	##{Name}                         the literal text "#{Name}"
//	#{Name | ToUpper | Trim}         filters, applied left to right
//	#{if X}…#{elseif Y}…#{else}…#{/if}, #{unless X}…#{/unless}, X == "lit", X != Y
//	#{each item in Collection}…#{/each}
//	#{calc A * 2 + {B-C}}
//
// Variables are an ordered, case-insensitive dictionary (see Variables). Each
// name is parsed into a path and the paths form a tree; values are themselves
// templates and are evaluated recursively, with cycle detection.
//
// Evaluate never panics. Every evaluation is bounded by Limits (recursion
// depth, total output bytes and evaluation steps); exceeding one returns a
// *LimitError.
//
// Evaluate parses and evaluates in one pass (stream.go): literal text is
// copied straight from the source, and a plain binding (#{Name}, #{A.B.C})
// whose value holds no template is looked up, through a flat index of the
// tree's names for a large template (names.go), without building any parse
// node. Everything else goes through the general parser and evaluator, which
// the fast paths must agree with exactly: fastpath_test.go compares the two
// on every conformance case, under every small limit, and in a fuzz target.
//
// The grammar and semantics follow the research notes in
// shared/conformance/NOTES.md and are checked against the upstream test
// vectors in shared/conformance/octostache.json (see conformance_test.go).
package template
