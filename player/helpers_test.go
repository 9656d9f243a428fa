package player

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/auditctl/auditctl/pkg/recording"
)

// ev is an event of a generated recording (time in seconds).
type ev struct {
	t    float64
	code string
	data string
}

func sec(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

// writeRec writes an asciicast v3 recording with the audit header.
func writeRec(t testing.TB, dir, name string, audit string, w, h int, events []ev) string {
	t.Helper()
	p := filepath.Join(dir, name)
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	hdr := recording.Header{Width: w, Height: h, Title: "demo \x1b]0;evil\x07session",
		Timestamp: time.Date(2026, 3, 4, 10, 20, 30, 0, time.UTC)}
	if audit != "" {
		hdr.Audit = []byte(audit)
	}
	wr, err := recording.NewWriter(f, hdr, recording.WriterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range events {
		if err := wr.WriteEvent(recording.Event{Time: sec(e.t), Code: e.code, Data: e.data}); err != nil {
			t.Fatal(err)
		}
	}
	if err := wr.Close(); err != nil {
		t.Fatal(err)
	}
	return p
}

// typed returns the input and echo events of text typed from t, one key
// every step seconds.
func typed(t, step float64, text string) []ev {
	var out []ev
	for i, r := range text {
		at := t + float64(i)*step
		out = append(out, ev{at, "i", string(r)})
		if r == '\r' {
			out = append(out, ev{at, "o", "\r\n"})
		} else {
			out = append(out, ev{at, "o", string(r)})
		}
	}
	return out
}

// shellRecording is a 100 s server session: commands typed, an idle gap,
// markers, a word that appears at 8 s.
func shellRecording(t testing.TB) string {
	var e []ev
	e = append(e, ev{0, "o", "\x1b[1;32malice@web-01\x1b[m:~$ "})
	e = append(e, typed(1, 0.1, "ls\r")...)
	e = append(e, ev{1.3, "o", "notes.txt  secrets.db\r\nalice@web-01:~$ "})
	e = append(e, ev{3, "m", "before the token"})
	e = append(e, typed(5, 0.1, "cat notes.txt\r")...)
	e = append(e, ev{8, "o", "the TOKEN-4711 is here\r\nalice@web-01:~$ "})
	e = append(e, ev{9, "i", "\x1b[A"}) // Up
	e = append(e, ev{40, "o", "clear"}) // a long idle gap 9 s -> 40 s
	e = append(e, ev{40.5, "o", "\x1b[H\x1b[2Jalice@web-01:~$ "})
	e = append(e, ev{60, "m", "after the gap"})
	e = append(e, typed(70, 0.2, "exit\r")...)
	e = append(e, ev{100, "o", "logout\r\n"}, ev{100, "x", "0"})
	audit := `{"user_name":"alice","user_email":"alice@example.com","resource_name":"web-01","category":"server"}`
	return writeRec(t, t.TempDir(), "shell.rec", audit, 80, 24, e)
}

// dbRecording is a psql session with an ok, a failed and a blocked query.
func dbRecording(t testing.TB) string {
	q := func(at float64, query, msg string, ms float64) ev {
		d, err := recording.EncodeQuery(recording.Query{Query: query, Message: msg, DurationMS: ms})
		if err != nil {
			t.Fatal(err)
		}
		return ev{at, "q", d}
	}
	var e []ev
	e = append(e, ev{0, "o", "psql (16.2)\r\nshop=> "})
	e = append(e, typed(1, 0.05, "SELECT count(*) FROM users;\r")...)
	e = append(e, ev{3, "o", " count \r\n-------\r\n    42\r\n(1 row)\r\n\r\nshop=> "})
	e = append(e, q(3, "SELECT count(*) FROM users;", "SELECT 1", 1.5))
	e = append(e, typed(10, 0.05, "SELEC oops;\r")...)
	e = append(e, ev{11, "o", "ERROR:  syntax error at or near \"SELEC\"\r\nshop=> "})
	e = append(e, q(11, "SELEC oops;", "ERROR:  syntax error at or near \"SELEC\"", 0.4))
	e = append(e, typed(20, 0.05, "DROP TABLE users;\r")...)
	e = append(e, ev{21, "o", "auditctl: blocked by rule 'DROP TABLE'\r\nshop=> "})
	e = append(e, q(21, "DROP TABLE users;", "blocked by rule 'DROP TABLE'", 0))
	e = append(e, ev{30, "o", "\\q\r\n"}, ev{30, "x", "0"})
	audit := `{"user_name":"bob","user_email":"bob@example.com","resource_name":"shop-db","category":"database"}`
	return writeRec(t, t.TempDir(), "db.rec", audit, 80, 24, e)
}

// harness drives a Model as bubbletea would: commands run in goroutines and
// their messages come back through a channel, except the playback clock's
// ticks, which tests send themselves.
type harness struct {
	t    testing.TB
	m    *Model
	msgs chan tea.Msg
	now  time.Time
	// wait bounds settle (10 s by default).
	wait time.Duration
}

func newHarness(t testing.TB, path string, o Options) *harness {
	t.Helper()
	o.Path = path
	if o.SeekDir == "" {
		o.SeekDir = t.TempDir()
	}
	m, err := New(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, m: m, msgs: make(chan tea.Msg, 64), now: time.Unix(1000, 0)}
	t.Cleanup(m.Close)
	h.run(m.Init())
	h.send(tea.WindowSizeMsg{Width: 120, Height: 30})
	return h
}

func (h *harness) run(cmd tea.Cmd) {
	if cmd == nil {
		return
	}
	go func() {
		msg := cmd()
		if _, ok := msg.(tickMsg); ok {
			return // tests send their own ticks
		}
		h.msgs <- msg
	}()
}

func (h *harness) send(msg tea.Msg) {
	if b, ok := msg.(tea.BatchMsg); ok {
		for _, c := range b {
			h.run(c)
		}
		return
	}
	_, cmd := h.m.Update(msg)
	h.run(cmd)
}

// key sends a key press by name: "space", "left", "shift+right", "enter",
// "tab", or a printable character.
func (h *harness) key(name string) {
	k := tea.KeyPressMsg{}
	switch name {
	case "space":
		k.Code, k.Text = tea.KeySpace, " "
	case "left":
		k.Code = tea.KeyLeft
	case "right":
		k.Code = tea.KeyRight
	case "shift+left":
		k.Code, k.Mod = tea.KeyLeft, tea.ModShift
	case "shift+right":
		k.Code, k.Mod = tea.KeyRight, tea.ModShift
	case "up":
		k.Code = tea.KeyUp
	case "down":
		k.Code = tea.KeyDown
	case "enter":
		k.Code = tea.KeyEnter
	case "tab":
		k.Code = tea.KeyTab
	case "esc":
		k.Code = tea.KeyEscape
	case "backspace":
		k.Code = tea.KeyBackspace
	default:
		r := []rune(name)[0]
		k.Code, k.Text = r, name
	}
	h.send(k)
}

func (h *harness) typeText(s string) {
	for _, r := range s {
		h.key(string(r))
	}
}

// tick advances the wall clock by d and sends the playback tick.
func (h *harness) tick(d time.Duration) {
	h.now = h.now.Add(d)
	h.send(tickMsg{gen: h.m.tickGen, t: h.now})
}

// settle processes messages until cond holds (or fails after 10 s).
func (h *harness) settle(what string, cond func() bool) {
	h.t.Helper()
	if h.wait == 0 {
		h.wait = 10 * time.Second
	}
	deadline := time.After(h.wait)
	for !cond() {
		select {
		case msg := <-h.msgs:
			h.send(msg)
		case <-deadline:
			h.t.Fatalf("timed out waiting for %s; screen:\n%s", what, h.view())
		}
	}
}

// idle waits until the background work the test depends on is done: the
// metadata pass, the index and any seek.
func (h *harness) ready() {
	h.t.Helper()
	h.settle("scan, index and seek", func() bool { return h.m.scanDone && !h.m.indexing && !h.m.seeking })
}

// goTo types s at the go-to prompt (t) and waits for the seek.
func (h *harness) goTo(s string) {
	h.t.Helper()
	h.key("t")
	h.typeText(s)
	h.key("enter")
	h.seeked()
}

func (h *harness) seeked() {
	h.t.Helper()
	h.settle("seek", func() bool { return !h.m.seeking })
}

func (h *harness) view() string {
	return ansi.Strip(h.m.View().Content)
}

// screen is the emulator part of the view (left of the panel).
func (h *harness) screen() string {
	var b strings.Builder
	for _, l := range h.m.frame.lines {
		b.WriteString(ansi.Strip(l))
		b.WriteByte('\n')
	}
	return b.String()
}

func mustRead(t testing.TB, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustWrite(t testing.TB, p, s string) {
	t.Helper()
	if err := os.WriteFile(p, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
}
