package template

// versionParts are the fields the Version* filters print.
type versionParts struct {
	major, minor, patch, revision          string
	release, releasePrefix, releaseCounter string
	metadata                               string
}

func versionFilter(field func(versionParts) string) filterFunc {
	return func(c *filterCall) (*string, error) {
		return nil, nil
	}
}
