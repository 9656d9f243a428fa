package vt

// arg returns parameter i (0 when absent), treating 0 as def.
func (p *parser) arg(i int, def int) int {
	if i >= int(p.nparams) || p.params[i] == 0 {
		return def
	}
	return int(p.params[i])
}

// csiDispatch carries out a control sequence.
func (t *Terminal) csiDispatch() {
	p := &t.p
	if p.ninter > 0 {
		if p.ninter == 1 && p.prefix == 0 && p.inter[0] == '!' && p.final == 'p' {
			t.softReset()
		}
		// DECSCUSR, DECRQM, DECSCL, DECSCA...: nothing to do.
		return
	}
	switch p.prefix {
	case 0:
	case '?':
		switch p.final {
		case 'h', 'l':
			for i := 0; i < int(p.nparams); i++ {
				t.setDECMode(int(p.params[i]), p.final == 'h')
			}
		case 'J':
			t.eraseDisplay(p.arg(0, 0))
		case 'K':
			t.eraseLine(p.arg(0, 0))
		}
		return
	default:
		// DA2, XTVERSION, XTMODKEYS, ...: queries and keyboard settings.
		return
	}
	st := &t.st
	n := p.arg(0, 1)
	switch p.final {
	case '@':
		t.insertChars(n)
	case 'A':
		t.cursorUp(n)
	case 'B', 'e':
		t.cursorDown(n)
	case 'C', 'a':
		st.x = min(st.x, t.cols-1)
		st.x = min(st.x+n, t.cols-1)
	case 'D':
		st.x = max(st.x-n, 0)
	case 'E':
		t.cursorDown(n)
		st.x = 0
	case 'F':
		t.cursorUp(n)
		st.x = 0
	case 'G', '`':
		st.x = min(n, t.cols) - 1
	case 'H', 'f':
		t.moveTo(p.arg(1, 1)-1, n-1)
	case 'I':
		t.tabForward(n)
	case 'J':
		t.eraseDisplay(p.arg(0, 0))
	case 'K':
		t.eraseLine(p.arg(0, 0))
	case 'L':
		t.insertLines(n)
	case 'M':
		t.deleteLines(n)
	case 'P':
		t.deleteChars(n)
	case 'S':
		t.scrollUp(st.top, st.bot, n)
	case 'T':
		if p.nparams == 1 {
			t.scrollDown(st.top, st.bot, n)
		}
	case 'X':
		t.eraseChars(n)
	case 'Z':
		t.tabBackward(n)
	case 'b':
		if w := runeWidth(st.last); w > 0 {
			r := st.last
			n = min(n, t.cols*t.rows)
			for i := 0; i < n; i++ {
				t.putRune(r, w)
			}
		}
	case 'd':
		// Like tmux, VPA keeps the column, even the pending wrap state.
		x := st.x
		t.moveTo(0, n-1)
		st.x = x
	case 'g':
		switch p.arg(0, 0) {
		case 0:
			if st.x < t.cols {
				t.tabs[st.x] = false
			}
		case 3:
			clear(t.tabs)
		}
	case 'h', 'l':
		for i := 0; i < int(p.nparams); i++ {
			if m := ansiMode(int(p.params[i])); m != 0 {
				if p.final == 'h' {
					st.modes |= m
				} else {
					st.modes &^= m
				}
			}
		}
	case 'm':
		t.sgr()
	case 'r':
		t.setRegion(p.arg(0, 1)-1, p.arg(1, t.rows)-1)
	case 's':
		t.saveCursor()
	case 'u':
		t.restoreCursor()
	}
}

// moveTo moves the cursor to col, row (0-based), relative to the scroll
// region in origin mode.
func (t *Terminal) moveTo(col, row int) {
	top, bot := 0, t.rows-1
	if t.st.modes&modeOrigin != 0 {
		top, bot = t.st.top, t.st.bot
		row += top
	}
	t.st.y = min(max(row, top), bot)
	t.st.x = min(max(col, 0), t.cols-1)
}

func (t *Terminal) cursorUp(n int) {
	st := &t.st
	st.x = min(st.x, t.cols-1)
	lim := 0
	if st.y >= st.top {
		lim = st.top
	}
	st.y = max(st.y-n, lim)
}

func (t *Terminal) cursorDown(n int) {
	st := &t.st
	st.x = min(st.x, t.cols-1)
	lim := t.rows - 1
	if st.y <= st.bot {
		lim = st.bot
	}
	st.y = min(st.y+n, lim)
}

func (t *Terminal) setRegion(top, bot int) {
	bot = min(bot, t.rows-1)
	if top < 0 || top >= bot {
		return
	}
	t.st.top, t.st.bot = top, bot
	t.moveTo(0, 0)
}

