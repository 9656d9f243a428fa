package vt

import "unicode/utf8"

type charset uint8

const (
	csASCII charset = iota
	csDECGraphics
	csUK
	numCharsets
)

// modes is a set of terminal modes.
type modes uint32

const (
	modeAutowrap       modes = 1 << iota // DECAWM (?7)
	modeCursorVisible                    // DECTCEM (?25)
	modeOrigin                           // DECOM (?6)
	modeInsert                           // IRM (4)
	modeLNM                              // LNM (20)
	modeCKM                              // DECCKM (?1)
	modeReverse                          // DECSCNM (?5)
	modeBracketedPaste                   // ?2004
	modeMouseX10                         // ?9
	modeMouseNormal                      // ?1000
	modeMouseHighlight                   // ?1001
	modeMouseButton                      // ?1002
	modeMouseAny                         // ?1003
	modeFocus                            // ?1004
	modeMouseUTF8                        // ?1005
	modeMouseSGR                         // ?1006
	modeAltScroll                        // ?1007
	modeMouseURXVT                       // ?1015
	modeMousePixel                       // ?1016
	modeKeypad                           // DECKPAM / DECNKM (?66)
	modeSync                             // ?2026
	modeBlink                            // ?12
	modeColumn                           // DECCOLM (?3), tracked only
	modeAll            = modeColumn<<1 - 1
	defaultModes       = modeAutowrap | modeCursorVisible
)

// decMode maps a DEC private mode number to its bit (0 when not tracked).
func decMode(n int) modes {
	switch n {
	case 1:
		return modeCKM
	case 3:
		return modeColumn
	case 5:
		return modeReverse
	case 6:
		return modeOrigin
	case 7:
		return modeAutowrap
	case 9:
		return modeMouseX10
	case 12:
		return modeBlink
	case 25:
		return modeCursorVisible
	case 66:
		return modeKeypad
	case 1000:
		return modeMouseNormal
	case 1001:
		return modeMouseHighlight
	case 1002:
		return modeMouseButton
	case 1003:
		return modeMouseAny
	case 1004:
		return modeFocus
	case 1005:
		return modeMouseUTF8
	case 1006:
		return modeMouseSGR
	case 1007:
		return modeAltScroll
	case 1015:
		return modeMouseURXVT
	case 1016:
		return modeMousePixel
	case 2004:
		return modeBracketedPaste
	case 2026:
		return modeSync
	}
	return 0
}

func ansiMode(n int) modes {
	switch n {
	case 4:
		return modeInsert
	case 20:
		return modeLNM
	}
	return 0
}

// savedCursor is what DECSC saves.
type savedCursor struct {
	x, y   int
	pen    cell
	origin bool
	g      [4]charset
	gl     uint8
}

// state is every plain-value part of the terminal state.
type state struct {
	x, y     int // x == cols: pending wrap (the last column was written with autowrap on; it stays if autowrap is then turned off)
	pen      cell
	top, bot int // scroll region, inclusive
	modes    modes
	g        [4]charset
	gl       uint8
	saved    [2]savedCursor // DECSC, one per screen (0 main, 1 alternate)
	altSaved savedCursor    // cursor saved by mode 1049
	alt      bool
	last     rune // last printed graphic character, for REP; -1 when none
	title    string
}

// Terminal is a virtual terminal: it interprets the bytes written to it and
// keeps the resulting screen state. It is not safe for concurrent use.
type Terminal struct {
	cols, rows int
	st         state
	p          parser
	scr        *screen // the active screen: &main or &alt
	main, alt  screen
	tabs       []bool

	comb    []string         // texts of cells with combining marks
	combIdx map[string]int32 // reverse of comb
	combMax int              // collect comb when it grows past this

	onLine  func(text string, wrapped bool)
	lineBuf []byte
}

const (
	maxCols    = 4096
	maxRows    = 4096
	maxCells   = 1 << 20
	combGCMin  = 4096
	maxCombLen = 64 // bytes of text kept per cell
)

// New returns a terminal of cols x rows cells (each clamped to 1..4096, and
// their product to 1M cells: rows are cut to fit) in its power-on state.
func New(cols, rows int) *Terminal {
	cols, rows = clampSize(cols, rows)
	t := &Terminal{cols: cols, rows: rows}
	t.main = newScreen(cols, rows)
	t.alt = newScreen(cols, rows)
	t.scr = &t.main
	t.tabs = make([]bool, cols)
	t.resetTabs()
	t.st = initialState(rows)
	t.combIdx = map[string]int32{}
	t.combMax = combGCMin
	return t
}

