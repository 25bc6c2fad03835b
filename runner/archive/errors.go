package archive

import (
	"errors"
	"fmt"
)

// Categories of refusal, carried in EntryError.Err so callers can test them
// with errors.Is.
var (
	// ErrUnsafe marks an entry that would reach outside the root or that a
	// package may not contain (traversal, absolute path, escaping link,
	// device, set-uid bits, duplicate name).
	ErrUnsafe = errors.New("unsafe entry")
	// ErrLimit marks an archive over one of its Limits.
	ErrLimit = errors.New("archive over limit")
	// ErrCorrupt marks an archive that cannot be read: bad magic bytes, a
	// corrupt header, a truncated stream, a checksum mismatch.
	ErrCorrupt = errors.New("corrupt archive")
	// ErrUnsupported marks an entry this package cannot read (encryption,
	// an unknown compression method or entry type).
	ErrUnsupported = errors.New("unsupported entry")
)

// EntryError reports why an archive was refused. Name is the entry's name as
// it appears in the archive (quoted when printed, so control bytes are
// visible); it is empty when the problem is not tied to one entry, such as a
// corrupt zip central directory.
type EntryError struct {
	Name   string
	Reason string
	Err    error // one of ErrUnsafe, ErrLimit, ErrCorrupt, ErrUnsupported
	Cause  error // the underlying error, if any (a decompressor's, archive/tar's)
}

// Error returns a message naming the entry and the reason.
func (e *EntryError) Error() string {
	if e.Name == "" {
		return "archive: " + e.Reason
	}
	name := e.Name
	if len(name) > 200 {
		name = name[:200] + "…"
	}
	return fmt.Sprintf("archive: entry %q: %s", name, e.Reason)
}

// Unwrap returns the category of the error and its cause, if any.
func (e *EntryError) Unwrap() []error {
	if e.Cause == nil {
		return []error{e.Err}
	}
	return []error{e.Err, e.Cause}
}

func refuse(name string, category error, format string, args ...any) *EntryError {
	return &EntryError{Name: name, Reason: fmt.Sprintf(format, args...), Err: category}
}

func corrupt(name, what string, cause error) *EntryError {
	return &EntryError{Name: name, Reason: what + ": " + cause.Error(), Err: ErrCorrupt, Cause: cause}
}
