package output

import (
	"bytes"
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"charm.land/lipgloss/v2"
	"github.com/clipperhouse/displaywidth"
	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/pkg/twwidth"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"

	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/sanitize"
)

// TableTimeFormat is how tables show times, in Options.Location (UTC by
// default), which the column header names: "TIME (UTC)".
const TableTimeFormat = "2006-01-02 15:04:05"

// Styles, declared once.
var (
	styleSuccess = lipgloss.NewStyle().Foreground(lipgloss.Green)
	styleFailure = lipgloss.NewStyle().Foreground(lipgloss.Red)
	styleWarning = lipgloss.NewStyle().Foreground(lipgloss.Yellow)
	styleBold    = lipgloss.NewStyle().Bold(true)
	styleFaint   = lipgloss.NewStyle().Faint(true)
)

// colSep is the gap between table columns.
const colSep = 2

// Kind says how the cells of a column are cut when the table is too wide
// for the terminal.
type Kind int

const (
	// KindText is free text (descriptions, queries, keys typed, user
	// agents): cut at the end, "DescribeNatGa…".
	KindText Kind = iota
	// KindName is a name whose two ends both carry meaning (ARNs, emails,
	// paths, host and resource names): cut in the middle, "arn:aws:sts::1…
	// /i-0abc", and two different values of a column never look the same
	// once cut (the cut moves to show where they differ).
	KindName
	// KindID is an identifier: shortened to a prefix without an ellipsis,
	// never shorter than what tells the table's rows apart (and 8 cells),
	// so that it can be pasted into `logs show` or `sessions show`, which
	// take a unique prefix.
	KindID
	// KindFixed is never cut: times, numbers, durations, statuses.
	KindFixed
)

// Column describes one column of a table.
type Column struct {
	// Name is what --columns calls the column (lower case); Aliases are
	// other names it accepts.
	Name    string
	Aliases []string
	// Header is the header text; "" means strings.ToUpper(Name).
	Header string
	Kind   Kind
	// Min, when set, is the narrowest a KindText or KindName column is cut
	// to (instead of 10 or 16 cells).
	Min int
	// Right aligns the column right (numbers, durations).
	Right bool
	// Priority decides which columns a narrow terminal drops: the highest
	// Priority goes first; 0 is never dropped.
	Priority int
	// Extra columns are shown only with --wide or --columns; NotWide ones
	// (JSON documents) only with --columns.
	Extra, NotWide bool
	// Zoned columns hold times in Options.Location: the header names the
	// zone, "TIME (UTC)".
	Zoned bool
	// Style colours a cell, given its text, when colour is on.
	Style func(string) string
}

// Table is what RenderTable lays out: the columns, and the cells row by
// row. Every table auditctl prints goes through RenderTable.
type Table struct {
	Columns []Column
	Len     int
	// Cell returns the text of row i in column Columns[col]. RenderTable
	// sanitizes it, and asks only for the columns it shows.
	Cell func(i, col int) string
	// Bars, when not nil, adds a last, unnamed column: row i's bar,
	// Bars[i] scaled to the largest value (the first column to narrow and
	// the first dropped).
	Bars []int64
}

// ColumnNames lists the names --columns accepts for t, for help and errors.
func (t *Table) ColumnNames() []string {
	var names []string
	for _, c := range t.Columns {
		names = append(names, c.Name)
	}
	if t.Bars != nil {
		names = append(names, "bar")
	}
	return names
}

// selectColumns returns the indexes of the columns to consider, in order,
// and whether the user named them (--columns).
func (t *Table) selectColumns(opt Options) ([]int, bool, error) {
	if len(opt.Columns) == 0 {
		var sel []int
		for i, c := range t.Columns {
			if c.NotWide || c.Extra && !opt.Wide || slices.Contains(opt.Omit, c.Name) {
				continue
			}
			sel = append(sel, i)
		}
		return sel, false, nil
	}
	var sel []int
	for _, name := range opt.Columns {
		name = strings.ToLower(strings.TrimSpace(name))
		if name == "" || name == "bar" && t.Bars != nil {
			continue
		}
		i := slices.IndexFunc(t.Columns, func(c Column) bool { return c.Name == name || slices.Contains(c.Aliases, name) })
		if i < 0 {
			return nil, false, audit.Errorf(audit.EUSAGE, "--columns: unknown column %q (want one of: %s)", name, strings.Join(t.ColumnNames(), ", "))
		}
		sel = append(sel, i)
	}
	if len(sel) == 0 {
		return nil, false, audit.Errorf(audit.EUSAGE, "--columns: no column named (want some of: %s)", strings.Join(t.ColumnNames(), ", "))
	}
	return sel, true, nil
}

