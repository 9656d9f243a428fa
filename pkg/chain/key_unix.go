//go:build unix

package chain

import (
	"errors"
	"fmt"
	"os"
	"syscall"

	"github.com/auditctl/auditctl/pkg/audit"
)

func openNoFollow(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, &audit.Error{Code: audit.ELOCAL, Message: fmt.Sprintf("no signing key at %s", path), Err: os.ErrNotExist}
		}
		if errors.Is(err, syscall.ELOOP) {
			return nil, audit.Errorf(audit.ELOCAL, "signing key %s: a symbolic link, refused", path)
		}
		return nil, audit.Errorf(audit.ELOCAL, "signing key: %v", err)
	}
	return f, nil
}

func checkPrivate(fi os.FileInfo) error {
	if fi.Mode().Perm()&0o077 != 0 {
		return fmt.Errorf("mode %04o lets others read or write it", fi.Mode().Perm())
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && int(st.Uid) != os.Getuid() {
		return fmt.Errorf("owned by uid %d, not you", st.Uid)
	}
	return nil
}
