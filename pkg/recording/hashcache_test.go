package recording

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/auditctl/auditctl/pkg/audit"
)

func TestVerifySHA256CachesOnlyTheSameContents(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the hash cache keys on Linux's change time")
	}
	dir, cache := t.TempDir(), filepath.Join(t.TempDir(), "sha")
	path := filepath.Join(dir, "s.rec")
	if err := os.WriteFile(path, []byte("first contents\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	want, _ := FileSHA256(path)
	for range 2 {
		if got, err := VerifySHA256(path, cache); err != nil || got != want {
			t.Fatalf("VerifySHA256 = %s, %v; want %s", got, err, want)
		}
	}
	entries, _ := os.ReadDir(cache)
	if len(entries) != 1 {
		t.Fatalf("%d cache entries, want 1", len(entries))
	}

	// Same size, and the modification time set back: the change time
	// still tells the contents changed.
	fi, _ := os.Stat(path)
	if err := os.WriteFile(path, []byte("other contents\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	os.Chtimes(path, fi.ModTime(), fi.ModTime())
	want2, _ := FileSHA256(path)
	if got, err := VerifySHA256(path, cache); err != nil || got != want2 || got == want {
		t.Fatalf("after a change: %s, %v; want %s", got, err, want2)
	}

	// A forged entry in a cache that is not private is not believed.
	open := filepath.Join(t.TempDir(), "open")
	os.MkdirAll(open, 0o777)
	os.Chmod(open, 0o777)
	if got, _ := VerifySHA256(path, open); got != want2 {
		t.Fatalf("open cache: %s", got)
	}
	if entries, _ := os.ReadDir(open); len(entries) != 0 {
		t.Fatalf("wrote %d entries into a directory others can write", len(entries))
	}

	// An entry whose key is another file's is not taken for this one.
	entries, _ = os.ReadDir(cache)
	for _, e := range entries {
		os.WriteFile(filepath.Join(cache, e.Name()), []byte("v1 0 0 0 0 0\n"+want+"\n"), 0o600)
	}
	if got, _ := VerifySHA256(path, cache); got != want2 {
		t.Fatalf("forged entry believed: %s", got)
	}
}

// TestCheckRegistered: the registered sum passes (either case); another
// is ErrModified (exit 3) naming the file, the session and both sums; a
// missing file is the open's error.
func TestCheckRegistered(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.rec")
	if err := os.WriteFile(path, []byte("evidence\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	sum, _ := FileSHA256(path)
	if got, err := CheckRegistered("s1", path, strings.ToUpper(sum)); err != nil || got != sum {
		t.Errorf("registered: %s, %v", got, err)
	}
	other := strings.Repeat("0", 64)
	_, err := CheckRegistered("s1", path, other)
	if !errors.Is(err, ErrModified) || audit.ExitCode(err) != 3 ||
		err.Error() != "the recording "+path+" of session s1 was modified after it was registered: SHA-256 "+sum+", registered "+other {
		t.Errorf("modified: %v", err)
	}
	if _, err := CheckRegistered("s1", path+".gone", sum); !errors.Is(err, fs.ErrNotExist) || errors.Is(err, ErrModified) {
		t.Errorf("missing: %v", err)
	}
}
