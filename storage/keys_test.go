package storage

import (
	"bytes"
	"sort"
	"testing"
)

func TestKeyStringSegmentsCannotForgeSeparators(t *testing.T) {
	tests := []struct {
		name string
		a, b key
	}{
		// Without escaping, ("a\x00b") and ("a", "b") would encode alike.
		{"nul inside vs two segments", family("uniq").str("a\x00b"), family("uniq").str("a").str("b")},
		{"escape byte inside", family("uniq").str("a\x01\x01"), family("uniq").str("a\x00")},
		{"escape then nul", family("uniq").str("a\x01").str("b"), family("uniq").str("a\x01\x00b")},
		{"kind vs index", uniqKey("Environments", "name", "x"), uniqKey("Environments\x00name", "", "x")},
		{"index value vs number", idxKey("Machines", "environment", "Environments-1", 1), idxPrefix("Machines", "environment", "Environments-1\x00\x00\x00\x00\x00\x00\x00\x00\x01")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if bytes.Equal(tc.a, tc.b) {
				t.Fatalf("%q and %q encode to the same key", tc.a, tc.b)
			}
		})
	}
}

func TestKeyStringEscaping(t *testing.T) {
	tests := []struct {
		in   string
		want []byte
	}{
		{"", []byte{0}},
		{"ab", []byte{'a', 'b', 0}},
		{"a\x00b", []byte{'a', 1, 1, 'b', 0}},
		{"a\x01b", []byte{'a', 1, 2, 'b', 0}},
		{"\x00\x01", []byte{1, 1, 1, 2, 0}},
	}
	for _, tc := range tests {
		got := key(nil).str(tc.in)
		if !bytes.Equal(got, tc.want) {
			t.Errorf("str(%q) = %v, want %v", tc.in, []byte(got), tc.want)
		}
		// The only 0x00 is the terminator.
		if i := bytes.IndexByte(got, 0); i != len(got)-1 {
			t.Errorf("str(%q) has a 0x00 at %d before the end", tc.in, i)
		}
	}
}

// TestKeyPrefixesDoNotOverlap checks that scanning one value's index
// entries never picks up those of a value it is a prefix of.
func TestKeyPrefixesDoNotOverlap(t *testing.T) {
	p := idxPrefix("Machines", "environment", "Environments-1")
	other := idxKey("Machines", "environment", "Environments-10", 5)
	if bytes.HasPrefix(other, p) {
		t.Fatalf("Environments-10's entry %q starts with Environments-1's prefix %q", other, p)
	}
	if !bytes.HasPrefix(idxKey("Machines", "environment", "Environments-1", 5), p) {
		t.Fatal("an entry does not start with its own prefix")
	}
	if bytes.HasPrefix(objKey("Events", 1), objPrefix("Event")) {
		t.Fatal("kind Events is inside kind Event's prefix")
	}
}

func TestKeyNumbersSortNumerically(t *testing.T) {
	ns := []uint64{0, 1, 2, 9, 10, 255, 256, 1 << 20, 1<<32 + 1, 1<<64 - 1}
	keys := make([][]byte, len(ns))
	for i, n := range ns {
		keys[i] = objKey("Environments", n)
		if got := numAt(keys[i]); got != n {
			t.Fatalf("numAt(objKey(%d)) = %d", n, got)
		}
	}
	shuffled := append([][]byte(nil), keys...)
	sort.Slice(shuffled, func(i, j int) bool { return bytes.Compare(shuffled[i], shuffled[j]) > 0 })
	sort.Slice(shuffled, func(i, j int) bool { return bytes.Compare(shuffled[i], shuffled[j]) < 0 })
	for i := range keys {
		if !bytes.Equal(shuffled[i], keys[i]) {
			t.Fatalf("byte order differs from numeric order at %d", i)
		}
	}
	if got := objKey("Environments", 0x0102030405060708); !bytes.HasSuffix(got, []byte{1, 2, 3, 4, 5, 6, 7, 8}) {
		t.Fatalf("number not big-endian: %v", []byte(got))
	}
}

func TestUniqueIndexValuesAreCaseFolded(t *testing.T) {
	if !bytes.Equal(uniqKey("Environments", "name", "Spaces-1/Prod"), uniqKey("Environments", "name", "spaces-1/PROD")) {
		t.Fatal("unique keys differ by case")
	}
}

func FuzzKeyStr(f *testing.F) {
	f.Add("a", "b")
	f.Add("a\x00", "b")
	f.Add("\x01", "\x00")
	f.Fuzz(func(t *testing.T, a, b string) {
		// Two different pairs of segments never encode alike.
		k1 := key(nil).str(a).str(b)
		k2 := key(nil).str(a + "\x00" + b)
		if bytes.Equal(k1, k2) {
			t.Fatalf("(%q,%q) collides with %q", a, b, a+"\x00"+b)
		}
		if a != b && bytes.Equal(key(nil).str(a), key(nil).str(b)) {
			t.Fatalf("%q and %q encode alike", a, b)
		}
	})
}
