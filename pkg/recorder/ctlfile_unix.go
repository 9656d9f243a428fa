//go:build unix

package recorder

import (
	"errors"
	"os"
	"syscall"

	"github.com/auditctl/auditctl/pkg/audit"
)

// Control files (the recorder's lock, the terminate request) live beside a
// recording, in a directory that another local user may be able to write.
// They are only ever created with O_EXCL|O_NOFOLLOW, and an existing one is
// opened with O_NOFOLLOW|O_NONBLOCK and used only when it is a regular file
// owned by the current user with a single link: a symlink, a FIFO, a device
// or someone else's file at that path is refused (exit 5), never followed,
// truncated or written.

// createControl creates the control file path, or opens the existing one
// when it passes checkControl.
func createControl(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL|syscall.O_NOFOLLOW, 0o600)
	if err == nil {
		return f, nil
	}
	if !errors.Is(err, os.ErrExist) {
		return nil, controlError(path, err)
	}
	return openControl(path, os.O_RDWR)
}

// openControl opens an existing control file (flag is os.O_RDONLY or
// os.O_RDWR) after checking it is one of ours.
func openControl(path string, flag int) (*os.File, error) {
	f, err := os.OpenFile(path, flag|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, controlError(path, err)
	}
	if err := checkControl(f); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// openProbe opens an existing lock file to look at it (read it, test its
// lock): never through a symlink, never anything but a regular file; it
// may be another user's (their recorder's lock, in a shared directory).
func openProbe(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, controlError(path, err)
	}
	var st syscall.Stat_t
	if err := syscall.Fstat(int(f.Fd()), &st); err != nil {
		f.Close()
		return nil, controlError(path, err)
	}
	if st.Mode&syscall.S_IFMT != syscall.S_IFREG {
		f.Close()
		return nil, notRegular(path)
	}
	return f, nil
}

// errForeign is in the error of a control path that holds something no
// recorder makes (a symlink, a FIFO, a directory).
var errForeign = errors.New("not a recorder's control file")

func notRegular(path string) error {
	return audit.Errorf(audit.ELOCAL, "control file %s is not a regular file: refusing to use it%w", path, silent{errForeign})
}

// silent wraps an error without adding to the message.
type silent struct{ err error }

func (s silent) Error() string { return "" }
func (s silent) Unwrap() error { return s.err }

// checkControl refuses an open control file that is not a regular file
// owned by the current user with one link.
func checkControl(f *os.File) error {
	var st syscall.Stat_t
	if err := syscall.Fstat(int(f.Fd()), &st); err != nil {
		return controlError(f.Name(), err)
	}
	switch {
	case st.Mode&syscall.S_IFMT != syscall.S_IFREG:
		return notRegular(f.Name())
	case int(st.Uid) != os.Geteuid():
		return audit.Errorf(audit.ELOCAL, "control file %s is owned by uid %d, not by the current user (uid %d): refusing to use it",
			f.Name(), st.Uid, os.Geteuid())
	case st.Nlink != 1:
		return audit.Errorf(audit.ELOCAL, "control file %s has %d hard links: refusing to use it", f.Name(), st.Nlink)
	}
	return nil
}

func controlError(path string, err error) error {
	if errors.Is(err, syscall.ELOOP) || errors.Is(err, syscall.EMLINK) {
		return audit.Errorf(audit.ELOCAL, "control file %s is a symbolic link: refusing to follow it%w", path, silent{errForeign})
	}
	return audit.Errorf(audit.ELOCAL, "control file %s: %w", path, err)
}

// removeControl removes the control file f was opened as, when the name
// still is that file (another one put in its place is left alone).
func removeControl(f *os.File) {
	fi, err1 := f.Stat()
	cur, err2 := os.Lstat(f.Name())
	if err1 == nil && err2 == nil && os.SameFile(fi, cur) {
		os.Remove(f.Name())
	}
}
