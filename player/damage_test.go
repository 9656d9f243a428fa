package player

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
)

// longDamaged writes a 38:41.5 asciicast v2 recording (the header gives the
// duration) with one bad line at line 7, after the event of 2 s; with cut,
// the file ends mid-line after the event of 20:00 instead (a recorder
// killed while writing), and without header, its length is not known.
func longDamaged(t *testing.T, cut, duration bool) string {
	t.Helper()
	hdr := `{"version": 2, "width": 80, "height": 24}`
	if duration {
		hdr = `{"version": 2, "width": 80, "height": 24, "duration": 2321.5}`
	}
	lines := []string{
		hdr,
		`[0.0, "o", "start of session\r\n$ "]`,
		`[1.0, "i", "ls"]`,
		`[1.1, "i", "\r"]`,
		`[1.1, "o", "ls\r\nfile\r\n$ "]`,
		`[2.0, "o", "before the damage\r\n$ "]`,
		`[2.5, "o", "broken`, // line 7: skipped
		`[600.0, "i", "whoami\r"]`,
		`[600.0, "o", "whoami\r\nroot\r\n$ "]`,
		`[1200.0, "i", "id\r"]`,
		`[1200.0, "o", "id\r\nuid=0(root)\r\n$ "]`,
	}
	if cut {
		lines = append(lines, `[1800.0, "o", "half a li`) // line 12, no newline: the file ends here
	} else {
		lines = append(lines, `[2321.5, "i", "exit\r"]`, `[2321.5, "o", "the end\r\n"]`, "")
	}
	p := filepath.Join(t.TempDir(), "long.cast")
	mustWrite(t, p, strings.Join(lines, "\n"))
	return p
}

// TestDamagedLongRecording is issue 10's case: one bad line near the start
// of a 38-minute recording. The player plays the whole recording (the
// reader goes on past the bad line), says where the line was, and the
// panel marks it among the keys.
func TestDamagedLongRecording(t *testing.T) {
	for _, index := range []bool{true, false} {
		t.Run(fmt.Sprintf("index=%v", index), func(t *testing.T) {
			h := newHarness(t, longDamaged(t, false, true), Options{Paused: true, NoIndex: !index})
			h.ready()
			v := h.view()
			for _, want := range []string{
				"❚❚ 00:00.0 / 38:41.5", "✗ 1 bad line",
				"damaged: 1 bad line skipped: line 7, at 00:02.0",
				// The keys in time order, the bad line between them.
				" 00:01.1 <Enter>", "✗00:02.0 line 7 skipped", " 10:00.0 whoami",
			} {
				if !strings.Contains(v, want) {
					t.Fatalf("view lacks %q:\n%s", want, v)
				}
			}
			if strings.Index(v, "00:01.1 <Enter>") > strings.Index(v, "✗00:02.0 line 7") ||
				strings.Index(v, "✗00:02.0 line 7") > strings.Index(v, "10:00.0 whoami") {
				t.Fatalf("the bad line is not between the keys of 1.1 s and 10:00:\n%s", v)
			}
			if strings.Contains(v, "this screen may miss events") {
				t.Fatalf("at 0 the screen is exact:\n%s", v)
			}
			// The end is reachable: the screen after the bad line.
			h.key("G")
			h.seeked()
			if h.m.clock != sec(2321.5) || !strings.Contains(h.screen(), "the end") {
				t.Fatalf("G: clock %v\n%s", h.m.clock, h.view())
			}
			if !strings.Contains(h.view(), "this screen may miss events") {
				t.Fatalf("past the bad line the status does not say the screen may miss events:\n%s", h.view())
			}
		})
	}
}

