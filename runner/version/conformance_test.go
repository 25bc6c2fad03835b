package version

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// conformanceCase is one entry of versions.json; fields differ per topic,
// so it stays a generic map.
type conformanceCase map[string]any

// str returns a string field; JSON null (and a missing field) is "", which
// is what a null version string means to every parser here.
func (c conformanceCase) str(key string) string {
	s, _ := c[key].(string)
	return s
}

func (c conformanceCase) isNull(key string) bool {
	v, ok := c[key]
	return !ok || v == nil
}

func (c conformanceCase) has(key string) bool { _, ok := c[key]; return ok }

func (c conformanceCase) boolean(key string) bool { b, _ := c[key].(bool); return b }

func (c conformanceCase) number(key string) int { f, _ := c[key].(float64); return int(f) }

func (c conformanceCase) strings(key string) []string {
	raw, _ := c[key].([]any)
	out := make([]string, len(raw))
	for i, r := range raw {
		out[i], _ = r.(string)
	}
	return out
}

// conformanceExclusions lists cases believed wrong or out of scope, keyed by
// "topic|input" (input as shown in the subtest name). Each needs a reason.
var conformanceExclusions = map[string]string{}

// conformanceTopics maps each versions.json key to its checker.
var conformanceTopics = map[string]func(t *testing.T, c conformanceCase){
	"version_parse":              checkVersionParse,
	"version_to_string":          checkVersionToString,
	"version_flags":              checkVersionFlags,
	"version_compare":            checkVersionCompare,
	"octopus_mask_apply":         checkMaskApply,
	"octopus_mask_apply_fails":   checkMaskApplyFails,
	"octopus_mask_is_mask":       checkIsMask,
	"octopus_mask_latest":        checkMaskLatest,
	"range_satisfies":            checkRangeSatisfies,
	"range_parse":                checkRangeParse,
	"range_invalid":              checkRangeInvalid,
	"range_format":               checkRangeFormat,
	"maven_range_restrict":       checkMavenRestrict,
	"package_file_names":         checkFileName,
	"package_file_names_invalid": checkFileNameInvalid,
	"package_cached_file_names":  checkCachedFileName,
	"package_id_from_path":       checkPackageIDFromPath,
	"file_name_escape":           checkFileNameEscape,
}

// findModuleRoot walks up from the working directory to the directory
// holding go.mod.
func findModuleRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the test directory")
		}
		dir = parent
	}
}

func loadConformance(t *testing.T) map[string][]conformanceCase {
	t.Helper()
	path := filepath.Join(findModuleRoot(t), "..", "shared", "conformance", "versions.json")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("conformance data missing (a missing file is a failure, not a skip): %v", err)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		t.Fatalf("parse %s: %v", path, err)
	}
	out := make(map[string][]conformanceCase)
	for topic, msg := range raw {
		if strings.HasPrefix(topic, "_") {
			continue
		}
		var cases []conformanceCase
		if err := json.Unmarshal(msg, &cases); err != nil {
			t.Fatalf("parse topic %s: %v", topic, err)
		}
		out[topic] = cases
	}
	return out
}

// caseInput is the text that identifies a case in its subtest name and in
// conformanceExclusions.
func caseInput(c conformanceCase) string {
	for _, k := range []string{"input", "mask", "range", "path", "a", "id", "left"} {
		if v, ok := c[k]; ok {
			switch v := v.(type) {
			case string:
				if k == "a" {
					return v + " vs " + c.str("b")
				}
				if k == "range" && c.has("version") {
					return v + " ∋ " + c.str("version")
				}
				return v
			case nil:
				return "<null>"
			default:
				b, _ := json.Marshal(v)
				return string(b)
			}
		}
	}
	return ""
}

func caseSource(c conformanceCase) string {
	src := c.str("source")
	if i := strings.LastIndexByte(src, ' '); i >= 0 {
		src = src[i+1:]
	}
	return src
}

