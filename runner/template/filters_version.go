package template

import (
	"errors"
	"regexp"
	"strconv"
	"strings"
)

// The Version* filters print fields of a version parsed the way Octopus's
// OctopusVersionParser does (permissive: "latest", "19.0.0.Final" and
// "v1.2-branch.1+meta" all parse).
//
// This is a minimal internal parser covering what the filters need. The
// shared runner/version package (ParseOctopus) was not merged when this was
// written; switch to it once it lands.

// versionParts are the fields the Version* filters print.
type versionParts struct {
	major, minor, patch, revision          string
	release, releasePrefix, releaseCounter string
	metadata                               string
}

var octopusVersion = regexp.MustCompile(`^\s*(?:[vV]?\s*(\d+)\s*(?:\.\s*(\d+)\s*)?(?:\.\s*(\d+)\s*)?(?:\.\s*(\d+)\s*)?)?` +
	`[.\-_\\]?` +
	`(([A-Za-z0-9]*)(?:([.\-_\\])([A-Za-z0-9_\-.\\]*))?)?` +
	`(?:\+([A-Za-z0-9_\-.\\+]*))?\s*$`)

var errVersionOverflow = errors.New("a numeric version field is larger than a 32-bit integer")

// parseOctopusVersion parses s; numeric fields default to 0 and must fit a
// signed 32-bit integer.
func parseOctopusVersion(s string) (versionParts, error) {
	if strings.TrimSpace(s) == "" {
		return versionParts{}, errors.New("empty version")
	}
	m := octopusVersion.FindStringSubmatch(s)
	if m == nil {
		return versionParts{}, errors.New("not a valid version: " + strconv.Quote(s))
	}
	var nums [4]string
	for i := range nums {
		nums[i] = "0"
		if m[i+1] == "" {
			continue
		}
		n, err := strconv.ParseInt(m[i+1], 10, 32)
		if err != nil {
			return versionParts{}, errVersionOverflow
		}
		nums[i] = strconv.FormatInt(n, 10)
	}
	return versionParts{
		major: nums[0], minor: nums[1], patch: nums[2], revision: nums[3],
		release: m[5], releasePrefix: m[6], releaseCounter: m[8],
		metadata: m[9],
	}, nil
}

// versionFilter prints one field. An unparseable version fails the whole
// evaluation, as upstream throws.
func versionFilter(field func(versionParts) string) filterFunc {
	return func(c *filterCall) (*string, error) {
		if c.arg == nil || len(c.opts) > 0 {
			return nil, nil
		}
		v, err := parseOctopusVersion(*c.arg)
		if err != nil {
			return nil, &FilterError{Filter: c.name, Err: err}
		}
		return str(field(v)), nil
	}
}
