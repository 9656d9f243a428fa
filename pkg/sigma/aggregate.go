package sigma

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	sigmago "github.com/bradleyjkemp/sigma-go"
	yamlv3 "gopkg.in/yaml.v3"

	"github.com/auditctl/auditctl/pkg/audit"
)

// Aggregations: "selection | count() by field > N" and "count(field) by
// group >= N" (distinct values), over the whole window or, with the
// detection's timeframe, within any span of that length. sigma-go parses
// them but evaluates them only through callbacks, and fails on every rule
// with a timeframe (it decodes the whole detection as a duration); here the
// search is evaluated by sigma-go as for any rule (pushed down the same
// way), and the matches are counted per group. Only count, with > or >=,
// is supported; the rest is reported as not supported.

// aggregation is a rule's count condition.
type aggregation struct {
	field     string // count(field): distinct values; "" counts events
	groupBy   string // "" for one group
	op        sigmago.ComparisonOp
	threshold float64
	timeframe time.Duration
}

func (a *aggregation) holds(n int) bool {
	if a.op == sigmago.GreaterThanEqual {
		return float64(n) >= a.threshold
	}
	return float64(n) > a.threshold
}

func (a *aggregation) String() string {
	s := "count(" + a.field + ")"
	if a.groupBy != "" {
		s += " by " + a.groupBy
	}
	s += fmt.Sprintf(" %s %s", a.op, strconv.FormatFloat(a.threshold, 'f', -1, 64))
	if a.timeframe > 0 {
		s += " within " + a.timeframe.String()
	}
	return s
}

// takeTimeframe removes the timeframe from a detection node (sigma-go
// cannot decode it) and returns it.
func takeTimeframe(detection *yamlv3.Node) (time.Duration, error) {
	if detection == nil || detection.Kind != yamlv3.MappingNode {
		return 0, nil
	}
	for i := 0; i+1 < len(detection.Content); i += 2 {
		if detection.Content[i].Value != "timeframe" {
			continue
		}
		v := detection.Content[i+1]
		d, err := parseTimeframe(v.Value)
		if err != nil {
			return 0, lineErr(v, "timeframe: %v", err)
		}
		detection.Content = append(detection.Content[:i:i], detection.Content[i+2:]...)
		return d, nil
	}
	return 0, nil
}

// parseTimeframe reads Sigma's 30s, 15m, 12h, 7d.
func parseTimeframe(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if len(s) < 2 {
		return 0, fmt.Errorf("%q: want a number and a unit (30s, 15m, 12h, 7d)", s)
	}
	n, err := strconv.Atoi(s[:len(s)-1])
	unit := map[byte]time.Duration{'s': time.Second, 'm': time.Minute, 'h': time.Hour, 'd': 24 * time.Hour}[s[len(s)-1]]
	if err != nil || n <= 0 || unit == 0 {
		return 0, fmt.Errorf("%q: want a number and a unit (30s, 15m, 12h, 7d)", s)
	}
	return time.Duration(n) * unit, nil
}

// newAggregation checks an aggregation sigma-go parsed.
func newAggregation(a sigmago.AggregationExpr, timeframe time.Duration) (*aggregation, error) {
	cmp, ok := a.(sigmago.Comparison)
	if !ok {
		return nil, fmt.Errorf("aggregation %T is not supported (count() … > N is)", a)
	}
	count, ok := cmp.Func.(sigmago.Count)
	if !ok {
		return nil, fmt.Errorf("only count() aggregations are supported, not %T", cmp.Func)
	}
	if cmp.Op != sigmago.GreaterThan && cmp.Op != sigmago.GreaterThanEqual {
		return nil, fmt.Errorf("count() %s: only > and >= are supported", cmp.Op)
	}
	return &aggregation{field: count.Field, groupBy: count.GroupedBy, op: cmp.Op, threshold: cmp.Threshold, timeframe: timeframe}, nil
}

// aggItem is one match, as a count needs it.
type aggItem struct {
	t     time.Time
	value string // count(field): the field's value
	e     *audit.Event
}

// Group is one group over an aggregation's threshold.
type Group struct {
	// Key names the group ("userIdentity.arn=arn:aws:…"), "" with no by.
	Key string
	// Count is the count that met the condition (events, or distinct
	// values), First and Last the span it was counted over.
	Count       int64
	First, Last time.Time
	// Events are the oldest events of that span (Options.MaxEvents).
	Events []*audit.Event
}

// add files a match of rule r.
func (c *collector) aggAdd(e *audit.Event) {
	a := c.res.Rule.agg
	key := ""
	if a.groupBy != "" {
		key = a.groupBy + "=" + strings.Join(c.res.Rule.valueStrings(a.groupBy, e), ",")
	}
	it := aggItem{t: e.Time, e: e}
	if a.field != "" {
		it.value = strings.Join(c.res.Rule.valueStrings(a.field, e), ",")
		if it.value == "" {
			return // no value to count
		}
	}
	if c.groups == nil {
		c.groups = map[string][]aggItem{}
	}
	c.groups[key] = append(c.groups[key], it)
}

// valueStrings are the values of a rule field in e, as text.
func (r *Rule) valueStrings(name string, e *audit.Event) []string {
	for i := range r.fields {
		if r.fields[i].name == name {
			var out []string
			for _, v := range r.fields[i].values(r.Schema, e, nil) {
				out = append(out, fmt.Sprint(v))
			}
			return out
		}
	}
	return nil
}

// aggFinish turns the filed matches into the groups over the threshold.
func (c *collector) aggFinish(max int) {
	a := c.res.Rule.agg
	keys := make([]string, 0, len(c.groups))
	for k := range c.groups {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		items := c.groups[k]
		slices.SortStableFunc(items, func(x, y aggItem) int { return eventOrder(x.e, y.e) })
		// The span with the highest count: the whole list without a
		// timeframe, else the best window of that length.
		best, bi, bj := -1, 0, 0
		distinct := map[string]int{}
		count := func() int {
			if a.field != "" {
				return len(distinct)
			}
			return len(distinct) // one entry per item below
		}
		i := 0
		for j, it := range items {
			v := it.value
			if a.field == "" {
				v = strconv.Itoa(j)
			}
			distinct[v]++
			for a.timeframe > 0 && it.t.Sub(items[i].t) >= a.timeframe {
				w := items[i].value
				if a.field == "" {
					w = strconv.Itoa(i)
				}
				if distinct[w]--; distinct[w] == 0 {
					delete(distinct, w)
				}
				i++
			}
			if n := count(); n > best {
				best, bi, bj = n, i, j
			}
		}
		if best < 0 || !a.holds(best) {
			continue
		}
		g := Group{Key: k, Count: int64(best), First: items[bi].t, Last: items[bj].t}
		for _, it := range items[bi : bj+1] {
			if len(g.Events) == max {
				break
			}
			g.Events = append(g.Events, it.e)
		}
		c.res.Groups = append(c.res.Groups, g)
		c.res.Count += int64(best)
		if c.res.First.IsZero() || g.First.Before(c.res.First) {
			c.res.First = g.First
		}
		if g.Last.After(c.res.Last) {
			c.res.Last = g.Last
		}
	}
	c.groups = nil
}
