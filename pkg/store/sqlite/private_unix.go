//go:build unix

package sqlite

import (
	"os"
	"syscall"
)

// privateSidecar gives the file at p mode 0600 when it is a regular file of
// the current user; it is opened without following a symlink and changed
// through its descriptor, so nothing put at p meanwhile is touched.
func privateSidecar(p string) {
	fd, err := syscall.Open(p, syscall.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
	if err != nil {
		return
	}
	defer syscall.Close(fd)
	var st syscall.Stat_t
	if syscall.Fstat(fd, &st) != nil || st.Mode&syscall.S_IFMT != syscall.S_IFREG || int(st.Uid) != os.Geteuid() || st.Mode&0o777 == 0o600 {
		return
	}
	_ = syscall.Fchmod(fd, 0o600)
}
