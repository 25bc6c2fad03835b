// Package version parses, compares and formats package and release versions
// the way Octopus Deploy does, and splits package file names into ID,
// version and extension.
//
// Several version schemes coexist, because Octopus uses a different parser
// for each kind of feed:
//
//   - Octopus: the permissive parser used for release numbers, Docker tags and
//     the Version* template filters. Almost any text parses; a missing number
//     is 0 and everything after the numbers is the prerelease.
//   - SemVer: the NuGet-style "loose" SemVer of NuGet feeds and the built-in
//     repository: 1 to 4 numeric parts, dot-separated prerelease labels and
//     build metadata.
//   - Maven: Maven artifact versions, compared with Maven's ComparableVersion
//     rules (alpha < beta < milestone < rc < snapshot < release < sp).
//   - Docker: Octopus parsing, except that the tag "latest" is not a
//     prerelease.
//   - Lexicographic: opaque text compared label by label (numbers as numbers).
//
// A Version keeps the text it was parsed from, so String returns
// "1.001.002" for 1.001.002: Octopus never normalises what a user wrote.
//
// The package has no dependencies outside the standard library; it is
// shared by the package feed, the runner's Version* filters and channel
// version rules.
package version

import (
	"errors"
	"fmt"
	"strings"
)

// Scheme identifies the grammar a Version was parsed with; comparison and
// the prerelease flag follow the scheme's rules.
type Scheme int

// The supported version schemes.
const (
	Octopus Scheme = iota
	SemVer
	Maven
	Docker
	Lexicographic
)

var schemeNames = [...]string{"octopus", "semver", "maven", "docker", "lexicographic"}

// String returns the lower-case scheme name used in conformance data and
// configuration ("octopus", "semver", "maven", "docker", "lexicographic").
func (s Scheme) String() string {
	if s < 0 || int(s) >= len(schemeNames) {
		return fmt.Sprintf("scheme(%d)", int(s))
	}
	return schemeNames[s]
}

// ParseScheme maps a scheme name (as returned by Scheme.String, case
// insensitive) back to the Scheme.
func ParseScheme(name string) (Scheme, error) {
	for i, n := range schemeNames {
		if strings.EqualFold(n, name) {
			return Scheme(i), nil
		}
	}
	return 0, fmt.Errorf("version: unknown scheme %q", name)
}

// Errors returned (wrapped) by the parsers. Use errors.Is to test for them.
var (
	// ErrInvalid means the text is not a version in the requested scheme.
	ErrInvalid = errors.New("not a valid version")
	// ErrOverflow means a numeric field does not fit in a signed 32-bit
	// integer. Octopus refuses such versions rather than reading the
	// digits as a prerelease.
	ErrOverflow = errors.New("major, minor, patch or revision field too large")
)

// Version is a parsed version. The zero value is the Octopus version
// "0.0.0" with empty text; build versions with the Parse functions.
//
// Version is a comparable value type: == compares the parsed fields and the
// text, which is stricter than Compare (Compare("1.0", "1.0.0") == 0).
type Version struct {
	// Scheme is the grammar the version was parsed with.
	Scheme Scheme
	// Prefix is the leading "v" or "V" an Octopus version was written
	// with, or "".
	Prefix string
	// Major, Minor, Patch and Revision are the numeric fields; a missing
	// field is 0. For Maven, Revision is the build number ("1.2.3-4").
	Major, Minor, Patch, Revision int
	// Release is the prerelease label without its leading separator
	// ("beta.1" in "1.0.0-beta.1"); for Maven it is the qualifier and for
	// Lexicographic versions the whole text before '+'.
	Release string
	// ReleasePrefix and ReleaseCounter split an Octopus Release at its
	// first separator ('.', '-', '_' or '\'): "beta" and "1" for
	// "beta.1". Other schemes leave them empty.
	ReleasePrefix, ReleaseCounter string
	// Metadata is the build metadata after '+', without the '+'.
	Metadata string

	text string
}

// String returns the version as written, without the spaces that Octopus
// tolerates around numbers (" 1 .2" is "1.2"). Octopus never normalises
// otherwise: "1.001.002" and "1.2.3.0" stay as they are.
func (v Version) String() string { return v.text }

// IsPrerelease reports whether the version is a prerelease under its
// scheme's rules: a non-empty prerelease for Octopus and SemVer; for Docker
// the tag "latest" is not a prerelease; for Maven only the well-known
// unstable qualifiers (alpha, beta, milestone, cr, rc, snapshot and their
// a1/b1/m1 short forms) count; Lexicographic versions never are.
func (v Version) IsPrerelease() bool {
	switch v.Scheme {
	case Docker:
		return v.Release != "" && v.text != "latest"
	case Maven:
		return mavenIsPrerelease(v.Release)
	case Lexicographic:
		return false
	default:
		return v.Release != ""
	}
}

