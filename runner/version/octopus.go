package version

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// ParseOctopus parses text with the permissive Octopus grammar
// (OctopusVersionParser), which also reads Docker tags and feeds the
// Version* template filters:
//
//	[v|V] major [. minor [. patch [. revision]]] [sep] prerelease [+ metadata]
//
// Every part is optional: "latest" is 0.0.0 with prerelease "latest",
// "+meta" is 0.0.0 with metadata. A separator ('.', '-', '_' or '\') may
// introduce the prerelease, which is "prefix[sep counter]": the prefix is
// letters and digits, the counter letters, digits and separators. Metadata
// is letters, digits, separators and '+'. Whitespace is tolerated around
// the numbers and at both ends (old Octopus releases were created with
// spaces), but not inside the prerelease or metadata. Numbers must fit in
// an int32 (ErrOverflow); blank text and any other character are
// ErrInvalid.
func ParseOctopus(text string) (Version, error) {
	v, err := parseOctopus(text)
	if err != nil {
		return Version{}, fmt.Errorf("version: parse %q as octopus: %w", text, err)
	}
	return v, nil
}

// ParseDocker parses a Docker tag. Tags use the Octopus grammar; the only
// difference is that the tag "latest" is not a prerelease.
func ParseDocker(text string) (Version, error) {
	v, err := parseOctopus(text)
	if err != nil {
		return Version{}, fmt.Errorf("version: parse %q as docker tag: %w", text, err)
	}
	v.Scheme = Docker
	return v, nil
}

// ParseLexicographic parses an opaque version such as a commit hash or a
// date stamp: "release[+metadata]" where release is letters and digits,
// optionally followed by a separator and letters, digits and separators.
// Leading whitespace, blank text and other characters are ErrInvalid.
func ParseLexicographic(text string) (Version, error) {
	if isBlank(text) {
		return Version{}, fmt.Errorf("version: parse %q as lexicographic: %w", text, ErrInvalid)
	}
	release, meta, err := splitReleaseMetadata(trimRightSpace(text))
	if err != nil {
		return Version{}, fmt.Errorf("version: parse %q as lexicographic: %w", text, err)
	}
	if _, _, ok := splitRelease(release); !ok {
		return Version{}, fmt.Errorf("version: parse %q as lexicographic: %w", text, ErrInvalid)
	}
	return Version{
		Scheme:   Lexicographic,
		Release:  release,
		Metadata: meta,
		text:     strings.ReplaceAll(text, " ", ""),
	}, nil
}

func parseOctopus(text string) (Version, error) {
	if isBlank(text) {
		return Version{}, ErrInvalid
	}
	v := Version{Scheme: Octopus, text: strings.ReplaceAll(text, " ", "")}

	start := skipSpace(text, 0)
	rest := start
	if end, ok, err := v.scanOctopusNumbers(text, start); err != nil {
		return Version{}, err
	} else if ok {
		rest = end
	}

	release, meta, err := splitReleaseMetadata(trimRightSpace(text[rest:]))
	if err != nil {
		return Version{}, err
	}
	// One separator between the numbers and the prerelease belongs to
	// neither ("1.0.0-beta" has prerelease "beta", "19.0.0.Final" has
	// "Final").
	if release != "" && isReleaseSeparator(release[0]) {
		release = release[1:]
	}
	prefix, counter, ok := splitRelease(release)
	if !ok {
		return Version{}, ErrInvalid
	}
	v.Release, v.ReleasePrefix, v.ReleaseCounter, v.Metadata = release, prefix, counter, meta
	return v, nil
}

// scanOctopusNumbers reads "[v] major[.minor[.patch[.revision]]]" with the
// whitespace Octopus tolerates around each number. It reports where the
// prerelease starts, or ok=false when the text does not start with a
// number (then everything is prerelease: "latest", "vNext").
func (v *Version) scanOctopusNumbers(s string, i int) (end int, ok bool, err error) {
	j := i
	prefix := ""
	if j < len(s) && (s[j] == 'v' || s[j] == 'V') {
		// The 'v' only counts when a number follows; "vNext" is text.
		k := skipSpace(s, j+1)
		if k < len(s) && isDigit(s[k]) {
			prefix = s[j : j+1]
			j = k
		}
	}
	j = skipSpace(s, j)
	major, j, found, err := scanInt32(s, j)
	if err != nil || !found {
		return 0, false, err
	}
	v.Prefix, v.Major = prefix, major
	j = skipSpace(s, j)
	fields := []*int{&v.Minor, &v.Patch, &v.Revision}
	for _, f := range fields {
		// ".<number>" or nothing: a dot not followed by a number is left
		// for the prerelease ("19.0.0.Final").
		if j >= len(s) || s[j] != '.' {
			break
		}
		k := skipSpace(s, j+1)
		n, k, found, err := scanInt32(s, k)
		if err != nil {
			return 0, false, err
		}
		if !found {
			break
		}
		*f = n
		j = skipSpace(s, k)
	}
	return j, true, nil
}

