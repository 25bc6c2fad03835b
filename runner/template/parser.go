package template

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The parser is a hand-written backtracking recursive-descent parser over the
// grammar in NOTES.md §3. Each parse function takes a byte offset and returns
// the offset after what it consumed plus ok=false when it does not match (the
// caller then tries the next alternative from the same offset).
//
// Nesting (conditionals, loops, nested option tokens, nested indexers) is
// bounded by maxParseDepth so a hostile template cannot exhaust the stack.

const maxParseDepth = 256

// ParseError reports a template that does not parse. With halt-on-error (the
// default) Evaluate returns the input unchanged and this error in
// Result.ParseError.
type ParseError struct {
	Offset int // byte offset of the first token that could not be parsed
	Line   int // 1-based
	Column int // 1-based, in runes
	Near   string
}

func (e *ParseError) Error() string {
	return fmt.Sprintf("template: parse error at line %d, column %d: unexpected %q", e.Line, e.Column, e.Near)
}

type parser struct {
	src   string
	depth int
	// work counts tag attempts. Backtracking over unclosed blocks can make
	// parsing super-linear, so a template needing more than a fixed amount
	// of work per byte is rejected as a parse error.
	work, maxWork int
	exhausted     bool

	// topCap is the capacity for the first (outermost) token sequence.
	topCap int
	// keys holds the folded lookup keys of the symbols parsed so far, so
	// that folding a mixed-case name costs no allocation of its own; a full
	// buffer is left to the strings that point into it and a new one is
	// started.
	keys strings.Builder
	// Nodes are allocated in slabs: a 1 MB template holds tens of
	// thousands of them, mostly text and simple bindings. Slabs start
	// small and double, so a short template (most variable values) does
	// not pay for a large one.
	texts                []textNode
	simple               []simpleSubst
	textSlab, simpleSlab int
	// slow disables the fast paths; tests compare the two.
	slow bool
}

// simpleSubst is a #{Name} or #{A.B.C} token allocated as one block.
type simpleSubst struct {
	node substNode
	sym  symbolExpr
}

const (
	keyBufSize  = 4 << 10
	maxSlabSize = 256
)

// nextSlab returns the size of a parser's next slab after one of size n.
func nextSlab(n int) int {
	if n == 0 {
		return 2
	}
	return min(2*n, maxSlabSize)
}

func newParser(src string) *parser {
	return &parser{src: src, maxWork: parseWorkPerByte*len(src) + 10_000}
}

// fold returns foldKey(s), writing a changed ASCII key into the parser's key
// buffer instead of allocating it.
func (p *parser) fold(s string) string {
	upper := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf {
			return strings.ToLower(s)
		}
		if 'A' <= c && c <= 'Z' {
			upper = true
		}
	}
	if !upper {
		return s
	}
	if p.keys.Cap()-p.keys.Len() < len(s) {
		// Strings already handed out keep the old buffer alive; it is
		// never written again. The buffer is no longer than the source
		// (parsing a variable's name folds into a buffer of its size).
		p.keys = strings.Builder{}
		p.keys.Grow(max(min(keyBufSize, len(p.src)), len(s)))
	}
	start := p.keys.Len()
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		p.keys.WriteByte(c)
	}
	return p.keys.String()[start:]
}

// plainStep is a step as the parser makes it, with its key folded once.
func (p *parser) plainStep(text string, indexer bool) step {
	return step{text: text, key: p.fold(text), indexer: indexer}
}

func (p *parser) newText(s string) *textNode {
	if len(p.texts) == 0 {
		p.textSlab = nextSlab(p.textSlab)
		p.texts = make([]textNode, p.textSlab)
	}
	t := &p.texts[0]
	p.texts = p.texts[1:]
	t.text = s
	return t
}

const parseWorkPerByte = 16

// bodyMode says where a token sequence ends.
type bodyMode int

const (
	bodyPlain bodyMode = iota // ends at #{/…} or anything unparsable
	bodyIf                    // also ends before #{else} and #{elseif
)

// parseTemplate parses a whole template. With halt=false, a stretch that
// fails to parse is kept as literal text and parsing resumes after its "#{".
func parseTemplate(src string, halt bool) ([]node, error) {
	return parseTemplateWith(src, halt, false)
}

