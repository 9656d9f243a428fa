package tui

import (
	"context"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	tea "charm.land/bubbletea/v2"

	"github.com/auditctl/auditctl/pkg/demo"
	"github.com/auditctl/auditctl/pkg/session"
	"github.com/auditctl/auditctl/pkg/store/sqlite"
)

// sessionsDB is a cache holding the demo's sessions (with their
// recordings), one of them made active.
func sessionsDB(t *testing.T) (*sqlite.DB, []*session.Session) {
	t.Helper()
	dir := t.TempDir()
	db, err := sqlite.Open(context.Background(), filepath.Join(dir, "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	ss, err := demo.Sessions(demo.Options{Now: now}, filepath.Join(dir, "rec"))
	if err != nil {
		t.Fatal(err)
	}
	ss[2].Status = session.StatusActive
	for _, s := range ss {
		if err := db.CreateSession(context.Background(), s); err != nil {
			t.Fatal(err)
		}
	}
	return db, ss
}

// Tab and 1/2 switch between the logs and Session History; the sessions
// are listed newest first with the active marker; Enter shows one whole;
// p hands the terminal to the player and comes back to the list.
func TestSessionsView(t *testing.T) {
	db, ss := sessionsDB(t)
	var mu sync.Mutex
	var played []string // by the player, which runs in a command's goroutine
	playedIDs := func() []string {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(played)
	}
	exec := execFn
	execFn = func(c tea.ExecCommand, fn tea.ExecCallback) tea.Cmd {
		return func() tea.Msg { return fn(c.Run()) }
	}
	t.Cleanup(func() { execFn = exec })
	play := func(_ context.Context, s *session.Session, _ io.Reader, _ io.Writer) error {
		mu.Lock()
		played = append(played, s.ID)
		mu.Unlock()
		return nil
	}
	h := newLogsHarness(t, db, Options{Sessions: db, Play: play}, 120, 40)
	h.key("tab") // from the logs
	h.settle("the sessions", func() bool { return h.m.sessions.loaded })
	s := h.view()
	if !strings.Contains(s, "[3 sessions]") || !strings.Contains(s, "START (UTC)") {
		t.Fatalf("no sessions view:\n%s", s)
	}
	active := 0
	for _, l := range lines(s) {
		if strings.HasPrefix(l, "● ") {
			active++
			if !strings.Contains(l, "active") {
				t.Errorf("marked row not active: %q", l)
			}
		}
	}
	if active != 1 || !strings.Contains(s, "1 active (●)") {
		t.Fatalf("%d rows marked active:\n%s", active, s)
	}
	if !strings.Contains(s, "("+itoa(len(ss))+" total)") {
		t.Fatalf("footer lacks the total %d:\n%s", len(ss), s)
	}
	// newest first
	sel := h.m.sessions.selected()
	for _, x := range ss {
		if x.Start.After(sel.Start) {
			t.Fatalf("first row %s starts %s, but %s starts later", sel.ID, sel.Start, x.ID)
		}
	}
	h.key("enter")
	if !strings.Contains(h.view(), "Session "+sel.ID) || !strings.Contains(h.view(), "id: "+sel.ID) {
		t.Fatalf("no session detail:\n%s", h.view())
	}
	h.key("esc")
	// p: a session without a recording says so; one with plays
	var withRec, without int = -1, -1
	for i, x := range h.m.sessions.rows {
		if x.HasRecording && withRec < 0 {
			withRec = i
		}
		if !x.HasRecording && without < 0 {
			without = i
		}
	}
	if withRec < 0 || without < 0 {
		t.Fatal("the demo needs sessions with and without recordings")
	}
	h.m.sessions.sel = without
	h.key("p")
	if len(playedIDs()) != 0 || !strings.Contains(h.view(), "has no recording") {
		t.Fatalf("p without a recording: played %v\n%s", playedIDs(), h.view())
	}
	h.m.sessions.sel = withRec
	h.key("p")
	h.settle("the player to return", func() bool { return len(playedIDs()) == 1 && !h.m.sessions.loading })
	if got := playedIDs(); got[0] != h.m.sessions.rows[withRec].ID || h.m.view != viewSessions {
		t.Fatalf("played %v, view %d", got, h.m.view)
	}
	h.key("2")
	if h.m.view != viewLogs || !strings.Contains(h.view(), "[2 logs]") {
		t.Fatalf("2: not the logs:\n%s", h.view())
	}
	h.key("3")
	h.key("/") // the query bar is over the logs view, from anywhere
	if h.m.view != viewLogs || h.m.bar == nil {
		t.Fatal("/ in the sessions view did not open the bar over the logs")
	}
}

// With --remote there is no Session History: the view says so.
func TestSessionsViewWithoutCache(t *testing.T) {
	h := newLogsHarness(t, demoDB(t), Options{}, 100, 30)
	h.key("3")
	if !strings.Contains(h.view(), "not with --remote") {
		t.Fatalf("no explanation:\n%s", h.view())
	}
}
