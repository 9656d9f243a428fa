package player

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	tea "charm.land/bubbletea/v2"

	"github.com/auditctl/auditctl/pkg/recording"
)

// hostile is what the author of a recording may put in any field to drive
// the viewer's terminal: C0 and C1 controls, OSC 52 (clipboard), OSC 8
// (hyperlinks), DCS, bidi overrides and zero-width characters, invalid
// UTF-8, cursor movement, and a very long line. Each ends in "pwned", so a
// test can tell the text was shown (escaped), not dropped.
var hostile = []string{
	"Evil\x1b[2J\x1b]0;title\a pwned",
	"clip\x1b]52;c;cm0gLXJmIC8=\x1b\\ pwned",
	"\x1b]8;;https://evil.example/\x1b\\link\x1b]8;;\x1b\\ pwned",
	"\x1bP+q544e\x1b\\dcs pwned",
	"c1 \u009b2J \u009d0;t\u009c pwned",
	"bidi \u202eexe.txt\u202c \u2066x\u2069 zero\u200bwidth\u2028sep pwned",
	"bad utf8 \xff\xfe \xc3 pwned",
	"cr\roverwrite\x08\x7f\x00\t\x1b[A\x1b[1;1H\x1b[?1049h pwned",
	strings.Repeat("long ", 3000) + "\x1b[31m pwned",
}

