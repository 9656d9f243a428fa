package player

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"github.com/auditctl/auditctl/player/vt"
)

func TestRenderCells(t *testing.T) {
	term := vt.New(20, 4)
	term.WriteString("\x1b[1;31mred\x1b[m plain\r\n")
	term.WriteString("wide 日本 end\r\n")
	term.WriteString("\x1b[38;2;1;2;3mtrue\x1b[48;5;200mcolor\x1b[m\r\n")
	term.WriteString("cursor here")
	r := newScreenRenderer()
	for _, w := range []int{20, 30, 9, 6} {
		f := r.render(term, w, 6, nil)
		if len(f.lines) != 6 {
			t.Fatalf("w=%d: %d lines", w, len(f.lines))
		}
		if f.clipX != (w < 20) {
			t.Errorf("w=%d: clipX %v", w, f.clipX)
		}
		if f.clipY {
			t.Errorf("w=%d: clipped vertically", w)
		}
		for i, l := range f.lines {
			plain := ansi.Strip(l)
			if got := ansi.StringWidth(plain); got != w {
				t.Errorf("w=%d row %d: width %d: %q", w, i, got, l)
			}
			want := ""
			if i < 4 {
				want = term.RowText(i)
			}
			got := strings.TrimRight(plain, " ")
			if w >= 20 && got != want {
				t.Errorf("w=%d row %d: %q, want %q", w, i, got, want)
			}
			if w < 20 && !strings.HasPrefix(want, strings.TrimRight(got, " ")) && i != 1 {
				t.Errorf("w=%d row %d: %q is not a prefix of %q", w, i, got, want)
			}
			if strings.ContainsAny(plain, "\x1b\x07\r\n") {
				t.Errorf("control characters left in %q", plain)
			}
		}
	}
	// Styles come through; the cursor is drawn in inverse video.
	f := r.render(term, 20, 4, nil)
	if !strings.Contains(f.lines[0], "1;31mred") {
		t.Errorf("bold red lost: %q", f.lines[0])
	}
	if !strings.Contains(f.lines[2], "38;2;1;2;3") || !strings.Contains(f.lines[2], "48;5;200") {
		t.Errorf("colours lost: %q", f.lines[2])
	}
	if !strings.Contains(f.lines[3], "\x1b[0;7m ") {
		t.Errorf("cursor not drawn: %q", f.lines[3])
	}
	// Clipped rows take the cell path; a wide character cut by the right
	// edge becomes a blank.
	f = r.render(term, 7, 2, nil)
	if got := ansi.Strip(f.lines[1]); got != "wide 日" {
		t.Errorf("cut wide char: %q", got)
	}
	f = r.render(term, 6, 2, nil)
	if got := ansi.Strip(f.lines[1]); got != "wide  " {
		t.Errorf("cut wide char at the edge: %q", got)
	}
}

func TestRenderHighlight(t *testing.T) {
	term := vt.New(30, 3)
	term.WriteString("\x1b[32mgreen\x1b[m plain PLAIN\r\nwide 日本 end")
	r := newScreenRenderer()
	f := r.render(term, 30, 3, newHighlighter("plain")) // smart case: both
	if n := strings.Count(f.lines[0], "30;103m"); n != 2 {
		t.Errorf("want 2 highlighted runs, got %d: %q", n, f.lines[0])
	}
	if !strings.Contains(f.lines[0], "30;103mplain") || ansi.Strip(f.lines[0]) != "green plain PLAIN             " {
		t.Errorf("row 0: %q", f.lines[0])
	}
	f = r.render(term, 30, 3, newHighlighter("日本"))
	if !strings.Contains(f.lines[1], "30;103m日本") || strings.Contains(f.lines[0], "103m") {
		t.Errorf("wide text not highlighted: %q", f.lines[1])
	}
	if got := ansi.Strip(f.lines[1]); got != "wide 日本 end"+strings.Repeat(" ", 17) {
		t.Errorf("row 1: %q", got)
	}
	f = r.render(term, 30, 3, newHighlighter("Plain")) // exact case: no match
	if strings.Contains(f.lines[0], "103m") {
		t.Errorf("case-sensitive search highlighted: %q", f.lines[0])
	}
}
