package runner

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"regexp"
	"strings"

	"github.com/argonautdeploy/argonaut/runner/template"
)

// substituteInFiles replaces #{…} in the files matching the step's
// SubstituteInFiles globs.
func (d *deployment) substituteInFiles(context.Context) error {
	if len(d.props.SubstituteInFiles) == 0 {
		return nil
	}
	vars := d.stepVariables()
	return forMatchingFiles(d, d.props.SubstituteInFiles, "substitution", func(root *os.Root, name string, data []byte) ([]byte, error) {
		res, err := template.Evaluate(string(data), vars, template.Options{})
		if err != nil {
			return nil, err
		}
		if res.HasError() {
			if !d.props.IgnoreVariableReplacementErrors {
				return nil, errors.New(res.ErrorText())
			}
			d.sc.logf(Warning, "%s: %s", name, res.ErrorText())
			if res.ParseError != nil {
				return data, nil
			}
		}
		d.sc.logf(Info, "Substituted variables in %s", name)
		return []byte(res.Output), nil
	})
}

// forMatchingFiles calls edit for each file of the installation directory
// matching one of globs and writes back what edit returns.
//
// Safety (the Argo CD class of bugs, where a package's symlink makes the
// deployment read or write outside it): the directory is opened as an
// os.Root, so no path can resolve outside it; the walk never follows links;
// and a matching entry that is a link or not a regular file fails the step
// instead of being read. The new content is written to a temporary file and
// renamed over the old one, so even a link that appeared meanwhile is
// replaced, never written through.
func forMatchingFiles(d *deployment, globs []string, what string, edit func(root *os.Root, name string, data []byte) ([]byte, error)) error {
	var matchers []*regexp.Regexp
	var patterns []string
	for _, g := range globs {
		g = strings.TrimSpace(g)
		if g == "" {
			continue
		}
		re, err := globRegexp(g)
		if err != nil {
			return fmt.Errorf("%s: glob %q: %w", what, g, err)
		}
		matchers, patterns = append(matchers, re), append(patterns, g)
	}
	root, err := os.OpenRoot(d.installDir)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
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
			return fmt.Errorf("%s: refusing %s: it is a %s, not a regular file", what, name, describeMode(e.Type()))
		}
		return editFile(root, name, func(data []byte) ([]byte, error) {
			out, err := edit(root, name, data)
			if err != nil {
				return nil, fmt.Errorf("%s: %s: %w", what, name, err)
			}
			return out, nil
		})
	})
	if err != nil {
		return err
	}
	for i, ok := range matched {
		if !ok {
			d.sc.logf(Warning, "No files matched the %s pattern %q", what, patterns[i])
		}
	}
	return nil
}

func describeMode(m fs.FileMode) string {
	if m&fs.ModeSymlink != 0 {
		return "symbolic link"
	}
	return "special file (" + m.String() + ")"
}

func editFile(root *os.Root, name string, edit func([]byte) ([]byte, error)) error {
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
	tmp := name + ".argonaut-tmp"
	if err := root.WriteFile(tmp, out, st.Mode().Perm()); err != nil {
		return err
	}
	if err := root.Rename(tmp, name); err != nil {
		_ = root.Remove(tmp)
		return err
	}
	return nil
}

// globRegexp compiles an Octopus file glob, relative to the installation
// directory with '/' separators: '*' and '?' stay within one directory,
// '**' spans directories ("**/*.config", "conf/**"), and a pattern without
// a '/' matches the file name at the top level only. Matching is
// case-sensitive, like the file systems of Linux targets.
func globRegexp(glob string) (*regexp.Regexp, error) {
	glob = strings.TrimPrefix(path.Clean(strings.ReplaceAll(glob, `\`, "/")), "./")
	if strings.HasPrefix(glob, "/") || glob == ".." || strings.HasPrefix(glob, "../") {
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
