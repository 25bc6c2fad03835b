package version

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"
)

// Package file names come in two forms (Calamari's PackageName, shared with
// Octopus Server):
//
//   - the legacy form "<id>.<version><ext>", as pushed by users:
//     "Acme.Web.1.2.0-beta.1.zip" is Acme.Web / 1.2.0-beta.1 / .zip;
//   - the cache form "<id>@<F><version>@<cache buster><ext>" that Octopus
//     writes to package caches, with id and version escaped by
//     EscapeFileName and F the version scheme: S (SemVer), M (Maven),
//     O (Octopus) or L (Lexicographic).

// SupportedExtensions are the package formats the built-in repository
// accepts, longest first so that a suffix match finds ".tar.gz" before
// ".gz" would. ".jar" and ".war" are zip files; ".nupkg" carries its own
// ID and version in the .nuspec inside.
var SupportedExtensions = []string{".tar.bz2", ".tar.zst", ".tar.gz", ".nupkg", ".tar", ".tgz", ".zip", ".jar", ".war"}

// SupportedExtension returns the supported extension name ends with
// (case-insensitively, as written in name), or false.
func SupportedExtension(name string) (string, bool) {
	lower := strings.ToLower(name)
	for _, ext := range SupportedExtensions {
		if strings.HasSuffix(lower, ext) {
			return name[len(name)-len(ext):], true
		}
	}
	return "", false
}

// FileName is a package file name split into its parts.
type FileName struct {
	// ID is the package ID, unescaped. In the cache form it can hold any
	// character, "/" included (feeds with pathed IDs); validate it with
	// ValidatePackageID before using it as a path element.
	ID string
	// Version is the version; its Scheme says which format it was in. The
	// legacy form is always SemVer.
	Version Version
	// Extension is the extension with its leading dot, as written:
	// ".zip", ".tar.gz", ".nupkg".
	Extension string
}

// ErrFileName is wrapped by every ParseFileName error.
var ErrFileName = errors.New("unexpected package file name")

// The legacy form. The ID is matched lazily, so it ends at the first
// ".<digit>" after which the rest is a valid version and extension
// ("Acme.Web.1.0.0.zip" is Acme.Web, not Acme.Web.1). Only ASCII word
// characters are accepted in the ID (Calamari's .NET \w is Unicode).
const (
	legacyIDPattern      = `(\w+(?:[_.-]\w+)*?)`
	legacyVersionPattern = `(\d+(?:\.\d+){0,3}(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?)`
)

var (
	legacyWithExt = regexp.MustCompile(`^` + legacyIDPattern + `\.` + legacyVersionPattern + `((?:\.[a-zA-Z0-9]+)+)$`)
	legacyNoExt   = regexp.MustCompile(`^` + legacyIDPattern + `\.` + legacyVersionPattern + `$`)
	// ".tar" and ".tar.<x>" are taken as the extension before the split, so
	// "foo.1.0.0-release.tar.gz" has prerelease "release", not
	// "release.tar".
	tarExtension = regexp.MustCompile(`\.tar(?:\.[a-zA-Z0-9]+)?$`)
	cacheExt     = regexp.MustCompile(`^(?:\.[A-Za-z0-9]+)+$`)
)

// ParseFileName splits a package file name, or the last element of a path
// ('/' or '\' separated), into ID, version and extension. The cache form is
// tried first, then the legacy form.
//
// ParseFileName does not restrict the extension to SupportedExtensions and
// does not validate the ID: see SupportedExtension and ValidatePackageID.
// Like Calamari it takes any trailing ".<letters or digits>" runs as the
// extension, so "Acme.1.0" is Acme / 1 / ".0"; a feed must check the
// extension it got.
func ParseFileName(path string) (FileName, error) {
	name := path
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	if f, ok := parseCacheFileName(name); ok {
		return f, nil
	}
	if f, ok := parseLegacyFileName(name); ok {
		return f, nil
	}
	return FileName{}, fmt.Errorf("version: %w %q: want <PackageId>.<SemVer><extension> or <PackageId>@<S|M|O|L><Version>@<CacheBuster><extension>", ErrFileName, name)
}

func parseCacheFileName(name string) (FileName, bool) {
	sections := strings.Split(name, "@")
	if len(sections) != 3 || sections[1] == "" {
		return FileName{}, false
	}
	var scheme Scheme
	switch sections[1][0] {
	case 'S':
		scheme = SemVer
	case 'M':
		scheme = Maven
	case 'O':
		scheme = Octopus
	case 'L':
		scheme = Lexicographic
	default:
		return FileName{}, false
	}
	v, err := Parse(scheme, UnescapeFileName(sections[1][1:]))
	if err != nil {
		return FileName{}, false
	}
	// The extension is everything from the first '.' of the last section;
	// unlike Calamari, only dot-separated letters and digits are accepted.
	dot := strings.IndexByte(sections[2], '.')
	if dot < 0 || !cacheExt.MatchString(sections[2][dot:]) {
		return FileName{}, false
	}
	return FileName{ID: UnescapeFileName(sections[0]), Version: v, Extension: sections[2][dot:]}, true
}

func parseLegacyFileName(name string) (FileName, bool) {
	var id, ver, ext string
	if loc := tarExtension.FindStringIndex(name); loc != nil {
		m := legacyNoExt.FindStringSubmatch(name[:loc[0]])
		if m == nil {
			return FileName{}, false
		}
		id, ver, ext = m[1], m[2], name[loc[0]:]
	} else {
		m := legacyWithExt.FindStringSubmatch(name)
		if m == nil {
			return FileName{}, false
		}
		id, ver, ext = m[1], m[2], m[3]
	}
	v, err := ParseSemVer(ver)
	if err != nil {
		return FileName{}, false
	}
	return FileName{ID: id, Version: v, Extension: ext}, true
}

