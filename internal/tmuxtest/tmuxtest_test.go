package tmuxtest

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/auditctl/auditctl/internal/termgen"
)

func data(s string) termgen.Chunk { return termgen.Chunk{Data: []byte(s)} }

func resize(c, r int) termgen.Chunk { return termgen.Chunk{Cols: c, Rows: r} }

func TestKnownStreams(t *testing.T) {
	srv := NewServer(t)
	cases := []struct {
		name       string
		cols, rows int
		chunks     []termgen.Chunk
		want       []string
		cx, cy     int
		alt        bool
	}{
		{"no onlcr", 20, 3, []termgen.Chunk{data("hello\nworld")}, []string{"hello", "     world", ""}, 10, 1, false},
		{"crlf and scroll", 10, 2, []termgen.Chunk{data("a\r\nb\r\nc")}, []string{"b", "c"}, 1, 1, false},
		{"wide and combining", 20, 2, []termgen.Chunk{data("日本 e\u0301x")}, []string{"日本 e\u0301x", ""}, 7, 0, false},
		{"line drawing G0", 10, 1, []termgen.Chunk{data("\x1b(0lqqk\x1b(Bq")}, []string{"┌──┐q"}, 5, 0, false},
		{"line drawing SO", 10, 1, []termgen.Chunk{data("\x1b)0\x0ex~\x0fx")}, []string{"│·x"}, 3, 0, false},
		{"line drawing across rows", 4, 2, []termgen.Chunk{data("\x1b(0qqqqqq\x1b(Bq")}, []string{"────", "──q"}, 3, 1, false},
		{"line drawing table", 40, 1, []termgen.Chunk{data("\x1b(0_`afgjklmnopqrstuvwxyz{|}~\x1b(BAZ")},
			[]string{" ◆▒°±┘┐┌└┼⎺⎻─⎼⎽├┤┴┬│≤≥π≠£·AZ"}, 28, 0, false},
		{"pending wrap cursor", 5, 2, []termgen.Chunk{data("12345")}, []string{"12345", ""}, 4, 0, false},
		{"autowrap", 5, 2, []termgen.Chunk{data("123456")}, []string{"12345", "6"}, 1, 1, false},
		{"trailing styled blanks", 10, 1, []termgen.Chunk{data("ab\x1b[41m   \x1b[m")}, []string{"ab"}, 5, 0, false},
		{"alt screen", 10, 2, []termgen.Chunk{data("main\x1b[?1049h\x1b[HALT")}, []string{"ALT", ""}, 3, 0, true},
		{"alt screen left", 10, 2, []termgen.Chunk{data("main\x1b[?1049hALT\x1b[?1049l")}, []string{"main", ""}, 4, 0, false},
		{"split sequences", 10, 2, []termgen.Chunk{data("\x1b["), data("31mred\xe6\x97"), data("\xa5\x1b[2"), data(";3H!")},
			[]string{"red日", "  !"}, 3, 1, false},
		{"title", 10, 1, []termgen.Chunk{data("\x1b]2;hello wörld\ax\x1b]0;second\x1b\\")}, []string{"x"}, 1, 0, false},
		{"stream's own DSR", 10, 1, []termgen.Chunk{data("a\x1b[5nb\x1b["), data("5nc")}, []string{"abc"}, 3, 0, false},
		{"resize", 10, 3, []termgen.Chunk{data("\x1b[2J\x1b[Hxy"), resize(4, 2), data("\x1b[2;4Hz")}, []string{"xy", "   z"}, 3, 1, false},
		{"grow", 4, 2, []termgen.Chunk{data("ab"), resize(30, 5), data("\x1b[5;30Hz")}, []string{"ab", "", "", "", strings.Repeat(" ", 29) + "z"}, 29, 4, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := srv.NewPane(t, c.cols, c.rows)
			defer p.Close()
			p.Feed(c.chunks)
			sc := p.Screen()
			if fmt.Sprintf("%q", sc.Lines) != fmt.Sprintf("%q", c.want) {
				t.Errorf("lines:\n got %q\nwant %q", sc.Lines, c.want)
			}
			if sc.CursorX != c.cx || sc.CursorY != c.cy || sc.Alt != c.alt {
				t.Errorf("cursor %d,%d alt %v; want %d,%d alt %v", sc.CursorX, sc.CursorY, sc.Alt, c.cx, c.cy, c.alt)
			}
			wantTitle := ""
			if c.name == "title" {
				wantTitle = "second"
			}
			if sc.Title != wantTitle {
				t.Errorf("title %q, want %q", sc.Title, wantTitle)
			}
			if len(sc.Lines) != sc.Rows {
				t.Errorf("%d lines for %d rows", len(sc.Lines), sc.Rows)
			}
		})
	}
}

