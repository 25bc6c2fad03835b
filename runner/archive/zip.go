package archive

import (
	"archive/zip"
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"slices"
	"strings"
)

// zipReader presents the entries of a zip archive in central-directory order.
type zipReader struct {
	files []*zip.File
	i     int
	open  io.ReadCloser
}

// openZip reads the central directory after checking that it does not list
// more entries than the limit (archive/zip would otherwise allocate them all)
// and that no two entries share data (the overlapping zip bomb).
func openZip(src io.ReaderAt, size int64, lim *Limits) (*zipReader, error) {
	if err := countZipDirectory(src, size, lim.MaxEntries); err != nil {
		return nil, err
	}
	zr, err := zip.NewReader(src, size)
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
		return nil, err
	}
	if err := checkZipOverlap(zr.File, size); err != nil {
		return nil, err
	}
	return &zipReader{files: zr.File}, nil
}

func (z *zipReader) next() (*entry, error) {
	if z.open != nil {
		z.open.Close()
		z.open = nil
	}
	if z.i >= len(z.files) {
		return nil, io.EOF
	}
	f := z.files[z.i]
	z.i++
	mode := f.Mode()
	e := &entry{name: f.Name, size: int64(min(f.UncompressedSize64, 1<<62)), mode: mode & (fs.ModePerm | fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky)}
	switch {
	case mode.IsDir() || strings.HasSuffix(f.Name, "/"):
		e.kind = kindDir
		return e, nil
	case mode&fs.ModeSymlink != 0:
		e.kind, e.linkInBody = kindSymlink, true
	case mode.IsRegular():
		e.kind = kindFile
	case mode&fs.ModeNamedPipe != 0:
		e.bad = "FIFO"
		return e, nil
	case mode&fs.ModeCharDevice != 0:
		e.bad = "character device"
		return e, nil
	case mode&fs.ModeDevice != 0:
		e.bad = "block device"
		return e, nil
	default:
		e.bad = fmt.Sprintf("zip mode %v", mode.Type())
		return e, nil
	}
	if f.Flags&0x1 != 0 {
		return nil, refuse(f.Name, ErrUnsupported, "encrypted entry")
	}
	rc, err := f.Open()
	if errors.Is(err, zip.ErrAlgorithm) {
		return nil, refuse(f.Name, ErrUnsupported, "unsupported compression method %d", f.Method)
	}
	if err != nil {
		return nil, corrupt(f.Name, "corrupt local header", err)
	}
	z.open, e.body = rc, rc
	return e, nil
}

func (z *zipReader) close() error {
	if z.open != nil {
		return z.open.Close()
	}
	return nil
}

// checkZipOverlap refuses entries whose data ranges overlap or run past the
// end of the archive. Legitimate zips never share data; bombs do, to expand
// the same compressed kernel many times.
func checkZipOverlap(files []*zip.File, size int64) error {
	type span struct {
		start, end int64
		name       string
	}
	spans := make([]span, 0, len(files))
	for _, f := range files {
		off, err := f.DataOffset()
		if err != nil {
			return corrupt(f.Name, "corrupt local header", err)
		}
		if f.CompressedSize64 > uint64(size) || off > size-int64(f.CompressedSize64) {
			return refuse(f.Name, ErrCorrupt, "data runs past the end of the archive")
		}
		if f.CompressedSize64 > 0 {
			spans = append(spans, span{off, off + int64(f.CompressedSize64), f.Name})
		}
	}
	slices.SortFunc(spans, func(a, b span) int { return int(min(max(a.start-b.start, -1), 1)) })
	for i := 1; i < len(spans); i++ {
		if spans[i].start < spans[i-1].end {
			return refuse(spans[i].name, ErrUnsafe, "data overlaps entry %q (overlapping zip bomb)", spans[i-1].name)
		}
	}
	return nil
}

// Zip record layouts (APPNOTE.TXT 4.3.12, 4.3.14-16).
const (
	zipDirHeaderSig = 0x02014b50
	zipDirHeaderLen = 46
	zipEndSig       = 0x06054b50
	zipEndLen       = 22
	zip64LocSig     = 0x07064b50
	zip64LocLen     = 20
	zip64EndSig     = 0x06064b50
	zip64EndLen     = 56
)

