package output

import (
	"io"
	"strings"

	"github.com/olekukonko/tablewriter/tw"

	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/sanitize"
)

// Records describes a list of records of any kind (keystrokes, queries,
// commands) for WriteRecords: the table and CSV show Row(i), one text cell
// per column; JSON, NDJSON and YAML encode Item(i).
type Records struct {
	Columns []string // field names: the CSV header, upper-cased for the table
	Len     int
	Row     func(i int) []string
	Item    func(i int) any
	// Right names the columns a table aligns right (numbers, durations).
	Right map[string]bool
}

// WriteRecords writes r in format f. Table cells are sanitized and cut to
// opt.Width; CSV cells are guarded against formula injection unless
// opt.CSVRaw; JSON and YAML are terminal-safe.
func WriteRecords(w io.Writer, f Format, r Records, opt Options) error {
	switch f {
	case FormatTable:
		headers := make([]string, len(r.Columns))
		align := make([]tw.Align, len(r.Columns))
		for i, c := range r.Columns {
			headers[i] = strings.ToUpper(c)
			align[i] = tw.AlignLeft
			if r.Right[c] {
				align[i] = tw.AlignRight
			}
		}
		rows := make([][]string, r.Len)
		for i := range rows {
			row := r.Row(i)
			for j := range row {
				row[j] = sanitize.String(row[j])
			}
			rows[i] = row
		}
		widths := fitWidths(r.Columns, headers, rows, opt.Width)
		for _, row := range rows {
			for j := range row {
				row[j] = truncate(row[j], widths[j])
			}
		}
		return renderTable(w, headers, rows, align)
	case FormatCSV:
		out := newFlusher(w)
		for i, c := range r.Columns {
			if i > 0 {
				out.buf = append(out.buf, ',')
			}
			out.buf = appendCSVField(out.buf, c, false)
		}
		out.buf = append(out.buf, '\n')
		for i := range r.Len {
			for j, s := range r.Row(i) {
				if j > 0 {
					out.buf = append(out.buf, ',')
				}
				out.buf = appendCSVField(out.buf, s, !opt.CSVRaw && needsNeutralizing(s))
			}
			out.buf = append(out.buf, '\n')
			if err := out.maybeFlush(); err != nil {
				return err
			}
		}
		return out.flush()
	case FormatNDJSON:
		return writeNDJSON(w, r.Len, r.Item)
	case FormatJSON, FormatYAML:
		items := make([]any, r.Len)
		for i := range items {
			items[i] = r.Item(i)
		}
		if f == FormatYAML {
			return writeYAMLValue(w, items)
		}
		return writeJSONValue(w, items, true)
	}
	return audit.Errorf(audit.EUSAGE, "unknown output format %q", f)
}
