package version

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
)

// Release version masks (project "release versioning" settings and channel
// rules) are versions in which a numeric field, or the last dot-separated
// label of the prerelease or metadata, may be "i" (increment the latest
// release's value) or "c" (keep it):
//
//	[v|V] M[.m[.p[.r]]] [-prerelease] [+metadata]   each of M, m, p, r: digits, i or c
//
// The grammar is exact: no whitespace anywhere, and only '-' introduces the
// prerelease ("1.2.3_i" is not a mask but an ordinary version).

// maskPart is one field of a parsed mask; present is false when the mask
// has no such field.
type maskPart struct {
	present bool
	value   string
}

func (p maskPart) isSubstitute() bool {
	return p.present && (p.value == "i" || p.value == "c")
}

// isTagSubstitute reports whether a prerelease or metadata part ends in
// ".i" or ".c". A lone "i" ("1.2.3.4-i") is applied as a mask all the same
// but does not make IsMask true; Octopus keeps that quirk for
// compatibility with its original mask implementation.
func (p maskPart) isTagSubstitute() bool {
	return p.present && (strings.HasSuffix(p.value, ".i") || strings.HasSuffix(p.value, ".c"))
}

type mask struct {
	prefix                        string
	major, minor, patch, revision maskPart
	release, metadata             maskPart
}

// parseMask parses text with the mask grammar. ok is false when the text is
// not shaped like a mask; the returned mask then has no parts.
func parseMask(text string) (m mask, ok bool) {
	s := text
	if strings.IndexFunc(s, unicode.IsSpace) >= 0 {
		return mask{}, false
	}
	// The numbers are optional, but a 'v' only counts before a field.
	i := 0
	if len(s) > 0 && (s[0] == 'v' || s[0] == 'V') {
		if _, _, found := maskField(s[1:]); found {
			m.prefix = s[:1]
			i = 1
		}
	}
	if f, n, found := maskField(s[i:]); found {
		m.major = maskPart{true, f}
		i += n
		for _, p := range []*maskPart{&m.minor, &m.patch, &m.revision} {
			if i >= len(s) || s[i] != '.' {
				break
			}
			f, n, found := maskField(s[i+1:])
			if !found {
				return mask{}, false
			}
			*p = maskPart{true, f}
			i += 1 + n
		}
	}

	rest := s[i:]
	if strings.HasPrefix(rest, "-") {
		rel := rest[1:]
		if j := strings.IndexByte(rel, '+'); j >= 0 {
			rel = rel[:j]
		}
		m.release = maskPart{true, rel}
		rest = rest[1+len(rel):]
	}
	if strings.HasPrefix(rest, "+") {
		m.metadata = maskPart{true, rest[1:]}
		rest = ""
	}
	if rest != "" {
		return mask{}, false
	}
	return m, true
}

// maskField reads one numeric mask field: digits, "i" or "c", which must be
// followed by '.', '-', '+' or the end.
func maskField(s string) (field string, n int, ok bool) {
	switch {
	case s == "":
		return "", 0, false
	case isDigit(s[0]):
		for n < len(s) && isDigit(s[n]) {
			n++
		}
	case s[0] == 'i' || s[0] == 'c':
		n = 1
	default:
		return "", 0, false
	}
	if n < len(s) && !strings.ContainsRune(".-+", rune(s[n])) {
		return "", 0, false
	}
	return s[:n], n, true
}

// IsMask reports whether text is a release version mask: it has the mask
// shape and an "i" or "c" numeric field, or a prerelease or metadata ending
// in ".i" or ".c".
func IsMask(text string) bool {
	m, ok := parseMask(text)
	if !ok {
		return false
	}
	return m.major.isSubstitute() || m.minor.isSubstitute() || m.patch.isSubstitute() ||
		m.revision.isSubstitute() || m.release.isTagSubstitute() || m.metadata.isTagSubstitute()
}

// ApplyMask computes the next version from a mask and the latest existing
// version (nil when there is none), as Octopus does when it creates a
// release. Text that is not shaped like a mask is returned as an ordinary
// Octopus version ("1.2.3_i" stays "1.2.3_i"); whitespace makes text
// unshaped, and then the Octopus parser decides (" 1.2.3-i " is
// "1.2.3-i", "1.2.3- i" is an error).
//
// Rules, in Octopus's words-by-example:
//   - with no latest version, i and c become 0;
//   - otherwise each field comes from the mask, with i the latest's value
//     plus one and c the latest's value; a field after an incremented one
//     resets to 0 when it is itself i or c ("i.c.c" after 1.2.3 is 2.0.3:
//     only the field right after the increment resets);
//   - a field the mask lacks but the latest version has is added as 0
//     ("1.2.3-x" after 1.2.2.2 is 1.2.3.0-x);
//   - prerelease and metadata labels are matched by position with the
//     latest's dot-separated labels; non-numeric labels count as 0.
func ApplyMask(maskText string, latest *Version) (string, error) {
	m, ok := parseMask(maskText)
	if !ok {
		v, err := ParseOctopus(maskText)
		if err != nil {
			return "", fmt.Errorf("version: apply mask %q: %w", maskText, err)
		}
		return v.String(), nil
	}
	var text string
	var err error
	if latest == nil {
		text = m.fromMask()
	} else {
		cur, _ := parseMask(latest.String())
		text, err = m.fromCurrent(cur)
		if err != nil {
			return "", fmt.Errorf("version: apply mask %q to %q: %w", maskText, latest.String(), err)
		}
	}
	v, err := ParseOctopus(text)
	if err != nil {
		return "", fmt.Errorf("version: apply mask %q: %w", maskText, err)
	}
	return v.String(), nil
}

