package template

import "hash/maphash"

// nameIndex finds the value of a variable by its whole folded dotted name
// ("octopus.action.name") with, usually, one read of one cache line. It
// serves the one-pass evaluation of large templates (see stream), where the
// lookups of plain bindings are most of the work and the variable tree is
// often cold in the cache: a walk down the tree reads the map's control
// word, its slot, the key's bytes and the node before it reaches the value.
//
// The index holds every node reachable from the root through plain names
// (no indexer) whose value holds no template, with its name folded and
// joined by dots, when that name fits in a slot; it knows nothing else, so
// a miss only means "ask the tree". It is built once per variable tree, on
// first use, and only read afterwards.
type nameIndex struct {
	slots []nameSlot // open addressing, linear probing, a power of two long
	mask  uint64
	seed  maphash.Seed
}

// maxIndexedName is the longest name the index holds: a slot is 64 bytes.
const maxIndexedName = 39

type nameSlot struct {
	hash   uint64 // 0: empty
	value  string
	keyLen uint8
	key    [maxIndexedName]byte
}

// indexMinTemplate is the size from which a one-pass evaluation uses (and
// so may build) the index: building it costs about as much as a few
// thousand lookups.
const indexMinTemplate = 16 << 10

func buildNameIndex(root *binding) *nameIndex {
	type entry struct{ key, value string }
	var entries []entry
	path := make([]byte, 0, maxIndexedName+1)
	var visit func(b *binding, path []byte, top bool)
	visit = func(b *binding, path []byte, top bool) {
		for i, key := range b.children.folded {
			name := path
			if !top {
				// Not len(name) > 0: a step may be empty (" .A" is
				// the path "", "a", whose name is ".a").
				name = append(name, '.')
			}
			name = append(name, key...)
			if len(name) > maxIndexedName {
				continue
			}
			n := b.children.nodes[i]
			if n.item != nil && n.plain {
				entries = append(entries, entry{string(name), *n.item})
			}
			visit(n, name, false)
		}
	}
	visit(root, path, true)

	size := 16
	for size < len(entries)*4/3+1 {
		size *= 2
	}
	x := &nameIndex{slots: make([]nameSlot, size), mask: uint64(size - 1), seed: maphash.MakeSeed()}
	for _, en := range entries {
		h := x.hash(en.key)
		i := h & x.mask
		for x.slots[i].hash != 0 {
			i = (i + 1) & x.mask
		}
		s := &x.slots[i]
		s.hash, s.value, s.keyLen = h, en.value, uint8(len(en.key))
		copy(s.key[:], en.key)
	}
	return x
}

func (x *nameIndex) hash(key string) uint64 {
	h := maphash.String(x.seed, key)
	if h == 0 {
		h = 1
	}
	return h
}

// lookup returns the value of the folded name key.
func (x *nameIndex) lookup(key []byte) (string, bool) {
	if len(key) > maxIndexedName {
		return "", false
	}
	h := maphash.Bytes(x.seed, key)
	if h == 0 {
		h = 1
	}
	for i := h & x.mask; ; i = (i + 1) & x.mask {
		s := &x.slots[i]
		if s.hash == 0 {
			return "", false
		}
		if s.hash == h && int(s.keyLen) == len(key) && string(s.key[:len(key)]) == string(key) {
			return s.value, true
		}
	}
}