func clampSize(cols, rows int) (int, int) {
	cols = min(max(cols, 1), maxCols)
	rows = min(max(rows, 1), maxRows)
	if cols*rows > maxCells {
		rows = maxCells / cols
	}
	return cols, rows
}

func initialState(rows int) state {
	return state{bot: rows - 1, modes: defaultModes, last: -1}
}

func (t *Terminal) resetTabs() {
	for i := range t.tabs {
		t.tabs[i] = i%8 == 0 && i > 0
	}
}

// Size returns the terminal's size.
func (t *Terminal) Size() (cols, rows int) { return t.cols, t.rows }

// Cursor returns the cursor position and visibility.
func (t *Terminal) Cursor() Cursor {
	return Cursor{Col: min(t.st.x, t.cols-1), Row: t.st.y, Visible: t.st.modes&modeCursorVisible != 0}
}

// AltScreen reports whether the alternate screen is active.
func (t *Terminal) AltScreen() bool { return t.st.alt }

// Title returns the window title set by OSC 0 or OSC 2.
func (t *Terminal) Title() string { return t.st.title }

// Mode reports whether DEC private mode n (as in CSI ? n h) is set. Modes
// tracked: 1, 3, 5, 6, 7, 9, 12, 25, 66, 1000-1007, 1015, 1016, 2004, 2026,
// and 47, 1047, 1049 (the alternate screen).
func (t *Terminal) Mode(n int) bool {
	switch n {
	case 47, 1047, 1049:
		return t.st.alt
	}
	m := decMode(n)
	return m != 0 && t.st.modes&m != 0
}

// ANSIMode reports whether ANSI mode n (as in CSI n h) is set: 4 (IRM) and
// 20 (LNM) are tracked.
func (t *Terminal) ANSIMode(n int) bool {
	m := ansiMode(n)
	return m != 0 && t.st.modes&m != 0
}

// SetLineHandler registers fn, called with the text (as RowText) of every
// row that leaves the main screen: rows scrolled off the top (only when the
// scroll region starts at row 0), rows pushed out by a resize, and the rows
// discarded by ED 2 and RIS on the main screen (rows up to the last
// non-blank one). wrapped reports that the row was ended by autowrap. It is
// not called for the alternate screen. nil disables it.
func (t *Terminal) SetLineHandler(fn func(text string, wrapped bool)) { t.onLine = fn }

// WriteString is Write for a string.
func (t *Terminal) WriteString(s string) {
	// Process in chunks through a stack buffer to avoid a conversion.
	var buf [512]byte
	for len(s) > 0 {
		n := copy(buf[:], s)
		t.Write(buf[:n])
		s = s[n:]
	}
}

// Write interprets p. It consumes all of p, never blocks and never returns
// an error; escape and UTF-8 sequences may be split across calls.
func (t *Terminal) Write(b []byte) (int, error) {
	p := &t.p
	i := 0
	for i < len(b) {
		switch p.state {
		case sGround:
			if p.u8need == 0 {
				j := i
				for j < len(b) && b[j]-0x20 < 0x5f {
					j++
				}
				if j > i {
					t.printASCII(b[i:j])
					i = j
					continue
				}
			}
		case sDCSPass, sDCSIgnore, sSOS:
			// String data (sixel images, APC payloads...) is skipped up to
			// the byte that ends it.
			j := i
			for j < len(b) && b[j] != escapeByte && b[j] != 0x18 && b[j] != 0x1a {
				j++
			}
			if j > i {
				i = j
				continue
			}
		case sOSC:
			j := i
			for j < len(b) && b[j] >= 0x20 && b[j] != 0x7f {
				j++
			}
			if j > i {
				p.oscLen += copy(p.osc[p.oscLen:], b[i:j])
				i = j
				continue
			}
		}
		switch p.feed(b[i]) {
		case aPrint:
			t.print(p.r)
		case aExec:
			t.execute(p.final)
		case aEsc:
			t.st.last = -1
			t.escDispatch()
		case aCSI:
			if p.final != 'b' {
				t.st.last = -1
			}
			t.csiDispatch()
		case aOSC:
			t.oscDispatch()
		}
		if p.redo {
			p.redo = false
			continue
		}
		i++
	}
	return len(b), nil
}

// blank is the cell an erase leaves: a space with the current background.
func (t *Terminal) blank() cell { return cell{r: ' ', bg: t.st.pen.bg} }

