package template

import (
	"regexp"
	"strings"

	"github.com/argonautdeploy/argonaut/runner/version"
)

// Filters (NOTES §9). A filter receives its left-hand value (nil when the
// left side is empty or unresolved) and its options as text, and returns nil
// to decline: the whole token is then echoed and reported as unresolved.
// Names match case-insensitively.

type filterCall struct {
	e    *evaluator
	name string
	arg  *string
	opts []string
}

type filterFunc func(c *filterCall) (*string, error)

var filters map[string]filterFunc

func init() {
	// Assigned in init because several filters refer back to the table.
	filters = map[string]filterFunc{
		"toupper": textCase(strings.ToUpper),
		"tolower": textCase(strings.ToLower),

		"tobase64":   toBase64,
		"frombase64": fromBase64,
		"md5":        hashFilter(hashMD5),
		"sha1":       hashFilter(hashSHA1),
		"sha256":     hashFilter(hashSHA256),
		"sha384":     hashFilter(hashSHA384),
		"sha512":     hashFilter(hashSHA512),

		"htmlescape":            escaper(htmlEscape),
		"xmlescape":             escaper(xmlEscape),
		"jsonescape":            escaper(jsonEscape),
		"yamlsinglequoteescape": escaper(yamlSingleQuoteEscape),
		"yamldoublequoteescape": escaper(yamlDoubleQuoteEscape),
		"propertieskeyescape":   escaper(propertiesKeyEscape),
		"propertiesvalueescape": escaper(propertiesValueEscape),
		"uriescape":             escaper(uriEscape),
		"uridataescape":         escaper(uriDataEscape),
		"markdown":              markdownFilter,
		"markdowntohtml":        markdownFilter,

		"replace":    replaceFilter,
		"match":      matchFilter,
		"startswith": comparison(strings.HasPrefix),
		"endswith":   comparison(strings.HasSuffix),
		"contains":   comparison(strings.Contains),
		"substring":  substringFilter,
		"truncate":   truncateFilter,
		"trim":       trimFilter,
		"indent":     indentFilter,
		"append":     appendFilter(false),
		"prepend":    appendFilter(true),

		"nowdate":    nowDate(false),
		"nowdateutc": nowDate(true),
		"adddays":    addDuration(24),
		"addhours":   addDuration(1),
		"format":     formatFilter,

		"uripart": uriPartFilter,

		"versionmajor":             versionFilter(func(v version.Version) string { return itoa(v.Major) }),
		"versionminor":             versionFilter(func(v version.Version) string { return itoa(v.Minor) }),
		"versionpatch":             versionFilter(func(v version.Version) string { return itoa(v.Patch) }),
		"versionrevision":          versionFilter(func(v version.Version) string { return itoa(v.Revision) }),
		"versionprerelease":        versionFilter(func(v version.Version) string { return v.Release }),
		"versionprereleaseprefix":  versionFilter(func(v version.Version) string { return v.ReleasePrefix }),
		"versionprereleasecounter": versionFilter(func(v version.Version) string { return v.ReleaseCounter }),
		"versionmetadata":          versionFilter(func(v version.Version) string { return v.Metadata }),

		"null": func(*filterCall) (*string, error) { return nil, nil },
	}
}

func (e *evaluator) invokeFilter(name string, arg *string, opts []string) (*string, error) {
	f, ok := filters[strings.ToLower(name)]
	if !ok {
		return nil, nil // unknown filters echo
	}
	return f(&filterCall{e: e, name: name, arg: arg, opts: opts})
}

func str(s string) *string { return &s }

// filterCache keeps compiled regular expressions for one evaluation.
type filterCache struct {
	regex map[string]*regexp.Regexp
}

func newFilterCache() *filterCache { return &filterCache{regex: map[string]*regexp.Regexp{}} }

// regexp compiles a .NET-style pattern with Go's RE2 engine. Patterns RE2
// cannot express (backreferences, lookaround) fail, and the filter declines.
// RE2 runs in linear time, so no pattern can hang an evaluation.
func (c *filterCache) regexp(pattern string) (*regexp.Regexp, bool) {
	if re, ok := c.regex[pattern]; ok {
		return re, re != nil
	}
	re, err := regexp.Compile(pattern)
	if err != nil {
		re = nil
	}
	if len(c.regex) < maxCachedEntries {
		c.regex[pattern] = re
	}
	return re, re != nil
}
