package sessions_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/auditctl/auditctl/internal/bintest"
	"github.com/auditctl/auditctl/pkg/session"
	"github.com/auditctl/auditctl/pkg/store/sqlite"
)

// lockedBuffer is a bytes.Buffer a child process writes while the test
// reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

type sessionRow struct {
	ID, Status      string
	RecordingSHA256 string `json:"recording_sha256"`
}

func listSessions(t *testing.T, bin, db string) []sessionRow {
	t.Helper()
	out, err := exec.Command(bin, "--db", db, "sessions", "list", "-o", "json").Output()
	if err != nil {
		t.Fatalf("sessions list: %v", err)
	}
	var rows []sessionRow
	if err := json.Unmarshal(out, &rows); err != nil {
		t.Fatalf("sessions list: %v\n%s", err, out)
	}
	return rows
}

func spoolEntries(t *testing.T, db string) []string {
	t.Helper()
	m, _ := filepath.Glob(filepath.Join(sqlite.SpoolDir(db), "*.json"))
	return m
}

// TestRecordWhileCacheLocked: another process holds the cache's write lock
// for the whole session (as a long import does). The recorded command
// starts at once and its exit status is auditctl's; the recording is
// complete; the session row is left in the spool (said once on stderr) and
// registered by the next `sessions list` once the lock is free.
func TestRecordWhileCacheLocked(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("pseudo-terminal recorder test runs on linux")
	}
	t.Parallel()
	bin := buildBinary(t)
	dir := t.TempDir()
	db := filepath.Join(dir, "audit.db")
	release := bintest.HoldWriteLock(t, db)

	start := time.Now()
	rec := exec.Command(bin, "--db", db, "sessions", "record", "--dir", filepath.Join(dir, "rec"), "--",
		"sh", "-c", "echo hi; exit 3")
	rec.Stdin = strings.NewReader("")
	var stdout, stderr bytes.Buffer
	rec.Stdout, rec.Stderr = &stdout, &stderr
	err := rec.Run()
	took := time.Since(start)
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 3 {
		t.Fatalf("record: %v, want the command's exit status 3\nstderr: %s", err, stderr.String())
	}
	if !strings.Contains(stdout.String(), "hi") {
		t.Errorf("the command's output is missing: %q", stdout.String())
	}
	// The command ran at once; the recorder waited its bounded 2 s at the
	// end, not SQLite's 15 s busy timeout.
	if took > 8*time.Second {
		t.Errorf("record took %v with the cache locked", took)
	}
	if n := strings.Count(stderr.String(), "will be registered by the next auditctl command"); n != 1 {
		t.Errorf("want the deferral said once on stderr, got %d times:\n%s", n, stderr.String())
	}
	recs, _ := filepath.Glob(filepath.Join(dir, "rec", "*.rec"))
	if len(recs) != 1 {
		t.Fatalf("recordings: %v", recs)
	}
	if b, _ := os.ReadFile(recs[0]); !bytes.Contains(b, []byte(`"x"`)) || !bytes.Contains(b, []byte("hi")) {
		t.Errorf("the recording is not complete:\n%s", b)
	}
	if len(spoolEntries(t, db)) == 0 {
		t.Fatal("no spool entry left for the next writer")
	}
	fi, err := os.Stat(sqlite.SpoolDir(db))
	if err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("spool directory: %v, mode %v, want 0700", err, fi.Mode().Perm())
	}

	release()
	rows := listSessions(t, bin, db)
	if len(rows) != 1 || rows[0].Status != "completed" || rows[0].RecordingSHA256 == "" {
		t.Fatalf("after the lock is free, sessions list shows %+v, want the one completed session", rows)
	}
	if left := spoolEntries(t, db); len(left) != 0 {
		t.Errorf("spool entries left after they were registered: %v", left)
	}
	// The registered row's hash is the recording's.
	if out, err := exec.Command(bin, "--db", db, "sessions", "play", rows[0].ID, "--no-tui").CombinedOutput(); err != nil {
		t.Errorf("sessions play: %v\n%s", err, out)
	}
}

