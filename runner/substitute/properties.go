package substitute

import (
	"strconv"
	"strings"

	"github.com/argonautdeploy/argonaut/runner/template"
)

// Properties replaces, in a Java .properties file, the value of every key
// named by a variable (keys compared case-insensitively, after Java's
// unescaping), and returns the new text and the number of values replaced.
// Comments, blank lines, order, the key's spelling and its separator are
// kept; a value continued over several lines is written on one line.
// Paths do not apply, and as in Java an unescaped ':' ends a key: the line
// "A:B=1" has the key "A"; write "A\:B=1" for the key "A:B".
func Properties(text string, vars *template.Variables) (string, int) {
	var out strings.Builder
	n := 0
	lines := strings.SplitAfter(text, "\n")
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		body := strings.TrimLeft(line, " \t\f")
		if strings.TrimRight(body, "\r\n") == "" || body[0] == '#' || body[0] == '!' {
			out.WriteString(line)
			continue
		}
		// A logical line runs on while a physical line ends in an odd
		// number of backslashes.
		last := i
		for last+1 < len(lines) && continues(lines[last]) {
			last++
		}
		key, prefixLen := splitProperty(line)
		value, ok := vars.Get(key)
		if !ok {
			for j := i; j <= last; j++ {
				out.WriteString(lines[j])
			}
			i = last
			continue
		}
		n++
		out.WriteString(line[:prefixLen])
		out.WriteString(escapePropertyValue(value))
		out.WriteString(lineEnding(lines[last]))
		i = last
	}
	return out.String(), n
}

func lineEnding(s string) string {
	switch {
	case strings.HasSuffix(s, "\r\n"):
		return "\r\n"
	case strings.HasSuffix(s, "\n"):
		return "\n"
	}
	return ""
}

func continues(line string) bool {
	s := strings.TrimRight(line, "\r\n")
	if len(s) == len(line) { // the last line of the file
		return false
	}
	k := 0
	for k < len(s) && s[len(s)-1-k] == '\\' {
		k++
	}
	return k%2 == 1
}

// splitProperty returns the unescaped key of a property line and the length
// of the line up to where its value starts (leading space, key, separator).
func splitProperty(line string) (key string, prefixLen int) {
	i := len(line) - len(strings.TrimLeft(line, " \t\f"))
	var k strings.Builder
	for i < len(line) {
		c := line[i]
		if c == '\\' && i+1 < len(line) {
			r, size := unescapeProperty(line[i:])
			k.WriteString(r)
			i += size
			continue
		}
		if c == '=' || c == ':' || c == ' ' || c == '\t' || c == '\f' || c == '\r' || c == '\n' {
			break
		}
		k.WriteByte(c)
		i++
	}
	for i < len(line) && (line[i] == ' ' || line[i] == '\t' || line[i] == '\f') {
		i++
	}
	if i < len(line) && (line[i] == '=' || line[i] == ':') {
		i++
		for i < len(line) && (line[i] == ' ' || line[i] == '\t' || line[i] == '\f') {
			i++
		}
	}
	return k.String(), i
}

// unescapeProperty decodes the escape at the start of s ("\t", "\u00e9",
// "\=", …) and returns it and its length.
func unescapeProperty(s string) (string, int) {
	switch c := s[1]; c {
	case 't':
		return "\t", 2
	case 'n':
		return "\n", 2
	case 'r':
		return "\r", 2
	case 'f':
		return "\f", 2
	case 'u':
		if len(s) >= 6 {
			if v, err := strconv.ParseUint(s[2:6], 16, 16); err == nil {
				return string(rune(v)), 6
			}
		}
		return "u", 2
	default:
		return string(c), 2
	}
}

// escapePropertyValue escapes a value so that Java reads back exactly it:
// backslashes, line breaks, tabs, form feeds and a leading space.
func escapePropertyValue(v string) string {
	var b strings.Builder
	for i, r := range v {
		switch r {
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '\f':
			b.WriteString(`\f`)
		case ' ':
			if i == 0 {
				b.WriteString(`\ `)
			} else {
				b.WriteByte(' ')
			}
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