// parseTemplateWith is parseTemplate, without its fast paths when slow is
// set (for tests).
func parseTemplateWith(src string, halt, slow bool) ([]node, error) {
	p := newParser(src)
	p.slow = slow
	// Every token starts with "#{" and is followed by at most one text
	// node, so this sizes the outermost sequence in one allocation.
	p.topCap = 2*strings.Count(src, "#{") + 1
	nodes, pos := p.sequence(0, bodyPlain)
	if p.exhausted {
		return nil, p.errorAt(pos)
	}
	if pos == len(src) {
		return nodes, nil
	}
	if halt {
		return nil, p.errorAt(pos)
	}
	var pending strings.Builder // merges adjacent text without quadratic copying
	var out []node
	flush := func() {
		if pending.Len() > 0 {
			out = append(out, p.newText(pending.String()))
			pending.Reset()
		}
	}
	add := func(ns []node) {
		for _, n := range ns {
			if t, ok := n.(*textNode); ok {
				pending.WriteString(t.text)
				continue
			}
			flush()
			out = append(out, n)
		}
	}
	add(nodes)
	for pos < len(src) {
		// Only a "#{" can fail to parse (text takes anything else), so keep
		// those two characters as text and carry on.
		pending.WriteString(src[pos : pos+2])
		var more []node
		more, pos = p.sequence(pos+2, bodyPlain)
		if p.exhausted {
			return nil, p.errorAt(pos)
		}
		add(more)
	}
	flush()
	return out, nil
}

func (p *parser) errorAt(pos int) *ParseError {
	line, col := 1, 1
	for _, r := range p.src[:pos] {
		if r == '\n' {
			line++
			col = 1
			continue
		}
		col++
	}
	near := p.src[pos:]
	if len(near) > 20 {
		near = near[:20]
	}
	return &ParseError{Offset: pos, Line: line, Column: col, Near: near}
}

func (p *parser) appendText(nodes []node, s string) []node {
	if s == "" {
		return nodes
	}
	if len(nodes) > 0 {
		if t, ok := nodes[len(nodes)-1].(*textNode); ok {
			t.text += s
			return nodes
		}
	}
	return append(nodes, p.newText(s))
}

func (p *parser) has(pos int, s string) bool { return strings.HasPrefix(p.src[pos:], s) }

// sequence parses tokens until one does not parse, returning the position of
// the first unparsed byte.
func (p *parser) sequence(pos int, mode bodyMode) ([]node, int) {
	var nodes []node
	if p.topCap > 0 {
		nodes = make([]node, 0, p.topCap)
		p.topCap = 0
	}
	for pos < len(p.src) {
		if mode == bodyIf && (p.has(pos, "#{else}") || p.has(pos, "#{elseif")) {
			break
		}
		if p.has(pos, "#{") {
			n, np, ok := p.tagToken(pos)
			if !ok {
				break
			}
			nodes = append(nodes, n)
			pos = np
			continue
		}
		text, np := p.text(pos)
		nodes = p.appendText(nodes, text)
		pos = np
	}
	return nodes, pos
}

// tagToken parses a token starting with "#{": the alternatives are tried in
// the upstream order conditional, calc, each, substitution.
func (p *parser) tagToken(pos int) (node, int, bool) {
	if !p.startTag(pos) {
		return nil, pos, false
	}
	return p.tagBody(pos)
}

// startTag is what tagToken checks and counts before it tries any
// alternative; false means the token fails.
func (p *parser) startTag(pos int) bool {
	if p.has(pos, "#{/") || p.depth >= maxParseDepth {
		return false
	}
	p.work++
	if p.work > p.maxWork {
		p.exhausted = true
	}
	return !p.exhausted
}

// tagBody is tagToken after startTag.
func (p *parser) tagBody(pos int) (node, int, bool) {
	if n, np, ok := p.simpleSubstitution(pos); ok {
		return n, np, true
	}
	p.depth++
	defer func() { p.depth-- }()
	if n, np, ok := p.conditional(pos); ok {
		return n, np, true
	}
	if n, np, ok := p.calc(pos); ok {
		return n, np, true
	}
	if n, np, ok := p.each(pos); ok {
		return n, np, true
	}
	if n, np, ok := p.substitution(pos); ok {
		return n, np, true
	}
	return nil, pos, false
}

