package vt

import (
	"strconv"
	"unicode/utf8"
)

// Cell returns the cell at col, row (0-based) of the active screen. Out of
// range positions give a blank cell.
func (t *Terminal) Cell(col, row int) Cell {
	if col < 0 || col >= t.cols || row < 0 || row >= t.rows {
		return Cell{Text: " ", Width: 1}
	}
	c := &t.scr.row(row).cells[col]
	out := Cell{Width: 1, Style: c.style()}
	switch {
	case c.flags&cCont != 0:
		out.Width = 0
		return out
	case c.flags&cWide != 0:
		out.Width = 2
	}
	out.Text = t.cellText(c)
	return out
}

// asciiStrings holds one-byte strings, so that Cell does not allocate for ASCII.
var asciiStrings = func() (s [128]string) {
	for i := range s {
		s[i] = string(rune(i))
	}
	return
}()

func (t *Terminal) cellText(c *cell) string {
	if c.flags&cComb != 0 {
		return t.comb[c.r]
	}
	if c.r < 128 && c.r >= 0 {
		return asciiStrings[c.r]
	}
	return string(c.r)
}

// RowWrapped reports whether the row was ended by autowrap (its text
// continues on the next row).
func (t *Terminal) RowWrapped(row int) bool {
	if row < 0 || row >= t.rows {
		return false
	}
	return t.scr.row(row).wrapped
}

// RowText returns the text of a row of the active screen: right halves of
// wide characters skipped, combining marks kept after their base, trailing
// spaces trimmed.
func (t *Terminal) RowText(row int) string {
	return string(t.AppendRowText(nil, row))
}

// AppendRowText appends RowText(row) to dst.
func (t *Terminal) AppendRowText(dst []byte, row int) []byte {
	if row < 0 || row >= t.rows {
		return dst
	}
	return t.appendLineText(dst, t.scr.row(row))
}

func (t *Terminal) appendLineText(dst []byte, ln *line) []byte {
	start := len(dst)
	end := start // length without trailing spaces
	for i := range ln.cells {
		c := &ln.cells[i]
		switch {
		case c.flags&cCont != 0:
			continue
		case c.flags&cComb != 0:
			dst = append(dst, t.comb[c.r]...)
		case c.r < utf8.RuneSelf:
			dst = append(dst, byte(c.r))
			if c.r == ' ' {
				continue
			}
		default:
			dst = utf8.AppendRune(dst, c.r)
		}
		end = len(dst)
	}
	return dst[:end]
}

// Text returns RowText of every row joined with "\n", without a trailing
// newline.
func (t *Terminal) Text() string {
	var b []byte
	for y := 0; y < t.rows; y++ {
		if y > 0 {
			b = append(b, '\n')
		}
		b = t.AppendRowText(b, y)
	}
	return string(b)
}

// AppendRowANSI appends the row with SGR sequences (emitted only where the
// style changes), ending with "\x1b[m" if any style was emitted; trailing
// unstyled blanks are trimmed.
func (t *Terminal) AppendRowANSI(dst []byte, row int) []byte {
	if row < 0 || row >= t.rows {
		return dst
	}
	cs := t.scr.row(row).cells
	end := len(cs)
	for end > 0 {
		c := &cs[end-1]
		if c.flags&cCont != 0 && c.fg == 0 && c.bg == 0 && c.attr == 0 {
			end-- // right half: decided by its left half
			continue
		}
		if c.r == ' ' && c.flags == 0 && c.fg == 0 && c.bg == 0 && c.attr == 0 {
			end--
			continue
		}
		break
	}
	// Do not cut a wide character in two.
	if end > 0 && end < len(cs) && cs[end-1].flags&cWide != 0 {
		end++
	}
	var cur cell // current style
	for i := 0; i < end; i++ {
		c := &cs[i]
		if c.flags&cCont != 0 {
			continue
		}
		if !c.sameStyle(&cur) {
			dst = appendSGR(dst, &cur, c)
			cur.fg, cur.bg, cur.attr = c.fg, c.bg, c.attr
		}
		switch {
		case c.flags&cComb != 0:
			dst = append(dst, t.comb[c.r]...)
		case c.r < utf8.RuneSelf:
			dst = append(dst, byte(c.r))
		default:
			dst = utf8.AppendRune(dst, c.r)
		}
	}
	if cur.fg != 0 || cur.bg != 0 || cur.attr != 0 {
		dst = append(dst, "\x1b[m"...)
	}
	return dst
}

var attrOn = [8]byte{1, 2, 3, 4, 5, 7, 8, 9}
var attrOff = [8]byte{22, 22, 23, 24, 25, 27, 28, 29}

// appendSGR appends the SGR sequence that changes the style from to the
// style of to.
func appendSGR(dst []byte, from, to *cell) []byte {
	if to.fg == 0 && to.bg == 0 && to.attr == 0 {
		return append(dst, "\x1b[m"...)
	}
	dst = append(dst, "\x1b["...)
	n := 0
	sep := func() {
		if n > 0 {
			dst = append(dst, ';')
		}
		n++
	}
	// Attributes turned off. 22 clears both bold and faint.
	off := from.attr &^ to.attr
	on := to.attr &^ from.attr
	if off&(AttrBold|AttrFaint) != 0 {
		// Re-enable the one of the two that stays on.
		on |= to.attr & (AttrBold | AttrFaint)
	}
	for b := 0; b < 8; b++ {
		if off&(1<<b) != 0 && (b != 1 || off&AttrBold == 0) {
			sep()
			dst = strconv.AppendInt(dst, int64(attrOff[b]), 10)
		}
	}
	for b := 0; b < 8; b++ {
		if on&(1<<b) != 0 {
			sep()
			dst = strconv.AppendInt(dst, int64(attrOn[b]), 10)
		}
	}
	if to.fg != from.fg {
		sep()
		dst = appendColor(dst, to.fg, 30)
	}
	if to.bg != from.bg {
		sep()
		dst = appendColor(dst, to.bg, 40)
	}
	return append(dst, 'm')
}

func appendColor(dst []byte, c Color, base int) []byte {
	if c == 0 {
		return strconv.AppendInt(dst, int64(base+9), 10)
	}
	if n, ok := c.Indexed(); ok {
		switch {
		case n < 8:
			return strconv.AppendInt(dst, int64(base+int(n)), 10)
		case n < 16:
			return strconv.AppendInt(dst, int64(base+60+int(n)-8), 10)
		}
		dst = strconv.AppendInt(dst, int64(base+8), 10)
		dst = append(dst, ";5;"...)
		return strconv.AppendInt(dst, int64(n), 10)
	}
	r, g, b, _ := c.RGB()
	dst = strconv.AppendInt(dst, int64(base+8), 10)
	dst = append(dst, ";2;"...)
	dst = strconv.AppendInt(dst, int64(r), 10)
	dst = append(dst, ';')
	dst = strconv.AppendInt(dst, int64(g), 10)
	dst = append(dst, ';')
	return strconv.AppendInt(dst, int64(b), 10)
}
