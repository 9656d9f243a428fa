package jumpcloud

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/auditctl/auditctl/pkg/audit"
)

// Retention is how far back Directory Insights keeps events: the start of
// a query that gives no --since.
const Retention = 90 * 24 * time.Hour

// KnownServices are the service names the API accepts.
var KnownServices = []string{"alerts", "asset_management", "directory", "ldap", "mdm", "notifications",
	"object_storage", "password_manager", "radius", "reports", "saas_app_management", "software", "sso", "systems"}

// Service runs audit filters against the API: an audit.EventService for
// live queries (`logs list|count --remote jumpcloud`). What the API can
// express is pushed down (service, start_time/end_time, search_term with
// dot paths, q, sort); every event it returns is then checked against the
// whole filter, so the results are those the cache would give for the same
// events. What is applied only client-side is said on the debug trace.
type Service struct {
	Client *Client
	Org    string
	Now    func() time.Time
}

var _ audit.EventService = (*Service)(nil)

// exactPaths are the fields whose value is one DI field as is.
var exactPaths = map[audit.Field]string{
	audit.FieldAction: "event_type", audit.FieldTenant: "organization", audit.FieldIP: "client_ip",
	audit.FieldActorID: "initiated_by.id", audit.FieldActorType: "initiated_by.type",
	audit.FieldTargetID: "resource.id", audit.FieldTargetType: "resource.type",
	audit.FieldID: "id", audit.FieldError: "error_message",
}

// supersetPaths are the fields taken from the first set of several DI
// fields: a value there is in one of them (an OR pushes down a superset).
var supersetPaths = map[audit.Field][]string{
	audit.FieldActor:  {"initiated_by.username", "initiated_by.email", "initiated_by.name", "initiated_by.id"},
	audit.FieldTarget: {"resource.name", "resource.username", "resource.email", "resource.displayName", "resource.hostname"},
}

// plan is a filter translated for the API.
type plan struct {
	req   Request
	exact bool     // the API selects exactly the filter's events
	none  bool     // no Directory Insights event can match
	notes []string // what is left to the client
}

func lowerAll(vs []string) []any {
	out := make([]any, len(vs))
	for i, v := range vs {
		out[i] = strings.ToLower(v)
	}
	return out
}