// printASCII prints a run of bytes 0x20..0x7e.
func (t *Terminal) printASCII(b []byte) {
	if t.st.g[t.st.gl] != csASCII || t.st.modes&modeInsert != 0 {
		for _, c := range b {
			t.print(rune(c))
		}
		return
	}
	cols := t.cols
	autowrap := t.st.modes&modeAutowrap != 0
	pen := t.st.pen
	for len(b) > 0 {
		if t.st.x >= cols {
			if !autowrap {
				// Pending wrap left over from before autowrap was turned
				// off: like tmux, characters are dropped until the cursor
				// moves.
				return
			}
			t.wrap()
		}
		x := t.st.x
		ln := t.scr.row(t.st.y)
		n := min(cols-x, len(b))
		cs := ln.cells[x : x+n]
		if cs[0].flags&cCont != 0 && x > 0 {
			ln.cells[x-1] = cell{r: ' '}
		}
		if cs[n-1].flags&cWide != 0 && x+n < cols {
			ln.cells[x+n] = cell{r: ' '}
		}
		for i, c := range b[:n] {
			pen.r = rune(c)
			cs[i] = pen
		}
		if x+n > ln.used {
			ln.used = x + n
		}
		b = b[n:]
		x += n
		if x < cols {
			t.st.x = x
		} else if autowrap {
			t.st.x = cols
		} else {
			// The rest of the run overwrites the last column.
			if len(b) > 0 {
				cs[n-1].r = rune(b[len(b)-1])
				b = nil
			}
			t.st.x = cols - 1
		}
		t.st.last = cs[n-1].r
	}
}

// print prints one character.
func (t *Terminal) print(r rune) {
	if r < 0x80 {
		if cs := t.st.g[t.st.gl]; cs != csASCII {
			r = translate(cs, r)
		}
	}
	w := runeWidth(r)
	if w <= 0 {
		if w == 0 {
			t.combine(r)
		}
		return
	}
	t.st.last = r
	t.putRune(r, w)
}

func (t *Terminal) putRune(r rune, w int) {
	cols := t.cols
	if w > cols {
		return
	}
	if t.st.x > cols-w {
		if t.st.modes&modeAutowrap == 0 {
			return // it does not fit, and may not wrap: dropped (like tmux)
		}
		t.wrap()
	}
	ln := t.scr.row(t.st.y)
	x := t.st.x
	if t.st.modes&modeInsert != 0 {
		t.insertCells(ln, x, w, cell{r: ' '})
	}
	clearOverlap(ln.cells, x, w)
	c := t.st.pen
	c.r = r
	if w == 2 {
		c.flags = cWide
		ln.cells[x] = c
		c.flags = cCont
		c.r = 0
		ln.cells[x+1] = c
	} else {
		ln.cells[x] = c
	}
	if x+w > ln.used {
		ln.used = x + w
	}
	x += w
	if x >= cols && t.st.modes&modeAutowrap == 0 {
		x = cols - 1
	}
	t.st.x = x
}

// clearOverlap blanks the halves of wide characters that writing cells
// x..x+w-1 would cut in two.
func clearOverlap(cs []cell, x, w int) {
	if cs[x].flags&cCont != 0 && x > 0 {
		cs[x-1] = cell{r: ' '}
	}
	if e := x + w - 1; e < len(cs) && cs[e].flags&cWide != 0 && e+1 < len(cs) {
		cs[e+1] = cell{r: ' '}
	}
}

// fixEdges blanks the halves of wide characters cut by an operation on
// cells x0..x1-1 (erase, insert, delete), using blank.
func fixEdges(cs []cell, x0, x1 int, blank cell) {
	if x0 > 0 && x0 < len(cs) && cs[x0].flags&cCont != 0 {
		cs[x0-1] = blank
	}
	if x1 > 0 && x1 < len(cs) && cs[x1].flags&cCont != 0 {
		cs[x1] = blank
	}
}

// combine attaches a zero-width character to the previous cell.
func (t *Terminal) combine(r rune) {
	x := t.st.x
	if x == 0 {
		return
	}
	ln := t.scr.row(t.st.y)
	x--
	if ln.cells[x].flags&cCont != 0 && x > 0 {
		x--
	}
	c := &ln.cells[x]
	if c.flags&cCont != 0 {
		return
	}
	var buf [maxCombLen + utf8.UTFMax]byte
	var s []byte
	if c.flags&cComb != 0 {
		s = append(buf[:0], t.comb[c.r]...)
	} else {
		s = utf8.AppendRune(buf[:0], c.r)
	}
	if len(s)+utf8.RuneLen(r) > maxCombLen {
		return
	}
	s = utf8.AppendRune(s, r)
	c.r = t.internComb(s)
	c.flags |= cComb
}

