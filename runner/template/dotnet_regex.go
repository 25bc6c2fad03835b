package template

import (
	"regexp"
	"strings"
	"unicode/utf8"
)

// dotnetReplace is Regex.Replace with .NET replacement syntax: $n and ${n}
// (the longest run of digits naming an existing group, so "$2o" is group 2
// then "o" — Go's Expand would read a group named "2o"), ${name}, $$, $&,
// $`, $', $+ and $_. It stops and returns ok=false once the result would
// exceed max bytes.
func dotnetReplace(re *regexp.Regexp, input, rep string, max int) (string, bool) {
	var b strings.Builder
	last := 0
	pos := 0
	for pos <= len(input) {
		m := re.FindStringSubmatchIndex(input[pos:])
		if m == nil {
			break
		}
		for i := range m {
			if m[i] >= 0 {
				m[i] += pos
			}
		}
		b.WriteString(input[last:m[0]])
		expandDotnet(&b, re, input, rep, m)
		if b.Len() > max {
			return "", false
		}
		last = m[1]
		if m[1] == m[0] {
			// Empty match: step over one character to make progress.
			if m[1] >= len(input) {
				break
			}
			_, size := utf8.DecodeRuneInString(input[m[1]:])
			b.WriteString(input[m[1] : m[1]+size])
			last = m[1] + size
			pos = last
			continue
		}
		pos = m[1]
	}
	b.WriteString(input[last:])
	if b.Len() > max {
		return "", false
	}
	return b.String(), true
}

func expandDotnet(b *strings.Builder, re *regexp.Regexp, input, rep string, m []int) {
	group := func(i int) string {
		if 2*i+1 >= len(m) || m[2*i] < 0 {
			return ""
		}
		return input[m[2*i]:m[2*i+1]]
	}
	groups := re.NumSubexp()
	for i := 0; i < len(rep); i++ {
		c := rep[i]
		if c != '$' || i+1 >= len(rep) {
			b.WriteByte(c)
			continue
		}
		next := rep[i+1]
		switch {
		case next == '$':
			b.WriteByte('$')
			i++
		case next == '&':
			b.WriteString(input[m[0]:m[1]])
			i++
		case next == '`':
			b.WriteString(input[:m[0]])
			i++
		case next == '\'':
			b.WriteString(input[m[1]:])
			i++
		case next == '+':
			b.WriteString(group(groups))
			i++
		case next == '_':
			b.WriteString(input)
			i++
		case next >= '0' && next <= '9':
			// Longest digit run that names an existing group.
			j := i + 1
			best, bestEnd := -1, -1
			n := 0
			for j < len(rep) && rep[j] >= '0' && rep[j] <= '9' && n <= groups {
				n = n*10 + int(rep[j]-'0')
				j++
				if n <= groups {
					best, bestEnd = n, j
				}
			}
			if best < 0 {
				b.WriteByte('$')
				continue
			}
			b.WriteString(group(best))
			i = bestEnd - 1
		case next == '{':
			end := strings.IndexByte(rep[i+2:], '}')
			if end < 0 {
				b.WriteByte('$')
				continue
			}
			name := rep[i+2 : i+2+end]
			idx := re.SubexpIndex(name)
			if idx < 0 {
				if n, ok := nonNegative(name); ok && n <= groups && name != "" && !strings.HasPrefix(name, "+") {
					idx = n
				}
			}
			if idx < 0 {
				b.WriteByte('$')
				continue
			}
			b.WriteString(group(idx))
			i += 2 + end
		default:
			b.WriteByte('$')
		}
	}
}
