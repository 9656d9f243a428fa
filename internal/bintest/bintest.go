// Package bintest builds the auditctl binary for tests that run it as a
// process (in a pseudo-terminal, under tmux, or to signal it): once per
// test process, however many tests ask.
package bintest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/auditctl/auditctl/pkg/store/sqlite"
)

var build = sync.OnceValues(func() (string, error) {
	tmp := os.TempDir()
	// Binaries of earlier test runs (a test process cannot clean up after
	// its last test) go once they are a day old.
	if old, _ := filepath.Glob(filepath.Join(tmp, "auditctl-bintest-*")); len(old) > 0 {
		for _, d := range old {
			if fi, err := os.Stat(d); err == nil && time.Since(fi.ModTime()) > 24*time.Hour {
				os.RemoveAll(d)
			}
		}
	}
	dir, err := os.MkdirTemp(tmp, "auditctl-bintest-")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "auditctl")
	if runtime.GOOS == "windows" {
		bin += ".exe"
	}
	cmd := exec.Command("go", "build", "-o", bin, "github.com/auditctl/auditctl/cmd/auditctl")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	return bin, nil
})

// Auditctl returns the path of an auditctl binary built from this
// checkout. Without the go command it skips the test, except in CI
// (CI=true), where it fails.
func Auditctl(t testing.TB) string {
	t.Helper()
	if _, err := exec.LookPath("go"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("the go command is needed to build auditctl")
		}
		t.Skip("needs the go command to build auditctl")
	}
	bin, err := build()
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

// HoldWriteLock opens the cache at path (creating it) in the test's own
// process and takes its write lock with a write pending (BEGIN IMMEDIATE),
// as a long import does, so that auditctl processes started by the test
// find the cache busy; release (also run at cleanup) rolls back.
func HoldWriteLock(t testing.TB, path string) (release func()) {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := db.SQL().Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(ctx, "INSERT INTO sources(name) VALUES ('bintest-holder')"); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	release = func() {
		once.Do(func() {
			conn.ExecContext(ctx, "ROLLBACK")
			conn.Close()
			db.Close()
		})
	}
	t.Cleanup(release)
	return release
}

// Tool returns the path of an external program a test uses as an oracle
// (age, ssh-keygen…). Without it the test is skipped, except in CI
// (CI=true), where .ci/run installs it (Debian package pkg) and its absence
// fails the test.
func Tool(t testing.TB, name, pkg string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is needed (apt-get install %s; .ci/run installs it)", name, pkg)
		}
		t.Skipf("needs %s (apt-get install %s)", name, pkg)
	}
	return p
}