// ValidateColumns checks opt.Columns against t's columns without
// rendering: for commands that fail before they query anything.
func (t *Table) ValidateColumns(opt Options) error {
	_, _, err := t.selectColumns(opt)
	return err
}

// RenderTable writes t as a borderless table, columns two cells apart,
// fitted to opt.Width (0: no limit; ignored with opt.Wide):
//
//   - columns are chosen by priority: when even their narrowest forms do
//     not fit, the least important column is dropped rather than a row
//     wrapped or an important column cut to nothing;
//   - columns with no value in any row are left out (a CloudTrail table has
//     no DURATION column), unless named in opt.Columns;
//   - cells are cut by their column's Kind: free text at the end, names in
//     the middle (kept distinct), ids to a unique prefix; times, numbers
//     and statuses never;
//   - no line is wider than opt.Width, whatever the cells hold.
//
// opt.Columns gives exactly the columns to show, in that order; opt.Wide
// shows every column and does not limit the width.
func RenderTable(w io.Writer, t Table, opt Options) error {
	sel, explicit, err := t.selectColumns(opt)
	if err != nil {
		return err
	}
	width := opt.Width
	if opt.Wide {
		width = 0
	}
	var cols []*tcol
	for _, ci := range sel {
		c := &tcol{Column: t.Columns[ci], cells: make([]string, t.Len)}
		empty := true
		for i := range t.Len {
			c.cells[i] = sanitize.String(t.Cell(i, ci))
			empty = empty && c.cells[i] == ""
		}
		if empty && t.Len > 0 && !explicit {
			continue
		}
		c.header = columnHeader(c.Column, opt)
		cols = append(cols, c)
	}
	if len(cols) == 0 {
		return nil
	}
	var bars *tcol
	if t.Bars != nil && (len(opt.Columns) == 0 || slices.Contains(opt.Columns, "bar")) {
		bars = &tcol{Column: Column{Name: "bar", Kind: KindText, Priority: 1 << 30}, bar: true, cells: make([]string, t.Len)}
		cols = append(cols, bars)
	}
	for _, c := range cols {
		c.measure()
	}
	cols = fit(cols, width, explicit)
	var top int64
	for _, n := range t.Bars {
		top = max(top, n)
	}
	headers := make([]string, len(cols))
	align := make([]tw.Align, len(cols))
	rows := make([][]string, t.Len)
	for i := range rows {
		rows[i] = make([]string, len(cols))
	}
	for j, c := range cols {
		headers[j] = cutEnd(c.header, c.width)
		align[j] = alignOf(c.Column)
		var cells []string
		switch {
		case c.bar:
			cells = make([]string, t.Len)
			for i := range cells {
				cells[i] = bar(t.Bars[i], top, c.width)
			}
		default:
			cells = c.cut()
		}
		for i, s := range cells {
			if opt.Color && c.Style != nil {
				s = c.Style(s)
			}
			rows[i][j] = s
		}
	}
	return renderTable(w, headers, rows, align, width)
}

// tcol is a column being laid out.
type tcol struct {
	Column
	header string
	cells  []string
	bar    bool
	widths []int // of cells, when measured ahead (LayoutWindow)
	// natural is the widest cell (or header); min the narrowest the
	// column may be made without losing its meaning; width the width
	// chosen.
	natural, min, width int
}

// Narrowest widths of the columns that may be cut.
const (
	minText = 10 // "Describe…" still says what it was
	minName = 16 // both ends of an ARN or an email
	minID   = 8  // like git's short hashes
	minBar  = 8
	maxBar  = 40 // the widest a bar may be
)

