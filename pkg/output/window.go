package output

import (
	"bytes"
	"io"
	"strings"

	"github.com/olekukonko/tablewriter/pkg/twwidth"
	"github.com/olekukonko/tablewriter/tw"

	"github.com/auditctl/auditctl/pkg/sanitize"
)

// MeasuredRow is one row of a table, its cells sanitized and measured once
// (indexed like Table.Columns; the columns not shown are left empty): the
// console keeps its rows measured as they arrive, so that laying out a
// thousand held rows costs integer comparisons, not a thousand renderings.
type MeasuredRow struct {
	cells  []string
	widths []int
}

// MeasureRow sanitizes and measures row i of t, in the columns opt shows.
func MeasureRow(t Table, i int, opt Options) (MeasuredRow, error) {
	sel, _, err := t.selectColumns(opt)
	if err != nil {
		return MeasuredRow{}, err
	}
	r := MeasuredRow{cells: make([]string, len(t.Columns)), widths: make([]int, len(t.Columns))}
	for _, ci := range sel {
		s := sanitize.String(t.Cell(i, ci))
		r.cells[ci], r.widths[ci] = s, twwidth.Width(s)
	}
	return r, nil
}

// TableWindow is a table laid out over all its rows (the columns chosen and
// their widths, exactly as RenderTable chooses them) of which a window of
// rows is drawn: the lines RenderTable would print for those rows.
type TableWindow struct {
	rows    []MeasuredRow
	cols    []*tcol
	idx     []int // Table.Columns index of cols[j]
	headers []string
	align   []tw.Align
	pin     []string // one cell as wide as each column is over all rows
	named   map[int][]string
	width   int
	color   bool
}

// LayoutWindow lays out t's columns over rows (measured by MeasureRow with
// the same opt) for opt.Width. t.Cell and t.Bars are not used.
func LayoutWindow(t Table, rows []MeasuredRow, opt Options) (*TableWindow, error) {
	sel, explicit, err := t.selectColumns(opt)
	if err != nil {
		return nil, err
	}
	width := opt.Width
	if opt.Wide {
		width = 0
	}
	w := &TableWindow{rows: rows, width: width, color: opt.Color, named: map[int][]string{}}
	for _, ci := range sel {
		c := &tcol{Column: t.Columns[ci], cells: make([]string, len(rows))}
		widths := make([]int, len(rows))
		empty := true
		for i, r := range rows {
			c.cells[i], widths[i] = r.cells[ci], r.widths[ci]
			empty = empty && c.cells[i] == ""
		}
		if empty && len(rows) > 0 && !explicit {
			continue
		}
		c.header = columnHeader(c.Column, opt)
		c.measureWidths(widths)
		c.widths = widths
		w.cols = append(w.cols, c)
		w.idx = append(w.idx, ci)
	}
	w.cols = fit(w.cols, width, explicit)
	for _, c := range w.cols {
		h := cutEnd(c.header, c.width)
		w.headers = append(w.headers, h)
		w.align = append(w.align, alignOf(c.Column))
		// tablewriter sizes a column by its widest cell once cut
		wide := twwidth.Width(h)
		if c.Kind == KindName && c.width < c.natural {
			cut := cutMiddleDistinct(c.cells, c.width)
			w.named[len(w.headers)-1] = cut
			for _, s := range cut {
				wide = max(wide, twwidth.Width(s))
			}
		} else {
			for i, s := range c.cells {
				if c.widths[i] <= c.width {
					wide = max(wide, c.widths[i])
				} else if wide < c.width {
					wide = max(wide, twwidth.Width(c.cutOne(s)))
				}
			}
		}
		w.pin = append(w.pin, strings.Repeat("x", wide))
	}
	return w, nil
}

// Len is the number of rows laid out.
func (w *TableWindow) Len() int { return len(w.rows) }

// Render writes the header and rows [from, to) as RenderTable writes them
// in the table of every row.
func (w *TableWindow) Render(out io.Writer, from, to int) error {
	if len(w.cols) == 0 {
		return nil
	}
	from, to = max(from, 0), min(to, len(w.rows))
	to = max(to, from)
	rows := make([][]string, 0, to-from+1)
	for i := from; i < to; i++ {
		row := make([]string, len(w.cols))
		for j, c := range w.cols {
			s := c.cells[i]
			if cut, ok := w.named[j]; ok {
				s = cut[i]
			} else {
				s = c.cutOne(s)
			}
			if w.color && c.Style != nil {
				s = c.Style(s)
			}
			row[j] = s
		}
		rows = append(rows, row)
	}
	return w.write(out, rows)
}

// write draws the header and rows as renderTable does (each cell aligned
// in its column's width over all rows, colSep spaces after it, trailing
// spaces trimmed, a line still too wide cut), without building a
// tablewriter table for a few dozen lines.
func (w *TableWindow) write(out io.Writer, rows [][]string) error {
	var buf bytes.Buffer
	line := func(cells []string, header bool) {
		for j, s := range cells {
			pad := max(len(w.pin[j])-twwidth.Width(s), 0)
			if !header && w.align[j] == tw.AlignRight {
				buf.WriteString(spaces(pad))
				buf.WriteString(s)
			} else {
				buf.WriteString(s)
				buf.WriteString(spaces(pad))
			}
			buf.WriteString(spaces(colSep))
			if (header || w.align[j] != tw.AlignRight) && strings.IndexByte(s, 0x1b) >= 0 {
				buf.WriteString(ansiReset) // as tablewriter closes a styled cell
			}
		}
		buf.WriteByte('\n')
	}
	line(w.headers, true)
	for _, r := range rows {
		line(r, false)
	}
	// Cells are sanitized; the only escapes left are the status colours,
	// which reach a terminal through its control path.
	return sanitize.WriteStyled(out, string(trimLines(buf.Bytes(), w.width)))
}

const ansiReset = "\x1b[0m"

const blanks = "                                                                "

func spaces(n int) string {
	if n <= len(blanks) {
		return blanks[:n]
	}
	return strings.Repeat(" ", n)
}