func plain(fld audit.Field, vs []string) bool {
	for _, v := range vs {
		// "" means "no value", which a search_term cannot say
		if v == "" || strings.Contains(v, "*") || (fld == audit.FieldIP && strings.Contains(v, "/")) {
			return false
		}
	}
	return true
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Service) plan(f audit.Filter) plan {
	p := plan{exact: true}
	inexact := func(note string) { p.exact, p.notes = false, append(p.notes, note) }
	p.req.StartTime = f.Since
	if f.Since.IsZero() {
		p.req.StartTime = s.now().Add(-Retention)
	}
	p.req.EndTime = f.Until
	p.req.Service = []string{"all"}
	var ands []any
	for _, fld := range audit.MatchFields {
		inc, exc := f.Include[fld], f.Exclude[fld]
		if len(inc) == 0 && len(exc) == 0 {
			continue
		}
		switch {
		case fld == audit.FieldSource:
			// every event of this API has source jumpcloud
			if (len(inc) > 0 && !matchAny(fld, "jumpcloud", inc)) || (len(exc) > 0 && matchAny(fld, "jumpcloud", exc)) {
				p.none = true
			}
		case fld == audit.FieldService:
			if len(inc) > 0 {
				if plain(fld, inc) {
					var known []string
					for _, v := range inc {
						if v = strings.ToLower(v); slices.Contains(KnownServices, v) && !slices.Contains(known, v) {
							known = append(known, v)
						}
					}
					if len(known) == 0 {
						p.none = true
					}
					p.req.Service = known
				} else {
					inexact("service patterns")
				}
			}
			if len(exc) > 0 {
				if plain(fld, exc) {
					ands = append(ands, map[string]any{"not": []any{map[string]any{"service": lowerAll(exc)}}})
				} else {
					inexact("service patterns")
				}
			}
		case fld == audit.FieldStatus:
			// DI has success true/false (absent = true): no warnings.
			in := func(vs []string, st audit.Status) bool { return slices.Contains(vs, string(st)) }
			if len(inc) > 0 {
				succ, fail := in(inc, audit.StatusSuccess), in(inc, audit.StatusFailure)
				switch {
				case succ && fail:
				case succ:
					ands = append(ands, map[string]any{"not": []any{map[string]any{"success": false}}})
				case fail:
					ands = append(ands, map[string]any{"success": false})
				default:
					p.none = true
				}
			}
			if len(exc) > 0 {
				succ, fail := in(exc, audit.StatusSuccess), in(exc, audit.StatusFailure)
				switch {
				case succ && fail:
					p.none = true
				case succ:
					ands = append(ands, map[string]any{"success": false})
				case fail:
					ands = append(ands, map[string]any{"not": []any{map[string]any{"success": false}}})
				}
			}
		case exactPaths[fld] != "":
			path := exactPaths[fld]
			if len(inc) > 0 {
				if plain(fld, inc) {
					ands = append(ands, map[string]any{path: lowerAll(inc)})
				} else {
					inexact(string(fld) + " patterns")
				}
			}
			if len(exc) > 0 {
				if plain(fld, exc) {
					ands = append(ands, map[string]any{"not": []any{map[string]any{path: lowerAll(exc)}}})
				} else {
					inexact(string(fld) + " patterns")
				}
			}
		case supersetPaths[fld] != nil:
			if len(inc) > 0 && plain(fld, inc) {
				var ors []any
				for _, path := range supersetPaths[fld] {
					ors = append(ors, map[string]any{path: lowerAll(inc)})
				}
				ands = append(ands, map[string]any{"or": ors})
			}
			inexact(string(fld) + " (the first of " + strings.Join(supersetPaths[fld], ", ") + ")")
		default:
			inexact(string(fld) + " (no Directory Insights field)")
		}
	}
	if f.MinDuration != nil || f.MaxDuration != nil {
		// Directory Insights reports no request duration.
		p.none = true
	}
	if len(f.Text) > 0 {
		p.req.Q = strings.Join(f.Text, " ")
		inexact("full text (q, then confirmed on description, custom data and raw)")
	}
	if len(f.NotText) > 0 {
		inexact("excluded full text")
	}
	if len(ands) > 0 {
		p.req.SearchTerm = Term{"and": ands}
	}
	return p
}

func (s *Service) explain(what string, p plan) {
	if s.Client.Debug == nil {
		return
	}
	term, _ := json.Marshal(p.req.SearchTerm)
	end := "(now)"
	if !p.req.EndTime.IsZero() {
		end = p.req.EndTime.UTC().Format(time.RFC3339Nano)
	}
	s.Client.debugf("%s: pushed down service=%v start_time=%s end_time=%s search_term=%s q=%q",
		what, p.req.Service, p.req.StartTime.UTC().Format(time.RFC3339Nano), end, term, p.req.Q)
	if len(p.notes) > 0 {
		s.Client.debugf("%s: applied client-side: %s", what, strings.Join(p.notes, "; "))
	}
	if p.none {
		s.Client.debugf("%s: no Directory Insights event can match the filter: nothing asked", what)
	}
}

// sortKey orders events of the same time as the cache does: by microsecond,
// then by a slot hashed from (source, id).
func sortKey(e *audit.Event) int64 {
	h := fnv.New32a()
	io.WriteString(h, e.Source)
	h.Write([]byte{0})
	io.WriteString(h, e.ID)
	return e.Time.UnixMicro()<<10 | int64(h.Sum32()&1023)
}

