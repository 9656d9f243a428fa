package sqlite

import (
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// privateSidecar gives the file at p mode 0600 when it is a regular file of
// the current user, never through a symlink.
//
// It must not open p for reading or writing: SQLite holds POSIX (fcntl)
// locks on the -shm and -wal files, and closing any descriptor of a file
// drops every such lock this process holds on it. A connection of this
// process that lost its -shm locks lets other processes recover the WAL
// index under it (seen as "locking protocol (15)" in the others, and a risk
// of corruption). So the file is opened with O_PATH, whose close leaves
// locks alone, and changed through /proc/self/fd.
func privateSidecar(p string) {
	fd, err := unix.Open(p, unix.O_PATH|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if unix.Fstat(fd, &st) != nil || st.Mode&unix.S_IFMT != unix.S_IFREG || int(st.Uid) != os.Geteuid() || st.Mode&0o777 == 0o600 {
		return
	}
	_ = unix.Chmod("/proc/self/fd/"+strconv.Itoa(fd), 0o600)
}