// scanInt32 reads a run of ASCII digits at i as an int32.
func scanInt32(s string, i int) (n, end int, found bool, err error) {
	j := i
	var x int64
	for j < len(s) && isDigit(s[j]) {
		if x <= 1<<31 {
			x = x*10 + int64(s[j]-'0')
		}
		j++
	}
	if j == i {
		return 0, i, false, nil
	}
	if x > 1<<31-1 {
		return 0, i, false, ErrOverflow
	}
	return int(x), j, true, nil
}

// splitReleaseMetadata splits "release+metadata" at the first '+' and
// checks the character sets: no whitespace anywhere, release letters,
// digits and separators, metadata the same plus '+'.
func splitReleaseMetadata(s string) (release, meta string, err error) {
	release = s
	if i := strings.IndexByte(s, '+'); i >= 0 {
		release, meta = s[:i], s[i+1:]
	}
	for i := 0; i < len(release); i++ {
		if !isAlnum(release[i]) && !isReleaseSeparator(release[i]) {
			return "", "", ErrInvalid
		}
	}
	for i := 0; i < len(meta); i++ {
		if !isAlnum(meta[i]) && !isReleaseSeparator(meta[i]) && meta[i] != '+' {
			return "", "", ErrInvalid
		}
	}
	return release, meta, nil
}

// splitRelease splits a prerelease into the alphanumeric prefix and the
// counter after the first separator. ok is false when the prefix is
// followed by anything but a separator.
func splitRelease(release string) (prefix, counter string, ok bool) {
	i := 0
	for i < len(release) && isAlnum(release[i]) {
		i++
	}
	if i == len(release) {
		return release, "", true
	}
	if !isReleaseSeparator(release[i]) {
		return "", "", false
	}
	return release[:i], release[i+1:], true
}

// compareOctopus implements OctopusVersion.CompareTo: numbers, then a
// version without prerelease above one with, then the prerelease text.
func compareOctopus(a, b Version) int {
	if c := compareNumbers(a, b); c != 0 {
		return c
	}
	switch {
	case a.Release != "" && b.Release == "":
		return -1
	case a.Release == "" && b.Release != "":
		return 1
	}
	return compareReleaseText(a.Release, b.Release)
}

// compareReleaseText compares prerelease text the Octopus way: every
// character that is not a letter or digit is a separator, so "beta-2",
// "beta_2" and "beta.2" are equal, and the labels between separators are
// compared with compareLabel ("beta.2" < "beta.11").
func compareReleaseText(a, b string) int {
	na, nb := alnumOnly(a), alnumOnly(b)
	if na == nb {
		return 0
	}
	return compareLabels(strings.Split(na, "-"), strings.Split(nb, "-"))
}

// alnumOnly replaces every rune that is not a Unicode letter or number with
// '-'.
func alnumOnly(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsNumber(r) {
			b.WriteRune(r)
		} else {
			b.WriteByte('-')
		}
	}
	return b.String()
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func isAlnum(c byte) bool {
	return isDigit(c) || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z')
}

func isReleaseSeparator(c byte) bool {
	return c == '.' || c == '-' || c == '_' || c == '\\'
}

// isBlank is .NET's string.IsNullOrWhiteSpace.
func isBlank(s string) bool { return strings.TrimSpace(s) == "" }

// skipSpace skips Unicode whitespace from i.
func skipSpace(s string, i int) int {
	for i < len(s) {
		r, n := utf8.DecodeRuneInString(s[i:])
		if !unicode.IsSpace(r) {
			break
		}
		i += n
	}
	return i
}

func trimRightSpace(s string) string { return strings.TrimRightFunc(s, unicode.IsSpace) }
