package template

import (
	"strconv"

	"github.com/argonautdeploy/argonaut/runner/version"
)

// The Version* filters print fields of a version parsed the way Octopus's
// OctopusVersionParser does (permissive: "latest", "19.0.0.Final" and
// "v1.2-branch.1+meta" all parse), using the same parser as the feed.

// versionFilter prints one field. An unparseable version fails the whole
// evaluation, as upstream throws.
func versionFilter(field func(version.Version) string) filterFunc {
	return func(c *filterCall) (*string, error) {
		if c.arg == nil || len(c.opts) > 0 {
			return nil, nil
		}
		v, err := version.ParseOctopus(*c.arg)
		if err != nil {
			return nil, &FilterError{Filter: c.name, Err: err}
		}
		return str(field(v)), nil
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
