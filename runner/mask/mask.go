// Package mask replaces secrets in log output with ********. Every log
// path of the runner (script output, service messages, step errors, the
// console and remote sinks) writes through a Writer, so a secret never
// reaches a log, a task record or an event.
//
// # How a Writer decides what to emit
//
// Output is split into whole lines first; a line is emitted (masked) only
// once its newline has arrived, so a secret split across two Write calls is
// still seen whole. Partial lines wait in the buffer until their newline
// or Close.
//
// Masking finds every occurrence of every secret in the buffered text
// (plain substring search: secrets are never compiled into regular
// expressions, so metacharacters mean nothing) and merges overlapping or
// touching occurrences into one span, which becomes one ********. Merging
// handles overlapping secrets ("abcdef" and "defghi" in "abcdefghi") and
// secrets inside secrets, whatever order they were added in.
//
// Multi-line secrets (a private key, a JSON document) are masked before the
// text is cut into lines, with a bounded lookahead: a line boundary is only
// emitted when no occurrence straddles it and the buffered tail after it
// cannot be the beginning of a multi-line secret that is still arriving.
// The lookahead is bounded by the longest multi-line secret; without
// multi-line secrets every complete line goes out immediately. A secret
// with "\n" line ends is also masked where the output uses "\r\n" (and the
// other way round).
//
// A line longer than MaxLine without a newline is cut (so memory stays
// bounded), keeping back enough bytes that no secret can straddle the cut.
//
// Secrets of 3 characters or fewer are ignored, as in Octopus: masking
// every "yes" or "80" would make logs unreadable and protects nothing.
package mask

import (
	"bytes"
	"io"
	"sort"
	"strings"
	"sync"
)

// Replacement is what a secret becomes.
const Replacement = "********"

// MinSecretLength is the shortest secret that is masked.
const MinSecretLength = 4

// MaxLine bounds the bytes held for one unterminated line.
const MaxLine = 1 << 20

// Set is a set of secrets shared by the writers of one run. Add may be
// called at any time, from any goroutine; it affects everything masked
// afterwards, including text already buffered but not yet emitted.
type Set struct {
	mu      sync.RWMutex
	secrets map[string]bool
	list    []string // sorted, for deterministic matching
	multi   []string // the secrets that contain '\n'
	maxLen  int      // longest secret
	maxML   int      // longest secret containing '\n'
}

// NewSet returns a set holding secrets.
func NewSet(secrets ...string) *Set {
	s := &Set{secrets: map[string]bool{}}
	for _, x := range secrets {
		s.Add(x)
	}
	return s
}

// Add puts secret into the set (with its other line-ending form when it
// spans lines). Secrets shorter than MinSecretLength are ignored.
func (s *Set) Add(secret string) {
	if len(secret) < MinSecretLength {
		return
	}
	forms := []string{secret}
	if strings.Contains(secret, "\n") {
		lf := strings.ReplaceAll(secret, "\r\n", "\n")
		forms = append(forms, lf, strings.ReplaceAll(lf, "\n", "\r\n"))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, f := range forms {
		if s.secrets[f] {
			continue
		}
		s.secrets[f] = true
		s.list = append(s.list, f)
		s.maxLen = max(s.maxLen, len(f))
		if strings.Contains(f, "\n") {
			s.maxML = max(s.maxML, len(f))
			s.multi = append(s.multi, f)
		}
	}
	sort.Strings(s.list)
}

// Len reports how many secret forms the set holds.
func (s *Set) Len() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.list)
}

// String masks a complete text.
func (s *Set) String(text string) string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	b := []byte(text)
	return string(apply(b, s.spans(b)))
}

// span is a half-open byte range [start, end) to replace.
type span struct{ start, end int }

// spans returns the merged occurrences of every secret in b, in order.
// The caller holds s.mu.
func (s *Set) spans(b []byte) []span {
	var out []span
	for _, sec := range s.list {
		needle := []byte(sec)
		for from := 0; from <= len(b)-len(needle); {
			i := bytes.Index(b[from:], needle)
			if i < 0 {
				break
			}
			out = append(out, span{from + i, from + i + len(needle)})
			from += i + 1 // overlapping occurrences of the same secret too
		}
	}
	if len(out) == 0 {
		return nil
	}
	sort.Slice(out, func(i, j int) bool { return out[i].start < out[j].start })
	merged := out[:1]
	for _, sp := range out[1:] {
		last := &merged[len(merged)-1]
		if sp.start <= last.end {
			last.end = max(last.end, sp.end)
		} else {
			merged = append(merged, sp)
		}
	}
	return merged
}

