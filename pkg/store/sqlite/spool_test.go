package sqlite

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/auditctl/auditctl/pkg/session"
)

// TestSessionQueueSpool: a queue's rows reach the cache; rows left in the
// spool while another connection held the write lock are published by the
// next write, in order, and a finished row is never brought back to active.
func TestSessionQueueSpool(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "audit.db")
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s := &session.Session{ID: "q1", UserName: "alice", Start: time.Now().UTC(), Status: session.StatusActive}

	// Free cache: the row is there at once, nothing is left in the spool.
	q := db.NewSessionQueue()
	q.CreateSession(ctx, s)
	if st := q.Close(5 * time.Second); st.Spooled || st.Err != nil || st.Deferred {
		t.Fatalf("free cache: %+v", st)
	}
	if got, err := db.FindSession(ctx, "q1"); err != nil || got.Status != session.StatusActive {
		t.Fatalf("q1: %+v %v", got, err)
	}

	// Locked cache: Close gives up after its wait and leaves the rows.
	other, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	conn, err := other.SQL().Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	q = db.NewSessionQueue()
	s2 := *s
	s2.ID = "q2"
	q.CreateSession(ctx, &s2)
	s2.Status, s2.End = session.StatusCompleted, s2.Start.Add(time.Minute)
	q.UpdateSession(ctx, &s2)
	done := *s
	done.Status, done.End = session.StatusCompleted, s.Start.Add(time.Minute)
	q.UpdateSession(ctx, &done)
	// A stale "active" state of q1 spooled later must not undo its end.
	q.UpdateSession(ctx, s)
	st := q.Close(300 * time.Millisecond)
	if !st.Spooled || !st.Deferred {
		t.Fatalf("locked cache: %+v", st)
	}
	if fi, err := os.Stat(SpoolDir(path)); err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("spool dir: %v %v", fi, err)
	}
	// An entry that is a symbolic link is not followed.
	target := filepath.Join(t.TempDir(), "elsewhere.json")
	os.WriteFile(target, []byte(`{"id":"evil","start":"2026-01-01T00:00:00Z","status":"active"}`), 0o600)
	if err := os.Symlink(target, filepath.Join(SpoolDir(path), "00000000000000000000-link.json")); err != nil {
		t.Fatal(err)
	}
	if _, err := db.FindSession(ctx, "q2"); err == nil {
		t.Fatal("q2 registered while the cache was locked")
	}
	conn.ExecContext(ctx, "ROLLBACK")
	conn.Close()

	// The next writer publishes them.
	if err := db.ExtendSyncState(ctx, SyncState{Source: "x", Service: "all", From: time.Unix(0, 0), Until: time.Unix(1, 0)}); err != nil {
		t.Fatal(err)
	}
	for id, want := range map[string]session.Status{"q1": session.StatusCompleted, "q2": session.StatusCompleted} {
		if got, err := db.FindSession(ctx, id); err != nil || got.Status != want {
			t.Errorf("%s after the next write: %+v %v, want %s", id, got, err, want)
		}
	}
	if _, err := db.FindSession(ctx, "evil"); err == nil {
		t.Error("a symbolic link in the spool was followed")
	}
	left, _ := filepath.Glob(filepath.Join(SpoolDir(path), "*.json"))
	if len(left) != 1 { // the link
		t.Errorf("spool after the write: %v", left)
	}
}