// columnHeader is the header of column c: "TIME (UTC)" for a zoned one.
func columnHeader(c Column, opt Options) string {
	h := c.Header
	if h == "" {
		h = strings.ToUpper(c.Name)
	}
	if c.Zoned {
		h += " (" + opt.zoneName() + ")"
	}
	return h
}

func alignOf(c Column) tw.Align {
	if c.Right {
		return tw.AlignRight
	}
	return tw.AlignLeft
}

func (c *tcol) measure() {
	if c.bar {
		c.natural, c.min = maxBar, minBar
		return
	}
	widths := make([]int, len(c.cells))
	for i, s := range c.cells {
		widths[i] = twwidth.Width(s)
	}
	c.measureWidths(widths)
}

// measureWidths sets natural and min from the widths of the cells.
func (c *tcol) measureWidths(widths []int) {
	hw := twwidth.Width(c.header)
	c.natural = hw
	for _, w := range widths {
		c.natural = max(c.natural, w)
	}
	switch c.Kind {
	case KindFixed:
		c.min = c.natural
	case KindID:
		c.min = max(hw, min(c.natural, max(minID, uniquePrefix(c.cells))))
	case KindName:
		c.min = max(hw, min(c.natural, cmp.Or(c.Min, minName)))
	default:
		c.min = max(hw, min(c.natural, cmp.Or(c.Min, minText)))
	}
}

// shrinkRank orders the columns that give up width: the bar, then ids
// (at once down to their unique prefix), then the widest of the others.
func (c *tcol) shrinkRank() int {
	switch {
	case c.bar:
		return 0
	case c.Kind == KindID:
		return 1
	}
	return 2
}

// fit chooses the columns and their widths for width (0: no limit): while
// the columns' narrowest forms do not fit, it drops the one of highest
// Priority (unless the user named the columns); then it narrows the
// columns that may be cut, the widest of the lowest shrinkRank first. When
// even that is too wide (a few columns named on a very narrow terminal),
// every column is narrowed, times included, down to one cell: renderTable
// clips what still overflows.
func fit(cols []*tcol, width int, explicit bool) []*tcol {
	for _, c := range cols {
		c.width = c.natural
	}
	if width <= 0 {
		return cols
	}
	need := func() int {
		n := colSep * (len(cols) - 1)
		for _, c := range cols {
			n += c.min
		}
		return n
	}
	for !explicit && need() > width {
		drop := -1
		for i, c := range cols {
			if c.Priority > 0 && (drop < 0 || c.Priority >= cols[drop].Priority) {
				drop = i
			}
		}
		if drop < 0 {
			break
		}
		cols = slices.Delete(cols, drop, drop+1)
	}
	total := colSep * (len(cols) - 1)
	for _, c := range cols {
		total += c.natural
	}
	shrink := func(floor func(*tcol) int, rank func(*tcol) int) {
		for total > width {
			best := -1
			for i, c := range cols {
				if c.width <= floor(c) {
					continue
				}
				if best < 0 {
					best = i
					continue
				}
				b := cols[best]
				if r, rb := rank(c), rank(b); r < rb || r == rb && c.width > b.width {
					best = i
				}
			}
			if best < 0 {
				return
			}
			c := cols[best]
			if c.Kind == KindID && c.width == c.natural && c.min < c.width {
				// An id is whole or its short prefix: half an id is noise.
				total -= c.width - c.min
				c.width = c.min
				continue
			}
			c.width--
			total--
		}
	}
	shrink(func(c *tcol) int {
		if c.Kind == KindFixed && !c.bar {
			return c.natural
		}
		return c.min
	}, (*tcol).shrinkRank)
	// Still too wide: only when the columns were named or nothing is left
	// to drop.
	shrink(func(*tcol) int { return 1 }, func(c *tcol) int {
		if c.Kind == KindFixed {
			return 1
		}
		return 0
	})
	return cols
}

// cut returns the column's cells cut to its width, by its kind.
func (c *tcol) cut() []string {
	if c.Kind == KindName {
		return cutMiddleDistinct(c.cells, c.width)
	}
	out := make([]string, len(c.cells))
	for i, s := range c.cells {
		out[i] = c.cutOne(s)
	}
	return out
}

