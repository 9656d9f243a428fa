package tui

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/query"
	"github.com/auditctl/auditctl/pkg/sanitize"
	"github.com/auditctl/auditctl/pkg/session"
)

// topN is how many actions and actors the overview lists (topTall on a
// terminal of 40 lines or more).
const (
	topN    = 5
	topTall = 10
)

// tops is how many top actions and actors fit the height.
func (m *Model) tops() int {
	if m.height >= 40 {
		return topTall
	}
	return topN
}

// overview is the first screen: the counts of the current filter and
// window, the top actions and actors, and the events over time. Every
// number is a way in: Enter on it opens the logs view filtered to it.
type overview struct {
	gen      int // the logs query it counts (logsView.gen)
	loading  bool
	err      error
	events   int64
	failures int64
	actors   int // distinct
	active   int // live sessions; -1 without a session store
	actions  []audit.Bucket
	topActor []audit.Bucket
	allActor []audit.Bucket // every actor, largest first: the distinct actors' way in
	hist     []audit.Bucket
	interval time.Duration
	since    time.Time // the window the histogram covers
	until    time.Time
	sel      int // the selected entry (entries)
	bar      int // the selected bar of the histogram, -1 for none
	onBar    bool
	zoom     []string // the queries before each bar chosen: Backspace goes back
	have     int      // the parts read (partCounts…)
	// load numbers each reading of the overview (its parts carry it);
	// tops and buckets are the sizes it was read for: a terminal resized
	// to want others (the first size arrives after the first reading
	// starts) reads it again, cancelling the reading before (cancel).
	load          int
	tops, buckets int
	cancel        context.CancelFunc
}

// overviewMsg is one part of the overview, read in a command of its own
// (the parts run at once, each shown as it arrives): set puts it in.
type overviewMsg struct {
	gen  int
	load int
	set  func(o *overview)
	next tea.Cmd // the parts to read after this one
	err  error
}

// entry is one way in from the overview: what it says and where Enter
// goes.
type entry struct {
	label string
	n     int64
	part  int          // the part of the overview that counts it
	add   audit.Filter // ANDed to the query; nothing added: the query itself
	view  viewID
	list  bool // the distinct actors: the list of them all
}

// The kinds of entries, in order: the counts, then the top actions and
// the top actors.
func (o *overview) entries() []entry {
	var out []entry
	out = append(out, entry{label: "events", n: o.events, view: viewLogs, part: partEvents})
	var fail audit.Filter
	fail.Add(audit.FieldStatus, string(audit.StatusFailure))
	out = append(out, entry{label: "failures", n: o.failures, add: fail, view: viewLogs, part: partCounts})
	out = append(out, entry{label: "distinct actors", n: int64(o.actors), view: viewLogs, list: true, part: partActors})
	if o.active >= 0 || o.have&partCounts == 0 {
		out = append(out, entry{label: "active sessions", n: int64(o.active), view: viewSessions, part: partCounts})
	}
	for _, b := range o.actions {
		var f audit.Filter
		f.Add(audit.FieldAction, b.Key)
		out = append(out, entry{label: "action " + b.Key, n: b.Count, add: f, view: viewLogs})
	}
	for _, b := range o.topActor {
		var f audit.Filter
		f.Add(audit.FieldActor, b.Key)
		out = append(out, entry{label: "actor " + b.Key, n: b.Count, add: f, view: viewLogs})
	}
	return out
}

// The parts of the overview, each read by its own command.
const (
	partEvents  = 1 << iota // the events: the logs view's total, counted once for both
	partCounts              // failures, active sessions
	partActors              // every actor, with its count
	partActions             // the top actions
	partHist                // the events over time
	allParts    = partEvents | partCounts | partActors | partActions | partHist
)

