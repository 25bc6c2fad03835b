package template

import "strings"

// The AST mirrors Octostache's token types. Every node can print itself back
// as template text ("echo"): unresolved tokens are echoed from the parse tree,
// not sliced from the input, so `#{ Foo|ToUpper }` echoes as `#{Foo | ToUpper}`.

// node is one template token.
type node interface {
	echo(b *strings.Builder)
}

// textNode is literal text (escapes such as ##{ already applied).
type textNode struct{ text string }

// substNode is #{expression}.
type substNode struct{ expr expression }

// condNode is #{if}/#{unless} with optional #{elseif} and #{else}.
type condNode struct {
	keyword  string // "if" or "unless"
	cond     condition
	first    []node // the body right after the opening tag
	second   []node // the #{else} body, or a single *condNode for #{elseif}
	hasElse  bool
	isElseIf bool // this node was written as #{elseif …} inside its parent
}

// eachNode is #{each v in Collection}…#{/each}.
type eachNode struct {
	variable   string
	collection *symbolExpr
	body       []node
}

// calcNode is #{calc expression}.
type calcNode struct{ expr calcExpr }

// expression is the content of a substitution: a symbol or a filter chain.
type expression interface {
	echo(b *strings.Builder)
}

// step is one segment of a symbol path: an identifier (after a dot or first),
// a text indexer [text], or a dynamic indexer [#{symbol}].
type step struct {
	text    string
	key     string // foldKey(text), filled by the parser; "" means compute it
	indexer bool
	dynamic *symbolExpr // non-nil for [#{…}]
	// nilIndex marks a dynamic indexer that resolved to a node without a
	// value; such a step can never match.
	nilIndex bool
}

// symbolExpr is a variable path such as Octopus.Action[Name].Value.
type symbolExpr struct {
	steps  []step
	key    string  // cached folded echo, used for cycle detection
	keyed  bool    // key is set
	plain  bool    // every step is a plain name (no indexer), set by the parser
	inline [1]step // backing array of steps for one-step symbols
}

// filterExpr applies a filter to the result of arg (nil arg = empty left side).
type filterExpr struct {
	arg  expression
	name string
	opts []option
}

// option is a filter option: literal text or a nested token rendered first.
type option struct {
	text  string
	token node
}

// condition is the test of a conditional: a lone operand (truthiness) or a
// comparison.
type condition struct {
	left  operand
	op    string // "", "==" or "!="
	right operand
}

// operand is a quoted literal or an expression.
type operand struct {
	literal *string
	expr    expression
}

func (n *textNode) echo(b *strings.Builder) { b.WriteString(n.text) }

func (n *substNode) echo(b *strings.Builder) {
	b.WriteString("#{")
	n.expr.echo(b)
	b.WriteString("}")
}

func (n *condNode) echo(b *strings.Builder) {
	if n.isElseIf {
		b.WriteString("#{elseif ")
	} else {
		b.WriteString("#{" + n.keyword + " ")
	}
	n.cond.echo(b)
	b.WriteString("}")
	echoNodes(b, n.first)
	switch {
	case n.elseIf() != nil:
		n.elseIf().echo(b)
	case n.hasElse:
		b.WriteString("#{else}")
		echoNodes(b, n.second)
	}
	if !n.isElseIf {
		b.WriteString("#{/" + n.keyword + "}")
	}
}

// elseIf returns the #{elseif} branch, if the second body is one.
func (n *condNode) elseIf() *condNode {
	if len(n.second) == 1 {
		if c, ok := n.second[0].(*condNode); ok && c.isElseIf {
			return c
		}
	}
	return nil
}

func (n *eachNode) echo(b *strings.Builder) {
	b.WriteString("#{each " + n.variable + " in ")
	n.collection.echo(b)
	b.WriteString("}")
	echoNodes(b, n.body)
	b.WriteString("#{/each}")
}

func (n *calcNode) echo(b *strings.Builder) {
	b.WriteString("#{")
	n.expr.echo(b)
	b.WriteString("}")
}

func (s *symbolExpr) echo(b *strings.Builder) {
	for i, st := range s.steps {
		switch {
		case st.dynamic != nil:
			b.WriteString("[#{")
			st.dynamic.echo(b)
			b.WriteString("}]")
		case st.indexer:
			b.WriteString("[" + st.text + "]")
		default:
			if i > 0 {
				b.WriteByte('.')
			}
			b.WriteString(st.text)
		}
	}
}

// foldedKey identifies the symbol for cycle detection: two symbols are the
// same when their paths print the same, ignoring case.
func (s *symbolExpr) foldedKey() string {
	if !s.keyed {
		s.key, s.keyed = s.computeKey(), true
	}
	return s.key
}

func (s *symbolExpr) computeKey() string {
	// Fast paths: one plain step is its own folded text; a dotted path of
	// plain steps is folded while it is written, in one allocation.
	if len(s.steps) == 1 && !s.steps[0].indexer && s.steps[0].dynamic == nil {
		return s.steps[0].folded()
	}
	n := 0
	for _, st := range s.steps {
		if st.indexer || st.dynamic != nil {
			n = -1
			break
		}
		n += len(st.text) + 1
	}
	if n > 0 {
		var b strings.Builder
		b.Grow(n)
		for i, st := range s.steps {
			if i > 0 {
				b.WriteByte('.')
			}
			b.WriteString(st.folded())
		}
		return b.String()
	}
	var b strings.Builder
	s.echo(&b)
	return foldKey(b.String())
}

// folded returns the step's case-insensitive lookup key.
func (st step) folded() string {
	if st.key != "" || st.text == "" {
		return st.key
	}
	return foldKey(st.text)
}

func (f *filterExpr) echo(b *strings.Builder) {
	if f.arg != nil {
		f.arg.echo(b)
	}
	b.WriteString(" | " + f.name)
	for _, o := range f.opts {
		b.WriteByte(' ')
		if o.token != nil {
			o.token.echo(b)
			continue
		}
		// Options are re-quoted when echoed, as upstream does.
		b.WriteString(`"` + o.text + `"`)
	}
}

func (c condition) echo(b *strings.Builder) {
	c.left.echo(b)
	if c.op != "" {
		b.WriteString(" " + c.op + " ")
		c.right.echo(b)
	}
}

func (o operand) echo(b *strings.Builder) {
	if o.literal != nil {
		b.WriteString(`"` + *o.literal + `"`)
		return
	}
	o.expr.echo(b)
}

func echoNodes(b *strings.Builder, nodes []node) {
	for _, n := range nodes {
		n.echo(b)
	}
}

// echoString renders anything with an echo method.
func echoString(e interface{ echo(*strings.Builder) }) string {
	var b strings.Builder
	e.echo(&b)
	return b.String()
}
