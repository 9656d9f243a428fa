package tui

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/output"
)

// The logs view holds a window of the result, never all of it: chunks of
// chunkSize events read by keyset pages (audit.Page.After) as the
// selection nears either end of what is held, and at most maxHeld events,
// the farthest dropped. A scroll through ten million events therefore
// costs what one through a hundred does, in time and memory.
var (
	chunkSize = 200
	maxHeld   = 1000
)

// logsView is the result of the current query and the window held of it.
type logsView struct {
	query  string // the query whose result this is (the bar's text)
	filter audit.Filter
	defWin bool // the default window applies (no time given)
	// allTime lifts the default window (a workflow pivot: every event of
	// the workflow, whenever).
	allTime bool
	// timeline: the rows are a workflow, oldest first, read whole (up to
	// maxHeld) and drawn as a timeline; origin is the event the pivot
	// started from.
	timeline bool
	origin   string
	gen      int // generation of the current query: older results are dropped
	cancel   context.CancelFunc
	ctx      context.Context

	newest  *audit.Cursor  // the newest event of the result (the live tail reads past it)
	rows    []*audit.Event // the window held
	base    int            // index in the whole result of rows[0]
	sel     int            // selected row, index in the whole result
	topRow  int            // first row on screen, index in the whole result
	atEnd   bool           // rows reach the oldest match
	loading bool           // the first page of the query is on its way
	older   bool           // a page of older events is on its way
	newer   bool           // a page of newer events is on its way
	jump    int            // >0: jumped to the end and waiting for it
	total   int            // every match; -1 while counting
	err     error

	// The table laid out over the held rows (the widths stay put while
	// the selection moves within them); only the rows on screen are drawn.
	win    *output.TableWindow
	winErr error
	widthL int
	// meas holds each held row's cells sanitized and measured, once, when
	// it arrives; measOpt the options they were measured with.
	meas    map[*audit.Event]output.MeasuredRow
	measLoc *time.Location
	// drawn caches the lines last drawn: the header, then rows [from, to).
	drawn    []string
	drawnWin *output.TableWindow
	drawnAt  [2]int
}

func (v *logsView) init() { v.total = -1 }

// pageMsg is a page of events read for a query.
type pageMsg struct {
	gen    int
	dir    int // 0 the first page, 1 older events, -1 newer ones, 2 the last page
	events []*audit.Event
	err    error
}

// totalMsg is the count of every match of a query.
type totalMsg struct {
	gen int
	n   int64
	err error
}

// runQuery compiles text and starts reading its result, cancelling the
// query it replaces. A query that does not compile leaves the result as
// it is and says why.
func (m *Model) runQuery(text string) tea.Cmd {
	f, def, err := m.compile(text)
	if err != nil {
		if m.bar != nil {
			m.bar.setErr(text, err)
			m.relayout()
		} else {
			m.setStatus(errText(err), true)
		}
		return nil
	}
	v := &m.logs
	if v.cancel != nil {
		v.cancel()
	}
	v.gen++
	v.ctx, v.cancel = context.WithCancel(m.ctx)
	v.query, v.filter, v.defWin = text, f, def
	v.loading, v.older, v.newer, v.jump, v.err, v.newest = true, false, false, 0, nil, nil
	v.total = -1
	m.setStatus("", false)
	first := m.fetch(0, audit.Page{Limit: chunkSize, NoTotal: true})
	if v.timeline {
		first = m.fetch(3, audit.Page{Limit: maxHeld, NoTotal: true, Sort: []audit.SortKey{{Field: audit.FieldTime}}})
	}
	cmds := []tea.Cmd{first, m.count()}
	if m.view == viewOverview {
		cmds = append(cmds, m.loadOverview())
	}
	return tea.Batch(cmds...)
}

// fetch reads one page of the current query in a command.
func (m *Model) fetch(dir int, p audit.Page) tea.Cmd {
	v := &m.logs
	gen, ctx, f, svc := v.gen, v.ctx, v.filter, m.opt.Events
	return func() tea.Msg {
		evs, _, err := svc.FindEvents(ctx, f, p)
		return pageMsg{gen: gen, dir: dir, events: evs, err: err}
	}
}

