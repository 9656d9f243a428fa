package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/store"
	"github.com/jackc/pgx/v5"
)

// compile compiles f for PostgreSQL.
func compile(f audit.Filter) (*store.Query, error) { return store.Compile(f, dialect{}) }

// inSnapshot runs fn in one read-only REPEATABLE READ transaction: every
// query fn makes sees the same commits (a page and its total, a count and
// its groups).
func (db *DB) inSnapshot(ctx context.Context, fn func(pgx.Tx) error) error {
	tx, err := db.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return db.wrap(err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	if err := fn(tx); err != nil {
		return db.wrap(err)
	}
	return db.wrap(tx.Commit(ctx))
}

const selectCols = `e.ext_id, e.source, e.time_ns, e.service, e.action, e.category, e.workflow_id, e.workflow_type,
	e.actor, e.actor_id, e.actor_type, e.target, e.target_id, e.target_type, e.ip, e.client, e.user_agent,
	e.status, e.error, e.duration_ms, e.tenant, e.description,
	d.geo::text, d.params::text, d.custom::text, d.before::text, d.after::text, d.raw::text`

// fromDocs is q's FROM with event_docs joined (once).
func fromDocs(q *store.Query) string {
	if q.Docs {
		return q.From
	}
	return q.From + docsJoin(q)
}

// docsJoin joins event_docs as d, with the events' key range repeated on
// d.id: the planner derives d.id = e.id but not the range, so without it
// every month of event_docs is planned, and on a new connection (every
// command is one) each partition planned first loads its catalog entries.
func docsJoin(q *store.Query) string {
	on := " JOIN event_docs d ON d.id = e.id"
	if q.KeyMin != nil {
		on += " AND d.id >= " + strconv.FormatInt(*q.KeyMin, 10)
	}
	if q.KeyMax != nil {
		on += " AND d.id < " + strconv.FormatInt(*q.KeyMax, 10)
	}
	return on
}

// eachRow runs the events query of q in tx and calls fn with each event.
func eachRow(ctx context.Context, tx pgx.Tx, q *store.Query, p audit.Page, fn func(*audit.Event) error) error {
	order, err := store.OrderSQL(dialect{}, q.KeyCol, p)
	if err != nil {
		return err
	}
	rows, err := tx.Query(ctx, rebind("SELECT "+selectCols+" FROM "+fromDocs(q)+q.WhereSQL()+order), q.Args...)
	if err != nil {
		return fmt.Errorf("query events: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		e, err := scanEvent(rows)
		if err != nil {
			return err
		}
		if err := fn(e); err != nil {
			return err
		}
	}
	return rows.Err()
}

// scanEvent reads an event from a row of selectCols, then into tail the
// columns that follow them.
func scanEvent(rows pgx.Rows, tail ...any) (*audit.Event, error) {
	e := &audit.Event{}
	var status string
	var ns int64
	var dur *int64
	var docs [6]*string
	dest := append([]any{&e.ID, &e.Source, &ns, &e.Service, &e.Action, &e.Category, &e.WorkflowID, &e.WorkflowType,
		&e.Actor, &e.ActorID, &e.ActorType, &e.Target, &e.TargetID, &e.TargetType, &e.IP, &e.Client, &e.UserAgent,
		&status, &e.Error, &dur, &e.Tenant, &e.Description,
		&docs[0], &docs[1], &docs[2], &docs[3], &docs[4], &docs[5]}, tail...)
	if err := rows.Scan(dest...); err != nil {
		return nil, err
	}
	e.Status = audit.Status(status)
	e.Time = time.Unix(0, ns).UTC()
	if dur != nil {
		e.DurationMS = audit.Ms(*dur)
	}
	doc := func(s *string) json.RawMessage {
		if s == nil || *s == "" {
			return nil
		}
		return json.RawMessage(*s)
	}
	e.Geo, e.Params, e.Custom, e.Before, e.After, e.Raw = doc(docs[0]), doc(docs[1]), doc(docs[2]), doc(docs[3]), doc(docs[4]), doc(docs[5])
	return e, nil
}

// after narrows q to the rows past p.After in p's order (a key range).
func after(ctx context.Context, tx pgx.Tx, q *store.Query, p audit.Page) error {
	if err := p.CheckCursor(); err != nil || p.After == nil {
		return err
	}
	c := p.After
	var key int64
	err := tx.QueryRow(ctx, "SELECT id FROM event_ids WHERE source = $1 AND ext_id = $2", c.Source, c.ID).Scan(&key)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		if key, err = store.EventKey(c.Time, c.Source, c.ID); err != nil {
			return audit.Errorf(audit.EUSAGE, "page cursor: %v", err)
		}
	case err != nil:
		return fmt.Errorf("page cursor: %w", err)
	}
	op := " > ?"
	if desc, _ := p.TimeOrder(); desc {
		op = " < ?"
	}
	q.Where = append(slices.Clip(q.Where), q.KeyCol+op)
	q.Args = append(slices.Clip(q.Args), key)
	return nil
}

// FindEvents returns one page of matching events and the number of all
// matching events, in one snapshot.
func (db *DB) FindEvents(ctx context.Context, f audit.Filter, p audit.Page) (events []*audit.Event, total int, err error) {
	q, err := compile(f)
	if err != nil {
		return nil, 0, err
	}
	err = db.inSnapshot(ctx, func(tx pgx.Tx) error {
		if walksMonths(q, p) {
			events, total, err = findByMonth(ctx, tx, q, p)
			return err
		}
		whole := *q
		if err := after(ctx, tx, q, p); err != nil {
			return err
		}
		if err := eachRow(ctx, tx, q, p, func(e *audit.Event) error {
			events = append(events, e)
			return nil
		}); err != nil {
			return err
		}
		total = -1
		if p.NoTotal {
			return nil
		}
		if p.Offset == 0 && p.After == nil && (p.Limit == 0 || len(events) < p.Limit) {
			total = len(events)
			return nil
		}
		count := "SELECT count(*) FROM " + whole.From + whole.WhereSQL()
		if p.CountUpTo > 0 {
			count = fmt.Sprintf("SELECT count(*) FROM (SELECT 1 FROM %s%s LIMIT %d) c", whole.From, whole.WhereSQL(), p.CountUpTo)
		}
		if err := tx.QueryRow(ctx, rebind(count), whole.Args...).Scan(&total); err != nil {
			return fmt.Errorf("count events: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, 0, err
	}
	return events, total, nil
}

// EachEvent streams every matching event in page order, in one snapshot.
func (db *DB) EachEvent(ctx context.Context, f audit.Filter, p audit.Page, fn func(*audit.Event) error) error {
	q, err := compile(f)
	if err != nil {
		return err
	}
	return db.inSnapshot(ctx, func(tx pgx.Tx) error {
		if err := after(ctx, tx, q, p); err != nil {
			return err
		}
		return eachRow(ctx, tx, q, p, fn)
	})
}

// FindEventByID returns the event with that id or, when no id is exactly
// that, the one event whose id starts with it; as the SQLite store does.
func (db *DB) FindEventByID(ctx context.Context, id, source string) (ev *audit.Event, err error) {
	if id == "" {
		return nil, audit.Errorf(audit.EUSAGE, "empty event id")
	}
	err = db.inSnapshot(ctx, func(tx pgx.Tx) error {
		where, args := "", []any{}
		if source != "" {
			where, args = " AND source = ?", append(args, source)
		}
		keys, ids, err := lookup(ctx, tx, "SELECT id, ext_id FROM event_ids WHERE ext_id = ?"+where+" LIMIT 10", append([]any{id}, args...))
		if err != nil {
			return err
		}
		prefix, cond, pargs := false, "", []any(nil)
		if len(keys) == 0 {
			cond, pargs = "ext_id >= ?", []any{id}
			if next, ok := store.PrefixEnd(id); ok {
				cond, pargs = cond+" AND ext_id < ?", append(pargs, next)
			}
			keys, ids, err = lookup(ctx, tx, "SELECT id, ext_id FROM event_ids WHERE "+cond+where+" ORDER BY ext_id LIMIT 10", append(pargs, args...))
			if err != nil {
				return err
			}
			prefix = true
		}
		if prefix && len(ids) > 0 && slices.ContainsFunc(ids, func(s string) bool { return s != ids[0] }) {
			var n int
			if err := tx.QueryRow(ctx, rebind("SELECT count(*) FROM event_ids WHERE "+cond+where), append(pargs, args...)...).Scan(&n); err != nil {
				return fmt.Errorf("find event: %w", err)
			}
			return audit.Ambiguous(n, "events", id, slices.Compact(ids))
		}
		var found []*audit.Event
		if len(keys) > 0 {
			q := &store.Query{From: "events e", KeyCol: "e.id", Where: []string{"e.id IN (" + store.Placeholders(len(keys)) + ")"}}
			for _, k := range keys {
				q.Args = append(q.Args, k)
			}
			if err := eachRow(ctx, tx, q, audit.Page{}, func(e *audit.Event) error {
				found = append(found, e)
				return nil
			}); err != nil {
				return err
			}
		}
		ev, err = store.OneEvent(found, id)
		return err
	})
	return ev, err
}

func lookup(ctx context.Context, tx pgx.Tx, q string, args []any) ([]int64, []string, error) {
	rows, err := tx.Query(ctx, rebind(q), args...)
	if err != nil {
		return nil, nil, fmt.Errorf("find event: %w", err)
	}
	defer rows.Close()
	return store.KeysAndIDs(rows)
}

func countEvents(ctx context.Context, tx pgx.Tx, q *store.Query) (int64, error) {
	var n int64
	if err := tx.QueryRow(ctx, rebind("SELECT count(*) FROM "+q.From+q.WhereSQL()), q.Args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("count events: %w", err)
	}
	return n, nil
}

// CountEvents counts matching events.
func (db *DB) CountEvents(ctx context.Context, f audit.Filter) (n int64, err error) {
	q, err := compile(f)
	if err != nil {
		return 0, err
	}
	err = db.inSnapshot(ctx, func(tx pgx.Tx) error {
		n, err = countEvents(ctx, tx, q)
		return err
	})
	return n, err
}

func countBy(ctx context.Context, tx pgx.Tx, q *store.Query, field audit.Field, limit int) ([]audit.Bucket, error) {
	col, ok := store.Columns[field]
	if !ok || field == audit.FieldTime {
		return nil, audit.Errorf(audit.EUSAGE, "cannot count by %q", field)
	}
	// Groups as SQLite's NOCASE forms them: by the folded value.
	group := dialect{}.Eq(field, col)
	s := "SELECT coalesce(min(" + col + ")::text, ''), count(*) AS n FROM " + q.From + q.WhereSQL() +
		" GROUP BY " + group + " ORDER BY n DESC, " + group
	if limit > 0 {
		s += fmt.Sprintf(" LIMIT %d", limit)
	}
	rows, err := tx.Query(ctx, rebind(s), q.Args...)
	if err != nil {
		return nil, fmt.Errorf("count by %s: %w", field, err)
	}
	defer rows.Close()
	var out []audit.Bucket
	for rows.Next() {
		var b audit.Bucket
		if err := rows.Scan(&b.Key, &b.Count); err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, rows.Err()
}

// CountBy groups matching events by field, largest groups first.
func (db *DB) CountBy(ctx context.Context, f audit.Filter, field audit.Field, limit int) (out []audit.Bucket, err error) {
	out, _, err = db.countByTotal(ctx, f, field, limit, false)
	return out, err
}

// CountByTotal is CountEvents and CountBy in one snapshot.
func (db *DB) CountByTotal(ctx context.Context, f audit.Filter, field audit.Field, limit int) ([]audit.Bucket, int64, error) {
	return db.countByTotal(ctx, f, field, limit, true)
}

func (db *DB) countByTotal(ctx context.Context, f audit.Filter, field audit.Field, limit int, withTotal bool) (out []audit.Bucket, total int64, err error) {
	q, err := compile(f)
	if err != nil {
		return nil, 0, err
	}
	err = db.inSnapshot(ctx, func(tx pgx.Tx) error {
		if withTotal {
			if total, err = countEvents(ctx, tx, q); err != nil {
				return err
			}
		}
		out, err = countBy(ctx, tx, q, field, limit)
		return err
	})
	return out, total, err
}

func histogram(ctx context.Context, tx pgx.Tx, q *store.Query, interval time.Duration) ([]audit.Bucket, error) {
	step := interval.Nanoseconds()
	s := fmt.Sprintf("SELECT (e.time_ns - ((e.time_ns %% %d) + %d) %% %d) AS b, count(*) FROM %s%s GROUP BY b ORDER BY b",
		step, step, step, q.From, q.WhereSQL())
	rows, err := tx.Query(ctx, rebind(s), q.Args...)
	if err != nil {
		return nil, fmt.Errorf("histogram: %w", err)
	}
	defer rows.Close()
	var out []audit.Bucket
	for rows.Next() {
		var ns, n int64
		if err := rows.Scan(&ns, &n); err != nil {
			return nil, err
		}
		out = store.AppendBucket(out, time.Unix(0, ns).UTC(), n, interval)
	}
	return out, rows.Err()
}

// Histogram counts matching events per interval, oldest first.
func (db *DB) Histogram(ctx context.Context, f audit.Filter, interval time.Duration) (out []audit.Bucket, err error) {
	out, _, err = db.histogramTotal(ctx, f, interval, false)
	return out, err
}

// HistogramTotal is CountEvents and Histogram in one snapshot.
func (db *DB) HistogramTotal(ctx context.Context, f audit.Filter, interval time.Duration) ([]audit.Bucket, int64, error) {
	return db.histogramTotal(ctx, f, interval, true)
}

func (db *DB) histogramTotal(ctx context.Context, f audit.Filter, interval time.Duration, withTotal bool) (out []audit.Bucket, total int64, err error) {
	if interval < time.Second {
		return nil, 0, audit.Errorf(audit.EUSAGE, "interval %s is too small (minimum 1s)", interval)
	}
	q, err := compile(f)
	if err != nil {
		return nil, 0, err
	}
	err = db.inSnapshot(ctx, func(tx pgx.Tx) error {
		if withTotal {
			if total, err = countEvents(ctx, tx, q); err != nil {
				return err
			}
		}
		out, err = histogram(ctx, tx, q, interval)
		return err
	})
	return out, total, err
}
