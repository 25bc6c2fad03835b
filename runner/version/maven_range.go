package version

import (
	"strings"
)

// MavenRange is a Maven version range (maven-artifact VersionRange):
//
//	1.0              a "soft" recommendation: any version satisfies it
//	[1.0]            exactly 1.0
//	[1.0,2.0)        1.0 inclusive to 2.0 exclusive; either bound may be empty
//	(,1.0],[1.2,)    a union of ordered, non-overlapping restrictions
//
// Bounds are Maven versions compared with Maven's rules, so [1.0,1.2]
// contains 1.2-SNAPSHOT (a snapshot sorts below its release) and not
// 1.0-SNAPSHOT.
type MavenRange struct {
	// Recommended is the bare version of a soft range, else nil.
	Recommended *Version
	// Restrictions are the intervals, in order. A soft range has one
	// unbounded restriction; an over-constrained Restrict result has none.
	Restrictions []Restriction
}

// Restriction is one interval of a MavenRange; a nil bound is unbounded.
//
// The bounds are pointers on purpose: Restrict tells which side an upper
// bound came from by identity, exactly as Maven does, and an exact
// restriction "[1.0]" shares one Version for both bounds.
type Restriction struct {
	Lower, Upper                   *Version
	LowerInclusive, UpperInclusive bool
}

// Contains reports whether v lies in the restriction.
func (r Restriction) Contains(v Version) bool {
	if r.Lower != nil {
		c := Compare(*r.Lower, v)
		if c > 0 || (c == 0 && !r.LowerInclusive) {
			return false
		}
	}
	if r.Upper != nil {
		c := Compare(*r.Upper, v)
		if c < 0 || (c == 0 && !r.UpperInclusive) {
			return false
		}
	}
	return true
}

// String formats the restriction as "[lower,upper)", or "[v]" when both
// bounds are the same inclusive text, so that the text always parses back
// ("[1.0,1.0]" would not).
func (r Restriction) String() string {
	var b strings.Builder
	if r.Lower != nil && r.Upper != nil && r.Lower.String() == r.Upper.String() && r.LowerInclusive && r.UpperInclusive {
		return "[" + r.Lower.String() + "]"
	}
	if r.LowerInclusive {
		b.WriteByte('[')
	} else {
		b.WriteByte('(')
	}
	if r.Lower != nil {
		b.WriteString(r.Lower.String())
	}
	b.WriteByte(',')
	if r.Upper != nil {
		b.WriteString(r.Upper.String())
	}
	if r.UpperInclusive {
		b.WriteByte(']')
	} else {
		b.WriteByte(')')
	}
	return b.String()
}

// ParseMavenRange parses a Maven version range. Errors are *RangeError
// naming the problem: a single version not in [], identical or reversed
// bounds, an unclosed bracket, overlapping or unordered restrictions, or a
// bare version after a restriction.
func ParseMavenRange(text string) (MavenRange, error) {
	fail := func(reason string) (MavenRange, error) {
		return MavenRange{}, &RangeError{Syntax: "maven", Text: text, Reason: reason}
	}
	var r MavenRange
	var upperBound *Version
	process := text
	for strings.HasPrefix(process, "[") || strings.HasPrefix(process, "(") {
		end := strings.IndexAny(process, ")]")
		if end < 0 {
			return fail("unbounded range")
		}
		restriction, reason := parseMavenRestriction(process[:end+1])
		if reason != "" {
			return fail(reason)
		}
		if upperBound != nil && (restriction.Lower == nil || Compare(*restriction.Lower, *upperBound) < 0) {
			return fail("ranges overlap")
		}
		r.Restrictions = append(r.Restrictions, restriction)
		upperBound = restriction.Upper
		process = strings.TrimSpace(process[end+1:])
		if strings.HasPrefix(process, ",") {
			process = strings.TrimSpace(process[1:])
		}
	}
	if process != "" {
		if len(r.Restrictions) > 0 {
			return fail("only fully-qualified sets allowed in multiple set scenario")
		}
		v, err := ParseMaven(process)
		if err != nil {
			return fail(err.Error())
		}
		r.Recommended = &v
		r.Restrictions = append(r.Restrictions, Restriction{})
	}
	if len(r.Restrictions) == 0 {
		return fail("empty range")
	}
	return r, nil
}

