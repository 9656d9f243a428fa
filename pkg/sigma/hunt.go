package sigma

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/sanitize"
)

// Options tune a hunt.
type Options struct {
	// Since and Until bound the window (zero: unbounded).
	Since, Until time.Time
	// NoPushdown evaluates every rule on every event of the window with
	// sigma-go (one scan), instead of on the candidates its pushed-down
	// conditions select: the reference the pushdown is tested and measured
	// against.
	NoPushdown bool
	// NoFullText leaves the full-text part out of the pushdown: for a
	// remote API, whose full-text search is not the cache's index.
	NoFullText bool
	// MaxEvents is how many matching events a result keeps (the oldest);
	// 0 keeps DefaultMaxEvents. Count always counts them all.
	MaxEvents int
	// OnMatch, when set, is called with every match (tests compare whole
	// result sets with it).
	OnMatch func(r *Rule, e *audit.Event)
	// Debug, when set, receives what each rule pushed down and read.
	Debug io.Writer
}

// DefaultMaxEvents is how many matching events a result keeps by default.
const DefaultMaxEvents = 10

// Result is what one rule found.
type Result struct {
	Rule *Rule
	// Count is the number of matching events; First and Last their times.
	Count       int64
	First, Last time.Time
	// Events are the oldest matching events (at most Options.MaxEvents),
	// oldest first.
	Events []*audit.Event
	// Groups are, for a rule with an aggregation (count() by … > N), the
	// groups over the threshold; Count is then the sum of their counts.
	Groups []Group
	// Candidates is how many events sigma-go looked at for this rule.
	Candidates int64
	// Err is why the rule failed during evaluation (then it counts as not
	// evaluated).
	Err error
}

// Stats sums a hunt up, for --debug and benchmarks.
type Stats struct {
	Events     int64 // events read from the store (with repeats across queries)
	Evaluated  int64 // rule evaluations by sigma-go
	Queries    int
	Duration   time.Duration
	Pushdown   bool
	Candidates int64
}

type collector struct {
	res  *Result
	max  int
	seen map[string]struct{} // source\x00id of matched events, for rules read by several queries
	on   func(*Rule, *audit.Event)
	// groups: an aggregation's matches by group
	groups map[string][]aggItem
}

func (c *collector) match(e *audit.Event) {
	if c.res.Err != nil {
		return
	}
	c.res.Candidates++
	ok, err := c.res.Rule.Match(e)
	if err != nil {
		c.res.Err = err
		return
	}
	if !ok {
		return
	}
	if c.seen != nil {
		k := e.Source + "\x00" + e.ID
		if _, dup := c.seen[k]; dup {
			return
		}
		c.seen[k] = struct{}{}
	}
	if c.on != nil {
		c.on(c.res.Rule, e)
	}
	if c.res.Rule.agg != nil {
		c.aggAdd(e)
		return
	}
	r := c.res
	r.Count++
	if r.First.IsZero() || e.Time.Before(r.First) {
		r.First = e.Time
	}
	if e.Time.After(r.Last) {
		r.Last = e.Time
	}
	if len(r.Events) < c.max || e.Time.Before(r.Events[len(r.Events)-1].Time) {
		r.Events = append(r.Events, e)
		slices.SortStableFunc(r.Events, eventOrder)
		if len(r.Events) > c.max {
			r.Events = r.Events[:c.max]
		}
	}
}

func eventOrder(a, b *audit.Event) int {
	return cmp.Or(a.Time.Compare(b.Time), strings.Compare(a.Source, b.Source), strings.Compare(a.ID, b.ID))
}

