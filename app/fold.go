package app

import "strings"

// ContainsFold reports whether list holds s, ignoring case: IDs, names and
// roles compare case-insensitively throughout Argonaut, as in Octopus.
func ContainsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

// IntersectsFold reports whether a and b share an element, ignoring case.
func IntersectsFold(a, b []string) bool {
	for _, x := range a {
		if ContainsFold(b, x) {
			return true
		}
	}
	return false
}

// inFilter is a list filter's test: an empty list lets everything through.
func inFilter(list []string, v string) bool {
	return len(list) == 0 || ContainsFold(list, v)
}
