package output

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	"charm.land/lipgloss/v2"
	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/pkg/twwidth"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"

	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/sanitize"
)

// DefaultColumns are the columns of the event table.
var DefaultColumns = []string{"time", "service", "action", "actor", "ip", "status", "duration_ms", "id"}

// TableTimeFormat is how the table shows times (always UTC).
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

// columnHeader is the table header of a column.
func columnHeader(col string) string {
	switch col {
	case "duration_ms", "duration":
		return "DURATION"
	case "user_agent", "browser":
		return "BROWSER"
	}
	return strings.ToUpper(col)
}

// minWidth is how narrow truncation may make a column.
func minWidth(col string) int {
	switch col {
	case "time":
		return len(TableTimeFormat)
	case "status":
		return len("in_progress")
	case "duration_ms", "duration":
		return len("DURATION")
	case "ip":
		return 15 // a whole IPv4 address
	case "id":
		return 10 // enough to tell events apart
	}
	return 6
}

// shrinkRank says which columns give up width first when the table is too
// wide: JSON documents, then free text, then the other text columns, the
// widest first; time and duration are never cut.
func shrinkRank(col string) int {
	switch col {
	case "raw", "params", "custom", "before", "after", "geo":
		return 0
	case "description", "user_agent", "browser", "error":
		return 1
	case "time", "duration_ms", "duration":
		return 3
	}
	return 2
}

func validColumn(col string) bool {
	for _, c := range audit.Columns {
		if c == col {
			return true
		}
	}
	return col == "browser" || col == "duration"
}

// tableWriter buffers the sanitized cells of every row and renders them on
// Close, when the column widths are known. Tables are for pages of up to a
// few thousand rows.
type tableWriter struct {
	w      io.Writer
	opt    Options
	cols   []string
	rows   [][]string
	closed bool
}

func newTableWriter(w io.Writer, opt Options) (*tableWriter, error) {
	cols := opt.Columns
	if len(cols) == 0 {
		cols = DefaultColumns
	}
	norm := make([]string, len(cols))
	for i, c := range cols {
		c = strings.ToLower(strings.TrimSpace(c))
		if !validColumn(c) {
			return nil, audit.Errorf(audit.EUSAGE, "unknown column %q (want one of %s)", c, strings.Join(audit.Columns, ", "))
		}
		norm[i] = c
	}
	return &tableWriter{w: w, opt: opt, cols: norm}, nil
}

func (t *tableWriter) Write(e *audit.Event) error {
	if t.closed {
		return errClosed
	}
	row := make([]string, len(t.cols))
	for i, c := range t.cols {
		switch c {
		case "time":
			if !e.Time.IsZero() {
				row[i] = e.Time.UTC().Format(TableTimeFormat)
			}
		default:
			row[i] = sanitize.String(e.Value(c))
		}
	}
	t.rows = append(t.rows, row)
	return nil
}

func (t *tableWriter) Close() error {
	if t.closed {
		return nil
	}
	t.closed = true
	headers := make([]string, len(t.cols))
	for i, c := range t.cols {
		headers[i] = columnHeader(c)
	}
	widths := fitWidths(t.cols, headers, t.rows, t.opt.Width)
	align := make([]tw.Align, len(t.cols))
	for i, c := range t.cols {
		align[i] = tw.AlignLeft
		if c == "duration_ms" || c == "duration" {
			align[i] = tw.AlignRight
		}
	}
	for _, row := range t.rows {
		for i, c := range t.cols {
			row[i] = truncate(row[i], widths[i])
			if t.opt.Color && c == "status" {
				row[i] = statusStyle(row[i])
			}
		}
	}
	return renderTable(t.w, headers, t.rows, align)
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

// fitWidths returns each column's width: its widest cell, narrowed one
// cell at a time (the widest column of the lowest shrinkRank first) until the row fits in
// width, but no column below its minimum or its header: a width too small
// for every column's minimum gives a wider table (up to 96 cells for the
// default columns).
func fitWidths(cols, headers []string, rows [][]string, width int) []int {
	w := make([]int, len(cols))
	for i := range cols {
		w[i] = twwidth.Width(headers[i])
		for _, r := range rows {
			if n := twwidth.Width(r[i]); n > w[i] {
				w[i] = n
			}
		}
	}
	if width <= 0 {
		return w
	}
	total := colSep * (len(cols) - 1)
	for _, n := range w {
		total += n
	}
	for total > width {
		best := -1
		for i, c := range cols {
			floor := max(minWidth(c), twwidth.Width(headers[i]))
			if w[i] <= floor || shrinkRank(c) > 2 {
				continue
			}
			if best < 0 {
				best = i
				continue
			}
			oi, ob := shrinkRank(c), shrinkRank(cols[best])
			if oi < ob || oi == ob && w[i] > w[best] {
				best = i
			}
		}
		if best < 0 {
			break // as narrow as it goes
		}
		w[best]--
		total--
	}
	return w
}

// truncate cuts s to width display cells, ending in "…" when cut.
func truncate(s string, width int) string {
	if twwidth.Width(s) <= width {
		return s
	}
	if width <= 1 {
		return "…"[:min(len("…"), 3)]
	}
	return twwidth.Truncate(s, width-1) + "…"
}

// renderTable draws a borderless table, columns two spaces apart, without
// trailing spaces.
func renderTable(w io.Writer, headers []string, rows [][]string, align []tw.Align) error {
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
	return sanitize.WriteStyled(w, string(trimLines(buf.Bytes())))
}

func toAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// trimLines removes trailing spaces from every line.
func trimLines(b []byte) []byte {
	lines := bytes.SplitAfter(b, []byte("\n"))
	out := make([]byte, 0, len(b))
	for _, l := range lines {
		nl := bytes.HasSuffix(l, []byte("\n"))
		l = bytes.TrimRight(l, " \n")
		out = append(out, l...)
		if nl {
			out = append(out, '\n')
		}
	}
	return out
}

// PageFooter is the line under a page of results: "Page 2 of 5 (230
// total)". pages is at least 1, even for an empty result.
func PageFooter(page, pages, total int) string {
	pages = max(pages, 1)
	page = max(page, 1)
	return fmt.Sprintf("Page %d of %d (%d total)", page, pages, total)
}
