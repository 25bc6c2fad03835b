package archive

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// fuzzLimits keep each fuzz input cheap: a few MiB and entries at most.
var fuzzLimits = Limits{MaxBytes: 4 << 20, MaxEntries: 256, RatioGrace: 1 << 20, ZstdMaxWindow: 1 << 20}

// checkFuzzResult fails on an error that is neither a refusal nor success:
// with an in-memory source there is no I/O error to excuse.
func checkFuzzResult(t *testing.T, sum Summary, err error) {
	var ee *EntryError
	if err != nil && !errors.As(err, &ee) {
		t.Fatalf("error is not an *EntryError: %v", err)
	}
	if sum.Bytes > fuzzLimits.MaxBytes+1 {
		t.Fatalf("decompressed %d bytes, over the limit", sum.Bytes)
	}
}

func fuzzSeeds(t testing.TB) (zips, tars [][]byte) {
	happy := happyMembers(t, false)
	zips = [][]byte{
		buildZip(t, happy),
		buildZip(t, []member{{name: "../x", body: "x"}}),
		zipWithAliases(t, buildZip(t, []member{{name: "a", body: "aaaa"}}), "b"),
		rawZip(t, "weird", 99, 0, "data"),
	}
	tarball := buildTar(t, happyMembers(t, true))
	tars = [][]byte{
		append([]byte{byte(FormatTar)}, tarball...),
		append([]byte{byte(FormatTarGzip)}, compress(t, FormatTarGzip, tarball)...),
		append([]byte{byte(FormatTarZstd)}, compress(t, FormatTarZstd, tarball)...),
		append([]byte{byte(FormatTar)}, buildTar(t, []member{{name: "l", typ: tar.TypeSymlink, link: "../x"}})...),
		append([]byte{byte(FormatTar)}, rawTar(rawTarHeader("liar", tar.TypeReg, 5, 0o644, ""), []byte("garbage garbage"))...),
	}
	return zips, tars
}

func FuzzValidateZip(f *testing.F) {
	zips, _ := fuzzSeeds(f)
	for _, z := range zips {
		f.Add(z)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		sum, err := Validate(context.Background(), bytes.NewReader(data), int64(len(data)), FormatZip, fuzzLimits)
		checkFuzzResult(t, sum, err)
	})
}

// FuzzValidateTar takes the format from the first byte, so one target covers
// plain, gzip, bzip2 and zstd tar streams.
func FuzzValidateTar(f *testing.F) {
	_, tars := fuzzSeeds(f)
	for _, tb := range tars {
		f.Add(tb)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) == 0 {
			return
		}
		format := []Format{FormatTar, FormatTarGzip, FormatTarBzip2, FormatTarZstd}[int(data[0])%4]
		data = data[1:]
		sum, err := Validate(context.Background(), bytes.NewReader(data), int64(len(data)), format, fuzzLimits)
		checkFuzzResult(t, sum, err)
	})
}

var writeSeeds = flag.Bool("write-seeds", false, "write the fuzz seed corpus to testdata/fuzz")

// TestFuzzSeedsCommitted checks that the seed corpus committed under
// testdata/fuzz is the one fuzzSeeds generates, so the fuzzers start from the
// battery's cases; with -write-seeds it rewrites the corpus instead.
func TestFuzzSeedsCommitted(t *testing.T) {
	zips, tars := fuzzSeeds(t)
	for target, seeds := range map[string][][]byte{"FuzzValidateZip": zips, "FuzzValidateTar": tars} {
		dir := filepath.Join("testdata", "fuzz", target)
		if *writeSeeds {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
		}
		for i, s := range seeds {
			path := filepath.Join(dir, fmt.Sprintf("seed-%02d", i))
			body := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", s)
			if *writeSeeds {
				if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
					t.Fatal(err)
				}
				continue
			}
			got, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (regenerate with: go test -run TestFuzzSeedsCommitted -write-seeds)", err)
			}
			if string(got) != body {
				t.Errorf("%s is stale (regenerate with: go test -run TestFuzzSeedsCommitted -write-seeds)", path)
			}
		}
	}
}
