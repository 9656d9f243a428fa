package vt

import (
	"reflect"
	"strings"
	"testing"
)

func TestSGR(t *testing.T) {
	bold := AttrBold
	tests := []struct {
		name string
		in   string
		want Style
	}{
		{"reset", "\x1b[1;31;42m\x1b[m", Style{}},
		{"reset 0", "\x1b[1;31;42m\x1b[0m", Style{}},
		{"attrs", "\x1b[1;2;3;4;5;7;8;9m", Style{Attrs: AttrBold | AttrFaint | AttrItalic | AttrUnderline | AttrBlink | AttrInverse | AttrInvisible | AttrStrike}},
		{"rapid blink", "\x1b[6m", Style{Attrs: AttrBlink}},
		{"double underline", "\x1b[21m", Style{Attrs: AttrUnderline}},
		{"curly underline", "\x1b[4:3m", Style{Attrs: AttrUnderline}},
		{"underline off by 4:0", "\x1b[4m\x1b[4:0m", Style{}},
		{"22 clears bold and faint", "\x1b[1;2;3m\x1b[22m", Style{Attrs: AttrItalic}},
		{"23-29", "\x1b[1;2;3;4;5;7;8;9m\x1b[23;24;25;27;28;29m", Style{Attrs: AttrBold | AttrFaint}},
		{"fg 30-37", "\x1b[33m", Style{Fg: IndexedColor(3)}},
		{"bg 40-47", "\x1b[47m", Style{Bg: IndexedColor(7)}},
		{"bright fg", "\x1b[91m", Style{Fg: IndexedColor(9)}},
		{"bright bg", "\x1b[107m", Style{Bg: IndexedColor(15)}},
		{"39 49", "\x1b[31;41m\x1b[39;49m", Style{}},
		{"256 fg", "\x1b[38;5;196m", Style{Fg: IndexedColor(196)}},
		{"256 bg", "\x1b[48;5;21m", Style{Bg: IndexedColor(21)}},
		{"truecolor fg", "\x1b[38;2;1;2;3m", Style{Fg: RGBColor(1, 2, 3)}},
		{"truecolor bg", "\x1b[48;2;255;128;0m", Style{Bg: RGBColor(255, 128, 0)}},
		{"colon 256", "\x1b[38:5:100m", Style{Fg: IndexedColor(100)}},
		{"colon truecolor with colorspace", "\x1b[38:2::10:20:30m", Style{Fg: RGBColor(10, 20, 30)}},
		{"colon truecolor without colorspace", "\x1b[48:2:10:20:30m", Style{Bg: RGBColor(10, 20, 30)}},
		{"truecolor then more", "\x1b[38;2;1;2;3;1;44m", Style{Fg: RGBColor(1, 2, 3), Bg: IndexedColor(4), Attrs: bold}},
		{"256 then more", "\x1b[38;5;9;4m", Style{Fg: IndexedColor(9), Attrs: AttrUnderline}},
		{"colon then more", "\x1b[38:5:9;1m", Style{Fg: IndexedColor(9), Attrs: bold}},
		{"out of range ignored", "\x1b[38;5;300m", Style{}},
		{"incomplete truecolor", "\x1b[38;2;1m", Style{}},
		{"underline color skipped", "\x1b[58;2;1;2;3;1m", Style{Attrs: bold}},
		{"underline color colon", "\x1b[58:5:3;1m", Style{Attrs: bold}},
		{"unknown ignored", "\x1b[1;53;73m", Style{Attrs: bold}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			term := run(10, 2, tc.in+"x")
			if got := term.Cell(0, 0).Style; got != tc.want {
				t.Errorf("style %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestColor(t *testing.T) {
	var c Color
	if !c.IsDefault() || c.String() != "default" {
		t.Error("zero color is not default")
	}
	if _, ok := c.Indexed(); ok {
		t.Error("default is indexed")
	}
	for n := 0; n < 256; n++ {
		c := IndexedColor(uint8(n))
		if got, ok := c.Indexed(); !ok || got != uint8(n) || c.IsDefault() {
			t.Fatalf("IndexedColor(%d)", n)
		}
		if _, _, _, ok := c.RGB(); ok {
			t.Fatal("indexed is RGB")
		}
	}
	c = RGBColor(0, 0, 0)
	if r, g, b, ok := c.RGB(); !ok || r|g|b != 0 || c.IsDefault() {
		t.Error("RGB black")
	}
	if r, g, b, _ := RGBColor(1, 2, 3).RGB(); r != 1 || g != 2 || b != 3 {
		t.Error("RGB components")
	}
	if s := RGBColor(255, 0, 16).String(); s != "#ff0010" {
		t.Error(s)
	}
}

func TestCell(t *testing.T) {
	term := run(10, 2, "\x1b[1;31ma中e\u0301\x1b[44m\x1b[K")
	want := []Cell{
		{"a", 1, Style{Fg: IndexedColor(1), Attrs: AttrBold}},
		{"中", 2, Style{Fg: IndexedColor(1), Attrs: AttrBold}},
		{"", 0, Style{Fg: IndexedColor(1), Attrs: AttrBold}},
		{"e\u0301", 1, Style{Fg: IndexedColor(1), Attrs: AttrBold}},
		{" ", 1, Style{Bg: IndexedColor(4)}}, // erase keeps only the background
	}
	for x, w := range want {
		if got := term.Cell(x, 0); got != w {
			t.Errorf("cell %d: %+v, want %+v", x, got, w)
		}
	}
	if got := term.Cell(0, 1); got != (Cell{" ", 1, Style{}}) {
		t.Errorf("blank cell %+v", got)
	}
	if got := term.Cell(-1, 99); got.Text != " " {
		t.Errorf("out of range cell %+v", got)
	}
}

func TestRowTextAndANSI(t *testing.T) {
	term := run(20, 3, "ab\x1b[1mcd\x1b[22;31mef\x1b[m  g  \r\n\x1b[44m  \x1b[m\r\n中\u0301文 ")
	tests := []struct {
		row        int
		text, ansi string
	}{
		{0, "abcdef  g", "ab\x1b[1mcd\x1b[22;31mef\x1b[m  g"},
		{1, "", "\x1b[44m  \x1b[m"},
		{2, "中\u0301文", "中\u0301文"},
	}
	for _, tc := range tests {
		if got := term.RowText(tc.row); got != tc.text {
			t.Errorf("row %d text %q, want %q", tc.row, got, tc.text)
		}
		if got := string(term.AppendRowANSI([]byte(">"), tc.row)); got != ">"+tc.ansi {
			t.Errorf("row %d ansi %q, want %q", tc.row, got, ">"+tc.ansi)
		}
		if got := string(term.AppendRowText([]byte(">"), tc.row)); got != ">"+tc.text {
			t.Errorf("row %d AppendRowText %q", tc.row, got)
		}
	}
	if got := term.Text(); got != "abcdef  g\n\n中\u0301文" {
		t.Errorf("Text %q", got)
	}
	if term.RowText(-1) != "" || term.RowText(3) != "" {
		t.Error("out of range rows")
	}
}

// TestANSIRoundTrip: replaying the ANSI form of each row reproduces it.
func TestANSIRoundTrip(t *testing.T) {
	for _, s := range generatedStreams() {
		term := New(s.cols, s.rows)
		apply(term, s.ops)
		cols, rows := term.Size()
		re := New(cols, rows)
		for y := 0; y < rows; y++ {
			re.WriteString("\x1b[" + itoa(y+1) + ";1H")
			re.Write(term.AppendRowANSI(nil, y))
		}
		for y := 0; y < rows; y++ {
			for x := 0; x < cols; x++ {
				a, b := term.Cell(x, y), re.Cell(x, y)
				if a.Text == " " && b.Text == " " && a.Style.Fg != b.Style.Fg && a.Style.Attrs == b.Style.Attrs && a.Style.Bg == b.Style.Bg {
					continue // a blank's foreground is invisible
				}
				if a != b && !(a.Width == 0 && b.Width == 0) {
					t.Fatalf("%s: cell %d,%d: %+v, replayed %+v\nrow %q", s.name, x, y, a, b, term.AppendRowANSI(nil, y))
				}
			}
		}
	}
}

func itoa(n int) string {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			break
		}
	}
	return string(b[i:])
}

func TestTitleAndModes(t *testing.T) {
	term := run(10, 2, "\x1b]0;first\x07\x1b]2;sécond\x1b\\\x1b]1;icon\x07")
	if term.Title() != "sécond" {
		t.Errorf("title %q", term.Title())
	}
	term.WriteString("\x1b]2;bad\xff\x07")
	if term.Title() != "bad\ufffd" {
		t.Errorf("title %q", term.Title())
	}
	term.WriteString("\x1b]2;" + strings.Repeat("x", 3000) + "\x07")
	if len(term.Title()) != oscMax-2 {
		t.Errorf("long title kept %d bytes", len(term.Title()))
	}
	for _, m := range []int{1, 6, 1000, 1002, 1003, 1004, 1005, 1006, 1015, 2004} {
		term := run(10, 2, "\x1b[?"+itoa(m)+"h")
		if !term.Mode(m) {
			t.Errorf("mode %d not set", m)
		}
		term.WriteString("\x1b[?" + itoa(m) + "l")
		if term.Mode(m) {
			t.Errorf("mode %d not reset", m)
		}
	}
	term = run(10, 2, "")
	if !term.Mode(7) || !term.Mode(25) || !term.Cursor().Visible || term.Mode(1) {
		t.Error("default modes")
	}
	term.WriteString("\x1b[?25l\x1b[4h\x1b[?1;1049h")
	if term.Cursor().Visible || !term.ANSIMode(4) || !term.Mode(1) || !term.AltScreen() || !term.Mode(1049) {
		t.Error("modes after set")
	}
	term.WriteString("\x1bc")
	if !term.Cursor().Visible || term.ANSIMode(4) || term.Mode(1) || term.AltScreen() {
		t.Error("modes after RIS")
	}
}

func TestLineHandler(t *testing.T) {
	type ln struct {
		text    string
		wrapped bool
	}
	tests := []struct {
		name       string
		cols, rows int
		in         string
		want       []ln
	}{
		{"scroll", 5, 2, "a\r\nb\r\nc\r\nd", []ln{{"a", false}, {"b", false}}},
		{"wrapped", 3, 3, "abcdefghijklm", []ln{{"abc", true}, {"def", true}}},
		{"region from top", 5, 3, "\x1b[1;2ra\r\nb\r\nc", []ln{{"a", false}}},
		{"region not at top", 5, 3, "\x1b[2;3r\x1b[2;1Ha\r\nb\r\nc", nil},
		{"alt screen", 5, 2, "\x1b[?1049ha\r\nb\r\nc\x1b[?1049l", nil},
		{"ED 2", 5, 3, "a\r\nb\x1b[2J", []ln{{"a", false}, {"b", false}}},
		{"ED 2 blank rows after last", 5, 4, "\r\na\r\n\x1b[2J", []ln{{"", false}, {"a", false}}},
		{"ED 3 nothing", 5, 3, "a\x1b[3J", nil},
		{"RIS", 5, 3, "a\x1bc", []ln{{"a", false}}},
		{"SU", 5, 3, "a\r\nb\x1b[2S", []ln{{"a", false}, {"b", false}}},
		{"DL does not report", 5, 3, "a\r\nb\x1b[H\x1b[M", nil},
		{"resize pushes out", 5, 3, "a\r\nb\r\nc", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			term := New(tc.cols, tc.rows)
			var got []ln
			term.SetLineHandler(func(s string, w bool) { got = append(got, ln{s, w}) })
			term.WriteString(tc.in)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("lines %+v, want %+v", got, tc.want)
			}
		})
	}
	term := New(5, 3)
	var got []string
	term.SetLineHandler(func(s string, w bool) { got = append(got, s) })
	term.WriteString("a\r\nb\r\nc")
	term.Resize(5, 1)
	if !reflect.DeepEqual(got, []string{"a", "b"}) || term.Text() != "c" {
		t.Errorf("resize: lines %q, screen %q", got, term.Text())
	}
	term.SetLineHandler(nil)
	term.WriteString("\r\nx")
}