func TestConformance(t *testing.T) {
	data := loadConformance(t)
	topics := make([]string, 0, len(data))
	for topic := range data {
		topics = append(topics, topic)
	}
	sort.Strings(topics)

	var total, passed, excluded int
	var summary []string
	for _, topic := range topics {
		cases := data[topic]
		check, ok := conformanceTopics[topic]
		if !ok {
			t.Errorf("topic %s (%d cases) has no checker", topic, len(cases))
			total += len(cases)
			summary = append(summary, fmt.Sprintf("%s 0/%d (no checker)", topic, len(cases)))
			continue
		}
		var topicPassed, topicExcluded int
		t.Run(topic, func(t *testing.T) {
			for i, c := range cases {
				input := caseInput(c)
				name := fmt.Sprintf("%03d %s %q", i, caseSource(c), input)
				if reason, ok := conformanceExclusions[topic+"|"+input]; ok {
					topicExcluded++
					t.Run(name, func(t *testing.T) { t.Skip("excluded: " + reason) })
					continue
				}
				if t.Run(name, func(t *testing.T) { check(t, c) }) {
					topicPassed++
				}
			}
		})
		total += len(cases)
		passed += topicPassed
		excluded += topicExcluded
		line := fmt.Sprintf("%s %d/%d", topic, topicPassed, len(cases))
		if topicExcluded > 0 {
			line += fmt.Sprintf(" (%d excluded)", topicExcluded)
		}
		summary = append(summary, line)
	}
	for _, line := range summary {
		t.Logf("%s", line)
	}
	t.Logf("total %d/%d passed, %d excluded", passed, total, excluded)
	if total != 849 {
		t.Errorf("versions.json holds %d cases, want 849", total)
	}
	fmt.Printf("versions conformance: %d excluded\n", excluded)
	fmt.Printf("versions conformance: %d/%d passed\n", passed, total)
}

func parseCase(t *testing.T, scheme, text string) (Version, error) {
	t.Helper()
	s, err := ParseScheme(scheme)
	if err != nil {
		t.Fatal(err)
	}
	return Parse(s, text)
}

func mustParseCase(t *testing.T, scheme, text string) Version {
	t.Helper()
	v, err := parseCase(t, scheme, text)
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	return v
}

func checkVersionParse(t *testing.T, c conformanceCase) {
	v, err := parseCase(t, c.str("scheme"), c.str("input"))
	if !c.boolean("valid") {
		if err == nil {
			t.Fatalf("parsed as %+v, want an error", v)
		}
		if c.str("error") == "overflow" && !errors.Is(err, ErrOverflow) {
			t.Fatalf("error %v, want ErrOverflow", err)
		}
		return
	}
	if err != nil {
		t.Fatalf("unexpected error: %v", err)
	}
	ints := map[string]int{"major": v.Major, "minor": v.Minor, "patch": v.Patch, "revision": v.Revision}
	for k, got := range ints {
		if c.has(k) && got != c.number(k) {
			t.Errorf("%s = %d, want %d", k, got, c.number(k))
		}
	}
	strs := map[string]string{"release": v.Release, "release_prefix": v.ReleasePrefix, "release_counter": v.ReleaseCounter, "metadata": v.Metadata}
	for k, got := range strs {
		if c.has(k) && got != c.str(k) {
			t.Errorf("%s = %q, want %q", k, got, c.str(k))
		}
	}
}

func checkVersionToString(t *testing.T, c conformanceCase) {
	v := mustParseCase(t, c.str("scheme"), c.str("input"))
	want := c.str("to_string")
	if c.has("original_string") {
		want = c.str("original_string")
	}
	if got := v.String(); got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}

func checkVersionFlags(t *testing.T, c conformanceCase) {
	v := mustParseCase(t, c.str("scheme"), c.str("input"))
	if c.has("is_prerelease") {
		if got := v.IsPrerelease(); got != c.boolean("is_prerelease") {
			t.Errorf("IsPrerelease() = %v, want %v", got, !got)
		}
	}
	if c.has("has_metadata") {
		if got := v.HasMetadata(); got != c.boolean("has_metadata") {
			t.Errorf("HasMetadata() = %v, want %v", got, !got)
		}
	}
}

func checkVersionCompare(t *testing.T, c conformanceCase) {
	a := mustParseCase(t, c.str("scheme"), c.str("a"))
	b := mustParseCase(t, c.str("scheme"), c.str("b"))
	want := c.number("expected")
	if got := Compare(a, b); got != want {
		t.Errorf("Compare = %d, want %d", got, want)
	}
	// Antisymmetry holds for every scheme.
	if got := Compare(b, a); got != -want {
		t.Errorf("Compare(b, a) = %d, want %d", got, -want)
	}
}

func checkMaskApply(t *testing.T, c conformanceCase) {
	var latest *Version
	if !c.isNull("latest") {
		v := mustParseCase(t, "octopus", c.str("latest"))
		latest = &v
	}
	for _, prefix := range c.strings("prefixes") {
		got, err := ApplyMask(prefix+c.str("mask"), latest)
		if err != nil {
			t.Errorf("prefix %q: %v", prefix, err)
			continue
		}
		if want := prefix + c.str("expected"); got != want {
			t.Errorf("prefix %q: ApplyMask = %q, want %q", prefix, got, want)
		}
	}
}

