package audit

import (
	"errors"
	"fmt"
)

// Error codes. Each maps to an exit code of SPEC §5.
const (
	EUSAGE    = "usage"    // bad flags or arguments: exit 2
	EINVALID  = "invalid"  // bad input data: exit 3
	ENOTFOUND = "notfound" // no such event/session: exit 3
	EREMOTE   = "remote"   // a remote API failed: exit 4
	ELOCAL    = "local"    // no cache at the path, an unreadable or corrupt cache, an unwritable output, a full disk: exit 5
	ENODATA   = "nodata"   // a gate (--fail-if, check) looked at a window that holds no data: exit 6
	EINTERNAL = "internal" // a bug: exit 70 (never 1, which means only "a check matched")
)

// Error is an error with a code the CLI maps to an exit code and a message
// written for the person reading it.
type Error struct {
	Code    string
	Message string
	Err     error // the underlying cause, if any
}

func (e *Error) Error() string {
	if e.Err != nil && e.Message == "" {
		return e.Err.Error()
	}
	return e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with the given code.
func Errorf(code, format string, args ...any) *Error {
	err := fmt.Errorf(format, args...)
	return &Error{Code: code, Message: err.Error(), Err: errors.Unwrap(err)}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL
// for any other non-nil error and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ExitCode maps err to the process exit code of SPEC §5.
func ExitCode(err error) int {
	switch ErrorCode(err) {
	case "":
		return 0
	case EUSAGE:
		return 2
	case EINVALID, ENOTFOUND:
		return 3
	case EREMOTE:
		return 4
	case ELOCAL:
		return 5
	case ENODATA:
		return 6
	}
	return 70
}

// InputError describes a malformed input record: which file, which line (or
// record index when the format has no lines), which field, and why.
type InputError struct {
	File   string
	Line   int    // 1-based line; 0 when unknown
	Record int    // 1-based record index; 0 when unknown
	Field  string // "" when the whole record is bad
	Err    error
	// Fatal means the rest of the input cannot be read (broken syntax);
	// otherwise the reader can go on to the next record.
	Fatal bool
}

func (e *InputError) Error() string {
	s := e.File
	if s == "" {
		s = "<input>"
	}
	if e.Line > 0 {
		s += fmt.Sprintf(":%d", e.Line)
	} else if e.Record > 0 {
		s += fmt.Sprintf(": record %d", e.Record)
	}
	if e.Field != "" {
		s += fmt.Sprintf(": field %q", e.Field)
	}
	return s + ": " + e.Err.Error()
}

func (e *InputError) Unwrap() error { return e.Err }

// As lets errors.As find an *Error (code EINVALID) in an *InputError so the
// CLI maps it to exit code 3 without special cases.
func (e *InputError) As(target any) bool {
	if t, ok := target.(**Error); ok {
		*t = &Error{Code: EINVALID, Message: e.Error(), Err: e.Err}
		return true
	}
	return false
}
