package policy

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/query"
	"github.com/auditctl/auditctl/pkg/report"
	"github.com/auditctl/auditctl/pkg/session"
)

// Evaluator evaluates policies over a window of events and sessions.
//
// Every rule's filter is pushed down to the event service (SQL on the
// cache, the API's search on a remote): conditions that need only counts
// (none, max, require, and the groups of a threshold) are answered by
// counts, and events are read (streamed, in time order, never all held)
// only where a violation must list them or a condition needs their times.
// Counts of the same filter are shared between rules.
type Evaluator struct {
	Events audit.EventService
	// Sessions is the session store; nil when there is none (a remote
	// API without a cache): sessions and queries rules are then reported
	// as errors, NoSessions (when set) saying why.
	Sessions   session.Store
	NoSessions error
	Now        time.Time
	// Since and Until bound the window (Until zero: Now).
	Since, Until time.Time
	// MaxEvents is how many offending events a violation lists
	// (report.MaxEvents when 0).
	MaxEvents int
	// AllowEmpty lets a window without any data pass instead of failing
	// with audit.ENODATA.
	AllowEmpty bool
	// MaxSequenceEvents bounds the events a sequence rule holds (default
	// 2,000,000): beyond it the rule is reported as an error.
	MaxSequenceEvents int

	counts map[string]int64
	// briefs are the matches gathered by prefetch (MultiScanner), by
	// briefKey.
	briefs map[string][]*audit.Brief
}

// Run evaluates every rule of p. It returns an error (and no report) when
// the window holds no data (audit.ENODATA, unless AllowEmpty) or the store
// fails (the store's code: exit 4 or 5).
func (ev *Evaluator) Run(ctx context.Context, p *Policy) (*report.Report, error) {
	if ev.MaxEvents <= 0 {
		ev.MaxEvents = report.MaxEvents
	}
	if ev.MaxSequenceEvents <= 0 {
		ev.MaxSequenceEvents = 2_000_000
	}
	if ev.Until.IsZero() {
		ev.Until = ev.Now
	}
	ev.counts = map[string]int64{}
	ev.briefs = map[string][]*audit.Brief{}
	r := &report.Report{Tool: "auditctl check", Since: ev.Since, Until: ev.Until}
	if err := ev.prefetch(ctx, p); err != nil {
		return nil, err
	}
	if err := ev.checkData(ctx, p); err != nil {
		return nil, err
	}
	for _, rule := range p.Rules {
		if !ev.Since.Before(ev.Until) { // an empty window, allowed (AllowEmpty)
			r.Rules = append(r.Rules, report.Result{ID: rule.ID, Title: rule.Title, Severity: rule.Severity, Description: rule.Description,
				File: rule.File, Line: rule.Line, Skipped: "the window is empty"})
			continue
		}
		res, err := ev.rule(ctx, rule)
		var missing *noSessionsError
		switch {
		case errors.As(err, &missing):
			res.Error, res.ErrorCode = err.Error(), audit.ErrorCode(err)
		case err != nil:
			if c := audit.ErrorCode(err); c == audit.EREMOTE || c == audit.ELOCAL || c == audit.EINTERNAL || ctx.Err() != nil {
				return nil, err
			}
			res.Error = err.Error()
		}
		r.Rules = append(r.Rules, res)
	}
	return r, nil
}

// window is the filter of the whole window.
func (ev *Evaluator) window() audit.Filter {
	return audit.Filter{Since: ev.Since, Until: ev.Until}
}