// stream calls fn with each matching event in time order (newest first
// when desc), ordered within a millisecond as the cache orders them.
func (s *Service) stream(ctx context.Context, f audit.Filter, p plan, desc bool, limit int, fn func(*audit.Event) error) error {
	if p.none {
		return nil
	}
	req := p.req
	req.Sort = "ASC"
	if desc {
		req.Sort = "DESC"
	}
	req.Limit = MaxLimit
	if limit > 0 && p.exact {
		req.Limit = min(MaxLimit, limit+1)
	}
	var run []*audit.Event // events of one millisecond, held to reorder
	flush := func() error {
		slices.SortFunc(run, func(a, b *audit.Event) int {
			ka, kb := sortKey(a), sortKey(b)
			if desc {
				ka, kb = kb, ka
			}
			return cmp.Compare(ka, kb)
		})
		for _, e := range run {
			if err := fn(e); err != nil {
				return err
			}
		}
		run = run[:0]
		return nil
	}
	err := s.Client.Pages(ctx, s.Org, req, func(pg Page) error {
		for _, e := range pg.Events {
			if !match(&f, e) {
				continue
			}
			if len(run) > 0 && run[0].Time.UnixMilli() != e.Time.UnixMilli() {
				if err := flush(); err != nil {
					return err
				}
			}
			run = append(run, e)
		}
		return nil
	})
	if err != nil {
		return err
	}
	return flush()
}

var errStop = errors.New("stop")

// FindEvents returns a page of matching events and the total.
func (s *Service) FindEvents(ctx context.Context, f audit.Filter, pg audit.Page) ([]*audit.Event, int, error) {
	if err := f.Validate(); err != nil {
		return nil, 0, err
	}
	if err := pg.CheckCursor(); err != nil {
		return nil, 0, err
	}
	if pg.After != nil {
		return s.findAfter(ctx, f, pg)
	}
	p := s.plan(f)
	s.explain("list", p)
	var out []*audit.Event
	n := 0
	desc, byTime := pg.TimeOrder()
	if !byTime {
		s.Client.debugf("list: sorted client-side (the API sorts by time only)")
		var all []*audit.Event
		if err := s.stream(ctx, f, p, true, 0, func(e *audit.Event) error { all = append(all, e); return nil }); err != nil {
			return nil, 0, err
		}
		sortEvents(all, pg.Sort)
		lo := min(pg.Offset, len(all))
		hi := len(all)
		if pg.Limit > 0 {
			hi = min(lo+pg.Limit, len(all))
		}
		total := len(all)
		if pg.NoTotal {
			total = -1
		}
		return all[lo:hi], total, nil
	}
	want := 0
	if pg.Limit > 0 {
		want = pg.Offset + pg.Limit
	}
	countAll := !pg.NoTotal && !p.exact
	err := s.stream(ctx, f, p, desc, want, func(e *audit.Event) error {
		if n >= pg.Offset && (pg.Limit == 0 || len(out) < pg.Limit) {
			out = append(out, e)
		}
		n++
		if want > 0 && n >= want && !countAll {
			return errStop
		}
		return nil
	})
	if err != nil && err != errStop {
		return nil, 0, err
	}
	total := -1
	switch {
	case pg.NoTotal:
	case countAll || err == nil:
		total = n
	default:
		c, err := s.CountEvents(ctx, f)
		if err != nil {
			return nil, 0, err
		}
		total = int(c)
	}
	return out, total, nil
}

// findAfter is FindEvents of a keyset page (pg.After): the window is
// narrowed to the cursor's side (to its millisecond, the API's precision),
// and the events of that millisecond are kept only past the cursor, in
// the order the stream (and the cache) gives them.
func (s *Service) findAfter(ctx context.Context, f audit.Filter, pg audit.Page) ([]*audit.Event, int, error) {
	desc, _ := pg.TimeOrder()
	at := pg.After.Time
	ck := sortKey(&audit.Event{Time: at, Source: pg.After.Source, ID: pg.After.ID})
	nf := f
	if desc {
		if end := at.Truncate(time.Millisecond).Add(time.Millisecond); nf.Until.IsZero() || end.Before(nf.Until) {
			nf.Until = end
		}
	} else if start := at.Truncate(time.Millisecond); start.After(nf.Since) {
		nf.Since = start
	}
	p := s.plan(nf)
	s.explain("list", p)
	var out []*audit.Event
	n := 0
	err := s.stream(ctx, nf, p, desc, 0, func(e *audit.Event) error {
		if k := sortKey(e); desc && k >= ck || !desc && k <= ck {
			return nil
		}
		if n >= pg.Offset {
			out = append(out, e)
		}
		n++
		if pg.Limit > 0 && len(out) >= pg.Limit {
			return errStop
		}
		return nil
	})
	if err != nil && err != errStop {
		return nil, 0, err
	}
	total := -1
	if !pg.NoTotal {
		c, err := s.CountEvents(ctx, f)
		if err != nil {
			return nil, 0, err
		}
		total = int(c)
	}
	return out, total, nil
}

