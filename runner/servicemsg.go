package runner

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"strings"
)

// serviceMessagePrefix starts an Octopus service message on stdout:
// ##octopus[name key='base64' key2='base64'].
const serviceMessagePrefix = "##octopus["

// serviceMessage is a parsed service message with its attributes decoded.
type serviceMessage struct {
	Name  string
	Attrs map[string]string
}

// splitServiceMessage finds a service message at the end of line. It returns
// the text before it (to be logged as an ordinary line when not empty), the
// message text, and whether there was one. A script that printed text
// without a newline before calling a helper produces such a line.
func splitServiceMessage(line string) (before, msg string, ok bool) {
	i := strings.Index(line, serviceMessagePrefix)
	if i < 0 {
		return line, "", false
	}
	rest := strings.TrimRight(line[i:], " \t")
	if !strings.HasSuffix(rest, "]") {
		return line, "", false
	}
	return line[:i], rest, true
}

// parseServiceMessage parses "##octopus[name a='b64' b='b64']". Attribute
// values are base64 (standard alphabet, padding optional) of UTF-8 text, as
// in Calamari.
func parseServiceMessage(s string) (serviceMessage, error) {
	body := strings.TrimSuffix(strings.TrimPrefix(s, serviceMessagePrefix), "]")
	name, rest, _ := strings.Cut(body, " ")
	if name == "" {
		return serviceMessage{}, fmt.Errorf("service message without a name")
	}
	m := serviceMessage{Name: name, Attrs: map[string]string{}}
	for rest = strings.TrimSpace(rest); rest != ""; rest = strings.TrimSpace(rest) {
		key, after, ok := strings.Cut(rest, "='")
		if !ok || key == "" || strings.ContainsAny(key, " '") {
			return serviceMessage{}, fmt.Errorf("service message %s: malformed attribute", name)
		}
		raw, tail, ok := strings.Cut(after, "'")
		if !ok {
			return serviceMessage{}, fmt.Errorf("service message %s: unterminated attribute %s", name, key)
		}
		val, err := decodeBase64(raw)
		if err != nil {
			return serviceMessage{}, fmt.Errorf("service message %s: attribute %s is not base64", name, key)
		}
		m.Attrs[key] = val
		rest = tail
	}
	return m, nil
}

func decodeBase64(s string) (string, error) {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		b, err = base64.RawStdEncoding.DecodeString(strings.TrimRight(s, "="))
	}
	return string(b), err
}

// lineSplitter is an io.Writer that calls fn with each complete line written
// to it (without the line break and a trailing '\r'). A line longer than
// maxLineBytes is cut there. Close flushes a final line without a break.
// It receives already-masked text from a mask.Writer, which serializes
// the writes, so it needs no lock.
type lineSplitter struct {
	fn  func(string)
	buf []byte
}

// maxLineBytes bounds one log line.
const maxLineBytes = 1 << 20

func (l *lineSplitter) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			l.buf = append(l.buf, p...)
			for len(l.buf) >= maxLineBytes {
				l.emit(l.buf[:maxLineBytes])
				l.buf = append(l.buf[:0], l.buf[maxLineBytes:]...)
			}
			break
		}
		l.buf = append(l.buf, p[:i]...)
		l.emit(l.buf)
		l.buf = l.buf[:0]
		p = p[i+1:]
	}
	return n, nil
}

func (l *lineSplitter) emit(b []byte) {
	l.fn(strings.TrimSuffix(string(b), "\r"))
}

// Close flushes an unterminated last line.
func (l *lineSplitter) Close() error {
	if len(l.buf) > 0 {
		l.emit(l.buf)
		l.buf = nil
	}
	return nil
}