// loadOverview counts the current query in commands, one a part, under
// the query's context: a newer query cancels them. Each part shows as it
// arrives. The events are the logs view's total (counted once for both);
// the failures and the active sessions are read first, then the counts by
// field and the chart at once: the cache's connections go to the first
// numbers first.
func (m *Model) loadOverview() tea.Cmd {
	v := &m.logs
	if m.ov.gen == v.gen && (m.ov.loading || m.ov.err == nil && !m.ov.zero()) {
		return nil
	}
	gen, ctx, f, svc, ss := v.gen, v.ctx, v.filter, m.opt.Events, m.opt.Sessions
	if ctx == nil {
		return nil
	}
	if m.ov.cancel != nil {
		m.ov.cancel() // a reading before, for another size
	}
	zoom, sel, load := m.ov.zoom, m.ov.sel, m.ov.load+1
	buckets, now, tops := m.buckets(), m.now(), m.tops()
	ctx, cancel := context.WithCancel(ctx)
	m.ov = overview{gen: gen, loading: true, active: -1, bar: -1, zoom: zoom, sel: sel, load: load, tops: tops, buckets: buckets, cancel: cancel}
	if v.total >= 0 {
		m.ov.events, m.ov.have = int64(v.total), partEvents
	}
	part := func(read func() (func(o *overview), error)) tea.Cmd {
		return func() tea.Msg {
			set, err := read()
			return overviewMsg{gen: gen, load: load, set: set, err: err}
		}
	}
	rest := tea.Batch(
		part(func() (func(o *overview), error) {
			actors, err := svc.CountBy(ctx, f, audit.FieldActor, 0)
			if err != nil {
				return nil, err
			}
			return func(o *overview) {
				o.actors, o.allActor, o.topActor = len(actors), actors, actors[:min(tops, len(actors))]
				o.have |= partActors
			}, nil
		}),
		part(func() (func(o *overview), error) {
			actions, err := svc.CountBy(ctx, f, audit.FieldAction, tops)
			if err != nil {
				return nil, err
			}
			return func(o *overview) { o.actions, o.have = actions, o.have|partActions }, nil
		}),
		part(func() (func(o *overview), error) {
			since, until, iv, hist, err := countHistogram(ctx, svc, f, buckets, now)
			if err != nil {
				return nil, err
			}
			return func(o *overview) {
				o.since, o.until, o.interval, o.hist = since, until, iv, hist
				o.have |= partHist
			}, nil
		}),
	)
	return func() tea.Msg {
		var err error
		var fails int64
		if vs, has := f.Include[audit.FieldStatus]; !has || matchesStatus(vs, audit.StatusFailure) {
			ff := f
			ff.Include = cloneValues(f.Include)
			ff.Include[audit.FieldStatus] = []string{string(audit.StatusFailure)}
			if fails, err = svc.CountEvents(ctx, ff); err != nil {
				return overviewMsg{gen: gen, load: load, err: err}
			}
		}
		active := -1
		if ss != nil {
			_, n, err := ss.FindSessions(ctx, session.Filter{Status: []session.Status{session.StatusActive}}, session.Page{Limit: 1})
			if err != nil {
				return overviewMsg{gen: gen, load: load, err: err}
			}
			active = n
		}
		return overviewMsg{gen: gen, load: load, next: rest, set: func(o *overview) { o.failures, o.active, o.have = fails, active, o.have|partCounts }}
	}
}

func (o *overview) zero() bool { return o.have == 0 }

// buckets is about how many bars of the histogram fit the width.
func (m *Model) buckets() int { return max(m.width-4, 10) }

// resized reads the overview again when it was read for another size (more
// top actions and actors, more bars), cancelling the reading before;
// elsewhere than on the overview it is read when the overview shows.
func (m *Model) resized() tea.Cmd {
	o := &m.ov
	if o.load == 0 || o.tops == m.tops() && o.buckets == m.buckets() {
		return nil
	}
	if o.cancel != nil {
		o.cancel()
	}
	o.gen, o.loading = -1, false // read again
	if m.view != viewOverview {
		return nil
	}
	return m.loadOverview()
}

// countHistogram counts the events of f over time: about buckets bars in
// round intervals over the window (until now when it has no end; from the
// oldest match when it has no start).
func countHistogram(ctx context.Context, svc audit.EventService, f audit.Filter, buckets int, now time.Time) (since, until time.Time, iv time.Duration, hist []audit.Bucket, err error) {
	since, until = f.Since, f.Until
	if until.IsZero() {
		until = now
	}
	if since.IsZero() {
		oldest, _, err := svc.FindEvents(ctx, f, audit.Page{Limit: 1, NoTotal: true, Sort: []audit.SortKey{{Field: audit.FieldTime}}})
		if err != nil {
			return since, until, 0, nil, err
		}
		if len(oldest) > 0 {
			since = oldest[0].Time
		}
	}
	if since.IsZero() || !until.After(since) {
		return since, until, 0, nil, nil
	}
	iv = niceInterval(until.Sub(since) / time.Duration(buckets))
	h, err := svc.Histogram(ctx, f, iv)
	if err != nil {
		return since, until, iv, nil, err
	}
	if hist, err = audit.FillBuckets(h, f.Since, f.Until, until, iv); err != nil {
		hist = h
	}
	return since, until, iv, hist, nil
}

