package archive

import (
	"archive/tar"
	"bufio"
	"compress/bzip2"
	"errors"
	"fmt"
	"io"
	"io/fs"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// tarReader presents the entries of a tar stream, decompressing it first.
type tarReader struct {
	tr      *tar.Reader
	stream  io.Reader // decompressed
	closeFn func() error
}

// openTar opens a tar stream, compressed as format says, over the first size
// bytes of src. With seekable, a plain tar is read through a seeker, so
// archive/tar skips the content of the files nobody reads.
func openTar(src io.ReaderAt, size int64, format Format, lim *Limits, seekable bool) (*tarReader, error) {
	t := &tarReader{closeFn: func() error { return nil }}
	if seekable && format == FormatTar {
		t.stream = io.NewSectionReader(src, 0, size)
		t.tr = tar.NewReader(t.stream)
		return t, nil
	}
	// A small read-ahead keeps the compressed count (and the ratio) honest.
	raw := bufio.NewReaderSize(io.NewSectionReader(src, 0, size), 32<<10)
	var stream io.Reader
	switch format {
	case FormatTar:
		stream = raw
	case FormatTarGzip:
		zr, err := gzip.NewReader(raw)
		if err != nil {
			return nil, err
		}
		t.closeFn = zr.Close
		stream = zr
	case FormatTarBzip2:
		stream = bzip2.NewReader(raw)
	case FormatTarZstd:
		zr, err := zstd.NewReader(raw,
			zstd.WithDecoderMaxWindow(lim.ZstdMaxWindow),
			zstd.WithDecoderMaxMemory(lim.ZstdMaxWindow),
			// Never decode a whole in-memory buffer at once.
			zstd.WithDecodeBuffersBelow(0),
		)
		if err != nil {
			return nil, err
		}
		t.closeFn = func() error { zr.Close(); return nil }
		stream = zr
	default:
		return nil, fmt.Errorf("archive: %v is not a tar format", format)
	}
	t.stream = stream
	t.tr = tar.NewReader(stream)
	return t, nil
}

func (t *tarReader) next() (*entry, error) {
	h, err := t.tr.Next()
	if errors.Is(err, tar.ErrInsecurePath) {
		err = nil // with GODEBUG=tarinsecurepath=0; our own rules apply below
	}
	if err != nil {
		return nil, err
	}
	e := &entry{name: h.Name, size: h.Size, link: h.Linkname, mode: h.FileInfo().Mode() & (fs.ModePerm | fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky)}
	switch h.Typeflag {
	case tar.TypeReg, tar.TypeGNUSparse: // the reader turns TypeRegA into TypeReg
		e.kind, e.body = kindFile, t.tr
	case tar.TypeDir:
		e.kind = kindDir
	case tar.TypeSymlink:
		e.kind = kindSymlink
	case tar.TypeLink:
		e.kind = kindHardlink
	case tar.TypeChar:
		e.bad = "character device"
	case tar.TypeBlock:
		e.bad = "block device"
	case tar.TypeFifo:
		e.bad = "FIFO"
	default:
		e.bad = fmt.Sprintf("tar type %q", h.Typeflag)
	}
	return e, nil
}

func (t *tarReader) close() error { return t.closeFn() }

// rest returns the decompressed stream after the tar end marker. archive/tar
// stops reading at the marker, so the walker drains the rest: that is where
// a gzip, bzip2 or zstd checksum is verified and a truncated stream shows.
func (t *tarReader) rest() io.Reader { return t.stream }
