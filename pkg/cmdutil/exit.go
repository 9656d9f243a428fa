package cmdutil

import (
	"errors"
	"fmt"
	"io"

	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/sanitize"
	"github.com/spf13/cobra"
)

// ErrSilent makes the process exit 1 without a message: the command has
// already said what it had to (a check or --fail-if that matched).
var ErrSilent = errors.New("silent exit")

// ExitCode is the process exit code for err (SPEC §5).
func ExitCode(err error) int {
	if errors.Is(err, ErrSilent) {
		return 1
	}
	// An error that carries its own status: a command auditctl ran (sessions
	// record) exits with that command's status.
	var coded interface{ ExitCode() int }
	if errors.As(err, &coded) {
		return coded.ExitCode()
	}
	return audit.ExitCode(err)
}

// PrintError writes err for a person. Messages can quote input data, so
// they are sanitized like any other untrusted text.
func PrintError(w io.Writer, err error) {
	if err == nil || errors.Is(err, ErrSilent) {
		return
	}
	var se silentError
	if errors.As(err, &se) {
		return
	}
	fmt.Fprintf(w, "auditctl: %s\n", sanitize.String(err.Error()))
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
