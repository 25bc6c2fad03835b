package app

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxNameLength bounds every user-chosen name (environments, projects, …).
const MaxNameLength = 200

// MaxDescriptionLength bounds free-text descriptions.
const MaxDescriptionLength = 20000

// ValidateName checks a user-chosen name and returns a problem description,
// or "" when the name is acceptable. what names the field in the message.
func ValidateName(what, name string) string {
	switch {
	case strings.TrimSpace(name) == "":
		return what + " is required."
	case !utf8.ValidString(name):
		return what + " must be valid UTF-8."
	case utf8.RuneCountInString(name) > MaxNameLength:
		return what + " must be at most 200 characters."
	case strings.TrimSpace(name) != name:
		return what + " must not start or end with white space."
	case strings.IndexFunc(name, unicode.IsControl) >= 0:
		return what + " must not contain control characters."
	}
	return ""
}

// ValidateDescription checks free text.
func ValidateDescription(what, s string) string {
	switch {
	case !utf8.ValidString(s):
		return what + " must be valid UTF-8."
	case utf8.RuneCountInString(s) > MaxDescriptionLength:
		return what + " must be at most 20000 characters."
	case strings.ContainsRune(s, 0):
		return what + " must not contain NUL characters."
	}
	return ""
}

// problems collects validation messages; invalid turns them into an error.
type problems []string

func (p *problems) add(msg string) {
	if msg != "" {
		*p = append(*p, msg)
	}
}

func (p problems) err(what string) error {
	if len(p) == 0 {
		return nil
	}
	return Invalid("There was a problem with your request: the "+what+" is not valid.", p...)
}

// Slugify turns a name into the URL-friendly slug Octopus derives from it:
// lower case, runs of anything but letters and digits become one dash.
func Slugify(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			b.WriteRune(r)
			dash = false
		} else {
			dash = true
		}
	}
	return b.String()
}

// NormalizeList trims, drops empty entries and duplicates (case-insensitive),
// keeping the first spelling and the original order.
func NormalizeList(in []string) []string {
	out := make([]string, 0, len(in))
	seen := map[string]bool{}
	for _, s := range in {
		s = strings.TrimSpace(s)
		k := strings.ToLower(s)
		if s == "" || seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, s)
	}
	return out
}
