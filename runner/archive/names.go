package archive

import (
	"path"
	"path/filepath"
	"strings"
)

// cleanName checks an entry name against the path rules and returns it in
// clean slash form ("a/b/c", or "." for the root itself). Backslashes are
// separators: a package built on one OS is extracted on another.
func cleanName(raw string, lim *Limits) (string, *EntryError) {
	if raw == "" {
		return "", refuse(raw, ErrUnsafe, "empty name")
	}
	if len(raw) > lim.MaxNameLength {
		return "", refuse(raw, ErrLimit, "name is %d bytes, over the limit of %d", len(raw), lim.MaxNameLength)
	}
	if strings.IndexByte(raw, 0) >= 0 {
		return "", refuse(raw, ErrUnsafe, "name contains a NUL byte")
	}
	slashed := strings.ReplaceAll(raw, `\`, "/")
	if strings.HasPrefix(slashed, "/") || hasVolume(slashed) {
		return "", refuse(raw, ErrUnsafe, "absolute path")
	}
	depth := 0
	for _, c := range strings.Split(slashed, "/") {
		switch c {
		case "..":
			return "", refuse(raw, ErrUnsafe, "path traversal (\"..\")")
		case "", ".":
		default:
			depth++
		}
	}
	if depth > lim.MaxPathDepth {
		return "", refuse(raw, ErrLimit, "path has %d components, over the limit of %d", depth, lim.MaxPathDepth)
	}
	name := path.Clean(slashed)
	// On Windows this also refuses reserved names such as NUL and COM1.
	if name != "." && !filepath.IsLocal(filepath.FromSlash(name)) {
		return "", refuse(raw, ErrUnsafe, "not a local path on this system")
	}
	return name, nil
}

// hasVolume reports whether p starts with a Windows drive ("C:").
func hasVolume(p string) bool {
	return len(p) >= 2 && p[1] == ':' && ('a' <= p[0]|0x20 && p[0]|0x20 <= 'z')
}

// checkLinkTarget applies the name rules that do not depend on the rest of
// the archive to a symbolic link target, and returns it in slash form with
// its ".." components kept (they are resolved later, through other links).
func checkLinkTarget(entry, target string, lim *Limits) (string, *EntryError) {
	if target == "" {
		return "", refuse(entry, ErrUnsafe, "link with an empty target")
	}
	if len(target) > lim.MaxNameLength {
		return "", refuse(entry, ErrLimit, "link target is %d bytes, over the limit of %d", len(target), lim.MaxNameLength)
	}
	if strings.IndexByte(target, 0) >= 0 {
		return "", refuse(entry, ErrUnsafe, "link target contains a NUL byte")
	}
	slashed := strings.ReplaceAll(target, `\`, "/")
	if strings.HasPrefix(slashed, "/") || hasVolume(slashed) {
		return "", refuse(entry, ErrUnsafe, "link to an absolute path %q", target)
	}
	if n := strings.Count(slashed, "/") + 1; n > lim.MaxPathDepth {
		return "", refuse(entry, ErrLimit, "link target has %d components, over the limit of %d", n, lim.MaxPathDepth)
	}
	return slashed, nil
}

type nodeKind uint8

const (
	nodeDir nodeKind = iota + 1
	nodeFile
	nodeSymlink
)

// tree remembers every name seen so far, to refuse duplicates and entries
// below files or links, and resolves symbolic links through each other the
// way the OS will once they exist on disk.
type tree struct {
	nodes map[string]nodeKind
	links map[string]string // clean name -> slash target
	order []string          // link names in archive order
}

func newTree() *tree {
	return &tree{nodes: map[string]nodeKind{".": nodeDir}, links: map[string]string{}}
}

// add records name (clean) as kind, refusing a duplicate or a parent that is
// not a directory. raw is the archive's spelling, for errors.
func (t *tree) add(raw, name string, kind nodeKind) *EntryError {
	if old, ok := t.nodes[name]; ok {
		if old == nodeDir && kind == nodeDir {
			return nil
		}
		return refuse(raw, ErrUnsafe, "duplicate of an earlier entry")
	}
	// Walk up until a known directory; every parent must be one.
	var missing []string
	for dir := path.Dir(name); ; dir = path.Dir(dir) {
		k, ok := t.nodes[dir]
		if ok {
			if k != nodeDir {
				return refuse(raw, ErrUnsafe, "parent %q is a file or link, not a directory", dir)
			}
			break
		}
		missing = append(missing, dir)
	}
	for _, d := range missing {
		t.nodes[d] = nodeDir
	}
	t.nodes[name] = kind
	return nil
}

// maxLinkHops bounds link-through-link resolution, like the OS's ELOOP.
const maxLinkHops = 40

// escapes resolves link name (whose parents are real directories, as add
// guarantees) through the archive's links and reports a reason if the
// resolution leaves the root or loops. A component that does not exist is
// treated as a directory, which is the permissive (worst) case.
func (t *tree) escapes(name string) string {
	stack := strings.Split(path.Dir(name), "/")
	if stack[0] == "." {
		stack = stack[:0]
	}
	queue := strings.Split(t.links[name], "/")
	hops := 0
	for len(queue) > 0 {
		c := queue[0]
		queue = queue[1:]
		switch c {
		case "", ".":
			continue
		case "..":
			if len(stack) == 0 {
				return "link target leaves the root"
			}
			stack = stack[:len(stack)-1]
			continue
		}
		stack = append(stack, c)
		target, ok := t.links[strings.Join(stack, "/")]
		if !ok {
			continue
		}
		hops++
		if hops > maxLinkHops {
			return "too many levels of links"
		}
		stack = stack[:len(stack)-1]
		queue = append(strings.Split(target, "/"), queue...)
	}
	return ""
}