// hostileRecording writes a recording whose every field is hostile: the
// file name, the title and audit header fields, keystrokes (typed and
// pasted), queries, markers and output.
func hostileRecording(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	name := "evil\x1b]0;t\a\u202e\x9b\xff.rec"
	p := filepath.Join(dir, name)
	f, err := os.Create(p)
	if err != nil {
		t.Skipf("the file system refuses the name %q: %v", name, err)
	}
	defer f.Close()
	audit, _ := json.Marshal(map[string]string{
		"user_name": hostile[0], "user_email": hostile[1], "resource_name": hostile[2],
		"category": hostile[4], "start": hostile[3],
	})
	hdr := recording.Header{Width: 80, Height: 24, Title: strings.Join(hostile, " | "), Audit: audit}
	wr, err := recording.NewWriter(f, hdr, recording.WriterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	at := 0.0
	add := func(code, data string) {
		at += 0.5
		if err := wr.WriteEvent(recording.Event{Time: sec(at), Code: code, Data: data}); err != nil {
			t.Fatal(err)
		}
	}
	for _, h := range hostile {
		add("o", h+"\r\n")
		add("i", h)                         // typed
		add("i", "\x1b[200~"+h+"\x1b[201~") // pasted
		add("i", "\r")                      // a command line
		add("m", h)                         // a marker
		q, err := recording.EncodeQuery(recording.Query{Query: h, Message: h, DurationMS: 1})
		if err != nil {
			t.Fatal(err)
		}
		add("q", q)
		add("q", h) // not a valid query event: shown as malformed, with the data
	}
	add("x", "0")
	if err := wr.Close(); err != nil {
		t.Fatal(err)
	}
	return p
}

// checkTerminalSafe fails unless s holds nothing that can drive a terminal:
// the only escape sequences are SGR (ESC [ digits ; : m); no C0 control but
// newline, no DEL, no C1 control, no format character (bidi controls, zero
// width…) nor line/paragraph separator, valid UTF-8 only.
func checkTerminalSafe(t *testing.T, what, s string) {
	t.Helper()
	fail := func(i int, why string) {
		t.Helper()
		lo, hi := max(i-40, 0), min(i+40, len(s))
		t.Fatalf("%s: %s at byte %d: …%q…", what, why, i, s[lo:hi])
	}
	for i := 0; i < len(s); {
		c := s[i]
		if c == 0x1b {
			j := i + 1
			if j >= len(s) || s[j] != '[' {
				fail(i, "an escape sequence that is not SGR")
			}
			j++
			for j < len(s) && (s[j] >= '0' && s[j] <= '9' || s[j] == ';' || s[j] == ':') {
				j++
			}
			if j >= len(s) || s[j] != 'm' {
				fail(i, "a CSI sequence that is not SGR")
			}
			i = j + 1
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fail(i, "invalid UTF-8")
		case r < 0x20 && r != '\n', r == 0x7f:
			fail(i, fmt.Sprintf("C0 control %#x", r))
		case r >= 0x80 && r < 0xa0:
			fail(i, fmt.Sprintf("C1 control %U", r))
		case unicode.Is(unicode.Cf, r) || r == 0x2028 || r == 0x2029:
			fail(i, fmt.Sprintf("format character %U", r))
		}
		i += size
	}
}

// TestHostileRecordingView feeds a hostile recording to the player and
// checks every view it shows (the panels, the command view, the help,
// markers and queries in the status line, a search, errors): only SGR
// styling reaches the terminal, and the hostile text is shown escaped.
func TestHostileRecordingView(t *testing.T) {
	p := hostileRecording(t)
	h := newHarness(t, p, Options{Paused: true})
	check := func(what string) {
		t.Helper()
		checkTerminalSafe(t, what+" (render)", h.m.render())
		v := h.m.View().Content
		checkTerminalSafe(t, what+" (View)", v)
		for i, l := range strings.Split(h.view(), "\n") {
			if w := len([]rune(l)); w > h.m.width {
				t.Fatalf("%s: line %d is %d columns wide in a %d-column window: %q", what, i, w, h.m.width, l)
			}
		}
	}
	check("the first screen")
	h.ready()
	check("ready")
	v := h.view()
	for _, want := range []string{`evil\x1b]0;t\x07\u202e\x9b\xff.rec`, `user Evil\x1b[2J`, `00:10.0 ok 1.0ms \x1b]8;;`, "Queries (18)", "Keystrokes ("} {
		if !strings.Contains(v, want) {
			t.Errorf("the view lacks %q:\n%s", want, v)
		}
	}
	for _, size := range []tea.WindowSizeMsg{{Width: 200, Height: 60}, {Width: 80, Height: 24}, {Width: 61, Height: 10}, {Width: 20, Height: 5}} {
		h.send(size)
		for _, k := range []string{"G", "5", "m", "m", "M", ">", ">", "<", "c", "tab", "up", "up", "enter", "c", "tab"} {
			h.key(k)
			h.seeked()
			check(fmt.Sprintf("%dx%d after %q", size.Width, size.Height, k))
		}
		h.key("p")
		check("p")
		h.key("p")
		h.key("?")
		check("help")
		h.key("x")
	}
	h.send(tea.WindowSizeMsg{Width: 160, Height: 40})
	// A hostile search, typed and pasted.
	h.key("/")
	h.send(tea.PasteMsg{Content: hostile[0] + hostile[4] + hostile[5]})
	check("the search prompt")
	h.key("enter")
	h.settle("search", func() bool { return h.m.srch != nil && h.m.srch.done && !h.m.seeking })
	check("the search result")
	// An error naming the hostile file.
	h.m.setError(fmt.Errorf("reading %s: %s", p, hostile[6]))
	check("an error")
	if !strings.Contains(h.view(), "pwned") {
		t.Errorf("the hostile text was dropped, not shown escaped:\n%s", h.view())
	}
}

// TestSafeFrame: the last line of defence keeps the player's styling and
// escapes anything else, should a text ever reach the view unsanitized.
func TestSafeFrame(t *testing.T) {
	in := "\x1b[1;38;2;1:2:3mbold\x1b[m\n" + strings.Join(hostile[:8], "\n")
	out := safeFrame(in)
	checkTerminalSafe(t, "safeFrame", out)
	if !strings.HasPrefix(out, "\x1b[1;38;2;1:2:3mbold\x1b[m\n") || strings.Count(out, "pwned") != 8 {
		t.Fatalf("safeFrame(%q) = %q", in, out)
	}
}
