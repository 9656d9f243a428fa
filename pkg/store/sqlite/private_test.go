//go:build unix

package sqlite

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// checkPrivate fails for every file in dir that is readable or writable by
// anyone but its owner.
func checkPrivate(t *testing.T, dir string, want ...string) {
	t.Helper()
	seen := map[string]bool{}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		fi, err := os.Lstat(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		seen[e.Name()] = true
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v, want 0600", e.Name(), fi.Mode().Perm())
		}
	}
	for _, w := range want {
		if !seen[w] {
			t.Errorf("%s was not created (the test saw %v)", w, seen)
		}
	}
}

// TestCacheFilesPrivate: with umask 022 in a 0755 directory, the cache and
// its -wal and -shm are 0600 after a write, whether auditctl created the
// cache or found it (and its -wal and -shm) 0644, and after a read too.
func TestCacheFilesPrivate(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "cache")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "audit.db")
	write := func() {
		t.Helper()
		db, err := Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if _, err := db.SQL().ExecContext(ctx, "CREATE TABLE IF NOT EXISTS t(a); INSERT INTO t VALUES (1)"); err != nil {
			t.Fatal(err)
		}
		checkPrivate(t, dir, "audit.db", "audit.db-wal", "audit.db-shm")
	}
	write()

	// A cache made 0644 with 0644 sidecars (by another tool, an older
	// auditctl): its writer makes them private.
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		f, err := os.OpenFile(p, os.O_CREATE|os.O_WRONLY, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		f.Close()
		if err := os.Chmod(p, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write()

	// A reader too.
	os.Remove(path + "-wal")
	os.Remove(path + "-shm")
	os.Chmod(path, 0o644)
	db, err := OpenExisting(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := db.SQL().QueryRowContext(ctx, "SELECT count(*) FROM t").Scan(&n); err != nil || n != 2 {
		t.Fatalf("count = %d, %v", n, err)
	}
	checkPrivate(t, dir, "audit.db", "audit.db-wal", "audit.db-shm")
	db.Close()
}

// TestSidecarSymlinkNotChmodded: a symlink planted as the -journal beside
// the cache is not followed when the modes are made private.
func TestSidecarSymlinkNotChmodded(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "audit.db")
	victim := filepath.Join(t.TempDir(), "victim")
	if err := os.WriteFile(victim, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	os.Chmod(victim, 0o644)
	if err := os.Symlink(victim, path+"-journal"); err != nil {
		t.Fatal(err)
	}
	makePrivate(path)
	if fi, _ := os.Stat(victim); fi.Mode().Perm() != 0o644 {
		t.Errorf("victim mode changed to %v", fi.Mode().Perm())
	}
}
