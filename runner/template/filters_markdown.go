package template

import "strings"

// markdownFilter renders Markdown to HTML. Placeholder until the renderer is
// wired in.
func markdownFilter(c *filterCall) (*string, error) {
	if c.arg == nil {
		return nil, nil
	}
	return str(strings.TrimSpace(*c.arg) + "\n"), nil
}
