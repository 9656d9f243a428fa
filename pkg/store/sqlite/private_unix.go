//go:build unix && !linux

package sqlite

import (
	"os"

	"golang.org/x/sys/unix"
)

// privateSidecar gives the file at p mode 0600 when it is a regular file of
// the current user, checked with Lstat (not through a symlink) and changed
// by path. It must not open p: SQLite holds POSIX (fcntl) locks on the -shm
// and -wal files, and closing any descriptor of a file drops every such
// lock this process holds on it (see private_linux.go).
func privateSidecar(p string) {
	var st unix.Stat_t
	if unix.Lstat(p, &st) != nil || st.Mode&unix.S_IFMT != unix.S_IFREG || int(st.Uid) != os.Geteuid() || st.Mode&0o777 == 0o600 {
		return
	}
	_ = unix.Chmod(p, 0o600)
}
