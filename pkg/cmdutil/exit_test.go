package cmdutil

import (
	"errors"
	"fmt"
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
	} {
		if got := ExitCode(tt.err); got != tt.want {
			t.Errorf("ExitCode(%v) = %d, want %d", tt.err, got, tt.want)
		}
	}
}