// cutOne cuts one cell of a column that is not KindName (whose cells are
// cut together, kept distinct).
func (c *tcol) cutOne(s string) string {
	if c.Kind == KindID && (c.width >= c.min || c.width >= minID) {
		return cutPrefix(s, c.width)
	}
	return cutEnd(s, c.width)
}

// uniquePrefix is the number of characters that tell the distinct values
// of cells apart: one more than the longest common prefix of two of them.
func uniquePrefix(cells []string) int {
	vals := slices.Clone(cells)
	slices.Sort(vals)
	vals = slices.Compact(vals)
	n := 0
	for i := 1; i < len(vals); i++ {
		a, b := graphemes(vals[i-1]), graphemes(vals[i])
		k := commonPrefix(a, b)
		n = max(n, widthOf(b[:min(k+1, len(b))]))
	}
	return n
}

// grapheme is one user-perceived character and its width in cells.
type grapheme struct {
	s string
	w int
}

func graphemes(s string) []grapheme {
	var gs []grapheme
	it := displaywidth.StringGraphemes(s)
	for it.Next() {
		g := it.Value()
		gs = append(gs, grapheme{g, twwidth.Width(g)})
	}
	return gs
}

func widthOf(gs []grapheme) int {
	n := 0
	for _, g := range gs {
		n += g.w
	}
	return n
}

func join(gs []grapheme) string {
	var sb strings.Builder
	for _, g := range gs {
		sb.WriteString(g.s)
	}
	return sb.String()
}

func commonPrefix(a, b []grapheme) int {
	n := 0
	for n < len(a) && n < len(b) && a[n].s == b[n].s {
		n++
	}
	return n
}

func commonSuffix(a, b []grapheme) int {
	n := 0
	for n < len(a) && n < len(b) && a[len(a)-1-n].s == b[len(b)-1-n].s {
		n++
	}
	return n
}

// headFit returns how many of gs fit in width cells.
func headFit(gs []grapheme, width int) int {
	n, w := 0, 0
	for n < len(gs) && w+gs[n].w <= width {
		w += gs[n].w
		n++
	}
	return n
}

// tailFit returns how many of the last of gs fit in width cells.
func tailFit(gs []grapheme, width int) int {
	n, w := 0, 0
	for n < len(gs) && w+gs[len(gs)-1-n].w <= width {
		w += gs[len(gs)-1-n].w
		n++
	}
	return n
}

// cutEnd cuts s to width cells, ending in "…" when cut.
func cutEnd(s string, width int) string {
	if twwidth.Width(s) <= width {
		return s
	}
	if width <= 0 {
		return ""
	}
	gs := graphemes(s)
	return join(gs[:headFit(gs, width-1)]) + "…"
}

// cutPrefix cuts s to its first width cells, without an ellipsis.
func cutPrefix(s string, width int) string {
	if twwidth.Width(s) <= width {
		return s
	}
	gs := graphemes(s)
	return join(gs[:headFit(gs, width)])
}

// cutMiddle cuts s to width cells with "…" in the middle, keeping at
// least head graphemes of the start (or, when tail > 0, at least tail of
// the end).
func cutMiddle(gs []grapheme, width, head, tail int) string {
	if widthOf(gs) <= width {
		return join(gs)
	}
	if width <= 2 {
		return join(gs[:headFit(gs, width-1)]) + "…"
	}
	avail := width - 1
	hw := (avail + 1) / 2
	if head > 0 {
		hw = max(hw, widthOf(gs[:min(head, len(gs))]))
	}
	if tail > 0 {
		hw = min(hw, avail-widthOf(gs[len(gs)-min(tail, len(gs)):]))
	}
	hw = max(0, min(hw, avail))
	h := headFit(gs, hw)
	t := tailFit(gs[h:], avail-widthOf(gs[:h]))
	return join(gs[:h]) + "…" + join(gs[len(gs)-t:])
}

