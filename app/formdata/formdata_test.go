package formdata

import (
	"bytes"
	"errors"
	"io"
	"mime/multipart"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

// readerSizes hands out its content in reads of the given sizes, in turn,
// like a network stream.
type readerSizes struct {
	data  []byte
	sizes []int
	i     int
}

func (r *readerSizes) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, io.EOF
	}
	n := min(len(p), len(r.data), r.sizes[r.i%len(r.sizes)])
	r.i++
	copy(p, r.data[:n])
	r.data = r.data[n:]
	return n, nil
}

type gotPart struct {
	Header  map[string][]string
	Content string
}

// readForm reads every part with Reader, using reads of readSize.
func readForm(src io.Reader, boundary string, readSize int) ([]gotPart, error) {
	fr := NewReader(src, boundary)
	var parts []gotPart
	for {
		p, err := fr.NextPart()
		if errors.Is(err, io.EOF) {
			return parts, nil
		} else if err != nil {
			return parts, err
		}
		var content bytes.Buffer
		buf := make([]byte, readSize)
		for {
			n, err := p.Read(buf)
			content.Write(buf[:n])
			if errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				return parts, err
			}
		}
		parts = append(parts, gotPart{Header: p.Header, Content: content.String()})
	}
}

// readFormStd reads every part with mime/multipart, the reference.
func readFormStd(body []byte, boundary string) ([]gotPart, error) {
	mr := multipart.NewReader(bytes.NewReader(body), boundary)
	var parts []gotPart
	for {
		p, err := mr.NextRawPart()
		if err == io.EOF { // not a wrapped one: "multipart: NextPart: EOF" is a body cut short
			return parts, nil
		} else if err != nil {
			return parts, err
		}
		content, err := io.ReadAll(p)
		if err != nil {
			return parts, err
		}
		parts = append(parts, gotPart{Header: p.Header, Content: string(content)})
	}
}

func TestFormReader(t *testing.T) {
	const b = "XyZ"
	big := strings.Repeat("0123456789\r\n--XyZnot\r\n--Xy", 20000) // ~540 KB with near-boundaries
	tests := []struct {
		name string
		body string
		want []gotPart
		err  string
	}{
		{"one part", "--XyZ\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nhello\r\n--XyZ--\r\n",
			[]gotPart{{map[string][]string{"Content-Disposition": {`form-data; name="file"`}}, "hello"}}, ""},
		{"preamble, epilogue, white space after a boundary", "preamble\r\n--XyZ  \r\nA: 1\r\n\r\none\r\n--XyZ\t\r\nB: 2\r\n\r\n\r\n--XyZ--epilogue",
			[]gotPart{{map[string][]string{"A": {"1"}}, "one"}, {map[string][]string{"B": {"2"}}, ""}}, ""},
		{"empty header block", "--XyZ\r\n\r\ndata\r\n--XyZ--",
			[]gotPart{{map[string][]string{}, "data"}}, ""},
		{"delimiter followed by other bytes is content", "--XyZ\r\n\r\na\r\n--XyZa\r\n--XyZ-b\r\n--XyZ--",
			[]gotPart{{map[string][]string{}, "a\r\n--XyZa\r\n--XyZ-b"}}, ""},
		{"big part", "--XyZ\r\nA: 1\r\n\r\n" + big + "\r\n--XyZ\r\nB: 2\r\n\r\n" + big + "\r\n--XyZ--\r\n",
			[]gotPart{{map[string][]string{"A": {"1"}}, big}, {map[string][]string{"B": {"2"}}, big}}, ""},
		{"no closing boundary", "--XyZ\r\n\r\ndata", []gotPart{}, "unexpected EOF"},
		{"no boundary at all", "just some bytes", nil, "unexpected EOF"},
		{"cut in the header", "--XyZ\r\nA: 1\r\n", nil, "unexpected EOF"},
		{"junk after a boundary", "--XyZ\r\n\r\na\r\n--XyZ junk\r\n\r\n", nil, "junk"},
		{"a boundary with junk first is preamble", "--XyZ junk\r\n--XyZ\r\n\r\na\r\n--XyZ--", []gotPart{{map[string][]string{}, "a"}}, ""},
		{"header too long", "--XyZ\r\nA: " + strings.Repeat("x", partHeaderLimit) + "\r\n\r\n", nil, "too long"},
	}
	for _, tt := range tests {
		for _, sizes := range [][]int{{1 << 20}, {1}, {7, 4096, 3}, {65536, 65537}} {
			for _, readSize := range []int{1, 100, 1 << 20} {
				if readSize == 1 && len(tt.body) > 10000 {
					continue
				}
				got, err := readForm(&readerSizes{data: []byte(tt.body), sizes: sizes}, b, readSize)
				if tt.err != "" {
					if err == nil || !strings.Contains(err.Error(), tt.err) {
						t.Fatalf("%s (src reads %v, part reads %d): err %v, want %q", tt.name, sizes, readSize, err, tt.err)
					}
					continue
				}
				if err != nil {
					t.Fatalf("%s (src reads %v, part reads %d): %v", tt.name, sizes, readSize, err)
				}
				if !reflect.DeepEqual(got, tt.want) {
					t.Fatalf("%s (src reads %v, part reads %d): got %.2000q, want %.2000q", tt.name, sizes, readSize, got, tt.want)
				}
			}
		}
	}
}

