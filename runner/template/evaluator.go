package template

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Evaluate renders template against vars. The returned error is non-nil only
// when evaluation cannot produce a result at all: a *RecursiveDefinitionError,
// a *LimitError or a *FilterError. Unresolved tokens and parse errors are
// reported in the Result, as Octostache does.
func Evaluate(template string, vars *Variables, opts Options) (res Result, err error) {
	return evaluate(template, vars, opts, false)
}

// evaluate is Evaluate; slow turns the parser's and evaluator's fast paths
// off, so that tests can check that they change nothing.
func evaluate(template string, vars *Variables, opts Options, slow bool) (res Result, err error) {
	// Defence in depth: Evaluate must never panic, whatever the input.
	defer func() {
		if r := recover(); r != nil {
			res, err = Result{}, fmt.Errorf("template: internal error: %v", r)
		}
	}()
	e := newEvaluator(vars, opts)
	e.slow = slow
	root := &context{b: e.root}
	var out strings.Builder
	// Substituted values are often a little longer than their tokens; the
	// slack saves copying the whole output to grow it at the end.
	out.Grow(len(template) + len(template)/8)
	rep := &report{}
	if !slow {
		perr, err := e.stream(newParser(template), !opts.ContinueOnParseError, root, &out, rep)
		if perr != nil {
			return Result{Output: template, ParseError: perr}, nil
		}
		if err != nil {
			return Result{}, err
		}
	} else {
		nodes, perr := parseTemplateWith(template, !opts.ContinueOnParseError, slow)
		if perr != nil {
			return Result{Output: template, ParseError: perr.(*ParseError)}, nil
		}
		if err := e.nodes(root, nodes, &out, rep); err != nil {
			return Result{}, err
		}
	}
	res = Result{Unresolved: rep.missing, Null: rep.null}
	if !rep.null {
		res.Output = out.String()
	}
	return res, nil
}

// EvaluateTruthy evaluates template and reports whether the result is truthy:
// no error of any kind, not null, and a truthy value (see IsTruthy).
func EvaluateTruthy(template string, vars *Variables, opts Options) bool {
	res, err := Evaluate(template, vars, opts)
	if err != nil || res.HasError() || res.Null {
		return false
	}
	return IsTruthy(res.Output)
}

// IsTruthy applies Octostache's truthiness rule: "", exactly "0", and
// (trimmed, ignoring case) "false" and "no" are falsy; anything else,
// including " 0" and "0.0", is truthy.
func IsTruthy(s string) bool {
	if s == "" || s == "0" {
		return false
	}
	t := strings.TrimSpace(s)
	return !strings.EqualFold(t, "false") && !strings.EqualFold(t, "no")
}

// evaluator holds the state of one Evaluate call.
type evaluator struct {
	tree     *varTree
	root     *binding
	limits   Limits
	now      func() time.Time
	location *time.Location

	depth   int
	steps   int
	written int

	cache *filterCache

	// slow disables the fast paths; tests compare the two.
	slow bool
	// fold is scratch space for folding names (see childFolded).
	fold []byte
}

const maxCachedEntries = 4096

func newEvaluator(vars *Variables, opts Options) *evaluator {
	e := &evaluator{
		tree:     vars.tree(),
		limits:   opts.Limits.withDefaults(),
		now:      opts.Now,
		location: opts.Location,
		cache:    newFilterCache(),
	}
	e.root = e.tree.root
	if e.now == nil {
		e.now = time.Now
	}
	if e.location == nil {
		e.location = time.Local
	}
	return e
}

// report collects what an evaluation could not resolve.
type report struct {
	missing []string
	seen    map[string]bool
	null    bool
}

func (r *report) add(tokens ...string) {
	for _, t := range tokens {
		if r.seen == nil {
			r.seen = map[string]bool{}
		}
		if !r.seen[t] {
			r.seen[t] = true
			r.missing = append(r.missing, t)
		}
	}
}

// context is one scope of evaluation: the root holds the variable tree, loop
// bodies get a child holding the loop variable, and each variable value is
// evaluated in a child of the scope that found it. stack holds the symbols
// being resolved in this scope, for cycle detection.
type context struct {
	b      *binding
	parent *context
	stack  []*symbolExpr
}

