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
	if err := importIn(path, evs); err != nil {
		t.Fatal(err)
	}
}

// tailEvery makes the live tail poll every d in this test.
func tailEvery(t *testing.T, d time.Duration) {
	old := tailInterval
	tailInterval = d
	t.Cleanup(func() { tailInterval = old })
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
	tailEvery(t, 10*time.Millisecond)
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
	tailEvery(t, 20*time.Millisecond)
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

// importIn imports evs through a second handle on the cache at path, as
// another process would, from any goroutine.
func importIn(path string, evs []*audit.Event) error {
	db, err := sqlite.Open(context.Background(), path)
	if err != nil {
		return err
	}
	defer db.Close()
	_, err = db.Import(context.Background(), &sliceReader{evs: evs}, sqlite.ImportOptions{})
	return err
}

// walk selects the newest event and moves down the whole result a page
// at a time, returning the ids of every event selected or shown, in
// order.
func (h *harness) walk() []string {
	h.t.Helper()
	v := &h.m.logs
	h.key("home")
	h.idle()
	var ids []string
	seen := -1
	for {
		for i := max(seen+1, v.topRow); i < min(v.topRow+h.m.pageSize(), v.base+len(v.rows)); i++ {
			ids = append(ids, v.rows[i-v.base].ID)
			seen = i
		}
		if seen >= v.total-1 {
			return ids
		}
		before := v.sel
		h.key("pgdown")
		h.idle()
		if v.sel == before && !v.older {
			h.t.Fatalf("stuck at row %d of %d", v.sel, v.total)
		}
	}
}

// The live tail while another process imports in the background, in
// bursts of more than a page and more than the rows held: every new event
// is put in once, newer than the top, in order; the selected event stays
// selected throughout; a burst larger than what is held is counted above
// the screen ("+N new ↑") and home reads it; scrolling the whole result
// then shows every event of the cache exactly once, newest first.
func TestLiveTailBackgroundImport(t *testing.T) {
	tailEvery(t, 5*time.Millisecond)
	path := filepath.Join(t.TempDir(), "tail.db")
	importAs(t, path, tailEvents("old", now.Add(-3*time.Hour), 60))
	db := openDB(t, path)
	h := newLogsHarness(t, db, Options{}, 100, 20)
	v := &h.m.logs
	for i := 0; i < 3; i++ {
		h.key("down")
	}
	selID := v.selected().ID
	h.key("t")

	// a burst of more than two pages, then batches while the tail runs
	done := make(chan error, 1)
	go func() {
		if err := importIn(path, tailEvents("burst", now.Add(-2*time.Hour), 450)); err != nil {
			done <- err
			return
		}
		for b := 0; b < 5; b++ {
			if err := importIn(path, tailEvents(fmt.Sprintf("batch%d", b), now.Add(-time.Hour+time.Duration(b)*100*time.Second), 40)); err != nil {
				done <- err
				return
			}
			time.Sleep(15 * time.Millisecond)
		}
		done <- nil
	}()
	var importErr error
	imported := false
	h.settle("the background import", func() bool {
		select {
		case importErr = <-done:
			imported = true
		default:
		}
		if v.selected().ID != selID {
			t.Fatalf("the selection moved to %s (was %s)", v.selected().ID, selID)
		}
		return imported && v.total == 60+450+200
	})
	if importErr != nil {
		t.Fatal(importErr)
	}
	if v.base != 0 || v.rows[0].ID != "batch4-039" || v.selected().ID != selID {
		t.Fatalf("after the import: base %d, top %s, selected %s (want %s)", v.base, v.rows[0].ID, v.selected().ID, selID)
	}
	seen := map[string]bool{}
	for i, e := range v.rows {
		if seen[e.ID] {
			t.Fatalf("%s held twice", e.ID)
		}
		seen[e.ID] = true
		if i > 0 && e.Time.After(v.rows[i-1].Time) {
			t.Fatalf("row %d (%s) is newer than the row above (%s)", i, e.ID, v.rows[i-1].ID)
		}
	}

	// more than the rows held at once: counted above, the screen still
	h.idle()
	before := tableLines(h.view())
	importAs(t, path, tailEvents("flood", now.Add(-30*time.Minute), 1500))
	h.settle("the flood", func() bool { return v.total == 60+450+200+1500 })
	if v.selected().ID != selID || tableLines(h.view()) != before {
		t.Fatalf("the flood moved the screen (selected %s, want %s):\n%s", v.selected().ID, selID, h.view())
	}
	if !strings.Contains(h.view(), "+1500 new ↑") && !strings.Contains(h.view(), "new ↑ (home)") {
		t.Fatalf("the header does not say what arrived above:\n%s", h.view())
	}
	h.key("t")

	// every event once, newest first
	all, _, err := db.FindEvents(context.Background(), v.filter, audit.Page{})
	if err != nil {
		t.Fatal(err)
	}
	got := h.walk()
	if v.selected() == nil || len(got) != len(all) {
		t.Fatalf("walked %d events, the cache holds %d", len(got), len(all))
	}
	for i := range all {
		if got[i] != all[i].ID {
			t.Fatalf("row %d: %s, the cache's %s", i, got[i], all[i].ID)
		}
	}
}

// At 80 columns a long cache path is cut in the header rather than what
// is going on: the live marker shows.
func TestHeaderLongPath(t *testing.T) {
	h := newLogsHarness(t, demoDB(t), Options{Where: "cache /home/someone/.local/share/auditctl/caches/production-audit.db"}, 80, 24)
	h.key("t")
	first := strings.SplitN(h.view(), "\n", 2)[0]
	if !strings.Contains(first, "● live") || !strings.Contains(first, "cache /home/someone") || !strings.Contains(first, "…") {
		t.Fatalf("the header: %q", first)
	}
	h.key("t")
}