func (t *Terminal) internComb(s []byte) rune {
	if t.combIdx == nil {
		t.combIdx = make(map[string]int32, len(t.comb))
		for i, c := range t.comb {
			t.combIdx[c] = int32(i)
		}
	}
	if i, ok := t.combIdx[string(s)]; ok {
		return rune(i)
	}
	if len(t.comb) >= t.combMax {
		t.collectComb()
	}
	str := string(s)
	t.combIdx[str] = int32(len(t.comb))
	t.comb = append(t.comb, str)
	return rune(len(t.comb) - 1)
}

// collectComb drops the combined texts no cell refers to any more.
func (t *Terminal) collectComb() {
	old := t.comb
	t.comb = nil
	t.combIdx = map[string]int32{}
	for _, s := range []*screen{&t.main, &t.alt} {
		for i := range s.lines {
			cs := s.lines[i].cells
			for j := range cs {
				if cs[j].flags&cComb != 0 {
					str := old[cs[j].r]
					k, ok := t.combIdx[str]
					if !ok {
						k = int32(len(t.comb))
						t.combIdx[str] = k
						t.comb = append(t.comb, str)
					}
					cs[j].r = rune(k)
				}
			}
		}
	}
	t.combMax = max(combGCMin, 2*len(t.comb))
}

// wrap moves to the start of the next line after autowrap.
func (t *Terminal) wrap() {
	t.scr.row(t.st.y).wrapped = true
	t.index()
	t.st.x = 0
}

// index moves the cursor down one line, scrolling at the bottom margin.
func (t *Terminal) index() {
	if t.st.y == t.st.bot {
		t.scrollUp(t.st.top, t.st.bot, 1)
	} else if t.st.y < t.rows-1 {
		t.st.y++
	}
}

// reverseIndex moves the cursor up one line, scrolling at the top margin.
func (t *Terminal) reverseIndex() {
	if t.st.y == t.st.top {
		t.scrollDown(t.st.top, t.st.bot, 1)
	} else if t.st.y > 0 {
		t.st.y--
	}
}

func (t *Terminal) clearLine(ln *line, c cell) {
	fillCells(ln.cells, c)
	ln.wrapped = false
	ln.used = 0
}

// emitRow passes row i of the main screen to the line handler.
func (t *Terminal) emitRow(ln *line) {
	t.lineBuf = t.appendLineText(t.lineBuf[:0], ln)
	t.onLine(string(t.lineBuf), ln.wrapped)
}

// scrollUp scrolls rows top..bot up by n lines.
func (t *Terminal) scrollUp(top, bot, n int) {
	h := bot - top + 1
	n = min(n, h)
	if n <= 0 {
		return
	}
	s := t.scr
	if top == 0 && !t.st.alt && t.onLine != nil {
		for i := 0; i < n; i++ {
			t.emitRow(s.row(i))
		}
	}
	blank := t.blank()
	if top == 0 && bot == t.rows-1 {
		for i := 0; i < n; i++ {
			t.clearLine(s.row(0), blank)
			s.top++
			if s.top == len(s.lines) {
				s.top = 0
			}
		}
	} else {
		s.rotateUp(top, bot, n)
		for i := bot - n + 1; i <= bot; i++ {
			t.clearLine(s.row(i), blank)
		}
	}
	t.unwrapMoved(top, h)
}

// unwrapMoved updates the wrapped flags after rows top..top+h-1 scrolled up,
// as tmux (3.3a, without history) does when it moves rows: the row above
// the region no longer continues into it, and in a region of two rows the
// row moved to the top no longer continues either.
func (t *Terminal) unwrapMoved(top, h int) {
	if h < 2 {
		return
	}
	t.unwrapAbove(top)
	if h == 2 {
		t.scr.row(top).wrapped = false
	}
}

// unwrapAbove clears the wrapped flag of the row above row y, whose text no
// longer continues on row y: tmux does so whenever rows are moved down or
// rows are erased whole.
func (t *Terminal) unwrapAbove(y int) {
	if y > 0 {
		t.scr.row(y - 1).wrapped = false
	}
}

// clearRow erases row y entirely.
func (t *Terminal) clearRow(y int, blank cell) {
	t.clearLine(t.scr.row(y), blank)
	t.unwrapAbove(y)
}

