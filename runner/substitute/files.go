package substitute

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"regexp"
	"strings"
)

// EditFunc returns the new content of the file name (slash-separated,
// relative to the root) given its current content. Returning data
// unchanged leaves the file untouched.
type EditFunc func(name string, data []byte) ([]byte, error)

// Files calls edit for every regular file under dir whose path matches one
// of globs, and writes back what edit returns. It returns the patterns that
// matched nothing, so the caller can warn about them.
//
// A matching entry that is a symbolic link or a special file fails the
// walk (the package or a script planted it; following it could read or
// write outside dir). Directories behind links are never entered.
func Files(dir string, globs []string, edit EditFunc) (unmatched []string, err error) {
	var matchers []*regexp.Regexp
	var patterns []string
	for _, g := range globs {
		g = strings.TrimSpace(g)
		if g == "" {
			continue
		}
		re, err := Glob(g)
		if err != nil {
			return nil, fmt.Errorf("glob %q: %w", g, err)
		}
		matchers, patterns = append(matchers, re), append(patterns, g)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	defer root.Close()
	matched := make([]bool, len(matchers))
	err = fs.WalkDir(root.FS(), ".", func(name string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		hit := false
		for i, re := range matchers {
			if re.MatchString(name) {
				hit, matched[i] = true, true
			}
		}
		if !hit || e.IsDir() {
			return nil
		}
		if !e.Type().IsRegular() {
			return fmt.Errorf("refusing %s: it is a %s, not a regular file", name, describeMode(e.Type()))
		}
		return EditFile(root, name, func(data []byte) ([]byte, error) {
			out, err := edit(name, data)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
			return out, nil
		})
	})
	if err != nil {
		return nil, err
	}
	for i, ok := range matched {
		if !ok {
			unmatched = append(unmatched, patterns[i])
		}
	}
	return unmatched, nil
}

func describeMode(m fs.FileMode) string {
	if m&fs.ModeSymlink != 0 {
		return "symbolic link"
	}
	return "special file (" + m.String() + ")"
}

// EditFile rewrites the regular file name inside root with edit. The new
// content goes to a temporary file renamed over the old one, so a link
// that appeared meanwhile is replaced, never written through, and readers
// never see a half-written file. The file keeps its permission bits.
func EditFile(root *os.Root, name string, edit func([]byte) ([]byte, error)) error {
	st, err := root.Lstat(name)
	if err != nil {
		return err
	}
	if !st.Mode().IsRegular() {
		return fmt.Errorf("refusing %s: not a regular file", name)
	}
	data, err := root.ReadFile(name)
	if err != nil {
		return err
	}
	out, err := edit(data)
	if err != nil {
		return err
	}
	if bytes.Equal(out, data) {
		return nil
	}
	tmp := name + ".argonaut-tmp"
	_ = root.Remove(tmp) // a leftover, or a planted link: never write through it
	if err := root.WriteFile(tmp, out, st.Mode().Perm()); err != nil {
		return err
	}
	if err := root.Rename(tmp, name); err != nil {
		_ = root.Remove(tmp)
		return err
	}
	return nil
}

// Glob compiles an Octopus file glob, relative to the installation
// directory with '/' separators: '*' and '?' stay within one directory,
// '**' spans directories ("**/*.config", "conf/**"), and a pattern without
// a '/' matches the file name at the top level only. '\' is taken as '/'.
// Matching is case-sensitive, like the file systems of Linux targets.
// Absolute patterns and patterns starting with ".." are refused.
func Glob(glob string) (*regexp.Regexp, error) {
	glob = strings.TrimPrefix(path.Clean(strings.ReplaceAll(glob, `\`, "/")), "./")
	if strings.HasPrefix(glob, "/") || glob == ".." || strings.HasPrefix(glob, "../") || isWindowsAbs(glob) {
		return nil, errors.New("must be relative to the installation directory")
	}
	var b strings.Builder
	b.WriteString("^")
	for i := 0; i < len(glob); i++ {
		switch c := glob[i]; {
		case c == '*' && strings.HasPrefix(glob[i:], "**/"):
			b.WriteString("(?:.*/)?")
			i += 2
		case c == '*' && strings.HasPrefix(glob[i:], "**"):
			b.WriteString(".*")
			i++
		case c == '*':
			b.WriteString("[^/]*")
		case c == '?':
			b.WriteString("[^/]")
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	b.WriteString("$")
	return regexp.Compile(b.String())
}

// isWindowsAbs reports a drive-letter path such as "C:/x".
func isWindowsAbs(p string) bool {
	return len(p) >= 2 && p[1] == ':' && (('a' <= p[0] && p[0] <= 'z') || ('A' <= p[0] && p[0] <= 'Z'))
}