// checkData is the gate rule of `logs count --fail-if`: a window without
// any event (for events rules) or any session (for sessions rules) cannot
// pass.
func (ev *Evaluator) checkData(ctx context.Context, p *Policy) error {
	if ev.AllowEmpty {
		return nil
	}
	var events, sessions bool
	for _, r := range p.Rules {
		events = events || r.Events
		sessions = sessions || r.Sessions != nil || r.Queries != nil
	}
	span := fmt.Sprintf("%s .. %s", audit.FormatTime(ev.Since), audit.FormatTime(ev.Until))
	if !ev.Since.Before(ev.Until) {
		return audit.Errorf(audit.ENODATA, "no data: the window (%s) is empty, so the policy cannot pass; pass --allow-empty to accept an empty window", span)
	}
	if events {
		// Any event will do: one row, not a count of the window.
		evs, _, err := ev.Events.FindEvents(ctx, ev.window(), audit.Page{Limit: 1, NoTotal: true})
		if err != nil {
			return err
		}
		if len(evs) == 0 {
			return audit.Errorf(audit.ENODATA, "no data: the window (%s) holds no events at all, so the policy cannot pass; check --since, --until and the cache (--db, sync, import), or pass --allow-empty to accept an empty window", span)
		}
	}
	if sessions && ev.Sessions != nil {
		_, n, err := ev.Sessions.FindSessions(ctx, session.Filter{Since: ev.Since, Until: ev.Until}, session.Page{Limit: 1})
		if err != nil {
			return err
		}
		if n == 0 {
			return audit.Errorf(audit.ENODATA, "no data: the window (%s) holds no sessions at all, so the policy's sessions and queries rules cannot pass; check --since and the cache, or pass --allow-empty", span)
		}
	}
	return nil
}

// prefetch counts, in one call when the service counts many filters at
// once (the cache: one read transaction, one shared pass for the filters
// no index answers), every filter the rules will only count: the filters
// of none and max rules without excuses, the periods of require rules.
// Where the service also gathers Briefs (MultiScanner), the matches of
// thresholds and of the steps of sequences (key, time and group) come
// from the same call, and so from the same pass.
func (ev *Evaluator) prefetch(ctx context.Context, p *Policy) error {
	if !ev.Since.Before(ev.Until) {
		return nil
	}
	fs := ev.countFilters(p)
	if ms, ok := ev.Events.(audit.MultiScanner); ok {
		bqs := ev.briefQueries(p)
		if len(fs) == 0 && len(bqs) == 0 {
			return nil
		}
		counts, briefs, err := ms.ScanMany(ctx, fs, bqs)
		if err != nil {
			return err
		}
		for i, f := range fs {
			ev.counts[f.String()] = counts[i]
		}
		for i, bq := range bqs {
			ev.briefs[briefKey(bq.Filter, bq.Fields)] = briefs[i]
		}
		return nil
	}
	mc, ok := ev.Events.(audit.MultiCounter)
	if !ok || len(fs) == 0 {
		return nil
	}
	counts, err := mc.CountMany(ctx, fs)
	if err != nil {
		return err
	}
	for i, f := range fs {
		ev.counts[f.String()] = counts[i]
	}
	return nil
}

// briefKey names a stream of matches: the filter and the group fields.
func briefKey(f audit.Filter, groupBy []audit.Field) string {
	return fmt.Sprint(f.String(), "\x00", groupBy)
}

// briefQueries are the streams of p's thresholds and sequences, each once.
func (ev *Evaluator) briefQueries(p *Policy) []audit.BriefQuery {
	var out []audit.BriefQuery
	seen := map[string]bool{}
	add := func(f audit.Filter, groupBy []audit.Field) {
		if k := briefKey(f, groupBy); !seen[k] {
			seen[k] = true
			out = append(out, audit.BriefQuery{Filter: f, Fields: groupBy})
		}
	}
	for _, r := range p.Rules {
		if !r.Events {
			continue
		}
		f, err := ev.filter(r.Query, ev.window())
		if err != nil {
			continue // the rule reports it
		}
		switch r.Condition.Kind {
		case KindThreshold:
			add(f, r.Condition.GroupBy)
		case KindSequence:
			for _, s := range r.Condition.Steps {
				if sf, err := ev.filter(s.Query, f); err == nil {
					add(sf, r.Condition.GroupBy)
				}
			}
		}
	}
	return out
}

