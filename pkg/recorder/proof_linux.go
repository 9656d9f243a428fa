package recorder

import (
	"bufio"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/auditctl/auditctl/pkg/audit"
)

// signalRecorder sends sig to pid only once it has proved that pid is the
// recorder holding lock (the open lock file): a pidfd pins the process
// first (a PID reused after that point cannot be signalled), then
// /proc/PID shows it runs as the current user, its executable is this
// program (the same file, or the same command name after an upgrade),
// and one of its open files is lock with its flock held. Any doubt is a
// refusal (exit 5) saying why. before, when not nil, runs between the
// proof and the signal.
func signalRecorder(pid int, lock *os.File, sig syscall.Signal, before func() error) error {
	if pid <= 0 {
		return audit.Errorf(audit.ELOCAL, "no recorder pid: refusing to signal")
	}
	pidfd, err := unix.PidfdOpen(pid, 0)
	usePidfd := err == nil
	switch {
	case usePidfd:
		defer unix.Close(pidfd)
	case errors.Is(err, unix.ESRCH):
		return audit.Errorf(audit.ELOCAL, "recorder pid %d is not running", pid)
	case errors.Is(err, unix.ENOSYS), errors.Is(err, unix.EPERM):
		// Before Linux 5.3, or under a seccomp filter: the checks below
		// still hold, the window for a reused PID is theirs.
	default:
		return audit.Errorf(audit.ELOCAL, "recorder pid %d: pidfd: %w", pid, err)
	}
	if err := proveRecorder(pid, lock); err != nil {
		return err
	}
	if before != nil {
		if err := before(); err != nil {
			return err
		}
	}
	if usePidfd {
		err = unix.PidfdSendSignal(pidfd, sig, nil, 0)
	} else {
		err = syscall.Kill(pid, sig)
	}
	if err != nil {
		return audit.Errorf(audit.ELOCAL, "signal recorder pid %d: %w", pid, err)
	}
	return nil
}

// proveRecorder is the /proc part of signalRecorder.
func proveRecorder(pid int, lock *os.File) error {
	proc := "/proc/" + strconv.Itoa(pid)
	refuse := func(format string, args ...any) error {
		return audit.Errorf(audit.ELOCAL, "pid %d is not the recorder of this session: "+format+": refusing to signal it",
			append([]any{pid}, args...)...)
	}
	var st syscall.Stat_t
	if err := syscall.Stat(proc, &st); err != nil {
		return refuse("%v", err)
	}
	if int(st.Uid) != os.Geteuid() {
		return refuse("it runs as uid %d, not as the current user (uid %d)", st.Uid, os.Geteuid())
	}
	if !sameProgram(proc) {
		comm, _ := os.ReadFile(proc + "/comm")
		return refuse("its program (%q) is not auditctl", strings.TrimSpace(string(comm)))
	}
	lockInfo, err := lock.Stat()
	if err != nil {
		return refuse("%v", err)
	}
	fds, err := os.ReadDir(proc + "/fd")
	if err != nil {
		return refuse("its open files cannot be read: %v", err)
	}
	for _, fd := range fds {
		fi, err := os.Stat(filepath.Join(proc, "fd", fd.Name()))
		if err != nil || !os.SameFile(fi, lockInfo) {
			continue
		}
		if holdsFlock(filepath.Join(proc, "fdinfo", fd.Name())) {
			return nil
		}
	}
	return refuse("it does not hold the lock %s", lock.Name())
}

// sameProgram reports whether the process at proc runs this program: the
// same executable file, or (after an upgrade replaced it) the same command
// name.
func sameProgram(proc string) bool {
	self, err := os.Executable()
	if err != nil {
		return false
	}
	a, err1 := os.Stat(self)
	b, err2 := os.Stat(proc + "/exe")
	if err1 == nil && err2 == nil && os.SameFile(a, b) {
		return true
	}
	mine, err1 := os.ReadFile("/proc/self/comm")
	theirs, err2 := os.ReadFile(proc + "/comm")
	return err1 == nil && err2 == nil && len(mine) > 1 && string(mine) == string(theirs)
}

// holdsFlock reports whether the fdinfo file of an open file shows an
// exclusive flock on it.
func holdsFlock(fdinfo string) bool {
	f, err := os.Open(fdinfo)
	if err != nil {
		return false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// lock:	1: FLOCK  ADVISORY  WRITE 1234 00:2a:5678 0 EOF
		fields := strings.Fields(sc.Text())
		if len(fields) >= 5 && fields[0] == "lock:" && fields[2] == "FLOCK" && fields[4] == "WRITE" {
			return true
		}
	}
	return false
}
