package recording

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/auditctl/auditctl/pkg/audit"
)

const pinCast = `{"version": 2, "width": 80, "height": 24}
[0.5, "o", "checked evidence\r\n"]
`

// A recording checked against its hash is pinned: a file renamed onto its
// path, or the file written to, after the check is refused by every
// opener (reader, seek, follow, copy), until the next command.
func TestPinnedRecordingRefusesAnotherFile(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("pins key on Linux's inode and change time")
	}
	t.Cleanup(ResetPins)
	dir, cache := t.TempDir(), filepath.Join(t.TempDir(), "sha")
	path := filepath.Join(dir, "s.cast")
	if err := os.WriteFile(path, []byte(pinCast), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := VerifySHA256(path, cache); err != nil {
		t.Fatal(err)
	}
	r, err := Open(path, Options{})
	if err != nil {
		t.Fatalf("the checked file: %v", err)
	}
	r.Close()

	// swapped: another file renamed onto the path
	other := filepath.Join(dir, "other.cast")
	os.WriteFile(other, []byte(pinCast), 0o600)
	if err := os.Rename(other, path); err != nil {
		t.Fatal(err)
	}
	refused := func(what string) {
		t.Helper()
		if _, err := Open(path, Options{}); audit.ExitCode(err) != 3 {
			t.Errorf("%s: Open: %v", what, err)
		}
		if _, err := OpenFile(path); audit.ExitCode(err) != 3 {
			t.Errorf("%s: OpenFile: %v", what, err)
		}
	}
	refused("swapped")

	// checked again (the cached sum of the same contents does not matter:
	// it is another file), then written to in place
	if _, err := VerifySHA256(path, cache); err != nil {
		t.Fatal(err)
	}
	if f, err := OpenFile(path); err != nil {
		t.Fatalf("checked again: %v", err)
	} else {
		f.Close()
	}
	f, _ := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	f.WriteString(`[1.0, "o", "planted\r\n"]` + "\n")
	f.Close()
	refused("appended")

	ResetPins()
	if f, err := OpenFile(path); err != nil {
		t.Fatalf("after ResetPins: %v", err)
	} else {
		f.Close()
	}
}