// TestRecordCacheFreedMidSession: the lock is released while the command
// still runs: the recorder's background retry registers the session
// itself (nothing is left in the spool), and it says once that it waited.
func TestRecordCacheFreedMidSession(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("pseudo-terminal recorder test runs on linux")
	}
	t.Parallel()
	bin := buildBinary(t)
	dir := t.TempDir()
	db := filepath.Join(dir, "audit.db")
	release := bintest.HoldWriteLock(t, db)
	rec := exec.Command(bin, "--db", db, "sessions", "record", "--dir", filepath.Join(dir, "rec"), "--",
		"sh", "-c", "echo started; sleep 4")
	rec.Stdin = strings.NewReader("")
	var stdout, stderr lockedBuffer
	rec.Stdout, rec.Stderr = &stdout, &stderr
	if err := rec.Start(); err != nil {
		t.Fatal(err)
	}
	// The command starts while the lock is held.
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(stdout.String(), "started"); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the command did not start with the cache locked; stderr: %s", stderr.String())
		}
	}
	time.Sleep(500 * time.Millisecond)
	release()
	// Registered as active while the command runs.
	active := false
	for deadline := time.Now().Add(3 * time.Second); !active && time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		for _, r := range listSessions(t, bin, db) {
			active = active || r.Status == "active"
		}
	}
	if !active {
		t.Error("the session was not registered as active once the cache was free")
	}
	if err := rec.Wait(); err != nil {
		t.Fatalf("record: %v\nstderr: %s", err, stderr.String())
	}
	if n := strings.Count(stderr.String(), "was registered once it was free"); n != 1 {
		t.Errorf("want the wait said once, got %d:\n%s", n, stderr.String())
	}
	rows := listSessions(t, bin, db)
	if len(rows) != 1 || rows[0].Status != "completed" {
		t.Fatalf("sessions: %+v", rows)
	}
	if left := spoolEntries(t, db); len(left) != 0 {
		t.Errorf("spool entries left: %v", left)
	}
}

// TestRecordCacheUnusable: the cache cannot be opened at all (not a SQLite
// file). The command runs and exits with its own status, the recording is
// complete, the row waits in the spool (said on stderr with the reason),
// and the first writer of a usable cache at that path registers it.
func TestRecordCacheUnusable(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("pseudo-terminal recorder test runs on linux")
	}
	t.Parallel()
	bin := buildBinary(t)
	dir := t.TempDir()
	db := filepath.Join(dir, "audit.db")
	if err := os.WriteFile(db, []byte("this is not a database, it is a text file of some length\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	rec := exec.Command(bin, "--db", db, "sessions", "record", "--dir", filepath.Join(dir, "rec"), "--", "sh", "-c", "echo hi; exit 2")
	rec.Stdin = strings.NewReader("")
	var stderr bytes.Buffer
	rec.Stderr = &stderr
	err := rec.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 2 {
		t.Fatalf("record: %v, want the command's exit status 2\nstderr: %s", err, stderr.String())
	}
	if !strings.Contains(stderr.String(), "could not be opened") || !strings.Contains(stderr.String(), "will be registered by the next auditctl command") {
		t.Errorf("stderr does not say why and what happens:\n%s", stderr.String())
	}
	if len(spoolEntries(t, db)) == 0 {
		t.Fatal("no spool entry")
	}
	// The user moves the damaged file away; the next writer registers it.
	if err := os.Rename(db, db+".bad"); err != nil {
		t.Fatal(err)
	}
	events := filepath.Join(dir, "e.ndjson")
	os.WriteFile(events, []byte(`{"id":"e1","time":"2026-11-02T00:00:00Z","source":"test","action":"Login"}`+"\n"), 0o600)
	if out, err := exec.Command(bin, "--db", db, "import", events).CombinedOutput(); err != nil {
		t.Fatalf("import: %v\n%s", err, out)
	}
	if left := spoolEntries(t, db); len(left) != 0 {
		t.Errorf("the import left the spool entries: %v", left)
	}
	if rows := listSessions(t, bin, db); len(rows) != 1 || rows[0].Status != "completed" || rows[0].RecordingSHA256 == "" {
		t.Errorf("the spooled session was not registered by the next writer: %+v", rows)
	}
}

// TestRecordDuringImport: a real import of a large file runs in another
// process; a recording started during it runs its command at once, exits
// with the command's status, and its session is registered by the end.
func TestRecordDuringImport(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("pseudo-terminal recorder test runs on linux")
	}
	t.Parallel()
	bin := buildBinary(t)
	dir := t.TempDir()
	db := filepath.Join(dir, "audit.db")
	var b bytes.Buffer
	for i := 0; i < 80000; i++ {
		fmt.Fprintf(&b, `{"id":"big-%06d","time":"2026-11-%02dT%02d:%02d:00Z","source":"test","action":"Login","actor":"u%d@example.com","description":"login %d"}`+"\n",
			i, 1+i%28, i%24, i%60, i%97, i)
	}
	big := filepath.Join(dir, "big.ndjson")
	if err := os.WriteFile(big, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	imp := exec.Command(bin, "--db", db, "--quiet", "import", big)
	if err := imp.Start(); err != nil {
		t.Fatal(err)
	}
	// Wait until the import holds the write lock.
	if !waitLocked(t, db, 20*time.Second) {
		t.Fatal("the import did not take the write lock")
	}
	start := time.Now()
	rec := exec.Command(bin, "--db", db, "sessions", "record", "--dir", filepath.Join(dir, "rec"), "--", "sh", "-c", "echo hi; exit 5")
	rec.Stdin = strings.NewReader("")
	var stderr bytes.Buffer
	rec.Stderr = &stderr
	err := rec.Run()
	took := time.Since(start)
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 5 {
		t.Fatalf("record: %v, want the command's exit status 5\nstderr: %s", err, stderr.String())
	}
	if took > 8*time.Second {
		t.Errorf("record took %v during the import", took)
	}
	if !strings.Contains(stderr.String(), "the cache is busy") && !strings.Contains(stderr.String(), "the cache was busy") {
		t.Errorf("the recorder did not meet the import's lock (the test proves nothing):\n%s", stderr.String())
	}
	if err := imp.Wait(); err != nil {
		t.Fatalf("import: %v", err)
	}
	rows := listSessions(t, bin, db)
	if len(rows) != 1 || rows[0].Status != "completed" {
		t.Fatalf("sessions after the import: %+v\nrecorder stderr: %s", rows, stderr.String())
	}
	t.Logf("record took %v; stderr: %s", took, stderr.String())
}

// waitLocked waits until another process holds the write lock of the
// cache at path (a write transaction cannot start at once).
func waitLocked(t *testing.T, path string, limit time.Duration) bool {
	t.Helper()
	ctx := context.Background()
	for deadline := time.Now().Add(limit); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if _, err := os.Stat(path); err != nil {
			continue
		}
		db, err := sql.Open("sqlite", "file:"+path+"?mode=rw&_pragma=busy_timeout(0)")
		if err != nil {
			t.Fatal(err)
		}
		c, err := db.Conn(ctx)
		if err == nil {
			_, err = c.ExecContext(ctx, "BEGIN IMMEDIATE")
			if err == nil {
				c.ExecContext(ctx, "ROLLBACK")
			}
			c.Close()
		}
		db.Close()
		if err != nil && strings.Contains(err.Error(), "SQLITE_BUSY") {
			return true
		}
	}
	return false
}

