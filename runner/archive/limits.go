package archive

// Limits bound what an archive may expand to. A zero field takes its default
// from [DefaultLimits]; Validate and Extract never run unbounded.
type Limits struct {
	// MaxBytes is the most uncompressed content, summed over all entries,
	// counted as it is decompressed.
	MaxBytes int64
	// MaxRatio is the most uncompressed bytes per compressed byte read from
	// the source so far. It is enforced once RatioGrace bytes have been
	// decompressed, so small, very compressible archives pass, and a bomb
	// trips after about RatioGrace bytes instead of MaxBytes.
	MaxRatio int64
	// RatioGrace is the number of uncompressed bytes allowed before MaxRatio
	// applies.
	RatioGrace int64
	// MaxEntries is the most entries (files, directories and links).
	MaxEntries int
	// MaxNameLength is the longest entry name or link target, in bytes.
	MaxNameLength int
	// MaxPathDepth is the most components in an entry name or link target.
	MaxPathDepth int
	// ZstdMaxWindow is the largest zstd window accepted; it bounds the
	// decoder's memory (zstd.WithDecoderMaxWindow and WithDecoderMaxMemory).
	ZstdMaxWindow uint64
	// MaxNuspecBytes is the largest .nuspec kept in Summary.Nuspec and read
	// by ReadNuspec.
	MaxNuspecBytes int64
}

// DefaultLimits returns the limits used for zero fields: 16 GiB uncompressed,
// a ratio of 200 after 16 MiB, 65 536 entries, names of 4096 bytes and 64
// components, a 128 MiB zstd window and a 1 MiB .nuspec.
func DefaultLimits() Limits {
	return Limits{
		MaxBytes:       16 << 30,
		MaxRatio:       200,
		RatioGrace:     16 << 20,
		MaxEntries:     65536,
		MaxNameLength:  4096,
		MaxPathDepth:   64,
		ZstdMaxWindow:  128 << 20,
		MaxNuspecBytes: 1 << 20,
	}
}

// withDefaults fills zero (or negative) fields from DefaultLimits.
func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	if l.MaxBytes <= 0 {
		l.MaxBytes = d.MaxBytes
	}
	if l.MaxRatio <= 0 {
		l.MaxRatio = d.MaxRatio
	}
	if l.RatioGrace <= 0 {
		l.RatioGrace = d.RatioGrace
	}
	if l.MaxEntries <= 0 {
		l.MaxEntries = d.MaxEntries
	}
	if l.MaxNameLength <= 0 {
		l.MaxNameLength = d.MaxNameLength
	}
	if l.MaxPathDepth <= 0 {
		l.MaxPathDepth = d.MaxPathDepth
	}
	if l.ZstdMaxWindow == 0 {
		l.ZstdMaxWindow = d.ZstdMaxWindow
	}
	if l.MaxNuspecBytes <= 0 {
		l.MaxNuspecBytes = d.MaxNuspecBytes
	}
	return l
}