func (e *evaluator) step() error {
	e.steps++
	if e.steps > e.limits.MaxSteps {
		return &LimitError{Limit: "steps", Max: e.limits.MaxSteps}
	}
	return nil
}

func (e *evaluator) produce(n int) error {
	e.written += n
	if e.written > e.limits.MaxOutputBytes {
		return &LimitError{Limit: "output", Max: e.limits.MaxOutputBytes}
	}
	return nil
}

func (e *evaluator) write(out *strings.Builder, s string) error {
	if err := e.produce(len(s)); err != nil {
		return err
	}
	out.WriteString(s)
	return nil
}

func (e *evaluator) enter() error {
	e.depth++
	if e.depth > e.limits.MaxDepth {
		e.depth--
		return &LimitError{Limit: "depth", Max: e.limits.MaxDepth}
	}
	return nil
}

func (e *evaluator) leave() { e.depth-- }

// nodes renders a token sequence into out.
func (e *evaluator) nodes(ctx *context, nodes []node, out *strings.Builder, rep *report) error {
	for _, n := range nodes {
		if err := e.node(ctx, n, out, rep); err != nil {
			return err
		}
	}
	return nil
}

// node renders one token into out.
func (e *evaluator) node(ctx *context, n node, out *strings.Builder, rep *report) error {
	if err := e.step(); err != nil {
		return err
	}
	switch t := n.(type) {
	case *textNode:
		return e.write(out, t.text)
	case *substNode:
		return e.substitution(ctx, t, out, rep)
	case *condNode:
		return e.conditional(ctx, t, out, rep)
	case *eachNode:
		return e.each(ctx, t, out, rep)
	case *calcNode:
		return e.calculation(ctx, t, out, rep)
	}
	return nil
}

func (e *evaluator) substitution(ctx *context, t *substNode, out *strings.Builder, rep *report) error {
	if sym, ok := t.expr.(*symbolExpr); ok && sym.plain && !e.slow {
		if v, ok := e.lookupPlain(ctx, sym); ok {
			return e.write(out, v)
		}
	}
	v, err := e.value(ctx, t.expr, rep)
	if err != nil {
		return err
	}
	if v != nil {
		return e.write(out, *v)
	}
	if f, ok := t.expr.(*filterExpr); ok && strings.EqualFold(f.name, "null") {
		rep.null = true
		return nil
	}
	echo := echoString(t)
	rep.add(echo)
	return e.write(out, echo)
}

// value computes an expression; nil means unresolved (or a filter that
// declined its input).
func (e *evaluator) value(ctx *context, ex expression, rep *report) (*string, error) {
	switch x := ex.(type) {
	case *symbolExpr:
		b, err := e.walk(ctx, x, rep)
		if err != nil || b == nil {
			return nil, err
		}
		return b.item, nil
	case *filterExpr:
		var arg *string
		if x.arg != nil {
			var err error
			if arg, err = e.value(ctx, x.arg, rep); err != nil {
				return nil, err
			}
		}
		opts := make([]string, len(x.opts))
		for i, o := range x.opts {
			if o.token == nil {
				opts[i] = o.text
				continue
			}
			s, err := e.render(ctx, []node{o.token}, rep)
			if err != nil {
				return nil, err
			}
			opts[i] = s
		}
		if err := e.step(); err != nil {
			return nil, err
		}
		res, err := e.invokeFilter(x.name, arg, opts)
		if err != nil || res == nil {
			return nil, err
		}
		// Filters can multiply their input (Replace, Indent); charging their
		// output keeps chains of them bounded.
		return res, e.produce(len(*res))
	}
	return nil, nil
}

// render evaluates nodes in a fresh child scope and returns the text.
func (e *evaluator) render(ctx *context, nodes []node, rep *report) (string, error) {
	if err := e.enter(); err != nil {
		return "", err
	}
	defer e.leave()
	var out strings.Builder
	child := &context{b: &binding{}, parent: ctx}
	if err := e.nodes(child, nodes, &out, rep); err != nil {
		return "", err
	}
	return out.String(), nil
}