// gathered returns the prefetched matches of f grouped by groupBy.
func (ev *Evaluator) gathered(f audit.Filter, groupBy []audit.Field) ([]*audit.Brief, bool) {
	bs, ok := ev.briefs[briefKey(f, groupBy)]
	return bs, ok
}

// countFilters are the filters of p that are only counted, each once.
func (ev *Evaluator) countFilters(p *Policy) []audit.Filter {
	var fs []audit.Filter
	seen := map[string]bool{}
	add := func(f audit.Filter) {
		if k := f.String(); !seen[k] {
			seen[k] = true
			fs = append(fs, f)
		}
	}
	for _, r := range p.Rules {
		if !r.Events {
			continue
		}
		f, err := ev.filter(r.Query, ev.window())
		if err != nil {
			continue // the rule reports it
		}
		switch r.Condition.Kind {
		case KindNone, KindMax:
			if len(r.Exceptions) == 0 && len(r.Schedule) == 0 {
				add(f)
			}
		case KindRequire:
			for _, per := range ev.periods(r.Condition.Every) {
				g := f
				g.Merge(audit.Filter{Since: per.since, Until: per.until})
				add(g)
			}
		}
	}
	return fs
}

// period is a span of a require rule.
type period struct{ since, until time.Time }

// periods splits the window into periods of every, ending at its end (the
// whole window when every is 0); a shorter first period is left out. At
// most 10001 are returned (the caller refuses more).
func (ev *Evaluator) periods(every time.Duration) []period {
	if every == 0 {
		return []period{{ev.Since, ev.Until}}
	}
	var ps []period
	for end := ev.Until; !end.Add(-every).Before(ev.Since) && len(ps) <= 10000; end = end.Add(-every) {
		ps = append(ps, period{end.Add(-every), end})
	}
	slices.Reverse(ps)
	return ps
}

// count counts f, once per distinct filter.
func (ev *Evaluator) count(ctx context.Context, f audit.Filter) (int64, error) {
	key := f.String()
	if n, ok := ev.counts[key]; ok {
		return n, nil
	}
	n, err := ev.Events.CountEvents(ctx, f)
	if err != nil {
		return 0, err
	}
	ev.counts[key] = n
	return n, nil
}

// filter compiles a query ANDed with base.
func (ev *Evaluator) filter(q string, base audit.Filter) (audit.Filter, error) {
	f, err := query.Parse(q, ev.Now)
	if err != nil {
		return f, err
	}
	f.Merge(base)
	return f, f.Validate()
}

func (ev *Evaluator) rule(ctx context.Context, r *Rule) (report.Result, error) {
	res := report.Result{ID: r.ID, Title: r.Title, Severity: r.Severity, Description: r.Description, File: r.File, Line: r.Line}
	if r.Sessions != nil {
		err := ev.sessions(ctx, r, &res)
		return res, err
	}
	if r.Queries != nil {
		err := ev.queries(ctx, r, &res)
		return res, err
	}
	f, err := ev.filter(r.Query, ev.window())
	if err != nil {
		return res, err
	}
	ex, err := ev.excuses(ctx, r, f, &res)
	if err != nil {
		return res, err
	}
	switch r.Condition.Kind {
	case KindNone, KindMax:
		err = ev.matches(ctx, r, f, ex, &res)
	case KindThreshold:
		err = ev.threshold(ctx, r, f, ex, &res)
	case KindRequire:
		err = ev.require(ctx, r, &res, func(since, until time.Time) (int64, error) {
			g := f
			g.Merge(audit.Filter{Since: since, Until: until})
			return ev.count(ctx, g)
		})
	case KindSequence:
		err = ev.sequence(ctx, r, f, ex, &res)
	}
	return res, err
}