// sortEvents sorts as the cache does: by the keys (text without case,
// events without a duration last), then newest first.
func sortEvents(evs []*audit.Event, keys []audit.SortKey) {
	slices.SortStableFunc(evs, func(a, b *audit.Event) int {
		for _, k := range keys {
			var c int
			switch k.Field {
			case audit.FieldTime:
				c = cmp.Compare(sortKey(a), sortKey(b))
			case audit.FieldDuration:
				da, oka := a.Duration()
				db, okb := b.Duration()
				if oka != okb {
					if oka {
						return -1
					}
					return 1
				}
				c = cmp.Compare(da, db)
			default:
				c = strings.Compare(asciiLower(a.Value(string(k.Field))), asciiLower(b.Value(string(k.Field))))
			}
			if k.Desc {
				c = -c
			}
			if c != 0 {
				return c
			}
		}
		return cmp.Compare(sortKey(b), sortKey(a))
	})
}

// EachEvent streams every matching event in page order.
func (s *Service) EachEvent(ctx context.Context, f audit.Filter, pg audit.Page, fn func(*audit.Event) error) error {
	if desc, ok := pg.TimeOrder(); ok && pg.After == nil && pg.Offset == 0 && pg.Limit == 0 {
		if err := f.Validate(); err != nil {
			return err
		}
		p := s.plan(f)
		s.explain("export", p)
		return s.stream(ctx, f, p, desc, 0, fn)
	}
	pg.NoTotal = true
	evs, _, err := s.FindEvents(ctx, f, pg)
	if err != nil {
		return err
	}
	for _, e := range evs {
		if err := fn(e); err != nil {
			return err
		}
	}
	return nil
}

// FindEventByID looks the id up over the retention period.
func (s *Service) FindEventByID(ctx context.Context, id, source string) (*audit.Event, error) {
	if id == "" {
		return nil, audit.Errorf(audit.EUSAGE, "empty event id")
	}
	var f audit.Filter
	f.Add(audit.FieldID, id)
	if source != "" {
		f.Add(audit.FieldSource, source)
	}
	evs, _, err := s.FindEvents(ctx, f, audit.Page{Limit: 2, NoTotal: true})
	if err != nil {
		return nil, err
	}
	if len(evs) == 0 {
		return nil, audit.Errorf(audit.ENOTFOUND, "no event with id %q in JumpCloud Directory Insights", id)
	}
	return evs[0], nil
}

// CountEvents counts matching events: with /events/count when the filter
// pushes down exactly, else by reading them.
func (s *Service) CountEvents(ctx context.Context, f audit.Filter) (int64, error) {
	if err := f.Validate(); err != nil {
		return 0, err
	}
	p := s.plan(f)
	s.explain("count", p)
	if p.none {
		return 0, nil
	}
	if p.exact {
		return s.Client.Count(ctx, s.Org, p.req)
	}
	var n int64
	err := s.stream(ctx, f, p, false, 0, func(*audit.Event) error { n++; return nil })
	return n, err
}

