package version

import (
	"fmt"
	"strconv"
	"strings"
)

// ParseMaven parses a Maven artifact version into fields the way Octopus's
// MavenVersionParser does (after the Maven build-helper plugin):
//
//	major[.minor[.patch]] then one of
//	  -<build number><qualifier>   "1.2.3-4-SNAPSHOT": build 4, qualifier "-SNAPSHOT"
//	  .<qualifier>                 "19.0.0.Final"
//	  -<qualifier>                 "1.0-beta"
//	  anything else, ignored       "1_0alpha" has no qualifier
//
// Text that does not start with a digit is all qualifier ("junk"). The
// fields only feed display and the prerelease flag: Compare uses Maven's
// ComparableVersion on the whole text, which is why "1.0a1-SNAPSHOT" and
// "1.0" still compare differently.
//
// Octopus accepts any text; this parser refuses blank text and control
// characters (ErrInvalid), and numbers beyond int32 (ErrOverflow).
func ParseMaven(text string) (Version, error) {
	v, err := parseMaven(text)
	if err != nil {
		return Version{}, fmt.Errorf("version: parse %q as maven: %w", text, err)
	}
	return v, nil
}

func parseMaven(text string) (Version, error) {
	if isBlank(text) {
		return Version{}, ErrInvalid
	}
	for i := 0; i < len(text); i++ {
		if text[i] < 0x20 || text[i] == 0x7f {
			return Version{}, ErrInvalid
		}
	}
	v := Version{Scheme: Maven, text: text}
	if !isDigit(text[0]) {
		v.Release = text
		return v, nil
	}

	var err error
	i := 0
	if v.Major, i, _, err = scanInt32(text, i); err != nil {
		return Version{}, err
	}
	for _, f := range []*int{&v.Minor, &v.Patch} {
		if i+1 >= len(text) || text[i] != '.' || !isDigit(text[i+1]) {
			break
		}
		if *f, i, _, err = scanInt32(text, i+1); err != nil {
			return Version{}, err
		}
	}

	rest := text[i:]
	var qualifier string
	switch {
	case len(rest) > 1 && rest[0] == '-' && isDigit(rest[1]):
		if v.Revision, i, _, err = scanInt32(rest, 1); err != nil {
			return Version{}, err
		}
		qualifier = rest[i:]
	case strings.HasPrefix(rest, ".") || strings.HasPrefix(rest, "-"):
		qualifier = rest[1:]
	}
	if strings.TrimSpace(qualifier) != "" {
		v.Release = qualifier
	}
	return v, nil
}

// mavenIsPrerelease is Octopus's MavenVersion.IsPrerelease: the qualifier
// names an unstable build.
func mavenIsPrerelease(q string) bool {
	if q == "" {
		return false
	}
	u := strings.ToUpper(q)
	if u == "SNAPSHOT" {
		return true
	}
	for _, p := range []string{"ALPHA", "BETA", "MILESTONE", "CR", "RC"} {
		if strings.HasPrefix(u, p) {
			return true
		}
	}
	// a1, b1, m1: one letter then a digit.
	return len(q) > 1 && strings.ContainsRune("AaBbMm", rune(q[0])) && isDigit(q[1])
}

// Maven ComparableVersion (maven-artifact 3.0 as ported by Octopus): the
// version is lower-cased and split into a list of integer and string items
// at '.', '-' and digit/letter transitions; "-<digit>" opens a sub-list.
// Trailing "null" items (0, "", "ga", "final", empty lists) are dropped, so
// 1.0.0 == 1.

type mavenKind int

const (
	mavenInt mavenKind = iota
	mavenString
	mavenList
)

type mavenItem struct {
	kind mavenKind
	num  string // decimal digits without leading zeros; "" is 0
	str  string
	list []*mavenItem
}

// mavenQualifiers are the known qualifiers in ascending order; "" is the
// release itself.
var mavenQualifiers = []string{"alpha", "beta", "milestone", "rc", "snapshot", "", "sp"}

func newMavenInt(digits string) *mavenItem {
	return &mavenItem{kind: mavenInt, num: strings.TrimLeft(digits, "0")}
}

