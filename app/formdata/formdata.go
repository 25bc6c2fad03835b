// Package formdata reads multipart/form-data bodies as streams: package
// uploads through the API (what the octopus CLI sends) and through the
// portal's upload form, without holding a part in memory.
package formdata

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/textproto"
)

// Sizes of a Reader's buffer: partHeaderLimit bounds the header block
// of one part, which must fit in the buffer with a boundary.
const (
	formBufferSize  = 64 << 10
	partHeaderLimit = 32 << 10
)

// Reader reads a multipart/form-data body (RFC 7578) part by part,
// like mime/multipart.Reader with NextRawPart, but made for big uploads: a
// part's Read with a large buffer reads from the body straight into that
// buffer and looks for the boundary there. mime/multipart instead reads
// through a 4 KiB bufio.Reader, copies every byte twice in user space and
// searches for the boundary 4 KiB at a time, which costs as much CPU as the
// socket read itself on a fast connection. Only what may be the start of a
// boundary (a few dozen bytes) and what follows the end of a part are kept
// in the reader's own small buffer.
//
// Lines end with CRLF, as RFC 2046 requires (mime/multipart also takes a
// bare LF). Parts are not decoded: the caller handles a
// Content-Transfer-Encoding. A Reader is not safe for concurrent use.
type Reader struct {
	src   io.Reader
	delim []byte // CRLF "--" boundary: ends a part's content
	buf   []byte // buf[r:w] was read from src and not consumed yet
	r, w  int
	err   error // the error src returned, once it has (io.EOF included)
	part  *Part
	done  bool // the closing boundary was read
	// bare says the boundary at buf[r:] has no CRLF before it: a part's
	// content may begin right with "--" boundary (it is then empty), the
	// line end of the header block standing for that CRLF.
	bare bool
}

// Part is one part of a form: its header and its content, read until
// the next boundary.
type Part struct {
	Header  textproto.MIMEHeader
	fr      *Reader
	started bool
	ended   bool
}

// NewReader reads the form in src, whose parts are separated by boundary
// (the Content-Type's boundary parameter).
func NewReader(src io.Reader, boundary string) *Reader {
	return &Reader{src: src, delim: []byte("\r\n--" + boundary), buf: make([]byte, formBufferSize)}
}

// FormName is the part's field name: the name parameter of a form-data
// Content-Disposition ("" otherwise), as mime/multipart's FormName.
func (p *Part) FormName() string {
	disposition, params, err := mime.ParseMediaType(p.Header.Get("Content-Disposition"))
	if err != nil || disposition != "form-data" {
		return ""
	}
	return params["name"]
}

// FileName is the filename parameter of the part's Content-Disposition:
// the name of an uploaded file as the client gave it, a path included if it
// sent one (mime/multipart keeps only the base name; the feed refuses a
// name with a path instead of guessing).
func (p *Part) FileName() string {
	_, params, err := mime.ParseMediaType(p.Header.Get("Content-Disposition"))
	if err != nil {
		return ""
	}
	return params["filename"]
}

// NextPart skips the rest of the current part (or the preamble) and
// returns the next part, or io.EOF after the closing boundary.
func (fr *Reader) NextPart() (*Part, error) {
	if fr.done {
		return nil, io.EOF
	}
	if fr.part == nil && !fr.bare { // the first call
		if err := fr.skipPreamble(); err != nil {
			return nil, err
		}
	}
	if fr.part != nil {
		if _, err := io.CopyBuffer(io.Discard, fr.part, make([]byte, 32<<10)); err != nil {
			return nil, err
		}
		fr.part = nil
	}
	// buf[r:] starts with the delimiter; after it come "--" (the end of the
	// form) or optional white space and CRLF (the end of the boundary line).
	delim := fr.delim
	if fr.bare {
		delim, fr.bare = delim[2:], false
	}
	rest, err := fr.peekUntil(func(b []byte) int {
		if len(b) < len(delim)+2 {
			return -1
		}
		if bytes.HasPrefix(b[len(delim):], []byte("--")) {
			return len(delim) + 2
		}
		if i := bytes.Index(b[len(delim):], []byte("\r\n")); i >= 0 {
			return len(delim) + i + 2
		}
		return -1
	}, len(delim)+2+1024)
	if err != nil {
		return nil, fmt.Errorf("multipart: boundary line: %w", err)
	}
	line := rest[len(delim):]
	if bytes.HasPrefix(line, []byte("--")) {
		fr.done = true
		return nil, io.EOF
	}
	if len(bytes.Trim(line[:len(line)-2], " \t")) != 0 {
		return nil, errors.New("multipart: junk after a boundary")
	}
	fr.r += len(rest)

	// The header block ends with an empty line; it may be empty itself.
	// Like net/textproto, take LF line ends as well as CRLF.
	block, err := fr.peekUntil(func(b []byte) int {
		if end := emptyLineEnd(b, 0); end >= 0 {
			return end
		}
		for i := 0; ; {
			j := bytes.IndexByte(b[i:], '\n')
			if j < 0 {
				return -1
			}
			i += j + 1
			if end := emptyLineEnd(b, i); end >= 0 {
				return end
			}
		}
	}, partHeaderLimit)
	if err != nil {
		return nil, fmt.Errorf("multipart: part header: %w", err)
	}
	fr.r += len(block)
	h, err := textproto.NewReader(bufio.NewReader(bytes.NewReader(block))).ReadMIMEHeader()
	if err != nil {
		return nil, fmt.Errorf("multipart: part header: %w", err)
	}
	fr.part = &Part{Header: h, fr: fr}
	return fr.part, nil
}