func checkMaskApplyFails(t *testing.T, c conformanceCase) {
	latest := mustParseCase(t, "semver", c.str("latest"))
	if got, err := ApplyMask(c.str("mask"), &latest); err == nil {
		t.Errorf("ApplyMask = %q, want an error", got)
	}
}

func checkIsMask(t *testing.T, c conformanceCase) {
	for _, prefix := range c.strings("prefixes") {
		if got := IsMask(prefix + c.str("mask")); got != c.boolean("is_mask") {
			t.Errorf("IsMask(%q) = %v, want %v", prefix+c.str("mask"), got, !got)
		}
	}
}

func checkMaskLatest(t *testing.T, c conformanceCase) {
	var versions []Version
	for _, s := range c.strings("versions") {
		versions = append(versions, mustParseCase(t, "octopus", s))
	}
	prefixes := c.strings("prefixes")
	if len(prefixes) == 0 {
		prefixes = []string{""}
	}
	for _, prefix := range prefixes {
		got := LatestMatchingMask(prefix+c.str("mask"), versions)
		var texts []string
		for _, v := range got {
			texts = append(texts, v.String())
		}
		if c.has("expected_all") {
			want := c.strings("expected_all")
			if c.boolean("any_order") {
				sort.Strings(texts)
				sort.Strings(want)
			}
			if strings.Join(texts, " ") != strings.Join(want, " ") {
				t.Errorf("prefix %q: LatestMatchingMask = %q, want %q", prefix, texts, want)
			}
			continue
		}
		want := ""
		if !c.isNull("expected") {
			want = c.str("expected")
		}
		first := ""
		if len(texts) > 0 {
			first = texts[0]
		}
		if first != want {
			t.Errorf("prefix %q: latest = %q, want %q", prefix, first, want)
		}
	}
}

func checkRangeSatisfies(t *testing.T, c conformanceCase) {
	want := c.boolean("satisfies")
	switch c.str("syntax") {
	case "nuget":
		r, err := ParseRange(c.str("range"))
		if err != nil {
			t.Fatal(err)
		}
		v := mustParseCase(t, "semver", c.str("version"))
		if got := r.Satisfies(v); got != want {
			t.Errorf("Satisfies = %v, want %v", got, want)
		}
	case "maven":
		r, err := ParseMavenRange(c.str("range"))
		if err != nil {
			t.Fatal(err)
		}
		v := mustParseCase(t, "maven", c.str("version"))
		if got := r.Contains(v); got != want {
			t.Errorf("Contains = %v, want %v", got, want)
		}
	default:
		t.Fatalf("unknown syntax %q", c.str("syntax"))
	}
}

// boundText renders a range bound for comparison with the data; nil is
// JSON null.
func boundText(v *Version, normalized bool) any {
	if v == nil {
		return nil
	}
	if normalized {
		return v.Normalized()
	}
	return v.String()
}

func restrictionsJSON(rs []Restriction) []any {
	out := []any{}
	for _, r := range rs {
		out = append(out, map[string]any{
			"lower": boundText(r.Lower, false), "lower_inclusive": r.LowerInclusive,
			"upper": boundText(r.Upper, false), "upper_inclusive": r.UpperInclusive,
		})
	}
	return out
}

func jsonEqual(t *testing.T, what string, got, want any) {
	t.Helper()
	g, _ := json.Marshal(got)
	w, _ := json.Marshal(want)
	if string(g) != string(w) {
		t.Errorf("%s = %s, want %s", what, g, w)
	}
}

func checkRangeParse(t *testing.T, c conformanceCase) {
	switch c.str("syntax") {
	case "nuget":
		r, err := ParseRange(c.str("range"))
		if err != nil {
			t.Fatal(err)
		}
		// The upstream test compares ToNormalizedString for this case only.
		normalized := strings.Contains(c.str("note"), "ToNormalizedString")
		jsonEqual(t, "min", boundText(r.Min, normalized), c["min"])
		jsonEqual(t, "max", boundText(r.Max, normalized), c["max"])
		jsonEqual(t, "min_inclusive", r.MinInclusive, c["min_inclusive"])
		jsonEqual(t, "max_inclusive", r.MaxInclusive, c["max_inclusive"])
	case "maven":
		r, err := ParseMavenRange(c.str("range"))
		if err != nil {
			t.Fatal(err)
		}
		jsonEqual(t, "restrictions", restrictionsJSON(r.Restrictions), c["restrictions"])
		jsonEqual(t, "recommended", boundText(r.Recommended, false), c["recommended"])
		jsonEqual(t, "selected_version", boundText(r.Recommended, false), c["selected_version"])
	default:
		t.Fatalf("unknown syntax %q", c.str("syntax"))
	}
}

