package template

import (
	"errors"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// A small lenient JSON reader matching what Newtonsoft's
// JsonConvert.DeserializeObject accepts in practice: unquoted property names,
// single-quoted strings, comments and trailing commas. Bare-word values are
// rejected, as is text after the root value. Nesting is bounded.

type jsonKind int

const (
	jsonNull jsonKind = iota
	jsonString
	jsonNumber
	jsonBool
	jsonArray
	jsonObject
)

type jsonValue struct {
	kind   jsonKind
	text   string // string contents, number text ("1", "1.5"), "True"/"False"
	float  bool   // number written with a fraction or exponent
	items  []*jsonValue
	keys   []string
	fields []*jsonValue
}

const maxJSONDepth = 256

// jsonParse parses b's value as JSON once per node; ok is false when it is
// not (lenient) JSON.
func (e *evaluator) jsonParse(b *binding) (*jsonValue, bool) {
	c := b.values()
	if !c.jsonDone.Load() {
		if err := e.produce(len(*b.item) / 8); err != nil {
			// Parsing is charged (lightly) so repeated probing of fresh large
			// values stays within the evaluation's budget.
			return nil, false
		}
		c.jsonOnce.Do(func() {
			p := &jsonParser{src: *b.item}
			v, err := p.document()
			c.json, c.jsonOK = v, err == nil
			c.jsonDone.Store(true)
		})
	}
	return c.json, c.jsonOK
}

// jsonLookup implements one path step into a JSON value (NOTES §7). A scalar
// document answers every property with itself, as upstream does.
func (e *evaluator) jsonLookup(b *binding, property string) (*binding, bool) {
	v, ok := e.jsonParse(b)
	if !ok || v == nil {
		return nil, false
	}
	switch v.kind {
	case jsonArray:
		i, err := strconv.Atoi(strings.TrimSpace(property))
		if err != nil || i < 0 {
			return nil, false
		}
		if i >= len(v.items) {
			return leaf(""), true
		}
		return jsonBinding(v.items[i]), true
	case jsonObject:
		for k := len(v.keys) - 1; k >= 0; k-- { // the last duplicate wins
			if v.keys[k] == property {
				return jsonBinding(v.fields[k]), true
			}
		}
		return leaf(""), true
	case jsonNull:
		return &binding{}, true
	default:
		return leaf(v.scalar()), true
	}
}

// jsonItems lists the #{each} items of a JSON array or object.
func (e *evaluator) jsonItems(b *binding) ([]*binding, bool) {
	v, ok := e.jsonParse(b)
	if !ok || v == nil {
		return nil, false
	}
	switch v.kind {
	case jsonArray:
		out := make([]*binding, len(v.items))
		for i, it := range v.items {
			out[i] = jsonBinding(it)
		}
		return out, true
	case jsonObject:
		out := make([]*binding, len(v.keys))
		for i, k := range v.keys {
			b := leaf(k)
			b.children.put("Key", leaf(k))
			b.children.put("Value", jsonBinding(v.fields[i]))
			out[i] = b
		}
		return out, true
	}
	return nil, false
}

// jsonBinding converts a JSON value to a leaf: scalars as text (null as ""),
// objects and arrays re-serialised compactly.
func jsonBinding(v *jsonValue) *binding {
	switch v.kind {
	case jsonArray, jsonObject:
		var b strings.Builder
		v.write(&b)
		return leaf(b.String())
	}
	return leaf(v.scalar())
}

func (v *jsonValue) scalar() string {
	if v.kind == jsonNumber && v.float {
		f, err := strconv.ParseFloat(v.text, 64)
		if err == nil {
			return formatDouble(f)
		}
	}
	return v.text
}

// write serialises like Newtonsoft's compact output.
func (v *jsonValue) write(b *strings.Builder) {
	switch v.kind {
	case jsonNull:
		b.WriteString("null")
	case jsonBool:
		b.WriteString(strings.ToLower(v.text))
	case jsonNumber:
		s := v.scalar()
		if v.float && !strings.ContainsAny(s, ".EN∞") {
			s += ".0"
		}
		b.WriteString(s)
	case jsonString:
		writeJSONString(b, v.text)
	case jsonArray:
		b.WriteByte('[')
		for i, it := range v.items {
			if i > 0 {
				b.WriteByte(',')
			}
			it.write(b)
		}
		b.WriteByte(']')
	case jsonObject:
		b.WriteByte('{')
		for i, k := range v.keys {
			if i > 0 {
				b.WriteByte(',')
			}
			writeJSONString(b, k)
			b.WriteByte(':')
			v.fields[i].write(b)
		}
		b.WriteByte('}')
	}
}

func writeJSONString(b *strings.Builder, s string) {
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		default:
			if r < 0x20 {
				b.WriteString(`\u00`)
				b.WriteByte("0123456789abcdef"[r>>4])
				b.WriteByte("0123456789abcdef"[r&15])
				continue
			}
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
}

var errJSON = errors.New("invalid json")

type jsonParser struct {
	src   string
	pos   int
	depth int
}

func (p *jsonParser) document() (*jsonValue, error) {
	if err := p.space(); err != nil {
		return nil, err
	}
	if p.pos == len(p.src) {
		return nil, errJSON // empty text deserialises to null: not a value
	}
	v, err := p.value()
	if err != nil {
		return nil, err
	}
	if err := p.space(); err != nil {
		return nil, err
	}
	if p.pos != len(p.src) {
		return nil, errJSON
	}
	return v, nil
}

// space skips whitespace and comments.
func (p *jsonParser) space() error {
	for p.pos < len(p.src) {
		c := p.src[p.pos]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v':
			p.pos++
		case strings.HasPrefix(p.src[p.pos:], "//"):
			end := strings.IndexAny(p.src[p.pos:], "\r\n")
			if end < 0 {
				p.pos = len(p.src)
			} else {
				p.pos += end
			}
		case strings.HasPrefix(p.src[p.pos:], "/*"):
			end := strings.Index(p.src[p.pos+2:], "*/")
			if end < 0 {
				return errJSON
			}
			p.pos += end + 4
		default:
			r, n := utf8.DecodeRuneInString(p.src[p.pos:])
			if r == 0xA0 || r == 0xFEFF {
				p.pos += n
				continue
			}
			return nil
		}
	}
	return nil
}

