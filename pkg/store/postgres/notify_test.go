package postgres

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/store"
)

// TestListen: an import that stores events wakes a listener at its
// commit; one that stores nothing (all duplicates, or a bad record) does
// not; Wait returns at the fallback, and with ctx's error when ctx ends.
func TestListen(t *testing.T) {
	newURL := server(t)
	ctx := context.Background()
	db, err := Open(ctx, newURL("listen"), true)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	l, err := db.Listen(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	woken := func(within time.Duration) bool {
		start := time.Now()
		if err := l.Wait(ctx, within); err != nil {
			t.Fatal(err)
		}
		return time.Since(start) < within
	}
	if woken(200 * time.Millisecond) {
		t.Fatal("woken before any import")
	}
	if _, err := db.Import(ctx, reader(sample()...), store.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	if !woken(30 * time.Second) {
		t.Fatal("an import of 30 new events did not wake the listener")
	}
	if woken(300 * time.Millisecond) {
		t.Fatal("one import woke the listener twice")
	}
	if _, err := db.Import(ctx, reader(sample()...), store.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Import(ctx, reader(ev(50, "Login", "x", audit.StatusSuccess), nil), store.ImportOptions{}); err == nil {
		t.Fatal("a bad record was accepted")
	}
	if woken(500 * time.Millisecond) {
		t.Fatal("an import that stored nothing woke the listener")
	}
	// Two imports before a wait: one wake-up (the waiter reads both).
	for i := 60; i < 62; i++ {
		if _, err := db.Import(ctx, reader(ev(i, "Login", "x", audit.StatusSuccess)), store.ImportOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(200 * time.Millisecond)
	if !woken(30 * time.Second) {
		t.Fatal("two imports did not wake the listener")
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := l.Wait(cctx, time.Minute); !errors.Is(err, context.Canceled) {
		t.Fatalf("Wait after its context ended: %v", err)
	}
}
