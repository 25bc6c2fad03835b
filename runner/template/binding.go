package template

import (
	"strings"
	"sync"
	"sync/atomic"
)

// binding is one node of the variable tree. Dotted steps live in children and
// indexer steps in indexable: Octostache keeps them apart, so X.a and X[a]
// are different nodes.
type binding struct {
	// item is the node's value; nil: the node has no value of its own (a
	// container). A value is replaced by pointing item elsewhere, never by
	// writing through it: other nodes may share the pointer.
	item *string
	// value is where item points for nodes made by leaf and setValue, so
	// that reading a value touches no other memory.
	value string
	// plain is set when item is known to hold no "#{" (so is no template);
	// false means "not known" and templateOf decides.
	plain     bool
	cache     *valueCache
	children  orderedBindings
	indexable orderedBindings
}

func leaf(s string) *binding {
	b := &binding{}
	b.setValue(s)
	return b
}

// setValue gives b the value s.
func (b *binding) setValue(s string) {
	b.value = s
	b.item = &b.value
	b.plain = !strings.Contains(s, "#{")
}

// valueCache remembers work done on a node's value: whether it is a
// template and its parse, the node as a plain evaluated value, and its JSON
// parse. It lives on the node (shared by copies of a raw value) rather than
// in a map keyed by the text, so a large value is never re-hashed or
// re-parsed per lookup. The variable tree, and so these caches, are shared
// by every evaluation over the same Variables, concurrently: each result is
// computed once under its sync.Once and never written again.
type valueCache struct {
	templateOnce sync.Once
	templateDone atomic.Bool // set once nodes and plain are final
	nodes        []node      // nil: not a template, or does not parse
	plain        *binding    // for a value that is not a template: the value as a childless leaf

	jsonOnce sync.Once
	jsonDone atomic.Bool
	json     *jsonValue
	jsonOK   bool

	// The value split on commas, as #{each} iterates it: leaves that are
	// never written (each has its cache from the start).
	commaOnce  sync.Once
	commaDone  atomic.Bool
	commaItems []*binding
}

// values returns b's cache. Nodes of the shared tree get theirs when the
// tree is built; nodes made during one evaluation get theirs lazily.
func (b *binding) values() *valueCache {
	if b.cache == nil {
		b.cache = &valueCache{}
	}
	return b.cache
}

// orderedBindings is a small case-insensitive map that remembers insertion
// order. Most nodes have a few children, which a scan finds faster than a
// map (and without allocating one); a map is built past smallBindings.
type orderedBindings struct {
	folded []string   // foldKey of each name, in insertion order
	nodes  []*binding // parallel to folded
	pos    map[string]bindingPos
}

const smallBindings = 8

// bindingPos is where a name is in an orderedBindings, and its node, so a
// lookup reads the map only.
type bindingPos struct {
	i    int
	node *binding
}

func (o *orderedBindings) get(name string) (*binding, bool) {
	return o.getFolded(foldKey(name))
}

// getFolded is get for a name already passed through foldKey.
func (o *orderedBindings) getFolded(key string) (*binding, bool) {
	if i := o.index(key); i >= 0 {
		return o.nodes[i], true
	}
	return nil, false
}

// getFoldedBytes is getFolded for a key in a scratch buffer; it allocates
// nothing.
func (o *orderedBindings) getFoldedBytes(key []byte) (*binding, bool) {
	if o.pos != nil {
		p, ok := o.pos[string(key)]
		return p.node, ok
	}
	for i, k := range o.folded {
		if k == string(key) {
			return o.nodes[i], true
		}
	}
	return nil, false
}

// index returns the position of a folded name, or -1.
func (o *orderedBindings) index(key string) int {
	if o.pos != nil {
		if p, ok := o.pos[key]; ok {
			return p.i
		}
		return -1
	}
	for i, k := range o.folded {
		if k == key {
			return i
		}
	}
	return -1
}

func (o *orderedBindings) put(name string, b *binding) {
	k := foldKey(name)
	if i := o.index(k); i >= 0 {
		o.nodes[i] = b
		if o.pos != nil {
			o.pos[k] = bindingPos{i, b}
		}
		return
	}
	o.folded = append(o.folded, k)
	o.nodes = append(o.nodes, b)
	switch {
	case o.pos != nil:
		o.pos[k] = bindingPos{len(o.nodes) - 1, b}
	case len(o.nodes) > smallBindings:
		o.pos = make(map[string]bindingPos, 2*len(o.nodes))
		for i, k := range o.folded {
			o.pos[k] = bindingPos{i, o.nodes[i]}
		}
	}
}

func (o *orderedBindings) len() int { return len(o.nodes) }

// varTree is the variable tree of a Variables, shared by every evaluation
// until the next Set, and the index of its plain names, built on first use.
type varTree struct {
	root      *binding
	namesOnce sync.Once
	names     *nameIndex
}

// nameIndex returns the tree's name index, building it on first use.
func (t *varTree) nameIndex() *nameIndex {
	t.namesOnce.Do(func() { t.names = buildNameIndex(t.root) })
	return t.names
}

// tree returns the variable tree of vars.
func (v *Variables) tree() *varTree {
	if v == nil {
		return &varTree{root: buildTree(nil)}
	}
	if t := v.cached.Load(); t != nil {
		return t
	}
	t := &varTree{root: buildTree(v)}
	if v.cached.CompareAndSwap(nil, t) {
		return t
	}
	return v.cached.Load()
}

// buildTree turns the flat dictionary into the path tree. A name that does
// not parse as a symbol is unreachable; trailing garbage after a valid prefix
// is ignored (so "a+b" binds as "a"), exactly as upstream.
func buildTree(vars *Variables) *binding {
	root := &binding{cache: &valueCache{}}
	if vars == nil {
		return root
	}
	for i, name := range vars.names {
		steps, ok := parseVariablePath(name)
		if !ok {
			continue
		}
		addPath(root, steps, vars.values[i])
	}
	return root
}

// addPath creates the nodes along steps and sets the last one's value. An
// index node starts out with its index text as its value, which is what a
// loop variable over an indexed collection renders as.
func addPath(root *binding, steps []step, value string) {
	cur := root
	for _, s := range steps {
		if s.indexer {
			next, ok := cur.indexable.get(s.text)
			if !ok {
				next = leaf(s.text)
				next.cache = &valueCache{}
				cur.indexable.put(s.text, next)
			}
			cur = next
			continue
		}
		next, ok := cur.children.get(s.text)
		if !ok {
			next = &binding{cache: &valueCache{}}
			cur.children.put(s.text, next)
		}
		cur = next
	}
	cur.setValue(value)
}
