package template

import (
	"strconv"
	"strings"
	"unicode"
)

// Text manipulation and comparison filters.

func textCase(f func(string) string) filterFunc {
	return func(c *filterCall) (*string, error) {
		if c.arg == nil || len(c.opts) > 0 {
			return nil, nil
		}
		return str(f(*c.arg)), nil
	}
}

func escaper(f func(string) string) filterFunc {
	return func(c *filterCall) (*string, error) {
		if c.arg == nil {
			return nil, nil
		}
		return str(f(*c.arg)), nil
	}
}

// comparison implements StartsWith/EndsWith/Contains: ordinal,
// case-sensitive, exactly one option.
func comparison(f func(s, sub string) bool) filterFunc {
	return func(c *filterCall) (*string, error) {
		if c.arg == nil || len(c.opts) != 1 {
			return nil, nil
		}
		return str(strconv.FormatBool(f(*c.arg, c.opts[0]))), nil
	}
}

func matchFilter(c *filterCall) (*string, error) {
	if c.arg == nil || len(c.opts) != 1 {
		return nil, nil
	}
	re, ok := c.e.cache.regexp(c.opts[0])
	if !ok {
		return nil, nil
	}
	return str(strconv.FormatBool(re.MatchString(*c.arg))), nil
}

// replaceFilter is .NET Regex.Replace: every match, replacement in .NET's $
// syntax, default replacement "".
func replaceFilter(c *filterCall) (*string, error) {
	if c.arg == nil || len(c.opts) == 0 || len(c.opts) > 2 {
		return nil, nil
	}
	re, ok := c.e.cache.regexp(c.opts[0])
	if !ok {
		return nil, nil
	}
	rep := ""
	if len(c.opts) == 2 {
		rep = c.opts[1]
	}
	out, ok := dotnetReplace(re, *c.arg, rep, c.e.limits.MaxOutputBytes)
	if !ok {
		return nil, &LimitError{Limit: "output", Max: c.e.limits.MaxOutputBytes}
	}
	return str(out), nil
}

// nonNegative parses a .NET int option that must be >= 0.
func nonNegative(s string) (int, bool) {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n < 0 {
		return 0, false
	}
	return n, true
}

// substringFilter: Substring len | Substring start len, counted in characters.
func substringFilter(c *filterCall) (*string, error) {
	if c.arg == nil || len(c.opts) == 0 || len(c.opts) > 2 {
		return nil, nil
	}
	runes := []rune(*c.arg)
	start, length := 0, 0
	var ok bool
	if len(c.opts) == 1 {
		if length, ok = nonNegative(c.opts[0]); !ok {
			return nil, nil
		}
	} else {
		if start, ok = nonNegative(c.opts[0]); !ok {
			return nil, nil
		}
		if length, ok = nonNegative(c.opts[1]); !ok {
			return nil, nil
		}
	}
	if start > len(runes) {
		return nil, nil
	}
	end := min(start+length, len(runes))
	return str(string(runes[start:end])), nil
}

// truncateFilter: Truncate n [suffix]; the suffix (default "...") is added
// only when something was cut.
func truncateFilter(c *filterCall) (*string, error) {
	if c.arg == nil || len(c.opts) == 0 || len(c.opts) > 2 {
		return nil, nil
	}
	n, ok := nonNegative(c.opts[0])
	if !ok {
		return nil, nil
	}
	suffix := "..."
	if len(c.opts) == 2 {
		suffix = c.opts[1]
	}
	runes := []rune(*c.arg)
	if len(runes) <= n {
		return c.arg, nil
	}
	return str(string(runes[:n]) + suffix), nil
}

func trimFilter(c *filterCall) (*string, error) {
	if c.arg == nil || len(c.opts) > 1 {
		return nil, nil
	}
	if len(c.opts) == 0 {
		return str(strings.TrimFunc(*c.arg, unicode.IsSpace)), nil
	}
	switch strings.ToLower(c.opts[0]) {
	case "start":
		return str(strings.TrimLeftFunc(*c.arg, unicode.IsSpace)), nil
	case "end":
		return str(strings.TrimRightFunc(*c.arg, unicode.IsSpace)), nil
	}
	return nil, nil
}

// indentFilter: Indent [N | /N | N/M | text] or Indent first later. The first
// prefix goes at the start, the later prefix after every "\n".
func indentFilter(c *filterCall) (*string, error) {
	if c.arg == nil || len(c.opts) > 2 {
		return nil, nil
	}
	if *c.arg == "" {
		return c.arg, nil
	}
	first, later := "    ", "    "
	switch len(c.opts) {
	case 1:
		first, later = indentSpec(c.opts[0])
	case 2:
		first, later = c.opts[0], c.opts[1]
	}
	var b strings.Builder
	b.WriteString(first)
	b.WriteString(strings.ReplaceAll(*c.arg, "\n", "\n"+later))
	return str(b.String()), nil
}

// indentSpec reads N, /N or N/M (each at most 255, the size of a byte);
// anything else is literal indent text for every line.
func indentSpec(s string) (string, string) {
	size := func(t string) (int, bool) {
		if t == "" || len(t) > 3 {
			return 0, false
		}
		for _, r := range t {
			if r < '0' || r > '9' {
				return 0, false
			}
		}
		n, _ := strconv.Atoi(t)
		return n, n <= 255
	}
	if n, ok := size(s); ok {
		return strings.Repeat(" ", n), strings.Repeat(" ", n)
	}
	if a, b, found := strings.Cut(s, "/"); found {
		if a == "" {
			if m, ok := size(b); ok {
				return "", strings.Repeat(" ", m)
			}
		} else if n, ok := size(a); ok {
			if m, ok := size(b); ok {
				return strings.Repeat(" ", n), strings.Repeat(" ", m)
			}
		}
	}
	return s, s
}

// appendFilter concatenates all options (no separator) after (or before)
// the value; an empty left side yields just the options.
func appendFilter(prepend bool) filterFunc {
	return func(c *filterCall) (*string, error) {
		if len(c.opts) == 0 {
			return nil, nil
		}
		joined := strings.Join(c.opts, "")
		arg := ""
		if c.arg != nil {
			arg = *c.arg
		}
		if prepend {
			return str(joined + arg), nil
		}
		return str(arg + joined), nil
	}
}
