package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"strings"
	"time"

	"github.com/auditctl/auditctl/pkg/audit"
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

// onePass reads the rows of the union of the requests' windows once, in
// key order, on conn (in its read transaction, unpublished rows hidden),
// selecting only the key and the columns the matchers and Briefs need
// (never the documents), and feeds every request from the same rows.
//
// Filters that each scan their window cost, in SQL, a pass each (or one
// pass evaluating every filter's WHERE in the transpiled SQLite per row);
// here SQLite only produces the narrow rows and the filters run as Go
// predicates (see matcher).
func onePass(ctx context.Context, conn *sql.Conn, reqs []passReq) error {
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
		for i := range r.m.conds {
			r.m.conds[i].pos = pos[r.m.conds[i].col]
		}
	}
	var where []string
	var args []driver.NamedValue
	if bounded {
		where = append(where, "e.id >= ?")
		args = append(args, driver.NamedValue{Ordinal: len(args) + 1, Value: lo})
	}
	if capped {
		where = append(where, "e.id < ?")
		args = append(args, driver.NamedValue{Ordinal: len(args) + 1, Value: hi})
	}
	hide, err := hasUnpublished(ctx, conn)
	if err != nil {
		return err
	}
	if hide {
		where = append(where, hiddenCond)
	}
	q := "SELECT " + strings.Join(cols, ", ") + " FROM events e"
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY e.id"
	counts := make([]int64, len(reqs))
	groupPos := make([][]int, len(reqs))
	for i, r := range reqs {
		for _, f := range r.fields {
			groupPos[i] = append(groupPos[i], pos[column[f]])
		}
	}
	idPos, srcPos, nsPos := pos["e.ext_id"], pos["e.source"], pos["e.time_ns"]
	err = conn.Raw(func(dc any) error {
		return eachDriverRow(ctx, dc, "count events", q, args, func(row []driver.Value) error {
			key, _ := row[0].(int64)
			for i := range reqs {
				r := &reqs[i]
				if !r.m.match(key, row, pos) {
					continue
				}
				counts[i]++
				if r.brief == nil {
					continue
				}
				ns, _ := row[nsPos].(int64)
				b := &audit.Brief{Key: key, ID: driverString(row[idPos]), Source: driverString(row[srcPos]), Time: time.Unix(0, ns).UTC()}
				if len(groupPos[i]) > 0 {
					b.Values = make([]string, len(groupPos[i]))
					for j, p := range groupPos[i] {
						b.Values[j] = driverString(row[p])
					}
				}
				if err := r.brief(b); err != nil {
					return err
				}
			}
			return nil
		})
	})
	if err != nil {
		return err
	}
	for i, r := range reqs {
		if r.count != nil {
			*r.count = counts[i]
		}
	}
	return nil
}