// CachedFileName returns the cache-form file name for a package:
// "<escaped id>@<F><escaped version>@<32 upper-case hex><ext>", with a
// random cache buster. The result is a single path element: escaping
// removes '/', '\' and every other character Windows refuses, and the ID
// and extension are checked first.
func CachedFileName(id string, v Version, ext string) (string, error) {
	if id == "" || strings.ContainsRune(id, 0) {
		return "", fmt.Errorf("version: cached file name: invalid package ID %q", id)
	}
	if !cacheExt.MatchString(ext) {
		return "", fmt.Errorf("version: cached file name: invalid extension %q", ext)
	}
	var letter string
	switch v.Scheme {
	case SemVer:
		letter = "S"
	case Maven:
		letter = "M"
	case Octopus, Docker:
		letter = "O"
	case Lexicographic:
		letter = "L"
	default:
		return "", fmt.Errorf("version: cached file name: unknown version scheme %v", v.Scheme)
	}
	if v.String() == "" {
		return "", fmt.Errorf("version: cached file name: empty version")
	}
	var buster [16]byte
	if _, err := rand.Read(buster[:]); err != nil {
		return "", fmt.Errorf("version: cached file name: %w", err)
	}
	return EscapeFileName(id) + "@" + letter + EscapeFileName(v.String()) + "@" +
		strings.ToUpper(hex.EncodeToString(buster[:])) + ext, nil
}

// fileNameEscaped are the characters EscapeFileName replaces: those Windows
// refuses in file names, '%' (the escape character) and '@' (the cache-name
// section separator). Control characters are escaped as well.
const fileNameEscaped = `%<>:"/\|?*@`

// EscapeFileName escapes the characters that cannot appear in a file name
// on some platform as %XX (upper-case hex); everything else, including '+',
// is kept so that "1.0.1+beta" stays readable. Calamari escapes the same
// set except '*' and control characters.
func EscapeFileName(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c == 0x7f || strings.IndexByte(fileNameEscaped, c) >= 0 {
			fmt.Fprintf(&b, "%%%02X", c)
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// UnescapeFileName decodes every %XX sequence whose bytes form valid UTF-8,
// like .NET's Uri.UnescapeDataString; anything else, such as a lone '%',
// is left as it is.
func UnescapeFileName(s string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		if s[i] != '%' {
			b.WriteByte(s[i])
			i++
			continue
		}
		// Collect a run of escapes, then decode it rune by rune.
		var raw []byte
		j := i
		for j+2 < len(s) && s[j] == '%' && isHex(s[j+1]) && isHex(s[j+2]) {
			x, _ := hex.DecodeString(s[j+1 : j+3])
			raw = append(raw, x[0])
			j += 3
		}
		if len(raw) == 0 {
			b.WriteByte('%')
			i++
			continue
		}
		for k := 0; k < len(raw); {
			r, n := utf8.DecodeRune(raw[k:])
			if r == utf8.RuneError && n <= 1 {
				fmt.Fprintf(&b, "%%%02X", raw[k])
				k++
				continue
			}
			b.Write(raw[k : k+n])
			k += n
		}
		i = j
	}
	return b.String()
}

func isHex(c byte) bool {
	return isDigit(c) || ('a' <= c && c <= 'f') || ('A' <= c && c <= 'F')
}

// PackageIDFromPath returns the last '/' segment of a feed-pathed package
// ID ("folder/sub/pkg" is "pkg").
func PackageIDFromPath(id string) string {
	return id[strings.LastIndexByte(id, '/')+1:]
}

// MaxPackageIDLength is the longest package ID ValidatePackageID accepts
// (NuGet's limit).
const MaxPackageIDLength = 100

// ErrPackageID is wrapped by every ValidatePackageID error.
var ErrPackageID = errors.New("invalid package ID")

// ValidatePackageID checks a package ID the way NuGet does, so that it is
// safe as a file or directory name on every platform: 1 to 100 ASCII
// letters, digits, '_', '.' and '-', starting and ending with a letter,
// digit or '_', with no two '.' or '-' in a row (so never "." or ".."),
// and not a Windows device name (CON, PRN, AUX, NUL, COM0-9, LPT0-9, also
// before a dot: "con.web").
func ValidatePackageID(id string) error {
	fail := func(reason string) error {
		return fmt.Errorf("version: %w %q: %s", ErrPackageID, id, reason)
	}
	if id == "" {
		return fail("empty")
	}
	if len(id) > MaxPackageIDLength {
		return fail(fmt.Sprintf("longer than %d characters", MaxPackageIDLength))
	}
	prevSep := true // the first character may not be a separator
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch {
		case isAlnum(c) || c == '_':
			prevSep = false
		case c == '.' || c == '-':
			if prevSep {
				return fail("'.' and '-' must sit between letters, digits or '_'")
			}
			prevSep = true
		default:
			return fail(fmt.Sprintf("character %q not allowed (letters, digits, '.', '-' and '_' only)", c))
		}
	}
	if prevSep {
		return fail("'.' and '-' must sit between letters, digits or '_'")
	}
	base := strings.ToUpper(id)
	if i := strings.IndexByte(base, '.'); i >= 0 {
		base = base[:i]
	}
	switch base {
	case "CON", "PRN", "AUX", "NUL":
		return fail("reserved device name")
	}
	if len(base) == 4 && (strings.HasPrefix(base, "COM") || strings.HasPrefix(base, "LPT")) && isDigit(base[3]) {
		return fail("reserved device name")
	}
	return nil
}
