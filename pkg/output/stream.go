package output

import (
	"io"

	"github.com/auditctl/auditctl/pkg/audit"
)

// MaxHeldBytes bounds what a RecordStream holds for the formats that need
// every row before writing the first (the table lays out its columns over
// all rows; YAML and --jq take one document): 64 MiB of cells.
const MaxHeldBytes = 64 << 20

// RecordStream writes records one at a time as they are known, for listings
// read from input of any size (a recording's keystrokes or queries): CSV,
// NDJSON and JSON are written row by row and hold nothing; the table and
// YAML hold the rows (at most MaxHeldBytes of cells; Truncated reports rows
// dropped past that) and are written by Close. The output is the same as
// WriteRecords' for the same rows.
type RecordStream struct {
	w     io.Writer
	f     Format
	r     Records // columns and table layout; Len, Row and Item unused
	opt   Options
	out   *flusher
	n     int
	held  int
	rows  [][]string
	trows [][]string
	items []any
	trunc bool
}

// NewRecordStream starts a stream of records described by r (its Columns,
// Table) in format f.
func NewRecordStream(w io.Writer, f Format, r Records, opt Options) (*RecordStream, error) {
	switch f {
	case FormatTable, FormatCSV, FormatNDJSON, FormatJSON, FormatYAML:
	default:
		return nil, audit.Errorf(audit.EUSAGE, "unknown output format %q", f)
	}
	s := &RecordStream{w: w, f: f, r: r, opt: opt, out: newFlusher(w)}
	if f == FormatCSV {
		for i, c := range r.Columns {
			if i > 0 {
				s.out.buf = append(s.out.buf, ',')
			}
			s.out.buf = appendCSVField(s.out.buf, c, false)
		}
		s.out.buf = append(s.out.buf, '\n')
	}
	return s, nil
}

// Holds reports whether the stream holds its rows until Close (table,
// YAML).
func (s *RecordStream) Holds() bool { return s.f == FormatTable || s.f == FormatYAML }

// Truncated reports whether rows were dropped because the held rows reached
// MaxHeldBytes.
func (s *RecordStream) Truncated() bool { return s.trunc }

// Len is the number of rows written (or held).
func (s *RecordStream) Len() int { return s.n }

// Write adds one record: row is its CSV cells, tableRow its table cells (nil:
// row), item what JSON, NDJSON and YAML encode.
func (s *RecordStream) Write(row, tableRow []string, item any) error {
	switch s.f {
	case FormatTable, FormatYAML:
		if s.trunc {
			return nil
		}
		size := 64
		for _, c := range row {
			size += len(c)
		}
		if s.held+size > MaxHeldBytes {
			s.trunc = true
			return nil
		}
		s.held += size
		s.rows = append(s.rows, row)
		if tableRow != nil {
			for len(s.trows) < len(s.rows)-1 {
				s.trows = append(s.trows, nil)
			}
			s.trows = append(s.trows, tableRow)
		}
		s.items = append(s.items, item)
	case FormatCSV:
		for j, c := range row {
			if j > 0 {
				s.out.buf = append(s.out.buf, ',')
			}
			s.out.buf = appendCSVField(s.out.buf, c, !s.opt.CSVRaw && needsNeutralizing(c))
		}
		s.out.buf = append(s.out.buf, '\n')
	case FormatNDJSON:
		b, err := marshalCompact(item)
		if err != nil {
			return err
		}
		s.out.buf = append(appendSafeJSON(s.out.buf, b), '\n')
	case FormatJSON:
		b, err := marshalIndentPrefix(item, "  ")
		if err != nil {
			return err
		}
		if s.n == 0 {
			s.out.buf = append(s.out.buf, "[\n  "...)
		} else {
			s.out.buf = append(s.out.buf, ",\n  "...)
		}
		s.out.buf = appendSafeJSON(s.out.buf, b)
	}
	s.n++
	return s.out.maybeFlush()
}

// Close writes what the stream holds (the table, YAML) or ends it (the JSON
// array).
func (s *RecordStream) Close() error {
	switch s.f {
	case FormatTable, FormatYAML:
		rows, trows, items := s.rows, s.trows, s.items
		r := s.r
		r.Len = len(rows)
		r.Row = func(i int) []string { return rows[i] }
		r.Item = func(i int) any { return items[i] }
		if len(trows) > 0 {
			r.TableRow = func(i int) []string {
				if i < len(trows) && trows[i] != nil {
					return trows[i]
				}
				return rows[i]
			}
		}
		return WriteRecords(s.w, s.f, r, s.opt)
	case FormatJSON:
		if s.n == 0 {
			s.out.buf = append(s.out.buf, "[]\n"...)
		} else {
			s.out.buf = append(s.out.buf, "\n]\n"...)
		}
	}
	return s.out.flush()
}
