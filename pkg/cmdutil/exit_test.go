package cmdutil

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/auditctl/auditctl/pkg/audit"
)

type statusError int

func (e statusError) Error() string { return fmt.Sprintf("exit status %d", int(e)) }
func (e statusError) ExitCode() int { return int(e) }

func TestExitCode(t *testing.T) {
	for _, tt := range []struct {
		err  error
		want int
	}{
		{nil, 0},
		{errors.New("boom"), 70},
		{audit.Errorf(audit.ELOCAL, "no cache"), 5},
		{audit.Errorf(audit.ENODATA, "empty window"), 6},
		{ErrSilent, 1},
		{audit.Errorf(audit.EUSAGE, "bad flag"), 2},
		{audit.Errorf(audit.EINVALID, "bad input"), 3},
		{audit.Errorf(audit.EREMOTE, "api down"), 4},
		{Silent(statusError(42)), 42},
		{fmt.Errorf("wrapped: %w", statusError(0)), 0},
		// OS failures that nothing classified are local failures, not bugs
		{&fs.PathError{Op: "open", Path: "/x", Err: syscall.ENOENT}, 5},
		{fmt.Errorf("write out.csv: %w", &fs.PathError{Op: "write", Path: "out.csv", Err: syscall.ENOSPC}), 5},
		{fmt.Errorf("flush: %w", syscall.ENOSPC), 5},
		{fmt.Errorf("open: %w", syscall.EACCES), 5},
		{fmt.Errorf("rename: %w", syscall.EROFS), 5},
		{fmt.Errorf("read: %w", syscall.EIO), 5},
		{&os.LinkError{Op: "rename", Old: "a", New: "b", Err: syscall.EXDEV}, 5},
		// a code given is kept
		{audit.Errorf(audit.EINVALID, "bad file: %w", &fs.PathError{Op: "read", Path: "x", Err: syscall.EIO}), 3},
		// cobra's own parse errors are usage errors
		{errors.New(`unknown flag: --nope`), 2},
		{errors.New(`unknown command "x" for "auditctl"`), 2},
		{errors.New(`required flag(s) "org" not set`), 2},
		{errors.New(`accepts 1 arg(s), received 2`), 2},
		// signals
		{&Interrupt{Signal: os.Interrupt}, 130},
		{&Interrupt{Signal: syscall.SIGTERM}, 143},
		{Silent(&Interrupt{Signal: syscall.SIGTERM}), 143},
		{(&Interrupt{Signal: os.Interrupt}).wrap(errors.New("import stopped")), 130},
		{(&Interrupt{Signal: os.Interrupt}).wrap(context.Canceled), 130},
	} {
		if got := ExitCode(tt.err); got != tt.want {
			t.Errorf("ExitCode(%v) = %d, want %d", tt.err, got, tt.want)
		}
	}
}

// TestPrintErrorHint: an error's hint is printed below it with real
// newlines, each line sanitized.
func TestPrintErrorHint(t *testing.T) {
	var b bytes.Buffer
	PrintError(&b, &hintError{err: audit.Errorf(audit.EUSAGE, "unknown command \"l\x1b[2Jst\""), hint: "\nDid you mean this?\n    list\n"})
	want := "auditctl: unknown command \"l\\x1b[2Jst\"\n\nDid you mean this?\n    list\n"
	if b.String() != want {
		t.Errorf("got %q, want %q", b.String(), want)
	}
	b.Reset()
	PrintError(&b, fmt.Errorf("x: %w", syscall.ENOSPC))
	if !strings.HasPrefix(b.String(), "auditctl: x: no space left on device") {
		t.Errorf("got %q", b.String())
	}
}