func checkRangeInvalid(t *testing.T, c conformanceCase) {
	var err error
	switch c.str("syntax") {
	case "nuget":
		_, err = ParseRange(c.str("range"))
	case "maven":
		_, err = ParseMavenRange(c.str("range"))
	default:
		t.Fatalf("unknown syntax %q", c.str("syntax"))
	}
	if err == nil {
		t.Fatal("parsed, want an error")
	}
	if want := c.str("error"); want != "" && !strings.HasSuffix(err.Error(), want) {
		t.Errorf("error %q, want it to end with %q", err, want)
	}
}

func checkRangeFormat(t *testing.T, c conformanceCase) {
	var got string
	switch c.str("syntax") {
	case "nuget":
		r, err := ParseRange(c.str("range"))
		if err != nil {
			t.Fatal(err)
		}
		got = r.String()
		if c.has("pretty") {
			if p := r.Pretty(); p != c.str("pretty") {
				t.Errorf("Pretty() = %q, want %q", p, c.str("pretty"))
			}
			return
		}
	case "maven":
		r, err := ParseMavenRange(c.str("range"))
		if err != nil {
			t.Fatal(err)
		}
		got = r.String()
	}
	if got != c.str("to_string") {
		t.Errorf("String() = %q, want %q", got, c.str("to_string"))
	}
}

// mavenOperand parses a restrict operand: a range string, or
// {"restrict": [a, b]} meaning a.Restrict(b).
func mavenOperand(t *testing.T, v any) MavenRange {
	t.Helper()
	switch v := v.(type) {
	case string:
		r, err := ParseMavenRange(v)
		if err != nil {
			t.Fatal(err)
		}
		return r
	case map[string]any:
		pair, _ := v["restrict"].([]any)
		if len(pair) != 2 {
			t.Fatalf("bad operand %v", v)
		}
		return mavenOperand(t, pair[0]).Restrict(mavenOperand(t, pair[1]))
	}
	t.Fatalf("bad operand %v", v)
	return MavenRange{}
}

func checkMavenRestrict(t *testing.T, c conformanceCase) {
	r := mavenOperand(t, c["left"]).Restrict(mavenOperand(t, c["right"]))
	jsonEqual(t, "restrictions", restrictionsJSON(r.Restrictions), c["restrictions"])
	jsonEqual(t, "recommended", boundText(r.Recommended, false), c["recommended"])
}

func checkFileName(t *testing.T, c conformanceCase) {
	for _, input := range []string{c.str("path"), c.str("file")} {
		f, err := ParseFileName(input)
		if err != nil {
			t.Fatalf("ParseFileName(%q): %v", input, err)
		}
		jsonEqual(t, "id", f.ID, c["id"])
		jsonEqual(t, "version", f.Version.String(), c["version"])
		jsonEqual(t, "version_format", f.Version.Scheme.String(), c["version_format"])
		jsonEqual(t, "extension", f.Extension, c["extension"])
	}
}

func checkFileNameInvalid(t *testing.T, c conformanceCase) {
	for _, input := range []string{c.str("path"), c.str("file")} {
		if f, err := ParseFileName(input); err == nil {
			t.Errorf("ParseFileName(%q) = %+v, want an error", input, f)
		}
	}
}

func checkCachedFileName(t *testing.T, c conformanceCase) {
	v := mustParseCase(t, c.str("version_format"), c.str("version"))
	got, err := CachedFileName(c.str("id"), v, c.str("extension"))
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(c.str("file_regex")).MatchString(got) {
		t.Errorf("CachedFileName = %q, want a match for %s", got, c.str("file_regex"))
	}
	// The name must read back as the same package.
	f, err := ParseFileName(got)
	if err != nil {
		t.Fatalf("ParseFileName(%q): %v", got, err)
	}
	if f.ID != c.str("id") || f.Version.String() != c.str("version") || f.Extension != c.str("extension") {
		t.Errorf("round trip = %+v", f)
	}
}

func checkPackageIDFromPath(t *testing.T, c conformanceCase) {
	if got := PackageIDFromPath(c.str("input")); got != c.str("expected") {
		t.Errorf("PackageIDFromPath = %q, want %q", got, c.str("expected"))
	}
}

func checkFileNameEscape(t *testing.T, c conformanceCase) {
	var got string
	switch c.str("op") {
	case "escape":
		got = EscapeFileName(c.str("input"))
	case "unescape":
		got = UnescapeFileName(c.str("input"))
	default:
		t.Fatalf("unknown op %q", c.str("op"))
	}
	if got != c.str("expected") {
		t.Errorf("%s(%q) = %q, want %q", c.str("op"), c.str("input"), got, c.str("expected"))
	}
}
