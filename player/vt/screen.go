package vt

// A screen is a ring of rows: row i of the screen is lines[(top+i) % len].
// Scrolling the whole screen up by one line rotates top and clears one row;
// scrolling a region moves line headers (slices), never cells.
type screen struct {
	lines []line
	top   int
}

type line struct {
	cells   []cell
	used    int  // cells written since the row was last cleared, as tmux counts them (for reflow)
	wrapped bool // the row was ended by autowrap
}

func newScreen(cols, rows int) screen {
	backing := make([]cell, cols*rows)
	fillCells(backing, cell{r: ' '})
	s := screen{lines: make([]line, rows)}
	for i := range s.lines {
		s.lines[i].cells = backing[i*cols : (i+1)*cols : (i+1)*cols]
	}
	return s
}

func (s *screen) row(i int) *line {
	j := s.top + i
	if j >= len(s.lines) {
		j -= len(s.lines)
	}
	return &s.lines[j]
}

// linear rotates the ring so that row 0 is lines[0].
func (s *screen) linear() {
	if s.top == 0 {
		return
	}
	n := len(s.lines)
	reverseLines(s.lines, 0, s.top-1)
	reverseLines(s.lines, s.top, n-1)
	reverseLines(s.lines, 0, n-1)
	s.top = 0
}

func reverseLines(ls []line, i, j int) {
	for i < j {
		ls[i], ls[j] = ls[j], ls[i]
		i++
		j--
	}
}

// reverseRows reverses rows i..j (inclusive) of the screen.
func (s *screen) reverseRows(i, j int) {
	for i < j {
		a, b := s.row(i), s.row(j)
		*a, *b = *b, *a
		i++
		j--
	}
}

// rotateUp moves rows top+n..bot to top..bot-n and rows top..top+n-1 to the
// bottom of the range, with 0 < n <= bot-top+1.
func (s *screen) rotateUp(top, bot, n int) {
	if n <= 0 || n > bot-top {
		return
	}
	s.reverseRows(top, top+n-1)
	s.reverseRows(top+n, bot)
	s.reverseRows(top, bot)
}

func fillCells(cs []cell, c cell) {
	if len(cs) == 0 {
		return
	}
	cs[0] = c
	for i := 1; i < len(cs); i *= 2 {
		copy(cs[i:], cs[:i])
	}
}
