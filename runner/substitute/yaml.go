package substitute

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/argonautdeploy/argonaut/runner/template"
)

// YAML replaces, in a YAML stream (one or more documents), the values
// whose paths are named by variables (rules in Structured) and returns the
// re-encoded stream and the number of values replaced. Comments, key order
// and scalar styles are kept; indentation is detected (its width, and
// whether "- " items sit at their key's level). Aliases are not followed:
// replacing through one would change every use of its anchor.
//
// A replaced string stays a string (quoted when the new value would
// otherwise read as another type); a number, boolean or null takes the
// variable as that type when it reads as one, else the variable parsed as
// a JSON object or array, else a string; a mapping or sequence is replaced
// by the variable parsed as JSON, else by a string.
func YAML(text string, vars *template.Variables) (string, int, error) {
	var docs []*yaml.Node
	dec := yaml.NewDecoder(strings.NewReader(text))
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return "", 0, fmt.Errorf("not valid YAML: %w", err)
		}
		docs = append(docs, &doc)
	}
	n := 0
	for _, vname := range vars.Names() {
		value, _ := vars.Get(vname)
		path := strings.Split(vname, ":")
		hit := false
		for _, doc := range docs {
			hit = yamlReplace(doc, path, value) || hit
		}
		if hit {
			n++
		}
	}
	if n == 0 {
		return text, 0, nil
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	indent, compact := yamlIndent(text)
	enc.SetIndent(indent)
	if compact {
		enc.CompactSeqIndent()
	}
	for _, doc := range docs {
		if err := enc.Encode(doc); err != nil {
			return "", 0, fmt.Errorf("write YAML: %w", err)
		}
	}
	if err := enc.Close(); err != nil {
		return "", 0, fmt.Errorf("write YAML: %w", err)
	}
	return buf.String(), n, nil
}

// yamlReplace sets the value at path below node and reports whether the
// path existed.
func yamlReplace(node *yaml.Node, path []string, value string) bool {
	switch node.Kind {
	case yaml.DocumentNode:
		return len(node.Content) == 1 && yamlReplace(node.Content[0], path, value)
	case yaml.AliasNode:
		return false
	}
	if len(path) == 0 {
		yamlSet(node, value)
		return true
	}
	switch node.Kind {
	case yaml.MappingNode:
		hit := false
		for i := 0; i+1 < len(node.Content); i += 2 {
			if k := node.Content[i]; k.Kind == yaml.ScalarNode && strings.EqualFold(k.Value, path[0]) {
				hit = yamlReplace(node.Content[i+1], path[1:], value) || hit
			}
		}
		return hit
	case yaml.SequenceNode:
		i, err := strconv.Atoi(path[0])
		if err != nil || i < 0 || i >= len(node.Content) || strconv.Itoa(i) != path[0] {
			return false
		}
		return yamlReplace(node.Content[i], path[1:], value)
	}
	return false
}

// yamlSet replaces node's value, keeping its comments and, for scalars,
// its style.
func yamlSet(node *yaml.Node, value string) {
	if node.Kind == yaml.MappingNode || node.Kind == yaml.SequenceNode {
		if yamlSetParsed(node, value) {
			return
		}
		*node = yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: value,
			HeadComment: node.HeadComment, LineComment: node.LineComment, FootComment: node.FootComment}
		return
	}
	wasString := node.ShortTag() == "!!str"
	if !wasString && !isJSONLiteral(value) && yamlSetParsed(node, value) {
		return
	}
	node.Value = value
	switch {
	case !wasString && isJSONLiteral(value):
		node.Value = strings.TrimSpace(value)
		node.Tag = "" // the encoder writes it plain; it reads back as its type
		node.Style &^= yaml.SingleQuotedStyle | yaml.DoubleQuotedStyle
	default:
		node.Tag = "!!str" // quoted on output if it would read as another type
		if strings.Contains(value, "\n") && node.Style&(yaml.LiteralStyle|yaml.FoldedStyle|yaml.DoubleQuotedStyle) == 0 {
			node.Style = yaml.LiteralStyle
		}
	}
}

// yamlSetParsed replaces node by value parsed as a JSON object or array,
// keeping node's comments, and reports whether value was one.
func yamlSetParsed(node *yaml.Node, value string) bool {
	t := strings.TrimSpace(value)
	if !(strings.HasPrefix(t, "{") || strings.HasPrefix(t, "[")) || !json.Valid([]byte(t)) {
		return false
	}
	var parsed yaml.Node
	if yaml.Unmarshal([]byte(t), &parsed) != nil || len(parsed.Content) != 1 {
		return false
	}
	repl := parsed.Content[0]
	clearFlowStyle(repl)
	repl.Style |= node.Style & yaml.FlowStyle
	repl.HeadComment, repl.LineComment, repl.FootComment = node.HeadComment, node.LineComment, node.FootComment
	*node = *repl
	return true
}

// clearFlowStyle makes a parsed JSON value block-styled with plain
// scalars, like the rest of a typical YAML file.
func clearFlowStyle(n *yaml.Node) {
	n.Style &^= yaml.FlowStyle
	if n.Kind == yaml.ScalarNode {
		n.Style = 0 // plain, unless the encoder must quote (it keeps the tag)
	}
	for _, c := range n.Content {
		clearFlowStyle(c)
	}
}

// yamlIndent guesses the indentation of a YAML text: the smallest
// indentation of a nested mapping line (default 2), and whether sequence
// items ("- ") sit at the same column as their parent key.
func yamlIndent(text string) (indent int, compactSeq bool) {
	indent = 0
	prevIndent, prevKey := -1, false
	for line := range strings.Lines(text) {
		trimmed := strings.TrimLeft(line, " ")
		body := strings.TrimRight(trimmed, "\r\n")
		if body == "" || strings.HasPrefix(body, "#") {
			continue
		}
		lead := len(line) - len(trimmed)
		if prevKey && strings.HasPrefix(body, "- ") && lead == prevIndent {
			compactSeq = true
		}
		if prevKey && lead > prevIndent && (indent == 0 || lead-prevIndent < indent) {
			indent = lead - prevIndent
		}
		prevIndent, prevKey = lead, strings.HasSuffix(strings.TrimSpace(stripYAMLComment(body)), ":")
	}
	if indent < 2 || indent > 9 {
		indent = 2
	}
	return indent, compactSeq
}

// stripYAMLComment drops a trailing " # comment" (good enough for
// indentation guessing; quoted '#' may confuse it harmlessly).
func stripYAMLComment(s string) string {
	if i := strings.Index(s, " #"); i >= 0 {
		return s[:i]
	}
	return s
}
