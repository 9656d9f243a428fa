package tui

import (
	"context"
	"encoding/json"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/sanitize"
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

			hs := newLogsHarness(t, db, Options{Sessions: sdb}, w, hgt)
			hs.key("3")
			hs.settle("the sessions", func() bool { return hs.m.sessions.loaded })
			golden(t, name("sessions"), hs.view())
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
	h := newHarness(t, db, Options{Sessions: sdb}, 100, 40)
	h.settle("the overview", func() bool { return !h.m.ov.loading && !h.m.ov.zero() })
	ctx := context.Background()
	f := h.m.logs.filter
	n, _ := db.CountEvents(ctx, f)
	ff := f
	ff.Include = map[audit.Field][]string{audit.FieldStatus: {"failure"}}
	nf, _ := db.CountEvents(ctx, ff)
	acts, _ := db.CountBy(ctx, f, audit.FieldAction, topN)
	o := &h.m.ov
	if o.events != n || o.failures != nf || nf == 0 || len(o.actions) != topN || o.actions[0] != acts[0] || o.active != 1 {
		t.Fatalf("overview %+v; want %d events, %d failures, top %v, 1 active", *o, n, nf, acts[0])
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
	h.m.ov.sel = 3 // events, failures, active sessions, then the actions
	top := h.m.ov.actions[0]
	h.key("enter")
	h.idle()
	if want := "status:failure action:" + top.Key; h.m.logs.query != want || int64(h.m.logs.total) != top.Count {
		t.Fatalf("enter on the top action: query %q (want %q), %d events (want %d)", h.m.logs.query, want, h.m.logs.total, top.Count)
	}
	// active sessions: the sessions view
	h.key("1")
	h.settle("the overview again", func() bool { return !h.m.ov.loading && !h.m.ov.zero() })
	h.m.ov.sel = 2
	h.key("enter")
	if h.m.view != viewSessions {
		t.Fatal("enter on active sessions did not open the sessions")
	}
}
