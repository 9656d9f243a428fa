package tui

import (
	"bytes"
	"context"
	"io"
	"maps"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/spf13/pflag"

	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/cmd/sessions/list"
	"github.com/auditctl/auditctl/pkg/cmd/sessions/show"
	"github.com/auditctl/auditctl/pkg/cmd/sessions/terminate"
	"github.com/auditctl/auditctl/pkg/demo"
	"github.com/auditctl/auditctl/pkg/output"
	"github.com/auditctl/auditctl/pkg/query"
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
	runExecInPlace(t)
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

// testSessionFilter is the console's sessions filter panel over the
// filter flags of `sessions list`, as pkg/cmd/tui builds it.
func testSessionFilter() *SessionFilter {
	return NewSessionFilter(func(fs *pflag.FlagSet) func() (session.Filter, error) {
		var ff list.FilterFlags
		ff.Add(fs)
		return func() (session.Filter, error) { return ff.Filter(now) }
	})
}

// testShowSession reads the panel of `sessions show` (show.Load and
// show.WritePanel, as pkg/cmd/tui does) over the events of events.
func testShowSession(events audit.EventService) func(ctx context.Context, s *session.Session) (*SessionPanel, error) {
	return func(ctx context.Context, s *session.Session) (*SessionPanel, error) {
		d, err := show.Load(ctx, events, s, now, 20)
		if err != nil {
			return nil, err
		}
		p := &SessionPanel{Render: func(w int) (string, error) {
			var buf bytes.Buffer
			err := show.WritePanel(&buf, d, output.Options{Width: w}, "enter opens them all in the logs view")
			return buf.String(), err
		}}
		if f, ok := show.UserEvents(s, now); ok {
			p.Events = query.Format(f)
		}
		return p, nil
	}
}

// runExecInPlace makes the hand-over of the terminal (play, watch) run the
// command in the harness's goroutine.
func runExecInPlace(t *testing.T) {
	exec := execFn
	execFn = func(c tea.ExecCommand, fn tea.ExecCallback) tea.Cmd {
		return func() tea.Msg { return fn(c.Run()) }
	}
	t.Cleanup(func() { execFn = exec })
}

// want is the sessions of db matching f, newest first.
func want(t *testing.T, db *sqlite.DB, f session.Filter) []string {
	t.Helper()
	rows, _, err := db.FindSessions(context.Background(), f, session.Page{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, r := range rows {
		ids = append(ids, r.ID)
	}
	return ids
}

func shownIDs(h *harness) []string {
	var ids []string
	for _, r := range h.m.sessions.rows {
		ids = append(ids, r.ID)
	}
	return ids
}

// focusField moves the panel's focus to the field called name.
func focusField(t *testing.T, h *harness, name string) {
	t.Helper()
	p, ok := h.m.over.(*sessFilterPanel)
	if !ok {
		t.Fatalf("no filter panel:\n%s", h.view())
	}
	for i := 0; i < len(p.fields) && p.fields[p.focus].Name != name; i++ {
		h.key("down")
	}
	if p.fields[p.focus].Name != name {
		t.Fatalf("no field %q", name)
	}
}

// f opens the filter panel of seeds 000 and 002 (the filters of sessions
// list); what is typed is checked in place, Enter applies it, Esc leaves
// the filter as it was, c clears it.
func TestSessionsFilter(t *testing.T) {
	db, ss := sessionsDB(t)
	h := newLogsHarness(t, demoDB(t), Options{Sessions: db, SessionFilter: testSessionFilter()}, 120, 40)
	h.key("3")
	h.settle("the sessions", func() bool { return h.m.sessions.loaded })
	h.key("f")
	s := h.view()
	for _, f := range []string{"since", "until", "user", "connector", "has-recording", "category", "resource", "resource-id",
		"session-id", "min-duration", "max-duration", "server-os", "protocol", "connected-from", "status", "search"} {
		if !strings.Contains(s, "   "+f+" ") {
			t.Errorf("the panel lacks the field %q", f)
		}
	}
	if !strings.Contains(s, "Filter sessions") || !strings.Contains(s, "shortest duration, HH:MM") {
		t.Fatalf("no filter panel:\n%s", s)
	}
	user := ss[5].UserEmail
	focusField(t, h, "user")
	h.typeText(user)
	h.key("enter")
	h.settle("the filtered sessions", func() bool { return !h.m.sessions.loading })
	if got, w := shownIDs(h), want(t, db, session.Filter{Users: []string{user}}); len(w) == 0 || !slices.Equal(got, w) {
		t.Fatalf("--user %s: %v, want %v", user, got, w)
	}
	if !strings.Contains(h.view(), "filter: --user "+user) || !strings.Contains(h.view(), "("+itoa(len(shownIDs(h)))+" total)") {
		t.Fatalf("the footer does not say the filter:\n%s", h.view())
	}
	// a bad duration: said in place, naming the flag; Enter keeps the panel
	h.key("f")
	focusField(t, h, "min-duration")
	h.typeText("5 minutes")
	if s := h.view(); !strings.Contains(s, "--min-duration") {
		t.Fatalf("no error in place:\n%s", s)
	}
	h.key("enter")
	if _, ok := h.m.over.(*sessFilterPanel); !ok {
		t.Fatal("enter applied a filter that does not compile")
	}
	h.key("ctrl+u")
	if p := h.m.over.(*sessFilterPanel); p.err != "" {
		t.Fatalf("the error stays once the field is cleared: %s", p.err)
	}
	h.typeText("00:30")
	h.key("esc") // the filter stays as it was
	if h.m.over != nil || strings.Contains(h.view(), "min-duration") || !strings.Contains(h.view(), "--user") {
		t.Fatalf("esc:\n%s", h.view())
	}
	// several at once: category, a recording, a duration range, the
	// search of seed 002 (name, email, account, server, host, client IP…)
	h.key("c")
	h.settle("all the sessions", func() bool { return !h.m.sessions.loading })
	if len(h.m.sessions.rows) != len(ss) || !strings.Contains(h.view(), "no filter") {
		t.Fatalf("c: %d sessions, want %d:\n%s", len(h.m.sessions.rows), len(ss), h.view())
	}
	yes := true
	cases := []struct {
		values map[string]string
		f      session.Filter
	}{
		{map[string]string{"category": "database", "has-recording": "yes"}, session.Filter{Category: []session.Category{session.CategoryDatabase}, HasRecording: &yes}},
		{map[string]string{"min-duration": "01:00", "max-duration": "02:00"}, session.Filter{MinDuration: time.Hour, MaxDuration: 2 * time.Hour}},
		{map[string]string{"search": ss[3].ClientIP}, session.Filter{Search: ss[3].ClientIP}},
		{map[string]string{"resource": ss[1].ResourceName + "," + ss[4].ResourceName}, session.Filter{ResourceName: []string{ss[1].ResourceName, ss[4].ResourceName}}},
		{map[string]string{"since": "2026-11-10", "until": "2026-11-15"}, session.Filter{Since: time.Date(2026, 11, 10, 0, 0, 0, 0, time.UTC), Until: time.Date(2026, 11, 15, 0, 0, 0, 0, time.UTC)}},
	}
	for _, c := range cases {
		h.key("c")
		h.settle("all the sessions", func() bool { return !h.m.sessions.loading })
		h.key("f")
		for _, name := range slices.Sorted(maps.Keys(c.values)) {
			focusField(t, h, name)
			h.typeText(c.values[name])
		}
		h.key("enter")
		h.settle("the filtered sessions", func() bool { return !h.m.sessions.loading })
		got, w := shownIDs(h), want(t, db, c.f)
		if len(w) == 0 || len(w) == len(ss) || !slices.Equal(got, w) {
			t.Errorf("%v: %v, want %v", c.values, got, w)
		}
	}
}

// Enter shows the panel of `sessions show`: the session, its files, its
// user's audit events during it; Enter there opens them all in the logs.
func TestSessionPanel(t *testing.T) {
	db, _ := sessionsDB(t)
	events := demoDB(t)
	h := newLogsHarness(t, events, Options{Sessions: db, ShowSession: testShowSession(events)}, 120, 40)
	h.key("3")
	h.settle("the sessions", func() bool { return h.m.sessions.loaded })
	// the session whose user did the most during it
	best, bestN := -1, int64(0)
	for i, s := range h.m.sessions.rows {
		f, _ := show.UserEvents(s, now)
		if n, _ := events.CountEvents(context.Background(), f); n > bestN {
			best, bestN = i, n
		}
	}
	if best < 0 {
		t.Fatal("no session's user has events during it")
	}
	ses := h.m.sessions.rows[best]
	h.m.sessions.sel = best
	h.key("enter")
	h.settle("the panel", func() bool { return h.m.detail != nil })
	s := h.view()
	for _, w := range []string{"Session " + ses.ID, "Resource", "Connector:"} {
		if !strings.Contains(s, w) {
			t.Errorf("the panel lacks %q:\n%s", w, s)
		}
	}
	h.key("end")
	s = h.view()
	for _, w := range []string{"Files", "Audit events of this user during the session (" + strconv.FormatInt(bestN, 10) + ")", "TIME (UTC)"} {
		if !strings.Contains(s, w) {
			t.Errorf("the end of the panel lacks %q:\n%s", w, s)
		}
	}
	h.key("enter")
	h.idle()
	if h.m.view != viewLogs || h.m.detail != nil || int64(h.m.logs.total) != bestN || !strings.Contains(h.m.logs.query, "actor:") {
		t.Fatalf("enter in the panel: view %d, query %q, %d events (want %d)", h.m.view, h.m.logs.query, h.m.logs.total, bestN)
	}
	for _, e := range h.m.logs.rows {
		if e.Time.Before(ses.Start) || e.Actor != ses.UserEmail && e.Actor != ses.UserName {
			t.Fatalf("an event not of the session's user during it: %s %s %s", e.Time, e.Actor, e.Action)
		}
	}
}

// w watches an active session (the player's hand-over, as p), x
// terminates one after a confirmation (Esc cancels) and writes the
// TerminateSession event; neither acts on a session that is not active.
func TestWatchAndTerminate(t *testing.T) {
	db, ss := sessionsDB(t)
	runExecInPlace(t)
	var mu sync.Mutex
	var watched []string
	watch := func(_ context.Context, s *session.Session, _ io.Reader, _ io.Writer) error {
		mu.Lock()
		defer mu.Unlock()
		watched = append(watched, s.ID)
		return nil
	}
	term := func(ctx context.Context, s *session.Session, reason string) error {
		return terminate.Terminate(ctx, db, s, "tester@console", reason, now)
	}
	h := newLogsHarness(t, db, Options{Sessions: db, Watch: watch, Terminate: term}, 120, 40, "--all")
	h.key("3")
	h.settle("the sessions", func() bool { return h.m.sessions.loaded })
	active, done := -1, -1
	for i, s := range h.m.sessions.rows {
		if s.Status == session.StatusActive {
			active = i
		} else if done < 0 {
			done = i
		}
	}
	h.m.sessions.sel = done
	h.key("w")
	h.key("x")
	if s := h.view(); !strings.Contains(s, "is not active (completed)") || h.m.over != nil {
		t.Fatalf("w, x on a completed session:\n%s", s)
	}
	h.m.sessions.sel = active
	id := h.m.sessions.rows[active].ID
	h.key("w")
	h.settle("the watch to return", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(watched) == 1 && !h.m.sessions.loading
	})
	if watched[0] != id || h.m.view != viewSessions {
		t.Fatalf("watched %v, view %d", watched, h.m.view)
	}
	h.key("x")
	if s := h.view(); !strings.Contains(s, "Terminate session "+id) || !strings.Contains(s, "enter terminate") {
		t.Fatalf("no confirmation:\n%s", s)
	}
	h.key("esc")
	if h.m.over != nil || h.m.sessions.rows[active].Status != session.StatusActive {
		t.Fatal("esc did not cancel")
	}
	h.key("x")
	h.typeText("q unexpected DROP") // q is text here, not quit
	h.key("enter")
	h.settle("the termination", func() bool {
		return strings.Contains(h.view(), "terminated session "+id) && !h.m.sessions.loading
	})
	if h.quit {
		t.Fatal("q in the reason quit")
	}
	got, err := db.FindSession(context.Background(), id)
	if err != nil || got.Status != session.StatusTerminated || got.TerminatedBy != "tester@console" {
		t.Fatalf("after x: %+v %v", got, err)
	}
	for _, r := range h.m.sessions.rows {
		if r.ID == id && r.Status != session.StatusTerminated {
			t.Fatalf("the list still shows %s %s", id, r.Status)
		}
	}
	var f audit.Filter
	f.Add(audit.FieldAction, "TerminateSession")
	evs, _, err := db.FindEvents(context.Background(), f, audit.Page{Limit: 10})
	if err != nil || len(evs) != 1 || evs[0].Actor != "tester@console" || evs[0].TargetID != id || !strings.Contains(string(evs[0].Params), "q unexpected DROP") {
		t.Fatalf("TerminateSession events: %v %v", evs, err)
	}
	_ = ss
}

// heldFinder holds the reads of the list it is told to hold, after they
// have read: their rows are as old as the moment they started.
type heldFinder struct {
	SessionFinder
	mu   sync.Mutex
	gate chan struct{} // the reads started while set wait for it
}

func (f *heldFinder) FindSessions(ctx context.Context, sf session.Filter, p session.Page) ([]*session.Session, int, error) {
	f.mu.Lock()
	gate := f.gate
	f.mu.Unlock()
	rows, n, err := f.SessionFinder.FindSessions(ctx, sf, p)
	if gate != nil {
		<-gate
	}
	return rows, n, err
}

func (f *heldFinder) hold(g chan struct{}) {
	f.mu.Lock()
	f.gate = g
	f.mu.Unlock()
}

// A read of the list that started before a change and arrives after a
// newer read is dropped: the list shows the newer rows (the cause of
// TestWatchAndTerminate's failure under load: the read started when the
// player returned came back after the one started by the termination,
// with the session still active).
func TestSessionsStaleRead(t *testing.T) {
	db, _ := sessionsDB(t)
	hf := &heldFinder{SessionFinder: db}
	h := newLogsHarness(t, demoDB(t), Options{Sessions: hf}, 120, 40)
	h.key("3")
	h.settle("the sessions", func() bool { return h.m.sessions.loaded && !h.m.sessions.loading })
	rows, _, _ := db.FindSessions(context.Background(), session.Filter{Status: []session.Status{session.StatusActive}}, session.Page{Limit: 1})
	s := rows[0]
	gate := make(chan struct{})
	hf.hold(gate)
	h.key("r") // reads the list with the session active, and waits
	h.settle("the read to start", func() bool { return h.m.sessions.loading })
	time.Sleep(50 * time.Millisecond) // it has read
	hf.hold(nil)
	s.Status, s.End = session.StatusCompleted, now
	if err := db.UpdateSession(context.Background(), s); err != nil {
		t.Fatal(err)
	}
	h.key("r")
	h.settle("the newer read", func() bool { return strings.Contains(h.view(), "0 active (●)") })
	close(gate)
	gen := h.m.sessions.gen
	h.settle("the older read to arrive", func() bool { return len(h.msgs) == 0 })
	time.Sleep(50 * time.Millisecond)
	h.settle("the older read to arrive", func() bool { return len(h.msgs) == 0 })
	if !strings.Contains(h.view(), "0 active (●)") || h.m.sessions.loading || h.m.sessions.gen != gen {
		t.Fatalf("the older read replaced the newer one:\n%s", h.view())
	}
}

// The list is read again while the view shows: a session that ends
// elsewhere loses its marker without a key pressed.
func TestSessionsRefresh(t *testing.T) {
	db, _ := sessionsDB(t)
	old := sessionsRefresh
	sessionsRefresh = 50 * time.Millisecond
	t.Cleanup(func() { sessionsRefresh = old })
	h := newLogsHarness(t, demoDB(t), Options{Sessions: db}, 120, 40)
	h.key("3")
	h.settle("the sessions", func() bool { return h.m.sessions.loaded })
	if !strings.Contains(h.view(), "1 active (●)") {
		t.Fatalf("no active session:\n%s", h.view())
	}
	rows, _, _ := db.FindSessions(context.Background(), session.Filter{Status: []session.Status{session.StatusActive}}, session.Page{Limit: 1})
	s := rows[0]
	s.Status, s.End = session.StatusCompleted, now
	if err := db.UpdateSession(context.Background(), s); err != nil {
		t.Fatal(err)
	}
	h.settle("the list read again", func() bool { return strings.Contains(h.view(), "0 active (●)") })
	h.key("1") // elsewhere the ticks stop
	h.settle("the ticks to stop", func() bool { return !h.m.sessions.ticking })
}

// Past the sessions read at first, the next ones are read as the
// selection nears the end.
func TestSessionsPaging(t *testing.T) {
	db, ss := sessionsDB(t)
	old := maxSessions
	maxSessions = 5
	t.Cleanup(func() { maxSessions = old })
	h := newLogsHarness(t, demoDB(t), Options{Sessions: db}, 120, 16)
	h.key("3")
	h.settle("the sessions", func() bool { return h.m.sessions.loaded })
	for i := 0; i < len(ss)+3; i++ {
		h.key("down")
		h.settle("the next sessions", func() bool { return !h.m.sessions.more })
	}
	all := want(t, db, session.Filter{})
	if got := shownIDs(h); !slices.Equal(got, all) || h.m.sessions.sel != len(ss)-1 {
		t.Fatalf("after scrolling: %d sessions held, selection %d; want %d", len(got), h.m.sessions.sel, len(all))
	}
}
