//go:build unix && !linux

package recorder

import (
	"os"
	"syscall"

	"github.com/auditctl/auditctl/pkg/audit"
)

// signalRecorder sends sig to pid. Without /proc and pidfds, the proof is
// what Terminate checked before calling it (the lock is held and names pid
// and the session, as the row does) and that the process accepts a signal
// from the current user; see docs/security.md.
func signalRecorder(pid int, lock *os.File, sig syscall.Signal, before func() error) error {
	if pid <= 0 {
		return audit.Errorf(audit.ELOCAL, "no recorder pid: refusing to signal")
	}
	if err := syscall.Kill(pid, 0); err != nil {
		return audit.Errorf(audit.ELOCAL, "recorder pid %d: %w: refusing to signal", pid, err)
	}
	if before != nil {
		if err := before(); err != nil {
			return err
		}
	}
	if err := syscall.Kill(pid, sig); err != nil {
		return audit.Errorf(audit.ELOCAL, "signal recorder pid %d: %w", pid, err)
	}
	return nil
}
