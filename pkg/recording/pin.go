package recording

import (
	"os"
	"sync"

	"github.com/auditctl/auditctl/pkg/audit"
)

// A recording checked against the SHA-256 registered for it is pinned: for
// the rest of the command, every open of that path (the reader, the seek
// index, a seek, follow) must find the very file that was hashed (same
// device, inode, size, modification and change time), or it refuses. A
// file swapped in (a rename onto the path) or written to after the check
// is never read as the checked evidence.
var pins sync.Map // path -> fileKey

// ResetPins forgets every pin: a command's checks hold for that command
// (the root command calls it before each one).
func ResetPins() { pins.Clear() }

// OpenFile opens path for reading; when the path is pinned, the opened file
// must be the one checked.
func OpenFile(path string) (*os.File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	if want, ok := pins.Load(path); ok {
		fi, err := f.Stat()
		if err != nil {
			f.Close()
			return nil, err
		}
		if k, ok := fileKey(fi); !ok || k != want.(string) {
			f.Close()
			return nil, audit.Errorf(audit.EINVALID, "the recording %s changed after its SHA-256 was checked: not read", path)
		}
	}
	return f, nil
}
