package audit

import (
	"context"
	"slices"
	"time"
)

// Bucket is one group of a count: a value of a field or the start of a time
// interval, and how many events it holds.
type Bucket struct {
	Key   string    `json:"key"`
	Time  time.Time `json:"time,omitempty"`
	Count int64     `json:"count"`
}

// ImportResult says what an import did.
type ImportResult struct {
	Read     int `json:"read"`     // records read
	Inserted int `json:"inserted"` // new events stored
	Skipped  int `json:"skipped"`  // invalid records skipped (--skip-invalid)
}

// Duplicates is how many records were already stored.
func (r ImportResult) Duplicates() int { return r.Read - r.Inserted - r.Skipped }

// EventReader yields events one at a time. Next returns io.EOF at the end.
// Importers implement it; stores consume it.
type EventReader interface {
	Next() (*Event, error)
}

// EventService finds and counts events. The SQLite cache implements it, and
// so does a remote audit API queried live.
type EventService interface {
	// FindEvents returns one page of events and the total that match; the
	// total is -1 when p.NoTotal is set.
	FindEvents(ctx context.Context, f Filter, p Page) ([]*Event, int, error)
	// EachEvent streams every matching event in page order without holding
	// them all in memory.
	EachEvent(ctx context.Context, f Filter, p Page, fn func(*Event) error) error
	// FindEventByID returns the event with that id; source narrows it when
	// two sources share an id.
	FindEventByID(ctx context.Context, id, source string) (*Event, error)
	// CountEvents counts matching events.
	CountEvents(ctx context.Context, f Filter) (int64, error)
	// CountBy groups matching events by a field, largest first.
	CountBy(ctx context.Context, f Filter, field Field, limit int) ([]Bucket, error)
	// Histogram counts matching events per interval, oldest first.
	Histogram(ctx context.Context, f Filter, interval time.Duration) ([]Bucket, error)
}

// MaxBuckets is the most buckets a histogram may have.
const MaxBuckets = 100000

// TotalCounter is an EventService that counts the total and the groups of
// one filter in one read (the local cache: one read transaction), so that
// the total is the sum of the groups even while another process writes.
type TotalCounter interface {
	CountByTotal(ctx context.Context, f Filter, field Field, limit int) ([]Bucket, int64, error)
	HistogramTotal(ctx context.Context, f Filter, interval time.Duration) ([]Bucket, int64, error)
}

// MultiCounter is an EventService that counts several filters at once
// (the cache: in one read transaction, so that the counts agree). `check`
// counts every rule that needs only a count this way.
type MultiCounter interface {
	CountMany(ctx context.Context, fs []Filter) ([]int64, error)
}

// BriefQuery asks for the matches of Filter as Briefs holding the values
// of Fields.
type BriefQuery struct {
	Filter Filter
	Fields []Field
}

// MultiScanner is an EventService that counts several filters and
// gathers the Briefs of several others at once (the cache: in one read
// transaction, the filters no index selects sharing one pass over the
// rows). Briefs come oldest first.
type MultiScanner interface {
	ScanMany(ctx context.Context, counts []Filter, briefs []BriefQuery) ([]int64, [][]*Brief, error)
}

// Brief is an event's identity, time and the values of a few fields,
// without the rest: what a rule over many events needs of each (its time
// and group), read far faster than whole events.
type Brief struct {
	Key    int64 // the store's handle on the event (BriefStreamer.EventsByKey)
	ID     string
	Source string
	Time   time.Time
	Values []string // the fields asked for, in order (Event.Value)
}

// BriefStreamer is an EventService that streams Briefs (the cache), and
// reads whole events back by key for the few a report shows.
type BriefStreamer interface {
	// EachBrief streams the matches of f, oldest first.
	EachBrief(ctx context.Context, f Filter, fields []Field, fn func(*Brief) error) error
	// EventsByKey returns the events with these keys, in no given order.
	EventsByKey(ctx context.Context, keys []int64) ([]*Event, error)
	// CountGroups is CountBy with every group, by the narrowest index.
	CountGroups(ctx context.Context, f Filter, field Field) ([]Bucket, error)
}

// FillBuckets returns the buckets of a histogram (consecutive, oldest
// first, each interval long, as EventService.Histogram returns them, with
// the empty ones between events) with the empty buckets added across the
// whole window: from the bucket holding since (else the first bucket) to
// the one holding the instant before until (else before now when since is
// set, else the last bucket). Bucket starts keep the grid of the given
// buckets (the Unix epoch when there are none). A window of more than
// MaxBuckets buckets is a usage error.
func FillBuckets(buckets []Bucket, since, until, now time.Time, interval time.Duration) ([]Bucket, error) {
	if interval <= 0 {
		return buckets, nil
	}
	var origin time.Time // a bucket start on the grid
	if len(buckets) > 0 && !buckets[0].Time.IsZero() {
		origin = buckets[0].Time
	} else if len(buckets) > 0 {
		return buckets, nil // keys without times: nothing to fill against
	} else {
		origin = time.Unix(0, 0).UTC()
	}
	floor := func(t time.Time) time.Time {
		d := t.Sub(origin) % interval
		if d < 0 {
			d += interval
		}
		return t.Add(-d)
	}
	first, last := time.Time{}, time.Time{}
	if len(buckets) > 0 {
		first, last = buckets[0].Time, buckets[len(buckets)-1].Time
	}
	if !since.IsZero() {
		first = floor(since)
		end := until
		if end.IsZero() {
			end = now
		}
		if end.After(since) {
			last = floor(end.Add(-time.Nanosecond))
		} else {
			last = first
		}
	} else if !until.IsZero() && len(buckets) > 0 {
		last = floor(until.Add(-time.Nanosecond))
	}
	if first.IsZero() || last.Before(first) {
		return buckets, nil
	}
	if n := int64(last.Sub(first)/interval) + 1; n > MaxBuckets {
		return nil, Errorf(EUSAGE, "--interval %s over this window makes %d buckets (at most %d): use a longer interval or a shorter window", interval, n, MaxBuckets)
	}
	counts := make(map[int64]int64, len(buckets))
	for _, b := range buckets {
		counts[b.Time.UnixNano()] += b.Count
	}
	var out []Bucket
	for t := first; !t.After(last); t = t.Add(interval) {
		out = append(out, Bucket{Key: FormatTime(t), Time: t, Count: counts[t.UnixNano()]})
	}
	// Events outside the window (none, for buckets of this filter) are kept.
	for _, b := range buckets {
		if b.Time.Before(first) || b.Time.After(last) {
			out = append(out, b)
		}
	}
	slices.SortStableFunc(out, func(a, b Bucket) int { return a.Time.Compare(b.Time) })
	return out, nil
}
