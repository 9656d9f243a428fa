package sqlite

import (
	"context"
	"fmt"

	"github.com/auditctl/auditctl/pkg/audit"
)

// EventsAfter returns up to limit events whose key is above after, in key
// order, with their keys (keys[i] is events[i]'s): what `db copy` reads a
// cache with, slice by slice, so that each event keeps its key in the
// store it is copied to. Rows readers do not see (an unfinished import, a
// running retention) are left out. Both lists are read in one read
// transaction.
func (db *DB) EventsAfter(ctx context.Context, after int64, limit int) (keys []int64, events []*audit.Event, err error) {
	conn, done, err := db.readConn(ctx)
	if err != nil {
		return nil, nil, err
	}
	defer done()
	q, err := compileIn(ctx, conn, audit.Filter{})
	if err != nil {
		return nil, nil, err
	}
	q.where, q.args = append(q.where, q.keyCol+" > ?"), append(q.args, after)
	p := audit.Page{Limit: limit, Sort: []audit.SortKey{{Field: audit.FieldTime}}}
	order, err := q.orderSQL(p)
	if err != nil {
		return nil, nil, err
	}
	rows, err := conn.QueryContext(ctx, "SELECT "+q.keyCol+" FROM "+q.from+q.whereSQL()+order, q.args...)
	if err != nil {
		return nil, nil, fmt.Errorf("read keys: %w", err)
	}
	for rows.Next() {
		var k int64
		if err := rows.Scan(&k); err != nil {
			rows.Close()
			return nil, nil, err
		}
		keys = append(keys, k)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}
	err = eachRow(ctx, conn, q, p, func(e *audit.Event) error {
		events = append(events, e)
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	if len(keys) != len(events) {
		return nil, nil, fmt.Errorf("read events after %d: %d keys, %d events", after, len(keys), len(events))
	}
	return keys, events, nil
}
