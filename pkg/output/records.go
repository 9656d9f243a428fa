package output

import (
	"io"

	"github.com/auditctl/auditctl/pkg/audit"
)

// Records describes a list of records of any kind (sessions, keystrokes,
// queries, commands) for WriteRecords: the table and CSV show Row(i), one
// text cell per column; JSON, NDJSON and YAML encode Item(i).
type Records struct {
	Columns []string // field names: the CSV header and the table's column names
	// Table describes the table's columns, one per name of Columns (a
	// Column's Name is taken from Columns); nil means free text columns,
	// dropped from the last on a narrow terminal.
	Table []Column
	Len   int
	Row   func(i int) []string
	// TableRow, when set, gives the table's cells where they differ from
	// Row's (times in Options.Location, durations with units): CSV keeps
	// Row's machine values (RFC 3339 UTC times).
	TableRow func(i int) []string
	Item     func(i int) any
}

// table returns the table of r.
func (r Records) table() Table {
	cols := make([]Column, len(r.Columns))
	for i, name := range r.Columns {
		if i < len(r.Table) {
			cols[i] = r.Table[i]
		} else {
			cols[i] = Column{Kind: KindText, Priority: i}
		}
		cols[i].Name = name
	}
	rows := make([][]string, r.Len)
	row := r.Row
	if r.TableRow != nil {
		row = r.TableRow
	}
	return Table{Columns: cols, Len: r.Len, Cell: func(i, col int) string {
		if rows[i] == nil {
			rows[i] = row(i)
		}
		return rows[i][col]
	}}
}

// ValidateColumns checks opt.Columns against the table of r.
func (r Records) ValidateColumns(opt Options) error {
	t := r.table()
	return t.ValidateColumns(opt)
}

// WriteRecords writes r in format f. The table is laid out by RenderTable
// (sanitized, fitted to opt.Width); CSV cells are guarded against formula
// injection unless opt.CSVRaw; JSON and YAML are terminal-safe.
func WriteRecords(w io.Writer, f Format, r Records, opt Options) error {
	switch f {
	case FormatTable:
		return RenderTable(w, r.table(), opt)
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
