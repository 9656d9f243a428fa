package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/auditctl/auditctl/pkg/audit"
)

// groupIndexes name, for each field with an index of its own over every
// row, that index: it holds the values in order, so a count by the field
// streams the index with no sort (docs/cache.md).
var groupIndexes = map[audit.Field]string{
	audit.FieldAction: "events_action", audit.FieldActor: "events_actor",
	audit.FieldService: "events_service", audit.FieldStatus: "events_status",
}

// halvesMinBytes is the size of cache under which a count by a field is
// one statement on one connection: two more connections cost ~1 ms each,
// and a small cache's whole count takes less. (A variable for the tests.)
var halvesMinBytes int64 = 32 << 20

// countByHalves is countBy on two connections over the same snapshot, each
// counting the groups of one half of the field's index (values below a
// split value and the rest, NOCASE as the index orders them), on two
// cores: what `logs count --by actor` costs is stepping every entry of the
// index in the transpiled SQLite (docs/performance.md, "Issue 13: reads and
// start-up"). The groups of the two halves are disjoint, so the result is
// theirs together, ordered as countBy's SQL orders them. It returns
// ok=false, having done nothing, when the field has no such index, the
// cache is small, or a writer holds the lock (the snapshot needs it for an
// instant); and the count of one statement on one of the pair when SQLite
// would not stream the index (another index or the full-text index drive
// the filter).
func (db *DB) countByHalves(ctx context.Context, f audit.Filter, field audit.Field, limit int) (out []audit.Bucket, total int64, ok bool, err error) {
	idx, indexed := groupIndexes[field]
	if !indexed {
		return nil, 0, false, nil
	}
	if st, err := os.Stat(db.path); err != nil || st.Size() < halvesMinBytes {
		return nil, 0, false, nil
	}
	a, b, ok, err := db.snapshotPair(ctx)
	if err != nil || !ok {
		return nil, 0, false, err
	}
	defer func() {
		for _, c := range []*sql.Conn{a, b} {
			c.ExecContext(context.Background(), "ROLLBACK")
			c.Close()
		}
	}()
	q, err := compileIn(ctx, a, f)
	if err != nil {
		return nil, 0, true, err
	}
	col := column[field]
	group := "SELECT " + col + ", count(*) FROM " + q.from + q.whereSQL()
	if streams, err := usesIndex(ctx, a, group+" GROUP BY "+col, q.args, idx); err != nil || !streams {
		if err == nil {
			out, total, err = countBy(ctx, a, f, field, limit, true)
		}
		return out, total, true, err
	}
	split, err := splitValue(ctx, a, col)
	if err != nil {
		return nil, 0, true, err
	}
	and := " WHERE "
	if len(q.where) > 0 {
		and = " AND "
	}
	halves := [2]struct {
		conn    *sql.Conn
		cond    string
		buckets []audit.Bucket
		err     error
	}{{conn: a, cond: col + " < ?"}, {conn: b, cond: col + " >= ?"}}
	done := make(chan struct{})
	for i := range halves {
		h := &halves[i]
		go func() {
			defer func() { done <- struct{}{} }()
			h.buckets, h.err = groups(ctx, h.conn, group+and+h.cond+" GROUP BY "+col, append(slices.Clone(q.args), split))
		}()
	}
	<-done
	<-done
	for _, h := range halves {
		if h.err != nil {
			return nil, 0, true, fmt.Errorf("count by %s: %w", field, h.err)
		}
		out = append(out, h.buckets...)
	}
	for _, bk := range out {
		total += bk.Count
	}
	// countBy's ORDER BY n DESC, col: the column's collation is NOCASE, and
	// no two groups are NOCASE-equal, so the order is total.
	slices.SortFunc(out, func(x, y audit.Bucket) int {
		if c := cmp.Compare(y.Count, x.Count); c != 0 {
			return c
		}
		return nocaseCompare(x.Key, y.Key)
	})
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, total, true, nil
}

// usesIndex reports whether SQLite runs query by reading the whole of
// index (a scan of it, not a search of a range of it).
func usesIndex(ctx context.Context, c *sql.Conn, query string, args []any, index string) (bool, error) {
	rows, err := c.QueryContext(ctx, "EXPLAIN QUERY PLAN "+query, args...)
	if err != nil {
		return false, err
	}
	defer rows.Close()
	scan := false
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			return false, err
		}
		if strings.HasPrefix(detail, "SCAN e USING COVERING INDEX "+index) || strings.HasPrefix(detail, "SCAN events USING COVERING INDEX "+index) {
			scan = true
		}
	}
	return scan, rows.Err()
}

// splitValue is the median of col over 31 rows taken at even steps of the
// key (time) range: about half the index's entries lie below it.
func splitValue(ctx context.Context, c *sql.Conn, col string) (string, error) {
	// (min and max in one SELECT would scan the table: each on its own is one
	// seek to an end of the key.)
	var lo, hi sql.NullInt64
	if err := c.QueryRowContext(ctx, "SELECT (SELECT min(id) FROM events), (SELECT max(id) FROM events)").Scan(&lo, &hi); err != nil {
		return "", err
	}
	if !lo.Valid {
		return "", nil
	}
	const n = 31
	vals := make([]string, 0, n)
	for i := 1; i <= n; i++ {
		at := lo.Int64 + int64(float64(hi.Int64-lo.Int64)*float64(i)/float64(n+1))
		var v string
		err := c.QueryRowContext(ctx, "SELECT "+strings.TrimPrefix(col, "e.")+" FROM events WHERE id >= ? ORDER BY id LIMIT 1", at).Scan(&v)
		if err != nil && err != sql.ErrNoRows {
			return "", err
		}
		vals = append(vals, v)
	}
	slices.SortFunc(vals, nocaseCompare)
	return vals[len(vals)/2], nil
}

// groups reads the (value, count) rows of a GROUP BY.
func groups(ctx context.Context, c *sql.Conn, query string, args []any) ([]audit.Bucket, error) {
	rows, err := c.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []audit.Bucket
	for rows.Next() {
		var bk audit.Bucket
		if err := rows.Scan(&bk.Key, &bk.Count); err != nil {
			return nil, err
		}
		out = append(out, bk)
	}
	return out, rows.Err()
}

// nocaseCompare orders a and b as SQLite's NOCASE collation does: the
// bytes of the shorter length compared with ASCII letters folded (up to a
// NUL, as sqlite3StrNICmp), then the lengths.
func nocaseCompare(a, b string) int {
	for i := range min(len(a), len(b)) {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return int(x) - int(y)
		}
		if x == 0 {
			break // SQLite compares C strings: a NUL ends both
		}
	}
	return len(a) - len(b)
}
