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
			h := newHarness(t, db, Options{}, w, hgt)
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

			sdb, _ := sessionsDB(t)
			hs := newHarness(t, db, Options{Sessions: sdb}, w, hgt)
			hs.key("2")
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
		h := newHarness(t, db, Options{Color: color, Where: "cache " + hostile[0]}, 160, 50)
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
