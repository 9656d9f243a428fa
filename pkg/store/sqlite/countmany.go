package sqlite

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/auditctl/auditctl/pkg/audit"
)

var _ audit.MultiCounter = (*DB)(nil)

// CountMany counts each filter of fs in one read transaction (the counts
// are of one commit, even while another process imports). A filter that an
// index selects (indexFor, or SQLite's own choice of an index search) is
// counted on its own, reading only its matches; the filters that would
// each read every row of the same window are counted together in one pass
// over it, one count(*) FILTER (WHERE …) each. Over 1,000,000 events, ten
// such filters took 3.6 s together against 5.6 s one by one: the pass
// saves the reading of the rows, not the evaluating of each filter on
// each row, which dominates with the pure-Go SQLite.
func (db *DB) CountMany(ctx context.Context, fs []audit.Filter) ([]int64, error) {
	out := make([]int64, len(fs))
	err := db.inSnapshot(ctx, func(qr querier) error {
		qs := make([]*query, len(fs))
		byWindow := map[[2]int64][]int{}
		var windows [][2]int64
		for i, f := range fs {
			q, err := compileIn(ctx, qr, f) // unpublished rows hidden
			if err != nil {
				return err
			}
			qs[i] = q
			if indexFor(f) == "" && q.from == "events e" {
				scan, err := scans(ctx, qr, q)
				if err != nil {
					return err
				}
				if scan {
					w := [2]int64{f.Since.UnixNano(), f.Until.UnixNano()}
					if f.Since.IsZero() {
						w[0] = 0
					}
					if f.Until.IsZero() {
						w[1] = 0
					}
					if _, ok := byWindow[w]; !ok {
						windows = append(windows, w)
					}
					byWindow[w] = append(byWindow[w], i)
					continue
				}
			}
			if err := qr.QueryRowContext(ctx, "SELECT count(*) FROM "+hinted(f, q)+q.whereSQL(), q.args...).Scan(&out[i]); err != nil {
				return fmt.Errorf("count events: %w", err)
			}
		}
		for _, w := range windows {
			if err := countShared(ctx, qr, fs, qs, byWindow[w], out); err != nil {
				return err
			}
		}
		return nil
	})
	return out, err
}

// hinted is q's FROM clause with the index of indexFor(f) named, when
// there is one and q reads the events table alone.
func hinted(f audit.Filter, q *query) string {
	if idx := indexFor(f); idx != "" && q.from == "events e" {
		return q.from + " INDEXED BY " + idx
	}
	return q.from
}

// CountGroups is CountBy (all groups, largest first) with the index of
// indexFor(f): what a threshold or sequence rule asks to find its
// candidate groups.
func (db *DB) CountGroups(ctx context.Context, f audit.Filter, field audit.Field) ([]audit.Bucket, error) {
	col, ok := column[field]
	if !ok || field == audit.FieldTime || field == audit.FieldDuration {
		return nil, audit.Errorf(audit.EUSAGE, "cannot count by %q", field)
	}
	var out []audit.Bucket
	err := db.inSnapshot(ctx, func(qr querier) error {
		q, err := compileIn(ctx, qr, f)
		if err != nil {
			return err
		}
		rows, err := qr.QueryContext(ctx, "SELECT "+col+", count(*) n FROM "+hinted(f, q)+q.whereSQL()+" GROUP BY "+col+" ORDER BY n DESC, "+col, q.args...)
		if err != nil {
			return fmt.Errorf("count events: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var b audit.Bucket
			if err := rows.Scan(&b.Key, &b.Count); err != nil {
				return fmt.Errorf("count events: %w", err)
			}
			out = append(out, b)
		}
		return rows.Err()
	})
	return out, err
}

// indexFor names the index that selects f's events most narrowly, when f
// has exact values (no wildcard) of an indexed field: action, else actor,
// else service; "" otherwise. Without statistics (no ANALYZE has run on
// the cache) SQLite may pick the status index, whose one value holds most
// rows, and check the other fields row by row.
func indexFor(f audit.Filter) string {
	if !f.Since.IsZero() && !f.Until.IsZero() && f.Until.Sub(f.Since) < 24*time.Hour {
		return "" // a short window: its key range is narrower than any index
	}
	for _, c := range []struct {
		fld audit.Field
		idx string
	}{{audit.FieldAction, "events_action"}, {audit.FieldActor, "events_actor"}, {audit.FieldService, "events_service"}} {
		vs := f.Include[c.fld]
		if len(vs) == 0 {
			continue
		}
		exact := true
		for _, v := range vs {
			exact = exact && !strings.Contains(v, "*")
		}
		if exact {
			return c.idx
		}
	}
	return ""
}

// scans reports whether SQLite would count q by reading every row of its
// time window (a scan, or a search of the primary key's time range)
// rather than by an index search on a column.
func scans(ctx context.Context, qr querier, q *query) (bool, error) {
	rows, err := qr.QueryContext(ctx, "EXPLAIN QUERY PLAN SELECT count(*) FROM "+q.from+q.whereSQL(), q.args...)
	if err != nil {
		return false, fmt.Errorf("count events: %w", err)
	}
	defer rows.Close()
	indexed := false
	for rows.Next() {
		var id, parent, notused int
		var detail string
		if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
			return false, fmt.Errorf("count events: %w", err)
		}
		if strings.HasPrefix(detail, "SEARCH e USING") && strings.Contains(detail, "INDEX") && !strings.Contains(detail, "PRIMARY KEY") {
			indexed = true
		}
	}
	return !indexed, rows.Err()
}

// countShared counts the filters fs[i], i in idx, in one pass.
func countShared(ctx context.Context, qr querier, fs []audit.Filter, qs []*query, idx []int, out []int64) error {
	var cols []string
	var args []any
	var since, until time.Time
	bounded, open := true, true
	for n, i := range idx {
		w := "1"
		if len(qs[i].where) > 0 {
			w = strings.Join(qs[i].where, " AND ")
		}
		cols = append(cols, "count(*) FILTER (WHERE "+w+")")
		args = append(args, qs[i].args...)
		f := fs[i]
		if f.Since.IsZero() {
			bounded = false
		} else if n == 0 || f.Since.Before(since) {
			since = f.Since
		}
		if f.Until.IsZero() {
			open = false
		} else if n == 0 || f.Until.After(until) {
			until = f.Until
		}
	}
	var where []string
	if bounded {
		where, args = append(where, "e.id >= ?"), append(args, keyFloor(since))
	}
	if open {
		where, args = append(where, "e.id < ?"), append(args, keyCeil(until))
	}
	s := "SELECT " + strings.Join(cols, ", ") + " FROM events e"
	if len(where) > 0 {
		s += " WHERE " + strings.Join(where, " AND ")
	}
	dst := make([]any, len(idx))
	for n, i := range idx {
		dst[n] = &out[i]
	}
	if err := qr.QueryRowContext(ctx, s, args...).Scan(dst...); err != nil {
		return fmt.Errorf("count events: %w", err)
	}
	return nil
}
