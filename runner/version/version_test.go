package version

import (
	"errors"
	"strings"
	"testing"
)

// Rules the conformance data leaves implicit, pinned with the upstream
// reason for each.

func TestParseOctopusQuirks(t *testing.T) {
	tests := []struct {
		in                   string
		major, minor         int
		release, prefix, str string
	}{
		// The numbers need a following '.', so a space ends them and the
		// rest is prerelease; String() drops the space all the same.
		{in: "1 2", major: 1, release: "2", str: "12"},
		// 'v' only counts when a number follows.
		{in: "vNext", release: "vNext", str: "vNext"},
		{in: "v 1.2", major: 1, minor: 2, prefix: "v", str: "v1.2"},
		// A dot followed by text starts the prerelease (jboss "19.0.0.Final").
		{in: "1.x", major: 1, release: "x", str: "1.x"},
		// Only one separator is eaten before the prerelease.
		{in: "1.0.0--x", major: 1, release: "-x", str: "1.0.0--x"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			v, err := ParseOctopus(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if v.Major != tt.major || v.Minor != tt.minor || v.Release != tt.release || v.Prefix != tt.prefix || v.String() != tt.str {
				t.Errorf("got %+v (String %q), want major %d minor %d release %q prefix %q String %q",
					v, v.String(), tt.major, tt.minor, tt.release, tt.prefix, tt.str)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		scheme Scheme
		in     string
		want   error
	}{
		{Octopus, "2147483647", nil},
		{Octopus, "2147483648", ErrOverflow},
		{Octopus, "1.2.3-a b", ErrInvalid},
		{Octopus, "1.2.3-a/b", ErrInvalid},
		{SemVer, "V1.0.0", ErrInvalid}, // only a lower-case 'v' is stripped
		{SemVer, "1.2.3.4.5", ErrInvalid},
		{SemVer, "1.2147483648", ErrInvalid},
		{SemVer, "1.0.0-beta..1", ErrInvalid},
		{SemVer, "1.0.0+", ErrInvalid},
		{Maven, "", ErrInvalid},
		{Maven, "1.0\n", ErrInvalid},
		{Maven, "99999999999.1", ErrOverflow},
		{Lexicographic, " foo", ErrInvalid}, // leading whitespace is not trimmed
		{Lexicographic, "foo ", nil},        // trailing whitespace is
	}
	for _, tt := range tests {
		t.Run(tt.scheme.String()+"/"+tt.in, func(t *testing.T) {
			_, err := Parse(tt.scheme, tt.in)
			if !errors.Is(err, tt.want) || (tt.want == nil && err != nil) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestCompare(t *testing.T) {
	tests := []struct {
		scheme Scheme
		a, b   string
		want   int
	}{
		// Octopus: a fourth number beats any prerelease.
		{Octopus, "1.0.0.1", "1.0.0-2", 1},
		// Octopus: labels after a separator compare numerically.
		{Octopus, "1.0.0-beta.2", "1.0.0-beta.11", -1},
		// Octopus: letters compare case-insensitively, but "01" and "1"
		// differ only as numbers.
		{Octopus, "1.0.0-Beta.01", "1.0.0-beta.1", 0},
		// SemVer keeps the metadata tie-break of Octopus's comparer.
		{SemVer, "1.0.0+a", "1.0.0+B", -1},
		// SemVer: a numeric label sorts before text, and "-1" is a number
		// to .NET's int.TryParse.
		{SemVer, "1.0.0-1", "1.0.0-a", -1},
		{SemVer, "1.0.0--1", "1.0.0-0", -1},
		// Maven: 1.0-final is 1.0; sp sorts after the release.
		{Maven, "1.0-final", "1", 0},
		{Maven, "1.0-sp1", "1.0", 1},
		{Maven, "1-1", "1.1", -1},
		// Docker: "latest" is the lowest tag, not the highest.
		{Docker, "latest", "0.0.1", -1},
		// Lexicographic: no release at all sorts first.
		{Lexicographic, "+meta", "a", -1},
	}
	for _, tt := range tests {
		t.Run(tt.scheme.String()+"/"+tt.a+"/"+tt.b, func(t *testing.T) {
			a, b := MustParse(tt.scheme, tt.a), MustParse(tt.scheme, tt.b)
			if got := Compare(a, b); got != tt.want {
				t.Errorf("Compare = %d, want %d", got, tt.want)
			}
			if got := Compare(b, a); got != -tt.want {
				t.Errorf("Compare(b, a) = %d, want %d", got, -tt.want)
			}
		})
	}
}

func TestNormalized(t *testing.T) {
	for in, want := range map[string]string{
		"1":                 "1.0.0",
		"1.02.3.0":          "1.2.3",
		"1.2.3.4-beta+meta": "1.2.3.4-beta",
		"v1.0":              "1.0.0",
	} {
		if got := MustParse(SemVer, in).Normalized(); got != want {
			t.Errorf("Normalized(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestApplyMask(t *testing.T) {
	latest := MustParse(Octopus, "2.5.9-rc.3")
	tests := []struct {
		mask   string
		latest *Version
		want   string
	}{
		{"c.c.i", &latest, "2.5.10"},
		{"c.i.c", &latest, "2.6.0"}, // the field after an increment resets
		{"c.c.c-rc.i", &latest, "2.5.9-rc.4"},
		{"c.c.c-rc-i", &latest, "2.5.9-rc.4"}, // labels are rejoined with '.'
		{"i.i", nil, "0.0"},
		{"V1.i", nil, "V1.0"},
		{"1.2.3_i", &latest, "1.2.3_i"}, // not a mask: passed through
	}
	for _, tt := range tests {
		t.Run(tt.mask, func(t *testing.T) {
			got, err := ApplyMask(tt.mask, tt.latest)
			if err != nil || got != tt.want {
				t.Errorf("ApplyMask = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
	if _, err := ApplyMask("1.2.3- i", &latest); err == nil {
		t.Error("ApplyMask accepted a mask with a space in the prerelease")
	}
	// A latest version whose field is "i" itself cannot be incremented.
	odd := MustParse(Octopus, "i.2")
	if _, err := ApplyMask("i.c", &odd); err == nil {
		t.Error("ApplyMask incremented a non-numeric field")
	}
}

func TestRangeSatisfiesPrerelease(t *testing.T) {
	r, err := ParseRange("[1.0.0, 2.0.0)")
	if err != nil {
		t.Fatal(err)
	}
	// A prerelease of the upper bound lies below it, so NuGet includes it;
	// excluding prereleases is a channel rule, not a range rule.
	if !r.Satisfies(MustParse(SemVer, "2.0.0-beta")) {
		t.Error("2.0.0-beta not in [1.0.0, 2.0.0)")
	}
	if r.Satisfies(MustParse(SemVer, "1.0.0-beta")) {
		t.Error("1.0.0-beta in [1.0.0, 2.0.0)")
	}
}

func TestMavenRangeErrors(t *testing.T) {
	for _, in := range []string{"", "[1.0", "[1.0,2.0),1.3", "(1.0)", "[2,1]", "[1,1]"} {
		_, err := ParseMavenRange(in)
		var re *RangeError
		if !errors.As(err, &re) {
			t.Errorf("ParseMavenRange(%q) err = %v, want *RangeError", in, err)
		}
	}
}

func TestParseFileName(t *testing.T) {
	tests := []struct {
		in, id, version, ext string
	}{
		// The ID is the shortest prefix after which a version follows.
		{"Acme.Web.1.2.0-beta.1.zip", "Acme.Web", "1.2.0-beta.1", ".zip"},
		{"Acme.Web.1.2.0-beta.1.tar.zst", "Acme.Web", "1.2.0-beta.1", ".tar.zst"},
		{"Acme.Web.1.2.0.tgz", "Acme.Web", "1.2.0", ".tgz"},
		{`C:\drop\Acme.2.0.war`, "Acme", "2.0", ".war"},
		{"../../Acme.2.0.jar", "Acme", "2.0", ".jar"},
		// Windows device names parse; ValidatePackageID refuses them.
		{"CON.1.0.0.nupkg", "CON", "1.0.0", ".nupkg"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			f, err := ParseFileName(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if f.ID != tt.id || f.Version.String() != tt.version || f.Extension != tt.ext {
				t.Errorf("got %q %q %q, want %q %q %q", f.ID, f.Version, f.Extension, tt.id, tt.version, tt.ext)
			}
		})
	}
	for _, in := range []string{"", "Acme.zip", "Acme.1.0.zip.", ".1.0.zip", "Acme@S1.0.0@x..", "Acme@S1.0.0@x", "Acme@1.0.0@x.zip", "a@b@c@d.zip"} {
		if f, err := ParseFileName(in); err == nil {
			t.Errorf("ParseFileName(%q) = %+v, want an error", in, f)
		} else if !errors.Is(err, ErrFileName) {
			t.Errorf("ParseFileName(%q) err = %v, want ErrFileName", in, err)
		}
	}
}

func TestSupportedExtension(t *testing.T) {
	for in, want := range map[string]string{
		"a.1.0.TAR.GZ": ".TAR.GZ",
		"a.1.0.tar":    ".tar",
		"a.1.0.nupkg":  ".nupkg",
		"a.1.0.gz":     "",
		"a.1.0.7z":     "",
	} {
		got, ok := SupportedExtension(in)
		if got != want || ok != (want != "") {
			t.Errorf("SupportedExtension(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
}

// TestPackageIDTraversal is the CVE-2017-11348 class: nothing a client puts
// in a package ID or file name may name a path outside the package
// directory.
func TestPackageIDTraversal(t *testing.T) {
	valid := []string{"Acme", "Acme.Web", "My_Package-Name", "_", "a1", "COM10", "Console", strings.Repeat("a", MaxPackageIDLength)}
	invalid := []string{
		"", ".", "..", "...", "../x", "..\\x", "a/../b", "a/b", `a\b`, "a..b", "a.-b", ".a", "a.", "-a", "a-",
		"a\x00b", "a b", "a:b", "C:", "a*", "Ācme", "%2e%2e",
		"CON", "con", "NUL.txt", "aux.web", "COM1", "lpt9", "PRN",
		strings.Repeat("a", MaxPackageIDLength+1),
	}
	for _, id := range valid {
		if err := ValidatePackageID(id); err != nil {
			t.Errorf("ValidatePackageID(%q) = %v, want ok", id, err)
		}
	}
	for _, id := range invalid {
		if err := ValidatePackageID(id); !errors.Is(err, ErrPackageID) {
			t.Errorf("ValidatePackageID(%q) = %v, want ErrPackageID", id, err)
		}
	}

	// Cache names escape whatever the ID holds into one path element.
	v := MustParse(SemVer, "1.0.0")
	for _, id := range []string{"../../etc/passwd", `..\..\win.ini`, "a/b", "..", "x@S1@y", "a\x01b"} {
		name, err := CachedFileName(id, v, ".zip")
		if err != nil {
			t.Fatalf("CachedFileName(%q): %v", id, err)
		}
		if strings.ContainsAny(name, "/\\\x00\x01") || strings.Count(name, "@") != 2 {
			t.Errorf("CachedFileName(%q) = %q", id, name)
		}
		back, err := ParseFileName(name)
		if err != nil || back.ID != id {
			t.Errorf("ParseFileName(%q) = %+v, %v; want ID %q", name, back, err, id)
		}
	}
	for _, ext := range []string{"", "zip", "./../x", ".zip/..", ".."} {
		if _, err := CachedFileName("a", v, ext); err == nil {
			t.Errorf("CachedFileName accepted extension %q", ext)
		}
	}
	if _, err := CachedFileName("a\x00", v, ".zip"); err == nil {
		t.Error("CachedFileName accepted a NUL in the ID")
	}
}
