package runner

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// structuredConfig replaces values in the JSON files matching the step's
// StructuredConfigFiles globs ("Structured Configuration Variables").
//
// Supported forms, as Octopus's JSON replacer:
//   - a variable whose name is a path of keys separated by ':' replaces the
//     value at that path: "Logging:LogLevel:Default" replaces
//     {"Logging":{"LogLevel":{"Default":…}}}; keys match case-insensitively;
//   - array elements are addressed by zero-based index: "Endpoints:0:Url";
//   - a name without ':' addresses a top-level key, even if it contains
//     dots ("Octopus.Action.Name" is a key, never a path: '.' is not a
//     separator, so system variables cannot rewrite nested settings);
//   - only paths that already exist are replaced; nothing is added;
//   - the replacement keeps the JSON type where it can: a string value is
//     replaced by a string; a number, boolean or null by the variable's
//     value when that parses as a number, boolean or null, else by a
//     string; an object or array by the variable parsed as JSON, else by a
//     string.
//
// Key order, and the order of unknown keys, is kept; the file is rewritten
// with two-space indentation.
func (d *deployment) structuredConfig(context.Context) error {
	if len(d.props.StructuredConfigFiles) == 0 {
		return nil
	}
	vars := d.stepVariables()
	return forMatchingFiles(d, d.props.StructuredConfigFiles, "structured configuration", func(_ *os.Root, name string, data []byte) ([]byte, error) {
		doc, err := parseOrderedJSON(data)
		if err != nil {
			return nil, fmt.Errorf("not valid JSON: %w", err)
		}
		n := 0
		for _, vname := range vars.Names() {
			value, _ := vars.Get(vname)
			if doc.replace(strings.Split(vname, ":"), value) {
				n++
			}
		}
		d.sc.logf(Info, "Replaced %d structured configuration value(s) in %s", n, name)
		var buf bytes.Buffer
		doc.write(&buf, "")
		buf.WriteByte('\n')
		return buf.Bytes(), nil
	})
}

// jsonNode is a JSON value that remembers key order.
type jsonNode struct {
	kind   byte // 'o' object, 'a' array, 's' scalar
	keys   []string
	elems  []*jsonNode     // object values (parallel to keys) or array elements
	scalar json.RawMessage // compact scalar text
}

func parseOrderedJSON(data []byte) (*jsonNode, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	n, err := decodeNode(dec)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("data after the JSON value")
	}
	return n, nil
}

func decodeNode(dec *json.Decoder) (*jsonNode, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		n := &jsonNode{kind: 'a'}
		if t == '{' {
			n.kind = 'o'
		}
		for dec.More() {
			if n.kind == 'o' {
				k, err := dec.Token()
				if err != nil {
					return nil, err
				}
				n.keys = append(n.keys, k.(string))
			}
			child, err := decodeNode(dec)
			if err != nil {
				return nil, err
			}
			n.elems = append(n.elems, child)
		}
		if _, err := dec.Token(); err != nil { // closing delimiter
			return nil, err
		}
		return n, nil
	case string:
		return &jsonNode{kind: 's', scalar: marshalString(t)}, nil
	default:
		raw, err := json.Marshal(t)
		if err != nil {
			return nil, err
		}
		return &jsonNode{kind: 's', scalar: raw}, nil
	}
}

// replace sets the value at path and reports whether the path existed.
func (n *jsonNode) replace(path []string, value string) bool {
	if len(path) == 0 {
		n.set(value)
		return true
	}
	switch n.kind {
	case 'o':
		hit := false
		for i, k := range n.keys {
			if strings.EqualFold(k, path[0]) {
				hit = n.elems[i].replace(path[1:], value) || hit
			}
		}
		return hit
	case 'a':
		i, err := strconv.Atoi(path[0])
		if err != nil || i < 0 || i >= len(n.elems) || strconv.Itoa(i) != path[0] {
			return false
		}
		return n.elems[i].replace(path[1:], value)
	}
	return false
}

// set replaces n's value with value, keeping the JSON type where it can.
func (n *jsonNode) set(value string) {
	asString := marshalString(value)
	switch {
	case n.kind == 's' && n.scalar[0] == '"':
		n.scalar = asString
	case n.kind == 's':
		n.scalar = asString
		if isJSONLiteral(value) {
			n.scalar = json.RawMessage(strings.TrimSpace(value))
		}
	default:
		if parsed, err := parseOrderedJSON([]byte(value)); err == nil && parsed.kind != 's' {
			*n = *parsed
			return
		}
		*n = jsonNode{kind: 's', scalar: asString}
	}
}

// marshalString writes s as a JSON string without HTML escaping, so that
// "a<b" stays readable in configuration files.
func marshalString(s string) json.RawMessage {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}

func isJSONLiteral(s string) bool {
	s = strings.TrimSpace(s)
	switch s {
	case "true", "false", "null":
		return true
	}
	var num json.Number
	return json.Unmarshal([]byte(s), &num) == nil && s != ""
}

func (n *jsonNode) write(b *bytes.Buffer, indent string) {
	switch n.kind {
	case 's':
		b.Write(n.scalar)
	case 'o', 'a':
		open, closing := byte('{'), byte('}')
		if n.kind == 'a' {
			open, closing = '[', ']'
		}
		b.WriteByte(open)
		if len(n.elems) == 0 {
			b.WriteByte(closing)
			return
		}
		inner := indent + "  "
		for i, e := range n.elems {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString("\n" + inner)
			if n.kind == 'o' {
				b.Write(marshalString(n.keys[i]))
				b.WriteString(": ")
			}
			e.write(b, inner)
		}
		b.WriteString("\n" + indent)
		b.WriteByte(closing)
	}
}