// item is a match as a condition sees it: its time and group, and how
// to get the whole event (ev when it was streamed whole, else key).
type item struct {
	time       time.Time
	group      string
	id, source string
	key        int64
	ev         *audit.Event
}

func (it item) ref() string { return it.source + "\x00" + it.id }

// each streams the matches of f, oldest first, with their group: as
// Briefs where the service has them (the cache: no documents read), else
// as whole events.
func (ev *Evaluator) each(ctx context.Context, f audit.Filter, groupBy []audit.Field, fn func(item) error) error {
	if bs, ok := ev.gathered(f, groupBy); ok {
		for _, b := range bs {
			if err := fn(item{time: b.Time, group: joinGroup(groupBy, b.Values), id: b.ID, source: b.Source, key: b.Key}); err != nil {
				return err
			}
		}
		return nil
	}
	if bs, ok := ev.Events.(audit.BriefStreamer); ok {
		return bs.EachBrief(ctx, f, groupBy, func(b *audit.Brief) error {
			return fn(item{time: b.Time, group: joinGroup(groupBy, b.Values), id: b.ID, source: b.Source, key: b.Key})
		})
	}
	return ev.Events.EachEvent(ctx, f, audit.Page{Sort: oldestFirst, NoTotal: true}, func(e *audit.Event) error {
		vals := make([]string, len(groupBy))
		for i, g := range groupBy {
			vals[i] = e.Value(string(g))
		}
		return fn(item{time: e.Time, group: joinGroup(groupBy, vals), id: e.ID, source: e.Source, ev: e})
	})
}

// pending is a violation whose events are still items.
type pending struct {
	v     report.Violation
	items []item
}

// resolve turns the items of the violations into whole events (one read
// by key for those streamed as Briefs) and adds the violations to res.
func (ev *Evaluator) resolve(ctx context.Context, ps []pending, res *report.Result) error {
	var keys []int64
	for _, p := range ps {
		for _, it := range p.items {
			if it.ev == nil {
				keys = append(keys, it.key)
			}
		}
	}
	byRef := map[string]*audit.Event{}
	if len(keys) > 0 {
		bs := ev.Events.(audit.BriefStreamer)
		evs, err := bs.EventsByKey(ctx, keys)
		if err != nil {
			return err
		}
		for _, e := range evs {
			byRef[e.Source+"\x00"+e.ID] = e
		}
	}
	for _, p := range ps {
		for _, it := range p.items {
			e := it.ev
			if e == nil {
				e = byRef[it.ref()]
			}
			if e != nil {
				p.v.Events = append(p.v.Events, e)
			}
		}
		res.Violations = append(res.Violations, p.v)
	}
	return nil
}

// excuser says whether a match is excused (an exception or a schedule
// window); nil when the rule has neither.
type excuser func(it item) bool

