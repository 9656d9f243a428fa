package vt

import (
	"encoding/binary"
	"errors"
	"fmt"
	"unicode/utf8"
)

// Snapshot is a copy of the whole state of a Terminal: both screens, the
// cursor, pen, saved cursors, modes, character sets, scroll region, tab stops,
// title and the parser (including a partial escape or UTF-8 sequence). The
// line handler is not part of it.
type Snapshot struct {
	cols, rows int
	st         state
	p          parser
	main, alt  []cell // row-major, rows*cols; alt is nil when blank (not in use)
	wrap       []bool // main rows, then alternate rows
	used       []int  // line.used of main rows, then alternate rows
	tabs       []bool
	comb       []string
}

// Snapshot captures the terminal's whole state.
func (t *Terminal) Snapshot() *Snapshot {
	s := &Snapshot{
		cols: t.cols, rows: t.rows, st: t.st, p: t.p,
		main: make([]cell, t.cols*t.rows),
		wrap: make([]bool, 2*t.rows),
		used: make([]int, 2*t.rows),
		tabs: append([]bool(nil), t.tabs...),
		comb: t.comb[:len(t.comb):len(t.comb)],
	}
	if t.st.alt {
		// Otherwise the alternate screen is blank: it is cleared on exit.
		s.alt = make([]cell, t.cols*t.rows)
	}
	for y := 0; y < t.rows; y++ {
		ml, al := t.main.row(y), t.alt.row(y)
		copy(s.main[y*t.cols:], ml.cells)
		if s.alt != nil {
			copy(s.alt[y*t.cols:], al.cells)
		}
		s.wrap[y], s.wrap[t.rows+y] = ml.wrapped, al.wrapped
		s.used[y], s.used[t.rows+y] = ml.used, al.used
	}
	return s
}

// Restore brings the terminal back to the state captured in s; s may be
// restored again later. The line handler is kept.
func (t *Terminal) Restore(s *Snapshot) {
	if s == nil || s.cols < 1 || s.rows < 1 {
		return // not a snapshot made by Snapshot or UnmarshalBinary
	}
	if t.cols != s.cols || t.rows != s.rows {
		t.cols, t.rows = s.cols, s.rows
		t.main = newScreen(s.cols, s.rows)
		t.alt = newScreen(s.cols, s.rows)
	}
	t.main.linear()
	t.alt.linear()
	for y := 0; y < t.rows; y++ {
		ml, al := &t.main.lines[y], &t.alt.lines[y]
		copy(ml.cells, s.main[y*t.cols:(y+1)*t.cols])
		if s.alt != nil {
			copy(al.cells, s.alt[y*t.cols:(y+1)*t.cols])
		} else {
			fillCells(al.cells, cell{r: ' '})
		}
		ml.wrapped, al.wrapped = s.wrap[y], s.wrap[t.rows+y]
		ml.used, al.used = s.used[y], s.used[t.rows+y]
	}
	t.st = s.st
	t.p = s.p
	t.tabs = append(t.tabs[:0], s.tabs...)
	// The table is shared with the snapshot: its capacity is its length,
	// so appending copies it, and entries are never changed in place.
	t.comb = s.comb[:len(s.comb):len(s.comb)]
	t.combIdx = nil // rebuilt when needed
	t.combMax = max(combGCMin, 2*len(t.comb))
	t.scr = &t.main
	if t.st.alt {
		t.scr = &t.alt
	}
}

// Size returns the terminal size the snapshot was taken at.
func (s *Snapshot) Size() (cols, rows int) { return s.cols, s.rows }

const snapMagic = "VTS\x01"