// CountBy groups matching events by field, largest first: with
// /events/distinct when the field is one DI field and the filter pushes
// down exactly, else by reading the events.
func (s *Service) CountBy(ctx context.Context, f audit.Filter, field audit.Field, limit int) ([]audit.Bucket, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	if field == audit.FieldTime || field == audit.FieldDuration {
		return nil, audit.Errorf(audit.EUSAGE, "cannot count by %q", field)
	}
	p := s.plan(f)
	s.explain("count by "+string(field), p)
	if p.none {
		return nil, nil
	}
	counts := map[string]int64{}
	first := map[string]string{} // lowercased key → the value first seen
	add := func(v string, n int64) {
		k := asciiLower(v)
		if _, ok := first[k]; !ok {
			first[k] = v
		}
		counts[k] += n
	}
	path := exactPaths[field]
	if field == audit.FieldService {
		path = "service"
	}
	if p.exact && path != "" {
		buckets, err := s.Client.Distinct(ctx, s.Org, p.req, path)
		if err != nil {
			return nil, err
		}
		total, err := s.Client.Count(ctx, s.Org, p.req)
		if err != nil {
			return nil, err
		}
		var sum int64
		for _, b := range buckets {
			add(keyText(b.Key), b.Count)
			sum += b.Count
		}
		if total > sum { // events without the field: the cache's "" group
			add("", total-sum)
		}
	} else {
		s.Client.debugf("count by %s: grouped client-side", field)
		err := s.stream(ctx, f, p, false, 0, func(e *audit.Event) error { add(e.Value(string(field)), 1); return nil })
		if err != nil {
			return nil, err
		}
	}
	out := make([]audit.Bucket, 0, len(counts))
	for k, n := range counts {
		out = append(out, audit.Bucket{Key: first[k], Count: n})
	}
	slices.SortFunc(out, func(a, b audit.Bucket) int {
		if a.Count != b.Count {
			return cmp.Compare(b.Count, a.Count)
		}
		return strings.Compare(asciiLower(a.Key), asciiLower(b.Key))
	})
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

func keyText(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	return string(raw)
}

// Histogram counts matching events per interval (aligned to the Unix
// epoch), oldest first, empty intervals between included: with
// /events/interval when the filter pushes down exactly.
func (s *Service) Histogram(ctx context.Context, f audit.Filter, interval time.Duration) ([]audit.Bucket, error) {
	if interval < time.Second {
		return nil, audit.Errorf(audit.EUSAGE, "interval %s is too small (minimum 1s)", interval)
	}
	if err := f.Validate(); err != nil {
		return nil, err
	}
	p := s.plan(f)
	s.explain("histogram", p)
	if p.none {
		return nil, nil
	}
	counts := map[int64]int64{} // bucket start, ns
	step := interval.Nanoseconds()
	if p.exact && interval%time.Second == 0 {
		buckets, err := s.Client.Interval(ctx, s.Org, p.req, int64(interval/time.Second))
		if err != nil {
			return nil, err
		}
		for _, b := range buckets {
			ms, err := strconv.ParseInt(string(b.Key), 10, 64)
			if err != nil {
				return nil, audit.Errorf(audit.EREMOTE, "jumpcloud: /events/interval: bad bucket key %s", b.Key)
			}
			counts[ms*int64(time.Millisecond)] += b.Count
		}
	} else {
		s.Client.debugf("histogram: counted client-side")
		err := s.stream(ctx, f, p, false, 0, func(e *audit.Event) error {
			ns := e.Time.UnixNano()
			counts[ns-((ns%step)+step)%step]++
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	keys := make([]int64, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var out []audit.Bucket
	for _, k := range keys {
		t := time.Unix(0, k).UTC()
		for len(out) > 0 {
			next := out[len(out)-1].Time.Add(interval)
			if !next.Before(t) {
				break
			}
			out = append(out, audit.Bucket{Key: audit.FormatTime(next), Time: next})
		}
		out = append(out, audit.Bucket{Key: audit.FormatTime(t), Time: t, Count: counts[k]})
	}
	return out, nil
}

// String names the service for messages.
func (s *Service) String() string { return fmt.Sprintf("jumpcloud (%s)", s.Client.Base()) }
