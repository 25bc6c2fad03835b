package template

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"hash"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// Base64 and hash filters. Encodings: utf8/utf-8 (default) and unicode
// (.NET's name for UTF-16 little-endian).

func encodeText(s, enc string) ([]byte, bool) {
	switch strings.ToLower(enc) {
	case "", "utf8", "utf-8":
		return []byte(s), true
	case "unicode":
		units := utf16.Encode([]rune(s))
		out := make([]byte, 2*len(units))
		for i, u := range units {
			binary.LittleEndian.PutUint16(out[2*i:], u)
		}
		return out, true
	}
	return nil, false
}

func decodeText(b []byte, enc string) (string, bool) {
	switch strings.ToLower(enc) {
	case "", "utf8", "utf-8":
		return strings.ToValidUTF8(string(b), string(utf8.RuneError)), true
	case "unicode":
		units := make([]uint16, len(b)/2)
		for i := range units {
			units[i] = binary.LittleEndian.Uint16(b[2*i:])
		}
		return string(utf16.Decode(units)), true
	}
	return "", false
}

func toBase64(c *filterCall) (*string, error) {
	if c.arg == nil || len(c.opts) > 1 {
		return nil, nil
	}
	enc := ""
	if len(c.opts) == 1 {
		enc = c.opts[0]
	}
	b, ok := encodeText(*c.arg, enc)
	if !ok {
		return nil, nil
	}
	return str(base64.StdEncoding.EncodeToString(b)), nil
}

// fromBase64 fails the evaluation on invalid input, as upstream throws.
func fromBase64(c *filterCall) (*string, error) {
	if c.arg == nil || len(c.opts) > 1 {
		return nil, nil
	}
	enc := ""
	if len(c.opts) == 1 {
		enc = c.opts[0]
	}
	raw, err := decodeBase64(*c.arg)
	if err != nil {
		return nil, &FilterError{Filter: c.name, Err: errors.New("the input is not valid base64")}
	}
	s, ok := decodeText(raw, enc)
	if !ok {
		return nil, nil
	}
	return str(s), nil
}

// decodeBase64 accepts what Convert.FromBase64String does: standard alphabet,
// padding, and whitespace anywhere.
func decodeBase64(s string) ([]byte, error) {
	s = strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\t', '\r', '\n':
			return -1
		}
		return r
	}, s)
	return base64.StdEncoding.DecodeString(s)
}

func hashMD5() hash.Hash    { return md5.New() }
func hashSHA1() hash.Hash   { return sha1.New() }
func hashSHA256() hash.Hash { return sha256.New() }
func hashSHA384() hash.Hash { return sha512.New384() }
func hashSHA512() hash.Hash { return sha512.New() }

// hashFilter: Md5/Sha* [encoding] [bytes], in either order, giving the lower
// case hex digest, optionally truncated to a positive number of bytes. The
// "base64" encoding hashes the decoded input.
func hashFilter(newHash func() hash.Hash) filterFunc {
	return func(c *filterCall) (*string, error) {
		if c.arg == nil || len(c.opts) > 2 {
			return nil, nil
		}
		enc, size := "", 0
		haveEnc, haveSize := false, false
		for _, o := range c.opts {
			if n, err := strconv.Atoi(o); err == nil {
				if haveSize || n <= 0 {
					return nil, nil
				}
				size, haveSize = n, true
				continue
			}
			switch strings.ToLower(o) {
			case "utf8", "utf-8", "unicode", "base64":
			default:
				return nil, nil
			}
			if haveEnc {
				return nil, nil
			}
			enc, haveEnc = strings.ToLower(o), true
		}
		var data []byte
		if enc == "base64" {
			raw, err := decodeBase64(*c.arg)
			if err != nil {
				return nil, nil
			}
			data = raw
		} else {
			data, _ = encodeText(*c.arg, enc)
		}
		h := newHash()
		h.Write(data)
		sum := h.Sum(nil)
		if haveSize && size < len(sum) {
			sum = sum[:size]
		}
		return str(hex.EncodeToString(sum)), nil
	}
}
