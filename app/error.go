package app

import (
	"errors"
	"fmt"
)

// Error codes. The HTTP edge maps each code to a status exactly once
// (see app/api and app/web); everything below it speaks only in codes.
const (
	ECONFLICT     = "conflict"     // a uniqueness rule or a stale version
	EINTERNAL     = "internal"     // a bug or an unexpected failure of a dependency
	EINVALID      = "invalid"      // the caller sent something malformed
	ENOTFOUND     = "not_found"    // the named thing does not exist
	EUNAUTHORIZED = "unauthorized" // the caller is not signed in
	EFORBIDDEN    = "forbidden"    // signed in, but not allowed
	ETOOLARGE     = "too_large"    // a body or file over its limit
	ETOOMANY      = "too_many"     // throttled
)

// Error is the one error type of the domain. Message is safe to show to the
// user; Details lists individual problems (one per invalid field, say).
type Error struct {
	Code    string
	Message string
	Details []string
}

// Error implements the error interface.
func (e *Error) Error() string {
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Invalid returns an EINVALID error listing every problem found.
func Invalid(message string, details ...string) *Error {
	return &Error{Code: EINVALID, Message: message, Details: details}
}

// NotFound returns the ENOTFOUND error Octopus clients expect for a missing resource.
func NotFound(id string) *Error {
	return Errorf(ENOTFOUND, "The resource '%s' was not found.", id)
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL for
// any other non-nil error and "" for nil.
func ErrorCode(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the user-facing message of err. Internal errors get a
// generic text so that no implementation detail leaks to clients.
func ErrorMessage(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Message
	}
	return "An internal error occurred."
}

// ErrorDetails returns the detail lines of the first *Error in err's chain.
func ErrorDetails(err error) []string {
	var e *Error
	if errors.As(err, &e) {
		return e.Details
	}
	return nil
}
