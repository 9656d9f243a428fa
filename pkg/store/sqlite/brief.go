package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/auditctl/auditctl/pkg/audit"
)

var _ audit.BriefStreamer = (*DB)(nil)

// EachBrief streams the matches of f, oldest first, as Briefs: the key,
// id, source and time of each, and the values of fields, read from the
// events table alone (no documents, no conversion of the other columns).
func (db *DB) EachBrief(ctx context.Context, f audit.Filter, fields []audit.Field, fn func(*audit.Brief) error) error {
	conn, done, err := db.readConn(ctx)
	if err != nil {
		return err
	}
	defer done()
	q, err := compileIn(ctx, conn, f) // unpublished rows hidden
	if err != nil {
		return err
	}
	return eachBrief(ctx, conn, f, q, fields, fn)
}

// eachBrief is EachBrief on conn, in its read transaction, with f
// compiled as q.
func eachBrief(ctx context.Context, conn *sql.Conn, f audit.Filter, q *query, fields []audit.Field, fn func(*audit.Brief) error) error {
	cols := []string{q.keyCol, "e.ext_id", "e.source", "e.time_ns"}
	for _, fld := range fields {
		c, ok := column[fld]
		if !ok || fld == audit.FieldTime || fld == audit.FieldDuration {
			return audit.Errorf(audit.EUSAGE, "cannot group by %q", fld)
		}
		cols = append(cols, c)
	}
	rows, err := conn.QueryContext(ctx, "SELECT "+strings.Join(cols, ", ")+" FROM "+hinted(f, q)+q.whereSQL()+" ORDER BY "+q.keyCol, q.args...)
	if err != nil {
		return fmt.Errorf("query events: %w", err)
	}
	defer rows.Close()
	vals := make([]string, len(fields))
	dest := make([]any, 0, len(cols))
	var b audit.Brief
	var ns int64
	dest = append(dest, &b.Key, &b.ID, &b.Source, &ns)
	for i := range vals {
		dest = append(dest, &vals[i])
	}
	for n := 0; rows.Next(); n++ {
		if n&1023 == 1023 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		if err := rows.Scan(dest...); err != nil {
			return fmt.Errorf("query events: %w", err)
		}
		b.Time = time.Unix(0, ns).UTC()
		b.Values = append([]string(nil), vals...)
		if err := fn(&audit.Brief{Key: b.Key, ID: b.ID, Source: b.Source, Time: b.Time, Values: b.Values}); err != nil {
			return err
		}
	}
	return rows.Err()
}

// EventsByKey returns the events with these keys (at most 500 at a time
// are asked for in one query).
func (db *DB) EventsByKey(ctx context.Context, keys []int64) ([]*audit.Event, error) {
	conn, done, err := db.readConn(ctx)
	if err != nil {
		return nil, err
	}
	defer done()
	var out []*audit.Event
	for len(keys) > 0 {
		n := min(len(keys), 500)
		evs, err := eventsByKey(ctx, conn, keys[:n])
		if err != nil {
			return nil, err
		}
		out = append(out, evs...)
		keys = keys[n:]
	}
	return out, nil
}
