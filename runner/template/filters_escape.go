package template

import (
	"strings"
	"unicode/utf16"
)

// Escaping filters. Several work per UTF-16 code unit, as .NET strings do,
// so characters outside the BMP become surrogate pairs (\ud83d\ude00).

var htmlReplacer = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&apos;", "/", "&#x2F;")
var xmlReplacer = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&apos;")
var jsonReplacer = strings.NewReplacer(`"`, `\"`, `\`, `\\`, "\r", `\r`, "\n", `\n`, "\t", `\t`)

func htmlEscape(s string) string { return htmlReplacer.Replace(s) }
func xmlEscape(s string) string  { return xmlReplacer.Replace(s) }
func jsonEscape(s string) string { return jsonReplacer.Replace(s) }

// yamlSingleQuoteEscape doubles quotes and, because YAML folds a single line
// break into a space, gives every run of line breaks one extra break in the
// style of the run's first one.
func yamlSingleQuoteEscape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		if s[i] == '\'' {
			b.WriteString("''")
			i++
			continue
		}
		first := newlineAt(s, i)
		if first == "" {
			b.WriteByte(s[i])
			i++
			continue
		}
		b.WriteString(first)
		for nl := newlineAt(s, i); nl != ""; nl = newlineAt(s, i) {
			b.WriteString(nl)
			i += len(nl)
		}
	}
	return b.String()
}

func newlineAt(s string, i int) string {
	switch {
	case i >= len(s):
		return ""
	case strings.HasPrefix(s[i:], "\r\n"):
		return "\r\n"
	case s[i] == '\n':
		return "\n"
	}
	return ""
}

const lowerHex = "0123456789abcdef"

func writeU(b *strings.Builder, u uint16) {
	b.WriteString(`\u`)
	b.WriteByte(lowerHex[u>>12&15])
	b.WriteByte(lowerHex[u>>8&15])
	b.WriteByte(lowerHex[u>>4&15])
	b.WriteByte(lowerHex[u&15])
}

// yamlDoubleQuoteEscape keeps printable ASCII, escapes \r \n \t \\ \" and
// writes everything else as \uXXXX per UTF-16 unit.
func yamlDoubleQuoteEscape(s string) string {
	var b strings.Builder
	for _, u := range utf16.Encode([]rune(s)) {
		switch u {
		case '\r':
			b.WriteString(`\r`)
		case '\n':
			b.WriteString(`\n`)
		case '\t':
			b.WriteString(`\t`)
		case '\\':
			b.WriteString(`\\`)
		case '"':
			b.WriteString(`\"`)
		default:
			if u >= 0x20 && u <= 0x7e {
				b.WriteByte(byte(u))
				continue
			}
			writeU(&b, u)
		}
	}
	return b.String()
}

// propertiesEscape escapes for Java .properties files. Keys escape space,
// ':' and '='; values escape only a leading space.
func propertiesEscape(s string, key bool) string {
	var b strings.Builder
	for i, u := range utf16.Encode([]rune(s)) {
		switch {
		case u == '\\':
			b.WriteString(`\\`)
		case u == '\r':
			b.WriteString(`\r`)
		case u == '\n':
			b.WriteString(`\n`)
		case u == '\t':
			b.WriteString(`\t`)
		case u == ' ' && (key || i == 0):
			b.WriteString(`\ `)
		case key && (u == ':' || u == '='):
			b.WriteByte('\\')
			b.WriteByte(byte(u))
		case u >= 0xff:
			writeU(&b, u)
		default:
			b.WriteRune(rune(u))
		}
	}
	return b.String()
}

func propertiesKeyEscape(s string) string   { return propertiesEscape(s, true) }
func propertiesValueEscape(s string) string { return propertiesEscape(s, false) }

const upperHex = "0123456789ABCDEF"

// uriEscapeWith percent-encodes the UTF-8 bytes of every character not in
// keep, with upper-case hex as .NET does.
func uriEscapeWith(s string, keep func(byte) bool) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x80 && keep(c) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(upperHex[c>>4])
		b.WriteByte(upperHex[c&15])
	}
	return b.String()
}

func isUnreserved(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-_.~", c) >= 0
}

// uriEscape is Uri.EscapeUriString: unreserved and reserved characters stay.
func uriEscape(s string) string {
	return uriEscapeWith(s, func(c byte) bool {
		return isUnreserved(c) || strings.IndexByte(":/?#[]@!$&'()*+,;=", c) >= 0
	})
}

// uriDataEscape is Uri.EscapeDataString: only unreserved characters stay.
func uriDataEscape(s string) string { return uriEscapeWith(s, isUnreserved) }