// MarshalBinary encodes the snapshot compactly: cells are stored as runs
// (repeated cells, such as blanks, once with a count) with their styles in
// a table.
func (s *Snapshot) MarshalBinary() ([]byte, error) {
	e := encoder{styles: map[Style]int{}, combs: map[int32]int{}, lastIdx: -1}
	e.b = make([]byte, 0, 1024)
	e.b = append(e.b, snapMagic...)
	e.uint(uint64(s.cols))
	e.uint(uint64(s.rows))
	var blankRow []cell
	if s.alt == nil {
		blankRow = make([]cell, s.cols)
		fillCells(blankRow, cell{r: ' '})
	}
	row := func(screen, y int) []cell {
		if screen == 0 {
			return s.main[y*s.cols : (y+1)*s.cols]
		}
		if s.alt == nil {
			return blankRow
		}
		return s.alt[y*s.cols : (y+1)*s.cols]
	}
	// Tables first: collect styles and combined texts in order of use.
	for _, cs := range [][]cell{s.main, s.alt, blankRow} {
		for i := range cs {
			e.styleIndex(&cs[i])
			if cs[i].flags&cComb != 0 {
				if _, ok := e.combs[cs[i].r]; !ok {
					e.combs[cs[i].r] = len(e.combList)
					e.combList = append(e.combList, s.comb[cs[i].r])
				}
			}
		}
	}
	e.uint(uint64(len(e.styleList)))
	for _, st := range e.styleList {
		e.style(st)
	}
	e.uint(uint64(len(e.combList)))
	for _, c := range e.combList {
		e.str(c)
	}
	for screen := 0; screen < 2; screen++ {
		for y := 0; y < s.rows; y++ {
			e.row(row(screen, y))
		}
	}
	for _, w := range s.wrap {
		e.bool(w)
	}
	for _, u := range s.used {
		e.uint(uint64(u))
	}
	e.bits(s.tabs)
	// State.
	st := &s.st
	e.uint(uint64(st.x))
	e.uint(uint64(st.y))
	e.style(st.pen.style())
	e.uint(uint64(st.top))
	e.uint(uint64(st.bot))
	e.uint(uint64(st.modes))
	e.charsets(st.g, st.gl)
	for _, sc := range []*savedCursor{&st.saved[0], &st.saved[1], &st.altSaved} {
		e.uint(uint64(sc.x))
		e.uint(uint64(sc.y))
		e.style(sc.pen.style())
		e.bool(sc.origin)
		e.charsets(sc.g, sc.gl)
	}
	e.bool(st.alt)
	e.uint(uint64(st.last + 1))
	e.str(st.title)
	// Parser.
	p := &s.p
	e.b = append(e.b, byte(p.state), p.u8need, p.u8lo, p.u8hi)
	e.uint(uint64(p.u8rune))
	e.b = append(e.b, p.prefix, p.ninter, p.inter[0], p.inter[1], p.final)
	e.bool(p.ignore)
	e.uint(uint64(p.nparams))
	for i := 0; i < int(p.nparams); i++ {
		e.uint(uint64(p.params[i]))
	}
	e.uint(uint64(p.sub & (1<<p.nparams - 1)))
	e.str(string(p.osc[:p.oscLen]))
	return e.b, nil
}

type encoder struct {
	b         []byte
	styles    map[Style]int
	styleList []Style
	lastStyle Style // cache of the last styleIndex lookup
	lastIdx   int
	combs     map[int32]int
	combList  []string
}

func (e *encoder) uint(v uint64) { e.b = binary.AppendUvarint(e.b, v) }

func (e *encoder) bool(v bool) {
	if v {
		e.b = append(e.b, 1)
	} else {
		e.b = append(e.b, 0)
	}
}

func (e *encoder) str(s string) {
	e.uint(uint64(len(s)))
	e.b = append(e.b, s...)
}

func (e *encoder) style(s Style) {
	e.uint(uint64(s.Fg))
	e.uint(uint64(s.Bg))
	e.uint(uint64(s.Attrs))
}

