//go:build unix

package recorder

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/session"
)

// TestControlFilesNotFollowed: whatever sits at a recording's lock path and
// is not a regular file of the current user (a symlink to a victim, a hard
// link to it, a FIFO, another user's file) makes the record fail with exit
// 5 before anything is written; the victim is untouched.
func TestControlFilesNotFollowed(t *testing.T) {
	cases := map[string]func(lock, victim string) error{
		"symlink":   func(lock, victim string) error { return os.Symlink(victim, lock) },
		"hard link": func(lock, victim string) error { return os.Link(victim, lock) },
		"fifo":      func(lock, victim string) error { return syscall.Mkfifo(lock, 0o600) },
		"directory": func(lock, victim string) error { return os.Mkdir(lock, 0o700) },
	}
	if os.Geteuid() == 0 {
		cases["another user's file"] = func(lock, victim string) error {
			if err := os.WriteFile(lock, nil, 0o600); err != nil {
				return err
			}
			return os.Chown(lock, 65534, 65534)
		}
	}
	for name, plant := range cases {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			victim := filepath.Join(t.TempDir(), "victim")
			if err := os.WriteFile(victim, []byte("precious\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			id := "s1"
			lock := filepath.Join(dir, id+".rec.lock")
			if err := plant(lock, victim); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() {
				_, err := Record(context.Background(), Options{Command: []string{"true"}, Session: session.Session{ID: id}, Dir: dir})
				done <- err
			}()
			var err error
			select {
			case err = <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("Record blocked on the planted lock file")
			}
			if err == nil || audit.ExitCode(err) != 5 || !strings.Contains(err.Error(), lock) {
				t.Fatalf("Record = %v (exit %d), want exit 5 naming %s", err, audit.ExitCode(err), lock)
			}
			if b, _ := os.ReadFile(victim); string(b) != "precious\n" {
				t.Errorf("victim changed: %q", b)
			}
			if _, err := os.Lstat(filepath.Join(dir, id+".rec")); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("recording created: %v", err)
			}
			if _, err := os.Lstat(lock); err != nil {
				t.Errorf("the planted file was removed: %v", err)
			}
		})
	}
}

// TestTerminateRefusesUnrelatedProcess: a crafted active row and a lock
// file (held, by the test) that both name the PID of an unrelated process
// get exit 5 and no signal: the process survives, no terminate request is
// written, the row stays active.
func TestTerminateRefusesUnrelatedProcess(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the proof reads /proc")
	}
	sleep := exec.Command("sleep", "60")
	if err := sleep.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { sleep.Wait(); close(exited) }()
	t.Cleanup(func() { sleep.Process.Kill(); <-exited })

	// The same program, not holding the lock: the test binary itself,
	// started again and waiting.
	twin := exec.Command(os.Args[0], "-test.run=^$")
	twin.Env = append(os.Environ(), sleepEnv+"=60")
	if err := twin.Start(); err != nil {
		t.Fatal(err)
	}
	twinExited := make(chan struct{})
	go func() { twin.Wait(); close(twinExited) }()
	t.Cleanup(func() { twin.Process.Kill(); <-twinExited })

	for _, c := range []struct {
		name   string
		pid    int
		exited chan struct{}
		want   string
	}{
		{"sleep", sleep.Process.Pid, exited, "is not auditctl"},
		{"same program without the lock", twin.Process.Pid, twinExited, "does not hold the lock"},
	} {
		t.Run(c.name, func(t *testing.T) {
			store := &fileStore{path: filepath.Join(t.TempDir(), "store.json")}
			rec := filepath.Join(t.TempDir(), "crafted.rec")
			id := "crafted-" + strings.ReplaceAll(c.name, " ", "-")
			row := session.Session{ID: id, Start: time.Now().Add(-time.Minute), Status: session.StatusActive,
				RecordingPath: rec, RecorderPID: c.pid}
			if err := store.CreateSession(context.Background(), &row); err != nil {
				t.Fatal(err)
			}
			lock, err := os.OpenFile(lockPath(rec), os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
			if err != nil {
				t.Fatal(err)
			}
			defer lock.Close()
			fmt.Fprintf(lock, "%d %s\n", c.pid, id)
			if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
				t.Fatal(err)
			}
			err = Terminate(context.Background(), store, id, "mallory")
			if err == nil || audit.ExitCode(err) != 5 || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Terminate = %v (exit %d), want exit 5 saying %q", err, audit.ExitCode(err), c.want)
			}
			select {
			case <-c.exited:
				t.Fatal("the unrelated process was signalled")
			case <-time.After(300 * time.Millisecond):
			}
			if _, err := os.Lstat(terminatePath(rec)); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("terminate request written: %v", err)
			}
			if r, _ := store.FindSession(context.Background(), id); r.Status != session.StatusActive {
				t.Errorf("row status = %s", r.Status)
			}
		})
	}
}

// TestMarkStaleKeepsRowPaths: marking a session stale deletes nothing at
// the paths its row names.
func TestMarkStaleKeepsRowPaths(t *testing.T) {
	store := &fileStore{path: filepath.Join(t.TempDir(), "store.json")}
	dir := t.TempDir()
	rec := filepath.Join(dir, "victim.rec")
	for _, p := range []string{rec, lockPath(rec), terminatePath(rec)} {
		if err := os.WriteFile(p, []byte("keep"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	row := session.Session{ID: "dead", Start: time.Now().Add(-time.Minute), Status: session.StatusActive, RecordingPath: rec, RecorderPID: 999999}
	store.CreateSession(context.Background(), &row)
	if n, err := MarkStale(context.Background(), store); err != nil || n != 1 {
		t.Fatalf("MarkStale = %d, %v", n, err)
	}
	for _, p := range []string{rec, lockPath(rec), terminatePath(rec)} {
		if b, err := os.ReadFile(p); err != nil || string(b) != "keep" {
			t.Errorf("%s: %q, %v", p, b, err)
		}
	}
}

// TestPlantedLockAtRowPath: a symlink planted at the lock path of an active
// session's recording is never followed: terminate refuses (exit 5), the
// stale sweep marks the session stale without an error (no recorder makes
// a symlink) and the victim is untouched.
func TestPlantedLockAtRowPath(t *testing.T) {
	store := &fileStore{path: filepath.Join(t.TempDir(), "store.json")}
	dir := t.TempDir()
	victim := filepath.Join(t.TempDir(), "victim")
	if err := os.WriteFile(victim, []byte("precious\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	rec := filepath.Join(dir, "s.rec")
	if err := os.Symlink(victim, lockPath(rec)); err != nil {
		t.Fatal(err)
	}
	row := session.Session{ID: "s", Start: time.Now().Add(-time.Minute), Status: session.StatusActive, RecordingPath: rec, RecorderPID: os.Getpid()}
	store.CreateSession(context.Background(), &row)
	if err := Terminate(context.Background(), store, "s", "bob"); err == nil || audit.ExitCode(err) != 5 || !strings.Contains(err.Error(), "symbolic link") {
		t.Fatalf("Terminate = %v", err)
	}
	if n, err := MarkStale(context.Background(), store); err != nil || n != 1 {
		t.Fatalf("MarkStale = %d, %v", n, err)
	}
	if b, _ := os.ReadFile(victim); string(b) != "precious\n" {
		t.Errorf("victim changed: %q", b)
	}
	if fi, err := os.Lstat(lockPath(rec)); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the planted symlink: %v, %v", fi, err)
	}
}