// parseMavenRestriction parses one "[a,b)" group; reason is non-empty on
// error.
func parseMavenRestriction(spec string) (Restriction, string) {
	r := Restriction{
		LowerInclusive: strings.HasPrefix(spec, "["),
		UpperInclusive: strings.HasSuffix(spec, "]"),
	}
	inner := strings.TrimSpace(spec[1 : len(spec)-1])
	comma := strings.IndexByte(inner, ',')
	if comma < 0 {
		if !r.LowerInclusive || !r.UpperInclusive {
			return Restriction{}, "single version must be surrounded by []"
		}
		v, err := ParseMaven(inner)
		if err != nil {
			return Restriction{}, err.Error()
		}
		r.Lower, r.Upper = &v, &v
		return r, ""
	}
	lower, upper := strings.TrimSpace(inner[:comma]), strings.TrimSpace(inner[comma+1:])
	if lower == upper {
		return Restriction{}, "range cannot have identical boundaries"
	}
	for _, b := range []struct {
		text  string
		bound **Version
	}{{lower, &r.Lower}, {upper, &r.Upper}} {
		if b.text == "" {
			continue
		}
		v, err := ParseMaven(b.text)
		if err != nil {
			return Restriction{}, err.Error()
		}
		*b.bound = &v
	}
	if r.Lower != nil && r.Upper != nil && Compare(*r.Upper, *r.Lower) < 0 {
		return Restriction{}, "range defies version ordering"
	}
	return r, ""
}

// Contains reports whether any restriction contains v. A soft range
// ("1.0") contains every version.
func (r MavenRange) Contains(v Version) bool {
	for _, res := range r.Restrictions {
		if res.Contains(v) {
			return true
		}
	}
	return false
}

// String formats the range: the recommended version of a soft range, else
// the restrictions joined by ','.
func (r MavenRange) String() string {
	if r.Recommended != nil {
		return r.Recommended.String()
	}
	parts := make([]string, len(r.Restrictions))
	for i, res := range r.Restrictions {
		parts[i] = res.String()
	}
	return strings.Join(parts, ",")
}

// Restrict returns the intersection of r and o (Maven's
// VersionRange.restrict). The recommended version is r's if it lies in the
// intersection, else o's if that does; if the intersection is empty the
// result has no restrictions and keeps r's (else o's) recommendation.
func (r MavenRange) Restrict(o MavenRange) MavenRange {
	var out MavenRange
	if len(r.Restrictions) > 0 && len(o.Restrictions) > 0 {
		out.Restrictions = intersectRestrictions(r.Restrictions, o.Restrictions)
	}
	switch {
	case len(out.Restrictions) > 0:
		for _, res := range out.Restrictions {
			if r.Recommended != nil && res.Contains(*r.Recommended) {
				out.Recommended = r.Recommended
				break
			}
			if out.Recommended == nil && o.Recommended != nil && res.Contains(*o.Recommended) {
				out.Recommended = o.Recommended
			}
		}
	case r.Recommended != nil:
		out.Recommended = r.Recommended
	default:
		out.Recommended = o.Recommended
	}
	return out
}

// intersectRestrictions walks both ordered lists at once, as Maven does.
func intersectRestrictions(r1, r2 []Restriction) []Restriction {
	out := []Restriction{}
	i1, i2 := 0, 0
	for i1 < len(r1) && i2 < len(r2) {
		a, b := r1[i1], r2[i2]
		if a.Lower != nil && b.Upper != nil && Compare(*a.Lower, *b.Upper) > 0 {
			i2++ // b lies wholly below a
			continue
		}
		if a.Upper != nil && b.Lower != nil && Compare(*a.Upper, *b.Lower) < 0 {
			i1++ // a lies wholly below b
			continue
		}

		var res Restriction
		switch {
		case a.Lower == nil:
			res.Lower, res.LowerInclusive = b.Lower, b.LowerInclusive
		case b.Lower == nil:
			res.Lower, res.LowerInclusive = a.Lower, a.LowerInclusive
		default:
			switch c := Compare(*a.Lower, *b.Lower); {
			case c < 0:
				res.Lower, res.LowerInclusive = b.Lower, b.LowerInclusive
			case c == 0:
				res.Lower, res.LowerInclusive = a.Lower, a.LowerInclusive && b.LowerInclusive
			default:
				res.Lower, res.LowerInclusive = a.Lower, a.LowerInclusive
			}
		}
		switch {
		case a.Upper == nil:
			res.Upper, res.UpperInclusive = b.Upper, b.UpperInclusive
		case b.Upper == nil:
			res.Upper, res.UpperInclusive = a.Upper, a.UpperInclusive
		default:
			switch c := Compare(*a.Upper, *b.Upper); {
			case c < 0:
				res.Upper, res.UpperInclusive = a.Upper, a.UpperInclusive
			case c == 0:
				res.Upper, res.UpperInclusive = a.Upper, a.UpperInclusive && b.UpperInclusive
			default:
				res.Upper, res.UpperInclusive = b.Upper, b.UpperInclusive
			}
		}

		// An empty interval (equal bounds, one exclusive) is dropped.
		if res.Lower == nil || res.Upper == nil || Compare(*res.Lower, *res.Upper) != 0 ||
			(res.LowerInclusive && res.UpperInclusive) {
			out = append(out, res)
		}
		// Advance whichever side the upper bound came from (by identity,
		// as Maven does); the other may still overlap the next one.
		if res.Upper == b.Upper {
			i2++
		} else {
			i1++
		}
	}
	return out
}