// HasMetadata reports whether the version carries non-blank build metadata.
func (v Version) HasMetadata() bool {
	return strings.TrimSpace(v.Metadata) != ""
}

// Parse parses text with the given scheme's parser.
func Parse(scheme Scheme, text string) (Version, error) {
	switch scheme {
	case Octopus:
		return ParseOctopus(text)
	case SemVer:
		return ParseSemVer(text)
	case Maven:
		return ParseMaven(text)
	case Docker:
		return ParseDocker(text)
	case Lexicographic:
		return ParseLexicographic(text)
	}
	return Version{}, fmt.Errorf("version: parse %q: unknown scheme %d", text, int(scheme))
}

// MustParse is Parse for tests and constants: it panics on error.
func MustParse(scheme Scheme, text string) Version {
	v, err := Parse(scheme, text)
	if err != nil {
		panic(err)
	}
	return v
}

// Compare returns -1, 0 or +1 as a sorts before, equal to or after b.
//
// Both versions are compared with the rules of a's scheme when the schemes
// agree:
//
//   - Octopus and Docker: numbers, then any prerelease sorts below none,
//     then prerelease labels split at any non-alphanumeric character ('.',
//     '-', '_' and '\' are equivalent), numeric labels numerically and
//     below text labels, text labels case-insensitively. Metadata is
//     ignored.
//   - SemVer: numbers including the fourth, then prerelease labels split at
//     '.', then metadata case-insensitively (Octopus's fork of NuGet's
//     default comparer). Ranges ignore metadata; see Range.Satisfies.
//   - Maven: Maven's ComparableVersion on the text.
//   - Lexicographic: labels as for Octopus, with no numbers.
//
// Versions of different schemes are compared with the Octopus rules on
// their fields, which is what Octopus does with mixed IVersion values.
func Compare(a, b Version) int {
	if a.Scheme == b.Scheme {
		switch a.Scheme {
		case SemVer:
			return compareSemVer(a, b, true)
		case Maven:
			return compareMaven(a.text, b.text)
		case Lexicographic:
			return compareReleaseText(a.Release, b.Release)
		}
	}
	return compareOctopus(a, b)
}

func cmpInt(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// compareNumbers compares the four numeric fields.
func compareNumbers(a, b Version) int {
	if c := cmpInt(a.Major, b.Major); c != 0 {
		return c
	}
	if c := cmpInt(a.Minor, b.Minor); c != 0 {
		return c
	}
	if c := cmpInt(a.Patch, b.Patch); c != 0 {
		return c
	}
	return cmpInt(a.Revision, b.Revision)
}

// compareFoldASCII is .NET's StringComparer.OrdinalIgnoreCase for the
// ASCII text versions are made of: both sides upper-cased, then ordinal.
func compareFoldASCII(a, b string) int {
	n := min(len(a), len(b))
	for i := 0; i < n; i++ {
		ca, cb := upperASCII(a[i]), upperASCII(b[i])
		if ca != cb {
			return cmpInt(int(ca), int(cb))
		}
	}
	return cmpInt(len(a), len(b))
}

func upperASCII(c byte) byte {
	if 'a' <= c && c <= 'z' {
		return c - 'a' + 'A'
	}
	return c
}

// parseLabelInt reads a prerelease label as .NET's int.TryParse does for
// the characters a label can hold: an optional sign and decimal digits that
// fit in an int32. Labels that are not such numbers compare as text.
func parseLabelInt(s string) (int64, bool) {
	i := 0
	neg := false
	if i < len(s) && (s[i] == '-' || s[i] == '+') {
		neg = s[i] == '-'
		i++
	}
	if i == len(s) {
		return 0, false
	}
	var n int64
	for ; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
		if n > 1<<31 {
			return 0, false
		}
	}
	if neg {
		n = -n
	}
	if n > 1<<31-1 || n < -(1<<31) {
		return 0, false
	}
	return n, true
}

// compareLabel orders two prerelease labels: numbers numerically and before
// text, text case-insensitively (SemVer 2.0.0 precedence as NuGet applies
// it).
func compareLabel(a, b string) int {
	na, aNum := parseLabelInt(a)
	nb, bNum := parseLabelInt(b)
	switch {
	case aNum && bNum:
		switch {
		case na < nb:
			return -1
		case na > nb:
			return 1
		}
		return 0
	case aNum:
		return -1
	case bNum:
		return 1
	}
	return compareFoldASCII(a, b)
}

// compareLabels compares label lists element by element; a shorter list
// that is a prefix of the longer one sorts first ("alpha" < "alpha.1").
func compareLabels(a, b []string) int {
	for i := 0; i < len(a) || i < len(b); i++ {
		if i >= len(a) {
			return -1
		}
		if i >= len(b) {
			return 1
		}
		if c := compareLabel(a[i], b[i]); c != 0 {
			return c
		}
	}
	return 0
}