func (e *encoder) bits(bs []bool) {
	var acc byte
	for i, v := range bs {
		if v {
			acc |= 1 << (i & 7)
		}
		if i&7 == 7 {
			e.b = append(e.b, acc)
			acc = 0
		}
	}
	if len(bs)&7 != 0 {
		e.b = append(e.b, acc)
	}
}

func (e *encoder) charsets(g [4]charset, gl uint8) {
	e.b = append(e.b, byte(g[0]), byte(g[1]), byte(g[2]), byte(g[3]), gl)
}

func (e *encoder) styleIndex(c *cell) int {
	st := c.style()
	if st == e.lastStyle && e.lastIdx >= 0 {
		return e.lastIdx
	}
	i, ok := e.styles[st]
	if !ok {
		i = len(e.styleList)
		e.styles[st] = i
		e.styleList = append(e.styleList, st)
	}
	e.lastStyle, e.lastIdx = st, i
	return i
}

func (e *encoder) cellCode(c *cell) uint64 {
	r := c.r
	if c.flags&cComb != 0 {
		r = int32(e.combs[c.r])
	}
	return uint64(r)<<3 | uint64(c.flags&cFlags)
}

// Cell tokens of the row encoding. A plain cell is its rune in UTF-8
// (cells never hold control characters, so bytes below 0x20 are free).
const (
	tokWide     = 0x01 // UTF-8 rune: a wide character (both halves)
	tokComb     = 0x02 // uvarint: a cell with combining marks (text table index)
	tokCombWide = 0x03 // uvarint: the same, wide
	tokRaw      = 0x04 // uvarint r<<3|flags, uvarint style index: any other cell
)

// unit classifies the cell at cs[i] for the row encoding: the number of
// cells it covers and its token kind (0 plain, or a tok constant).
func unit(cs []cell, i int) (n int, kind byte) {
	c := &cs[i]
	pair := i+1 < len(cs) && cs[i+1].flags == cCont && cs[i+1].r == 0 && cs[i+1].sameStyle(c)
	switch c.flags {
	case 0:
		if c.r >= 0x20 && c.r <= utf8.MaxRune && (c.r < 0xd800 || c.r > 0xdfff) {
			return 1, 0
		}
	case cComb:
		return 1, tokComb
	case cWide:
		if pair && c.r >= 0x20 && c.r <= utf8.MaxRune && (c.r < 0xd800 || c.r > 0xdfff) {
			return 2, tokWide
		}
	case cWide | cComb:
		if pair {
			return 2, tokCombWide
		}
	}
	return 1, tokRaw
}

func (e *encoder) token(cs []cell, i int, kind byte) {
	c := &cs[i]
	switch kind {
	case 0:
		e.b = utf8.AppendRune(e.b, c.r)
	case tokWide:
		e.b = append(e.b, tokWide)
		e.b = utf8.AppendRune(e.b, c.r)
	case tokComb, tokCombWide:
		e.b = append(e.b, kind)
		e.uint(uint64(e.combs[c.r]))
	default:
		e.b = append(e.b, tokRaw)
		e.uint(e.cellCode(c))
		e.uint(uint64(e.styleIndex(c)))
	}
}

// repeatRun returns the length of the run of identical plain cells at i.
func repeatRun(cs []cell, i int) int {
	if i+2 >= len(cs) || cs[i+1] != cs[i] || cs[i+2] != cs[i] {
		return 1
	}
	if n, kind := unit(cs, i); n != 1 || kind != 0 {
		return 1
	}
	k := i + 1
	for k < len(cs) && cs[k] == cs[i] {
		k++
	}
	return k - i
}

