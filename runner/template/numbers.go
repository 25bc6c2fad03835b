package template

import (
	"math/big"
	"strconv"
	"strings"
)

// .NET numeric formatting (en-US) over exact decimal digits, so that
// rounding matches System.Decimal (half away from zero) instead of binary
// floating point.

// netNumber is a decimal number: sign, integer digits and fraction digits.
type netNumber struct {
	neg  bool
	intD string // no leading zeros; "0" for zero
	frac string
}

// parseNetDecimal parses like decimal.TryParse in en-US (thousands
// separators, sign, exponent).
func parseNetDecimal(s string) (netNumber, bool) {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > 400 {
		return netNumber{}, false
	}
	if strings.ContainsAny(s, "eE") {
		f, ok := parseCultureFloat(s)
		if !ok {
			return netNumber{}, false
		}
		return numberFromFloat(f)
	}
	neg := false
	switch s[0] {
	case '-':
		neg, s = true, s[1:]
	case '+':
		s = s[1:]
	}
	intPart, frac, _ := strings.Cut(s, ".")
	intPart = strings.ReplaceAll(intPart, ",", "")
	if intPart == "" && frac == "" {
		return netNumber{}, false
	}
	for _, part := range []string{intPart, frac} {
		for _, c := range part {
			if c < '0' || c > '9' {
				return netNumber{}, false
			}
		}
	}
	intPart = strings.TrimLeft(intPart, "0")
	if intPart == "" {
		intPart = "0"
	}
	return netNumber{neg: neg, intD: intPart, frac: frac}, true
}

func numberFromFloat(f float64) (netNumber, bool) {
	s := strconv.FormatFloat(f, 'f', -1, 64)
	n, ok := parseNetDecimal(s)
	return n, ok
}

func (n netNumber) isZero() bool {
	return strings.Trim(n.intD, "0") == "" && strings.Trim(n.frac, "0") == ""
}

// round rounds to places fraction digits, half away from zero.
func (n netNumber) round(places int) netNumber {
	if len(n.frac) <= places {
		n.frac += strings.Repeat("0", places-len(n.frac))
		return n
	}
	up := n.frac[places] >= '5'
	digits := n.intD + n.frac[:places]
	if up {
		b := []byte(digits)
		i := len(b) - 1
		for ; i >= 0; i-- {
			if b[i] == '9' {
				b[i] = '0'
				continue
			}
			b[i]++
			break
		}
		digits = string(b)
		if i < 0 {
			digits = "1" + digits
		}
	}
	n.intD = strings.TrimLeft(digits[:len(digits)-places], "0")
	if n.intD == "" {
		n.intD = "0"
	}
	n.frac = digits[len(digits)-places:]
	return n
}

func (n netNumber) shift(by int) netNumber { // multiply by 10^by (by >= 0)
	all := n.intD + n.frac + strings.Repeat("0", max(0, by-len(n.frac)))
	point := len(n.intD) + by
	n.intD = strings.TrimLeft(all[:point], "0")
	if n.intD == "" {
		n.intD = "0"
	}
	n.frac = all[point:]
	return n
}

func group(digits string) string {
	if len(digits) <= 3 {
		return digits
	}
	var b strings.Builder
	lead := len(digits) % 3
	if lead > 0 {
		b.WriteString(digits[:lead])
	}
	for i := lead; i < len(digits); i += 3 {
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(digits[i : i+3])
	}
	return b.String()
}

// formatNetNumber applies a .NET standard or custom numeric format. integral
// marks int types (D and X only work for them). ok=false means .NET would
// throw a FormatException.
func formatNetNumber(n netNumber, format string, integral bool) (string, bool) {
	if len(format) > 100 {
		return "", false
	}
	if format == "" {
		format = "G"
	}
	if c := format[0]; len(format) <= 3 && strings.IndexByte("CcDdEeFfGgNnPpRrXx", c) >= 0 {
		prec := -1
		if len(format) > 1 {
			p, err := strconv.Atoi(format[1:])
			if err != nil {
				return customNumber(n, format), true
			}
			prec = p
		}
		return standardNumber(n, c, prec, integral)
	}
	return customNumber(n, format), true
}

