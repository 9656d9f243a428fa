package tui

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/store/sqlite"
)

// tailEvents are n events from start, a second apart, named prefix-i.
func tailEvents(prefix string, start time.Time, n int) []*audit.Event {
	var evs []*audit.Event
	for i := 0; i < n; i++ {
		evs = append(evs, &audit.Event{ID: fmt.Sprintf("%s-%03d", prefix, i), Source: "test", Time: start.Add(time.Duration(i) * time.Second),
			Service: "directory", Action: "UpdateUser", Actor: prefix + "@example.com", IP: "10.0.0.1", Status: audit.StatusSuccess})
	}
	return evs
}

// importAs imports evs through a second handle on the cache at path, as
// another process would.
func importAs(t *testing.T, path string, evs []*audit.Event) {
	t.Helper()
	db, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Import(context.Background(), &sliceReader{evs: evs}, sqlite.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
}

// The live tail (t): events another writer imports appear at the top,
// the selected event stays selected; scrolled away from the top, the
// screen does not move at all and the header counts what arrived above.
// The source of wake-ups is Options.Wake (here a channel; polling by
// default); t stops it.
func TestLiveTail(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tail.db")
	importAs(t, path, tailEvents("old", now.Add(-2*time.Hour), 60))
	db := openDB(t, path)
	wake := make(chan struct{})
	h := newLogsHarness(t, db, Options{Wake: func(ctx context.Context) error {
		select {
		case <-wake:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}}, 100, 20)
	v := &h.m.logs
	h.key("down")
	h.key("down")
	h.key("down")
	selID := v.selected().ID
	h.key("t")
	if !strings.Contains(h.view(), "● live") {
		t.Fatalf("no live marker:\n%s", h.view())
	}
	importAs(t, path, tailEvents("new", now.Add(-30*time.Minute), 5))
	wake <- struct{}{}
	h.settle("the new events", func() bool { return v.total == 65 })
	if v.rows[0].ID != "new-004" || v.rows[4].ID != "new-000" || v.selected().ID != selID || v.sel != 8 || v.topRow != 0 {
		t.Fatalf("after the tail: top %s, row %d (%s, want %s), screen from %d", v.rows[0].ID, v.sel, v.selected().ID, selID, v.topRow)
	}
	if !strings.Contains(h.view(), "new@example.com") {
		t.Fatalf("the new events are not shown at the top:\n%s", h.view())
	}

	// scrolled away: the screen stays put, the header counts the new ones
	for i := 0; i < 30; i++ {
		h.key("down")
	}
	h.idle()
	before, selID := tableLines(h.view()), v.selected().ID
	importAs(t, path, tailEvents("newer", now.Add(-20*time.Minute), 3))
	wake <- struct{}{}
	h.settle("the newer events", func() bool { return v.total == 68 })
	if after := tableLines(h.view()); after != before || v.selected().ID != selID {
		t.Fatalf("the screen moved:\n%s\n---\n%s", before, after)
	}
	if !strings.Contains(h.view(), "+3 new ↑") {
		t.Fatalf("the header does not count the new events:\n%s", h.view())
	}
	h.key("home")
	if v.selected().ID != "newer-002" {
		t.Fatalf("home: %s", v.selected().ID)
	}

	// off: a wake-up reads nothing
	h.key("t")
	if h.m.tail.on || strings.Contains(h.view(), "● live") {
		t.Fatal("t did not stop the tail")
	}
	importAs(t, path, tailEvents("late", now.Add(-10*time.Minute), 2))
	// the stopped wait may still take this wake-up (its select sees the
	// cancellation and the send at once): what it says is dropped
	select {
	case wake <- struct{}{}:
	case <-time.After(50 * time.Millisecond):
	}
	time.Sleep(20 * time.Millisecond)
	h.idle()
	if v.total != 68 {
		t.Fatalf("a stopped tail read %d events", v.total-68)
	}

	// the default: polling
	old := tailInterval
	tailInterval = 10 * time.Millisecond
	t.Cleanup(func() { tailInterval = old })
	h.m.opt.Wake = nil
	h.key("t")
	h.settle("the late events by polling", func() bool { return v.total == 70 })
	h.key("t")
}

// tableLines is the table part of a screen (between the query line and
// the footer), each line's cells separated by one space (a column may
// widen for a longer new value).
func tableLines(s string) string {
	ls := strings.Split(s, "\n")
	ls = ls[2 : len(ls)-2]
	for i, l := range ls {
		ls[i] = strings.Join(strings.Fields(l), " ")
	}
	return strings.Join(ls, "\n")
}

// A source of wake-ups that fails (a lost LISTEN connection) does not
// spin: each failure waits a poll's interval, and new events still come.
func TestLiveTailFailingWake(t *testing.T) {
	old := tailInterval
	tailInterval = 20 * time.Millisecond
	t.Cleanup(func() { tailInterval = old })
	path := filepath.Join(t.TempDir(), "tail.db")
	importAs(t, path, tailEvents("old", now.Add(-2*time.Hour), 5))
	var calls atomic.Int64
	h := newLogsHarness(t, openDB(t, path), Options{Wake: func(ctx context.Context) error {
		calls.Add(1)
		return errors.New("connection lost")
	}}, 100, 20)
	h.key("t")
	importAs(t, path, tailEvents("new", now.Add(-30*time.Minute), 2))
	start := time.Now()
	h.settle("the new events", func() bool { return h.m.logs.total == 7 })
	// the tail goes on for 200 ms more
	h.settle("200 ms", func() bool {
		select {
		case msg := <-h.msgs:
			h.send(msg)
		case <-time.After(5 * time.Millisecond):
		}
		return time.Since(start) > 200*time.Millisecond
	})
	h.key("t")
	if n, most := calls.Load(), int64(time.Since(start)/tailInterval)+3; n > most {
		t.Fatalf("the failing source was called %d times in %v (at most %d)", n, time.Since(start), most)
	}
}
