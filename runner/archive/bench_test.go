package archive

import (
	"archive/tar"
	"bufio"
	"context"
	"fmt"
	"io"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"
)

func TestMain(m *testing.M) {
	code := m.Run()
	if benchDir != "" {
		os.RemoveAll(benchDir)
	}
	os.Exit(code)
}

var (
	benchOnce sync.Once
	benchDir  string
	benchFile string
	benchSize int64 // uncompressed content bytes
	benchErr  error
)

// mixedTarZst writes, once per test binary, a ~200 MB mixed tar.zst: many
// small source-like files, medium half-random files, a few large random
// (incompressible) and text files, directories and links. It streams to
// disk; nothing is held whole in memory.
func mixedTarZst(b *testing.B) (string, int64) {
	benchOnce.Do(func() {
		benchDir, benchErr = os.MkdirTemp("", "argonaut-archive-bench-")
		if benchErr != nil {
			return
		}
		benchFile = filepath.Join(benchDir, "mixed.tar.zst")
		f, err := os.Create(benchFile)
		if err != nil {
			benchErr = err
			return
		}
		defer f.Close()
		bw := bufio.NewWriterSize(f, 1<<20)
		zw, _ := zstd.NewWriter(bw)
		tw := tar.NewWriter(zw)
		rng := rand.New(rand.NewSource(42))
		text := sourceLike(rng, 4<<20)
		random := make([]byte, 1<<20)
		add := func(name string, size int64, randomShare float64) {
			tw.WriteHeader(&tar.Header{Name: name, Size: size, Mode: 0o644, Typeflag: tar.TypeReg, ModTime: fixedTime})
			for left := size; left > 0; {
				n := min(left, int64(len(random)))
				if rng.Float64() < randomShare {
					rng.Read(random[:n])
					tw.Write(random[:n])
				} else {
					off := rng.Intn(len(text) - int(n))
					tw.Write(text[off : off+int(n)])
				}
				left -= n
			}
			benchSize += size
		}
		for d := 0; d < 40; d++ {
			tw.WriteHeader(&tar.Header{Name: fmt.Sprintf("app/mod%02d/", d), Mode: 0o755, Typeflag: tar.TypeDir, ModTime: fixedTime})
			for i := 0; i < 50; i++ {
				add(fmt.Sprintf("app/mod%02d/file%03d.go", d, i), int64(1<<10+rng.Intn(15<<10)), 0)
			}
			tw.WriteHeader(&tar.Header{Name: fmt.Sprintf("app/mod%02d/current", d), Linkname: "file000.go", Typeflag: tar.TypeSymlink, ModTime: fixedTime})
		}
		for i := 0; i < 200; i++ {
			add(fmt.Sprintf("app/assets/blob%03d.bin", i), int64(100<<10+rng.Intn(400<<10)), 0.5)
		}
		for i := 0; i < 12; i++ {
			add(fmt.Sprintf("app/data/large%02d.dat", i), 10<<20, float64(i%2))
		}
		for _, c := range []io.Closer{tw, zw} {
			if err := c.Close(); err != nil {
				benchErr = err
			}
		}
		if err := bw.Flush(); err != nil {
			benchErr = err
		}
	})
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	return benchFile, benchSize
}

// sourceLike returns n bytes of random words and punctuation, which
// compress about as well as source code.
func sourceLike(rng *rand.Rand, n int) []byte {
	words := strings.Fields("func return if else for range err nil ctx string int byte struct type var const package import " +
		"handler request response deploy release project environment tenant variable package archive extract validate " +
		"{ } ( ) := = == != && || // , . ; [ ] 0 1 2 42 true false")
	out := make([]byte, 0, n+64)
	for len(out) < n {
		out = append(out, words[rng.Intn(len(words))]...)
		if rng.Intn(8) == 0 {
			out = append(out, '\n')
			for range rng.Intn(4) {
				out = append(out, '\t')
			}
		} else {
			out = append(out, ' ')
		}
		if rng.Intn(50) == 0 {
			out = fmt.Appendf(out, "id%x ", rng.Int63())
		}
	}
	return out[:n]
}

// BenchmarkExtract extracts the mixed tar.zst with Extract and, in the same
// run, with "tar --zstd -xf", and reports both rates and their ratio.
func BenchmarkExtract(b *testing.B) {
	src, size := mixedTarZst(b)
	if _, err := exec.LookPath("tar"); err != nil {
		b.Skip("no tar binary for the baseline")
	}
	info, _ := os.Stat(src)
	b.Logf("archive: %d MB compressed, %d MB of content", info.Size()>>20, size>>20)
	work := b.TempDir()
	var ours, base time.Duration
	b.SetBytes(size)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		dest := filepath.Join(work, fmt.Sprintf("ours-%d", i))
		baseDest := filepath.Join(work, fmt.Sprintf("tar-%d", i))
		os.MkdirAll(baseDest, 0o755)
		b.StartTimer()

		start := time.Now()
		sum, err := ExtractFile(context.Background(), src, dest, Limits{})
		ours += time.Since(start)
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if sum.Bytes != size {
			b.Fatalf("extracted %d bytes, want %d", sum.Bytes, size)
		}
		start = time.Now()
		out, err := exec.Command("tar", "--zstd", "-xf", src, "-C", baseDest).CombinedOutput()
		base += time.Since(start)
		if err != nil {
			b.Fatalf("tar: %v: %s", err, out)
		}
		os.RemoveAll(dest)
		os.RemoveAll(baseDest)
		b.StartTimer()
	}
	b.StopTimer()
	mb := float64(size) * float64(b.N) / (1 << 20)
	b.ReportMetric(mb/ours.Seconds(), "ours-MB/s")
	b.ReportMetric(mb/base.Seconds(), "tar-MB/s")
	b.ReportMetric(ours.Seconds()/base.Seconds(), "ours/tar-time")
}

// BenchmarkValidate decompresses and checks the same archive without
// writing, as the server does on push.
func BenchmarkValidate(b *testing.B) {
	src, size := mixedTarZst(b)
	b.SetBytes(size)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ValidateFile(context.Background(), src, Limits{}); err != nil {
			b.Fatal(err)
		}
	}
}