func (m *Model) count() tea.Cmd {
	v := &m.logs
	gen, ctx, f, svc := v.gen, v.ctx, v.filter, m.opt.Events
	return func() tea.Msg {
		n, err := svc.CountEvents(ctx, f)
		return totalMsg{gen: gen, n: n, err: err}
	}
}

func (m *Model) gotTotal(msg totalMsg) {
	v := &m.logs
	if msg.gen != v.gen {
		return
	}
	if msg.err != nil {
		if !errors.Is(msg.err, context.Canceled) {
			m.setStatus("counting: "+errText(msg.err), true)
		}
		return
	}
	v.total = int(msg.n)
}

func (m *Model) gotPage(msg pageMsg) tea.Cmd {
	v := &m.logs
	if msg.gen != v.gen {
		return nil // a superseded query's page
	}
	switch msg.dir {
	case 0, 2, 3:
		v.loading = false
	case 1:
		v.older = false
	case -1:
		v.newer = false
	}
	if msg.err != nil {
		if !errors.Is(msg.err, context.Canceled) {
			v.err = msg.err
			m.setStatus(errText(msg.err), true)
		}
		return nil
	}
	evs := msg.events
	switch msg.dir {
	case 0: // the newest page
		v.rows, v.base, v.sel, v.topRow = evs, 0, 0, 0
		if len(evs) > 0 {
			v.newest = audit.CursorOf(evs[0])
		}
		v.atEnd = len(evs) < chunkSize
		v.err = nil
	case 3: // a workflow, whole, oldest first
		v.rows, v.base, v.sel, v.topRow, v.atEnd, v.err = evs, 0, 0, 0, true, nil
		for i, e := range evs {
			if e.ID == v.origin {
				v.sel = i
			}
		}
		v.topRow = max(v.sel-m.pageSize()/2, 0)
	case 2: // the oldest page, read oldest first
		slices.Reverse(evs)
		v.rows = evs
		v.atEnd = true
		v.base = max(v.jump-len(evs), 0)
		v.sel = v.base + len(evs) - 1
		v.topRow = max(v.sel-m.pageSize()+1, v.base)
		v.jump = 0
	case 1: // older events, after the last held
		v.rows = append(v.rows, evs...)
		v.atEnd = len(evs) < chunkSize
		if drop := len(v.rows) - maxHeld; drop > 0 {
			v.rows = slices.Clone(v.rows[drop:])
			v.base += drop
		}
	case -1: // newer events, read oldest first from the first held
		slices.Reverse(evs)
		v.rows = append(evs, v.rows...)
		v.base -= len(evs)
		if len(evs) < chunkSize && v.base != 0 {
			// the newest is reached: it is row 0 whatever the count said
			shift := -v.base
			v.base, v.sel, v.topRow = 0, v.sel+shift, v.topRow+shift
		}
		if len(v.rows) > maxHeld {
			v.rows = slices.Clone(v.rows[:maxHeld])
			v.atEnd = false
		}
	}
	v.base = max(v.base, 0)
	if len(v.rows) > 0 {
		v.sel = min(max(v.sel, v.base), v.base+len(v.rows)-1)
	}
	m.relayout()
	return m.prefetch()
}

// prefetch asks for the next chunk when the selection nears an end of
// what is held.
func (m *Model) prefetch() tea.Cmd {
	v := &m.logs
	if v.loading || len(v.rows) == 0 {
		return nil
	}
	// Read ahead when the selection is within margin of an end; a window
	// that gains a chunk at one end and drops one at the other leaves the
	// selection farther than margin from both, so it never thrashes.
	margin := min(max(chunkSize/4, 2*m.pageSize()), (maxHeld-chunkSize)/2-1)
	var cmds []tea.Cmd
	if !v.atEnd && !v.older && v.sel+margin >= v.base+len(v.rows) {
		v.older = true
		cmds = append(cmds, m.fetch(1, audit.Page{Limit: chunkSize, NoTotal: true, After: audit.CursorOf(v.rows[len(v.rows)-1])}))
	}
	if v.base > 0 && !v.newer && v.sel-margin < v.base {
		v.newer = true
		cmds = append(cmds, m.fetch(-1, audit.Page{Limit: chunkSize, NoTotal: true, After: audit.CursorOf(v.rows[0]),
			Sort: []audit.SortKey{{Field: audit.FieldTime}}}))
	}
	return tea.Batch(cmds...)
}

