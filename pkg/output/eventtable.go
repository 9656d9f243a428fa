package output

import (
	"io"
	"strings"
	"time"

	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/sanitize"
)

// eventColumns are the event table's columns, in the order --wide shows
// them. The default ones (not Extra) are, by priority: time, action,
// actor, status, id, ip, service, duration; JSON documents only when named
// with --columns.
var eventColumns = []Column{
	{Name: "time", Kind: KindFixed, Zoned: true},
	{Name: "source", Kind: KindName, Extra: true, Priority: 20},
	{Name: "service", Kind: KindText, Priority: 7},
	{Name: "category", Kind: KindText, Extra: true, Priority: 21},
	{Name: "action", Kind: KindText, Min: 16, Priority: 1},
	{Name: "actor", Aliases: []string{"user"}, Kind: KindName, Priority: 2},
	{Name: "actor_type", Kind: KindText, Extra: true, Priority: 22},
	{Name: "actor_id", Kind: KindName, Extra: true, Priority: 23},
	{Name: "target", Kind: KindName, Extra: true, Priority: 10},
	{Name: "target_type", Kind: KindText, Extra: true, Priority: 24},
	{Name: "target_id", Kind: KindName, Extra: true, Priority: 25},
	{Name: "ip", Kind: KindName, Priority: 5},
	{Name: "client", Kind: KindText, Extra: true, Priority: 26},
	{Name: "user_agent", Aliases: []string{"browser"}, Header: "BROWSER", Kind: KindText, Extra: true, Priority: 27},
	{Name: "status", Kind: KindText, Min: len("in_progress"), Priority: 3, Style: statusStyle},
	{Name: "error", Kind: KindText, Extra: true, Priority: 11},
	{Name: "duration_ms", Aliases: []string{"duration"}, Header: "DURATION", Kind: KindFixed, Right: true, Priority: 8},
	{Name: "tenant", Kind: KindName, Extra: true, Priority: 28},
	{Name: "workflow_type", Kind: KindText, Extra: true, Priority: 29},
	{Name: "workflow_id", Kind: KindName, Extra: true, Priority: 30},
	{Name: "description", Kind: KindText, Extra: true, Priority: 31},
	{Name: "geo", Kind: KindText, Extra: true, Priority: 32},
	{Name: "id", Kind: KindID, Priority: 4},
	{Name: "params", Kind: KindText, NotWide: true, Priority: 40},
	{Name: "custom", Kind: KindText, NotWide: true, Priority: 41},
	{Name: "before", Kind: KindText, NotWide: true, Priority: 42},
	{Name: "after", Kind: KindText, NotWide: true, Priority: 43},
	{Name: "raw", Kind: KindText, NotWide: true, Priority: 44},
}

// EventColumnNames lists the columns of the event table, for help and
// errors.
func EventColumnNames() []string {
	t := Table{Columns: eventColumns}
	return t.ColumnNames()
}

// EventTable is the table of events, for RenderTable: what `logs list`
// prints, and the console's logs view.
func EventTable(events []*audit.Event, opt Options) Table { return eventTable(events, opt) }

// eventTable is the table of events.
func eventTable(events []*audit.Event, opt Options) Table {
	return Table{Columns: eventColumns, Len: len(events), Cell: func(i, col int) string {
		e := events[i]
		switch name := eventColumns[col].Name; name {
		case "time":
			return opt.Time(e.Time)
		case "duration_ms":
			if ms, ok := e.Duration(); ok {
				return FormatDuration(time.Duration(ms) * time.Millisecond)
			}
			return ""
		case "geo":
			return geoSummary(e.Geo)
		default:
			return e.Value(name)
		}
	}}
}

// tableWriter buffers the events and renders them on Close, when the
// column widths are known. Tables are for pages of up to a few thousand
// rows.
type tableWriter struct {
	w      io.Writer
	opt    Options
	events []*audit.Event
	closed bool
}

func newTableWriter(w io.Writer, opt Options) (*tableWriter, error) {
	if err := ValidateEventColumns(opt); err != nil {
		return nil, err
	}
	return &tableWriter{w: w, opt: opt}, nil
}

func (t *tableWriter) Write(e *audit.Event) error {
	if t.closed {
		return errClosed
	}
	t.events = append(t.events, e)
	return nil
}

func (t *tableWriter) Close() error {
	if t.closed {
		return nil
	}
	t.closed = true
	return RenderTable(t.w, eventTable(t.events, t.opt), t.opt)
}

// ValidateEventColumns checks opt.Columns against the event table's
// columns, for commands that fail before they query anything.
func ValidateEventColumns(opt Options) error {
	t := Table{Columns: eventColumns}
	return t.ValidateColumns(opt)
}

// tailColumns are the fields of a `logs tail` line.
var tailColumns = []string{"time", "source", "service", "action", "actor", "ip", "status", "description"}

// EventLine is one event as a line of a stream (`logs tail` on a
// terminal): the fields (opt.Columns, else time, source, service, action,
// actor, ip, status, description) as the event table shows them, two
// spaces apart, empty ones left out, cut at the end to opt.Width unless
// opt.Wide: a stream cannot size its columns ahead of the rows.
func EventLine(e *audit.Event, opt Options) (string, error) {
	cols := tailColumns
	if len(opt.Columns) > 0 {
		cols = opt.Columns
	}
	t := eventTable([]*audit.Event{e}, opt)
	sel, _, err := t.selectColumns(Options{Columns: cols})
	if err != nil {
		return "", err
	}
	var parts []string
	for _, c := range sel {
		if s := sanitize.String(t.Cell(0, c)); s != "" {
			parts = append(parts, s)
		}
	}
	line := strings.Join(parts, "  ")
	if opt.Width > 0 && !opt.Wide {
		line = cutEnd(line, opt.Width)
	}
	return line, nil
}
