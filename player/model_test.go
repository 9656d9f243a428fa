package player

import (
	"fmt"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
)

func TestFirstScreenAndHeader(t *testing.T) {
	h := newHarness(t, shellRecording(t), Options{})
	h.send(tea.WindowSizeMsg{Width: 200, Height: 30})
	v := h.view()
	for _, want := range []string{"alice@web-01:~$", "user alice <alice@example.com>", "resource web-01 (server)",
		"started 2026-03-04 10:20:30 UTC", `demo \x1b]0;evil\x07session`} {
		if !strings.Contains(v, want) {
			t.Errorf("view lacks %q:\n%s", want, v)
		}
	}
	if strings.Contains(h.m.View().Content, "\x1b]0;evil") {
		t.Error("the recording's title reached the terminal unsanitized")
	}
	h.ready()
	v = h.view()
	if !strings.Contains(v, "01:40.0") { // duration 100 s
		t.Errorf("timeline lacks the duration:\n%s", v)
	}
	lines := strings.Split(v, "\n")
	if len(lines) != 30 {
		t.Errorf("view has %d lines, want 30", len(lines))
	}
}

func TestPlayPause(t *testing.T) {
	h := newHarness(t, shellRecording(t), Options{Paused: true})
	h.ready()
	if strings.Contains(h.screen(), "notes.txt") {
		t.Fatal("output of 1.3 s shown at 0")
	}
	h.key("space")
	if !h.m.playing {
		t.Fatal("space did not start playback")
	}
	h.tick(0)               // first tick: the clock starts
	h.tick(2 * time.Second) // 1x: now at 2 s
	if !strings.Contains(h.screen(), "notes.txt  secrets.db") {
		t.Fatalf("at 2 s the ls output should show:\n%s", h.screen())
	}
	if !strings.Contains(h.view(), "00:02.0") {
		t.Errorf("timeline does not show 00:02.0:\n%s", h.view())
	}
	h.key("space")
	if h.m.playing {
		t.Fatal("space did not pause")
	}
	h.tick(10 * time.Second) // ignored while paused
	if h.m.clock != 2*time.Second || strings.Contains(h.screen(), "TOKEN-4711") {
		t.Fatalf("clock moved while paused: %v", h.m.clock)
	}
	// Faster: 4x, 2 s of wall time is 8 s of recording.
	h.key("+")
	h.key("+")
	h.key("space")
	h.tick(0)
	h.tick(2 * time.Second)
	if h.m.clock != 10*time.Second {
		t.Fatalf("at 4x after 2 s the clock is %v, want 10s", h.m.clock)
	}
	if !strings.Contains(h.screen(), "TOKEN-4711") || !strings.Contains(h.view(), "4×") {
		t.Fatalf("at 10 s the token should show, speed 4×:\n%s", h.view())
	}
	// Play to the end: playback stops there.
	h.tick(time.Minute)
	if h.m.playing || h.m.clock != 100*time.Second || !strings.Contains(h.screen(), "logout") {
		t.Fatalf("playing=%v clock=%v at the end:\n%s", h.m.playing, h.m.clock, h.view())
	}
}

func TestIdleLimit(t *testing.T) {
	h := newHarness(t, shellRecording(t), Options{Paused: true})
	h.ready()
	h.key("i")
	h.key("right") // 5 s
	h.seeked()
	h.key("right") // 10 s: 1 s into the pause from 9 s to 40 s
	h.seeked()
	h.key("space")
	h.tick(0)
	// 3 s of wall time: 1 s more of the pause reaches the 2 s limit, the
	// clock goes on from 40 s, and the 2 s left bring it to 42 s.
	h.tick(3 * time.Second)
	if h.m.clock != 42*time.Second {
		t.Fatalf("with the idle limit the clock is %v, want 42s", h.m.clock)
	}
	if !strings.Contains(h.view(), "idle≤2s") {
		t.Errorf("timeline does not show the idle limit:\n%s", h.view())
	}
	h.key("i")
	h.key("space")
	h.key("left") // back to 37 s: in the gap again
	h.seeked()
	h.key("space")
	h.tick(0)
	h.tick(2 * time.Second)
	if h.m.clock != 39*time.Second {
		t.Fatalf("without the idle limit the clock is %v, want 39s", h.m.clock)
	}
}

