package store

import (
	"strings"
	"time"

	"github.com/auditctl/auditctl/pkg/audit"
)

// PrefixEnd is the smallest string above every string that starts with p
// (byte order), or false when there is none: "id starts with p" is the key
// range [p, PrefixEnd(p)).
func PrefixEnd(p string) (string, bool) {
	b := []byte(p)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] < 0xff {
			b[i]++
			return string(b[:i+1]), true
		}
	}
	return "", false
}

// AppendBucket appends the histogram bucket starting at t holding n
// events to out (buckets oldest first, interval long), with the empty
// buckets between the last one and t.
func AppendBucket(out []audit.Bucket, t time.Time, n int64, interval time.Duration) []audit.Bucket {
	for len(out) > 0 {
		next := out[len(out)-1].Time.Add(interval)
		if !next.Before(t) {
			break
		}
		out = append(out, audit.Bucket{Key: audit.FormatTime(next), Time: next})
	}
	return append(out, audit.Bucket{Key: audit.FormatTime(t), Time: t, Count: n})
}

// OneEvent is what `logs show ID` finds among the events stored under id
// (an exact id or, when none is, the one id that starts with it): not
// found, the event, or a usage error when several sources hold the id.
func OneEvent(found []*audit.Event, id string) (*audit.Event, error) {
	switch len(found) {
	case 0:
		return nil, audit.Errorf(audit.ENOTFOUND, "no event with id %q in the cache", id)
	case 1:
		return found[0], nil
	}
	var sources []string
	for _, e := range found {
		sources = append(sources, e.Source)
	}
	return nil, audit.Errorf(audit.EUSAGE, "id %q is in several sources (%s): pass --source", found[0].ID, strings.Join(sources, ", "))
}

// Rows is what both stores' drivers return for a query (database/sql's
// *sql.Rows, pgx's Rows).
type Rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
}

// KeysAndIDs reads the rows of a (key, ext_id) query: what `logs show ID`
// looks an id up with.
func KeysAndIDs(rows Rows) ([]int64, []string, error) {
	var keys []int64
	var ids []string
	for rows.Next() {
		var k int64
		var id string
		if err := rows.Scan(&k, &id); err != nil {
			return nil, nil, err
		}
		keys, ids = append(keys, k), append(ids, id)
	}
	return keys, ids, rows.Err()
}

// Span is how many rows there are and the time of the oldest and the
// newest (retention's report).
type Span struct {
	Count          int64
	Oldest, Newest time.Time
}

// Set sets the span from a count and two times in Unix nanoseconds.
func (s *Span) Set(n, oldest, newest int64) {
	s.Count = n
	if n > 0 {
		s.Oldest, s.Newest = time.Unix(0, oldest).UTC(), time.Unix(0, newest).UTC()
	}
}

// SourceSpan is the events of one source: all of them, and those older
// than a cutoff.
type SourceSpan struct {
	Source  string
	All     Span
	Expired Span
}
