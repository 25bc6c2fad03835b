package runner

import (
	"io"
	"strings"

	"github.com/argonautdeploy/argonaut/runner/mask"
)

// MinSecretLength is the shortest secret that is masked (mask.MinSecretLength).
const MinSecretLength = mask.MinSecretLength

// Masker hides secrets on every log path of a run. It wraps a *mask.Set,
// the one masking implementation: script stdout and stderr go through a
// mask.Writer per stream before they are split into lines (so a multi-line
// secret is masked as a whole, and a secret written in pieces too), and
// every other event text (step errors, progress, service-message logs) is
// masked whole with Set.String.
//
// A multi-line secret is also registered line by line, so a script that
// prints only part of it (one line of a key) still has that line masked.
//
// A Masker is safe for concurrent use: steps of a parallel group add secrets
// and mask text at the same time. Add takes effect before it returns, for
// all text masked afterwards, including output buffered but not yet logged.
type Masker struct {
	set  *mask.Set
	noop bool // tests only: masks nothing, to see what a script really prints
}

// NewMasker returns a Masker holding secrets.
func NewMasker(secrets ...string) *Masker {
	m := &Masker{set: mask.NewSet()}
	for _, s := range secrets {
		m.Add(s)
	}
	return m
}

// Add registers secret and, for a multi-line secret, each of its lines.
// Secrets shorter than MinSecretLength are ignored.
func (m *Masker) Add(secret string) {
	if m.noop {
		return
	}
	m.set.Add(secret)
	if strings.ContainsAny(secret, "\r\n") {
		for _, p := range strings.FieldsFunc(secret, func(r rune) bool { return r == '\n' || r == '\r' }) {
			m.set.Add(p)
		}
	}
}

// String returns text with every registered secret replaced.
func (m *Masker) String(text string) string {
	return m.set.String(text)
}

// writer returns a mask.Writer passing masked whole lines to w.
func (m *Masker) writer(w io.Writer) *mask.Writer {
	return mask.NewWriter(w, m.set)
}
