package archive

import (
	"bytes"
	"fmt"
	"io"
	"strings"
)

// Format is an archive format.
type Format int

// The formats this package reads.
const (
	FormatUnknown  Format = iota
	FormatZip             // .zip, .nupkg, .jar, .war
	FormatTar             // .tar
	FormatTarGzip         // .tar.gz, .tgz
	FormatTarBzip2        // .tar.bz2, .tbz2
	FormatTarZstd         // .tar.zst, .tzst
)

var formatNames = [...]string{"unknown", "zip", "tar", "tar.gz", "tar.bz2", "tar.zst"}

// String returns the format's usual extension without the leading dot.
func (f Format) String() string {
	if f < 0 || int(f) >= len(formatNames) {
		return fmt.Sprintf("Format(%d)", int(f))
	}
	return formatNames[f]
}

// suffixes is checked in order, so longer suffixes come first.
var suffixes = []struct {
	ext    string
	format Format
}{
	{".tar.gz", FormatTarGzip},
	{".tar.bz2", FormatTarBzip2},
	{".tar.zst", FormatTarZstd},
	{".tgz", FormatTarGzip},
	{".tbz2", FormatTarBzip2},
	{".tzst", FormatTarZstd},
	{".tar", FormatTar},
	{".zip", FormatZip},
	{".nupkg", FormatZip},
	{".jar", FormatZip},
	{".war", FormatZip},
}

// DetectFormat returns the format of a file from its name's extension, case
// insensitively. It returns the extension it matched (as spelled in name) so a
// package feed can split "Acme.Web.1.0.0.tar.gz" into name and extension.
func DetectFormat(name string) (Format, string, error) {
	lower := strings.ToLower(name)
	for _, s := range suffixes {
		if strings.HasSuffix(lower, s.ext) && len(lower) > len(s.ext) {
			return s.format, name[len(name)-len(s.ext):], nil
		}
	}
	return FormatUnknown, "", refuse("", ErrUnsupported, "%q: unknown archive extension", name)
}

// checkMagic reads the first bytes of src and refuses a file whose magic bytes
// do not match format. Plain tar has no reliable magic (old v7 archives lack
// "ustar"), so it is left to archive/tar.
func checkMagic(src io.ReaderAt, size int64, format Format) error {
	var head [4]byte
	n, err := src.ReadAt(head[:], 0)
	if err != nil && err != io.EOF {
		return fmt.Errorf("archive: read magic bytes: %w", err)
	}
	b := head[:n]
	ok := true
	switch format {
	case FormatZip:
		// A local file header, or the end record of an empty archive.
		ok = bytes.HasPrefix(b, []byte("PK\x03\x04")) || bytes.HasPrefix(b, []byte("PK\x05\x06"))
	case FormatTarGzip:
		ok = bytes.HasPrefix(b, []byte{0x1f, 0x8b})
	case FormatTarBzip2:
		ok = bytes.HasPrefix(b, []byte("BZh"))
	case FormatTarZstd:
		// A zstd frame, or a skippable frame (0x184D2A5?) the decoder skips.
		ok = bytes.Equal(b, []byte{0x28, 0xb5, 0x2f, 0xfd}) ||
			(n == 4 && b[0]&0xf0 == 0x50 && b[1] == 0x2a && b[2] == 0x4d && b[3] == 0x18)
	case FormatTar:
	default:
		return fmt.Errorf("archive: unknown format %v", format)
	}
	if !ok {
		return refuse("", ErrCorrupt, "not a %s archive (magic bytes do not match)", format)
	}
	return nil
}
