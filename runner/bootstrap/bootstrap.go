// Package bootstrap builds the program a POSIX shell (sh or bash) runs for a
// script step: the Octopus helper functions (get_octopusvariable,
// set_octopusvariable, new_octopusartifact, fail_step, write_verbose,
// write_highlight, write_warning, write_wait, update_progress), a generated
// variable lookup, and the user's script.
//
// The result is meant to be handed to the shell through a pipe, never a file:
// it contains every variable value, sensitive ones included.
package bootstrap

import (
	_ "embed"
	"strings"
)

//go:embed bootstrap.sh
var helpers string

// Variable is a name and its (already evaluated) value.
type Variable struct {
	Name, Value string
}

// Script returns helpers, then a __octopus_lookup function for vars, then
// body. Names are matched case-insensitively (ASCII letters), as Octopus
// does; when a name appears twice the first one wins, so callers pass the
// winning value once. Values may hold any byte but NUL.
func Script(vars []Variable, body string) []byte {
	var b strings.Builder
	b.Grow(len(helpers) + len(body) + 64*len(vars) + 256)
	b.WriteString(helpers)
	b.WriteString("\n__octopus_lookup() {\n\tcase $1 in\n")
	for _, v := range vars {
		b.WriteString("\t")
		writeCaseFoldPattern(&b, v.Name)
		b.WriteString(") __octopus_value=")
		writeQuoted(&b, v.Value)
		b.WriteString(" ;;\n")
	}
	b.WriteString("\t*) return 1 ;;\n\tesac\n}\n\n")
	b.WriteString(body)
	if !strings.HasSuffix(body, "\n") {
		b.WriteString("\n")
	}
	return []byte(b.String())
}

// writeCaseFoldPattern writes a case pattern matching name with ASCII
// letters in either case: letters become [aA], everything else is quoted so
// that glob characters in names ('[', '*', '?') stay literal.
func writeCaseFoldPattern(b *strings.Builder, name string) {
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			writeQuoted(b, lit.String())
			lit.Reset()
		}
	}
	for _, r := range name {
		lower, upper := r, r
		switch {
		case 'a' <= r && r <= 'z':
			upper = r - 'a' + 'A'
		case 'A' <= r && r <= 'Z':
			lower = r - 'A' + 'a'
		default:
			lit.WriteRune(r)
			continue
		}
		flush()
		b.WriteByte('[')
		b.WriteRune(lower)
		b.WriteRune(upper)
		b.WriteByte(']')
	}
	flush()
	if name == "" {
		b.WriteString("''")
	}
}

// writeQuoted writes s as one single-quoted shell word.
func writeQuoted(b *strings.Builder, s string) {
	b.WriteByte('\'')
	b.WriteString(strings.ReplaceAll(s, "'", `'\''`))
	b.WriteByte('\'')
}