// softReset is DECSTR.
func (t *Terminal) softReset() {
	st := &t.st
	st.modes = st.modes&^(modeOrigin|modeInsert|modeCKM|modeKeypad) | modeAutowrap | modeCursorVisible
	st.pen = cell{}
	st.g = [4]charset{}
	st.gl = 0
	st.top, st.bot = 0, t.rows-1
	st.saved[t.altIndex()] = savedCursor{}
}

func (t *Terminal) setDECMode(n int, on bool) {
	st := &t.st
	switch n {
	case 47, 1047:
		t.setAlt(on, false)
		return
	case 1049:
		t.setAlt(on, true)
		return
	case 1048:
		if on {
			t.saveCursor()
		} else {
			t.restoreCursor()
		}
		return
	}
	m := decMode(n)
	if m == 0 {
		return
	}
	if on {
		st.modes |= m
	} else {
		st.modes &^= m
	}
	if m == modeOrigin {
		t.moveTo(0, 0)
	}
}

// eraseDisplay is ED (and DECSED).
func (t *Terminal) eraseDisplay(mode int) {
	st := &t.st
	blank := t.blank()
	switch mode {
	case 0:
		t.eraseInLine(st.y, st.x, t.cols, blank)
		for y := st.y + 1; y < t.rows; y++ {
			t.clearRow(y, blank)
		}
	case 1:
		for y := 0; y < st.y; y++ {
			t.clearRow(y, blank)
		}
		t.eraseInLine(st.y, 0, st.x+1, blank)
	case 2:
		if !st.alt {
			t.discardMain()
			return
		}
		for y := 0; y < t.rows; y++ {
			t.clearRow(y, blank)
		}
	}
	// ED 3 clears the scrollback, which this terminal does not keep.
}

// eraseLine is EL (and DECSEL).
func (t *Terminal) eraseLine(mode int) {
	st := &t.st
	blank := t.blank()
	switch mode {
	case 0:
		t.eraseInLine(st.y, st.x, t.cols, blank)
	case 1:
		t.eraseInLine(st.y, 0, st.x+1, blank)
	case 2:
		t.clearRow(st.y, blank)
	}
}

// eraseInLine blanks cells x0..x1-1 of row y.
func (t *Terminal) eraseInLine(y, x0, x1 int, blank cell) {
	x1 = min(x1, t.cols)
	if x0 >= x1 {
		return
	}
	ln := t.scr.row(y)
	if x0 == 0 && x1 == t.cols {
		t.clearRow(y, blank)
		return
	}
	fixEdges(ln.cells, x0, x1, blank) // a cut wide character is erased whole
	fillCells(ln.cells[x0:x1], blank)
}

func (t *Terminal) eraseChars(n int) {
	st := &t.st
	t.eraseInLine(st.y, st.x, st.x+n, t.blank())
}

// insertCells inserts n copies of c at x, shifting the rest of the row right.
func (t *Terminal) insertCells(ln *line, x, n int, c cell) {
	cs := ln.cells
	if x >= len(cs) {
		return
	}
	n = min(n, len(cs)-x)
	fixEdges(cs, x, x, cell{r: ' '})
	copy(cs[x+n:], cs[x:])
	fillCells(cs[x:x+n], c)
	if x+n < len(cs) {
		ln.used = len(cs) // as tmux counts it: the moved cells reach the end
	}
	// A wide character pushed to the last column loses its right half.
	if last := &cs[len(cs)-1]; last.flags&cWide != 0 {
		*last = cell{r: ' '}
	}
}

func (t *Terminal) insertChars(n int) {
	st := &t.st
	if st.x >= t.cols {
		return
	}
	t.insertCells(t.scr.row(st.y), st.x, n, t.blank())
}

func (t *Terminal) deleteChars(n int) {
	st := &t.st
	x := st.x
	if x >= t.cols {
		return
	}
	ln := t.scr.row(st.y)
	cs := ln.cells
	n = min(n, t.cols-x)
	fixEdges(cs, x, x+n, cell{r: ' '})
	copy(cs[x:], cs[x+n:])
	fillCells(cs[t.cols-n:], t.blank())
	if x+n < t.cols {
		ln.used = max(ln.used, t.cols-n) // as tmux counts it
	}
}

// insertLines is IL. Like tmux, outside the scroll region it works on the
// rows from the cursor to the bottom of the screen.
func (t *Terminal) insertLines(n int) {
	st := &t.st
	top, bot := st.top, st.bot
	if st.y < top || st.y > bot {
		bot = t.rows - 1
	}
	t.moveDown(st.y, bot, n, true)
}

func (t *Terminal) deleteLines(n int) {
	st := &t.st
	top, bot := st.top, st.bot
	if st.y < top || st.y > bot {
		bot = t.rows - 1
	}
	t.scrollUpNoHistory(st.y, bot, n)
}

