package tui

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/query"
	"github.com/auditctl/auditctl/pkg/sanitize"
	"github.com/auditctl/auditctl/pkg/session"
	"github.com/auditctl/auditctl/pkg/store/sqlite"
)

// The frames at 80×24 and 160×50 over the demo cache: the first screen,
// a query, a syntax error in the bar, the detail panel, the help.
func TestGolden(t *testing.T) {
	db := demoDB(t)
	for _, size := range [][2]int{{80, 24}, {160, 50}} {
		w, hgt := size[0], size[1]
		t.Run(strings.Join([]string{itoa(w), itoa(hgt)}, "x"), func(t *testing.T) {
			name := func(s string) string { return s + "_" + itoa(w) + "x" + itoa(hgt) + ".txt" }
			sdb, _ := sessionsDB(t)
			ho := newHarness(t, db, Options{Sessions: sdb}, w, hgt)
			ho.settle("the overview", func() bool { return !ho.m.ov.loading && !ho.m.ov.zero() })
			golden(t, name("overview"), ho.view())
			for range 3 {
				ho.key("left") // the newest bar, then two before it
			}
			golden(t, name("overview_bar"), ho.view())

			h := newLogsHarness(t, db, Options{}, w, hgt)
			golden(t, name("logs"), h.view())
			h.search("action:DeleteUser")
			golden(t, name("query"), h.view())
			h.key("down")
			h.key("enter")
			golden(t, name("detail"), h.view())
			h.key("esc")
			h.key("/")
			h.typeText(" duration:>>5")
			golden(t, name("syntax_error"), h.view())
			h.key("esc")
			h.idle()
			h.key("?")
			golden(t, name("help"), h.view())

			hs := newLogsHarness(t, db, Options{Sessions: sdb, SessionFilter: testSessionFilter(), ShowSession: testShowSession(db),
				Terminate: func(context.Context, *session.Session, string) error { return nil }}, w, hgt)
			hs.key("3")
			hs.settle("the sessions", func() bool { return hs.m.sessions.loaded })
			golden(t, name("sessions"), hs.view())
			hs.key("f")
			focusField(t, hs, "category")
			hs.typeText("database")
			focusField(t, hs, "max-duration")
			hs.typeText("1h3O")
			golden(t, name("sessions_filter"), hs.view())
			hs.key("ctrl+u")
			hs.key("enter")
			hs.settle("the database sessions", func() bool { return !hs.m.sessions.loading })
			golden(t, name("sessions_filtered"), hs.view())
			hs.key("c")
			hs.settle("the sessions", func() bool { return !hs.m.sessions.loading })
			for i, x := range hs.m.sessions.rows {
				if !x.HasRecording && x.UserEmail != "" { // its panel holds no temporary path
					hs.m.sessions.sel = i
					break
				}
			}
			hs.key("enter")
			hs.settle("the session panel", func() bool { return hs.m.detail != nil })
			golden(t, name("session_panel"), hs.view())
			hs.key("esc")
			for i, x := range hs.m.sessions.rows {
				if x.Status == session.StatusActive {
					hs.m.sessions.sel = i
				}
			}
			hs.key("x")
			golden(t, name("terminate"), hs.view())
		})
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// hostile values: escape sequences that would set the title, write the
// clipboard, move the cursor, colour the screen; a bidi override; a NUL.
var hostile = []string{
	"evil\x1b]0;pwned\x07title",
	"clip\x1b]52;c;ZXZpbA==\x07board",
	"move\x1b[2J\x1b[Hcursor",
	"red\x1b[31mtext",
	"bidi\u202eoverride",
	"nul\x00byte",
}

// Events whose fields hold escape sequences render as visible escapes,
// in the table, the footer, the query line and the detail panel: no
// control reaches the terminal but the console's own styling.
func TestHostileData(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hostile.db")
	db, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	var evs []*audit.Event
	for i, s := range hostile {
		params, _ := json.Marshal(map[string]string{"value": s})
		evs = append(evs, &audit.Event{ID: "h" + itoa(i) + s, Source: "test", Time: now.Add(-time.Duration(i+1) * time.Minute),
			Service: s, Action: s, Actor: s, IP: "10.0.0.1", Status: audit.StatusFailure, Description: s + "\n" + s,
			Params: params, Target: s, UserAgent: s})
	}
	if _, err := db.Import(context.Background(), &sliceReader{evs: evs}, sqlite.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, color := range []bool{false, true} {
		h := newLogsHarness(t, db, Options{Color: color, Where: "cache " + hostile[0]}, 160, 50)
		frames := []string{h.m.View().Content}
		h.search(`action:"` + strings.ReplaceAll(hostile[3], "\x1b", "\x1b") + `"`)
		frames = append(frames, h.m.View().Content)
		h.key("c")
		h.idle()
		for i := range hostile {
			h.m.logs.sel = i
			h.key("enter")
			frames = append(frames, h.m.View().Content)
			h.key("esc")
		}
		for i, f := range frames {
			assertSafe(t, f)
			plain := stripSGR(f)
			if i == 0 {
				for _, s := range hostile {
					if !strings.Contains(plain, sanitize.String(s)[:8]) {
						t.Errorf("color %v: %q not shown as %q:\n%s", color, s, sanitize.String(s), plain)
					}
				}
			}
		}
		if !strings.Contains(stripSGR(frames[2]), `Actor:         evil\x1b]0;pwned\x07title`) {
			t.Errorf("the detail does not show the escapes:\n%s", stripSGR(frames[2]))
		}
	}
}

// assertSafe fails when frame holds any control but SGR styling and
// newlines.
func assertSafe(t *testing.T, frame string) {
	t.Helper()
	for i := 0; i < len(frame); i++ {
		c := frame[i]
		switch {
		case c == 0x1b:
			end := strings.IndexByte(frame[i:], 'm')
			if end < 0 || !sanitize.IsSGR(frame[i:i+end+1]) {
				t.Fatalf("a raw escape sequence at %d: %q", i, frame[i:min(i+20, len(frame))])
			}
			i += end
		case c < 0x20 && c != '\n', c == 0x7f:
			t.Fatalf("a raw control %#x at %d: %q", c, i, frame[max(i-20, 0):min(i+20, len(frame))])
		}
	}
	for _, r := range frame {
		if r >= 0x80 && r < 0xa0 || r == '\u202e' {
			t.Fatalf("a raw %U in the frame", r)
		}
	}
}

func stripSGR(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == 0x1b {
			if end := strings.IndexByte(s[i:], 'm'); end >= 0 {
				i += end
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

type sliceReader struct {
	evs []*audit.Event
	i   int
}

func (r *sliceReader) Next() (*audit.Event, error) {
	if r.i >= len(r.evs) {
		return nil, io.EOF
	}
	r.i++
	return r.evs[r.i-1], nil
}

// The overview counts the current filter and window, and every number is
// a way in: Enter opens the logs filtered to it.
func TestOverview(t *testing.T) {
	db := demoDB(t)
	sdb, _ := sessionsDB(t)
	h := newHarness(t, db, Options{Sessions: sdb, SessionFilter: testSessionFilter()}, 100, 40)
	h.settle("the overview", func() bool { return !h.m.ov.loading && !h.m.ov.zero() })
	ctx := context.Background()
	f := h.m.logs.filter
	n, _ := db.CountEvents(ctx, f)
	ff := f
	ff.Include = map[audit.Field][]string{audit.FieldStatus: {"failure"}}
	nf, _ := db.CountEvents(ctx, ff)
	acts, _ := db.CountBy(ctx, f, audit.FieldAction, h.m.tops())
	o := &h.m.ov
	if o.events != n || o.failures != nf || nf == 0 || !slices.Equal(o.actions, acts) || o.active != 1 {
		t.Fatalf("overview: %d events, %d failures, top %v, %d active; want %d events, %d failures, top %v, 1 active", o.events, o.failures, o.actions, o.active, n, nf, acts)
	}
	if len(o.hist) == 0 {
		t.Fatal("no histogram")
	}
	var sum int64
	for _, b := range o.hist {
		sum += b.Count
	}
	if sum != n {
		t.Errorf("the histogram holds %d events, want %d", sum, n)
	}
	for _, want := range []string{"[1 overview]", "In the window", "Top actions", "Top actors", acts[0].Key, "Events per"} {
		if !strings.Contains(h.view(), want) {
			t.Fatalf("overview lacks %q:\n%s", want, h.view())
		}
	}
	// failures: the logs, filtered to them
	h.key("down")
	h.key("enter")
	h.idle()
	if h.m.view != viewLogs || h.m.logs.query != "status:failure" || int64(h.m.logs.total) != nf {
		t.Fatalf("enter on failures: view %d, query %q, %d events (want %d)", h.m.view, h.m.logs.query, h.m.logs.total, nf)
	}
	// back, the top action: the query narrows further
	h.key("1")
	h.settle("the overview again", func() bool { return !h.m.ov.loading && !h.m.ov.zero() })
	h.m.ov.sel = 4 // events, failures, distinct actors, active sessions, then the actions
	top := h.m.ov.actions[0]
	h.key("enter")
	h.idle()
	if want := "status:failure action:" + top.Key; h.m.logs.query != want || int64(h.m.logs.total) != top.Count {
		t.Fatalf("enter on the top action: query %q (want %q), %d events (want %d)", h.m.logs.query, want, h.m.logs.total, top.Count)
	}
	// active sessions: the sessions view, filtered to them
	h.key("1")
	h.settle("the overview again", func() bool { return !h.m.ov.loading && !h.m.ov.zero() })
	h.m.ov.sel = 3
	h.key("enter")
	h.settle("the active sessions", func() bool { return h.m.sessions.loaded && !h.m.sessions.loading })
	if h.m.view != viewSessions || len(h.m.sessions.rows) != 1 || h.m.sessions.rows[0].Status != session.StatusActive ||
		!strings.Contains(h.view(), "filter: --status active") {
		t.Fatalf("enter on active sessions did not open the active sessions:\n%s", h.view())
	}
	// distinct actors: the list of them all, Enter on one narrows the logs
	h.key("1")
	h.settle("the overview again", func() bool { return !h.m.ov.loading && !h.m.ov.zero() })
	h.m.ov.sel = 2
	h.key("enter")
	p, ok := h.m.over.(*pickList)
	if !ok || len(p.items) != h.m.ov.actors || !strings.Contains(h.view(), fmt.Sprintf("Actors in the window (%d)", h.m.ov.actors)) {
		t.Fatalf("enter on distinct actors:\n%s", h.view())
	}
	h.key("down")
	h.key("down")
	who := p.items[2]
	h.key("enter")
	h.idle()
	if want := "status:failure action:" + top.Key + " " + query.Format(who.add); h.m.view != viewLogs || h.m.logs.query != want || int64(h.m.logs.total) != who.n {
		t.Fatalf("enter on an actor: query %q (want %q), %d events (want %d)", h.m.logs.query, want, h.m.logs.total, who.n)
	}
}

// click sends a click of the left button at column x, screen line y.
func (h *harness) click(x, y int) {
	h.send(tea.MouseClickMsg{X: x, Y: y, Button: tea.MouseLeft})
}

// ← → choose a bar of the histogram, Enter narrows the window to it (the
// overview counts again over it), Backspace goes back; the mouse does the
// same: a click selects a bar, a second click narrows.
func TestOverviewBars(t *testing.T) {
	db := demoDB(t)
	h := newHarness(t, db, Options{}, 100, 30)
	ready := func() bool { return !h.m.ov.loading && !h.m.ov.zero() }
	h.settle("the overview", ready)
	total, q0 := h.m.ov.events, h.m.logs.query
	bars := h.m.ov.shown(h.m.histWidth())
	h.key("left")
	if !h.m.ov.onBar || h.m.ov.bar != len(bars)-1 {
		t.Fatalf("left: bar %d of %d", h.m.ov.bar, len(bars))
	}
	// the bar with the most events
	best := 0
	for i, b := range bars {
		if b.Count > bars[best].Count {
			best = i
		}
	}
	for h.m.ov.bar > best {
		h.key("h")
	}
	b := bars[best]
	if s := h.view(); !strings.Contains(s, fmt.Sprintf(": %d events", b.Count)) {
		t.Fatalf("the caption does not say the bar's count %d:\n%s", b.Count, s)
	}
	h.key("enter")
	h.idle()
	h.settle("the overview of the bar", ready)
	f := h.m.logs.filter
	if !f.Since.Equal(b.Time) || !f.Until.Equal(b.Time.Add(h.m.ov.interval*0+bars[1].Time.Sub(bars[0].Time))) || h.m.ov.events != b.Count {
		t.Fatalf("narrowed to %v..%v, %d events; want %v + one interval, %d events", f.Since, f.Until, h.m.ov.events, b.Time, b.Count)
	}
	if !strings.Contains(h.view(), "backspace goes back") {
		t.Fatalf("no way back said:\n%s", h.view())
	}
	h.key("backspace")
	h.idle()
	h.settle("the overview again", ready)
	if h.m.logs.query != q0 || h.m.ov.events != total {
		t.Fatalf("backspace: query %q, %d events; want %q, %d", h.m.logs.query, h.m.ov.events, q0, total)
	}
	// the mouse: a bar, then the same bar again
	l := h.m.overviewLayout(h.m.bodyHeight())
	if l.histRows == 0 {
		t.Fatal("no histogram in the layout")
	}
	y := h.m.bodyTop() + l.histTop + l.histRows - 1
	h.click(histX+best, y)
	if !h.m.ov.onBar || h.m.ov.bar != best {
		t.Fatalf("a click on bar %d selected %d (on a bar: %v)", best, h.m.ov.bar, h.m.ov.onBar)
	}
	h.click(histX+best, y)
	h.idle()
	h.settle("the overview of the bar", ready)
	if h.m.ov.events != b.Count {
		t.Fatalf("the second click: %d events, want %d", h.m.ov.events, b.Count)
	}
	h.key("backspace")
	h.idle()
	h.settle("the overview again", ready)
	// a click on failures (the right half of the first line of counts)
	// selects it; a second click opens the logs filtered to it
	fy := h.m.bodyTop() + 1
	h.click(h.m.width/2+4, fy)
	if h.m.ov.sel != 1 || h.m.ov.onBar {
		t.Fatalf("a click on failures selected %d", h.m.ov.sel)
	}
	h.click(h.m.width/2+4, fy)
	h.idle()
	if h.m.view != viewLogs || h.m.logs.query != "status:failure" {
		t.Fatalf("the second click: view %d, query %q", h.m.view, h.m.logs.query)
	}
	// the logs: a click selects a row, a second one opens it; the wheel
	// scrolls
	h.click(5, h.m.bodyTop()+4)
	if h.m.logs.sel != 3 {
		t.Fatalf("a click on the fourth row selected %d", h.m.logs.sel)
	}
	sel := h.m.logs.selected()
	h.click(5, h.m.bodyTop()+4)
	if h.m.detail == nil || !strings.Contains(h.view(), "Event "+sel.ID) {
		t.Fatalf("the second click did not open the row:\n%s", h.view())
	}
	h.key("esc")
	h.send(tea.MouseWheelMsg{Button: tea.MouseWheelDown})
	if h.m.logs.sel != 6 {
		t.Fatalf("the wheel: selection %d, want 6", h.m.logs.sel)
	}
}

// NO_COLOR and --no-color (Options.Color false): no colour in any frame,
// bold and reverse video only; with colour the histogram and the header
// have theirs.
func TestNoColor(t *testing.T) {
	db := demoDB(t)
	sdb, _ := sessionsDB(t)
	for _, color := range []bool{false, true} {
		h := newHarness(t, db, Options{Color: color, Sessions: sdb, SessionFilter: testSessionFilter()}, 120, 40)
		h.settle("the overview", func() bool { return !h.m.ov.loading && !h.m.ov.zero() })
		h.key("left")
		frames := []string{h.m.View().Content}
		h.key("2")
		frames = append(frames, h.m.View().Content)
		h.key("3")
		h.settle("the sessions", func() bool { return h.m.sessions.loaded })
		frames = append(frames, h.m.View().Content)
		h.key("f")
		frames = append(frames, h.m.View().Content)
		colored := false
		for _, f := range frames {
			assertSafe(t, f)
			for _, seq := range sgrs(f) {
				if strings.Contains(seq, "38;") || strings.Contains(seq, "48;") || strings.Contains(seq, "[3") && !strings.HasPrefix(seq, "\x1b[39") {
					colored = true
					if !color {
						t.Fatalf("a colour %q without colour", seq)
					}
				}
			}
		}
		if color && !colored {
			t.Fatal("no colour with colour on")
		}
	}
}

// sgrs lists the SGR sequences of s.
func sgrs(s string) []string {
	var out []string
	for i := strings.IndexByte(s, 0x1b); i >= 0; i = strings.IndexByte(s, 0x1b) {
		end := strings.IndexByte(s[i:], 'm')
		if end < 0 {
			break
		}
		out = append(out, s[i:i+end+1])
		s = s[i+end+1:]
	}
	return out
}

// Sessions whose fields hold escape sequences render as visible escapes in
// the table, the panel, the filter's footer and the terminate prompt.
func TestHostileSessions(t *testing.T) {
	dir := t.TempDir()
	db, err := sqlite.Open(context.Background(), filepath.Join(dir, "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	for i, s := range hostile {
		ses := &session.Session{ID: "h" + itoa(i) + s, UserName: s, UserEmail: s, Role: s, Account: s, ClientIP: s, ClientName: s,
			ConnectedFrom: s, ResourceName: s, ResourceID: s, Category: session.CategoryServer, Connector: s, ServerName: s, ServerOS: s,
			Host: s, Protocol: s, Start: now.Add(-time.Duration(i+1) * time.Hour), Status: session.StatusActive, Command: s}
		if err := db.CreateSession(context.Background(), ses); err != nil {
			t.Fatal(err)
		}
	}
	for _, color := range []bool{false, true} {
		h := newLogsHarness(t, db, Options{Color: color, Sessions: db, SessionFilter: testSessionFilter(), ShowSession: testShowSession(db),
			Terminate: func(context.Context, *session.Session, string) error { return nil }}, 160, 50)
		h.key("3")
		h.settle("the sessions", func() bool { return h.m.sessions.loaded })
		frames := []string{h.m.View().Content}
		for i := range hostile {
			h.m.sessions.sel = i
			h.key("enter")
			h.settle("the panel", func() bool { return h.m.detail != nil })
			frames = append(frames, h.m.View().Content)
			h.key("esc")
			h.key("x")
			frames = append(frames, h.m.View().Content)
			h.key("esc")
		}
		h.key("f")
		focusField(t, h, "user")
		h.typeText(hostile[0])
		h.send(tea.PasteMsg{Content: hostile[1]})
		frames = append(frames, h.m.View().Content)
		if p := h.m.over.(*sessFilterPanel); p.inputs[p.focus].Value() != "evil]0;pwnedtitleclip]52;c;ZXZpbA==board" {
			t.Errorf("the field does not hold the text without its controls: %q", p.inputs[p.focus].Value())
		}
		h.key("enter")
		h.settle("the filtered sessions", func() bool { return !h.m.sessions.loading })
		frames = append(frames, h.m.View().Content)
		// a value that holds controls (the field drops them as typed)
		h.run(h.m.setSessionFilter(map[string]string{"user": hostile[0] + "," + hostile[1]}))
		h.settle("the filtered sessions", func() bool { return !h.m.sessions.loading && len(h.m.sessions.rows) == 2 })
		frames = append(frames, h.m.View().Content)
		for _, f := range frames {
			assertSafe(t, f)
		}
		if s := stripSGR(frames[0]); !strings.Contains(s, `evil\x1b]0;pwn`) {
			t.Errorf("the table does not show the escapes:\n%s", s)
		}
		if s := stripSGR(frames[1]); !strings.Contains(s, `Name:           evil\x1b]0;pwned\x07title`) {
			t.Errorf("the panel does not show the escapes:\n%s", s)
		}
		if s := stripSGR(frames[2]); !strings.Contains(s, `Terminate session h0evil\x1b]0;pwned\x07title`) {
			t.Errorf("the prompt does not show the escapes:\n%s", s)
		}
		if s := stripSGR(frames[len(frames)-1]); !strings.Contains(s, `filter: --user 'evil\x1b]0;pwned\x07title,clip\x1b]52`) {
			t.Errorf("the footer does not show the escapes:\n%s", s)
		}
	}
}

// slowGroups holds back the counts by a field until released.
type slowGroups struct {
	audit.EventService
	release chan struct{}
}

func (s *slowGroups) CountBy(ctx context.Context, f audit.Filter, field audit.Field, limit int) ([]audit.Bucket, error) {
	select {
	case <-s.release:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return s.EventService.CountBy(ctx, f, field, limit)
}

// The overview's parts are read at once and each shows as it arrives:
// the counts before the slow counts by actor and action.
func TestOverviewProgressive(t *testing.T) {
	db := demoDB(t)
	svc := &slowGroups{EventService: db, release: make(chan struct{})}
	h := newHarness(t, svc, Options{}, 100, 30)
	h.settle("the counts and the chart", func() bool { return h.m.ov.have&(partEvents|partCounts|partHist) == partEvents|partCounts|partHist })
	s := h.view()
	n, _ := db.CountEvents(context.Background(), h.m.logs.filter)
	if !strings.Contains(s, fmt.Sprintf("events            %d", n)) || !strings.Contains(s, "distinct actors   …") ||
		!strings.Contains(s, "Top actions  counting…") || !strings.Contains(s, "Events per") || !h.m.ov.loading {
		t.Fatalf("the first parts:\n%s", s)
	}
	h.key("down")
	h.key("down")
	h.key("enter") // distinct actors, not counted yet
	if h.m.over != nil || !strings.Contains(h.view(), "still counting the actors") {
		t.Fatalf("enter on actors not counted:\n%s", h.view())
	}
	close(svc.release)
	h.settle("the rest", func() bool { return !h.m.ov.loading })
	if s := h.view(); strings.Contains(s, "counting…") || strings.Contains(s, "…  ") || !strings.Contains(s, "Top actors") {
		t.Fatalf("the whole overview:\n%s", s)
	}
}

// The console starts reading the overview before the terminal's size
// arrives (80×24 assumed): a size that wants more (ten top actions and
// actors from 40 lines, a bar a column) reads it again, the first reading
// cancelled and its parts dropped.
func TestOverviewResized(t *testing.T) {
	db := demoDB(t)
	h := newHarness(t, db, Options{}, 80, 24, "--all")
	h.settle("the overview", func() bool { return !h.m.ov.loading })
	if o := &h.m.ov; o.tops != topN || len(o.actions) != topN {
		t.Fatalf("at 80×24: %d top actions read for %d", len(o.actions), o.tops)
	}
	h.send(tea.WindowSizeMsg{Width: 160, Height: 50})
	h.settle("the overview read again", func() bool { return !h.m.ov.loading })
	o := &h.m.ov
	if o.tops != topTall || len(o.actions) != topTall || len(o.topActor) != topTall || o.buckets != 156 || len(o.hist) <= 60 {
		t.Fatalf("at 160×50: %d top actions, %d actors (read for %d), %d bars (for %d)", len(o.actions), len(o.topActor), o.tops, len(o.hist), o.buckets)
	}
	// the same size again reads nothing
	load := o.load
	h.send(tea.WindowSizeMsg{Width: 160, Height: 50})
	if h.m.ov.load != load || h.m.ov.loading {
		t.Fatal("the same size read the overview again")
	}
	// elsewhere, it is read when the overview shows again
	h.key("2")
	h.idle()
	h.send(tea.WindowSizeMsg{Width: 100, Height: 30})
	h.key("1")
	h.settle("the overview", func() bool { return !h.m.ov.loading })
	if o := &h.m.ov; o.tops != topN || len(o.actions) != topN || o.buckets != 96 {
		t.Fatalf("at 100×30: %d top actions read for %d, bars for %d", len(o.actions), o.tops, o.buckets)
	}
}

// Every line of the help fits 80 columns: none is cut with "…".
func TestHelpFits80(t *testing.T) {
	for _, l := range helpLines() {
		if w := len([]rune(l)) + 1; w > 80 { // the frame's margin
			t.Errorf("%d columns: %q", w, l)
		}
	}
}
