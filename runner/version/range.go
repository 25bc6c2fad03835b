package version

import (
	"fmt"
	"strings"
)

// Range is a NuGet version range, the syntax of Octopus channel version
// rules and NuGet dependencies:
//
//	1.0          1.0 or higher (a bare version is a minimum, not an exact match)
//	[1.0]        exactly 1.0
//	[1.0,2.0)    1.0 inclusive to 2.0 exclusive; either bound may be empty
//	(,2.0]       up to 2.0 inclusive
//
// Bounds are SemVer versions (ParseSemVer) and keep their text; whitespace
// around the brackets, the comma and the numbers is ignored. Floating
// ranges ("1.0.*") are not supported.
type Range struct {
	// Min and Max are the bounds; nil means unbounded.
	Min, Max *Version
	// MinInclusive and MaxInclusive say whether a bound itself satisfies
	// the range. They are kept as written even for a missing bound.
	MinInclusive, MaxInclusive bool
}

// RangeError reports text that is not a valid range.
type RangeError struct {
	Syntax string // "nuget" or "maven"
	Text   string // the text as given
	Reason string // for Maven ranges, what is wrong
}

func (e *RangeError) Error() string {
	if e.Syntax == "maven" {
		return fmt.Sprintf("version: invalid maven version range %q: %s", e.Text, e.Reason)
	}
	// NuGet's wording, which Octopus shows to users.
	return fmt.Sprintf("version: '%s' is not a valid version string.", e.Text)
}

// ParseRange parses a NuGet version range. It accepts what NuGet accepts,
// including the empty "(1.0)" and "[1.0)", and refuses ranges with no
// bound at all ("(,)"), more than two bounds, and invalid versions, with a
// *RangeError.
func ParseRange(text string) (Range, error) {
	fail := func() (Range, error) { return Range{}, &RangeError{Syntax: "nuget", Text: text} }
	s := strings.TrimSpace(text)
	if s == "" {
		return fail()
	}
	var r Range
	var minText, maxText string
	if s[0] == '[' || s[0] == '(' {
		last := s[len(s)-1]
		if len(s) < 3 || (last != ']' && last != ')') {
			return fail()
		}
		r.MinInclusive, r.MaxInclusive = s[0] == '[', last == ']'
		parts := strings.Split(s[1:len(s)-1], ",")
		if len(parts) > 2 || (isBlank(parts[0]) && isBlank(parts[len(parts)-1])) {
			return fail()
		}
		minText, maxText = parts[0], parts[len(parts)-1]
	} else {
		r.MinInclusive = true
		minText = s
	}
	for _, b := range []struct {
		text  string
		bound **Version
	}{{minText, &r.Min}, {maxText, &r.Max}} {
		if isBlank(b.text) {
			continue
		}
		v, err := ParseSemVer(b.text)
		if err != nil {
			return fail()
		}
		*b.bound = &v
	}
	return r, nil
}

// Satisfies reports whether v lies in the range. Versions compare as SemVer
// with build metadata ignored on both sides, and prereleases are not
// excluded: (1.0.0-beta,2.0.0-beta) holds 2.0.0-alpha.
func (r Range) Satisfies(v Version) bool {
	if r.Min != nil {
		c := compareSemVer(*r.Min, v, false)
		if c > 0 || (c == 0 && !r.MinInclusive) {
			return false
		}
	}
	if r.Max != nil {
		c := compareSemVer(*r.Max, v, false)
		if c < 0 || (c == 0 && !r.MaxInclusive) {
			return false
		}
	}
	return true
}

// String formats the range in NuGet's normalised form: bounds normalised
// (Version.Normalized, so no metadata), ", " between them, and '(' or ')'
// next to a missing bound: "[1.0.0, )", "(, 2.0.0]".
func (r Range) String() string {
	var b strings.Builder
	if r.Min != nil && r.MinInclusive {
		b.WriteByte('[')
	} else {
		b.WriteByte('(')
	}
	if r.Min != nil {
		b.WriteString(r.Min.Normalized())
	}
	b.WriteString(", ")
	if r.Max != nil {
		b.WriteString(r.Max.Normalized())
	}
	if r.Max != nil && r.MaxInclusive {
		b.WriteByte(']')
	} else {
		b.WriteByte(')')
	}
	return b.String()
}

// Pretty formats the range for people, as NuGet's PrettyPrint does:
// "(>= 1.0.0)", "(= 1.0.0)", "(> 1.0.0 && < 2.0.0)".
func (r Range) Pretty() string {
	if r.Min != nil && r.Max != nil && r.MinInclusive && r.MaxInclusive && compareSemVer(*r.Min, *r.Max, false) == 0 {
		return "(= " + r.Min.Normalized() + ")"
	}
	var parts []string
	if r.Min != nil {
		op := "> "
		if r.MinInclusive {
			op = ">= "
		}
		parts = append(parts, op+r.Min.Normalized())
	}
	if r.Max != nil {
		op := "< "
		if r.MaxInclusive {
			op = "<= "
		}
		parts = append(parts, op+r.Max.Normalized())
	}
	return "(" + strings.Join(parts, " && ") + ")"
}