func newMavenString(s string, followedByDigit bool) *mavenItem {
	if followedByDigit && len(s) == 1 {
		// a1 = alpha-1, b1 = beta-1, m1 = milestone-1
		switch s {
		case "a":
			s = "alpha"
		case "b":
			s = "beta"
		case "m":
			s = "milestone"
		}
	}
	switch s {
	case "ga", "final":
		s = ""
	case "cr":
		s = "rc"
	}
	return &mavenItem{kind: mavenString, str: s}
}

func (it *mavenItem) isNull() bool {
	switch it.kind {
	case mavenInt:
		return it.num == ""
	case mavenString:
		return it.str == ""
	}
	return len(it.list) == 0
}

func (it *mavenItem) normalize() {
	for len(it.list) > 0 && it.list[len(it.list)-1].isNull() {
		it.list = it.list[:len(it.list)-1]
	}
}

// mavenQualifierKey makes qualifiers comparable as strings: known ones by
// their rank, unknown ones after all known ones, alphabetically.
func mavenQualifierKey(q string) string {
	for i, k := range mavenQualifiers {
		if k == q {
			return strconv.Itoa(i)
		}
	}
	return strconv.Itoa(len(mavenQualifiers)) + "-" + q
}

// compare orders it against o; o == nil stands for a missing item.
func (it *mavenItem) compare(o *mavenItem) int {
	switch it.kind {
	case mavenInt:
		if o == nil {
			if it.num == "" {
				return 0
			}
			return 1
		}
		if o.kind != mavenInt {
			return 1 // 1.1 > 1-sp, 1.1 > 1-1
		}
		if c := cmpInt(len(it.num), len(o.num)); c != 0 {
			return c
		}
		return strings.Compare(it.num, o.num)
	case mavenString:
		if o == nil {
			return strings.Compare(mavenQualifierKey(it.str), mavenQualifierKey(""))
		}
		if o.kind != mavenString {
			return -1 // 1.any < 1.1, 1.any < 1-1
		}
		return strings.Compare(mavenQualifierKey(it.str), mavenQualifierKey(o.str))
	}
	if o == nil {
		if len(it.list) == 0 {
			return 0
		}
		return it.list[0].compare(nil)
	}
	switch o.kind {
	case mavenInt:
		return -1 // 1-1 < 1.0.x
	case mavenString:
		return 1 // 1-1 > 1-sp
	}
	for i := 0; i < len(it.list) || i < len(o.list); i++ {
		var c int
		switch {
		case i >= len(it.list):
			c = -o.list[i].compare(nil)
		case i >= len(o.list):
			c = it.list[i].compare(nil)
		default:
			c = it.list[i].compare(o.list[i])
		}
		if c != 0 {
			return c
		}
	}
	return 0
}

func parseMavenItems(version string) *mavenItem {
	s := strings.ToLower(version)
	root := &mavenItem{kind: mavenList}
	list := root
	stack := []*mavenItem{root}
	add := func(it *mavenItem) { list.list = append(list.list, it) }
	item := func(digits bool, buf string) *mavenItem {
		if digits {
			return newMavenInt(buf)
		}
		return newMavenString(buf, false)
	}

	digits := false
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '.' || c == '-':
			if i == start {
				add(newMavenInt("0"))
			} else {
				add(item(digits, s[start:i]))
			}
			start = i + 1
			if c == '-' && digits {
				list.normalize() // 1.0-* = 1-*
				if i+1 < len(s) && isDigit(s[i+1]) {
					// Only "-<digit>" after digits opens a sub-list, to tell
					// 1-1 from 1.1.
					sub := &mavenItem{kind: mavenList}
					add(sub)
					list = sub
					stack = append(stack, sub)
				}
			}
		case isDigit(c):
			if !digits && i > start {
				add(newMavenString(s[start:i], true))
				start = i
			}
			digits = true
		default:
			if digits && i > start {
				add(item(true, s[start:i]))
				start = i
			}
			digits = false
		}
	}
	if len(s) > start {
		add(item(digits, s[start:]))
	}
	for i := len(stack) - 1; i >= 0; i-- {
		stack[i].normalize()
	}
	return root
}

func compareMaven(a, b string) int {
	return parseMavenItems(a).compare(parseMavenItems(b))
}