// skipPreamble consumes what comes before the first boundary line, which
// starts the body or follows a line end, and leaves the reader at that
// boundary (bare). A line that only starts like a boundary is preamble.
func (fr *Reader) skipPreamble() error {
	dash := fr.delim[2:]
	lineStart := true
	for {
		data := fr.buf[fr.r:fr.w]
		i := 0
		if !lineStart {
			j := bytes.IndexByte(data, '\n')
			if j < 0 {
				fr.r = fr.w
				if fr.err != nil {
					return fmt.Errorf("multipart: no boundary: %w", unexpected(fr.err))
				}
				fr.fill()
				continue
			}
			i = j + 1
		}
		// data[i:] starts a line: a boundary line, or not, or cannot tell yet.
		line := data[i:]
		if j := bytes.IndexByte(line, '\n'); j >= 0 {
			line = line[:j+1]
		} else if fr.err == nil && len(line) < len(dash)+2+1024 {
			fr.r += i
			lineStart = true
			fr.fill()
			continue
		}
		if isBoundaryLine(line, dash) {
			fr.r += i
			fr.bare = true
			return nil
		}
		fr.r += i + len(line)
		lineStart = bytes.HasSuffix(line, []byte("\n"))
		if fr.r == fr.w && fr.err != nil {
			return fmt.Errorf("multipart: no boundary: %w", unexpected(fr.err))
		}
	}
}

// isBoundaryLine reports whether line (up to and with its LF, if any) is
// dash ("--" boundary) followed by "--", or by optional white space and
// CRLF.
func isBoundaryLine(line, dash []byte) bool {
	rest, ok := bytes.CutPrefix(line, dash)
	if !ok {
		return false
	}
	if bytes.HasPrefix(rest, []byte("--")) {
		return true
	}
	return bytes.Equal(bytes.TrimLeft(rest, " \t"), []byte("\r\n"))
}

// emptyLineEnd returns the end of an empty line (LF or CRLF) at b[i:], or
// -1 when there is none, or not yet.
func emptyLineEnd(b []byte, i int) int {
	switch {
	case i < len(b) && b[i] == '\n':
		return i + 1
	case i+1 < len(b) && b[i] == '\r' && b[i+1] == '\n':
		return i + 2
	}
	return -1
}

// peekUntil reads until end, given the unread bytes, returns the length of
// what it looks for (or -1 for "not yet"), and returns those bytes without
// consuming them. It fails after limit bytes, or at the end of src.
func (fr *Reader) peekUntil(end func([]byte) int, limit int) ([]byte, error) {
	for {
		n := end(fr.buf[fr.r:fr.w])
		if n > limit || (n < 0 && fr.w-fr.r >= limit) {
			return nil, errors.New("too long")
		} else if n >= 0 {
			return fr.buf[fr.r : fr.r+n], nil
		}
		if fr.err != nil {
			return nil, unexpected(fr.err)
		}
		fr.fill()
	}
}

// fill moves the unread bytes to the front of the buffer and reads more.
func (fr *Reader) fill() {
	fr.w = copy(fr.buf, fr.buf[fr.r:fr.w])
	fr.r = 0
	n, err := fr.src.Read(fr.buf[fr.w:])
	fr.w += n
	if err != nil {
		fr.err = err
	}
}