func TestSeekKeys(t *testing.T) {
	h := newHarness(t, shellRecording(t), Options{})
	h.ready()
	steps := []struct {
		key  string
		want time.Duration
	}{
		{"5", 50 * time.Second},
		{"right", 55 * time.Second},
		{"left", 50 * time.Second},
		{"shift+right", 100 * time.Second}, // clamped at the end
		{"shift+left", 40 * time.Second},
		{"[", 0},
		{"]", 60 * time.Second},
		{"G", 100 * time.Second},
		{"g", 0},
		{"m", 3 * time.Second},
		{"m", 60 * time.Second},
		{"M", 3 * time.Second},
		{"0", 0},
		{"9", 90 * time.Second},
	}
	for _, s := range steps {
		h.key(s.key)
		h.seeked()
		if h.m.clock != s.want {
			t.Fatalf("after %q the clock is %v, want %v", s.key, h.m.clock, s.want)
		}
		if !strings.Contains(h.view(), fmtOffset(s.want)) {
			t.Fatalf("after %q the timeline does not show %s:\n%s", s.key, fmtOffset(s.want), h.view())
		}
	}
	// The screen follows seeks: at 50 % the idle gap's clear happened.
	h.key("5")
	h.seeked()
	if sc := h.screen(); strings.Contains(sc, "TOKEN-4711") || !strings.Contains(sc, "alice@web-01:~$") {
		t.Fatalf("screen at 50 s:\n%s", sc)
	}
	h.key("1") // 10 s: before the clear
	h.seeked()
	if !strings.Contains(h.screen(), "TOKEN-4711") {
		t.Fatalf("screen at 10 s:\n%s", h.screen())
	}
}

func TestStep(t *testing.T) {
	h := newHarness(t, shellRecording(t), Options{})
	h.ready()
	var times []time.Duration
	for range 4 {
		h.key(".")
		h.settle("step", func() bool { return !h.m.stepping })
		times = append(times, h.m.clock)
	}
	want := []time.Duration{sec(1), sec(1.1), sec(1.2), sec(1.3)}
	for i := range want {
		if d := times[i] - want[i]; d < -time.Microsecond || d > time.Microsecond {
			t.Fatalf("steps went to %v, want %v", times, want)
		}
	}
	if !strings.Contains(h.screen(), "notes.txt") {
		t.Fatalf("after stepping to 1.3 s:\n%s", h.screen())
	}
}

func TestKeystrokePanel(t *testing.T) {
	h := newHarness(t, shellRecording(t), Options{})
	h.ready()
	// Keys typed one by one are grouped into words, as `sessions
	// keystrokes` does: "cat notes.txt" is one row, not 13.
	v := h.view()
	for _, want := range []string{"Keystrokes (7)", "00:01.0 ls ", "00:01.2 <Enter>", "00:05.0 cat notes.txt ",
		"00:06.3 <Enter>", "00:09.0 <Up>", "01:10.0 exit "} {
		if !strings.Contains(v, want) {
			t.Fatalf("panel lacks %q:\n%s", want, v)
		}
	}
	h.key("1") // 10 s
	h.seeked()
	if !strings.Contains(h.view(), "▶00:09.0 <Up>") {
		t.Fatalf("the current key at 10 s should be Up:\n%s", h.view())
	}
	// Select the row two above ("cat notes.txt", typed from 5 s) and jump there.
	h.key("up")
	h.key("up")
	if !strings.Contains(h.view(), "›00:05.0 cat notes.txt") {
		t.Fatalf("selection should be on the row at 5 s:\n%s", h.view())
	}
	h.key("enter")
	h.seeked()
	if h.m.clock != 5*time.Second {
		t.Fatalf("enter on the row went to %v", h.m.clock)
	}
	if sc := h.screen(); !strings.Contains(sc, "~$ c") || strings.Contains(sc, "cat") {
		t.Fatalf("screen at 5 s:\n%s", sc)
	}
	if !strings.Contains(h.view(), "▶00:05.0 cat notes.txt") {
		t.Fatalf("the current row after the jump:\n%s", h.view())
	}
	// c: the command lines, as `sessions keystrokes --commands`; the
	// history key makes the last-but-one uncertain.
	h.key("c")
	v = h.view()
	for _, want := range []string{"Commands (3)", "00:01.0 ls ", "▶00:05.0 cat notes.txt ", "00:09.0 ? exit "} {
		if !strings.Contains(v, want) {
			t.Fatalf("command view lacks %q:\n%s", want, v)
		}
	}
	h.key(">")
	h.seeked()
	if h.m.clock != 9*time.Second {
		t.Fatalf("> in the command view went to %v", h.m.clock)
	}
	h.key("c")
	if !strings.Contains(h.view(), "Keystrokes (7)") {
		t.Fatalf("c did not go back to the keys:\n%s", h.view())
	}
}

