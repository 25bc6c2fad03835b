package substitute

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/argonautdeploy/argonaut/runner/template"
)

// JSON replaces, in a JSON document, the values whose paths are named by
// variables, and returns the document written with two-space indentation
// (key order kept) and the number of values replaced. See Structured for
// the naming rules; a replaced value keeps its JSON type where it can: a
// string is replaced by a string; a number, boolean or null by the
// variable's value when that parses as a number, boolean or null, else by
// the variable parsed as a JSON object or array, else by a string; an
// object or array by the variable parsed as JSON, else by a string.
func JSON(text string, vars *template.Variables) (string, int, error) {
	doc, err := parseOrderedJSON([]byte(text))
	if err != nil {
		return "", 0, fmt.Errorf("not valid JSON: %w", err)
	}
	n := 0
	for _, vname := range vars.Names() {
		value, _ := vars.Get(vname)
		if doc.replace(strings.Split(vname, ":"), value) {
			n++
		}
	}
	var buf bytes.Buffer
	doc.write(&buf, "")
	buf.WriteByte('\n')
	return buf.String(), n, nil
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
	case n.kind == 's' && isJSONLiteral(value):
		n.scalar = json.RawMessage(strings.TrimSpace(value))
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