// move moves the selection by d rows, within what is held (the rest
// arrives by prefetch).
func (m *Model) move(d int) tea.Cmd {
	v := &m.logs
	if len(v.rows) == 0 {
		return nil
	}
	v.sel = min(max(v.sel+d, v.base), v.base+len(v.rows)-1)
	v.scrollTo(m.pageSize())
	return m.prefetch()
}

// first selects the newest event, reading it again when it is no longer
// held.
func (m *Model) first() tea.Cmd {
	v := &m.logs
	if v.base == 0 || v.timeline {
		v.sel, v.topRow = 0, 0
		return nil
	}
	v.loading = true
	return m.fetch(0, audit.Page{Limit: chunkSize, NoTotal: true})
}

// last selects the oldest match: its page is read oldest first.
func (m *Model) last() tea.Cmd {
	v := &m.logs
	if v.atEnd {
		return m.move(v.base + len(v.rows))
	}
	if v.total < 0 {
		m.setStatus("still counting the matches: try again in a moment", false)
		return nil
	}
	v.loading, v.jump = true, v.total
	return m.fetch(2, audit.Page{Limit: chunkSize, NoTotal: true, Sort: []audit.SortKey{{Field: audit.FieldTime}}})
}

// scrollTo keeps the selection on screen.
func (v *logsView) scrollTo(page int) {
	if v.sel < v.topRow {
		v.topRow = v.sel
	}
	if v.sel >= v.topRow+page {
		v.topRow = v.sel - page + 1
	}
	v.topRow = max(v.topRow, v.base)
}

// layout lays the held rows out as a table fitted to width: the CLI's
// table (output.RenderTable: columns chosen by priority, cells cut by
// kind, every value sanitized), so the widths stay put while the
// selection moves within what is held.
//
// Each row is measured once, when it arrives (MeasureRow: its cells
// sanitized, their widths); a layout then costs comparisons of widths over
// the rows held, and drawing costs the rows on screen (lines).
func (v *logsView) layout(width int, opt output.Options) {
	opt.Width = width
	v.win, v.winErr, v.widthL = nil, nil, width
	if len(v.rows) == 0 {
		return
	}
	if v.meas == nil || v.measLoc != opt.Location {
		v.meas, v.measLoc = map[*audit.Event]output.MeasuredRow{}, opt.Location
	}
	meas := make(map[*audit.Event]output.MeasuredRow, len(v.rows))
	rows := make([]output.MeasuredRow, len(v.rows))
	for i, e := range v.rows {
		r, ok := v.meas[e]
		if !ok {
			var err error
			if r, err = output.MeasureRow(output.EventTable(v.rows[i:i+1], opt), 0, opt); err != nil {
				v.winErr = err
				return
			}
		}
		meas[e], rows[i] = r, r
	}
	v.meas = meas
	win, err := output.LayoutWindow(output.EventTable(nil, opt), rows, opt)
	if err != nil {
		v.winErr = err
		return
	}
	v.win = win
}

// lines draws the table's header and the held rows [from, to) (indexes
// in v.rows); nil when there is nothing to draw.
func (v *logsView) lines(from, to int) []string {
	if v.winErr != nil {
		return []string{"table: " + errText(v.winErr)}
	}
	if v.win == nil {
		return nil
	}
	from, to = max(from, 0), min(to, v.win.Len())
	to = max(from, to)
	if v.drawnWin == v.win && v.drawnAt == [2]int{from, to} {
		return v.drawn
	}
	var buf bytes.Buffer
	if err := v.win.Render(&buf, from, to); err != nil {
		return []string{"table: " + errText(err)}
	}
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	for i, l := range lines {
		// the table fits; what passes the width is padding inside a
		// coloured cell
		lines[i] = ansi.Truncate(l, v.widthL, "")
	}
	v.drawn, v.drawnWin, v.drawnAt = lines, v.win, [2]int{from, to}
	return lines
}

// selected returns the selected event, if any.
func (v *logsView) selected() *audit.Event {
	if i := v.sel - v.base; i >= 0 && i < len(v.rows) {
		return v.rows[i]
	}
	return nil
}

// tableOpts are the options of the logs table.
func (m *Model) tableOpts() output.Options {
	return output.Options{Color: m.opt.Color, Location: m.opt.Location,
		Omit: []string{"id"}} // the detail panel shows it whole
}