func TestQueryPanel(t *testing.T) {
	h := newHarness(t, dbRecording(t), Options{})
	h.ready()
	v := h.view()
	for _, want := range []string{"Queries (3), 1 blocked", "SELECT count(*) FROM users;", "BLOCKED",
		"DROP TABLE users;", "ERROR", "SELEC oops;", "1.5ms", "user bob <bob@example.com>", "resource shop-db (database)"} {
		if !strings.Contains(v, want) {
			t.Fatalf("view lacks %q:\n%s", want, v)
		}
	}
	// Focus the queries, select the blocked one, jump.
	h.key("tab")
	h.key("G")
	h.seeked()
	h.key("g")
	h.seeked()
	h.key("down") // follow was on at 0 (no current query): selection starts at 0
	h.key("down")
	h.key("enter")
	h.seeked()
	if h.m.clock != 21*time.Second {
		t.Fatalf("enter on the third query went to %v", h.m.clock)
	}
	if !strings.Contains(h.screen(), "blocked by rule") {
		t.Fatalf("screen at 21 s:\n%s", h.screen())
	}
	if !strings.Contains(h.view(), "▶00:21.0 BLOCKED") {
		t.Fatalf("the blocked query is not the current one:\n%s", h.view())
	}
}

func TestSearch(t *testing.T) {
	h := newHarness(t, shellRecording(t), Options{})
	h.ready()
	h.key("/")
	h.typeText("token-4711") // smart case: lower case matches TOKEN
	if !strings.Contains(h.view(), "search: token-4711") {
		t.Fatalf("prompt:\n%s", h.view())
	}
	h.key("enter")
	h.settle("search", func() bool { return h.m.srch != nil && h.m.srch.done && !h.m.seeking })
	if h.m.clock != 8*time.Second || !strings.Contains(h.screen(), "TOKEN-4711") {
		t.Fatalf("search jumped to %v:\n%s", h.m.clock, h.view())
	}
	if !strings.Contains(h.view(), `search "token-4711": 1 match`) {
		t.Fatalf("status:\n%s", h.view())
	}
	// "~$ " needs a key typed after the prompt (rows are trimmed): it
	// appears at 1 s (ls), stays until the clear at 40.5 s, and appears
	// again at 70 s (exit). n and N walk the matches.
	h.key("/")
	h.typeText("~$ ")
	h.key("enter")
	h.settle("search", func() bool { return h.m.srch.done && !h.m.seeking })
	if h.m.clock != sec(1) {
		t.Fatalf("search went to %v, want 1s", h.m.clock)
	}
	h.key("n")
	h.seeked()
	if h.m.clock != sec(70) {
		t.Fatalf("n went to %v (matches %v)", h.m.clock, h.m.srch.matches)
	}
	h.key("n")
	if !strings.Contains(h.view(), "no more matches") {
		t.Fatalf("n past the last match:\n%s", h.view())
	}
	h.key("N")
	h.seeked()
	if h.m.clock != sec(1) {
		t.Fatalf("N went to %v", h.m.clock)
	}
	// Not found.
	h.key("/")
	h.typeText("nowhere")
	h.key("enter")
	h.settle("search", func() bool { return h.m.srch.done })
	if !strings.Contains(h.view(), `search "nowhere": not found`) {
		t.Fatalf("status:\n%s", h.view())
	}
}

