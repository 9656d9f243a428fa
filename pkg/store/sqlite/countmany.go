package sqlite

import (
	"context"
	"database/sql"
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
	// The pass reads on two raw read-only connections (rawread.go) whose
	// read transactions see the commit conn sees; when a writer holds the
	// lock (the snapshot needs it for an instant), on conn alone.
	conn, raws, ok, err := db.verifySnapshot(ctx, 2)
	if err != nil {
		return nil, nil, err
	}
	var readers []passReader
	if ok {
		defer func() {
			conn.ExecContext(context.Background(), "ROLLBACK")
			conn.Close()
			for _, r := range raws {
				r.close()
			}
		}()
		for _, r := range raws {
			readers = append(readers, rawReader(r))
		}
	} else {
		var done func()
		if conn, done, err = db.readConn(ctx); err != nil {
			return nil, nil, err
		}
		defer done()
		readers = []passReader{driverReader(conn)}
	}
	// Each filter is answered by the pass (when it scans, or when its
	// index would lead to many row lookups and a pass happens anyway) or
	// by its own query (later, in the same transaction).
	type job struct {
		f     audit.Filter
		q     *query
		count *int64
		brief int // index in briefs, or -1
	}
	var pass []passReq
	var own, indexed []job
	toPass := func(j job) {
		r := passReq{m: compileMatcher(j.f), count: j.count}
		if j.brief >= 0 {
			i := j.brief
			r.fields = briefs[i].Fields
			r.brief = func(b *audit.Brief) error {
				bout[i] = append(bout[i], b)
				return nil
			}
		}
		pass = append(pass, r)
	}
	classify := func(j job) error {
		q, err := compileIn(ctx, conn, j.f) // unpublished rows hidden
		if err != nil {
			return err
		}
		j.q = q
		switch {
		case q.from != "events e" || !goMatchable(j.f):
			own = append(own, j)
		case indexFor(j.f) != "":
			indexed = append(indexed, j)
		default:
			scan, err := scans(ctx, conn, q)
			if err != nil {
				return err
			}
			if scan {
				toPass(j)
			} else {
				own = append(own, j)
			}
		}
		return nil
	}
	for i, f := range counts {
		if err := classify(job{f: f, count: &out[i], brief: -1}); err != nil {
			return nil, nil, err
		}
	}
	for i, bq := range briefs {
		for _, fld := range bq.Fields {
			if c, ok := column[fld]; !ok || c == "" || fld == audit.FieldTime || fld == audit.FieldDuration {
				return nil, nil, audit.Errorf(audit.EUSAGE, "cannot group by %q", fld)
			}
		}
		if err := classify(job{f: bq.Filter, brief: i}); err != nil {
			return nil, nil, err
		}
	}
	for _, j := range indexed {
		if len(pass) > 0 && !j.q.noIndexes {
			n, err := indexBound(ctx, conn, j.f)
			if err != nil {
				return nil, nil, err
			}
			if n > passLookups {
				toPass(j)
				continue
			}
		}
		own = append(own, j)
	}
	for _, j := range own {
		if j.brief >= 0 {
			i := j.brief
			err := eachBrief(ctx, conn, j.f, j.q, briefs[i].Fields, func(b *audit.Brief) error {
				bout[i] = append(bout[i], b)
				return nil
			})
			if err != nil {
				return nil, nil, err
			}
			continue
		}
		if err := conn.QueryRowContext(ctx, "SELECT count(*) FROM "+hinted(j.f, j.q)+j.q.whereSQL(), j.q.args...).Scan(j.count); err != nil {
			return nil, nil, fmt.Errorf("count events: %w", err)
		}
	}
	if err := onePass(ctx, conn, readers, pass); err != nil {
		return nil, nil, err
	}
	return out, bout, nil
}

// passLookups: an indexed filter whose index holds more entries than this
// in its window joins a pass that reads the window anyway. Reading a row
// by key from the index costs a B-tree descent (microseconds); evaluating
// one more predicate on the pass's rows costs tens of nanoseconds a row,
// about 50 ms per million rows.
var passLookups int64 = 10_000

// indexBound counts the entries of indexFor(f)'s index for f's values in
// f's key range, reading the index alone: an upper bound of f's matches,
// the rows its own query would look up. It stops counting past
// passLookups (the caller asks only whether the bound exceeds it): a
// common action holds hundreds of thousands of entries, and counting them
// all took a tenth of check's CPU over 1,000,000 events.
func indexBound(ctx context.Context, conn *sql.Conn, f audit.Filter) (int64, error) {
	idx := indexFor(f)
	var col string
	var vs []string
	for _, c := range []struct {
		fld audit.Field
		idx string
	}{{audit.FieldAction, "events_action"}, {audit.FieldActor, "events_actor"}, {audit.FieldService, "events_service"}} {
		if c.idx == idx {
			col, vs = column[c.fld], f.Include[c.fld]
		}
	}
	var where []string
	var args []any
	in := strings.TrimSuffix(strings.Repeat("?,", len(vs)), ",")
	where = append(where, col+" IN ("+in+")")
	for _, v := range vs {
		args = append(args, v)
	}
	if !f.Since.IsZero() {
		where, args = append(where, "e.id >= ?"), append(args, keyFloor(f.Since))
	}
	if !f.Until.IsZero() {
		where, args = append(where, "e.id < ?"), append(args, keyCeil(f.Until))
	}
	var n int64
	args = append(args, passLookups+1)
	err := conn.QueryRowContext(ctx, "SELECT count(*) FROM (SELECT 1 FROM events e INDEXED BY "+idx+" WHERE "+strings.Join(where, " AND ")+" LIMIT ?)", args...).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count events: %w", err)
	}
	return n, nil
}

// hinted is q's FROM clause with the index of indexFor(f) named, when
// there is one and q reads the events table alone.
func hinted(f audit.Filter, q *query) string {
	if idx := indexFor(f); idx != "" && q.from == "events e" && !q.noIndexes {
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
