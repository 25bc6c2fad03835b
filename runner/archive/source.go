package archive

import (
	"io"
	"sync/atomic"
)

// countingReaderAt counts the bytes read from an archive's source, for the
// compression ratio, and remembers the first read error so an I/O failure is
// not mistaken for a corrupt archive. It is safe for concurrent use because
// the zstd decoder reads from its own goroutine.
type countingReaderAt struct {
	r    io.ReaderAt
	n    atomic.Int64
	fail atomic.Pointer[error]
}

func (c *countingReaderAt) ReadAt(p []byte, off int64) (int, error) {
	n, err := c.r.ReadAt(p, off)
	c.n.Add(int64(n))
	if err != nil && err != io.EOF {
		c.fail.CompareAndSwap(nil, &err)
	}
	return n, err
}

// ioErr returns the first error the source returned, other than io.EOF.
func (c *countingReaderAt) ioErr() error {
	if p := c.fail.Load(); p != nil {
		return *p
	}
	return nil
}
