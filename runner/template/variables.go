package template

import (
	"strings"
	"sync/atomic"
)

// Variables is an ordered dictionary of template variables. Names are
// case-insensitive (a later Set of "foo" replaces "Foo" in place, keeping its
// position), and insertion order is kept because #{each} over indexed
// collections and the [*] indexer follow it.
//
// A Variables value is not safe for concurrent mutation; concurrent Evaluate
// calls on an unchanging Variables are safe.
type Variables struct {
	names  []string       // as first written, in insertion order
	values []string       // parallel to names
	index  map[string]int // folded name -> position
	// cached is the variable tree evaluations share; Set clears it.
	cached atomic.Pointer[varTree]
}

// NewVariables returns an empty dictionary.
func NewVariables() *Variables {
	return &Variables{index: map[string]int{}}
}

// VariablesFrom builds a dictionary from name/value pairs, in order.
// It panics if pairs has an odd length (a programming error).
func VariablesFrom(pairs ...string) *Variables {
	if len(pairs)%2 != 0 {
		panic("template: VariablesFrom needs name/value pairs")
	}
	v := NewVariables()
	for i := 0; i < len(pairs); i += 2 {
		v.Set(pairs[i], pairs[i+1])
	}
	return v
}

// Set adds or replaces a variable. Replacing keeps the original position and
// spelling of the name.
func (v *Variables) Set(name, value string) {
	if v.index == nil {
		v.index = map[string]int{}
	}
	v.cached.Store(nil)
	k := foldKey(name)
	if i, ok := v.index[k]; ok {
		v.values[i] = value
		return
	}
	v.index[k] = len(v.names)
	v.names = append(v.names, name)
	v.values = append(v.values, value)
}

// Get returns the raw (unevaluated) value of a variable.
func (v *Variables) Get(name string) (string, bool) {
	if v == nil {
		return "", false
	}
	i, ok := v.index[foldKey(name)]
	if !ok {
		return "", false
	}
	return v.values[i], true
}

// Len returns the number of variables.
func (v *Variables) Len() int {
	if v == nil {
		return 0
	}
	return len(v.names)
}

// Names returns the variable names in insertion order.
func (v *Variables) Names() []string {
	if v == nil {
		return nil
	}
	return append([]string(nil), v.names...)
}

// foldKey maps a name to its case-insensitive lookup key. Octostache compares
// with OrdinalIgnoreCase; lower-casing is the closest Go equivalent. The ASCII
// fast path avoids an allocation for the common already-lower case.
func foldKey(s string) string {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x80 || ('A' <= c && c <= 'Z') {
			return strings.ToLower(s)
		}
	}
	return s
}
