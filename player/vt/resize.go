package vt

// Resize changes the size of the terminal (clamped as in New), following
// tmux:
//
//   - When the screen gets shorter, rows below the cursor are dropped first,
//     then rows at the top scroll out (from the main screen they go to the
//     line handler). When it gets taller, blank rows are added at the bottom
//     (tmux would pull rows back from its history, which this terminal does
//     not keep).
//   - When the width changes, the main screen is reflowed: rows that
//     autowrapped are joined again and rows longer than the new width are
//     split, the cursor staying on the same character; the bottom rows
//     remain visible and the rows that no longer fit scroll out at the top.
//     The alternate screen is cut or padded on the right.
//   - The scroll region is reset, tab stops are reset to every 8 columns
//     when the width changes, the cursor is clamped.
func (t *Terminal) Resize(cols, rows int) {
	cols, rows = clampSize(cols, rows)
	if cols == t.cols && rows == t.rows {
		return
	}
	st := &t.st
	if st.alt {
		st.altSaved.x, st.altSaved.y = t.resizeMain(cols, rows, st.altSaved.x, st.altSaved.y)
		st.y -= t.resizeAlt(cols, rows, st.y)
	} else {
		st.x, st.y = t.resizeMain(cols, rows, st.x, st.y)
		t.resizeAlt(cols, rows, rows-1)
	}
	if cols != t.cols {
		t.tabs = make([]bool, cols)
		t.cols = cols
		t.resetTabs()
	}
	t.rows = rows
	maxX := cols - 1
	if !st.alt {
		maxX = cols // the reflowed cursor may be just past a full row
	}
	st.x = min(max(st.x, 0), maxX)
	st.y = min(max(st.y, 0), rows-1)
	st.top, st.bot = 0, rows-1
	for _, sc := range []*savedCursor{&st.saved[0], &st.saved[1], &st.altSaved} {
		sc.x = min(max(sc.x, 0), cols-1)
		sc.y = min(max(sc.y, 0), rows-1)
	}
}

// resizeAlt resizes the alternate screen without reflow, given the cursor
// row cy, and returns by how many rows the content moved up.
func (t *Terminal) resizeAlt(cols, rows, cy int) int {
	s := &t.alt
	oldRows := len(s.lines)
	first, keep := 0, oldRows
	if rows < oldRows {
		need := oldRows - rows
		drop := min(max(oldRows-1-cy, 0), need)
		keep -= drop
		first = need - drop
		keep -= first
	}
	ns := newScreen(cols, rows)
	for i := 0; i < keep; i++ {
		copyLine(&ns.lines[i], s.row(first+i))
	}
	*s = ns
	return first
}

// copyLine copies src into dst, cutting or padding it to dst's width.
func copyLine(dst, src *line) {
	n := copy(dst.cells, src.cells)
	dst.wrapped = src.wrapped
	dst.used = min(src.used, len(dst.cells))
	if n == len(dst.cells) && dst.cells[n-1].flags&cWide != 0 {
		dst.cells[n-1] = cell{r: ' '}
	}
}

// resizeMain resizes the main screen, with reflow when the width changes,
// and returns the new position of the cursor at cx, cy.
func (t *Terminal) resizeMain(cols, rows, cx, cy int) (int, int) {
	s := &t.main
	oldRows, oldCols := len(s.lines), t.cols
	lines := make([]line, oldRows)
	for i := range lines {
		lines[i] = *s.row(i)
	}
	// Height first: drop rows below the cursor, then let rows go above the
	// top ("history", still reflowed with the rest).
	if rows < oldRows {
		drop := min(max(oldRows-1-cy, 0), oldRows-rows)
		lines = lines[:oldRows-drop]
	}
	if cols != oldCols {
		// Rows added at the bottom take part in the reflow (as in tmux,
		// which resizes the height first).
		for len(lines) < rows {
			lines = append(lines, line{cells: []cell{}})
		}
		lines, cx, cy = reflow(lines, cols, cx, cy)
	}
	hist := max(len(lines)-rows, 0)
	if t.onLine != nil {
		for i := 0; i < hist; i++ {
			t.emitRow(&lines[i])
		}
	}
	ns := newScreen(cols, rows)
	for i := hist; i < len(lines); i++ {
		copyLine(&ns.lines[i-hist], &lines[i])
	}
	*s = ns
	if cy < hist {
		return 0, 0
	}
	return cx, cy - hist
}

// reflow rewraps lines to width cols as tmux does: each run of rows joined
// by autowrap is one logical line, made of the cells each row used; it is
// split again at the new width (a wide character that does not fit moves to
// the next row). The cursor at cx, cy keeps its character; when it was past
// the end of its row's content it goes to the end of the logical line.
func reflow(lines []line, cols, cx, cy int) ([]line, int, int) {
	var out []line
	ncx, ncy := cx, cy
	var buf []cell
	for i := 0; i < len(lines); {
		// The logical line: rows i..j.
		j := i
		for j < len(lines)-1 && lines[j].wrapped {
			j++
		}
		buf = buf[:0]
		curOff := -2 // cursor offset in buf; -1: end of content; -2: not here
		for k := i; k <= j; k++ {
			used := min(lines[k].used, len(lines[k].cells))
			if k == cy {
				if cx >= used {
					curOff = -1
				} else {
					curOff = len(buf) + cx
				}
			}
			buf = append(buf, lines[k].cells[:used]...)
		}
		// Split buf at the new width.
		first := len(out)
		start := 0
		for {
			w := 0
			end := start
			for end < len(buf) {
				uw := 1
				if buf[end].flags&cWide != 0 && end+1 < len(buf) {
					uw = 2
				}
				if w+uw > cols {
					break
				}
				w += uw
				end += uw
			}
			if end == start && end < len(buf) {
				// A wide character on a one-column screen: drop it.
				buf[end] = cell{r: ' '}
				if end+1 < len(buf) && buf[end+1].flags&cCont != 0 {
					buf[end+1] = cell{r: ' '}
				}
				continue
			}
			nl := line{cells: make([]cell, cols), used: end - start}
			fillCells(nl.cells, cell{r: ' '})
			copy(nl.cells, buf[start:end])
			if end < len(buf) {
				nl.wrapped = true
			} else {
				nl.wrapped = lines[j].wrapped
			}
			if curOff >= start && (curOff < end || end == len(buf)) {
				ncx, ncy = curOff-start, len(out)
			}
			out = append(out, nl)
			start = end
			if start >= len(buf) {
				break
			}
		}
		if curOff == -1 {
			last := &out[len(out)-1]
			ncx, ncy = last.used, len(out)-1
		}
		_ = first
		i = j + 1
	}
	return out, ncx, ncy
}
