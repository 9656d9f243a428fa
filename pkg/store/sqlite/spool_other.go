//go:build !unix

package sqlite

import (
	"io/fs"
	"os"
)

// ownedPrivate: file ownership is not checked where there are no Unix
// owners (the spool lives in the user's own data directory).
func ownedPrivate(fs.FileInfo) bool { return true }

// openNoFollow opens p for reading.
func openNoFollow(p string) (*os.File, error) { return os.Open(p) }
