package template

import (
	"bytes"
	"strings"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
)

// markdown approximates Markdig's configuration in Octostache (pipe tables,
// emphasis extras, autolinks) with goldmark's GFM extensions. Raw HTML is not
// passed through: rendered text may end up in emails and the portal.
var markdown = goldmark.New(goldmark.WithExtensions(
	extension.Table,
	extension.Strikethrough,
	extension.Linkify,
	extension.TaskList,
))

// markdownFilter: Markdown / MarkdownToHtml renders the trimmed input.
func markdownFilter(c *filterCall) (*string, error) {
	if c.arg == nil || len(c.opts) > 0 {
		return nil, nil
	}
	var buf bytes.Buffer
	if err := markdown.Convert([]byte(strings.TrimSpace(*c.arg)), &buf); err != nil {
		return nil, nil
	}
	out := buf.String()
	if !strings.HasSuffix(out, "\n") {
		out += "\n"
	}
	return &out, nil
}