// row encodes one row as segments, each a header n<<1|repeat (n cells), a
// style index, then either one plain cell repeated n times, or tokens
// covering n cells in that style (raw tokens carry their own style).
func (e *encoder) row(cs []cell) {
	i := 0
	for i < len(cs) {
		if k := repeatRun(cs, i); k >= 3 {
			e.uint(uint64(k)<<1 | 1)
			e.uint(uint64(e.styleIndex(&cs[i])))
			e.token(cs, i, 0)
			i += k
			continue
		}
		// A literal segment: find its end first.
		seg := &cs[i]
		j := i
		for j < len(cs) {
			n, kind := unit(cs, j)
			if j > i && (kind != tokRaw && !cs[j].sameStyle(seg) ||
				kind == 0 && j+2 < len(cs) && cs[j+1] == cs[j] && cs[j+2] == cs[j]) {
				break
			}
			j += n
		}
		e.uint(uint64(j-i) << 1)
		e.uint(uint64(e.styleIndex(seg)))
		for i < j {
			n, kind := unit(cs, i)
			if kind != tokRaw && !cs[i].sameStyle(seg) {
				kind = tokRaw // only the first unit can differ: a raw one
			}
			e.token(cs, i, kind)
			i += n
		}
	}
}

var errCorrupt = errors.New("vt: corrupt snapshot")

type decoder struct {
	b   []byte
	err error
}

func (d *decoder) fail(what string) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: bad %s", errCorrupt, what)
	}
}