func TestResizeAndClip(t *testing.T) {
	var e []ev
	var row strings.Builder
	for i := range 200 {
		row.WriteByte(byte('a' + i%26))
	}
	for r := range 60 {
		e = append(e, ev{float64(r) * 0.01, "o", row.String()[:199] + string(rune('A'+r%26)) + "\r\n"})
	}
	p := writeRec(t, t.TempDir(), "big.rec", "", 200, 60, e)
	h := newHarness(t, p, Options{})
	h.ready()
	h.key("G")
	h.seeked()
	v := h.view()
	if !strings.Contains(v, "clipped 200x60→120x27") || strings.Contains(v, "Keystrokes") {
		t.Fatalf("no clip indicator, or a panel:\n%s", v)
	}
	for _, l := range strings.Split(v, "\n") {
		if w := len([]rune(l)); w > 120 {
			t.Fatalf("line wider than the window (%d): %q", w, l)
		}
	}
	// Bigger window: re-laid out, the whole width shown, no indicator.
	h.send(tea.WindowSizeMsg{Width: 260, Height: 70})
	v = h.view()
	if strings.Contains(v, "clipped") {
		t.Fatalf("still clipped in 260x70:\n%s", v)
	}
	if !strings.Contains(v, row.String()[:199]+"B") { // the second-to-last row (the last one is blank)
		t.Fatalf("full row not shown:\n%s", v)
	}
	if n := len(strings.Split(v, "\n")); n != 70 {
		t.Fatalf("%d lines for a 70-line window", n)
	}
}

func TestHelpAndQuit(t *testing.T) {
	h := newHarness(t, shellRecording(t), Options{})
	h.key("?")
	if !strings.Contains(h.view(), "next / previous match") {
		t.Fatalf("help:\n%s", h.view())
	}
	// In a short window the help scrolls: the last keys come into view.
	h.send(tea.WindowSizeMsg{Width: 80, Height: 24})
	if v := h.view(); !strings.Contains(v, "↓ more") || strings.Contains(v, "stop a search, close this help") {
		t.Fatalf("help at 80x24:\n%s", v)
	}
	for range 20 {
		h.key("down")
	}
	if v := h.view(); strings.Contains(v, "↓ more") || !strings.Contains(v, "stop a search, close this help") || !strings.Contains(v, "Timeline: ● the position") {
		t.Fatalf("help scrolled down:\n%s", v)
	}
	h.key("up")
	if !strings.Contains(h.view(), "↓ more") {
		t.Fatalf("up did not scroll back at once:\n%s", h.view())
	}
	h.key("x")
	if h.m.help {
		t.Fatal("a key did not close the help")
	}
	_, cmd := h.m.Update(tea.KeyPressMsg{Code: 'q', Text: "q"})
	if cmd == nil {
		t.Fatal("q returned no command")
	}
	if _, ok := cmd().(tea.QuitMsg); !ok {
		t.Fatal("q does not quit")
	}
}

func TestNoIndexSeeks(t *testing.T) {
	h := newHarness(t, shellRecording(t), Options{NoIndex: true})
	h.settle("scan", func() bool { return h.m.scanDone })
	h.key("1")
	h.seeked()
	if h.m.clock != 10*time.Second || !strings.Contains(h.screen(), "TOKEN-4711") {
		t.Fatalf("seek without an index: %v\n%s", h.m.clock, h.screen())
	}
}

func TestDamagedRecording(t *testing.T) {
	p := writeRec(t, t.TempDir(), "ok.rec", "", 80, 24, []ev{{0, "o", "first line\r\n"}, {1, "o", "second line\r\n"}, {2, "o", "third\r\n"}})
	// Break the second event's line.
	b := mustRead(t, p)
	lines := strings.Split(string(b), "\n")
	lines[2] = `[1.0, "o", "broken`
	mustWrite(t, p, strings.Join(lines, "\n"))
	h := newHarness(t, p, Options{NoIndex: true})
	h.settle("scan", func() bool { return h.m.scanDone })
	h.key("G")
	h.seeked()
	if sc := h.screen(); !strings.Contains(sc, "first line") || !strings.Contains(sc, "third") {
		t.Fatalf("readable part not shown:\n%s", h.view())
	}
	if !strings.Contains(h.view(), "1 bad line skipped") {
		t.Fatalf("no word about the bad line:\n%s", h.view())
	}
}

