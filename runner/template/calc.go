package template

import (
	"math"
	"strconv"
	"strings"
)

// #{calc …} arithmetic (NOTES §3 Calculation, §10). Operands are float64s.
// Because '-' and '/' are identifier characters, `B-2` is one variable name;
// users write `{B}-2`.

type calcExpr interface {
	echo(b *strings.Builder)
}

type calcBinary struct {
	op          byte
	left, right calcExpr
}

type calcNumber struct {
	text  string
	value float64
}

type calcSymbol struct{ sym *symbolExpr }

// The failure echo joins operands and operators without spaces or
// parentheses and drops the braces around {X}, as upstream does.
func (c *calcBinary) echo(b *strings.Builder) {
	c.left.echo(b)
	b.WriteByte(c.op)
	c.right.echo(b)
}
func (c *calcNumber) echo(b *strings.Builder) { b.WriteString(c.text) }
func (c *calcSymbol) echo(b *strings.Builder) { c.sym.echo(b) }

// calc parses "#{" ws* "calc" ws+ Expr ws* "}".
func (p *parser) calc(pos int) (node, int, bool) {
	q := p.skipSpace(pos + 2)
	q, ok := p.keyword(q, "calc")
	if !ok {
		return nil, pos, false
	}
	if q, ok = p.requireSpace(q); !ok {
		return nil, pos, false
	}
	ex, q, ok := p.calcSum(q)
	if !ok {
		return nil, pos, false
	}
	q = p.skipSpace(q)
	if q >= len(p.src) || p.src[q] != '}' {
		return nil, pos, false
	}
	return &calcNode{expr: ex}, q + 1, true
}

func (p *parser) calcSum(pos int) (calcExpr, int, bool) {
	return p.calcChain(pos, "+-", p.calcProduct)
}

func (p *parser) calcProduct(pos int) (calcExpr, int, bool) {
	return p.calcChain(pos, "*/", p.calcFactor)
}

func (p *parser) calcChain(pos int, ops string, operand func(int) (calcExpr, int, bool)) (calcExpr, int, bool) {
	left, pos, ok := operand(pos)
	if !ok {
		return nil, pos, false
	}
	for {
		q := p.skipSpace(pos)
		if q >= len(p.src) || strings.IndexByte(ops, p.src[q]) < 0 {
			return left, pos, true
		}
		right, np, ok := operand(p.skipSpace(q + 1))
		if !ok {
			return left, pos, true
		}
		left = &calcBinary{op: p.src[q], left: left, right: right}
		pos = np
	}
}

func (p *parser) calcFactor(pos int) (calcExpr, int, bool) {
	if pos >= len(p.src) || p.depth >= maxParseDepth {
		return nil, pos, false
	}
	switch c := p.src[pos]; {
	case c == '(':
		p.depth++
		ex, q, ok := p.calcSum(p.skipSpace(pos + 1))
		p.depth--
		if ok {
			q = p.skipSpace(q)
			if q < len(p.src) && p.src[q] == ')' {
				return ex, q + 1, true
			}
		}
	case c >= '0' && c <= '9':
		q := pos
		for q < len(p.src) && p.src[q] >= '0' && p.src[q] <= '9' {
			q++
		}
		if q+1 < len(p.src) && p.src[q] == '.' && p.src[q+1] >= '0' && p.src[q+1] <= '9' {
			q++
			for q < len(p.src) && p.src[q] >= '0' && p.src[q] <= '9' {
				q++
			}
		}
		v, err := strconv.ParseFloat(p.src[pos:q], 64)
		if err != nil {
			return nil, pos, false
		}
		return &calcNumber{text: p.src[pos:q], value: v}, q, true
	case c == '{':
		sym, q, ok := p.symbol(p.skipSpace(pos + 1))
		if ok {
			q = p.skipSpace(q)
			if q < len(p.src) && p.src[q] == '}' {
				return &calcSymbol{sym: sym}, q + 1, true
			}
		}
		return nil, pos, false
	}
	if sym, q, ok := p.symbol(pos); ok {
		return &calcSymbol{sym: sym}, q, true
	}
	return nil, pos, false
}

// evalCalc computes the expression; resolve returns the text of a variable
// (ok=false when it is missing). Any missing or non-numeric operand fails the
// whole calculation.
func evalCalc(ex calcExpr, resolve func(*symbolExpr) (string, bool, error)) (float64, bool, error) {
	switch c := ex.(type) {
	case *calcNumber:
		return c.value, true, nil
	case *calcSymbol:
		s, ok, err := resolve(c.sym)
		if err != nil || !ok {
			return 0, false, err
		}
		v, ok := parseCultureFloat(s)
		return v, ok, nil
	case *calcBinary:
		l, ok, err := evalCalc(c.left, resolve)
		if err != nil || !ok {
			return 0, false, err
		}
		r, ok, err := evalCalc(c.right, resolve)
		if err != nil || !ok {
			return 0, false, err
		}
		switch c.op {
		case '+':
			return l + r, true, nil
		case '-':
			return l - r, true, nil
		case '*':
			return l * r, true, nil
		default:
			return l / r, true, nil
		}
	}
	return 0, false, nil
}

// parseCultureFloat parses a variable's value as .NET double.Parse does in
// en-US: surrounding whitespace, a sign, thousands separators and exponents
// are accepted.
func parseCultureFloat(s string) (float64, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, false
	}
	if strings.Contains(s, ",") {
		intPart := s
		if i := strings.IndexAny(s, ".eE"); i >= 0 {
			intPart = s[:i]
		}
		if strings.Contains(s[len(intPart):], ",") {
			return 0, false
		}
		s = strings.ReplaceAll(intPart, ",", "") + s[len(intPart):]
	}
	switch strings.ToLower(strings.TrimLeft(s, "+-")) {
	case "inf", "infinity", "nan":
		return 0, false // .NET spells these differently; be strict
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, false
	}
	return v, true
}

// formatDouble prints a float64 the way .NET Core's double.ToString() does:
// the shortest round-trip digits, switching to E notation for exponents of 15
// and above or below -4 (0.0001 prints plainly, 0.00001 as 1E-05).
func formatDouble(v float64) string {
	switch {
	case math.IsNaN(v):
		return "NaN"
	case math.IsInf(v, 1):
		return "∞"
	case math.IsInf(v, -1):
		return "-∞"
	case v == 0:
		if math.Signbit(v) {
			return "-0"
		}
		return "0"
	}
	e := strconv.FormatFloat(v, 'e', -1, 64) // d.ddddde±XX
	mant, expText, _ := strings.Cut(e, "e")
	exp, _ := strconv.Atoi(expText)
	if exp >= 15 || exp < -4 {
		sign := "+"
		if exp < 0 {
			sign, exp = "-", -exp
		}
		es := strconv.Itoa(exp)
		if len(es) < 2 {
			es = "0" + es
		}
		return mant + "E" + sign + es
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}
