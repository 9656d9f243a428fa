package recording

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/auditctl/auditctl/pkg/audit"
)

// VerifySHA256 returns the SHA-256 of the file at path, as FileSHA256
// does, but hashes a file only once while it stays the same file with the
// same contents: the sum is kept in a private cache (dir, or
// os.UserCacheDir()/auditctl/sha256 when dir is ""), keyed by the file's
// device, inode, size, modification time and change time. A change to the
// contents changes the change time, which no one but root can set back, so
// a cached sum is never reused for other contents. Playing a large
// recording by session id (which checks its registered hash) thereby costs
// the hash once, not on every open. Without a usable cache it hashes.
func VerifySHA256(path, dir string) (string, error) {
	// One open: the file hashed is the file whose key is kept and pinned
	// (pin.go), whatever is renamed onto the path meanwhile.
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return "", err
	}
	key, ok := fileKey(fi)
	if !ok {
		return readerSHA256(f)
	}
	entry := ""
	if d, err := hashCacheDir(dir); err == nil {
		name := sha256.Sum256([]byte(key))
		entry = filepath.Join(d, hex.EncodeToString(name[:16]))
		if b, err := readPrivate(entry); err == nil {
			if k, sum, ok := strings.Cut(strings.TrimSpace(string(b)), "\n"); ok && k == key && len(sum) == 64 {
				pins.Store(path, key)
				return sum, nil
			}
		}
	}
	sum, err := readerSHA256(f)
	if err != nil {
		return "", err
	}
	// Written to while it was hashed: the sum is of no one version.
	if fi2, err := f.Stat(); err != nil {
		return "", err
	} else if k2, _ := fileKey(fi2); k2 != key {
		return "", audit.Errorf(audit.EINVALID, "the recording %s changed while its SHA-256 was computed", path)
	}
	pins.Store(path, key)
	if entry != "" {
		writePrivate(entry, key+"\n"+sum+"\n")
	}
	return sum, nil
}

// ErrModified is in the error of CheckRegistered when a recording is not
// the one registered.
var ErrModified = errors.New("recording modified after it was registered")

// CheckRegistered checks the recording at path of session id against
// registered, the SHA-256 stored in the session's row when it was
// registered, hashing it as VerifySHA256 does (once per contents; the file
// pinned, so that every later open of path in this command reads the file
// hashed). It returns the file's sum; on a mismatch, an audit.EINVALID
// error wrapping ErrModified that names the file, the session and both
// sums. Every reader of a session's recording by its id checks it here
// (the sessions commands, check's queries rules).
func CheckRegistered(id, path, registered string) (string, error) {
	sum, err := VerifySHA256(path, "")
	if err != nil {
		return "", err
	}
	if !strings.EqualFold(sum, registered) {
		return sum, &audit.Error{Code: audit.EINVALID, Err: ErrModified,
			Message: fmt.Sprintf("the recording %s of session %s was modified after it was registered: SHA-256 %s, registered %s", path, id, sum, registered)}
	}
	return sum, nil
}

// hashCacheDir returns the cache directory, created 0700, refusing one
// that is not a directory of this user closed to others.
func hashCacheDir(dir string) (string, error) {
	if dir == "" {
		base, err := os.UserCacheDir()
		if err != nil {
			return "", err
		}
		dir = filepath.Join(base, "auditctl", "sha256")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	fi, err := os.Lstat(dir)
	if err != nil {
		return "", err
	}
	if !fi.IsDir() || fi.Mode().Perm()&0o077 != 0 || !ownedByMe(fi) {
		return "", fmt.Errorf("hash cache %s is not a private directory of this user", dir)
	}
	return dir, nil
}

func writePrivate(path, s string) {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return
	}
	_, werr := tmp.WriteString(s)
	if cerr := tmp.Close(); werr != nil || cerr != nil {
		os.Remove(tmp.Name())
		return
	}
	if os.Rename(tmp.Name(), path) != nil {
		os.Remove(tmp.Name())
	}
}