func (e *evaluator) conditional(ctx *context, t *condNode, out *strings.Builder, rep *report) error {
	left, ok, err := e.operand(ctx, t.cond.left, rep)
	if err != nil {
		return err
	}
	if !ok {
		return e.echoConditional(t, t.cond.left, out, rep)
	}
	var result bool
	if t.cond.op == "" {
		result = IsTruthy(left)
	} else {
		right, ok, err := e.operand(ctx, t.cond.right, rep)
		if err != nil {
			return err
		}
		if !ok {
			return e.echoConditional(t, t.cond.right, out, rep)
		}
		// Ordinal, case-sensitive comparison.
		result = (left == right) == (t.cond.op == "==")
	}
	if t.keyword == "unless" {
		result = !result
	}
	if result {
		return e.nodes(ctx, t.first, out, rep)
	}
	return e.nodes(ctx, t.second, out, rep)
}

// echoConditional writes a conditional whose filtered operand was null back
// as text, body unevaluated.
func (e *evaluator) echoConditional(t *condNode, failed operand, out *strings.Builder, rep *report) error {
	rep.add(echoString(failed))
	return e.write(out, echoString(t))
}

// operand resolves one side of a condition. A missing symbol is "" here (not
// an echo); a filter chain that yields null makes ok false.
func (e *evaluator) operand(ctx *context, o operand, rep *report) (string, bool, error) {
	if o.literal != nil {
		return *o.literal, true, nil
	}
	if sym, isSym := o.expr.(*symbolExpr); isSym {
		b, err := e.walk(ctx, sym, rep)
		if err != nil || b == nil || b.item == nil {
			return "", true, err
		}
		return *b.item, true, nil
	}
	v, err := e.value(ctx, o.expr, rep)
	if err != nil || v == nil {
		return "", false, err
	}
	return *v, true, nil
}

// Names of the loop specials.
const (
	eachIndex = "Octopus.Template.Each.Index"
	eachFirst = "Octopus.Template.Each.First"
	eachLast  = "Octopus.Template.Each.Last"
)

var eachSpecialPaths = func() [3][]step {
	var paths [3][]step
	for i, name := range [...]string{eachIndex, eachFirst, eachLast} {
		paths[i], _ = parseVariablePath(name)
	}
	return paths
}()

func (e *evaluator) each(ctx *context, t *eachNode, out *strings.Builder, rep *report) error {
	items, err := e.items(ctx, t.collection, rep)
	if err != nil {
		return err
	}
	if err := e.enter(); err != nil {
		return err
	}
	defer e.leave()
	// The loop's scope is built once; each iteration gives its special
	// variables fresh values (fresh nodes' values and caches, so nothing
	// remembered from one iteration leaks into the next).
	locals := &binding{}
	var special [3]*binding
	for k, path := range eachSpecialPaths {
		addPath(locals, path, "")
		special[k] = lookupPath(locals, path)
	}
	// One allocation for all the index texts; every item points at its own.
	indexes := make([]string, len(items))
	// Walks leave a scope's stack as they found it, so one scope serves
	// every iteration.
	scope := &context{b: locals, parent: ctx}
	for i, item := range items {
		if err := e.step(); err != nil {
			return err
		}
		indexes[i] = strconv.Itoa(i)
		special[0].item = &indexes[i]
		special[1].item = boolText(i == 0)
		special[2].item = boolText(i == len(items)-1)
		for _, b := range special {
			b.plain, b.cache = true, nil
		}
		locals.children.put(t.variable, item)
		if err := e.nodes(scope, t.body, out, rep); err != nil {
			return err
		}
	}
	return nil
}

// lookupPath returns the node at steps below root, which addPath created.
func lookupPath(root *binding, steps []step) *binding {
	cur := root
	for _, s := range steps {
		if s.indexer {
			cur, _ = cur.indexable.get(s.text)
		} else {
			cur, _ = cur.children.get(s.text)
		}
	}
	return cur
}

// trueText and falseText are the values of the boolean loop specials. A
// value is never written through its item pointer, so every loop shares them.
var trueText, falseText = "True", "False"

func boolText(b bool) *string {
	if b {
		return &trueText
	}
	return &falseText
}

// items lists what #{each} iterates: indexed children in insertion order,
// else the elements of a JSON array or object value, else the value split on
// commas (no trimming, empty parts kept).
func (e *evaluator) items(ctx *context, coll *symbolExpr, rep *report) ([]*binding, error) {
	b, err := e.walk(ctx, coll, rep)
	if err != nil || b == nil {
		return nil, err
	}
	if b.indexable.len() > 0 {
		return append([]*binding(nil), b.indexable.nodes...), nil
	}
	if b.item == nil {
		return nil, nil
	}
	if items, ok := e.jsonItems(b); ok {
		return items, nil
	}
	return commaItems(b), nil
}

