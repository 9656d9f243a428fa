//go:build unix

package sqlite

import (
	"io/fs"
	"os"
	"syscall"
)

// ownedPrivate reports whether fi is this user's and nobody else may
// write it.
func ownedPrivate(fi fs.FileInfo) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	return ok && int(st.Uid) == os.Getuid() && fi.Mode().Perm()&0o022 == 0
}

// openNoFollow opens p for reading, refusing a symbolic link.
func openNoFollow(p string) (*os.File, error) {
	return os.OpenFile(p, os.O_RDONLY|syscall.O_NOFOLLOW, 0)
}
