package recording

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
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
