package sqlite

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/auditctl/auditctl/pkg/audit"
)

var _ audit.MultiCounter = (*DB)(nil)

var _ audit.MultiScanner = (*DB)(nil)

// CountMany counts each filter of fs in one read transaction (the counts
// are of one commit, even while another process imports). See ScanMany.
func (db *DB) CountMany(ctx context.Context, fs []audit.Filter) ([]int64, error) {
	out, _, err := db.ScanMany(ctx, fs, nil)
	return out, err
}

// ScanMany counts each filter of counts and gathers the Briefs of each
// query of briefs, in one read transaction. A filter that an index
// selects (indexFor, or SQLite's own choice of an index search) is read
// on its own, reading only its matches; the filters that would each read
// every row of their window (no selective index, no full-text term) are
// all answered by one pass over the union of their windows (onePass),
// reading only the key and the columns they name, the filters evaluated
// in Go. Over 1,000,000 events a pass with SQLite evaluating ten such
// filters (count(*) FILTER (WHERE …) each) took 3.6 s, and the filters
// of different windows could not share it; see docs/performance.md.
func (db *DB) ScanMany(ctx context.Context, counts []audit.Filter, briefs []audit.BriefQuery) ([]int64, [][]*audit.Brief, error) {
	out := make([]int64, len(counts))
	bout := make([][]*audit.Brief, len(briefs))
	conn, done, err := db.readConn(ctx)
	if err != nil {
		return nil, nil, err
	}
	defer done()
	var pass []passReq
	// shared reports whether f's query q is best answered by the pass.
	shared := func(f audit.Filter, q *query) (bool, error) {
		if indexFor(f) != "" || q.from != "events e" || !goMatchable(f) {
			return false, nil
		}
		return scans(ctx, conn, q)
	}
	for i, f := range counts {
		q, err := compileIn(ctx, conn, f) // unpublished rows hidden
		if err != nil {
			return nil, nil, err
		}
		if ok, err := shared(f, q); err != nil {
			return nil, nil, err
		} else if ok {
			pass = append(pass, passReq{m: compileMatcher(f), count: &out[i]})
			continue
		}
		if err := conn.QueryRowContext(ctx, "SELECT count(*) FROM "+hinted(f, q)+q.whereSQL(), q.args...).Scan(&out[i]); err != nil {
			return nil, nil, fmt.Errorf("count events: %w", err)
		}
	}
	for i, bq := range briefs {
		for _, fld := range bq.Fields {
			if c, ok := column[fld]; !ok || c == "" || fld == audit.FieldTime || fld == audit.FieldDuration {
				return nil, nil, audit.Errorf(audit.EUSAGE, "cannot group by %q", fld)
			}
		}
		collect := func(b *audit.Brief) error {
			bout[i] = append(bout[i], b)
			return nil
		}
		q, err := compileIn(ctx, conn, bq.Filter)
		if err != nil {
			return nil, nil, err
		}
		if ok, err := shared(bq.Filter, q); err != nil {
			return nil, nil, err
		} else if ok {
			pass = append(pass, passReq{m: compileMatcher(bq.Filter), fields: bq.Fields, brief: collect})
			continue
		}
		if err := eachBrief(ctx, conn, bq.Filter, q, bq.Fields, collect); err != nil {
			return nil, nil, err
		}
	}
	if err := onePass(ctx, conn, pass); err != nil {
		return nil, nil, err
	}
	return out, bout, nil
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