// simpleSubstitution is the fast path for the commonest token, a binding
// "#{Name}" or "#{A.B.C}" whose names are ASCII identifier characters, with
// no whitespace, filter or indexer. It builds exactly the node substitution
// would: such a token cannot be a conditional, calc or each (their keywords
// need whitespace after them), and its symbol's steps are the dot-separated
// names. Anything else is left to the general parser.
func (p *parser) simpleSubstitution(pos int) (node, int, bool) {
	if p.slow {
		return nil, pos, false
	}
	src := p.src
	start := pos + 2
	q, dots, ok := simpleName(src, start)
	if !ok {
		return nil, pos, false
	}
	if len(p.simple) == 0 {
		p.simpleSlab = nextSlab(p.simpleSlab)
		p.simple = make([]simpleSubst, p.simpleSlab)
	}
	n := &p.simple[0]
	p.simple = p.simple[1:]
	name := src[start:q]
	// ASCII folding keeps byte offsets, so each step's key is a slice of
	// the folded name, and the folded name is the symbol's cycle key.
	key := p.fold(name)
	sym := &n.sym
	if dots == 0 {
		sym.inline[0] = step{text: name, key: key}
		sym.steps = sym.inline[:1:1]
	} else {
		sym.steps = make([]step, 0, dots+1)
		for from := 0; from <= len(name); {
			to := strings.IndexByte(name[from:], '.')
			if to < 0 {
				to = len(name)
			} else {
				to += from
			}
			sym.steps = append(sym.steps, step{text: name[from:to], key: key[from:to]})
			from = to + 1
		}
	}
	sym.key, sym.keyed, sym.plain = key, true, true
	n.node.expr = sym
	return &n.node, q + 1, true
}

// simpleName scans the name of a simple binding (see simpleSubstitution)
// starting at start: ASCII identifier characters in non-empty runs separated
// by single dots, followed by '}'. It returns the offset of the '}' and the
// number of dots.
func simpleName(src string, start int) (end, dots int, ok bool) {
	q := start
	for ; q < len(src); q++ {
		c := src[q]
		if isASCIIIdentByte(c) {
			continue
		}
		if c == '.' && q > start && src[q-1] != '.' {
			dots++
			continue
		}
		break
	}
	if q == start || q >= len(src) || src[q] != '}' || src[q-1] == '.' {
		return 0, 0, false
	}
	return q, dots, true
}

// isASCIIIdentByte reports whether c is an ASCII identifier character (see
// isIdentRune).
func isASCIIIdentByte(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	switch c {
	case '_', '-', ':', '/', '~', '(', ')', '@':
		return true
	}
	return false
}

// text consumes literal text up to the next unescaped "#{" (NOTES §3 Text).
func (p *parser) text(pos int) (string, int) {
	src := p.src
	start := pos
	// b stays nil while the text is src[start:pos] verbatim (no escape
	// changed it), so the common case copies nothing.
	var b *strings.Builder
	result := func() string {
		if b == nil {
			return src[start:pos]
		}
		return b.String()
	}
	for pos < len(src) {
		c := src[pos]
		if c != '#' {
			next := strings.IndexByte(src[pos:], '#')
			if next < 0 {
				next = len(src) - pos
			}
			if b != nil {
				b.WriteString(src[pos : pos+next])
			}
			pos += next
			continue
		}
		switch {
		case pos+1 == len(src): // a final '#'
			if b != nil {
				b.WriteByte('#')
			}
			pos++
		case p.has(pos, "###{"):
			// "##" before a token is one literal '#', then the token.
			if b == nil {
				return src[start : pos+1], pos + 2
			}
			b.WriteByte('#')
			return b.String(), pos + 2
		case p.has(pos, "##{"):
			if b == nil {
				b = &strings.Builder{}
				b.WriteString(src[start:pos])
			}
			b.WriteString("#{")
			pos += 3
		case src[pos+1] != '{':
			if b != nil {
				b.WriteString(src[pos : pos+2])
			}
			pos += 2
		default: // "#{": a token starts here
			return result(), pos
		}
	}
	return result(), pos
}

func isSpace(r rune) bool { return unicode.IsSpace(r) }

func (p *parser) skipSpace(pos int) int {
	for pos < len(p.src) {
		r, n := utf8.DecodeRuneInString(p.src[pos:])
		if !isSpace(r) {
			break
		}
		pos += n
	}
	return pos
}

func isIdentRune(r rune, allowSpace bool) bool {
	if unicode.IsLetter(r) || unicode.IsDigit(r) {
		return true
	}
	switch r {
	case '_', '-', ':', '/', '~', '(', ')', '@':
		return true
	}
	return allowSpace && isSpace(r)
}

