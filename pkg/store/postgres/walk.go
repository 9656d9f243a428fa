package postgres

import (
	"context"
	"fmt"

	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/store"
	"github.com/jackc/pgx/v5"
)

// The newest matches of a filter with no lower time bound (the window
// notice's "N more events before the window", `logs list --all`'s first
// page) are read a month at a time, newest month first, stopping once the
// page is full and the count has reached its cap. One statement over
// every month would do the same work at run time (the index scans stop
// early), but PostgreSQL plans every partition it might read, and a new
// connection (every command is one) loads each planned partition's
// catalog entries first: on a store that keeps many months that planning
// was most of the time of such a query. A month planned alone costs one
// partition's.

// walksMonths reports whether FindEvents reads page p of q month by month:
// the first page of the newest matches (key descending), with no lower key
// bound, and a total that is not needed or counted only up to a cap.
func walksMonths(q *store.Query, p audit.Page) bool {
	newestFirst := len(p.Sort) == 0 || (len(p.Sort) == 1 && p.Sort[0].Field == audit.FieldTime && p.Sort[0].Desc)
	return newestFirst && q.KeyCol == "e.id" && q.KeyMin == nil && p.Limit > 0 && p.Offset == 0 && p.After == nil &&
		(p.NoTotal || p.CountUpTo > 0)
}

// findByMonth is FindEvents for a query walksMonths accepts, in tx.
func findByMonth(ctx context.Context, tx pgx.Tx, q *store.Query, p audit.Page) ([]*audit.Event, int, error) {
	months, err := partitions(ctx, tx)
	if err != nil {
		return nil, 0, fmt.Errorf("list months: %w", err)
	}
	var events []*audit.Event
	counted, countLeft := 0, p.CountUpTo // the matches counted in the months read, and how many more the cap allows
	if p.NoTotal {
		countLeft = 0
	}
	for i := len(months) - 1; i >= 0 && (len(events) < p.Limit || countLeft > 0); i-- {
		m := months[i]
		if q.KeyMax != nil && m.lo >= *q.KeyMax {
			continue
		}
		mq := inMonth(q, m)
		read := 0
		if need := p.Limit - len(events); need > 0 {
			err := eachRow(ctx, tx, mq, audit.Page{Limit: need}, func(e *audit.Event) error {
				events = append(events, e)
				read++
				return nil
			})
			if err != nil {
				return nil, 0, err
			}
			if read < need { // the month holds no more: its count is what it gave
				n := min(read, countLeft)
				counted, countLeft = counted+n, countLeft-n
				continue
			}
		}
		if countLeft > 0 {
			var n int
			c := fmt.Sprintf("SELECT count(*) FROM (SELECT 1 FROM %s%s LIMIT %d) c", mq.From, mq.WhereSQL(), countLeft)
			if err := tx.QueryRow(ctx, rebind(c), mq.Args...).Scan(&n); err != nil {
				return nil, 0, fmt.Errorf("count events: %w", err)
			}
			counted, countLeft = counted+n, countLeft-n
		}
	}
	total := -1
	switch {
	case p.NoTotal:
	case len(events) < p.Limit:
		total = len(events) // the page holds them all
	default:
		total = counted
	}
	return events, total, nil
}

// inMonth is q restricted to the keys of month m.
func inMonth(q *store.Query, m month) *store.Query {
	mq := *q
	mq.Where = append(append([]string(nil), q.Where...), "e.id >= ?", "e.id < ?")
	mq.Args = append(append([]any(nil), q.Args...), m.lo, m.hi)
	lo, hi := m.lo, m.hi
	if q.KeyMax != nil {
		hi = min(hi, *q.KeyMax)
	}
	mq.KeyMin, mq.KeyMax = &lo, &hi
	return &mq
}