// TestPlayThroughIndex plays a recording of output bursts whose index has
// snapshots every few KB: ticks that cross a snapshot seek in the background
// instead of replaying in Update, and the screen is the same as replaying.
func TestPlayThroughIndex(t *testing.T) {
	var e []ev
	for i := range 200 {
		e = append(e, ev{float64(i) * 0.1, "o", strings.Repeat(fmt.Sprintf("line %04d ", i), 50) + "\r\n"})
	}
	p := writeRec(t, t.TempDir(), "bursts.rec", "", 80, 24, e)
	h := newHarness(t, p, Options{stride: 4 << 10, Paused: true})
	h.ready()
	if len(h.m.ix.Points) < 10 {
		t.Fatalf("only %d index points", len(h.m.ix.Points))
	}
	seeks := h.m.seekSeq
	h.key("+")
	h.key("+")
	h.key("+")
	h.key("+") // 16x
	h.key("space")
	h.tick(0)
	for range 40 {
		h.tick(frameInterval)
		h.seeked()
	}
	if h.m.seekSeq == seeks {
		t.Fatal("no tick went through the index")
	}
	if h.m.playing {
		// 40 ticks at 16x: 21 s > 19.9 s
		t.Fatalf("still playing at %v", h.m.clock)
	}
	if !strings.Contains(h.screen(), "line 0199") {
		t.Fatalf("last screen:\n%s", h.screen())
	}
}

func TestSearchCancel(t *testing.T) {
	var e []ev
	for i := range 20000 {
		e = append(e, ev{float64(i) * 0.01, "o", fmt.Sprintf("row %d\r\n", i)})
	}
	e = append(e, ev{300, "o", "needle\r\n"})
	p := writeRec(t, t.TempDir(), "long.rec", "", 80, 24, e)
	h := newHarness(t, p, Options{Paused: true})
	h.wait = time.Minute // two searches of 20,000 events, under -race on a busy machine
	h.ready()
	old := batchEvery
	batchEvery = 0 // report after every batch: the search is seen running
	t.Cleanup(func() { batchEvery = old })
	h.key("/")
	h.typeText("needle")
	h.key("enter")
	h.settle("search progress", func() bool { return h.m.srch.at > 0 || h.m.srch.done })
	if h.m.srch.done {
		t.Skip("the search finished before it could be canceled")
	}
	if !strings.Contains(h.view(), "esc stops") {
		t.Fatalf("no progress shown:\n%s", h.view())
	}
	h.key("esc")
	if !strings.Contains(h.view(), "search canceled") || !h.m.srch.done {
		t.Fatalf("esc did not stop the search:\n%s", h.view())
	}
	// Searching again finds it.
	h.key("/")
	h.typeText("needle")
	h.key("enter")
	h.settle("search", func() bool { return h.m.srch.done && !h.m.seeking })
	if h.m.clock != 300*time.Second {
		t.Fatalf("search went to %v", h.m.clock)
	}
}

func TestGotoTime(t *testing.T) {
	h := newHarness(t, shellRecording(t), Options{})
	h.ready()
	for _, c := range []struct {
		in   string
		want time.Duration
	}{{"1:30", 90 * time.Second}, {"8", 8 * time.Second}, {"1m5.5s", sec(65.5)}, {"25%", 25 * time.Second}, {"0:00:07.5", sec(7.5)}} {
		h.goTo(c.in)
		if h.m.clock != c.want {
			t.Errorf("go to %q: %v, want %v", c.in, h.m.clock, c.want)
		}
	}
	h.key(":")
	h.typeText("soon")
	h.key("enter")
	if !strings.Contains(h.view(), `not a time: "soon"`) {
		t.Fatalf("bad time accepted:\n%s", h.view())
	}
}

func TestStartAt(t *testing.T) {
	var got time.Duration
	h := newHarness(t, shellRecording(t), Options{Start: func(d time.Duration) (time.Duration, error) {
		got = d
		return d / 2, nil
	}})
	h.ready()
	h.seeked()
	if got != 100*time.Second || h.m.clock != 50*time.Second {
		t.Fatalf("Start got duration %v, player at %v", got, h.m.clock)
	}
}

func TestCurrentKeyKeptInView(t *testing.T) {
	h := newHarness(t, shellRecording(t), Options{})
	h.send(tea.WindowSizeMsg{Width: 120, Height: 10}) // 6 lines of keys
	h.ready()
	h.goTo("70.4")
	v := h.view()
	if !strings.Contains(v, "▶01:10.0 exit") {
		t.Fatalf("the current key is not in view:\n%s", v)
	}
	if strings.Contains(v, "00:01.0 ls") {
		t.Fatalf("the panel did not scroll:\n%s", v)
	}
	for _, l := range strings.Split(v, "\n") {
		if n := len([]rune(l)); n > 120 {
			t.Fatalf("line of %d columns in a 120-column window: %q", n, l)
		}
	}
}