// identifier parses identifier characters. With allowSpace, inner whitespace
// is allowed, but a whitespace character ends the identifier when it is
// followed by '|' or '}' or by a keyword (in, ==, !=) that is itself followed
// by whitespace. The result is trimmed.
func (p *parser) identifier(pos int, allowSpace bool) (string, int, bool) {
	start := pos
	src := p.src
	for pos < len(src) {
		r, n := utf8.DecodeRuneInString(src[pos:])
		if !isIdentRune(r, allowSpace) {
			break
		}
		if isSpace(r) && p.spaceEndsIdentifier(pos+n) {
			break
		}
		pos += n
	}
	if pos == start {
		return "", start, false
	}
	return strings.TrimFunc(src[start:pos], isSpace), pos, true
}

func (p *parser) spaceEndsIdentifier(next int) bool {
	if next < len(p.src) && (p.src[next] == '|' || p.src[next] == '}') {
		return true
	}
	for _, kw := range [...]string{"in", "==", "!="} {
		end := next + len(kw)
		if end >= len(p.src) || !p.has(next, kw) {
			continue
		}
		if r, _ := utf8.DecodeRuneInString(p.src[end:]); isSpace(r) {
			return true
		}
	}
	return false
}

// symbol parses Identifier ( '.' Identifier | Indexer )*. A trailing step that
// does not parse simply ends the symbol (the caller then usually fails on the
// leftover text).
func (p *parser) symbol(pos int) (*symbolExpr, int, bool) {
	sym, pos, ok := p.symbolSteps(pos)
	if ok {
		// Fill the cycle-detection key now: parsed templates of variable
		// values are shared between concurrent evaluations and must never
		// be written afterwards.
		sym.foldedKey()
		sym.plain = true
		for _, st := range sym.steps {
			if st.indexer || st.dynamic != nil {
				sym.plain = false
				break
			}
		}
	}
	return sym, pos, ok
}

func (p *parser) symbolSteps(pos int) (*symbolExpr, int, bool) {
	first, pos, ok := p.identifier(pos, true)
	if !ok {
		return nil, pos, false
	}
	sym := &symbolExpr{}
	sym.inline[0] = p.plainStep(first, false)
	sym.steps = sym.inline[:1:1]
	for pos < len(p.src) {
		switch p.src[pos] {
		case '.':
			id, np, ok := p.identifier(pos+1, true)
			if !ok {
				return sym, pos, true
			}
			sym.steps = append(sym.steps, p.plainStep(id, false))
			pos = np
			continue
		case '[':
			st, np, ok := p.indexer(pos)
			if !ok {
				return sym, pos, true
			}
			sym.steps = append(sym.steps, st)
			pos = np
			continue
		}
		break
	}
	return sym, pos, true
}

// indexer parses [#{Symbol}] or [text] (text may nest balanced brackets).
func (p *parser) indexer(pos int) (step, int, bool) {
	if p.depth >= maxParseDepth {
		return step{}, pos, false
	}
	p.depth++
	defer func() { p.depth-- }()
	// Dynamic index: '[' ws* #{Symbol} ws* ']'.
	q := p.skipSpace(pos + 1)
	if p.has(q, "#{") && !p.has(q, "#{/") {
		if n, np, ok := p.substitution(q); ok {
			if sym, isSym := n.(*substNode).expr.(*symbolExpr); isSym {
				np = p.skipSpace(np)
				if np < len(p.src) && p.src[np] == ']' {
					return step{indexer: true, dynamic: sym}, np + 1, true
				}
			}
		}
	}
	text, np, ok := p.stringIndex(pos)
	if !ok {
		return step{}, pos, false
	}
	return p.plainStep(text, true), np, true
}

// stringIndex parses '[' ws* (nested-index | [^[\]]+)* ']' and returns the
// inner text. Whitespace right after '[' is dropped; whitespace before ']' is
// kept.
func (p *parser) stringIndex(pos int) (string, int, bool) {
	if pos >= len(p.src) || p.src[pos] != '[' {
		return "", pos, false
	}
	start := pos
	pos = p.skipSpace(pos + 1)
	var b strings.Builder
	for pos < len(p.src) {
		c := p.src[pos]
		if c == ']' {
			return b.String(), pos + 1, true
		}
		if c == '[' {
			if p.depth >= maxParseDepth {
				return "", start, false
			}
			p.depth++
			inner, np, ok := p.stringIndex(pos)
			p.depth--
			if !ok {
				return "", start, false
			}
			b.WriteString("[" + inner + "]")
			pos = np
			continue
		}
		end := strings.IndexAny(p.src[pos:], "[]")
		if end < 0 {
			return "", start, false
		}
		b.WriteString(p.src[pos : pos+end])
		pos += end
	}
	return "", start, false
}

