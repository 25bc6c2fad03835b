package mask

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
)

// writeAll writes chunks to a fresh Writer and returns what reached the sink.
func writeAll(t testing.TB, set *Set, chunks ...string) string {
	t.Helper()
	var out bytes.Buffer
	w := NewWriter(&out, set)
	for _, c := range chunks {
		if _, err := w.Write([]byte(c)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

func TestWriter(t *testing.T) {
	tests := []struct {
		name    string
		secrets []string
		chunks  []string
		want    string
	}{
		{"no secrets", nil, []string{"hello\n"}, "hello\n"},
		{"one secret", []string{"hunter2"}, []string{"pw=hunter2\n"}, "pw=********\n"},
		{"every occurrence", []string{"hunter2"}, []string{"hunter2 hunter2\nxhunter2x\n"}, "******** ********\nx********x\n"},
		{"split across writes", []string{"hunter2"}, []string{"pw=hun", "te", "r2 ok\n"}, "pw=******** ok\n"},
		{"split byte by byte", []string{"s3cr3t"}, strings.Split("a s3cr3t b\n", ""), "a ******** b\n"},
		{"short secrets ignored (3 chars or fewer)", []string{"abc", "ab"}, []string{"abc ab\n"}, "abc ab\n"},
		{"four characters masked", []string{"abcd"}, []string{"abcd\n"}, "********\n"},
		{"regex metacharacters are literal", []string{"a.*b+(c)?[d]$"}, []string{"x a.*b+(c)?[d]$ y aXXb\n"}, "x ******** y aXXb\n"},
		{"backslashes and dollars", []string{`C:\pa$$\1`}, []string{`path C:\pa$$\1 end` + "\n"}, "path ******** end\n"},
		{"overlapping secrets merge", []string{"abcdef", "defghi"}, []string{"xabcdefghiy\n"}, "x********y\n"},
		{"secret inside a secret", []string{"password123", "word"}, []string{"password123 word\n"}, "******** ********\n"},
		{"longest wins whatever the order", []string{"word", "password123"}, []string{"[password123]\n"}, "[********]\n"},
		{"adjacent occurrences merge", []string{"abcd"}, []string{"abcdabcd\n"}, "********\n"},
		{"self-overlapping occurrences", []string{"aaaa"}, []string{"aaaaaa\n"}, "********\n"},
		{"multi-line secret", []string{"-----BEGIN-----\nKEYDATA\n-----END-----"},
			[]string{"before\n-----BEGIN-----\nKEYDATA\n-----END-----\nafter\n"}, "before\n********\nafter\n"},
		{"multi-line secret split across writes", []string{"line-one\nline-two"},
			[]string{"x line-o", "ne\nli", "ne-two y\n"}, "x ******** y\n"},
		{"multi-line secret with short lines", []string{"ab\ncd\nef"}, []string{"ab\ncd\nef\n"}, "********\n"},
		{"multi-line secret written with CRLF", []string{"first\nsecond"}, []string{"first\r\nsecond\r\n"}, "********\r\n"},
		{"multi-line prefix that is not a secret is released", []string{"alpha\nbeta"}, []string{"alpha\ngamma\n"}, "alpha\ngamma\n"},
		{"partial last line flushed on Close", []string{"tok3n!"}, []string{"no newline tok3n!"}, "no newline ********"},
		{"secret at start and end", []string{"edge"}, []string{"edge mid edge"}, "******** mid ********"},
		{"unicode", []string{"pässwörd"}, []string{"ä pässwörd ö\n"}, "ä ******** ö\n"},
		{"empty writes", []string{"abcd"}, []string{"", "ab", "", "cd", "\n"}, "********\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := writeAll(t, NewSet(tt.secrets...), tt.chunks...); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestWholeLinesOnly(t *testing.T) {
	// Nothing reaches the sink before its newline: a secret split across
	// writes is never half-emitted.
	var out bytes.Buffer
	w := NewWriter(&out, NewSet("hunter2"))
	w.Write([]byte("pw=hun"))
	if out.Len() != 0 {
		t.Fatalf("partial line emitted: %q", out.String())
	}
	w.Write([]byte("ter2\nnext"))
	if out.String() != "pw=********\n" {
		t.Fatalf("got %q", out.String())
	}
	w.Close()
	if out.String() != "pw=********\nnext" {
		t.Fatalf("after close %q", out.String())
	}
	if _, err := w.Write([]byte("x")); err == nil {
		t.Fatal("write after Close accepted")
	}
}

func TestAddTakesEffectImmediately(t *testing.T) {
	// A step creates a sensitive output variable at run time: it is masked
	// from the next line on, including text already buffered.
	set := NewSet()
	var out bytes.Buffer
	w := NewWriter(&out, set)
	w.Write([]byte("before: runtime-secret\npending runtime-"))
	set.Add("runtime-secret")
	w.Write([]byte("secret\n"))
	w.Close()
	if want := "before: runtime-secret\npending ********\n"; out.String() != want {
		t.Fatalf("got %q, want %q", out.String(), want)
	}
}

func TestSharedSetAcrossWriters(t *testing.T) {
	set := NewSet("shared-secret")
	var a, b bytes.Buffer
	wa, wb := NewWriter(&a, set), NewWriter(&b, set)
	wa.Write([]byte("out shared-secret\n"))
	wb.Write([]byte("err shared-secret\n"))
	if a.String() != "out ********\n" || b.String() != "err ********\n" {
		t.Fatalf("got %q / %q", a.String(), b.String())
	}
}

func TestLongLineIsCutSafely(t *testing.T) {
	set := NewSet("needle-secret")
	var out bytes.Buffer
	w := NewWriter(&out, set)
	filler := strings.Repeat("x", MaxLine)
	// The secret straddles the point where the over-long line must be cut.
	w.Write([]byte(filler[:MaxLine-5] + "needle-"))
	w.Write([]byte("secret" + filler[:100]))
	if out.Len() == 0 {
		t.Fatal("an over-long line was not cut: memory would grow without bound")
	}
	w.Close()
	if strings.Contains(out.String(), "needle") || strings.Count(out.String(), Replacement) != 1 {
		t.Fatal("the secret at the cut leaked or was not masked once")
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func TestConcurrentWritesAndAdds(t *testing.T) {
	set := NewSet("alpha-secret")
	var sink syncBuffer
	w := NewWriter(&sink, set)
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				fmt.Fprintf(w, "g%d line %d alpha-secret\n", g, i)
				if i == 100 {
					set.Add(fmt.Sprintf("late-%d-secret", g))
				}
			}
		}(g)
	}
	wg.Wait()
	w.Close()
	got := sink.b.String()
	if strings.Contains(got, "alpha-secret") || strings.Count(got, "\n") != 1600 {
		t.Fatalf("concurrent output wrong: %d lines, leak %v", strings.Count(got, "\n"), strings.Contains(got, "alpha-secret"))
	}
}

func TestSetString(t *testing.T) {
	if got := NewSet("p4ss", "p4ssw0rd").String("p4ssw0rd and p4ss"); got != "******** and ********" {
		t.Errorf("got %q", got)
	}
}

// FuzzMask: whatever the secrets and however the text is split into
// writes, the output never contains a secret (of at least MinSecretLength).
func FuzzMask(f *testing.F) {
	f.Add("hunter2", "pw=hunter2\n", uint8(3))
	f.Add("a.*b", "xa.*by\n", uint8(1))
	f.Add("line1\nline2", "line1\nline2\n", uint8(4))
	f.Add("abcdef\x00defghi", "abcdefghi\nabcdef", uint8(2))
	f.Add("aaaa", "aaaaaaaaa", uint8(1))
	f.Add("ab\ncd", "ab\r\ncd\nab\ncd", uint8(5))
	f.Fuzz(func(t *testing.T, secretsField, text string, step uint8) {
		secrets := strings.Split(secretsField, "\x00")
		set := NewSet(secrets...)
		n := int(step%16) + 1
		var chunks []string
		for i := 0; i < len(text); i += n {
			chunks = append(chunks, text[i:min(i+n, len(text))])
		}
		got := writeAll(t, set, chunks...)
		for _, s := range secrets {
			if len(s) < MinSecretLength {
				continue
			}
			// The replacement itself may form a "secret" made of asterisks;
			// only secrets that cannot arise from masking are checked.
			if strings.Contains(Replacement+Replacement, s) || strings.Trim(s, "*") == "" {
				continue
			}
			if strings.Contains(got, s) {
				t.Fatalf("secret %q leaked: in %q (chunks of %d) out %q", s, text, n, got)
			}
		}
	})
}

func BenchmarkWriter(b *testing.B) {
	var text strings.Builder
	for i := 0; i < 20000; i++ {
		fmt.Fprintf(&text, "2024-01-01 12:00:%02d step %d: deploying package Acme.Web %d to /var/www/app\n", i%60, i, i)
	}
	data := []byte(text.String())
	secrets := make([]string, 20)
	for i := range secrets {
		secrets[i] = fmt.Sprintf("secret-value-%02d-xyz", i)
	}
	set := NewSet(secrets...)
	// Both sides copy the same log through io.Copy into a buffer; the
	// masked side goes through a Writer with 20 secrets on the way.
	var sink bytes.Buffer
	sink.Grow(len(data))
	run := func(b *testing.B, masked bool) float64 {
		b.SetBytes(int64(len(data)))
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			sink.Reset()
			if !masked {
				io.Copy(&sink, bytes.NewReader(data))
				continue
			}
			mw := NewWriter(&sink, set)
			io.Copy(mw, bytes.NewReader(data))
			mw.Close()
		}
		return b.Elapsed().Seconds() / float64(b.N)
	}
	var plain, masked float64
	b.Run("io.Copy", func(b *testing.B) { plain = run(b, false) })
	b.Run("masked-20-secrets", func(b *testing.B) { masked = run(b, true) })
	if plain > 0 && masked > 0 {
		fmt.Printf("mask benchmark: masking %d KiB costs %.1fx a plain io.Copy (%.3f ms vs %.3f ms)\n", len(data)>>10, masked/plain, masked*1e3, plain*1e3)
	}
}
