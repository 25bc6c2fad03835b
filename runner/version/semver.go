package version

import (
	"fmt"
	"strconv"
	"strings"
)

// ParseSemVer parses the loose SemVer of NuGet feeds and the built-in
// repository (Octopus's SemVerFactory):
//
//	[v] major[.minor[.patch[.revision]]] [-label[.label...]] [+meta[.meta...]]
//
// Surrounding whitespace and one leading lower-case 'v' are ignored;
// whitespace is also tolerated around the numbers (System.Version does).
// Numbers are 1 to 4 non-negative int32 values, leading zeros allowed;
// labels and metadata identifiers are non-empty runs of ASCII letters,
// digits and '-'. Anything else, including an upper-case 'V', "1.0.*" and
// a trailing '-' or '+', is ErrInvalid.
//
// String returns the text as written (minus spaces), so "1.001.002" and
// "1.2.3.0" keep their form; Normalized gives NuGet's canonical form.
func ParseSemVer(text string) (Version, error) {
	v, err := parseSemVer(text)
	if err != nil {
		return Version{}, fmt.Errorf("version: parse %q as semver: %w", text, err)
	}
	return v, nil
}

func parseSemVer(text string) (Version, error) {
	original := strings.TrimSpace(text)
	value := strings.TrimPrefix(original, "v")
	if isBlank(value) {
		return Version{}, ErrInvalid
	}

	numbers, release, meta, hasMeta, ok := semverSections(value)
	if !ok || numbers == "" {
		return Version{}, ErrInvalid
	}
	if !strings.Contains(numbers, ".") {
		// System.Version needs two parts; "1" means "1.0".
		numbers += ".0"
	}
	parts := strings.Split(numbers, ".")
	if len(parts) > 4 {
		return Version{}, ErrInvalid
	}
	var fields [4]int
	for i, p := range parts {
		n, ok := parseVersionComponent(p)
		if !ok {
			return Version{}, ErrInvalid
		}
		fields[i] = n
	}
	if release != "" && !validIdentifiers(release) {
		return Version{}, ErrInvalid
	}
	if hasMeta && !validIdentifiers(meta) {
		return Version{}, ErrInvalid
	}
	return Version{
		Scheme:   SemVer,
		Major:    fields[0],
		Minor:    fields[1],
		Patch:    fields[2],
		Revision: fields[3],
		Release:  release,
		Metadata: meta,
		text:     strings.ReplaceAll(original, " ", ""),
	}, nil
}

// semverSections splits "numbers-release+meta" at the first '-' or '+' and
// then at the first following '+'. A separator as the last character makes
// the text invalid, as does an empty release after '-'.
func semverSections(s string) (numbers, release, meta string, hasMeta, ok bool) {
	i := strings.IndexAny(s, "-+")
	if i < 0 {
		return s, "", "", false, true
	}
	if i == len(s)-1 {
		return "", "", "", false, false
	}
	numbers = s[:i]
	if s[i] == '+' {
		return numbers, "", s[i+1:], true, true
	}
	rest := s[i+1:]
	if j := strings.IndexByte(rest, '+'); j >= 0 {
		if j == len(rest)-1 {
			return "", "", "", false, false
		}
		return numbers, rest[:j], rest[j+1:], true, true
	}
	return numbers, rest, "", false, true
}

// parseVersionComponent reads one System.Version component: an int32 >= 0
// with optional surrounding ASCII whitespace and an optional sign.
func parseVersionComponent(s string) (int, bool) {
	s = strings.Trim(s, " \t\n\v\f\r")
	if s == "" {
		return 0, false
	}
	if s[0] == '+' {
		s = s[1:]
	}
	if s == "" || s[0] == '+' || s[0] == '-' {
		// "-0" is technically accepted by .NET; refusing it loses nothing.
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(s, 10, 32)
	if err != nil {
		return 0, false
	}
	return int(n), true
}

// validIdentifiers checks dot-separated SemVer identifiers: each non-empty
// and made of ASCII letters, digits and '-'. Leading zeros are allowed.
func validIdentifiers(s string) bool {
	for _, id := range strings.Split(s, ".") {
		if id == "" {
			return false
		}
		for i := 0; i < len(id); i++ {
			if !isAlnum(id[i]) && id[i] != '-' {
				return false
			}
		}
	}
	return true
}

// Normalized returns NuGet's normalised form of the version: at least three
// numbers ("1.2" is "1.2.0"), a fourth only when it is not zero, leading
// zeros dropped, the prerelease kept and metadata dropped. It is what NuGet
// prints for range bounds.
func (v Version) Normalized() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d.%d.%d", v.Major, v.Minor, v.Patch)
	if v.Revision > 0 {
		fmt.Fprintf(&b, ".%d", v.Revision)
	}
	if v.Release != "" {
		b.WriteByte('-')
		b.WriteString(v.Release)
	}
	return b.String()
}

// compareSemVer is Octopus's VersionComparer: the four numbers, then a
// release above its prereleases, then the dot-separated labels, then
// (withMetadata) the metadata case-insensitively.
func compareSemVer(a, b Version, withMetadata bool) int {
	if c := compareNumbers(a, b); c != 0 {
		return c
	}
	switch {
	case a.Release != "" && b.Release == "":
		return -1
	case a.Release == "" && b.Release != "":
		return 1
	case a.Release != "":
		if c := compareLabels(strings.Split(a.Release, "."), strings.Split(b.Release, ".")); c != 0 {
			return c
		}
	}
	if withMetadata {
		return compareFoldASCII(a.Metadata, b.Metadata)
	}
	return 0
}