// apply replaces the spans of b.
func apply(b []byte, spans []span) []byte {
	if len(spans) == 0 {
		return b
	}
	out := make([]byte, 0, len(b))
	at := 0
	for _, sp := range spans {
		out = append(out, b[at:sp.start]...)
		out = append(out, Replacement...)
		at = sp.end
	}
	return append(out, b[at:]...)
}

// pendingStart returns the earliest position p such that b[p:] is a proper
// prefix of a multi-line secret (one still arriving), or len(b) if none.
// The caller holds s.mu.
func (s *Set) pendingStart(b []byte) int {
	if s.maxML == 0 {
		return len(b)
	}
	for p := max(0, len(b)-s.maxML+1); p < len(b); p++ {
		tail := b[p:]
		for _, sec := range s.multi {
			if len(sec) > len(tail) && strings.HasPrefix(sec, string(tail)) {
				return p
			}
		}
	}
	return len(b)
}

// Writer masks what is written to it and passes whole masked lines to the
// underlying writer. It is safe for concurrent use; Close flushes the last
// partial line. Writes after Close fail.
type Writer struct {
	set *Set
	w   io.Writer

	mu     sync.Mutex
	buf    []byte
	closed bool
}

// NewWriter returns a Writer that masks set's secrets on their way to w.
func NewWriter(w io.Writer, set *Set) *Writer {
	return &Writer{set: set, w: w}
}

// Write buffers p and emits every line that is now safe to emit. It
// reports len(p) unless the underlying writer fails.
func (mw *Writer) Write(p []byte) (int, error) {
	mw.mu.Lock()
	defer mw.mu.Unlock()
	if mw.closed {
		return 0, io.ErrClosedPipe
	}
	mw.buf = append(mw.buf, p...)
	// Without a new line end nothing new can be emitted (held-back lines
	// wait for the next newline or Close), so skip the scan: this keeps a
	// long line written in small pieces linear instead of quadratic.
	if bytes.IndexByte(p, '\n') < 0 && len(mw.buf) <= MaxLine {
		return len(p), nil
	}
	if err := mw.emit(false); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Flush emits everything buffered, including a partial last line.
// Callers use it at the end of a step, when no more output will follow.
func (mw *Writer) Flush() error {
	mw.mu.Lock()
	defer mw.mu.Unlock()
	return mw.emit(true)
}

// Close flushes and stops the writer. It does not close the underlying writer.
func (mw *Writer) Close() error {
	mw.mu.Lock()
	defer mw.mu.Unlock()
	if mw.closed {
		return nil
	}
	mw.closed = true
	return mw.emit(true)
}

// emit writes the longest safe prefix of the buffer, masked.
func (mw *Writer) emit(final bool) error {
	if len(mw.buf) == 0 {
		return nil
	}
	mw.set.mu.RLock()
	spans := mw.set.spans(mw.buf)
	cut := len(mw.buf)
	if !final {
		cut = mw.safeCut(spans)
	}
	mw.set.mu.RUnlock()
	if cut == 0 {
		return nil
	}
	var head []span
	for _, sp := range spans {
		if sp.start < cut {
			head = append(head, sp)
		}
	}
	// apply may return the buffer itself: write before compacting it.
	_, err := mw.w.Write(apply(mw.buf[:cut], head))
	rest := copy(mw.buf, mw.buf[cut:])
	mw.buf = mw.buf[:rest]
	if len(mw.buf) == 0 && cap(mw.buf) > 64<<10 {
		mw.buf = nil // do not keep a huge buffer alive after one long burst
	}
	return err
}

// safeCut returns the largest line boundary that no span straddles and
// that no still-arriving multi-line secret could straddle; for an over-long
// unterminated line, a forced cut that keeps back enough bytes. The caller
// holds the set's read lock.
func (mw *Writer) safeCut(spans []span) int {
	b := mw.buf
	limit := mw.set.pendingStart(b)
	for cut := bytes.LastIndexByte(b[:limit], '\n') + 1; cut > 0; cut = bytes.LastIndexByte(b[:cut-1], '\n') + 1 {
		if !straddles(spans, cut) {
			return cut
		}
	}
	if len(b) <= MaxLine {
		return 0
	}
	// An unterminated line over MaxLine: cut it where no secret, complete
	// or still arriving, can cross.
	cut := min(limit, len(b)-mw.set.maxLen+1)
	for _, sp := range spans {
		if sp.start < cut && cut < sp.end {
			cut = sp.start
		}
	}
	return max(cut, 0)
}

func straddles(spans []span, cut int) bool {
	for _, sp := range spans {
		if sp.start < cut && cut < sp.end {
			return true
		}
	}
	return false
}