func matchesStatus(vs []string, s audit.Status) bool {
	for _, v := range vs {
		if st, ok := audit.ParseStatus(v); ok && st == s {
			return true
		}
	}
	return false
}

func cloneValues(m map[audit.Field][]string) map[audit.Field][]string {
	out := make(map[audit.Field][]string, len(m))
	for k, v := range m {
		out[k] = append([]string(nil), v...)
	}
	return out
}

// niceInterval rounds d up to a round bucket width.
func niceInterval(d time.Duration) time.Duration {
	for _, n := range []time.Duration{time.Minute, 5 * time.Minute, 15 * time.Minute, 30 * time.Minute, time.Hour,
		2 * time.Hour, 3 * time.Hour, 6 * time.Hour, 12 * time.Hour, 24 * time.Hour, 7 * 24 * time.Hour} {
		if d <= n {
			return n
		}
	}
	return 30 * 24 * time.Hour
}

func (m *Model) gotOverview(msg overviewMsg) tea.Cmd {
	o := &m.ov
	if msg.gen != m.logs.gen || msg.gen != o.gen || msg.load != o.load || !o.loading {
		return nil
	}
	if msg.err != nil {
		o.loading = false
		if !errors.Is(msg.err, context.Canceled) {
			o.err = msg.err
		}
		return nil
	}
	msg.set(o)
	o.loading = o.have != allParts
	o.sel = min(o.sel, max(len(o.entries())-1, 0))
	return msg.next
}

// overviewTotal puts the logs view's total, counted for the footer, in
// the overview: the events of the same filter and window.
func (m *Model) overviewTotal() {
	if o := &m.ov; o.gen == m.logs.gen && o.loading && m.logs.total >= 0 {
		o.events, o.have = int64(m.logs.total), o.have|partEvents
		o.loading = o.have != allParts
	}
}

func (m *Model) overviewKey(key string) tea.Cmd {
	o := &m.ov
	es := o.entries()
	switch key {
	case "up", "k":
		o.onBar = false
		o.sel = max(o.sel-1, 0)
	case "down", "j":
		o.onBar = false
		o.sel = min(o.sel+1, len(es)-1)
	case "home", "g":
		o.onBar, o.sel = false, 0
	case "end", "G":
		o.onBar, o.sel = false, len(es)-1
	case "left", "h":
		m.selectBar(-1)
	case "right", "l":
		m.selectBar(1)
	case "backspace":
		return m.zoomOut()
	case "enter":
		if o.onBar {
			return m.narrowToBar()
		}
		if o.sel < len(es) {
			return m.openEntry(es[o.sel])
		}
	}
	return nil
}

// openEntry goes where an entry of the overview leads: the logs narrowed
// to it, the sessions (the active ones), the list of every actor.
func (m *Model) openEntry(e entry) tea.Cmd {
	switch {
	case e.list && m.ov.have&partActors == 0:
		m.setStatus("still counting the actors", false)
		return nil
	case e.list:
		m.openActors()
		return nil
	case e.view == viewSessions:
		return m.showActiveSessions()
	}
	m.view = viewLogs
	q := strings.TrimSpace(m.logs.query + " " + query.Format(e.add))
	if q == m.logs.query {
		return nil
	}
	return m.runQuery(q)
}

// selectBar moves the histogram's selection by d bars (the first press
// selects the newest).
func (m *Model) selectBar(d int) {
	o := &m.ov
	bars := o.shown(m.histWidth())
	if len(bars) == 0 {
		return
	}
	switch {
	case !o.onBar || o.bar < 0 || o.bar >= len(bars):
		o.bar = len(bars) - 1
	default:
		o.bar = min(max(o.bar+d, 0), len(bars)-1)
	}
	o.onBar = true
}

// barWindow is the time the selected bar covers, within the window.
func (o *overview) barWindow(width int) (since, until time.Time, n int64, ok bool) {
	bars := o.shown(width)
	if o.bar < 0 || o.bar >= len(bars) {
		return since, until, 0, false
	}
	b := bars[o.bar]
	since, until = b.Time, b.Time.Add(o.interval)
	if since.Before(o.since) {
		since = o.since
	}
	if until.After(o.until) {
		until = o.until
	}
	return since, until, b.Count, true
}

