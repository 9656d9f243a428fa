package tui

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/query"
)

// smallChunks makes the logs view read and hold little, so that a short
// scroll crosses several chunks and drops some.
func smallChunks(t *testing.T) {
	cs, mh := chunkSize, maxHeld
	chunkSize, maxHeld = 40, 120
	t.Cleanup(func() { chunkSize, maxHeld = cs, mh })
}

// all is every event of f, newest first, read in one page.
func all(t *testing.T, svc audit.EventService, f audit.Filter) []*audit.Event {
	t.Helper()
	evs, _, err := svc.FindEvents(context.Background(), f, audit.Page{})
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

// The table scrolls through the whole result by keyset pages, holding no
// more than maxHeld events, and the selected row is always the event at
// that place in the result; home and end jump to either end.
func TestScrollThroughTheWholeResult(t *testing.T) {
	smallChunks(t)
	db := demoDB(t)
	h := newLogsHarness(t, db, Options{}, 100, 30, "--all")
	f, _, _ := compiler(t, "--all")("")
	want := all(t, db, f)
	if h.m.logs.total != len(want) || len(want) != demoEvents {
		t.Fatalf("total %d, want %d (%d demo events)", h.m.logs.total, len(want), demoEvents)
	}
	check := func(where string) {
		t.Helper()
		v := &h.m.logs
		if len(v.rows) > maxHeld {
			t.Fatalf("%s: %d events held, at most %d", where, len(v.rows), maxHeld)
		}
		if e := v.selected(); e == nil || e.ID != want[v.sel].ID {
			t.Fatalf("%s: row %d is %v, want %s", where, v.sel, e, want[v.sel].ID)
		}
		page := h.m.pageSize()
		foot := fmt.Sprintf("Page %d of %d (%d total)", v.sel/page+1, (len(want)+page-1)/page, len(want))
		if !strings.Contains(h.view(), foot) {
			t.Fatalf("%s: footer lacks %q:\n%s", where, foot, h.view())
		}
	}
	check("start")
	for i := 0; i < 40; i++ {
		h.key("pgdown")
		h.idle()
	}
	if h.m.logs.sel < 40*h.m.pageSize()-1 || h.m.logs.base == 0 {
		t.Fatalf("after 40 pages down: row %d, window from %d", h.m.logs.sel, h.m.logs.base)
	}
	check("40 pages down")
	for i := 0; i < 15; i++ {
		h.key("pgup")
		h.idle()
	}
	check("15 pages back up") // read again: newer chunks before the window
	for i := 0; i < 30; i++ {
		h.key("up")
	}
	h.idle()
	check("30 rows up")
	h.key("end")
	h.idle()
	if h.m.logs.sel != len(want)-1 {
		t.Fatalf("end: row %d, want %d", h.m.logs.sel, len(want)-1)
	}
	check("end")
	h.key("up")
	h.idle()
	check("end, one up")
	h.key("home")
	h.idle()
	if h.m.logs.sel != 0 {
		t.Fatalf("home: row %d", h.m.logs.sel)
	}
	check("home")
}

// The query bar runs the -q language: a syntax error is shown where it is,
// as you type, and runs nothing; Enter keeps the query; ↑ brings back an
// earlier one; c clears; Esc goes back to the query before the bar.
func TestQueryBar(t *testing.T) {
	db := demoDB(t)
	h := newLogsHarness(t, db, Options{}, 100, 30)
	before := h.m.logs.total
	h.search("action:DeleteUser")
	v := &h.m.logs
	if v.query != "action:DeleteUser" || v.total == 0 || v.total >= before {
		t.Fatalf("query %q: %d of %d", v.query, v.total, before)
	}
	for _, e := range v.rows {
		if e.Action != "DeleteUser" {
			t.Fatalf("row %s has action %q", e.ID, e.Action)
		}
	}
	if s := h.view(); !strings.Contains(s, "filter: action:DeleteUser") || !strings.Contains(s, "last 7 days (default)") {
		t.Fatalf("footer lacks the filter and window:\n%s", s)
	}

	// a syntax error, in place, as typed
	h.key("/")
	h.typeText(" actor:")
	s := h.view()
	_, perr := query.Parse("action:DeleteUser actor:", now)
	var se *query.SyntaxError
	if !errors.As(perr, &se) || !strings.Contains(s, se.Msg) {
		t.Fatalf("the error %v is not shown:\n%s", perr, s)
	}
	caret := -1
	for _, l := range lines(s) {
		if i := strings.Index(l, "^ "); i >= 0 {
			caret = i
		}
	}
	if caret != len("/ action:DeleteUser actor:") {
		t.Errorf("caret at column %d, want under the end of the query:\n%s", caret, s)
	}
	h.key("enter") // refused: the bar stays open
	if h.m.bar == nil {
		t.Fatal("Enter on a syntax error closed the bar")
	}
	h.key("esc")
	h.idle()
	if h.m.bar != nil || v.query != "action:DeleteUser" {
		t.Fatalf("esc: bar %v, query %q", h.m.bar != nil, v.query)
	}

	// history
	h.search("status:failure")
	h.key("/")
	h.key("up")
	if got := h.m.bar.input.Value(); got != "status:failure" {
		t.Fatalf("↑: %q", got)
	}
	h.key("up")
	if got := h.m.bar.input.Value(); got != "action:DeleteUser" {
		t.Fatalf("↑ ↑: %q", got)
	}
	h.key("enter")
	h.idle()
	if v.query != "action:DeleteUser" {
		t.Fatalf("history entry run: %q", v.query)
	}

	// c clears
	h.key("c")
	h.idle()
	if v.query != "" || v.total != before {
		t.Fatalf("c: query %q, total %d want %d", v.query, v.total, before)
	}
}

// What is typed runs once typing pauses, without Enter.
func TestQueryRunsAsYouType(t *testing.T) {
	db := demoDB(t)
	h := newLogsHarness(t, db, Options{}, 100, 30)
	h.key("/")
	h.typeText("status:failure")
	h.settle("the typed query", func() bool { return h.m.logs.query == "status:failure" && !h.m.logs.loading })
	for _, e := range h.m.logs.rows {
		if e.Status != audit.StatusFailure {
			t.Fatalf("row %s is %s", e.ID, e.Status)
		}
	}
	if h.m.bar == nil {
		t.Fatal("the bar closed by itself")
	}
}

// gated is an event service whose reads wait until released or cancelled:
// a slow query.
type gated struct {
	audit.EventService
	mu      sync.Mutex
	gates   map[string]chan struct{} // by the action filtered on
	started chan string
	ctxs    map[string]context.Context
}

func (g *gated) wait(ctx context.Context, f audit.Filter) error {
	a := strings.Join(f.Include[audit.FieldAction], ",")
	g.mu.Lock()
	ch := g.gates[a]
	g.ctxs[a] = ctx
	g.mu.Unlock()
	if ch == nil {
		return nil
	}
	g.started <- a
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (g *gated) FindEvents(ctx context.Context, f audit.Filter, p audit.Page) ([]*audit.Event, int, error) {
	if err := g.wait(ctx, f); err != nil {
		return nil, 0, err
	}
	return g.EventService.FindEvents(ctx, f, p)
}

func (g *gated) CountEvents(ctx context.Context, f audit.Filter) (int64, error) {
	if err := g.wait(ctx, f); err != nil {
		return 0, err
	}
	return g.EventService.CountEvents(ctx, f)
}

// A query superseded by a newer one is cancelled, and what it would have
// returned never reaches the view.
func TestSupersededQueryIsCancelled(t *testing.T) {
	db := demoDB(t)
	g := &gated{EventService: db, gates: map[string]chan struct{}{"Login": make(chan struct{})},
		started: make(chan string, 8), ctxs: map[string]context.Context{}}
	h := newLogsHarness(t, g, Options{}, 100, 30)
	h.key("/")
	h.typeText("action:Login")
	h.key("enter") // its reads wait at the gate
	h.settle("the slow query to start", func() bool {
		select {
		case <-g.started:
			return true
		default:
			return false
		}
	})
	h.search("action:DeleteUser")
	g.mu.Lock()
	ctx := g.ctxs["Login"]
	g.mu.Unlock()
	if ctx.Err() == nil {
		t.Fatal("the superseded query still runs")
	}
	close(g.gates["Login"])
	h.idle()
	for _, e := range h.m.logs.rows {
		if e.Action != "DeleteUser" {
			t.Fatalf("a row of the superseded query: %s %s", e.ID, e.Action)
		}
	}
	if strings.Contains(h.view(), "context canceled") {
		t.Fatalf("the cancellation shows:\n%s", h.view())
	}
}

// Enter opens the selected event whole, JSON pretty-printed and
// scrollable; Esc closes what was opened last (help, then the detail); q
// quits.
func TestDetailPanel(t *testing.T) {
	db := demoDB(t)
	h := newLogsHarness(t, db, Options{}, 100, 30)
	h.search("action:DeleteUser")
	h.key("down")
	sel := h.m.logs.selected()
	h.key("enter")
	s := h.view()
	for _, want := range []string{"Event " + sel.ID, "User information", "Action information", "DeleteUser", sel.Actor} {
		if !strings.Contains(s, want) {
			t.Fatalf("detail lacks %q:\n%s", want, s)
		}
	}
	first := lines(s)[3]
	h.key("pgdown")
	if lines(h.view())[3] == first {
		t.Fatalf("pgdown did not scroll the detail:\n%s", h.view())
	}
	h.key("end")
	if !strings.Contains(h.view(), "(100%)") {
		t.Fatalf("end: not at the bottom:\n%s", h.view())
	}
	h.key("?")
	if !strings.Contains(h.view(), "Keys") {
		t.Fatalf("no help:\n%s", h.view())
	}
	h.key("esc")
	if h.m.help != nil || h.m.detail == nil {
		t.Fatal("esc did not close the help alone")
	}
	h.key("esc")
	if h.m.detail != nil || !strings.Contains(h.view(), "TIME (UTC)") {
		t.Fatalf("esc did not close the detail:\n%s", h.view())
	}
	if h.m.logs.selected() != sel {
		t.Fatal("the selection moved")
	}
	h.key("q")
	h.settle("quit", func() bool { return h.quit })
}

// The pretty-printed JSON of an event's documents is in the panel.
func TestDetailPrettyJSON(t *testing.T) {
	db := demoDB(t)
	f, _, _ := compiler(t, "--all")("")
	var withParams *audit.Event
	for _, e := range all(t, db, f) {
		if len(e.Params) > 20 {
			withParams = e
			break
		}
	}
	if withParams == nil {
		t.Fatal("no demo event with parameters")
	}
	h := newLogsHarness(t, db, Options{}, 100, 60, "--all")
	h.search("id:" + withParams.ID)
	h.key("enter")
	s := h.view()
	if !strings.Contains(s, "Parameters") || !strings.Contains(s, "\n    \"") {
		t.Fatalf("no indented parameters:\n%s", s)
	}
}