// scrollUpNoHistory deletes n rows at top, moving rows up to bot: DL. The
// deleted rows do not scroll past, so they are not given to the line
// handler.
func (t *Terminal) scrollUpNoHistory(top, bot, n int) {
	h := bot - top + 1
	n = min(n, h)
	if n <= 0 {
		return
	}
	s := t.scr
	blank := t.blank()
	s.rotateUp(top, bot, n)
	for i := bot - n + 1; i <= bot; i++ {
		t.clearLine(s.row(i), blank)
	}
	// As tmux: the row above, and the last row moved (now followed by
	// blank rows), no longer continue.
	t.unwrapAbove(top)
	if moved := h - n; moved > 0 {
		s.row(top + moved - 1).wrapped = false
	}
}

// sgr is SGR: set the pen's colors and attributes.
func (t *Terminal) sgr() {
	p := &t.p
	pen := &t.st.pen
	np := int(p.nparams)
	for i := 0; i < np; i++ {
		v := p.params[i]
		// Sub-parameters of this parameter: i+1..j-1.
		j := i + 1
		for j < np && p.sub&(1<<j) != 0 {
			j++
		}
		switch {
		case v == 0:
			pen.fg, pen.bg, pen.attr = 0, 0, 0
		case v == 1:
			pen.attr |= AttrBold
		case v == 2:
			pen.attr |= AttrFaint
		case v == 3:
			pen.attr |= AttrItalic
		case v == 4:
			if j > i+1 && p.params[i+1] == 0 {
				pen.attr &^= AttrUnderline
			} else {
				pen.attr |= AttrUnderline
			}
		case v == 5 || v == 6:
			pen.attr |= AttrBlink
		case v == 7:
			pen.attr |= AttrInverse
		case v == 8:
			pen.attr |= AttrInvisible
		case v == 9:
			pen.attr |= AttrStrike
		case v == 21:
			pen.attr |= AttrUnderline
		case v == 22:
			pen.attr &^= AttrBold | AttrFaint
		case v == 23:
			pen.attr &^= AttrItalic
		case v == 24:
			pen.attr &^= AttrUnderline
		case v == 25:
			pen.attr &^= AttrBlink
		case v == 27:
			pen.attr &^= AttrInverse
		case v == 28:
			pen.attr &^= AttrInvisible
		case v == 29:
			pen.attr &^= AttrStrike
		case v >= 30 && v <= 37:
			pen.fg = IndexedColor(uint8(v - 30))
		case v == 39:
			pen.fg = 0
		case v >= 40 && v <= 47:
			pen.bg = IndexedColor(uint8(v - 40))
		case v == 49:
			pen.bg = 0
		case v >= 90 && v <= 97:
			pen.fg = IndexedColor(uint8(v - 90 + 8))
		case v >= 100 && v <= 107:
			pen.bg = IndexedColor(uint8(v - 100 + 8))
		case v == 38 || v == 48 || v == 58:
			c, ok, next := p.extendedColor(i, j)
			if ok {
				switch v {
				case 38:
					pen.fg = c
				case 48:
					pen.bg = c
				}
			}
			j = next
		}
		i = j - 1
	}
}

// extendedColor decodes the color of SGR 38/48/58 at params[i]. j is the end
// of i's sub-parameters. It returns the index of the next parameter to read.
func (p *parser) extendedColor(i, j int) (c Color, ok bool, next int) {
	np := int(p.nparams)
	if j > i+1 {
		// Colon form: 38:5:n, 38:2:r:g:b or 38:2:cs:r:g:b.
		sub := p.params[i+1 : j]
		switch sub[0] {
		case 5:
			if len(sub) >= 2 && sub[1] < 256 {
				return IndexedColor(uint8(sub[1])), true, j
			}
		case 2:
			rgb := sub[1:]
			if len(rgb) >= 4 {
				rgb = rgb[1:]
			}
			if len(rgb) >= 3 && rgb[0] < 256 && rgb[1] < 256 && rgb[2] < 256 {
				return RGBColor(uint8(rgb[0]), uint8(rgb[1]), uint8(rgb[2])), true, j
			}
		}
		return 0, false, j
	}
	// Semicolon form: 38;5;n or 38;2;r;g;b.
	if i+1 >= np {
		return 0, false, np
	}
	switch p.params[i+1] {
	case 5:
		if i+2 >= np {
			return 0, false, np
		}
		if v := p.params[i+2]; v < 256 {
			return IndexedColor(uint8(v)), true, i + 3
		}
		return 0, false, i + 3
	case 2:
		if i+4 >= np {
			return 0, false, np
		}
		r, g, b := p.params[i+2], p.params[i+3], p.params[i+4]
		if r < 256 && g < 256 && b < 256 {
			return RGBColor(uint8(r), uint8(g), uint8(b)), true, i + 5
		}
		return 0, false, i + 5
	}
	return 0, false, i + 2
}