// substitution parses "#{" ws* Expression ws* "}".
func (p *parser) substitution(pos int) (node, int, bool) {
	if !p.has(pos, "#{") || p.has(pos, "#{/") {
		return nil, pos, false
	}
	q := p.skipSpace(pos + 2)
	ex, q, ok := p.expression(q)
	if !ok {
		return nil, pos, false
	}
	q = p.skipSpace(q)
	if q >= len(p.src) || p.src[q] != '}' {
		return nil, pos, false
	}
	return &substNode{expr: ex}, q + 1, true
}

// expression parses FilterChain | Symbol.
func (p *parser) expression(pos int) (expression, int, bool) {
	// The leading symbol is parsed once and shared by both alternatives.
	start := p.skipSpace(pos)
	sym, symEnd, symOK := p.symbol(start)
	if f, np, ok := p.filterChain(pos, sym, symEnd, symOK); ok {
		return f, np, true
	}
	if start != pos {
		sym, symEnd, symOK = p.symbol(pos)
	}
	if symOK {
		return sym, symEnd, true
	}
	return nil, pos, false
}

// filterChain parses Symbol? ( '|' Name Option* )+, given the result of
// parsing the symbol after any space at pos.
func (p *parser) filterChain(pos int, sym *symbolExpr, symEnd int, symOK bool) (expression, int, bool) {
	var current expression
	if symOK {
		current = sym
		pos = p.skipSpace(symEnd)
	}
	count := 0
	for pos < len(p.src) && p.src[pos] == '|' {
		q := p.skipSpace(pos + 1)
		name, q, ok := p.identifier(q, false)
		if !ok {
			break
		}
		q = p.skipSpace(q)
		f := &filterExpr{arg: current, name: name}
		f.opts, q = p.options(q)
		current = f
		count++
		pos = q
	}
	if count == 0 {
		return nil, pos, false
	}
	return current, pos, true
}

// options parses filter options. Nested tokens do not swallow the whitespace
// after them (an upstream quirk: `#{A | F #{B} | G}` does not parse), while
// words and quoted texts do.
func (p *parser) options(pos int) ([]option, int) {
	var opts []option
	for pos < len(p.src) {
		if p.has(pos, "#{") {
			if n, np, ok := p.tagToken(pos); ok {
				opts = append(opts, option{token: n})
				pos = np
				continue
			}
		}
		q := p.skipSpace(pos)
		if w, np, ok := p.identifier(q, false); ok {
			opts = append(opts, option{text: w})
			pos = p.skipSpace(np)
			continue
		}
		if s, np, ok := p.quoted(q); ok {
			opts = append(opts, option{text: s})
			pos = p.skipSpace(np)
			continue
		}
		break
	}
	return opts, pos
}

// quoted parses "text" (no '"' or '#' inside) or \"text\" (anything up to the
// next \").
func (p *parser) quoted(pos int) (string, int, bool) {
	if p.has(pos, `"`) {
		end := strings.IndexAny(p.src[pos+1:], `"#`)
		if end < 0 || p.src[pos+1+end] != '"' {
			return "", pos, false
		}
		return p.src[pos+1 : pos+1+end], pos + end + 2, true
	}
	if p.has(pos, `\"`) {
		end := strings.Index(p.src[pos+2:], `\"`)
		if end < 0 {
			return "", pos, false
		}
		return p.src[pos+2 : pos+2+end], pos + end + 4, true
	}
	return "", pos, false
}

// keyword matches an ASCII keyword case-insensitively.
func (p *parser) keyword(pos int, kw string) (int, bool) {
	if len(p.src)-pos < len(kw) || !strings.EqualFold(p.src[pos:pos+len(kw)], kw) {
		return pos, false
	}
	return pos + len(kw), true
}

// requireSpace consumes at least one whitespace character.
func (p *parser) requireSpace(pos int) (int, bool) {
	q := p.skipSpace(pos)
	return q, q > pos
}