// narrowToBar narrows the query's window to the selected bar: the overview
// counts again over it; Backspace goes back.
func (m *Model) narrowToBar() tea.Cmd {
	since, until, _, ok := m.ov.barWindow(m.histWidth())
	if !ok {
		return nil
	}
	q := strings.TrimSpace(m.logs.query + " " + query.Format(audit.Filter{Since: since, Until: until}))
	if _, _, err := m.opt.Compile(q); err != nil {
		m.setStatus(errText(err), true)
		return nil
	}
	m.ov.zoom = append(m.ov.zoom, m.logs.query)
	return m.runQuery(q)
}

// zoomOut goes back to the query before the last bar chosen.
func (m *Model) zoomOut() tea.Cmd {
	z := m.ov.zoom
	if len(z) == 0 {
		m.setStatus("not narrowed to a bar: nothing to go back to", false)
		return nil
	}
	m.ov.zoom = z[:len(z)-1]
	return m.runQuery(z[len(z)-1])
}

// histWidth is the most bars the histogram shows.
func (m *Model) histWidth() int { return max(m.width-4, 1) }

// shown is the part of the histogram that fits in width columns: the
// newest bars.
func (o *overview) shown(width int) []audit.Bucket {
	if len(o.hist) > width {
		return o.hist[len(o.hist)-width:]
	}
	return o.hist
}

// openActors lists every actor of the window, largest first: Enter opens
// the logs narrowed to the chosen one.
func (m *Model) openActors() {
	items := make([]pickItem, len(m.ov.allActor))
	for i, b := range m.ov.allActor {
		var f audit.Filter
		f.Add(audit.FieldActor, b.Key)
		items[i] = pickItem{label: b.Key, n: b.Count, add: f}
	}
	m.openOverlay(&pickList{title: fmt.Sprintf("Actors in the window (%d)", len(items)), items: items})
}

// ovLayout is the overview drawn in h lines, and where its ways in are:
// rows[i] are the entries on body line i, left and right of the middle
// column (-1 for none); the histogram's bars are on lines
// histTop..histTop+histRows-1, bar j at column histX+j.
type ovLayout struct {
	lines             []string
	rows              [][2]int
	histTop, histRows int
}

const histX = 3 // the histogram's first column

// overviewLines draws the overview in h lines.
func (m *Model) overviewLines(h int) []string { return m.overviewLayout(h).lines }

func (m *Model) overviewLayout(h int) ovLayout {
	o := &m.ov
	var l ovLayout
	add2 := func(left, right int, text string) {
		l.lines = append(l.lines, text)
		l.rows = append(l.rows, [2]int{left, right})
	}
	add := func(entryIdx int, text string) { add2(entryIdx, entryIdx, text) }
	switch {
	case o.err != nil:
		add(-1, "  "+m.st.err.Render(errText(o.err)))
		return l
	}
	es := o.entries()
	isSel := func(i int) bool { return i == o.sel && !o.onBar }
	// the counts, two a line when the width allows
	cell := func(i int, w int) string {
		e := es[i]
		text := fmt.Sprintf("   %-17s %d", e.label, e.n)
		if o.have&e.part == 0 {
			text = fmt.Sprintf("   %-17s …", e.label)
		}
		text = pad(text, w)
		if isSel(i) {
			return m.st.selected.Render(text)
		}
		return text
	}
	nCounts := min(len(es), 4)
	if o.active < 0 && o.have&partCounts != 0 {
		nCounts = 3
	}
	add(-1, m.st.title.Render(" In the window"))
	if m.width >= 64 {
		half := m.width / 2
		for i := 0; i < nCounts; i += 2 {
			line, right := cell(i, half), -1
			if i+1 < nCounts {
				line += cell(i+1, m.width-half)
				right = i + 1
			}
			add2(i, right, line)
		}
	} else {
		for i := 0; i < nCounts; i++ {
			add(i, cell(i, m.width))
		}
	}
	// the top actions and actors, side by side when the width allows
	tops := [2][]audit.Bucket{o.actions, o.topActor}
	titles := [2]string{" Top actions", " Top actors"}
	first := [2]int{nCounts, nCounts + len(o.actions)}
	topLines := 1 + max(len(o.actions), len(o.topActor))
	sideBySide := m.width >= 64
	if !sideBySide {
		topLines = 2 + len(o.actions) + len(o.topActor) + 1
	}
	// the events over time: two rows of bars at least, more as the height
	// allows
	if o.have&partHist == 0 {
		add(-1, "")
		add(-1, m.st.title.Render(" Events over time")+m.st.dim.Render("  counting…"))
	}
	if len(o.hist) > 0 {
		maxRows := 3
		if h >= 30 {
			maxRows = 8
		}
		// a blank line and a title above, the caption under, a blank
		// line before the tops
		if rows := min(h-len(l.lines)-topLines-4, maxRows); rows >= 1 {
			add(-1, "")
			title := fmt.Sprintf(" Events per %s", fmtInterval(o.interval))
			hint := "  ← → choose a bar, enter narrows the window to it"
			if len(o.zoom) > 0 {
				hint += ", backspace goes back"
			}
			add(-1, m.st.title.Render(title)+m.st.dim.Render(hint))
			l.histTop, l.histRows = len(l.lines), rows
			for _, line := range m.histLines(rows) {
				add(-1, line)
			}
			add(-1, m.histCaption())
		}
	}
	add(-1, "")
	for k, p := range [2]int{partActions, partActors} {
		if o.have&p == 0 {
			titles[k] += m.st.dim.Render("  counting…")
		}
	}
	if sideBySide {
		half := m.width / 2
		add(-1, pad(m.st.title.Render(titles[0]), half)+m.st.title.Render(titles[1]))
		for r := 0; r < max(len(o.actions), len(o.topActor)); r++ {
			left, right := strings.Repeat(" ", half), ""
			li, ri := -1, -1
			if r < len(o.actions) {
				left, li = m.topCell(first[0]+r, tops[0][r], half), first[0]+r
			}
			if r < len(o.topActor) {
				right, ri = m.topCell(first[1]+r, tops[1][r], m.width-half), first[1]+r
			}
			add2(li, ri, left+right)
		}
	} else {
		for k := 0; k < 2; k++ {
			add(-1, m.st.title.Render(titles[k]))
			for r, b := range tops[k] {
				add(first[k]+r, m.topCell(first[k]+r, b, m.width))
			}
			if k == 0 {
				add(-1, "")
			}
		}
	}
	return l
}

