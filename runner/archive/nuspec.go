package archive

import (
	"encoding/xml"
	"errors"
	"io"
	"strings"
)

// ReadNuspec parses a NuGet .nuspec document (such as Summary.Nuspec) and
// returns the package id and version from its <metadata>, whatever the XML
// namespace. It reads at most maxBytes (DefaultLimits().MaxNuspecBytes when
// zero or less) and refuses a longer document, a DTD, or a missing id or
// version with an *EntryError naming the .nuspec.
func ReadNuspec(r io.Reader, maxBytes int64) (id, version string, err error) {
	if maxBytes <= 0 {
		maxBytes = DefaultLimits().MaxNuspecBytes
	}
	const name = ".nuspec"
	lr := &io.LimitedReader{R: r, N: maxBytes + 1}
	dec := xml.NewDecoder(lr)
	var stack []string
	for {
		tok, terr := dec.Token()
		if lr.N <= 0 {
			return "", "", refuse(name, ErrLimit, "over %d bytes", maxBytes)
		}
		if errors.Is(terr, io.EOF) {
			break
		}
		if terr != nil {
			return "", "", corrupt(name, "invalid XML", terr)
		}
		switch t := tok.(type) {
		case xml.Directive:
			// No DTDs: they are how entity-expansion attacks start.
			return "", "", refuse(name, ErrUnsafe, "XML directives (DTD) are not allowed")
		case xml.StartElement:
			stack = append(stack, t.Name.Local)
			if len(stack) > 64 {
				return "", "", refuse(name, ErrLimit, "XML nested too deeply")
			}
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) == 3 && stack[0] == "package" && stack[1] == "metadata" {
				switch stack[2] {
				case "id":
					id += string(t)
				case "version":
					version += string(t)
				}
			}
		}
	}
	id, version = strings.TrimSpace(id), strings.TrimSpace(version)
	if id == "" || version == "" {
		return "", "", refuse(name, ErrCorrupt, "no <id> and <version> in <package><metadata>")
	}
	return id, version, nil
}
