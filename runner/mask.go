package runner

import (
	"sort"
	"strings"
	"sync"
)

// Masker hides secrets in log lines. It is the seam for runner/mask: the
// runner splits output into lines first, then calls MaskLine on each whole
// line, so a secret written in several chunks is still masked.
//
// Implementations must be safe for concurrent use: steps of a parallel group
// add secrets and mask lines at the same time. Add must take effect before it
// returns, so that the line after a sensitive output is already masked.
type Masker interface {
	// Add registers a secret. Secrets shorter than MinSecretLength are
	// ignored (masking "a" would destroy every log line).
	Add(secret string)
	// MaskLine returns line with every registered secret replaced.
	MaskLine(line string) string
}

// MinSecretLength is the shortest secret LineMasker masks.
const MinSecretLength = 4

// maskText replaces a secret.
const maskText = "********"

// LineMasker is a simple, correct Masker: every occurrence of every secret is
// found, overlapping and adjacent matches are merged, and each merged range
// becomes one "********". A multi-line secret is also registered line by
// line, because the runner masks one line at a time. The zero value is ready
// to use.
type LineMasker struct {
	mu      sync.RWMutex
	secrets []string
	seen    map[string]bool
}

// NewLineMasker returns a LineMasker holding secrets.
func NewLineMasker(secrets ...string) *LineMasker {
	m := &LineMasker{}
	for _, s := range secrets {
		m.Add(s)
	}
	return m
}

// Add registers secret and, for a multi-line secret, each of its lines.
func (m *LineMasker) Add(secret string) {
	parts := []string{secret}
	if strings.ContainsAny(secret, "\r\n") {
		parts = append(parts, strings.FieldsFunc(secret, func(r rune) bool { return r == '\n' || r == '\r' })...)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.seen == nil {
		m.seen = map[string]bool{}
	}
	for _, p := range parts {
		if len(p) < MinSecretLength || m.seen[p] {
			continue
		}
		m.seen[p] = true
		m.secrets = append(m.secrets, p)
	}
}

// MaskLine replaces every secret in line.
func (m *LineMasker) MaskLine(line string) string {
	m.mu.RLock()
	defer m.mu.RUnlock()
	var spans [][2]int
	for _, s := range m.secrets {
		for off := 0; ; {
			i := strings.Index(line[off:], s)
			if i < 0 {
				break
			}
			start := off + i
			spans = append(spans, [2]int{start, start + len(s)})
			off = start + 1
		}
	}
	if len(spans) == 0 {
		return line
	}
	sort.Slice(spans, func(i, j int) bool { return spans[i][0] < spans[j][0] })
	var b strings.Builder
	last := 0
	for i := 0; i < len(spans); {
		start, end := spans[i][0], spans[i][1]
		for i++; i < len(spans) && spans[i][0] <= end; i++ {
			end = max(end, spans[i][1])
		}
		b.WriteString(line[last:start])
		b.WriteString(maskText)
		last = end
	}
	b.WriteString(line[last:])
	return b.String()
}