// TestTruncatedRecording: a file cut mid-line after 20:00 of a recording
// whose header says 38:41.5. The timeline shows the whole recording, the
// part that cannot be read and where it breaks; seeking or playing past
// the break says so; the panel marks the break.
func TestTruncatedRecording(t *testing.T) {
	h := newHarness(t, longDamaged(t, true, true), Options{Paused: true})
	h.ready()
	v := h.view()
	for _, want := range []string{
		"❚❚ 00:00.0 / 38:41.5", "✗ readable to 20:00.0", "╌", // the lost part of the bar
		"damaged: unreadable from line 12 on, after 20:00.0 of 38:41.5; 1 bad line skipped: line 7, at 00:02.0",
		"✗00:02.0 line 7 skipped", "✗20:00.0 breaks: line 12",
	} {
		if !strings.Contains(v, want) {
			t.Fatalf("view lacks %q:\n%s", want, v)
		}
	}
	// 50 % is 19:20: readable. 60 % is 23:13: past the break.
	h.key("5")
	h.seeked()
	if h.m.clock != sec(2321.5)/2 || strings.Contains(h.view(), "lies past") {
		t.Fatalf("50%%: clock %v\n%s", h.m.clock, h.view())
	}
	h.key("6")
	h.seeked()
	if h.m.clock != 20*time.Minute || !strings.Contains(h.screen(), "uid=0(root)") ||
		!strings.Contains(h.view(), "23:12.9 lies past the damage: the recording is unreadable after 20:00.0 (line 12)") {
		t.Fatalf("60%%: clock %v\n%s", h.m.clock, h.view())
	}
	h.goTo("30:00")
	if h.m.clock != 20*time.Minute || !strings.Contains(h.view(), "30:00.0 lies past the damage") {
		t.Fatalf("go to 30:00: clock %v\n%s", h.m.clock, h.view())
	}
	// While playing, a seek past the break stops there with its message,
	// which the next tick does not replace.
	h.key("1")
	h.seeked()
	h.key("space")
	h.tick(0)
	h.key("9")
	h.seeked()
	h.tick(frameInterval)
	h.tick(frameInterval)
	if h.m.playing || !strings.Contains(h.view(), "34:49.3 lies past the damage") {
		t.Fatalf("9 while playing: playing=%v\n%s", h.m.playing, h.view())
	}
	// G is the last readable moment; playing stops at the break and says so.
	h.key("g")
	h.seeked()
	h.send(statusExpiredMsg{gen: h.m.statusGen})
	h.key("G")
	h.seeked()
	if h.m.clock != 20*time.Minute || strings.Contains(h.view(), "lies past") {
		t.Fatalf("G: clock %v\n%s", h.m.clock, h.view())
	}
	h.goTo("19:59")
	h.key("space")
	h.tick(0)
	h.tick(5 * time.Second)
	h.seeked()
	if h.m.playing || h.m.clock != 20*time.Minute ||
		!strings.Contains(h.view(), "the recording is unreadable after 20:00.0 (line 12): end of the readable part") {
		t.Fatalf("playing into the break: playing=%v clock=%v\n%s", h.m.playing, h.m.clock, h.view())
	}
}

// TestTruncatedUnknownLength: without a duration in the header, how long
// the lost part is cannot be known: the timeline says "≥".
func TestTruncatedUnknownLength(t *testing.T) {
	h := newHarness(t, longDamaged(t, true, false), Options{Paused: true})
	h.ready()
	v := h.view()
	for _, want := range []string{"❚❚ 00:00.0 / ≥20:00.0", "✗ readable to 20:00.0",
		"damaged: unreadable from line 12 on, after 20:00.0 (how long the rest is, is not known)",
		"✗20:00.0 breaks: line 12"} {
		if !strings.Contains(v, want) {
			t.Fatalf("view lacks %q:\n%s", want, v)
		}
	}
	h.goTo("30:00")
	if h.m.clock != 20*time.Minute || !strings.Contains(h.view(), "30:00.0 lies past the damage: the recording is unreadable after 20:00.0 (line 12)") {
		t.Fatalf("go to 30:00: clock %v\n%s", h.m.clock, h.view())
	}
}