// TestLargeStream pushes a generated megabyte through one pane, with
// resizes, and checks that the capture is deterministic.
func TestLargeStream(t *testing.T) {
	srv := NewServer(t)
	s := termgen.Resizes(1)
	chunks := append([]termgen.Chunk{data(string(termgen.Mixed(1<<20, 1)))}, s.Chunks...)
	var screens []string
	for i := 0; i < 2; i++ {
		p := srv.NewPane(t, s.Cols, s.Rows)
		p.Feed(chunks)
		sc := p.Screen()
		p.Close()
		screens = append(screens, sc.String())
		if strings.TrimSpace(sc.String()) == "" {
			t.Fatal("blank screen after 1 MiB")
		}
	}
	if screens[0] != screens[1] {
		t.Errorf("two runs differ:\n%s\n----\n%s", screens[0], screens[1])
	}
}

func TestRun(t *testing.T) {
	sc := Run(t, 8, 2, []termgen.Chunk{data("one\r\ntwo")})
	if sc.String() != "one\ntwo" || sc.CursorX != 3 || sc.CursorY != 1 || sc.Cols != 8 || sc.Rows != 2 {
		t.Errorf("got %+v", sc)
	}
}

func TestParseCapture(t *testing.T) {
	got := ParseCapture("a\x1b[31mb\x1b[39m  \n\x0elqk\x0f x\n", 3)
	want := []string{"ab", "┌─┐ x", ""}
	if fmt.Sprintf("%q", got) != fmt.Sprintf("%q", want) {
		t.Errorf("got %q, want %q", got, want)
	}
	if got := ParseCapture("", 2); len(got) != 2 || got[0] != "" {
		t.Errorf("empty capture: %q", got)
	}
	if got := NormaliseACS('A'); got != "A" {
		t.Errorf("NormaliseACS('A') = %q", got)
	}
}

func TestEndsInGround(t *testing.T) {
	for _, c := range []struct {
		s    string
		want bool
	}{
		{"", true},
		{"abc\r\n", true},
		{"\x1b", false},
		{"\x1b[", false},
		{"\x1b[1;2", false},
		{"\x1b[1;2m", true},
		{"\x1b(", false},
		{"\x1b(0", true},
		{"\x1b]0;title", false},
		{"\x1b]0;title\a", true},
		{"\x1b]0;title\x1b", false},
		{"\x1b]0;title\x1b\\", true},
		{"\x1bP1$r\x1b\\", true},
		{"\xe6\x97", false},
		{"\xe6\x97\xa5", true},
		{"\x1b[1;2\x18", true},
		{"\x1bM", true},
	} {
		if got := EndsInGround([]byte(c.s)); got != c.want {
			t.Errorf("EndsInGround(%q) = %v, want %v", c.s, got, c.want)
		}
	}
	if !EndsInGround(bytes.Repeat(termgen.Mixed(1<<16, 2), 1)) {
		t.Error("a whole Mixed stream should end in ground")
	}
}

// TestJoined checks capture-pane -J: logical lines, wrapped rows joined.
func TestJoined(t *testing.T) {
	srv := NewServer(t)
	p := srv.NewPane(t, 5, 6)
	p.Write([]byte("123456789\r\nab\r\n\x1b(0qqqqqqq"))
	sc := p.Screen()
	want := []string{"123456789", "ab", "───────", ""}
	if fmt.Sprintf("%q", sc.Joined) != fmt.Sprintf("%q", want) {
		t.Errorf("joined %q, want %q (lines %q)", sc.Joined, want, sc.Lines)
	}
}