var lfBoundary = regexp.MustCompile(`--B[ \t]*\n`)

// FuzzFormReader checks Reader against mime/multipart: whatever form
// mime/multipart reads without error (with CRLF line ends), Reader
// reads the same, however the body is cut into reads.
func FuzzFormReader(f *testing.F) {
	f.Add([]byte("--B\r\nA: 1\r\n\r\nhello\r\n--B\r\n\r\nx\r\n--B--\r\n"), uint8(3), uint8(5))
	f.Add([]byte("pre\r\n--B \r\nA: 1\r\n\r\n\r\n--Bx\r\n--B-\r\n--B--"), uint8(1), uint8(1))
	f.Add([]byte("--B\r\n\r\n\r\n\r\n--B\r\n--B--"), uint8(2), uint8(64))
	f.Fuzz(func(t *testing.T, body []byte, srcRead, partRead uint8) {
		const boundary = "B"
		// mime/multipart also takes boundary lines that end with a bare LF
		// (and then LF line ends throughout), which Reader does not.
		if lfBoundary.Match(body) {
			return
		}
		want, err := readFormStd(body, boundary)
		if err != nil {
			return
		}
		got, err := readForm(&readerSizes{data: body, sizes: []int{int(srcRead) + 1, 4096}}, boundary, int(partRead)+1)
		// mime/multipart takes a body that ends right after a boundary
		// line as a clean end; Reader calls it cut short.
		if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Fatalf("mime/multipart reads %d parts, Reader fails: %v", len(want), err)
		}
		if want == nil {
			want = []gotPart{}
		}
		if got == nil {
			got = []gotPart{}
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("Reader read %q, mime/multipart %q", got, want)
		}
	})
}

// TestPartNames: FormName and FileName read the Content-Disposition as
// mime/multipart's Part does, except that FileName keeps a path the client
// sent (mime/multipart keeps only its base name): the feed refuses such a
// name rather than store it under a guess.
func TestPartNames(t *testing.T) {
	for _, disposition := range []string{
		`form-data; name="file"; filename="Acme.Web.1.0.0.zip"`,
		`form-data; name="X-Csrf"`,
		`form-data; filename="only-a-file.zip"`,
		`attachment; name="file"; filename="a.zip"`,
		`form-data; name="file"; filename="C:\\builds\\Acme.zip"`,
		`form-data; name=unquoted; filename=plain.zip`,
		`form-data; name="file"; filename="builds/Acme.zip"`,
		`form-data; name="bad`,
		``,
	} {
		body := "--b\r\nContent-Disposition: " + disposition + "\r\n\r\ncontent\r\n--b--\r\n"
		std, err := multipart.NewReader(strings.NewReader(body), "b").NextPart()
		if err != nil {
			t.Fatalf("%q: mime/multipart: %v", disposition, err)
		}
		ours, err := NewReader(strings.NewReader(body), "b").NextPart()
		if err != nil {
			t.Fatalf("%q: %v", disposition, err)
		}
		wantFile := std.FileName()
		if disposition == `form-data; name="file"; filename="builds/Acme.zip"` {
			wantFile = "builds/Acme.zip"
		}
		if ours.FormName() != std.FormName() || ours.FileName() != wantFile {
			t.Errorf("%q: FormName %q FileName %q; mime/multipart %q %q", disposition, ours.FormName(), ours.FileName(), std.FormName(), std.FileName())
		}
	}
}