func standardNumber(n netNumber, c byte, prec int, integral bool) (string, bool) {
	def := func(d int) int {
		if prec < 0 {
			return d
		}
		return prec
	}
	sign := func(s string, r netNumber) string {
		if r.neg && !r.isZero() {
			return "-" + s
		}
		return s
	}
	withFrac := func(r netNumber, places int, grouped bool) string {
		i := r.intD
		if grouped {
			i = group(i)
		}
		if places > 0 {
			return i + "." + r.frac
		}
		return i
	}
	switch c {
	case 'C', 'c':
		r := n.round(def(2))
		return sign("$"+withFrac(r, def(2), true), r), true
	case 'N', 'n':
		r := n.round(def(2))
		return sign(withFrac(r, def(2), true), r), true
	case 'F', 'f':
		r := n.round(def(2))
		return sign(withFrac(r, def(2), false), r), true
	case 'P', 'p':
		r := n.shift(2).round(def(2))
		return sign(withFrac(r, def(2), true)+"%", r), true
	case 'D', 'd':
		if !integral {
			return "", false
		}
		d := n.intD
		for len(d) < prec {
			d = "0" + d
		}
		return sign(d, n), true
	case 'X', 'x':
		if !integral {
			return "", false
		}
		v, ok := new(big.Int).SetString(n.intD, 10)
		if !ok {
			return "", false
		}
		if n.neg {
			v.Neg(v)
			v.And(v, new(big.Int).SetUint64(0xffffffff))
		}
		s := v.Text(16)
		if c == 'X' {
			s = strings.ToUpper(s)
		}
		for len(s) < prec {
			s = "0" + s
		}
		return s, true
	case 'E', 'e':
		f, _ := strconv.ParseFloat(n.text(), 64)
		s := strconv.FormatFloat(f, 'e', def(6), 64)
		mant, exp, _ := strings.Cut(s, "e")
		sgn := exp[0]
		digits := strings.TrimLeft(exp[1:], "0")
		for len(digits) < 3 {
			digits = "0" + digits
		}
		return mant + string(rune(c)) + string(sgn) + digits, true
	default: // G, R
		if prec > 0 {
			f, _ := strconv.ParseFloat(n.text(), 64)
			return strconv.FormatFloat(f, 'g', prec, 64), true
		}
		return n.text(), true
	}
}

func (n netNumber) text() string {
	s := n.intD
	if n.frac != "" {
		s += "." + n.frac
	}
	if n.neg && !n.isZero() {
		s = "-" + s
	}
	return s
}

// customNumber handles custom formats built from 0 # . , % and literals,
// with up to three ';' sections.
func customNumber(n netNumber, format string) string {
	sections := splitSections(format)
	section := sections[0]
	useSign := true
	switch {
	case len(sections) >= 3 && n.isZero():
		section, useSign = sections[2], false
	case len(sections) >= 2 && n.neg && !n.isZero():
		section, useSign = sections[1], false
	}
	// Find the placeholder run.
	first, last := -1, -1
	inQuote := byte(0)
	for i := 0; i < len(section); i++ {
		c := section[i]
		if inQuote != 0 {
			if c == inQuote {
				inQuote = 0
			}
			continue
		}
		switch c {
		case '\'', '"':
			inQuote = c
		case '\\':
			i++
		case '0', '#', '.', ',':
			if first < 0 {
				first = i
			}
			last = i
		}
	}
	if first < 0 {
		return unquote(section)
	}
	run := section[first : last+1]
	intSpec, fracSpec, _ := strings.Cut(run, ".")
	scale := 0
	for strings.HasSuffix(intSpec, ",") {
		scale += 3
		intSpec = intSpec[:len(intSpec)-1]
	}
	grouped := strings.Contains(intSpec, ",")
	minInt := 0
	if i := strings.IndexByte(intSpec, '0'); i >= 0 {
		minInt = strings.Count(intSpec[i:], "0") + strings.Count(intSpec[i:], "#")
	}
	fracSpec = strings.ReplaceAll(fracSpec, ",", "")
	maxFrac := len(fracSpec)
	minFrac := strings.LastIndexByte(fracSpec, '0') + 1
	v := n
	if strings.Contains(section, "%") {
		v = v.shift(2)
	}
	if scale > 0 {
		all := strings.Repeat("0", scale) + v.intD
		v.frac = all[len(all)-scale:] + v.frac
		v.intD = strings.TrimLeft(all[:len(all)-scale], "0")
		if v.intD == "" {
			v.intD = "0"
		}
	}
	v = v.round(maxFrac)
	intDigits := strings.TrimLeft(v.intD, "0")
	for len(intDigits) < minInt {
		intDigits = "0" + intDigits
	}
	if grouped {
		intDigits = group(intDigits)
	}
	frac := v.frac
	for len(frac) > minFrac && strings.HasSuffix(frac, "0") {
		frac = frac[:len(frac)-1]
	}
	num := intDigits
	if frac != "" {
		num += "." + frac
	}
	if useSign && v.neg && !v.isZero() {
		num = "-" + num
	}
	return unquote(section[:first]) + num + unquote(section[last+1:])
}

func splitSections(f string) []string {
	var out []string
	start := 0
	for i := 0; i < len(f); i++ {
		switch f[i] {
		case '\\':
			i++
		case ';':
			out = append(out, f[start:i])
			start = i + 1
		}
	}
	return append(out, f[start:])
}

// unquote renders literal parts of a custom format: quoted text and \x.
func unquote(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '\'', '"':
			end := strings.IndexByte(s[i+1:], c)
			if end < 0 {
				b.WriteString(s[i+1:])
				return b.String()
			}
			b.WriteString(s[i+1 : i+1+end])
			i += end + 1
		case '\\':
			if i+1 < len(s) {
				b.WriteByte(s[i+1])
				i++
			}
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}
