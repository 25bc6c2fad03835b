package version

import (
	"strings"
	"testing"
)

// The fuzz targets check that no input panics and that the properties the
// rest of Argonaut relies on hold. Seeds live in testdata/fuzz/<FuzzName>/.

func FuzzParseOctopus(f *testing.F) {
	for _, s := range []string{"1.2.3-beta.1+meta", " 1 .2-x ", "v1", "latest", "1_0_alpha", "1.2.3.4.5"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, scheme := range []Scheme{Octopus, Docker, Lexicographic} {
			v, err := Parse(scheme, s)
			if err != nil {
				continue
			}
			if strings.Contains(v.String(), " ") {
				t.Fatalf("%v %q: String() %q keeps spaces", scheme, s, v.String())
			}
			if Compare(v, v) != 0 {
				t.Fatalf("%v %q: not equal to itself", scheme, s)
			}
			if scheme == Octopus && v.Release != "" && v.ReleasePrefix+v.ReleaseCounter == "" && strings.Trim(v.Release, `.-_\`) != "" {
				t.Fatalf("%q: release %q split into nothing", s, v.Release)
			}
			// Text without whitespace is kept exactly and reads back the same.
			if !strings.ContainsAny(s, " \t\n\v\f\r") {
				w, err := Parse(scheme, v.String())
				if err != nil || w != v {
					t.Fatalf("%v %q: reparse = %+v, %v; want %+v", scheme, s, w, err, v)
				}
			}
		}
		// Masks: never panic, and a mask applied to nothing or to itself
		// yields a parseable version.
		_ = IsMask(s)
		if got, err := ApplyMask(s, nil); err == nil {
			if _, err := ParseOctopus(got); err != nil {
				t.Fatalf("ApplyMask(%q, nil) = %q, which does not parse: %v", s, got, err)
			}
		}
		if v, err := ParseOctopus(s); err == nil {
			_, _ = ApplyMask(s, &v)
			_ = LatestMatchingMask(s, []Version{v})
		}
	})
}

func FuzzParseSemVer(f *testing.F) {
	for _, s := range []string{"1.0.0-beta.1+build.7", "v1.2", " 1 . 2 .3 ", "1.001.002", "1.2.3.4", "1.0.*", "1.0.0-"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := ParseSemVer(s)
		if err != nil {
			_, _ = ParseMaven(s)
			return
		}
		// String() reads back as the same version.
		w, err := ParseSemVer(v.String())
		if err != nil {
			t.Fatalf("%q: String() %q does not parse: %v", s, v.String(), err)
		}
		if w != v {
			t.Fatalf("%q: reparse = %+v, want %+v", s, w, v)
		}
		// The normalised form is the same version without metadata.
		n, err := ParseSemVer(v.Normalized())
		if err != nil || compareSemVer(n, v, false) != 0 || n.Metadata != "" {
			t.Fatalf("%q: Normalized() %q = %+v, %v", s, v.Normalized(), n, err)
		}
		// Maven parsing and comparison accept any version text.
		if m, err := ParseMaven(s); err == nil && Compare(m, m) != 0 {
			t.Fatalf("%q: maven version not equal to itself", s)
		}
	})
}

func FuzzParseRange(f *testing.F) {
	for _, s := range []string{"[1.0,2.0)", "1.0", "(,1.0],[1.2,)", "[1.0]", "(1.6)", "[1.0.0-beta+meta, 2.0.0-beta+meta]", "(,)", "[1.0,1.2),(1.1,1.3]"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if r, err := ParseRange(s); err == nil {
			back, err := ParseRange(r.String())
			if err != nil {
				t.Fatalf("nuget %q: String() %q does not parse: %v", s, r.String(), err)
			}
			sameBound := func(a, b *Version, aIncl, bIncl bool) bool {
				if a == nil || b == nil {
					return a == nil && b == nil
				}
				return compareSemVer(*a, *b, false) == 0 && aIncl == bIncl
			}
			if !sameBound(r.Min, back.Min, r.MinInclusive, back.MinInclusive) ||
				!sameBound(r.Max, back.Max, r.MaxInclusive, back.MaxInclusive) {
				t.Fatalf("nuget %q: String() %q reads back as %+v", s, r.String(), back)
			}
			_ = r.Pretty()
			if r.Min != nil {
				_ = r.Satisfies(*r.Min)
			}
		}
		if r, err := ParseMavenRange(s); err == nil {
			back, err := ParseMavenRange(r.String())
			if err != nil {
				t.Fatalf("maven %q: String() %q does not parse: %v", s, r.String(), err)
			}
			if back.String() != r.String() {
				t.Fatalf("maven %q: String() %q reads back as %q", s, r.String(), back.String())
			}
			// Maven accepts "[1,1.0)" (distinct text, equal versions), which
			// holds nothing; the properties below are for proper intervals.
			proper := 0
			for _, res := range r.Restrictions {
				if res.Lower != nil && res.Upper != nil && res.Lower != res.Upper && Compare(*res.Lower, *res.Upper) == 0 {
					continue
				}
				proper++
				if res.Lower != nil && res.LowerInclusive && !r.Contains(*res.Lower) {
					t.Fatalf("maven %q: inclusive lower bound %q not contained", s, res.Lower)
				}
			}
			// A range restricted by itself holds the same bound versions.
			self := r.Restrict(back)
			for _, res := range r.Restrictions {
				for _, b := range []*Version{res.Lower, res.Upper} {
					if b != nil && proper == len(r.Restrictions) && self.Contains(*b) != r.Contains(*b) {
						t.Fatalf("maven %q: self-restriction %q disagrees on %q", s, self.String(), b)
					}
				}
			}
		}
	})
}

func FuzzParseFileName(f *testing.F) {
	for _, s := range []string{"Acme.Web.1.2.0-beta.1.zip", "foo.1.0.0-tag.tar.gz", "My%2FPackage@S1.0.0+CAT@XXXYYYZZZ.zip", "pkg@M12%3A8@0123.jar", "../../etc/passwd.1.0.zip", "a@Sx@y", "CON.1.0.0.nupkg"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if u := UnescapeFileName(EscapeFileName(s)); u != s {
			t.Fatalf("escape round trip %q -> %q", s, u)
		}
		if strings.ContainsAny(EscapeFileName(s), "/\\\x00@") {
			t.Fatalf("EscapeFileName(%q) = %q keeps a separator", s, EscapeFileName(s))
		}
		_ = PackageIDFromPath(s)
		if err := ValidatePackageID(s); err == nil {
			if strings.ContainsAny(s, "/\\\x00") || strings.Contains(s, "..") || len(s) > MaxPackageIDLength {
				t.Fatalf("ValidatePackageID accepted %q", s)
			}
		}

		fn, err := ParseFileName(s)
		if err != nil {
			return
		}
		if strings.ContainsAny(fn.Extension, "/\\") || strings.Contains(fn.Extension, "..") {
			t.Fatalf("%q: extension %q escapes the directory", s, fn.Extension)
		}
		name, err := CachedFileName(fn.ID, fn.Version, fn.Extension)
		if err != nil {
			return
		}
		if strings.ContainsAny(name, "/\\\x00") || name == "." || name == ".." {
			t.Fatalf("%q: cached name %q is not one path element", s, name)
		}
		back, err := ParseFileName(name)
		if err != nil {
			t.Fatalf("%q: cached name %q does not parse: %v", s, name, err)
		}
		if back.ID != fn.ID || back.Version.String() != fn.Version.String() || back.Version.Scheme != fn.Version.Scheme || back.Extension != fn.Extension {
			t.Fatalf("%q: cached name %q reads back as %+v, want %+v", s, name, back, fn)
		}
	})
}