// Run evaluates the usable rules over the events of svc in the window and
// returns one result per usable rule, in the order given.
func Run(ctx context.Context, svc audit.EventService, rules []*Rule, opt Options) ([]Result, Stats, error) {
	start := time.Now()
	max := opt.MaxEvents
	if max <= 0 {
		max = DefaultMaxEvents
	}
	st := Stats{Pushdown: !opt.NoPushdown}
	var cols []*collector
	for _, r := range rules {
		if r.Usable() {
			cols = append(cols, &collector{res: &Result{Rule: r}, max: max, on: opt.OnMatch})
		}
	}
	window := audit.Filter{Since: opt.Since, Until: opt.Until}
	asc := audit.Page{Sort: []audit.SortKey{{Field: audit.FieldTime}}}
	debugf := func(format string, args ...any) {
		if opt.Debug != nil {
			// rule ids and values come from rule files: untrusted text
			fmt.Fprintln(opt.Debug, sanitize.String(fmt.Sprintf("hunt: "+format, args...)))
		}
	}

	// The pushdown of each rule (nil: it narrows nothing).
	terms := make(map[*collector][]conj, len(cols))
	for _, c := range cols {
		ts := c.res.Rule.terms
		if opt.NoFullText {
			var kept []conj
			for _, t := range ts {
				t, ok := t.withoutText()
				if !ok {
					kept = nil
					break
				}
				kept = append(kept, t)
			}
			ts = kept
		}
		terms[c] = ts
	}
	// One scan of the window for the rules that read every event (all of
	// them without pushdown, else those that push nothing down).
	var scan []*collector
	for _, c := range cols {
		if opt.NoPushdown || len(terms[c]) == 0 {
			scan = append(scan, c)
		}
	}
	if len(scan) > 0 {
		f := window
		if src := commonSource(scan); src != "" {
			f.Add(audit.FieldSource, src)
		}
		var names []string
		for _, c := range scan {
			names = append(names, c.res.Rule.ID)
		}
		debugf("scan %s for %d rules: %s", describe(f), len(scan), strings.Join(names, ", "))
		st.Queries++
		err := svc.EachEvent(ctx, f, asc, func(e *audit.Event) error {
			st.Events++
			for _, c := range scan {
				if src := c.res.Rule.Schema.Source(); src == "" || src == e.Source {
					st.Evaluated++
					c.match(e)
				}
			}
			return nil
		})
		if err != nil {
			return nil, st, err
		}
	}
	if !opt.NoPushdown {
		// Each query reads its index in key order, on one connection (not
		// the parallel scan of a whole window, which would cut a small
		// index range into chunks): a limit says so.
		candidates := audit.Page{Sort: asc.Sort, Limit: math.MaxInt32}
		for _, c := range cols {
			ts := terms[c]
			if len(ts) == 0 {
				continue
			}
			if len(ts) > 1 {
				c.seen = map[string]struct{}{}
			}
			for _, t := range ts {
				f := t.filter()
				f.Since, f.Until = window.Since, window.Until
				debugf("%s: candidates %s", c.res.Rule.ID, describe(f))
				st.Queries++
				before := c.res.Candidates
				err := svc.EachEvent(ctx, f, candidates, func(e *audit.Event) error {
					st.Events++
					if src := c.res.Rule.Schema.Source(); src != "" && src != e.Source {
						return nil
					}
					st.Evaluated++
					c.match(e)
					return nil
				})
				if err != nil {
					return nil, st, err
				}
				debugf("%s: %d candidates, %d matches so far", c.res.Rule.ID, c.res.Candidates-before, c.res.Count)
			}
		}
	}
	out := make([]Result, len(cols))
	for i, c := range cols {
		if c.res.Rule.agg != nil && c.res.Err == nil {
			c.aggFinish(max)
		}
		out[i] = *c.res
		st.Candidates += c.res.Candidates
	}
	st.Duration = time.Since(start)
	debugf("%d queries, %d events read, %d evaluations in %s", st.Queries, st.Events, st.Evaluated, st.Duration.Round(time.Millisecond))
	return out, st, nil
}

// commonSource is the source all the rules read, or "" when they read
// several (or every source).
func commonSource(cs []*collector) string {
	src := cs[0].res.Rule.Schema.Source()
	for _, c := range cs[1:] {
		if c.res.Rule.Schema.Source() != src {
			return ""
		}
	}
	return src
}

func describe(f audit.Filter) string {
	if s := f.String(); s != "" {
		return s
	}
	return "(every event)"
}

// Sources returns the event sources the rules read ("" in the list when
// one reads every source).
func Sources(rules []*Rule) []string {
	var out []string
	for _, r := range rules {
		if r.Usable() && !slices.Contains(out, r.Schema.Source()) {
			out = append(out, r.Schema.Source())
		}
	}
	return out
}