func (d *decoder) uint(max uint64, what string) uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 || v > max {
		d.fail(what)
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) byte(what string) byte {
	if d.err != nil {
		return 0
	}
	if len(d.b) == 0 {
		d.fail(what)
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

func (d *decoder) bool(what string) bool {
	v := d.byte(what)
	if v > 1 {
		d.fail(what)
	}
	return v == 1
}

func (d *decoder) str(max int, what string) string {
	n := int(d.uint(uint64(max), what))
	if d.err != nil {
		return ""
	}
	if n > len(d.b) {
		d.fail(what)
		return ""
	}
	s := string(d.b[:n])
	d.b = d.b[n:]
	return s
}

func (d *decoder) style(what string) Style {
	s := Style{
		Fg:    Color(d.uint(1<<32-1, what)),
		Bg:    Color(d.uint(1<<32-1, what)),
		Attrs: Attr(d.uint(uint64(attrMask), what)),
	}
	if !validColor(s.Fg) || !validColor(s.Bg) {
		d.fail(what)
	}
	return s
}

func (d *decoder) charsets(what string) (g [4]charset, gl uint8) {
	for i := range g {
		g[i] = charset(d.byte(what))
		if g[i] >= numCharsets {
			d.fail(what)
		}
	}
	gl = d.byte(what)
	if gl > 1 {
		d.fail(what)
	}
	return g, gl
}

func penOf(s Style) cell { return cell{fg: s.Fg, bg: s.Bg, attr: s.Attrs} }

// UnmarshalBinary decodes a snapshot made by MarshalBinary. It validates
// everything and returns an error for corrupt input; it never panics.
func (s *Snapshot) UnmarshalBinary(b []byte) error {
	if len(b) < len(snapMagic) || string(b[:len(snapMagic)]) != snapMagic {
		return fmt.Errorf("%w: bad magic", errCorrupt)
	}
	d := &decoder{b: b[len(snapMagic):]}
	cols := int(d.uint(maxCols, "width"))
	rows := int(d.uint(maxRows, "height"))
	if d.err != nil || cols < 1 || rows < 1 || cols*rows > maxCells {
		return fmt.Errorf("%w: bad size", errCorrupt)
	}
	// Every row takes at least 2 bytes: refuse sizes the input cannot hold
	// before allocating for them.
	if 2*2*rows > len(d.b) {
		return fmt.Errorf("%w: truncated", errCorrupt)
	}
	nstyles := int(d.uint(uint64(len(d.b)), "style count"))
	styles := make([]Style, 0, min(nstyles, 1024))
	for i := 0; i < nstyles && d.err == nil; i++ {
		styles = append(styles, d.style("style"))
	}
	ncomb := int(d.uint(uint64(len(d.b)), "combined text count"))
	combs := make([]string, 0, min(ncomb, 1024))
	seen := map[string]bool{}
	for i := 0; i < ncomb && d.err == nil; i++ {
		c := d.str(maxCombLen, "combined text")
		if !printableText(c) || seen[c] {
			d.fail("combined text")
		}
		seen[c] = true
		combs = append(combs, c)
	}
	if d.err != nil {
		return d.err
	}
	n := &Snapshot{cols: cols, rows: rows, comb: combs}
	n.main = make([]cell, cols*rows)
	n.alt = make([]cell, cols*rows)
	for _, cs := range [][]cell{n.main, n.alt} {
		for y := 0; y < rows && d.err == nil; y++ {
			d.row(cs[y*cols:(y+1)*cols], styles, len(combs))
		}
	}
	n.wrap = make([]bool, 2*rows)
	for i := range n.wrap {
		n.wrap[i] = d.bool("wrap flag")
	}
	n.used = make([]int, 2*rows)
	for i := range n.used {
		n.used[i] = int(d.uint(uint64(cols), "row length"))
	}
	n.tabs = make([]bool, cols)
	for i := 0; i < cols; i += 8 {
		acc := d.byte("tab stops")
		for j := i; j < min(i+8, cols); j++ {
			n.tabs[j] = acc&(1<<(j&7)) != 0
		}
	}
	st := &n.st
	st.x = int(d.uint(uint64(cols), "cursor"))
	st.y = int(d.uint(uint64(rows-1), "cursor"))
	st.pen = penOf(d.style("pen"))
	st.top = int(d.uint(uint64(rows-1), "scroll region"))
	st.bot = int(d.uint(uint64(rows-1), "scroll region"))
	if st.top > st.bot {
		d.fail("scroll region")
	}
	st.modes = modes(d.uint(uint64(modeAll), "modes"))
	st.g, st.gl = d.charsets("character sets")
	for _, sc := range []*savedCursor{&st.saved[0], &st.saved[1], &st.altSaved} {
		sc.x = int(d.uint(uint64(cols), "saved cursor"))
		sc.y = int(d.uint(uint64(rows-1), "saved cursor"))
		sc.pen = penOf(d.style("saved pen"))
		sc.origin = d.bool("saved origin mode")
		sc.g, sc.gl = d.charsets("saved character sets")
	}
	st.alt = d.bool("alternate screen flag")
	st.last = rune(d.uint(utf8.MaxRune+1, "last character")) - 1
	if st.last != -1 && runeWidth(st.last) <= 0 {
		d.fail("last character")
	}
	st.title = d.str(oscMax, "title")
	for i := 0; i < len(st.title); i++ {
		if st.title[i] < 0x20 || st.title[i] == 0x7f {
			d.fail("title")
		}
	}
	p := &n.p
	p.state = pstate(d.byte("parser state"))
	p.u8need, p.u8lo, p.u8hi = d.byte("parser"), d.byte("parser"), d.byte("parser")
	p.u8rune = rune(d.uint(utf8.MaxRune, "parser"))
	p.prefix, p.ninter = d.byte("parser"), d.byte("parser")
	p.inter[0], p.inter[1], p.final = d.byte("parser"), d.byte("parser"), d.byte("parser")
	p.ignore = d.bool("parser")
	p.nparams = uint8(d.uint(maxParams, "parser"))
	for i := 0; i < int(p.nparams); i++ {
		p.params[i] = uint16(d.uint(maxParam, "parser"))
	}
	p.sub = uint32(d.uint(1<<p.nparams-1, "parser"))
	osc := d.str(oscMax, "parser")
	p.oscLen = copy(p.osc[:], osc)
	if d.err == nil && !p.valid() {
		d.fail("parser")
	}
	if d.err == nil && len(d.b) != 0 {
		d.fail("trailer")
	}
	if d.err != nil {
		return d.err
	}
	*s = *n
	return nil
}

// token decodes one cell token into cs[i:] (one or two cells) with pen's
// style, and returns the number of cells written.
func (d *decoder) token(cs []cell, i int, pen cell, styles []Style, ncomb int) int {
	if d.err != nil {
		return 0
	}
	if len(d.b) == 0 {
		d.fail("cell")
		return 0
	}
	b := d.b[0]
	if b < 0x20 {
		d.b = d.b[1:]
	}
	rn := func() rune {
		r, n := utf8.DecodeRune(d.b)
		if n == 0 || r == utf8.RuneError && n == 1 || runeWidth(r) <= 0 {
			d.fail("cell")
			return 0
		}
		d.b = d.b[n:]
		return r
	}
	pair := func(c cell) int {
		if i+1 >= len(cs) {
			d.fail("wide character")
			return 0
		}
		cs[i] = c
		c.r, c.flags = 0, cCont
		cs[i+1] = c
		return 2
	}
	switch {
	case b >= 0x20:
		pen.r = rn()
		cs[i] = pen
		return 1
	case b == tokWide:
		pen.r, pen.flags = rn(), cWide
		return pair(pen)
	case b == tokComb || b == tokCombWide:
		idx := d.uint(uint64(ncomb), "cell")
		if int(idx) >= ncomb {
			d.fail("cell")
			return 0
		}
		pen.r, pen.flags = rune(idx), cComb
		if b == tokCombWide {
			pen.flags |= cWide
			return pair(pen)
		}
		cs[i] = pen
		return 1
	case b == tokRaw:
		code := d.uint(uint64(utf8.MaxRune)<<3|uint64(cFlags), "cell")
		si := int(d.uint(uint64(len(styles)), "style index"))
		if si >= len(styles) {
			d.fail("style index")
			return 0
		}
		c := penOf(styles[si])
		c.r, c.flags = rune(code>>3), uint16(code&7)
		switch {
		case c.flags&(cWide|cCont) == cWide|cCont,
			c.flags&cComb != 0 && (c.flags&cCont != 0 || int(c.r) >= ncomb),
			c.flags&cCont != 0 && c.r != 0,
			c.flags&(cCont|cComb) == 0 && runeWidth(c.r) <= 0:
			d.fail("cell")
			return 0
		}
		cs[i] = c
		return 1
	}
	d.fail("cell")
	return 0
}

// row decodes one row and checks that wide characters are whole.
func (d *decoder) row(cs []cell, styles []Style, ncomb int) {
	i := 0
	for i < len(cs) && d.err == nil {
		h := d.uint(uint64(len(cs)-i)<<1|1, "row")
		n, rep := int(h>>1), h&1 == 1
		if n == 0 {
			d.fail("row")
			return
		}
		si := int(d.uint(uint64(len(styles)), "style index"))
		if si >= len(styles) {
			d.fail("style index")
			return
		}
		pen := penOf(styles[si])
		end := i + n
		if rep {
			if d.token(cs[:i+1], i, pen, styles, ncomb) != 1 || cs[i].flags != 0 {
				d.fail("row")
				return
			}
			fillCells(cs[i+1:end], cs[i])
			i = end
			continue
		}
		for i < end && d.err == nil {
			i += d.token(cs[:end], i, pen, styles, ncomb)
		}
	}
	if d.err != nil {
		return
	}
	for i := range cs {
		if cs[i].flags&cWide != 0 && (i+1 >= len(cs) || cs[i+1].flags&cCont == 0) ||
			cs[i].flags&cCont != 0 && (i == 0 || cs[i-1].flags&cWide == 0) {
			d.fail("wide character")
			return
		}
	}
}

// printableText reports whether s is a base character followed by zero or
// more zero-width characters, none of them a control.
func printableText(s string) bool {
	if s == "" || !utf8.ValidString(s) {
		return false
	}
	for i, r := range s {
		w := runeWidth(r)
		if w < 0 || i == 0 && w == 0 {
			return false
		}
	}
	return true
}
