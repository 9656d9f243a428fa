package shared

import (
	"github.com/auditctl/auditctl/pkg/cmdutil"
	"github.com/auditctl/auditctl/pkg/output"
)

// Listing writes the rows of a listing read from a recording (keystrokes,
// queries) as they are decoded: CSV, NDJSON and JSON row by row, holding
// nothing, so a recording of any size is listed in bounded memory. The
// table, YAML and --jq need every row first: they hold at most
// output.MaxHeldBytes of rows, and a notice on stderr says when rows were
// left out (-o csv, ndjson or json list them all).
type Listing struct {
	rf    *RecordingFlags
	ios   *cmdutil.IOStreams
	jq    string
	s     *output.RecordStream
	items []any
	held  int
	trunc bool
}

// NewListing starts a listing of records described by r (Columns, Table)
// in format f, or for the --jq expression jq when it is not empty.
func (rf *RecordingFlags) NewListing(ios *cmdutil.IOStreams, f output.Format, jq string, r output.Records, opt output.Options) (*Listing, error) {
	l := &Listing{rf: rf, ios: ios, jq: jq}
	if jq != "" {
		return l, nil
	}
	s, err := output.NewRecordStream(ios.Out, f, r, opt)
	if err != nil {
		return nil, err
	}
	l.s = s
	return l, nil
}

// Write adds a row: its CSV cells, its table cells (nil: the same) and the
// item JSON encodes; size is about what the item holds, for --jq's bound.
func (l *Listing) Write(row, tableRow []string, item any) error {
	if l.s != nil {
		return l.s.Write(row, tableRow, item)
	}
	if l.trunc {
		return nil
	}
	size := 64
	for _, c := range row {
		size += len(c)
	}
	if l.held+size > output.MaxHeldBytes {
		l.trunc = true
		return nil
	}
	l.held += size
	l.items = append(l.items, item)
	return nil
}

// Close writes what is held, or ends the stream, and says on stderr (unless
// --quiet) when rows were left out.
func (l *Listing) Close() error {
	var err error
	trunc := l.trunc
	if l.s != nil {
		err = l.s.Close()
		trunc = l.s.Truncated()
	} else {
		items := l.items
		if items == nil {
			items = []any{}
		}
		err = WriteJQ(l.ios, l.jq, items)
	}
	if trunc {
		l.rf.Notice(l.ios, "note: the listing stopped at %d MiB of rows (a table, YAML and --jq hold every row): -o csv, ndjson or json list them all", output.MaxHeldBytes>>20)
	}
	return err
}
