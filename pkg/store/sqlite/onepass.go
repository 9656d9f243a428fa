package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/auditctl/auditctl/pkg/audit"

	sqlite3 "modernc.org/sqlite/lib"
)

// passReq is what one filter asks of a shared pass: its count (count
// non-nil), and/or its matches as Briefs with the values of fields
// (brief non-nil).
type passReq struct {
	m      *matcher
	count  *int64
	fields []audit.Field
	brief  func(*audit.Brief) error
}

// onePass reads the rows of the union of the requests' windows once, on
// conns (each in a read transaction of the same commit, unpublished rows
// hidden), selecting only the key and the columns the matchers and Briefs
// need (never the documents), and feeds every request from the same rows.
// With two connections the window is cut into key ranges that two readers
// take in turn; counts are summed and Briefs handed over in key order.
//
// Filters that each scan their window cost, in SQL, a pass each (or one
// pass evaluating every filter's WHERE in the transpiled SQLite per row);
// here SQLite only produces the narrow rows and the filters run as Go
// predicates (see matcher).
func onePass(ctx context.Context, conn *sql.Conn, readers []passReader, reqs []passReq) error {
	if len(reqs) == 0 {
		return nil
	}
	cols := []string{"e.id"}
	pos := map[string]int{"e.id": 0}
	need := func(c string) {
		if _, ok := pos[c]; !ok {
			pos[c] = len(cols)
			cols = append(cols, c)
		}
	}
	var lo, hi int64
	bounded, capped := true, true
	for i, r := range reqs {
		for _, c := range r.m.columns() {
			need(c)
		}
		if r.brief != nil {
			need("e.ext_id")
			need("e.source")
			need("e.time_ns")
			for _, f := range r.fields {
				need(column[f])
			}
		}
		if !r.m.hasLo {
			bounded = false
		} else if i == 0 || r.m.lo < lo {
			lo = r.m.lo
		}
		if !r.m.hasHi {
			capped = false
		} else if i == 0 || r.m.hi > hi {
			hi = r.m.hi
		}
	}
	for _, r := range reqs {
		r.m.place(pos)
	}
	hide, err := hasUnpublished(ctx, conn)
	if err != nil {
		return err
	}
	if !bounded || !capped {
		var min, max sql.NullInt64
		if err := conn.QueryRowContext(ctx, "SELECT min(id), max(id) FROM events").Scan(&min, &max); err != nil {
			return fmt.Errorf("count events: %w", err)
		}
		if !min.Valid {
			return nil // no events: every count is 0
		}
		if !bounded {
			lo = min.Int64
		}
		if !capped {
			hi = max.Int64 + 1
		}
	}
	if lo >= hi {
		return nil
	}
	// parts: key ranges, in order; a single one with one connection
	parts := [][2]int64{{lo, hi}}
	if len(readers) > 1 && hi-lo > passParts {
		parts = parts[:0]
		width := (hi - lo + passParts - 1) / passParts
		for a := lo; a < hi; a += width {
			parts = append(parts, [2]int64{a, min(a+width, hi)})
		}
	}
	q := "SELECT " + strings.Join(cols, ", ") + " FROM events e WHERE e.id >= ? AND e.id < ?"
	if hide {
		q += " AND " + hiddenCond
	}
	q += " ORDER BY e.id"
	groupPos := make([][]int, len(reqs))
	for i, r := range reqs {
		for _, f := range r.fields {
			groupPos[i] = append(groupPos[i], pos[column[f]])
		}
	}
	idPos, srcPos, nsPos := pos["e.ext_id"], pos["e.source"], pos["e.time_ns"]
	// per part: each request's count and Briefs
	type result struct {
		counts []int64
		briefs [][]*audit.Brief
	}
	results := make([]result, len(parts))
	read := func(rd passReader, p int) error {
		res := result{counts: make([]int64, len(reqs)), briefs: make([][]*audit.Brief, len(reqs))}
		err := rd(ctx, q, parts[p][0], parts[p][1], func(key int64, row rowReader) error {
			for i := range reqs {
				r := &reqs[i]
				if !r.m.match(key, row) {
					continue
				}
				res.counts[i]++
				if r.brief == nil {
					continue
				}
				ns, _ := row.intAt(nsPos)
				b := &audit.Brief{Key: key, ID: strings.Clone(row.textAt(idPos)), Source: strings.Clone(row.textAt(srcPos)), Time: time.Unix(0, ns).UTC()}
				if len(groupPos[i]) > 0 {
					b.Values = make([]string, len(groupPos[i]))
					for j, gp := range groupPos[i] {
						b.Values[j] = strings.Clone(row.textAt(gp))
					}
				}
				res.briefs[i] = append(res.briefs[i], b)
			}
			return nil
		})
		results[p] = res
		return err
	}
	var next atomic.Int64
	errs := make([]error, len(readers))
	var wg sync.WaitGroup
	for w, c := range readers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				p := int(next.Add(1) - 1)
				if p >= len(parts) || ctx.Err() != nil {
					return
				}
				if err := read(c, p); err != nil {
					errs[w] = err
					next.Store(int64(len(parts))) // the other reader stops too
					return
				}
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	for i, r := range reqs {
		var n int64
		for _, res := range results {
			n += res.counts[i]
			if r.brief == nil {
				continue
			}
			for _, b := range res.briefs[i] {
				if err := r.brief(b); err != nil {
					return err
				}
			}
		}
		if r.count != nil {
			*r.count = n
		}
	}
	return nil
}

// passParts is how many key ranges a pass with two readers is cut into
// (each reader takes the next when done: a part of dense keys does not
// leave the other idle).
const passParts = 16

// passReader runs q (its parameters: a key range [from, to)) and calls fn
// with each row's key and the row.
type passReader func(ctx context.Context, q string, from, to int64, fn func(int64, rowReader) error) error

// driverReader reads through the driver connection conn.
func driverReader(conn *sql.Conn) passReader {
	return func(ctx context.Context, q string, from, to int64, fn func(int64, rowReader) error) error {
		args := []driver.NamedValue{{Ordinal: 1, Value: from}, {Ordinal: 2, Value: to}}
		return conn.Raw(func(dc any) error {
			return eachDriverRow(ctx, dc, "count events", q, args, func(row []driver.Value) error {
				key, _ := row[0].(int64)
				return fn(key, driverRow(row))
			})
		})
	}
}

// rawReader reads on the raw connection c (rawread.go): no driver mutex,
// and no copy of the values the filters look at.
func rawReader(c *rawConn) passReader {
	return func(ctx context.Context, q string, from, to int64, fn func(int64, rowReader) error) error {
		st, err := c.prepare(q)
		if err != nil {
			return fmt.Errorf("count events: %w", err)
		}
		defer st.close()
		if err := st.bind(from, to); err != nil {
			return err
		}
		row := newRawRow(st, int(sqlite3.Xsqlite3_column_count(c.tls, st.st)))
		for n := 0; ; n++ {
			if n&1023 == 1023 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			ok, err := st.step()
			if err != nil || !ok {
				return err
			}
			row.next()
			if err := fn(st.int64(0), row); err != nil {
				return err
			}
		}
	}
}