// fromMask builds the first version from a mask: i and c are 0.
func (m mask) fromMask() string {
	var b strings.Builder
	b.WriteString(m.prefix)
	for i, p := range []maskPart{m.major, m.minor, m.patch, m.revision} {
		if !p.present {
			continue
		}
		if i > 0 {
			b.WriteByte('.')
		}
		if p.isSubstitute() {
			b.WriteByte('0')
		} else {
			b.WriteString(p.value)
		}
	}
	for _, t := range []struct {
		sep  byte
		part maskPart
	}{{'-', m.release}, {'+', m.metadata}} {
		if !t.part.present || t.part.value == "" {
			continue
		}
		labels := splitLabels(t.part.value, ".-_")
		for i, l := range labels {
			if l == "i" || l == "c" {
				labels[i] = "0"
			}
		}
		b.WriteByte(t.sep)
		b.WriteString(strings.Join(labels, "."))
	}
	return b.String()
}

// fromCurrent builds the next version from a mask and the latest version
// read with the mask grammar.
func (m mask) fromCurrent(cur mask) (string, error) {
	var b strings.Builder
	b.WriteString(m.prefix)
	major, err := substitute(m.major, cur.major)
	if err != nil {
		return "", err
	}
	b.WriteString(major)
	fields := []struct{ mask, cur, prev maskPart }{
		{m.minor, cur.minor, m.major},
		{m.patch, cur.patch, m.minor},
		{m.revision, cur.revision, m.patch},
	}
	for _, f := range fields {
		switch {
		case f.mask.present && (f.prev.value != "i" || !f.mask.isSubstitute()):
			s, err := substitute(f.mask, f.cur)
			if err != nil {
				return "", err
			}
			b.WriteString("." + s)
		case f.mask.present, f.cur.present && f.prev.present:
			b.WriteString(".0")
		}
	}
	if m.release.present && m.release.value != "" {
		b.WriteString("-" + substituteLabels(m.release, cur.release))
	}
	if m.metadata.present && m.metadata.value != "" {
		b.WriteString("+" + substituteLabels(m.metadata, cur.metadata))
	}
	return b.String(), nil
}

// substitute evaluates one numeric mask field against the latest value.
func substitute(p, cur maskPart) (string, error) {
	if p.value != "i" && p.value != "c" {
		return p.value, nil
	}
	var n int64
	if cur.present {
		var err error
		if n, err = strconv.ParseInt(cur.value, 10, 64); err != nil {
			return "", fmt.Errorf("latest version field %q is not a number", cur.value)
		}
	}
	if p.value == "i" {
		n++
	}
	return strconv.FormatInt(n, 10), nil
}

// substituteLabels evaluates a prerelease or metadata mask label by label
// against the latest version's labels at the same positions.
func substituteLabels(p, cur maskPart) string {
	labels := splitLabels(p.value, ".-_")
	var current []string
	if cur.present {
		current = strings.Split(cur.value, ".")
	}
	out := make([]string, len(labels))
	for i, l := range labels {
		if i > 0 && labels[i-1] == "i" && p.isTagSubstitute() {
			out[i] = "0"
			continue
		}
		var n int64
		if i < len(current) {
			n, _ = parseLabelInt(current[i])
		}
		switch l {
		case "i":
			out[i] = strconv.FormatInt(n+1, 10)
		case "c":
			out[i] = strconv.FormatInt(n, 10)
		default:
			out[i] = l
		}
	}
	return strings.Join(out, ".")
}

// splitLabels splits s at every byte in seps, keeping empty labels (as
// .NET's String.Split does).
func splitLabels(s, seps string) []string {
	var out []string
	start := 0
	for i := 0; i < len(s); i++ {
		if strings.IndexByte(seps, s[i]) >= 0 {
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

// LatestMatchingMask returns the versions with the highest precedence among
// those whose numeric fields match the mask's fixed fields (fields from the
// first i or c on match anything), in input order; empty when none match.
// Precedence is Compare, which for Octopus versions ignores metadata, so
// several versions can tie; the first is the one Octopus picks as "latest".
func LatestMatchingMask(maskText string, versions []Version) []Version {
	m, _ := parseMask(maskText)
	want := func(p maskPart) (int, bool) {
		if !p.present || p.isSubstitute() {
			return 0, true
		}
		n, err := strconv.Atoi(p.value)
		return n, err == nil
	}
	parts := []maskPart{m.major, m.minor, m.patch, m.revision}
	var fixed [4]int
	for i, p := range parts {
		n, ok := want(p)
		if !ok {
			return nil
		}
		fixed[i] = n
	}
	matches := func(v Version) bool {
		got := [4]int{v.Major, v.Minor, v.Patch, v.Revision}
		for i, p := range parts {
			if p.isSubstitute() {
				return true
			}
			if got[i] != fixed[i] {
				return false
			}
		}
		return true
	}
	var best []Version
	for _, v := range versions {
		if !matches(v) {
			continue
		}
		switch {
		case len(best) == 0:
			best = append(best, v)
		default:
			switch c := Compare(v, best[0]); {
			case c > 0:
				best = append(best[:0], v)
			case c == 0:
				best = append(best, v)
			}
		}
	}
	return best
}