// cutWindow shows the part of gs around grapheme at between two "…", and
// when width allows, a little of both ends: "arn:aws…steal-inst…e48eeed".
func cutWindow(gs []grapheme, width, at int) string {
	avail := width - 2
	if avail < 1 {
		return cutEnd(join(gs), width)
	}
	h, t := 0, 0
	if avail >= 12 {
		edge := min(8, avail/4)
		h, t = headFit(gs, edge), tailFit(gs, edge)
	}
	mid := gs[h : len(gs)-t]
	at = max(0, min(at-h, len(mid)-1))
	room := avail - widthOf(gs[:h]) - widthOf(gs[len(gs)-t:])
	start := max(0, at-room/3)
	n := headFit(mid[start:], room)
	for start > 0 && start+n < len(mid) && widthOf(mid[start-1:start+n]) <= room {
		start--
	}
	var sb strings.Builder
	sb.WriteString(join(gs[:h]))
	if start > 0 || h > 0 {
		sb.WriteString("…")
	}
	sb.WriteString(join(mid[start : start+n]))
	if start+n < len(mid) || t > 0 {
		sb.WriteString("…")
	}
	sb.WriteString(join(gs[len(gs)-t:]))
	return sb.String()
}

// cutMiddleDistinct cuts cells to width in the middle; where two different
// values would look the same, each keeps enough of its start (or end, or a
// window around the difference) to show what sets it apart.
func cutMiddleDistinct(cells []string, width int) []string {
	out := make([]string, len(cells))
	gss := make([][]grapheme, len(cells))
	for i, s := range cells {
		if twwidth.Width(s) <= width {
			out[i] = s
			continue
		}
		gss[i] = graphemes(s)
		out[i] = cutMiddle(gss[i], width, 0, 0)
	}
	for range 3 {
		groups := map[string][]int{}
		for i, s := range out {
			groups[s] = append(groups[s], i)
		}
		clash := false
		for _, idx := range groups {
			var distinct []int
			for _, i := range idx {
				if !slices.ContainsFunc(distinct, func(j int) bool { return cells[j] == cells[i] }) {
					distinct = append(distinct, i)
				}
			}
			if len(distinct) < 2 {
				continue
			}
			clash = true
			fixed := map[string]string{}
			for _, i := range distinct {
				if gss[i] == nil {
					continue // shown whole: the others move
				}
				head, tail := 0, 0
				for _, j := range distinct {
					if j == i {
						continue
					}
					gj := gss[j]
					if gj == nil {
						gj = graphemes(cells[j])
					}
					head = max(head, commonPrefix(gss[i], gj)+1)
					tail = max(tail, commonSuffix(gss[i], gj)+1)
				}
				var s string
				// Keep a few cells of the other end, else show a window
				// around the difference between a little of both ends.
				keep := min(6, width/4) + 1
				switch {
				case widthOf(gss[i][:min(head, len(gss[i]))]) <= width-keep:
					s = cutMiddle(gss[i], width, head, 0)
				case widthOf(gss[i][len(gss[i])-min(tail, len(gss[i])):]) <= width-keep:
					s = cutMiddle(gss[i], width, 0, tail)
				default:
					s = cutWindow(gss[i], width, min(head, len(gss[i]))-1)
				}
				fixed[cells[i]] = s
			}
			for _, i := range idx {
				if s, ok := fixed[cells[i]]; ok {
					out[i] = s
				}
			}
		}
		if !clash {
			break
		}
	}
	return out
}

// renderTable draws a borderless table, columns two spaces apart, without
// trailing spaces; with width > 0, a line that would still be wider (only
// when columns were named on a terminal too narrow for them) is cut.
func renderTable(w io.Writer, headers []string, rows [][]string, align []tw.Align, width int) error {
	var buf bytes.Buffer
	tbl := tablewriter.NewTable(&buf,
		tablewriter.WithRenderer(renderer.NewBlueprint(tw.Rendition{
			Borders:  tw.BorderNone,
			Symbols:  tw.NewSymbols(tw.StyleNone),
			Settings: tw.Settings{Separators: tw.SeparatorsNone, Lines: tw.LinesNone},
		})),
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithHeaderAlignment(tw.AlignLeft),
		tablewriter.WithHeaderAutoWrap(tw.WrapNone),
		tablewriter.WithRowAutoWrap(tw.WrapNone),
		tablewriter.WithTrimSpace(tw.Off),
		tablewriter.WithPadding(tw.Padding{Left: "", Right: strings.Repeat(" ", colSep), Overwrite: true}),
		tablewriter.WithRowAlignmentConfig(tw.CellAlignment{PerColumn: align}),
	)
	tbl.Header(toAny(headers)...)
	for _, r := range rows {
		if err := tbl.Append(r); err != nil {
			return fmt.Errorf("table: %w", err)
		}
	}
	if err := tbl.Render(); err != nil {
		return fmt.Errorf("table: %w", err)
	}
	// Cells are sanitized; the only escapes left are the status colours,
	// which reach a terminal through its control path.
	return sanitize.WriteStyled(w, string(trimLines(buf.Bytes(), width)))
}

func toAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// trimLines removes trailing spaces from every line and, with width > 0,
// cuts a line wider than width.
func trimLines(b []byte, width int) []byte {
	lines := bytes.SplitAfter(b, []byte("\n"))
	out := make([]byte, 0, len(b))
	for _, l := range lines {
		nl := bytes.HasSuffix(l, []byte("\n"))
		l = bytes.TrimRight(l, " \n")
		// a styled last cell ends in its padding, then the reset: that
		// padding trails too (kept, it made a coloured line too wide and
		// cut it: "success  …" at 80 columns)
		for {
			cell := bytes.TrimSuffix(l, []byte(ansiReset))
			text := bytes.TrimRight(cell, " ")
			if len(cell) == len(l) || len(text) == len(cell) {
				break
			}
			l = append(text, ansiReset...)
		}
		if width > 0 && twwidth.Width(string(l)) > width {
			l = []byte(twwidth.Truncate(string(l), width-1, "…"))
		}
		out = append(out, l...)
		if nl {
			out = append(out, '\n')
		}
	}
	return out
}

func statusStyle(s string) string {
	switch audit.Status(s) {
	case audit.StatusSuccess:
		return styleSuccess.Render(s)
	case audit.StatusFailure:
		return styleFailure.Render(s)
	case audit.StatusWarning:
		return styleWarning.Render(s)
	}
	return s
}

// OutcomeStyle colours the outcome of a rule (`check`, `hunt`): FAIL and
// ERROR as failures, WARN as warnings, PASS as successes.
func OutcomeStyle(s string) string {
	switch s {
	case "FAIL", "ERROR":
		return styleFailure.Render(s)
	case "WARN":
		return styleWarning.Render(s)
	case "PASS":
		return styleSuccess.Render(s)
	}
	return s
}

// zoneName is the name of the zone of table times, for headers.
func (o Options) zoneName() string {
	if o.Zone != "" {
		return o.Zone
	}
	if o.Location == nil {
		return "UTC"
	}
	return o.Location.String()
}

// Time formats t for a table: TableTimeFormat in opt.Location (UTC by
// default); "" for the zero time.
func (o Options) Time(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	loc := o.Location
	if loc == nil {
		loc = time.UTC
	}
	return t.In(loc).Format(TableTimeFormat)
}

// FormatDuration writes a duration with its unit, as tables show it:
// 350ms, 1.2s, 12s, 3m05s, 1h17m05s.
func FormatDuration(d time.Duration) string {
	switch {
	case d < 0:
		return "-" + FormatDuration(-d)
	case d < time.Millisecond && d > 0:
		return fmt.Sprintf("%.2gms", float64(d)/float64(time.Millisecond))
	case d < time.Second:
		return fmt.Sprintf("%dms", d.Milliseconds())
	case d < 10*time.Second:
		return fmt.Sprintf("%.1fs", float64(d.Round(100*time.Millisecond))/float64(time.Second))
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Round(time.Second)/time.Second))
	}
	s := int64(d.Round(time.Second) / time.Second)
	if s < 3600 {
		return fmt.Sprintf("%dm%02ds", s/60, s%60)
	}
	return fmt.Sprintf("%dh%02dm%02ds", s/3600, s/60%60, s%60)
}

// FormatMS is FormatDuration of a number of milliseconds.
func FormatMS(ms float64) string {
	return FormatDuration(time.Duration(ms * float64(time.Millisecond)))
}

// PageFooter is the line under a page of results: "Page 2 of 5 (230
// total)". pages is at least 1, even for an empty result.
func PageFooter(page, pages, total int) string {
	pages = max(pages, 1)
	page = max(page, 1)
	return fmt.Sprintf("Page %d of %d (%d total)", page, pages, total)
}
