package template

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// TestParseOctopusVersion checks the internal parser against the "octopus"
// parse cases of shared/conformance/versions.json.
func TestParseOctopusVersion(t *testing.T) {
	path := filepath.Join(moduleRoot(t), "..", "shared", "conformance", "versions.json")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("versions.json missing: %v", err)
	}
	var doc struct {
		Parse []struct {
			Scheme   string  `json:"scheme"`
			Input    *string `json:"input"`
			Valid    bool    `json:"valid"`
			Major    int     `json:"major"`
			Minor    int     `json:"minor"`
			Patch    int     `json:"patch"`
			Revision int     `json:"revision"`
			Release  string  `json:"release"`
			Prefix   string  `json:"release_prefix"`
			Counter  string  `json:"release_counter"`
			Metadata string  `json:"metadata"`
		} `json:"version_parse"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, c := range doc.Parse {
		if c.Scheme != "octopus" || c.Input == nil {
			continue
		}
		n++
		got, err := parseOctopusVersion(*c.Input)
		if !c.Valid {
			if err == nil {
				t.Errorf("%q: parsed as %+v, want an error", *c.Input, got)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", *c.Input, err)
			continue
		}
		want := versionParts{
			major: strconv.Itoa(c.Major), minor: strconv.Itoa(c.Minor), patch: strconv.Itoa(c.Patch), revision: strconv.Itoa(c.Revision),
			release: c.Release, releasePrefix: c.Prefix, releaseCounter: c.Counter, metadata: c.Metadata,
		}
		if got != want {
			t.Errorf("%q:\n got %+v\nwant %+v", *c.Input, got, want)
		}
	}
	if n < 100 {
		t.Fatalf("only %d octopus cases found", n)
	}
}