// commaItems returns b's value split on commas, as leaves shared by every
// evaluation that iterates the same value (see valueCache).
func commaItems(b *binding) []*binding {
	c := b.values()
	if !c.commaDone.Load() {
		c.commaOnce.Do(func() {
			defer c.commaDone.Store(true)
			parts := strings.Split(*b.item, ",")
			leaves := make([]binding, len(parts))
			caches := make([]valueCache, len(parts))
			c.commaItems = make([]*binding, len(parts))
			for i, p := range parts {
				leaves[i].setValue(p)
				leaves[i].cache = &caches[i]
				c.commaItems[i] = &leaves[i]
			}
		})
	}
	return c.commaItems
}

func (e *evaluator) calculation(ctx *context, t *calcNode, out *strings.Builder, rep *report) error {
	v, ok, err := evalCalc(t.expr, func(sym *symbolExpr) (string, bool, error) {
		b, err := e.walk(ctx, sym, rep)
		if err != nil || b == nil || b.item == nil {
			return "", false, err
		}
		return *b.item, true, nil
	})
	if err != nil {
		return err
	}
	if !ok {
		// Upstream echoes a failed calculation without recording it.
		return e.write(out, echoString(t))
	}
	return e.write(out, formatDouble(v))
}

// walk resolves a symbol to a binding (NOTES §4): dynamic indexers first, then
// the path step by step, falling back to JSON inside a value and then to the
// parent scope; the value found is itself evaluated as a template.
func (e *evaluator) walk(ctx *context, sym *symbolExpr, rep *report) (*binding, error) {
	if err := e.step(); err != nil {
		return nil, err
	}
	key := sym.foldedKey()
	for a := ctx; a != nil; a = a.parent {
		for _, s := range a.stack {
			if s.foldedKey() == key {
				chain := make([]string, 0, len(a.stack)+1)
				for _, c := range a.stack {
					chain = append(chain, echoString(c))
				}
				name := echoString(sym)
				return nil, &RecursiveDefinitionError{Symbol: name, Chain: append(chain, name)}
			}
		}
	}
	if err := e.enter(); err != nil {
		return nil, err
	}
	defer e.leave()
	ctx.stack = append(ctx.stack, sym)
	defer func() { ctx.stack = ctx.stack[:len(ctx.stack)-1] }()

	resolved, err := e.resolveIndexers(ctx, sym)
	if err != nil {
		return nil, err
	}
	val := ctx.b
	for _, st := range resolved.steps {
		next, found, err := e.stepInto(ctx, val, st)
		if err != nil {
			return nil, err
		}
		if found {
			val = next
			continue
		}
		if st.dynamic != nil || st.nilIndex {
			// An index that did not resolve can never match.
			return nil, nil
		}
		if ctx.parent == nil {
			return nil, nil
		}
		return e.walk(ctx.parent, resolved, rep)
	}
	return e.evaluateValue(ctx, val, rep)
}

func (e *evaluator) stepInto(ctx *context, val *binding, st step) (*binding, bool, error) {
	if st.dynamic != nil || st.nilIndex {
		return nil, false, nil
	}
	if !st.indexer {
		if n, ok := val.children.getFolded(st.folded()); ok {
			return n, true, nil
		}
		return e.jsonStep(ctx, val, st.text)
	}
	if st.text == "*" && val.indexable.len() > 0 {
		return val.indexable.nodes[0], true, nil
	}
	if n, ok := val.indexable.getFolded(st.folded()); ok {
		return n, true, nil
	}
	return e.jsonStep(ctx, val, st.text)
}