// conditional parses #{if …}…(#{elseif …}…)*(#{else}…)?#{/if} and the unless
// form (which has no elseif).
func (p *parser) conditional(pos int) (node, int, bool) {
	q := p.skipSpace(pos + 2)
	kw := ""
	for _, k := range [...]string{"if", "unless"} {
		if np, ok := p.keyword(q, k); ok {
			kw, q = k, np
			break
		}
	}
	if kw == "" {
		return nil, pos, false
	}
	q, ok := p.requireSpace(q)
	if !ok {
		return nil, pos, false
	}
	n, q, ok := p.conditionRest(q, kw)
	if !ok {
		return nil, pos, false
	}
	end := "#{/" + kw + "}"
	if !p.has(q, end) {
		return nil, pos, false
	}
	return n, q + len(end), true
}

// conditionRest parses `Cond ws* }` and the bodies, stopping before the
// closing tag.
func (p *parser) conditionRest(pos int, kw string) (*condNode, int, bool) {
	c, q, ok := p.condition(pos)
	if !ok {
		return nil, pos, false
	}
	q = p.skipSpace(q)
	if q >= len(p.src) || p.src[q] != '}' {
		return nil, pos, false
	}
	n := &condNode{keyword: kw, cond: c}
	n.first, q = p.sequence(q+1, bodyIf)
	switch {
	case kw == "if" && p.has(q, "#{elseif"):
		r, ok := p.requireSpace(q + len("#{elseif"))
		if !ok {
			return nil, pos, false
		}
		inner, np, ok := p.conditionRest(r, "if")
		if !ok {
			return nil, pos, false
		}
		inner.isElseIf = true
		n.second, n.hasElse = []node{inner}, true
		q = np
	case p.has(q, "#{else}"):
		n.second, q = p.sequence(q+len("#{else}"), bodyPlain)
		n.hasElse = true
	}
	return n, q, true
}

// condition parses Operand ( (== | !=) Operand )?; a lone operand must be an
// expression, not a literal.
func (p *parser) condition(pos int) (condition, int, bool) {
	left, q, ok := p.operand(pos)
	if !ok {
		return condition{}, pos, false
	}
	r := p.skipSpace(q)
	for _, op := range [...]string{"==", "!="} {
		if !p.has(r, op) {
			continue
		}
		right, np, ok := p.operand(p.skipSpace(r + 2))
		if !ok {
			return condition{}, pos, false
		}
		return condition{left: left, op: op, right: right}, np, true
	}
	if left.literal != nil {
		return condition{}, pos, false
	}
	return condition{left: left}, q, true
}

func (p *parser) operand(pos int) (operand, int, bool) {
	if s, np, ok := p.quoted(pos); ok {
		return operand{literal: &s}, np, true
	}
	ex, np, ok := p.expression(pos)
	if !ok {
		return operand{}, pos, false
	}
	return operand{expr: ex}, np, true
}

// each parses #{each v in Symbol}…#{/each}.
func (p *parser) each(pos int) (node, int, bool) {
	q := p.skipSpace(pos + 2)
	q, ok := p.keyword(q, "each")
	if !ok {
		return nil, pos, false
	}
	if q, ok = p.requireSpace(q); !ok {
		return nil, pos, false
	}
	v, q, ok := p.identifier(q, true)
	if !ok {
		return nil, pos, false
	}
	if q, ok = p.keyword(p.skipSpace(q), "in"); !ok {
		return nil, pos, false
	}
	coll, q, ok := p.symbol(p.skipSpace(q))
	if !ok {
		return nil, pos, false
	}
	q = p.skipSpace(q)
	if q >= len(p.src) || p.src[q] != '}' {
		return nil, pos, false
	}
	body, q := p.sequence(q+1, bodyPlain)
	if !p.has(q, "#{/each}") {
		return nil, pos, false
	}
	return &eachNode{variable: v, collection: coll, body: body}, q + len("#{/each}"), true
}

// parseVariablePath parses a variable name into path steps. Only a valid
// prefix is needed (trailing garbage is ignored); names containing a dynamic
// #{…} indexer are unreachable, as upstream.
func parseVariablePath(name string) ([]step, bool) {
	p := newParser(name)
	sym, _, ok := p.symbol(0)
	if !ok {
		return nil, false
	}
	for _, s := range sym.steps {
		if s.dynamic != nil {
			return nil, false
		}
	}
	return sym.steps, true
}