func TestNextEntry(t *testing.T) {
	h := newHarness(t, dbRecording(t), Options{})
	h.ready()
	h.key(">")
	h.seeked()
	if h.m.clock != sec(1) {
		t.Fatalf("> went to %v, want the first key at 1s", h.m.clock)
	}
	h.key("tab") // queries
	h.key(">")
	h.seeked()
	h.key(">")
	h.seeked()
	if h.m.clock != 11*time.Second {
		t.Fatalf("> > on queries went to %v", h.m.clock)
	}
	h.key("<")
	h.seeked()
	if h.m.clock != 3*time.Second {
		t.Fatalf("< on queries went to %v", h.m.clock)
	}
}

// TestAutoplay: the player plays on open, as asciinema and tsh do; Paused
// opens it paused.
func TestAutoplay(t *testing.T) {
	h := newHarness(t, shellRecording(t), Options{})
	if !h.m.playing || !strings.Contains(h.view(), "▶ ") {
		t.Fatalf("not playing on open:\n%s", h.view())
	}
	h.tick(0)
	h.tick(2 * time.Second)
	if h.m.clock != 2*time.Second || !strings.Contains(h.screen(), "notes.txt  secrets.db") {
		t.Fatalf("the clock did not advance by itself: %v\n%s", h.m.clock, h.view())
	}
	h.key("space")
	if h.m.playing {
		t.Fatal("space did not pause")
	}

	p := newHarness(t, shellRecording(t), Options{Paused: true})
	p.tick(0)
	p.tick(2 * time.Second)
	if p.m.playing || p.m.clock != 0 || !strings.Contains(p.view(), "❚❚ 00:00.0") {
		t.Fatalf("Paused: playing=%v clock=%v\n%s", p.m.playing, p.m.clock, p.view())
	}

	// With a start moment (--at), it plays from there.
	s := newHarness(t, shellRecording(t), Options{Start: func(d time.Duration) (time.Duration, error) { return d / 2, nil }})
	s.ready()
	s.seeked()
	s.tick(0)
	s.tick(time.Second)
	if !s.m.playing || s.m.clock != 51*time.Second {
		t.Fatalf("--at 50%%: playing=%v clock=%v", s.m.playing, s.m.clock)
	}
}

// TestStatusExpires: a status message goes away after statusTTL, unless a
// newer one replaced it, through a tea.Tick (Update never sleeps).
func TestStatusExpires(t *testing.T) {
	old := statusTTL
	statusTTL = 50 * time.Millisecond
	t.Cleanup(func() { statusTTL = old })
	h := newHarness(t, shellRecording(t), Options{Paused: true})
	h.ready()
	h.key("i")
	if !strings.Contains(h.view(), "idle limit on") {
		t.Fatalf("no status:\n%s", h.view())
	}
	gen := h.m.statusGen
	h.key("i") // replaces it: the first one's timer must not clear the second early
	h.send(statusExpiredMsg{gen: gen})
	if !strings.Contains(h.view(), "idle limit off") {
		t.Fatalf("a stale timer cleared the newer message:\n%s", h.view())
	}
	h.settle("the status to expire", func() bool { return h.m.status == "" })
	if strings.Contains(h.view(), "idle limit") {
		t.Fatalf("status still shown:\n%s", h.view())
	}
}

func TestHeaderNamesFile(t *testing.T) {
	dir := t.TempDir()
	p := writeRec(t, dir, "prod-db \x1b]52;c;ZXZpbA==\x07.rec", "", 80, 24, []ev{{0, "o", "x"}})
	h := newHarness(t, p, Options{Paused: true})
	v := h.view()
	if !strings.Contains(strings.SplitN(v, "\n", 2)[0], `auditctl player · prod-db \x1b]52;c;ZXZpbA==\x07.rec`) {
		t.Fatalf("the header does not name the file (sanitized):\n%s", v)
	}
}

// TestGotoPastEnd: a go-to past the end says so, instead of clamping
// silently.
func TestGotoPastEnd(t *testing.T) {
	h := newHarness(t, shellRecording(t), Options{Paused: true})
	h.ready()
	h.goTo("99:00")
	if h.m.clock != 100*time.Second || !strings.Contains(h.view(), "99:00 is past the end of the recording (01:40.0)") {
		t.Fatalf("go to 99:00 of 1:40: clock %v\n%s", h.m.clock, h.view())
	}
	// Before the duration is known (no index, metadata pass not done):
	// found by reading.
	n := newHarness(t, shellRecording(t), Options{Paused: true, NoIndex: true})
	n.settle("scan", func() bool { return n.m.scanDone })
	n.m.scanDone = false
	n.run(n.m.gotoTime("99:00"))
	n.settle("seek", func() bool { return !n.m.seeking })
	if n.m.clock != 100*time.Second || !strings.Contains(n.view(), "99:00 is past the end of the recording (01:40.0)") {
		t.Fatalf("go to 99:00 while reading: clock %v\n%s", n.m.clock, n.view())
	}
}

