//go:build !unix

package chain

import (
	"errors"
	"fmt"
	"os"

	"github.com/auditctl/auditctl/pkg/audit"
)

func openNoFollow(path string) (*os.File, error) {
	if fi, err := os.Lstat(path); err == nil && fi.Mode()&os.ModeSymlink != 0 {
		return nil, audit.Errorf(audit.ELOCAL, "signing key %s: a symbolic link, refused", path)
	}
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, &audit.Error{Code: audit.ELOCAL, Message: fmt.Sprintf("no signing key at %s", path), Err: os.ErrNotExist}
		}
		return nil, audit.Errorf(audit.ELOCAL, "signing key: %v", err)
	}
	return f, nil
}

func checkPrivate(os.FileInfo) error { return nil }
