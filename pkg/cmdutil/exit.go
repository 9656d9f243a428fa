package cmdutil

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"syscall"

	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/sanitize"
	"github.com/auditctl/auditctl/pkg/store/sqlite"
	"github.com/spf13/cobra"
)

// ErrSilent makes the process exit 1 without a message: the command has
// already said what it had to (a check or --fail-if that matched).
var ErrSilent = errors.New("silent exit")

// ExitCode is the process exit code for err (SPEC §5): 0 ok, 1 only for
// ErrSilent (a check or --fail-if matched), 2 usage, 3 input data, 4
// remote, 5 local failure, 6 no data, 70 internal, 130/143 a signal.
func ExitCode(err error) int {
	if errors.Is(err, ErrSilent) {
		return 1
	}
	// An error that carries its own status: a command auditctl ran (sessions
	// record) exits with that command's status; a signal 128+N.
	var coded interface{ ExitCode() int }
	if errors.As(err, &coded) {
		return coded.ExitCode()
	}
	return audit.ExitCode(Classify(err))
}

// Classify gives an error that carries no code of its own the code of SPEC
// §5. It is the one place where such errors are sorted:
//
//   - cobra's own errors for a command line it cannot parse are usage
//     errors (exit 2);
//   - a failure of the machine (an *fs.PathError, ENOSPC, EACCES, EROFS, EIO,
//     EPERM, EDQUOT) or of the cache file (SQLite says damaged, unreadable,
//     read-only, full, locked) is a local failure (audit.ELOCAL, exit 5);
//   - anything else stays an internal error (exit 70): a bug.
//
// Errors that have a code (an *audit.Error, ErrSilent, an error with an
// ExitCode method) are returned as they are.
func Classify(err error) error {
	if err == nil || errors.Is(err, ErrSilent) {
		return err
	}
	var coded interface{ ExitCode() int }
	if errors.As(err, &coded) || audit.ErrorCode(err) != audit.EINTERNAL || errors.As(err, new(*audit.Error)) {
		return err
	}
	switch {
	case isCobraUsage(err):
		return UsageError(err)
	case sqlite.IsLocalFailure(err):
		return &audit.Error{Code: audit.ELOCAL, Message: "cache: " + err.Error(), Err: err}
	case isLocalFailure(err):
		return &audit.Error{Code: audit.ELOCAL, Message: err.Error(), Err: err}
	}
	return err
}

// isLocalFailure reports whether err is the operating system saying a file
// or the disk failed.
func isLocalFailure(err error) bool {
	if errors.As(err, new(*fs.PathError)) || errors.As(err, new(*os.LinkError)) || errors.As(err, new(*os.SyscallError)) {
		return true
	}
	for _, e := range []error{syscall.ENOSPC, syscall.EACCES, syscall.EROFS, syscall.EIO, syscall.EPERM, syscall.EDQUOT} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// isCobraUsage recognizes the errors cobra itself returns for a command
// line it cannot parse.
func isCobraUsage(err error) bool {
	msg := err.Error()
	for _, p := range []string{"unknown command", "unknown flag", "unknown shorthand", "invalid argument", "accepts ", "requires ", "flag needs", "bad flag syntax",
		"required flag", "if any flags in the group", "at least one of the flags in the group"} {
		if strings.HasPrefix(msg, p) {
			return true
		}
	}
	return false
}

// PrintError writes err for a person, classified as ExitCode classifies it.
// Messages can quote input data, so they are sanitized like any other
// untrusted text; an error with a Hint (the suggestions for a mistyped
// command) has it printed below, line by line.
func PrintError(w io.Writer, err error) {
	if err == nil || errors.Is(err, ErrSilent) {
		return
	}
	var se silentError
	if errors.As(err, &se) {
		return
	}
	err = Classify(err)
	fmt.Fprintf(w, "auditctl: %s\n", sanitize.String(err.Error()))
	var h interface{ Hint() string }
	if errors.As(err, &h) {
		for _, line := range strings.Split(strings.TrimRight(h.Hint(), "\n"), "\n") {
			fmt.Fprintln(w, sanitize.String(line))
		}
	}
}

// UsageError marks a cobra flag or argument error as exit code 2.
func UsageError(err error) error {
	if err == nil {
		return nil
	}
	return &audit.Error{Code: audit.EUSAGE, Message: err.Error(), Err: err}
}

// NoArgs rejects positional arguments with a usage error.
func NoArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return audit.Errorf(audit.EUSAGE, "%s takes no arguments, got %q", cmd.CommandPath(), args[0])
	}
	return nil
}

// ExactArgs requires n arguments, naming them in the usage error.
func ExactArgs(n int, what string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != n {
			return audit.Errorf(audit.EUSAGE, "%s needs %s (see --help)", cmd.CommandPath(), what)
		}
		return nil
	}
}

// MinimumArgs requires at least n arguments.
func MinimumArgs(n int, what string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) < n {
			return audit.Errorf(audit.EUSAGE, "%s needs %s (see --help)", cmd.CommandPath(), what)
		}
		return nil
	}
}

// silentError carries an error that has already been printed: the exit code
// comes from it, the message is not printed again.
type silentError struct{ err error }

func (e silentError) Error() string { return e.err.Error() }
func (e silentError) Unwrap() error { return e.err }

// Silent wraps err so that PrintError does not print it again.
func Silent(err error) error { return silentError{err} }