// TestReadersDoNotWaitForWriter: `sessions list` and `sessions show` sweep
// sessions whose recorder died (a write) before they read; while another
// process holds the write lock they do not wait for it: the sweep's rows go
// to the spool, and the next writer stores them.
func TestReadersDoNotWaitForWriter(t *testing.T) {
	t.Parallel()
	bin := buildBinary(t)
	dir := t.TempDir()
	db := filepath.Join(dir, "audit.db")
	ctx := context.Background()
	store, err := sqlite.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	dead := &session.Session{ID: "dead-recorder", UserName: "alice", Start: time.Now().Add(-time.Hour).UTC(),
		Status: session.StatusActive, HasRecording: true, RecordingPath: filepath.Join(dir, "gone.rec"), RecorderPID: 1}
	if err := store.CreateSession(ctx, dead); err != nil {
		t.Fatal(err)
	}
	store.Close()
	release := bintest.HoldWriteLock(t, db)
	for _, args := range [][]string{{"sessions", "list", "-o", "json"}, {"sessions", "show", "dead-recorder", "-o", "json"}} {
		start := time.Now()
		cctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		out, err := exec.CommandContext(cctx, bin, append([]string{"--db", db}, args...)...).CombinedOutput()
		cancel()
		if err != nil {
			t.Fatalf("%v: %v\n%s", args, err, out)
		}
		if took := time.Since(start); took > 6*time.Second {
			t.Errorf("%v took %v with the cache locked", args, took)
		}
	}
	release()
	rows := listSessions(t, bin, db)
	if len(rows) != 1 || rows[0].Status != "stale" {
		t.Errorf("after the lock is free: %+v, want the session stale", rows)
	}
}