func (p *jsonParser) value() (*jsonValue, error) {
	if p.pos >= len(p.src) {
		return nil, errJSON
	}
	switch c := p.src[p.pos]; {
	case c == '{':
		return p.object()
	case c == '[':
		return p.array()
	case c == '"' || c == '\'':
		s, err := p.str()
		return &jsonValue{kind: jsonString, text: s}, err
	case c == '-' || (c >= '0' && c <= '9') || c == '.':
		return p.number()
	}
	word := p.word()
	switch word {
	case "true":
		return &jsonValue{kind: jsonBool, text: "True"}, nil
	case "false":
		return &jsonValue{kind: jsonBool, text: "False"}, nil
	case "null", "undefined":
		return &jsonValue{kind: jsonNull}, nil
	case "NaN", "Infinity":
		return &jsonValue{kind: jsonNumber, text: word}, nil
	}
	return nil, errJSON
}

func (p *jsonParser) word() string {
	start := p.pos
	for p.pos < len(p.src) {
		r, n := utf8.DecodeRuneInString(p.src[p.pos:])
		if !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_' || r == '$') {
			break
		}
		p.pos += n
	}
	return p.src[start:p.pos]
}

func (p *jsonParser) number() (*jsonValue, error) {
	start := p.pos
	if p.src[p.pos] == '-' {
		p.pos++
		if strings.HasPrefix(p.src[p.pos:], "Infinity") {
			p.pos += len("Infinity")
			return &jsonValue{kind: jsonNumber, text: "-Infinity"}, nil
		}
	}
	float := false
	for p.pos < len(p.src) {
		c := p.src[p.pos]
		switch {
		case c >= '0' && c <= '9':
		case c == '.' || c == 'e' || c == 'E':
			float = true
		case (c == '+' || c == '-') && (p.src[p.pos-1] == 'e' || p.src[p.pos-1] == 'E'):
		default:
			goto done
		}
		p.pos++
	}
done:
	text := p.src[start:p.pos]
	if float {
		if _, err := strconv.ParseFloat(text, 64); err != nil {
			return nil, errJSON
		}
	} else if _, err := strconv.ParseInt(text, 10, 64); err != nil {
		if _, ferr := strconv.ParseFloat(text, 64); ferr != nil || text == "-" {
			return nil, errJSON
		}
	}
	return &jsonValue{kind: jsonNumber, text: text, float: float}, nil
}