// TestPanelsHide: the panels hide themselves when empty and when the
// recording would be clipped beside them; p hides and shows them.
func TestPanelsHide(t *testing.T) {
	// No input recorded: no keystroke panel, the screen gets the width.
	p := writeRec(t, t.TempDir(), "out.rec", "", 80, 24, []ev{{0, "o", "only output"}, {1, "o", "!"}})
	h := newHarness(t, p, Options{Paused: true})
	h.ready()
	if v := h.view(); strings.Contains(v, "Keystrokes") || strings.Contains(v, "│") || h.m.layout().screenW != 120 {
		t.Fatalf("empty panel shown:\n%s", v)
	}
	// p shows it anyway (nothing in it), p again hides it.
	h.key("p")
	if v := h.view(); !strings.Contains(v, "Keystrokes (0)") || !strings.Contains(v, "panels shown") {
		t.Fatalf("p did not show the panels:\n%s", v)
	}
	h.key("p")
	if v := h.view(); strings.Contains(v, "Keystrokes") || !strings.Contains(v, "panels hidden") {
		t.Fatalf("p did not hide the panels:\n%s", v)
	}

	// An 80-column recording with keys: beside it at 120 columns (the
	// panel shrinks to leave it room), hidden at 100, where it would clip it.
	s := newHarness(t, shellRecording(t), Options{Paused: true})
	s.ready()
	if l := s.m.layout(); l.screenW < 80 || l.panelW < minPanelW || !strings.Contains(s.view(), "Keystrokes (7)") {
		t.Fatalf("at 120 columns: %+v\n%s", l, s.view())
	}
	s.send(tea.WindowSizeMsg{Width: 100, Height: 30})
	if v := s.view(); strings.Contains(v, "Keystrokes") || strings.Contains(v, "clipped") {
		t.Fatalf("at 100 columns the panel should give way to the 80-column screen:\n%s", v)
	}
	s.key("p") // asked for: shown, and the screen is clipped
	if v := s.view(); !strings.Contains(v, "Keystrokes (7)") || !strings.Contains(v, "clipped 80x24→") || !strings.Contains(v, "»") {
		t.Fatalf("p at 100 columns:\n%s", v)
	}
	s.key("p")
	s.send(tea.WindowSizeMsg{Width: 160, Height: 30})
	if strings.Contains(s.view(), "Keystrokes") {
		t.Fatalf("hidden by the user, the panel came back:\n%s", s.view())
	}
	for _, l := range strings.Split(s.view(), "\n") {
		if n := ansi.StringWidth(l); n != 160 {
			t.Fatalf("line of %d columns in a 160-column window: %q", n, l)
		}
	}
}

// TestTerminalRepliesInPanel: a cursor position report answering the
// program's query is labelled a reply in the panel and stays out of the
// command lines, as in `sessions keystrokes`.
func TestTerminalRepliesInPanel(t *testing.T) {
	var e []ev
	e = append(e, ev{0, "o", "$ \x1b[6n"})
	e = append(e, ev{0.1, "i", "\x1b[2;3R"})
	e = append(e, typed(1, 0.1, "id\r")...)
	p := writeRec(t, t.TempDir(), "replies.rec", "", 60, 10, e)
	h := newHarness(t, p, Options{Paused: true})
	h.send(tea.WindowSizeMsg{Width: 160, Height: 30})
	h.ready()
	v := h.view()
	if !strings.Contains(v, "00:00.1 ‹reply: cursor position 2;3›") || !strings.Contains(v, "00:01.0 id ") {
		t.Fatalf("the reply is not labelled:\n%s", v)
	}
	h.key("c")
	if v := h.view(); !strings.Contains(v, "Commands (1)") || !strings.Contains(v, " 00:01.0 id ") || strings.Contains(v, "? id") {
		t.Fatalf("the reply entered the command lines:\n%s", v)
	}
}
