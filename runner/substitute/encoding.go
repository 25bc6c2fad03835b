package substitute

import (
	"bytes"
	"errors"
	"unicode/utf16"
)

// Encoding is a text file's encoding, as far as substitution cares.
type Encoding int

// Encodings recognised by Decode. Files without a byte order mark are
// taken as UTF-8 (a file that is not valid UTF-8 is still edited byte for
// byte: the template engine leaves text outside tokens untouched).
const (
	UTF8 Encoding = iota
	UTF8BOM
	UTF16LE // with a byte order mark
	UTF16BE // with a byte order mark
)

func (e Encoding) String() string {
	return [...]string{"UTF-8", "UTF-8 with BOM", "UTF-16 LE", "UTF-16 BE"}[e]
}

var (
	bomUTF8    = []byte{0xEF, 0xBB, 0xBF}
	bomUTF16LE = []byte{0xFF, 0xFE}
	bomUTF16BE = []byte{0xFE, 0xFF}
)

// Decode detects data's encoding from its byte order mark and returns its
// text as UTF-8, without the mark.
func Decode(data []byte) (string, Encoding, error) {
	switch {
	case bytes.HasPrefix(data, bomUTF8):
		return string(data[len(bomUTF8):]), UTF8BOM, nil
	case bytes.HasPrefix(data, bomUTF16LE):
		s, err := decodeUTF16(data[2:], false)
		return s, UTF16LE, err
	case bytes.HasPrefix(data, bomUTF16BE):
		s, err := decodeUTF16(data[2:], true)
		return s, UTF16BE, err
	}
	return string(data), UTF8, nil
}

// Encode returns text in encoding e, with the byte order mark e has.
func Encode(text string, e Encoding) []byte {
	switch e {
	case UTF8BOM:
		return append(append([]byte(nil), bomUTF8...), text...)
	case UTF16LE, UTF16BE:
		units := utf16.Encode([]rune(text))
		out := make([]byte, 2, 2+2*len(units))
		copy(out, bomUTF16LE)
		if e == UTF16BE {
			copy(out, bomUTF16BE)
		}
		for _, u := range units {
			if e == UTF16BE {
				out = append(out, byte(u>>8), byte(u))
			} else {
				out = append(out, byte(u), byte(u>>8))
			}
		}
		return out
	}
	return []byte(text)
}

var errOddUTF16 = errors.New("UTF-16 file with an odd number of bytes")

func decodeUTF16(b []byte, bigEndian bool) (string, error) {
	if len(b)%2 != 0 {
		return "", errOddUTF16
	}
	units := make([]uint16, len(b)/2)
	for i := range units {
		if bigEndian {
			units[i] = uint16(b[2*i])<<8 | uint16(b[2*i+1])
		} else {
			units[i] = uint16(b[2*i+1])<<8 | uint16(b[2*i])
		}
	}
	// Unpaired surrogates become U+FFFD, as in every UTF-16 decoder.
	return string(utf16.Decode(units)), nil
}