// lookupPlain is walk's fast path for a symbol of plain names whose value
// holds no template, the commonest binding: it finds the value with map
// lookups only, in this scope or an enclosing one, without the bookkeeping
// walk does for values that are evaluated further. It gives up (ok=false,
// nothing changed) whenever walk would do anything else: a step that could
// go into JSON, a value that is a template or a container, a symbol being
// resolved already (a cycle), or a depth or step limit that walk would hit;
// walk then takes over and returns the same result it always would.
func (e *evaluator) lookupPlain(ctx *context, sym *symbolExpr) (string, bool) {
	key := sym.foldedKey()
	for a := ctx; a != nil; a = a.parent {
		for _, s := range a.stack {
			if s.foldedKey() == key {
				return "", false
			}
		}
	}
	levels := 0
	for a := ctx; a != nil; a = a.parent {
		// walk enters one level and takes one step per scope it tries.
		levels++
		if e.depth+levels > e.limits.MaxDepth || e.steps+levels > e.limits.MaxSteps {
			return "", false
		}
		val := a.b
		found := true
		for _, st := range sym.steps {
			next, ok := val.children.getFolded(st.folded())
			if !ok {
				if val.item != nil {
					return "", false // walk would look into JSON
				}
				found = false
				break
			}
			val = next
		}
		if !found {
			continue
		}
		if val.item == nil {
			return "", false
		}
		if !val.plain && e.templateOf(val) != nil {
			return "", false
		}
		e.steps += levels
		return *val.item, true
	}
	return "", false
}

// resolveIndexers returns a copy of sym whose [#{…}] indexers are replaced by
// their values in this scope. An index that cannot be resolved stays dynamic
// (and so never matches); missing tokens met while resolving are dropped, as
// upstream does.
func (e *evaluator) resolveIndexers(ctx *context, sym *symbolExpr) (*symbolExpr, error) {
	dynamic := false
	for _, st := range sym.steps {
		if st.dynamic != nil {
			dynamic = true
			break
		}
	}
	if !dynamic {
		return sym, nil
	}
	out := &symbolExpr{steps: make([]step, len(sym.steps))}
	for i, st := range sym.steps {
		out.steps[i] = st
		if st.dynamic == nil {
			continue
		}
		b, err := e.walk(ctx, st.dynamic, &report{})
		if err != nil {
			return nil, err
		}
		switch {
		case b == nil:
		case b.item == nil:
			out.steps[i] = step{indexer: true, nilIndex: true, text: echoString(st.dynamic)}
		default:
			out.steps[i] = step{indexer: true, text: *b.item}
		}
	}
	return out, nil
}

// evaluateValue evaluates a found node's value as a template in a child of
// ctx. The result is a fresh leaf: like upstream, a value node loses its
// children once evaluated. A value that is not a template keeps sharing the
// node's cache.
func (e *evaluator) evaluateValue(ctx *context, b *binding, rep *report) (*binding, error) {
	if b.item == nil {
		return b, nil
	}
	nodes := e.templateOf(b)
	if nodes == nil {
		return b.values().plain, nil
	}
	out, err := e.render(ctx, nodes, rep)
	if err != nil {
		return nil, err
	}
	return leaf(out), nil
}

// templateOf returns the parsed template of b's value, or nil when the value
// holds no "#{" (the text parser is then the identity) or does not parse (it
// is then used as it is, as upstream does).
func (e *evaluator) templateOf(b *binding) []node {
	c := b.values()
	if !c.templateDone.Load() { // the check keeps the closure off the fast path
		c.templateOnce.Do(func() {
			defer c.templateDone.Store(true)
			if strings.Contains(*b.item, "#{") {
				if nodes, err := parseTemplate(*b.item, true); err == nil {
					c.nodes = nodes
					return
				}
			}
			c.plain = &binding{item: b.item, cache: c}
		})
	}
	return c.nodes
}

// jsonStep looks property up inside the JSON text of val (NOTES §7). The value
// is evaluated first if it holds a template. A self-reference met while doing
// so is swallowed and the raw text is probed instead, which is how
// Test={Name: "#{Test.Value}", Value: 12} gives #{Test.Name} = 12.
func (e *evaluator) jsonStep(ctx *context, val *binding, property string) (*binding, bool, error) {
	if val.item == nil || *val.item == "" || property == "" {
		return nil, false, nil
	}
	probe := val
	if strings.Contains(*val.item, "#{") {
		b, err := e.evaluateValue(ctx, val, &report{})
		var rec *RecursiveDefinitionError
		switch {
		case errors.As(err, &rec):
		case err != nil:
			return nil, false, err
		case b.item != nil:
			probe = b
		}
	}
	b, ok := e.jsonLookup(probe, property)
	return b, ok, nil
}