// excuses gathers the events the rule's live exceptions excuse (each
// exception's query ANDed with the rule's filter, pushed down) and notes
// the expired ones.
func (ev *Evaluator) excuses(ctx context.Context, r *Rule, f audit.Filter, res *report.Result) (excuser, error) {
	if len(r.Exceptions) == 0 && len(r.Schedule) == 0 {
		return nil, nil
	}
	excused := map[string]bool{}
	for _, x := range r.Exceptions {
		if !x.Until.IsZero() && !ev.Now.Before(x.Until) {
			res.Notes = append(res.Notes, fmt.Sprintf("exception at %s:%d (%s) expired at %s: ignored", r.File, x.Line, x.Reason, audit.FormatTime(x.Until)))
			continue
		}
		xf, err := ev.filter(x.Query, f)
		if err != nil {
			return nil, err
		}
		err = ev.each(ctx, xf, nil, func(it item) error {
			excused[it.ref()] = true
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return func(it item) bool {
		if excused[it.ref()] {
			return true
		}
		for _, w := range r.Schedule {
			if w.Contains(it.time) {
				return true
			}
		}
		return false
	}, nil
}

var oldestFirst = []audit.SortKey{{Field: audit.FieldTime}}

// matches evaluates none and max: by counts when nothing is excused,
// else by streaming the matches.
func (ev *Evaluator) matches(ctx context.Context, r *Rule, f audit.Filter, ex excuser, res *report.Result) error {
	allowed := int64(0)
	if r.Condition.Kind == KindMax {
		allowed = r.Condition.N
	}
	v := report.Violation{}
	if ex == nil {
		n, err := ev.count(ctx, f)
		if err != nil || n <= allowed {
			return err
		}
		first, _, err := ev.Events.FindEvents(ctx, f, audit.Page{Limit: ev.MaxEvents, Sort: oldestFirst, NoTotal: true})
		if err != nil {
			return err
		}
		last, _, err := ev.Events.FindEvents(ctx, f, audit.Page{Limit: 1, NoTotal: true})
		if err != nil {
			return err
		}
		v.Count, v.Events = n, first
		if len(first) > 0 && len(last) > 0 {
			v.First, v.Last = first[0].Time, last[0].Time
		}
	} else {
		var items []item
		err := ev.each(ctx, f, nil, func(it item) error {
			if ex(it) {
				return nil
			}
			if v.Count == 0 {
				v.First = it.time
			}
			v.Last = it.time
			v.Count++
			if len(items) < ev.MaxEvents {
				items = append(items, it)
			}
			return nil
		})
		if err != nil || v.Count <= allowed {
			return err
		}
		v.Message = countMessage(r, v.Count, allowed, "event", "events")
		return ev.resolve(ctx, []pending{{v, items}}, res)
	}
	v.Message = countMessage(r, v.Count, allowed, "event", "events")
	res.Violations = append(res.Violations, v)
	return nil
}

// countMessage words the violation of a none or max rule: n matches (of
// what one and many name), allowed of them allowed.
func countMessage(r *Rule, n, allowed int64, one, many string) string {
	var msg string
	if r.Condition.Kind == KindMax {
		msg = fmt.Sprintf("%d matching %s, more than the %d allowed", n, many, allowed)
	} else {
		msg = fmt.Sprintf("%d matching %s (none allowed)", n, plural(n, one, many))
	}
	if len(r.Schedule) > 0 {
		msg += " outside the allowed windows (" + windows(r.Schedule) + ")"
	}
	return msg
}

func windows(ws []Window) string {
	var s []string
	for _, w := range ws {
		s = append(s, w.String())
	}
	return strings.Join(s, "; ")
}

func plural(n int64, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// joinGroup names a group: "actor=alice@example.com ip=10.0.0.1".
func joinGroup(fields []audit.Field, values []string) string {
	parts := make([]string, len(fields))
	for i, f := range fields {
		parts[i] = string(f) + "=" + values[i]
	}
	return strings.Join(parts, " ")
}

// candidateGroups, for a single group_by field, asks the store which
// groups have more than n matches in the whole window: only they can hold
// a burst (or every step of a sequence); excused matches only lower the
// counts. ok is false when the prefilter does not apply.
const maxCandidates = 500

func (ev *Evaluator) candidateGroups(ctx context.Context, f audit.Filter, field audit.Field, n int64) (keys []string, ok bool, err error) {
	var buckets []audit.Bucket
	if bs, ok := ev.Events.(audit.BriefStreamer); ok {
		buckets, err = bs.CountGroups(ctx, f, field)
	} else {
		buckets, err = ev.Events.CountBy(ctx, f, field, 0)
	}
	if err != nil {
		return nil, false, err
	}
	for _, b := range buckets {
		if b.Count > n {
			if strings.ContainsAny(b.Key, "*,") || b.Key == "" || field == audit.FieldIP && strings.Contains(b.Key, "/") {
				return nil, false, nil // not expressible as an exact value
			}
			keys = append(keys, b.Key)
		}
	}
	if len(keys) > maxCandidates {
		return nil, false, nil
	}
	return keys, true, nil
}

// threshold finds, per group, the bursts of more than N matches within a
// sliding window. Groups with N or fewer matches in the whole window are
// ruled out by one grouped count first; only the candidates' events are
// read, in time order, keeping for each group just the events of the
// current window.
func (ev *Evaluator) threshold(ctx context.Context, r *Rule, f audit.Filter, ex excuser, res *report.Result) error {
	c := r.Condition
	if _, gathered := ev.gathered(f, c.GroupBy); len(c.GroupBy) == 1 && !gathered {
		// (gathered: the matches are in memory already, and the groups
		// that cannot burst cost only their items)
		keys, ok, err := ev.candidateGroups(ctx, f, c.GroupBy[0], c.N)
		if err != nil {
			return err
		}
		if ok && len(keys) == 0 {
			return nil
		}
		if ok {
			g := audit.Filter{}
			g.Add(c.GroupBy[0], keys...)
			f.Merge(g)
		}
	}
	type burst struct {
		p       pending
		lastSeq int
	}
	type group struct {
		win  []item
		seqs []int
		seq  int
		b    *burst
	}
	groups := map[string]*group{}
	var order []string
	var out []pending
	emit := func(key string, b *burst) {
		v := &b.p.v
		v.Group = key
		v.Message = fmt.Sprintf("%s: %d matching events within %s (more than %d), %s .. %s", key, v.Count, fmtDuration(c.Window), c.N, audit.FormatTime(v.First), audit.FormatTime(v.Last))
		out = append(out, b.p)
	}
	err := ev.each(ctx, f, c.GroupBy, func(it item) error {
		if ex != nil && ex(it) {
			return nil
		}
		g := groups[it.group]
		if g == nil {
			g = &group{}
			groups[it.group] = g
			order = append(order, it.group)
		}
		g.seq++
		g.win = append(g.win, it)
		g.seqs = append(g.seqs, g.seq)
		drop := 0
		for drop < len(g.win) && it.time.Sub(g.win[drop].time) > c.Window {
			drop++
		}
		if drop > 0 {
			g.win = append(g.win[:0], g.win[drop:]...)
			g.seqs = append(g.seqs[:0], g.seqs[drop:]...)
		}
		if int64(len(g.win)) <= c.N {
			return nil
		}
		if g.b != nil && g.win[0].time.After(g.b.p.v.Last) {
			emit(it.group, g.b) // the window no longer overlaps the burst: it ended
			g.b = nil
		}
		if g.b == nil {
			g.b = &burst{p: pending{v: report.Violation{First: g.win[0].time}}}
		}
		for i, w := range g.win {
			if g.seqs[i] <= g.b.lastSeq {
				continue
			}
			g.b.p.v.Count++
			g.b.p.v.Last = w.time
			if len(g.b.p.items) < ev.MaxEvents {
				g.b.p.items = append(g.b.p.items, w)
			}
			g.b.lastSeq = g.seqs[i]
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, key := range order {
		if b := groups[key].b; b != nil {
			emit(key, b)
		}
	}
	slices.SortStableFunc(out, func(a, b pending) int { return a.v.First.Compare(b.v.First) })
	return ev.resolve(ctx, out, res)
}

// fmtDuration writes d as a person would: 10m, 1h, 1h30m, 24h, 90s.
func fmtDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// require checks that each period (of Every, ending at the window's end;
// the whole window when Every is 0) holds at least N matches.
func (ev *Evaluator) require(ctx context.Context, r *Rule, res *report.Result, count func(since, until time.Time) (int64, error)) error {
	c := r.Condition
	if ev.Since.IsZero() {
		return audit.Errorf(audit.EUSAGE, "require needs a window with a start (--since)")
	}
	periods := ev.periods(c.Every)
	if len(periods) > 10000 {
		return audit.Errorf(audit.EUSAGE, "every %s over the window %s .. %s makes more than 10000 periods: use a longer period or a shorter --since", fmtDuration(c.Every), audit.FormatTime(ev.Since), audit.FormatTime(ev.Until))
	}
	if c.Every > 0 {
		if len(periods) == 0 {
			res.Notes = append(res.Notes, fmt.Sprintf("the window is shorter than every %s: nothing to check (widen --since)", fmtDuration(c.Every)))
			return nil
		}
		if periods[0].since.After(ev.Since) {
			res.Notes = append(res.Notes, fmt.Sprintf("the window's first %s (before %s) is shorter than every %s and was not checked", fmtDuration(periods[0].since.Sub(ev.Since)), audit.FormatTime(periods[0].since), fmtDuration(c.Every)))
		}
	}
	for _, p := range periods {
		n, err := count(p.since, p.until)
		if err != nil {
			return err
		}
		if n < c.N {
			res.Violations = append(res.Violations, report.Violation{
				Message: fmt.Sprintf("%d matching %s in %s .. %s, want at least %d", n, plural(n, "event", "events"), audit.FormatTime(p.since), audit.FormatTime(p.until), c.N),
				First:   p.since, Last: p.until, Count: n,
			})
		}
	}
	return nil
}

// sequence finds, per group, the steps in order within the window. Each
// step's filter (its query ANDed with the rule's) is pushed down; with a
// single group_by field, only groups that every step has are read.
func (ev *Evaluator) sequence(ctx context.Context, r *Rule, f audit.Filter, ex excuser, res *report.Result) error {
	c := r.Condition
	type stepItem struct {
		item
		step int
	}
	var items []stepItem
	filters := make([]audit.Filter, len(c.Steps))
	for i, s := range c.Steps {
		sf, err := ev.filter(s.Query, f)
		if err != nil {
			return err
		}
		filters[i] = sf
	}
	// keep, when every step's matches were gathered by prefetch: the
	// groups with enough matches of every step (only they can complete
	// the sequence), counted in memory instead of asked of the store.
	var keep map[string]bool
	gathered := true
	for _, sf := range filters {
		_, ok := ev.gathered(sf, c.GroupBy)
		gathered = gathered && ok
	}
	if gathered {
		perStep := map[string][]int{}
		for i, sf := range filters {
			bs, _ := ev.gathered(sf, c.GroupBy)
			for _, b := range bs {
				g := joinGroup(c.GroupBy, b.Values)
				if perStep[g] == nil {
					perStep[g] = make([]int, len(filters))
				}
				perStep[g][i]++
			}
		}
		keep = map[string]bool{}
		for g, ns := range perStep {
			ok := true
			for i, n := range ns {
				ok = ok && n >= c.Steps[i].Count
			}
			if ok {
				keep[g] = true
			}
		}
		if len(keep) == 0 {
			return nil
		}
	} else if len(c.GroupBy) == 1 {
		var common []string
		for i, sf := range filters {
			keys, ok, err := ev.candidateGroups(ctx, sf, c.GroupBy[0], int64(c.Steps[i].Count-1))
			if err != nil {
				return err
			}
			if !ok {
				common = nil
				break
			}
			if i == 0 {
				common = keys
			} else {
				common = slices.DeleteFunc(common, func(k string) bool {
					return !slices.ContainsFunc(keys, func(o string) bool { return strings.EqualFold(o, k) })
				})
			}
			if len(common) == 0 {
				return nil // some step has no group in common with the others
			}
		}
		if len(common) > 0 {
			for i := range filters {
				g := audit.Filter{}
				g.Add(c.GroupBy[0], common...)
				filters[i].Merge(g)
			}
		}
	}
	for i, sf := range filters {
		err := ev.each(ctx, sf, c.GroupBy, func(it item) error {
			if keep != nil && !keep[it.group] || ex != nil && ex(it) {
				return nil
			}
			if len(items) >= ev.MaxSequenceEvents {
				return audit.Errorf(audit.EINVALID, "sequence: more than %d events match its steps in the window: narrow the steps' queries or the window", ev.MaxSequenceEvents)
			}
			items = append(items, stepItem{it, i})
			return nil
		})
		if err != nil {
			return err
		}
	}
	// Time order; at the same instant, later steps first, so one event
	// matching two steps cannot be both.
	slices.SortStableFunc(items, func(a, b stepItem) int {
		if d := a.time.Compare(b.time); d != 0 {
			return d
		}
		return b.step - a.step
	})
	type state struct {
		stage  int
		start  time.Time
		items  []item
		recent []item
		count  int64
	}
	states := map[string]*state{}
	var out []pending
	for _, it := range items {
		st := states[it.group]
		if st == nil {
			st = &state{}
			states[it.group] = st
		}
		if st.stage > 0 && it.time.Sub(st.start) > c.Window {
			*st = state{}
		}
		if it.step != st.stage {
			continue
		}
		st.recent = append(st.recent, it.item)
		if st.stage == 0 {
			drop := 0
			for drop < len(st.recent) && it.time.Sub(st.recent[drop].time) > c.Window {
				drop++
			}
			st.recent = st.recent[drop:]
		}
		if len(st.recent) < c.Steps[st.stage].Count {
			continue
		}
		if st.stage == 0 {
			st.start = st.recent[0].time
		}
		st.count += int64(len(st.recent))
		for _, e := range st.recent {
			if len(st.items) < ev.MaxEvents {
				st.items = append(st.items, e)
			}
		}
		st.recent = nil
		st.stage++
		if st.stage == len(c.Steps) {
			out = append(out, pending{v: report.Violation{
				Message: fmt.Sprintf("%s: %s within %s, %s .. %s", it.group, describeSteps(c.Steps), fmtDuration(c.Window), audit.FormatTime(st.start), audit.FormatTime(it.time)),
				Group:   it.group, First: st.start, Last: it.time, Count: st.count,
			}, items: st.items})
			*st = state{}
		}
	}
	return ev.resolve(ctx, out, res)
}

// sessions evaluates a sessions rule: none, max or require over the
// sessions that started in the window and match its filters.
func (ev *Evaluator) sessions(ctx context.Context, r *Rule, res *report.Result) error {
	if ev.Sessions == nil {
		return ev.noSessions()
	}
	f := *r.Sessions
	f.Since, f.Until = ev.Since, ev.Until
	if r.Condition.Kind == KindRequire {
		return ev.require(ctx, r, res, func(since, until time.Time) (int64, error) {
			g := f
			g.Since, g.Until = since, until
			_, n, err := ev.Sessions.FindSessions(ctx, g, session.Page{Limit: 1})
			return int64(n), err
		})
	}
	rows, n, err := ev.Sessions.FindSessions(ctx, f, session.Page{Limit: ev.MaxEvents})
	if err != nil {
		return err
	}
	allowed := int64(0)
	if r.Condition.Kind == KindMax {
		allowed = r.Condition.N
	}
	if int64(n) <= allowed {
		return nil
	}
	slices.Reverse(rows) // oldest first, as events are
	v := report.Violation{Count: int64(n), Sessions: rows}
	if len(rows) > 0 {
		v.First, v.Last = rows[0].Start, rows[len(rows)-1].Start
	}
	v.Message = countMessage(r, int64(n), allowed, "session", "sessions")
	res.Violations = append(res.Violations, v)
	return nil
}

// describeSteps writes a sequence's steps: "status:failure (5×) then
// status:success".
func describeSteps(steps []Step) string {
	var parts []string
	for _, s := range steps {
		p := s.Query
		if s.Count > 1 {
			p += fmt.Sprintf(" (%d×)", s.Count)
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, " then ")
}
