package player

import (
	"bytes"
	"image/color"
	"strings"

	"github.com/charmbracelet/x/ansi"

	"github.com/auditctl/auditctl/pkg/sanitize"
	"github.com/auditctl/auditctl/player/vt"
)

// screenRenderer turns the emulator's cells into styled lines for the host
// terminal. The SGR sequence of each style is built once (with x/ansi's
// style builder) and cached; a frame is one pass over the visible cells.
type screenRenderer struct {
	sgr   map[vt.Style]string
	width map[string]bool // non-ASCII texts whose width the host agrees on
	buf   []byte
}

func newScreenRenderer() *screenRenderer {
	return &screenRenderer{sgr: map[vt.Style]string{}, width: map[string]bool{}}
}

// frame is a rendered screen.
type frame struct {
	lines []string // each exactly w columns wide
	// clipped: the recording's terminal is wider or taller than the area.
	clipX, clipY bool
}

// render renders the top-left w×h cells of term (padding with blanks where
// the terminal is smaller). Rows are clipped, never wrapped. The cursor is
// drawn in inverse video when it is visible.
func (r *screenRenderer) render(term *vt.Terminal, w, h int, hl *highlighter) frame {
	cols, rows := term.Size()
	f := frame{lines: make([]string, 0, h), clipX: cols > w, clipY: rows > h}
	cur := term.Cursor()
	blank := strings.Repeat(" ", max(w, 0))
	for row := range h {
		if row >= rows {
			f.lines = append(f.lines, blank)
			continue
		}
		b := r.buf[:0]
		marks := hl.row(term, row, min(cols, w))
		// Fast path: a row that fits, without the cursor, in ASCII: the
		// emulator's own SGR rendering, whose width is its byte count
		// less the sequences.
		if cols <= w && !(cur.Visible && row == cur.Row) && marks == nil {
			b = term.AppendRowANSI(b, row)
			if n, ok := asciiWidth(b); ok {
				r.buf = append(b, blank[:w-n]...)
				f.lines = append(f.lines, string(r.buf))
				continue
			}
			b = b[:0]
		}
		var style vt.Style
		col := 0
		for col < w && col < cols {
			c := term.Cell(col, row)
			if c.Width == 0 { // right half of a wide character written before
				col++
				continue
			}
			s := c.Style
			if marks != nil && marks[col] {
				s = highlightStyle
			}
			if cur.Visible && row == cur.Row && col == cur.Col {
				s.Attrs ^= vt.AttrInverse
			}
			if s != style {
				b = append(b, r.styleSGR(s)...)
				style = s
			}
			switch {
			case c.Width == 2 && col+1 >= w: // cut by the right edge
				b = append(b, ' ')
			case len(c.Text) == 1 && c.Text[0] >= 0x20 && c.Text[0] < 0x7f:
				b = append(b, c.Text[0])
			case c.Text == "":
				b = append(b, ' ')
			default:
				b = r.appendText(b, c)
			}
			col += max(c.Width, 1)
			if c.Width == 2 && col > w {
				col = w
			}
		}
		if style != (vt.Style{}) {
			b = append(b, ansi.ResetStyle...)
		}
		if col < w {
			b = append(b, blank[:w-col]...)
		}
		r.buf = b
		f.lines = append(f.lines, string(b))
	}
	return f
}

// asciiWidth returns the columns of an ASCII line holding SGR sequences
// (ESC [ params m); ok is false for other text or sequences.
func asciiWidth(b []byte) (n int, ok bool) {
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch {
		case c == 0x1b:
			if i+1 >= len(b) || b[i+1] != '[' {
				return 0, false
			}
			j := i + 2
			for j < len(b) && (b[j] >= '0' && b[j] <= '9' || b[j] == ';' || b[j] == ':') {
				j++
			}
			if j >= len(b) || b[j] != 'm' {
				return 0, false
			}
			i = j
		case c < 0x20 || c >= 0x7f:
			return 0, false
		default:
			n++
		}
	}
	return n, true
}