// unexpected turns the end of the body before the closing boundary into
// io.ErrUnexpectedEOF; other errors (a cut connection) stay as they are.
func unexpected(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// Read reads the part's content. With a buffer larger than the few bytes
// held back it reads from the body directly into p.
func (p *Part) Read(b []byte) (int, error) {
	fr := p.fr
	if p.ended {
		return 0, io.EOF
	}
	if !p.started {
		empty, err := fr.bareBoundary()
		if err != nil {
			return 0, err
		}
		p.started = true
		if empty {
			p.ended, fr.bare = true, true
			return 0, io.EOF
		}
	}
	for {
		if fr.r < fr.w {
			n, found := fr.scan(fr.buf[fr.r:fr.w], fr.err != nil)
			if n > 0 {
				n = copy(b, fr.buf[fr.r:fr.r+n])
				fr.r += n
				return n, nil
			}
			if found {
				p.ended = true
				return 0, io.EOF
			}
		}
		if fr.err != nil {
			return 0, unexpected(fr.err)
		}
		// What is buffered now is at most a possible start of a boundary.
		if len(b) < 2*len(fr.buf[fr.r:fr.w])+4096 {
			fr.fill()
			continue
		}
		k := copy(b, fr.buf[fr.r:fr.w])
		fr.r, fr.w = 0, 0
		m, err := fr.src.Read(b[k:])
		if err != nil {
			fr.err = err
		}
		data := b[:k+m]
		n, _ := fr.scan(data, fr.err != nil)
		// Keep what follows the content for later: a possible boundary
		// start, or the end of this part and what comes after it.
		rest := data[n:]
		if len(rest) > len(fr.buf) {
			fr.buf = make([]byte, len(rest))
		}
		fr.w = copy(fr.buf, rest)
		if n > 0 {
			return n, nil
		}
	}
}

// bareBoundary reports whether the unread bytes start with a boundary
// without the CRLF before it (see Reader.bare), reading as needed.
func (fr *Reader) bareBoundary() (bool, error) {
	dash := fr.delim[2:]
	for {
		data := fr.buf[fr.r:fr.w]
		if len(data) >= len(dash) {
			if !bytes.HasPrefix(data, dash) {
				return false, nil
			}
			switch matchAfterDelim(data[len(dash):], fr.err != nil) {
			case 1:
				return true, nil
			case -1:
				return false, nil
			}
		} else if !bytes.HasPrefix(dash, data) {
			return false, nil
		}
		if fr.err != nil {
			return false, nil // the content's Read reports the end of the body
		}
		fr.fill()
	}
}

// scan returns how many bytes at the start of data are certainly part
// content, and whether a boundary follows them. eof says no more bytes
// will come after data.
func (fr *Reader) scan(data []byte, eof bool) (n int, found bool) {
	from := 0
	for {
		i := bytes.Index(data[from:], fr.delim)
		if i < 0 {
			return len(data) - partialSuffix(data[from:], fr.delim), false
		}
		i += from
		switch matchAfterDelim(data[i+len(fr.delim):], eof) {
		case 1:
			return i, true
		case 0:
			return i, false // too few bytes after it to tell: keep them
		}
		from = i + 1 // the delimiter followed by other bytes is content
	}
}

// matchAfterDelim reports whether the bytes after a delimiter make it a
// boundary (1: "--", white space or a line end follow), content (-1), or
// cannot tell yet (0), as mime/multipart decides it.
func matchAfterDelim(after []byte, eof bool) int {
	if len(after) == 0 {
		if eof {
			return 1
		}
		return 0
	}
	switch c := after[0]; c {
	case ' ', '\t', '\r', '\n':
		return 1
	case '-':
		if len(after) == 1 {
			if eof {
				return -1
			}
			return 0
		}
		if after[1] == '-' {
			return 1
		}
	}
	return -1
}

// partialSuffix returns the length of the longest end of data that is a
// proper beginning of delim: bytes that may be a boundary cut by a read.
func partialSuffix(data, delim []byte) int {
	for k := min(len(delim)-1, len(data)); k > 0; k-- {
		if data[len(data)-k] == delim[0] && bytes.HasSuffix(data, delim[:k]) {
			return k
		}
	}
	return 0
}
