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

// topN is how many actions and actors the overview lists.
const topN = 5

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
	hist     []audit.Bucket
	interval time.Duration
	sel      int // the selected entry (entries)
}

type overviewMsg struct {
	gen int
	ov  overview
	err error
}

// entry is one way in from the overview: what it says and where Enter
// goes.
type entry struct {
	label string
	n     int64
	add   audit.Filter // ANDed to the query; nothing added: the query itself
	view  viewID
}

func (o *overview) entries() []entry {
	var out []entry
	out = append(out, entry{label: "events", n: o.events, view: viewLogs})
	var fail audit.Filter
	fail.Add(audit.FieldStatus, string(audit.StatusFailure))
	out = append(out, entry{label: "failures", n: o.failures, add: fail, view: viewLogs})
	if o.active >= 0 {
		out = append(out, entry{label: "active sessions", n: int64(o.active), view: viewSessions})
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

// loadOverview counts the current query in a command, under the query's
// context: a newer query cancels it.
func (m *Model) loadOverview() tea.Cmd {
	v := &m.logs
	if m.ov.gen == v.gen && (m.ov.loading || m.ov.err == nil && !m.ov.zero()) {
		return nil
	}
	m.ov.gen, m.ov.loading = v.gen, true
	gen, ctx, f, svc, ss := v.gen, v.ctx, v.filter, m.opt.Events, m.opt.Sessions
	if ctx == nil {
		return nil
	}
	buckets, now := max(m.width-4, 10), m.now()
	return func() tea.Msg {
		ov, err := countOverview(ctx, svc, ss, f, buckets, now)
		return overviewMsg{gen: gen, ov: ov, err: err}
	}
}

func (o *overview) zero() bool { return o.events == 0 && o.actions == nil && o.hist == nil }

func countOverview(ctx context.Context, svc audit.EventService, ss SessionFinder, f audit.Filter, buckets int, now time.Time) (overview, error) {
	ov := overview{active: -1}
	var err error
	if ov.events, err = svc.CountEvents(ctx, f); err != nil {
		return ov, err
	}
	if vs, has := f.Include[audit.FieldStatus]; !has || matchesStatus(vs, audit.StatusFailure) {
		ff := f
		ff.Include = cloneValues(f.Include)
		ff.Include[audit.FieldStatus] = []string{string(audit.StatusFailure)}
		if ov.failures, err = svc.CountEvents(ctx, ff); err != nil {
			return ov, err
		}
	}
	actors, err := svc.CountBy(ctx, f, audit.FieldActor, 0)
	if err != nil {
		return ov, err
	}
	ov.actors = len(actors)
	ov.topActor = actors[:min(topN, len(actors))]
	if ov.actions, err = svc.CountBy(ctx, f, audit.FieldAction, topN); err != nil {
		return ov, err
	}
	if ss != nil {
		_, n, err := ss.FindSessions(ctx, session.Filter{Status: []session.Status{session.StatusActive}}, session.Page{Limit: 1})
		if err != nil {
			return ov, err
		}
		ov.active = n
	}
	// the histogram: about one bar per column over the window
	since, until := f.Since, f.Until
	if until.IsZero() {
		until = now
	}
	if since.IsZero() && len(actors) > 0 {
		oldest, _, err := svc.FindEvents(ctx, f, audit.Page{Limit: 1, NoTotal: true, Sort: []audit.SortKey{{Field: audit.FieldTime}}})
		if err != nil {
			return ov, err
		}
		if len(oldest) > 0 {
			since = oldest[0].Time
		}
	}
	if !since.IsZero() && until.After(since) {
		ov.interval = niceInterval(until.Sub(since) / time.Duration(buckets))
		h, err := svc.Histogram(ctx, f, ov.interval)
		if err != nil {
			return ov, err
		}
		if ov.hist, err = audit.FillBuckets(h, f.Since, f.Until, until, ov.interval); err != nil {
			ov.hist = h
		}
	}
	return ov, nil
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
		3 * time.Hour, 6 * time.Hour, 12 * time.Hour, 24 * time.Hour, 7 * 24 * time.Hour} {
		if d <= n {
			return n
		}
	}
	return 30 * 24 * time.Hour
}

func (m *Model) gotOverview(msg overviewMsg) {
	if msg.gen != m.logs.gen {
		return
	}
	sel := m.ov.sel
	if msg.err != nil {
		m.ov.loading = false
		if !errors.Is(msg.err, context.Canceled) {
			m.ov.err = msg.err
		}
		return
	}
	m.ov = msg.ov
	m.ov.gen = msg.gen
	m.ov.sel = min(sel, max(len(m.ov.entries())-1, 0))
}

func (m *Model) overviewKey(key string) tea.Cmd {
	es := m.ov.entries()
	switch key {
	case "up", "k":
		m.ov.sel = max(m.ov.sel-1, 0)
	case "down", "j":
		m.ov.sel = min(m.ov.sel+1, len(es)-1)
	case "home", "g":
		m.ov.sel = 0
	case "end", "G":
		m.ov.sel = len(es) - 1
	case "enter":
		if m.ov.loading || m.ov.sel >= len(es) {
			return nil
		}
		e := es[m.ov.sel]
		if e.view == viewSessions {
			return m.switchTo(viewSessions)
		}
		m.view = viewLogs
		q := strings.TrimSpace(m.logs.query + " " + query.Format(e.add))
		if q == m.logs.query {
			return nil
		}
		return m.runQuery(q)
	}
	return nil
}

// overviewLines draws the overview in h lines.
func (m *Model) overviewLines(h int) []string {
	o := &m.ov
	switch {
	case o.loading && o.zero():
		return []string{m.st.dim.Render("  counting…")}
	case o.err != nil:
		return []string{"  " + m.st.err.Render(errText(o.err))}
	}
	var out []string
	line := func(i int, text string) string {
		if i == o.sel {
			return m.st.selected.Render(pad(text, m.width))
		}
		return text
	}
	i := 0
	out = append(out, m.st.title.Render(" In the window"))
	out = append(out, line(i, fmt.Sprintf("   %-18s %d", "events", o.events)))
	i++
	out = append(out, line(i, fmt.Sprintf("   %-18s %d", "failures", o.failures)))
	i++
	out = append(out, fmt.Sprintf("   %-18s %d", "distinct actors", o.actors))
	if o.active >= 0 {
		out = append(out, line(i, fmt.Sprintf("   %-18s %d", "active sessions", o.active)))
		i++
	}
	// the events over time
	if len(o.hist) > 0 && h-len(out) > len(o.actions)+len(o.topActor)+8 {
		out = append(out, "", m.st.title.Render(fmt.Sprintf(" Events per %s", fmtInterval(o.interval))))
		out = append(out, sparkline(o.hist, m.width-4)...)
	}
	out = append(out, "", m.st.title.Render(" Top actions"))
	for _, b := range o.actions {
		out = append(out, line(i, fmt.Sprintf("   %8d  %s", b.Count, sanitize.String(b.Key))))
		i++
	}
	out = append(out, "", m.st.title.Render(" Top actors"))
	for _, b := range o.topActor {
		out = append(out, line(i, fmt.Sprintf("   %8d  %s", b.Count, sanitize.String(b.Key))))
		i++
	}
	return out
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

// sparkline draws the histogram in two rows of block characters, at most
// width buckets (the last ones).
func sparkline(hist []audit.Bucket, width int) []string {
	if len(hist) > width {
		hist = hist[len(hist)-width:]
	}
	var top int64
	for _, b := range hist {
		top = max(top, b.Count)
	}
	const blocks = " ▁▂▃▄▅▆▇█"
	levels := []rune(blocks)
	var hi, lo strings.Builder
	for _, b := range hist {
		n := 0
		if top > 0 {
			n = int((b.Count*16 + top - 1) / top) // 0..16 eighths over two rows
		}
		lo.WriteRune(levels[min(n, 8)])
		hi.WriteRune(levels[max(n-8, 0)])
	}
	out := []string{"   " + hi.String(), "   " + lo.String()}
	if len(hist) > 0 {
		first, last := hist[0].Time, hist[len(hist)-1].Time
		out = append(out, fmt.Sprintf("   %s … %s (max %d)", first.UTC().Format("2006-01-02 15:04"), last.UTC().Format("2006-01-02 15:04"), top))
	}
	return out
}