// TestTruncatedGzip: a compressed recording cut short breaks where the
// stream ends.
func TestTruncatedGzip(t *testing.T) {
	var e []ev
	for i := range 2000 {
		e = append(e, ev{float64(i), "o", fmt.Sprintf("line %d of a long session %s\r\n", i, strings.Repeat("x", i%50))})
	}
	plain := mustRead(t, writeRec(t, t.TempDir(), "s.rec", "", 80, 24, e))
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(plain)
	zw.Close()
	p := filepath.Join(t.TempDir(), "s.rec.gz")
	mustWrite(t, p, string(gz.Bytes()[:gz.Len()/2]))
	h := newHarness(t, p, Options{Paused: true})
	h.ready()
	v := h.view()
	if !strings.Contains(v, "✗ readable to ") || !strings.Contains(v, "damaged: unreadable from line ") {
		t.Fatalf("a truncated gzip file:\n%s", v)
	}
	h.key("G")
	h.seeked()
	at, _ := h.m.breakAt()
	if h.m.clock != at || at <= 0 || at >= 1999*time.Second {
		t.Fatalf("G went to %v, the break is at %v", h.m.clock, at)
	}
}

// TestDamageMarkedInQueryPanel: the query panel marks the damage too.
func TestDamageMarkedInQueryPanel(t *testing.T) {
	p := dbRecording(t)
	b := mustRead(t, p)
	lines := strings.Split(string(b), "\n")
	// Break the line after the first query (a skippable bad line).
	for i, l := range lines {
		if strings.Contains(l, `"q"`) {
			lines = append(lines[:i+1], append([]string{`[0.5, "o", "torn`}, lines[i+1:]...)...)
			break
		}
	}
	mustWrite(t, p, strings.Join(lines, "\n"))
	h := newHarness(t, p, Options{Paused: true})
	h.send(tea.WindowSizeMsg{Width: 140, Height: 40})
	h.ready()
	v := h.view()
	q1, fl, q2 := strings.Index(v, "00:03.0 ok"), strings.Index(v, "its event is lost"), strings.Index(v, "00:11.0 ERROR")
	if q1 < 0 || fl < 0 || q2 < 0 || !(q1 < fl && fl < q2) {
		t.Fatalf("the query panel does not mark the bad line between the queries:\n%s", v)
	}
}

// TestDamageFromCachedIndex: the damage is known from a seek index read
// back from the cache (a second opening), as from one just built.
func TestDamageFromCachedIndex(t *testing.T) {
	p := longDamaged(t, true, true)
	dir := t.TempDir()
	for i := range 2 {
		h := newHarness(t, p, Options{Paused: true, IndexThreshold: 1, SeekDir: dir})
		h.settle("the index", func() bool { return h.m.ix != nil })
		d := h.m.ix.Damage()
		if d.Break == nil || d.Break.Line != 12 || d.Readable != 20*time.Minute || d.Skipped != 1 || d.Flaws[0].Line != 7 {
			t.Fatalf("opening %d: the index's damage %+v", i+1, d)
		}
		h.ready()
		if v := h.view(); !strings.Contains(v, "✗ readable to 20:00.0") || !strings.Contains(v, "✗00:02.0 line 7 skipped") {
			t.Fatalf("opening %d:\n%s", i+1, v)
		}
	}
	if files, _ := filepath.Glob(filepath.Join(dir, "*.idx")); len(files) != 1 {
		t.Fatalf("index files in the cache: %v", files)
	}
}

// TestWarningStaysInStatusLine: Options.Warning (sessions play
// --allow-modified on a changed recording) stays in the status line, after
// other messages have come and gone.
func TestWarningStaysInStatusLine(t *testing.T) {
	p := writeRec(t, t.TempDir(), "ok.rec", "", 80, 24, []ev{{0, "o", "first line\r\n"}, {1, "o", "second\r\n"}})
	h := newHarness(t, p, Options{Paused: true, Warning: "MODIFIED after registration: SHA-256 0123456789ab…\x1b[2J"})
	h.ready()
	h.key("G")
	h.seeked()
	h.send(statusExpiredMsg{gen: h.m.statusGen})
	v := h.view()
	if !strings.Contains(v, "MODIFIED after registration: SHA-256 0123456789ab…") || strings.Contains(v, "\x1b[2J") {
		t.Fatalf("status line lacks the warning (or shows its escape raw):\n%s", v)
	}
}