func (p *jsonParser) str() (string, error) {
	quote := p.src[p.pos]
	p.pos++
	var b strings.Builder
	for p.pos < len(p.src) {
		c := p.src[p.pos]
		switch {
		case c == quote:
			p.pos++
			return b.String(), nil
		case c == '\\':
			if p.pos+1 >= len(p.src) {
				return "", errJSON
			}
			e := p.src[p.pos+1]
			p.pos += 2
			switch e {
			case 'n':
				b.WriteByte('\n')
			case 'r':
				b.WriteByte('\r')
			case 't':
				b.WriteByte('\t')
			case 'b':
				b.WriteByte('\b')
			case 'f':
				b.WriteByte('\f')
			case 'u':
				r, ok := p.hex4()
				if !ok {
					return "", errJSON
				}
				if utf16.IsSurrogate(r) && strings.HasPrefix(p.src[p.pos:], `\u`) {
					save := p.pos
					p.pos += 2
					if r2, ok := p.hex4(); ok {
						if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
							b.WriteRune(d)
							continue
						}
					}
					p.pos = save
				}
				b.WriteRune(r)
			default:
				b.WriteByte(e)
			}
		default:
			b.WriteByte(c)
			p.pos++
		}
	}
	return "", errJSON
}

func (p *jsonParser) hex4() (rune, bool) {
	if p.pos+4 > len(p.src) {
		return 0, false
	}
	v, err := strconv.ParseUint(p.src[p.pos:p.pos+4], 16, 32)
	if err != nil {
		return 0, false
	}
	p.pos += 4
	return rune(v), true
}

func (p *jsonParser) nest() error {
	p.depth++
	if p.depth > maxJSONDepth {
		return errJSON
	}
	return nil
}

func (p *jsonParser) array() (*jsonValue, error) {
	if err := p.nest(); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	p.pos++ // '['
	v := &jsonValue{kind: jsonArray}
	for {
		if err := p.space(); err != nil {
			return nil, err
		}
		if p.pos >= len(p.src) {
			return nil, errJSON
		}
		if p.src[p.pos] == ']' {
			p.pos++
			return v, nil
		}
		it, err := p.value()
		if err != nil {
			return nil, err
		}
		v.items = append(v.items, it)
		if err := p.space(); err != nil {
			return nil, err
		}
		if p.pos < len(p.src) && p.src[p.pos] == ',' {
			p.pos++
			continue
		}
		if p.pos < len(p.src) && p.src[p.pos] == ']' {
			p.pos++
			return v, nil
		}
		return nil, errJSON
	}
}

func (p *jsonParser) object() (*jsonValue, error) {
	if err := p.nest(); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	p.pos++ // '{'
	v := &jsonValue{kind: jsonObject}
	for {
		if err := p.space(); err != nil {
			return nil, err
		}
		if p.pos >= len(p.src) {
			return nil, errJSON
		}
		if p.src[p.pos] == '}' {
			p.pos++
			return v, nil
		}
		var key string
		if c := p.src[p.pos]; c == '"' || c == '\'' {
			k, err := p.str()
			if err != nil {
				return nil, err
			}
			key = k
		} else {
			// Unquoted property names run up to whitespace or ':'.
			start := p.pos
			for p.pos < len(p.src) {
				c := p.src[p.pos]
				if c == ':' || c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '{' || c == '}' || c == '[' || c == ']' || c == ',' || c == '"' || c == '\'' {
					break
				}
				p.pos++
			}
			if p.pos == start {
				return nil, errJSON
			}
			key = p.src[start:p.pos]
		}
		if err := p.space(); err != nil {
			return nil, err
		}
		if p.pos >= len(p.src) || p.src[p.pos] != ':' {
			return nil, errJSON
		}
		p.pos++
		if err := p.space(); err != nil {
			return nil, err
		}
		val, err := p.value()
		if err != nil {
			return nil, err
		}
		v.keys = append(v.keys, key)
		v.fields = append(v.fields, val)
		if err := p.space(); err != nil {
			return nil, err
		}
		if p.pos < len(p.src) && p.src[p.pos] == ',' {
			p.pos++
			continue
		}
		if p.pos < len(p.src) && p.src[p.pos] == '}' {
			p.pos++
			return v, nil
		}
		return nil, errJSON
	}
}