// topCell is one of the top actions or actors, w columns wide.
func (m *Model) topCell(i int, b audit.Bucket, w int) string {
	text := pad(fmt.Sprintf("   %8d  %s", b.Count, sanitize.String(b.Key)), w)
	if i == m.ov.sel && !m.ov.onBar {
		return m.st.selected.Render(text)
	}
	return text
}

// histLines draws the histogram in rows lines of block characters, one
// bar a column (the newest that fit), the selected bar in reverse video.
func (m *Model) histLines(rows int) []string {
	o := &m.ov
	bars := o.shown(m.histWidth())
	var top int64
	for _, b := range bars {
		top = max(top, b.Count)
	}
	levels := []rune(" ▁▂▃▄▅▆▇█")
	out := make([]string, rows)
	for r := 0; r < rows; r++ {
		var sb strings.Builder
		sb.WriteString(strings.Repeat(" ", histX))
		floor := (rows - 1 - r) * 8 // eighths below this row
		for j, b := range bars {
			n := 0
			if top > 0 {
				n = int((b.Count*int64(rows*8) + top - 1) / top)
			}
			ch := string(levels[min(max(n-floor, 0), 8)])
			switch {
			case o.onBar && j == o.bar:
				if ch == " " {
					ch = "▏"
				}
				ch = m.st.selected.Render(ch)
			case m.opt.Color:
				ch = m.st.bar.Render(ch)
			}
			sb.WriteString(ch)
		}
		out[r] = sb.String()
	}
	return out
}

// histCaption says what the histogram spans, or what the selected bar
// holds.
func (m *Model) histCaption() string {
	o := &m.ov
	opt := m.tableOpts()
	if since, until, n, ok := o.barWindow(m.histWidth()); ok && o.onBar {
		return fmt.Sprintf("   %s – %s: %d events", opt.Time(since), opt.Time(until), n)
	}
	bars := o.shown(m.histWidth())
	var top int64
	for _, b := range bars {
		top = max(top, b.Count)
	}
	return fmt.Sprintf("   %s … %s (max %d)", opt.Time(bars[0].Time), opt.Time(bars[len(bars)-1].Time), top)
}

func fmtInterval(d time.Duration) string {
	switch {
	case d >= 24*time.Hour && d%(24*time.Hour) == 0:
		return fmt.Sprintf("%dd", d/(24*time.Hour))
	case d >= time.Hour && d%time.Hour == 0:
		return fmt.Sprintf("%dh", d/time.Hour)
	}
	return fmt.Sprintf("%dm", d/time.Minute)
}
