package sqlite

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/auditctl/auditctl/pkg/audit"
)

var _ audit.MultiCounter = (*DB)(nil)

// CountMany counts each filter of fs, in one read transaction (the counts
// are of one commit, even while another process imports), sharing the
// work: a filter that SQLite answers with an index search (action,
// actor, service, status, workflow, the full-text index) is counted on
// its own, which reads only its matches; the others, which would each read
// every row of their window, are counted together in one pass over the
// union of their windows, one `count(*) FILTER (WHERE …)` per filter.
func (db *DB) CountMany(ctx context.Context, fs []audit.Filter) ([]int64, error) {
	out := make([]int64, len(fs))
	err := db.inSnapshot(ctx, func(qr querier) error {
		// countEvents hides unpublished rows itself; the shared pass
		// once for all its filters
		hidden, err := hasUnpublished(ctx, qr)
		if err != nil {
			return err
		}
		var shared []int
		qs := make([]*query, len(fs))
		for i, f := range fs {
			q, err := compile(f)
			if err != nil {
				return err
			}
			qs[i] = q
			if q.from == "events e" {
				scan, err := scans(ctx, qr, q)
				if err != nil {
					return err
				}
				if scan {
					shared = append(shared, i)
					continue
				}
			}
			if out[i], err = countEvents(ctx, qr, f); err != nil {
				return err
			}
		}
		switch len(shared) {
		case 0:
			return nil
		case 1:
			var err error
			out[shared[0]], err = countEvents(ctx, qr, fs[shared[0]])
			return err
		}
		return countShared(ctx, qr, fs, qs, shared, out, hidden)
	})
	return out, err
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
func countShared(ctx context.Context, qr querier, fs []audit.Filter, qs []*query, idx []int, out []int64, hidden bool) error {
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
	if hidden {
		where = append(where, hiddenCond)
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