// appendText appends a cell's text when it is safe and the host terminal
// measures it as the emulator does; otherwise as many '?' as its width, so
// that the columns stay aligned.
func (r *screenRenderer) appendText(b []byte, c vt.Cell) []byte {
	ok, known := r.width[c.Text]
	if !known {
		ok = sanitize.IsClean(c.Text) && ansi.StringWidth(c.Text) == c.Width
		if len(r.width) < 4096 {
			r.width[c.Text] = ok
		}
	}
	if ok {
		return append(b, c.Text...)
	}
	for range max(c.Width, 1) {
		b = append(b, '?')
	}
	return b
}

// styleSGR returns the SGR sequence that sets s from any state.
func (r *screenRenderer) styleSGR(s vt.Style) string {
	if seq, ok := r.sgr[s]; ok {
		return seq
	}
	st := ansi.Style{}.Reset()
	a := s.Attrs
	if a&vt.AttrBold != 0 {
		st = st.Bold()
	}
	if a&vt.AttrFaint != 0 {
		st = st.Faint()
	}
	if a&vt.AttrItalic != 0 {
		st = st.Italic(true)
	}
	if a&vt.AttrUnderline != 0 {
		st = st.Underline(true)
	}
	if a&vt.AttrBlink != 0 {
		st = st.Blink(true)
	}
	if a&vt.AttrInverse != 0 {
		st = st.Reverse(true)
	}
	if a&vt.AttrInvisible != 0 {
		st = st.Conceal(true)
	}
	if a&vt.AttrStrike != 0 {
		st = st.Strikethrough(true)
	}
	if c := ansiColor(s.Fg); c != nil {
		st = st.ForegroundColor(c)
	}
	if c := ansiColor(s.Bg); c != nil {
		st = st.BackgroundColor(c)
	}
	seq := st.String()
	if len(r.sgr) < 1<<16 {
		r.sgr[s] = seq
	}
	return seq
}

func ansiColor(c vt.Color) color.Color {
	if c.IsDefault() {
		return nil
	}
	if n, ok := c.Indexed(); ok {
		if n < 16 {
			return ansi.BasicColor(n)
		}
		return ansi.IndexedColor(n)
	}
	if r, g, b, ok := c.RGB(); ok {
		return ansi.RGBColor{R: r, G: g, B: b}
	}
	return nil
}

// highlightStyle marks the search text on the screen.
var highlightStyle = vt.Style{Fg: vt.IndexedColor(0), Bg: vt.IndexedColor(11), Attrs: vt.AttrBold}

// highlighter finds the search text in a screen row and marks its columns.
// A nil highlighter marks nothing.
type highlighter struct {
	m     *screenMatcher
	text  []byte
	col   []int // the column of each byte of text
	marks []bool
}

func newHighlighter(q string) *highlighter {
	if q == "" {
		return nil
	}
	return &highlighter{m: newMatcher(q)}
}

// row returns the columns (of the first n) of the row that are part of a
// match, or nil when there is none.
func (h *highlighter) row(term *vt.Terminal, row, n int) []bool {
	if h == nil {
		return nil
	}
	h.text, h.col = h.text[:0], h.col[:0]
	for c := range n {
		cell := term.Cell(c, row)
		if cell.Width == 0 {
			continue
		}
		t := cell.Text
		if t == "" {
			t = " "
		}
		for range len(t) {
			h.col = append(h.col, c)
		}
		h.text = append(h.text, t...)
	}
	text := h.text
	if h.m.fold {
		text = lowerInPlace(text)
		if len(text) != len(h.col) { // lower-casing changed the length
			return nil
		}
	}
	if !bytes.Contains(text, h.m.needle) {
		return nil
	}
	if cap(h.marks) < n {
		h.marks = make([]bool, n)
	}
	marks := h.marks[:n]
	clear(marks)
	for off := 0; ; {
		i := bytes.Index(text[off:], h.m.needle)
		if i < 0 {
			break
		}
		start, end := off+i, off+i+len(h.m.needle)
		for j := start; j < end; j++ {
			marks[h.col[j]] = true
			if c := h.col[j]; c+1 < n && term.Cell(c, row).Width == 2 {
				marks[c+1] = true
			}
		}
		off = end
	}
	return marks
}