// countZipDirectory counts the central directory headers the way archive/zip
// will read them - from the directory start until a record that is not a
// header, whatever count the end record declares - and refuses more than max
// before archive/zip allocates one File per header. It fails closed: an end
// record it cannot parse is refused.
func countZipDirectory(r io.ReaderAt, size int64, limit int) error {
	starts, err := zipDirectoryStarts(r, size)
	if err != nil {
		return err
	}
	for _, start := range starts {
		br := bufio.NewReaderSize(io.NewSectionReader(r, start, size-start), 64<<10)
		var hdr [zipDirHeaderLen]byte
		for n := 0; ; n++ {
			if _, err := io.ReadFull(br, hdr[:]); err != nil || binary.LittleEndian.Uint32(hdr[:]) != zipDirHeaderSig {
				break
			}
			if n >= limit {
				name := make([]byte, binary.LittleEndian.Uint16(hdr[28:]))
				io.ReadFull(br, name)
				return refuse(string(name), ErrLimit, "more than %d entries in the central directory", limit)
			}
			skip := int64(binary.LittleEndian.Uint16(hdr[28:])) + int64(binary.LittleEndian.Uint16(hdr[30:])) + int64(binary.LittleEndian.Uint16(hdr[32:]))
			if _, err := br.Discard(int(skip)); err != nil {
				break
			}
		}
	}
	return nil
}

// zipDirectoryStarts finds the end of central directory record as
// archive/zip does and returns the offsets where it may start reading
// headers (it sometimes ignores a prefix offset, so both are counted).
func zipDirectoryStarts(r io.ReaderAt, size int64) ([]int64, error) {
	bad := refuse("", ErrCorrupt, "no valid zip end of central directory record")
	var buf []byte
	var endOff int64 = -1
	for _, n := range []int64{1024, 65 * 1024} {
		n = min(n, size)
		buf = make([]byte, n)
		if _, err := r.ReadAt(buf, size-n); err != nil && err != io.EOF {
			return nil, err
		}
		for i := len(buf) - zipEndLen; i >= 0; i-- {
			if binary.LittleEndian.Uint32(buf[i:]) == zipEndSig {
				if int(binary.LittleEndian.Uint16(buf[i+20:]))+zipEndLen+i > len(buf) {
					break // truncated comment; archive/zip gives up here too
				}
				endOff = size - n + int64(i)
				buf = buf[i:]
				break
			}
		}
		if endOff >= 0 || n == size {
			break
		}
	}
	if endOff < 0 {
		return nil, bad
	}
	records := uint64(binary.LittleEndian.Uint16(buf[10:]))
	dirSize := uint64(binary.LittleEndian.Uint32(buf[12:]))
	dirOff := uint64(binary.LittleEndian.Uint32(buf[16:]))
	if records == 0xffff || dirSize == 0xffff || dirOff == 0xffffffff {
		if loc := endOff - zip64LocLen; loc >= 0 {
			var l [zip64LocLen]byte
			if _, err := r.ReadAt(l[:], loc); err != nil {
				return nil, bad
			}
			if binary.LittleEndian.Uint32(l[:]) == zip64LocSig && binary.LittleEndian.Uint32(l[4:]) == 0 && binary.LittleEndian.Uint32(l[16:]) == 1 {
				p := binary.LittleEndian.Uint64(l[8:])
				var e [zip64EndLen]byte
				if p > uint64(size) {
					return nil, bad
				}
				if _, err := r.ReadAt(e[:], int64(p)); err != nil || binary.LittleEndian.Uint32(e[:]) != zip64EndSig {
					return nil, bad
				}
				endOff = int64(p)
				dirSize = binary.LittleEndian.Uint64(e[40:])
				dirOff = binary.LittleEndian.Uint64(e[48:])
			}
		}
	}
	if dirSize > 1<<62 || dirOff > 1<<62 {
		return nil, bad
	}
	base := endOff - int64(dirSize) - int64(dirOff)
	starts := []int64{}
	for _, s := range []int64{base + int64(dirOff), int64(dirOff)} {
		if s >= 0 && s < size {
			starts = append(starts, s)
		}
	}
	if len(starts) == 0 {
		return nil, bad
	}
	return starts, nil
}
