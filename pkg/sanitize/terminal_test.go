package sanitize

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
)

// writeSplit writes s to a new Terminal in pieces cut at the given sizes
// (cycled), then flushes, and returns what reached the terminal.
func writeSplit(t testing.TB, s string, sizes []byte) string {
	var out bytes.Buffer
	term := NewTerminal(&out, true)
	p := []byte(s)
	for k := 0; len(p) > 0; k++ {
		n := len(p)
		if len(sizes) > 0 {
			n = min(int(sizes[k%len(sizes)])%7+1, len(p))
		}
		if m, err := term.Write(p[:n]); err != nil || m != n {
			t.Fatalf("Write = %d, %v; want %d, nil", m, err, n)
		}
		p = p[n:]
	}
	if err := term.Flush(); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

func TestTerminalEqualsMultilineWhateverTheSplit(t *testing.T) {
	for _, s := range hostileCorpus {
		want := Multiline(s)
		for _, sizes := range [][]byte{nil, {0}, {1}, {2}, {3, 0, 5}, {6, 1}} {
			if got := writeSplit(t, s, sizes); got != want {
				t.Errorf("split %v of %q:\n got %q\nwant %q", sizes, s, got, want)
			}
		}
	}
}

func TestTerminalOutputIsSafe(t *testing.T) {
	for _, s := range hostileCorpus {
		out := writeSplit(t, s, []byte{1})
		for _, line := range strings.Split(out, "\n") {
			if !IsClean(strings.ReplaceAll(line, "\t", " ")) {
				t.Errorf("unsafe output line %q from %q", line, s)
			}
		}
	}
}

func TestTerminalHoldsNoMoreThanARune(t *testing.T) {
	var out bytes.Buffer
	term := NewTerminal(&out, false)
	long := strings.Repeat("x", 1<<20) // a line with no newline streams through
	term.Write([]byte(long + "\xf0\x9f"))
	if out.Len() != len(long) || len(term.pending) != 2 {
		t.Fatalf("wrote %d, held %d", out.Len(), len(term.pending))
	}
	term.Write([]byte("\x98\x80\r"))
	if !strings.HasSuffix(out.String(), "😀") || string(term.pending) != "\r" {
		t.Fatalf("tail %q, held %q", out.String()[out.Len()-8:], term.pending)
	}
}

func TestWriteControl(t *testing.T) {
	var out bytes.Buffer
	term := NewTerminal(&out, false)
	term.Write([]byte("a\xe2"))
	if err := term.WriteControl(ClearLine); err != nil {
		t.Fatal(err)
	}
	if err := term.WriteControl("\x1b[31m"); err != nil { // colour off: dropped
		t.Fatal(err)
	}
	for _, bad := range []string{"\x1b[2J", "\x1b]0;pwned\a", "\x1b[31mtext\x1b[0m", "\x1b[?25l", "plain"} {
		if err := term.WriteControl(bad); !errors.Is(err, errNotControl) {
			t.Errorf("WriteControl(%q) = %v, want refusal", bad, err)
		}
	}
	term.SetColor(true)
	term.WriteControl("\x1b[1;38;2;10;20;30m")
	if got, want := out.String(), "a\\xe2\r\x1b[K\x1b[1;38;2;10;20;30m"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func TestWriteStyled(t *testing.T) {
	styled := "ok \x1b[32msuccess\x1b[0m \x1b[2J\x1b]8;;http://x\a"
	var term bytes.Buffer
	if err := WriteStyled(NewTerminal(&term, true), styled); err != nil {
		t.Fatal(err)
	}
	if got, want := term.String(), "ok \x1b[32msuccess\x1b[0m \\x1b[2J\\x1b]8;;http://x\\x07"; got != want {
		t.Fatalf("terminal: got %q, want %q", got, want)
	}
	var pipe bytes.Buffer
	WriteStyled(&pipe, styled)
	if pipe.String() != styled {
		t.Fatalf("pipe: got %q, want the bytes as they are", pipe.String())
	}
}

// hostileCorpus is text an attacker may put in a log field or a recording.
var hostileCorpus = []string{
	"Evil\x1b[2J\x1b]0;pwned\a",
	"clip\x1b]52;c;cm0gLXJmIC8=\x1b\\",
	"\x1b]8;;https://evil.example/\x1b\\click\x1b]8;;\x1b\\",
	"\x1bP+q544e\x1b\\dcs",
	"\x9b2J c1 csi \u009b31m",
	"bidi \u202eexe.txt\u202c \u2066x\u2069 zero\u200bwidth \ufeff",
	"bad utf8 \xff\xfe \xc3 \xe2\x82 \xf0\x9f\x98",
	"cr\roverwrite\r\nline\n\ttab\x7fdel\x00nul\x08bs",
	"tags \U000e0041\U000e007f line\u2028sep para\u2029",
	strings.Repeat("long ", 20000) + "\x1b[A",
	"emoji 😀 café 日本語",
	"\r", "\r\n", "a\r", "\xe2\x82\xac", "\xf0",
}

func FuzzTerminal(f *testing.F) {
	for _, s := range hostileCorpus[:9] {
		f.Add(s, []byte{1, 3})
	}
	f.Fuzz(func(t *testing.T, s string, sizes []byte) {
		if got, want := writeSplit(t, s, sizes), Multiline(s); got != want {
			t.Fatalf("split %v of %q:\n got %q\nwant %q", sizes, s, got, want)
		}
	})
}

// BenchmarkTerminal is the chokepoint's cost on terminal output: clean
// table text, and text full of escapes.
func BenchmarkTerminal(b *testing.B) {
	clean := []byte(strings.Repeat("2026-11-22 12:00:00  directory  DeleteUser  nina.petrova@globex.io  198.51.100.24  success\n", 400))
	hostile := []byte(strings.Repeat(hostileCorpus[0]+" café "+hostileCorpus[5]+"\n", 400))
	for _, c := range []struct {
		name string
		text []byte
	}{{"Clean", clean}, {"Hostile", hostile}} {
		b.Run(c.name, func(b *testing.B) {
			term := NewTerminal(io.Discard, false)
			b.SetBytes(int64(len(c.text)))
			for b.Loop() {
				term.Write(c.text)
			}
		})
	}
}