// scrollDown scrolls rows top..bot down by n lines (RI, SD).
func (t *Terminal) scrollDown(top, bot, n int) { t.moveDown(top, bot, n, false) }

// moveDown moves rows top..bot down by n lines, clearing the rows left at
// the top: RI and SD, or IL (insert) which tmux does in one move rather
// than n single-row scrolls; the difference shows in the wrapped flags.
func (t *Terminal) moveDown(top, bot, n int, insert bool) {
	h := bot - top + 1
	n = min(n, h)
	if n <= 0 {
		return
	}
	s := t.scr
	// As tmux: before the move, the row that will be pushed down just
	// below the cleared rows stops continuing onto the next row.
	if insert {
		if n < h {
			s.row(top + n - 1).wrapped = false
		}
	} else if h >= 2 {
		s.row(top).wrapped = false
	}
	blank := t.blank()
	if top == 0 && bot == t.rows-1 {
		for i := 0; i < n; i++ {
			s.top--
			if s.top < 0 {
				s.top = len(s.lines) - 1
			}
			t.clearLine(s.row(0), blank)
		}
	} else {
		s.rotateUp(top, bot, h-n)
		for i := top; i < top+n; i++ {
			t.clearLine(s.row(i), blank)
		}
	}
	t.unwrapAbove(top)
}

// execute carries out a C0 control.
func (t *Terminal) execute(b byte) {
	t.st.last = -1
	switch b {
	case '\b':
		if t.st.x >= t.cols {
			t.st.x = t.cols - 1
		} else if t.st.x > 0 {
			t.st.x--
		} else if t.st.y > 0 && t.scr.row(t.st.y-1).wrapped {
			// Like tmux: backspace at the start of a wrapped row goes
			// back to the end of the row before.
			t.st.y--
			t.st.x = t.cols - 1
		}
	case '\t':
		t.tabForward(1)
	case '\n', '\v', '\f':
		t.index()
		if t.st.modes&modeLNM != 0 {
			t.st.x = 0
		}
	case '\r':
		t.st.x = 0
	case 0x0e: // SO
		t.st.gl = 1
	case 0x0f: // SI
		t.st.gl = 0
	}
}

func (t *Terminal) tabForward(n int) {
	x := t.st.x
	if x >= t.cols-1 {
		return
	}
	for ; n > 0 && x < t.cols-1; n-- {
		x++
		for x < t.cols-1 && !t.tabs[x] {
			x++
		}
	}
	t.st.x = x
}

func (t *Terminal) tabBackward(n int) {
	x := min(t.st.x, t.cols-1)
	for ; n > 0 && x > 0; n-- {
		x--
		for x > 0 && !t.tabs[x] {
			x--
		}
	}
	t.st.x = x
}

// translate maps a character through a 94-character set.
func translate(cs charset, r rune) rune {
	switch cs {
	case csDECGraphics:
		if r >= 0x5f && r <= 0x7e {
			return decGraphics[r-0x5f]
		}
	case csUK:
		if r == '#' {
			return '£'
		}
	}
	return r
}

// decGraphics maps 0x5f..0x7e in the DEC Special Graphics set.
var decGraphics = [32]rune{
	' ',                                    // _ blank
	'◆', '▒', '␉', '␌', '␍', '␊', '°', '±', // ` a b c d e f g
	'␤', '␋', '┘', '┐', '┌', '└', '┼', '⎺', // h i j k l m n o
	'⎻', '─', '⎼', '⎽', '├', '┤', '┴', '┬', // p q r s t u v w
	'│', '≤', '≥', 'π', '≠', '£', '·', // x y z { | } ~
}

// escDispatch carries out an escape sequence.
func (t *Terminal) escDispatch() {
	p := &t.p
	switch p.inter1() {
	case 0:
		switch p.final {
		case '7':
			t.saveCursor()
		case '8':
			t.restoreCursor()
		case 'D':
			t.index()
		case 'E':
			t.index()
			t.st.x = 0
		case 'H':
			if x := t.st.x; x < t.cols {
				t.tabs[x] = true
			}
		case 'M':
			t.reverseIndex()
		case 'c':
			t.reset()
		case '=':
			t.st.modes |= modeKeypad
		case '>':
			t.st.modes &^= modeKeypad
		}
	case '(', ')', '*', '+':
		if p.ninter != 1 {
			return
		}
		cs := csASCII
		switch p.final {
		case '0':
			cs = csDECGraphics
		case 'A':
			cs = csUK
		}
		t.st.g[p.inter[0]-'('] = cs
	case '#':
		if p.final == '8' && p.ninter == 1 {
			t.alignmentTest()
		}
	}
}

func (t *Terminal) alignmentTest() {
	for y := 0; y < t.rows; y++ {
		ln := t.scr.row(y)
		t.clearLine(ln, cell{r: 'E'})
		ln.used = t.cols
	}
	t.st.top, t.st.bot = 0, t.rows-1
	t.st.modes &^= modeOrigin
	t.st.x, t.st.y = 0, 0
}

func (t *Terminal) saveCursor() {
	t.st.saved[t.altIndex()] = t.cursorState()
}

func (t *Terminal) cursorState() savedCursor {
	return savedCursor{
		x: t.st.x, y: t.st.y, pen: t.st.pen, origin: t.st.modes&modeOrigin != 0,
		g: t.st.g, gl: t.st.gl,
	}
}

func (t *Terminal) restoreCursor() { t.restoreCursorFrom(t.st.saved[t.altIndex()]) }

func (t *Terminal) restoreCursorFrom(s savedCursor) {
	t.st.x = min(s.x, t.cols-1)
	t.st.y = min(s.y, t.rows-1)
	t.st.pen = s.pen
	t.st.g = s.g
	t.st.gl = s.gl
	if s.origin {
		t.st.modes |= modeOrigin
	} else {
		t.st.modes &^= modeOrigin
	}
}

func (t *Terminal) altIndex() int {
	if t.st.alt {
		return 1
	}
	return 0
}

// reset is RIS: the power-on state, keeping the title.
func (t *Terminal) reset() {
	title := t.st.title
	t.st = initialState(t.rows)
	t.st.title = title
	t.scr = &t.main
	t.discardMain()
	for y := 0; y < t.rows; y++ {
		t.clearLine(t.alt.row(y), cell{r: ' '})
	}
	t.resetTabs()
}

// discardMain clears the main screen, passing its rows up to the last
// non-blank one to the line handler.
func (t *Terminal) discardMain() {
	s := &t.main
	if t.onLine != nil {
		last := -1
		for y := t.rows - 1; y >= 0; y-- {
			if !lineBlank(s.row(y)) {
				last = y
				break
			}
		}
		for y := 0; y <= last; y++ {
			t.emitRow(s.row(y))
		}
	}
	blank := t.blank()
	for y := 0; y < t.rows; y++ {
		t.clearLine(s.row(y), blank)
	}
}

func lineBlank(ln *line) bool {
	for i := range ln.cells {
		c := &ln.cells[i]
		if c.r != ' ' && c.flags&cCont == 0 || c.flags&cComb != 0 {
			return false
		}
	}
	return true
}

// setAlt switches between the main and alternate screens. Entering the
// alternate screen clears it; with save1049 the cursor is saved on entry
// and restored on exit.
func (t *Terminal) setAlt(on, save1049 bool) {
	if on == t.st.alt {
		return
	}
	if on {
		if save1049 {
			t.st.altSaved = t.cursorState()
		}
		t.st.alt = true
		t.scr = &t.alt
		blank := t.blank()
		for y := 0; y < t.rows; y++ {
			t.clearLine(t.alt.row(y), blank)
		}
		return
	}
	t.st.alt = false
	t.scr = &t.main
	// The alternate screen is cleared on entry, so its content is dead
	// now: clearing it keeps snapshots small.
	for y := 0; y < t.rows; y++ {
		t.clearLine(t.alt.row(y), cell{r: ' '})
	}
	if save1049 {
		t.restoreCursorFrom(t.st.altSaved)
	}
}

// oscDispatch carries out an operating system command: only the title.
func (t *Terminal) oscDispatch() {
	p := &t.p
	s := p.osc[:p.oscLen]
	n := 0
	i := 0
	for ; i < len(s) && s[i] >= '0' && s[i] <= '9' && i < 6; i++ {
		n = n*10 + int(s[i]-'0')
	}
	if i == 0 || i >= len(s) || s[i] != ';' {
		return
	}
	switch n {
	case 0, 2:
		title := s[i+1:]
		if string(title) == t.st.title {
			return
		}
		if utf8.Valid(title) {
			t.st.title = string(title)
			return
		}
		s := string([]rune(string(title))) // malformed UTF-8 becomes U+FFFD
		for len(s) > oscMax {
			_, n := utf8.DecodeLastRuneInString(s)
			s = s[:len(s)-n]
		}
		t.st.title = s
	}
}
