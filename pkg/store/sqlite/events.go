package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/auditctl/auditctl/internal/failpoint"
	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/store"
)

var _ audit.EventService = (*DB)(nil)

// Keys (store.EventKey): an event's key is its time in microseconds and a
// slot, so the table is its own time index.
const (
	slotBits = store.SlotBits
	slotMask = store.SlotMask
	maxMicro = store.MaxMicro
)

func eventKey(t time.Time, source, id string) (int64, error) { return store.EventKey(t, source, id) }
func keyFloor(t time.Time) int64                             { return store.KeyFloor(t) }
func keyCeil(t time.Time) int64                              { return store.KeyCeil(t) }

// column maps a field to its SQL column.
var column = store.Columns

// query is a compiled filter: FROM clause, WHERE conditions and their bound
// arguments. Values are always bound, never spliced into the SQL.
type query struct {
	from   string
	where  []string
	args   []any
	keyCol string // the time-ordered key: e.id, or f.rowid when driven by FTS
	docs   bool   // from joins event_docs as d
	// noIndexes: the snapshot lacks the deferred indexes (a bulk import
	// is under way, bulkindex.go): name none (INDEXED BY).
	noIndexes bool
}

func (q *query) joinDocs() {
	if !q.docs {
		q.from += " JOIN event_docs d ON d.id = e.id"
		q.docs = true
	}
}

// fromDocs is the FROM clause with event_docs joined as d.
func (q *query) fromDocs() string {
	if q.docs {
		return q.from
	}
	return q.from + " JOIN event_docs d ON d.id = e.id"
}

func compile(f audit.Filter) (*query, error) {
	c, err := store.Compile(f, dialect{})
	if err != nil {
		return nil, err
	}
	return &query{from: c.From, where: c.Where, args: c.Args, keyCol: c.KeyCol, docs: c.Docs}, nil
}

func microAligned(t time.Time) bool { return store.MicroAligned(t) }
func unixNano(t time.Time) int64    { return store.UnixNano(t) }
func likePattern(v string) string   { return store.LikePattern(v) }

func (q *query) whereSQL() string {
	if len(q.where) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(q.where, " AND ")
}

func (q *query) orderSQL(p audit.Page) (string, error) {
	return store.OrderSQL(dialect{}, q.keyCol, p)
}

const selectCols = `e.ext_id, e.source, e.time_ns, e.service, e.action, e.category, e.workflow_id, e.workflow_type,
	e.actor, e.actor_id, e.actor_type, e.target, e.target_id, e.target_type, e.ip, e.client, e.user_agent,
	e.status, e.error, e.duration_ms, e.tenant, e.description,
	d.geo, d.params, d.custom, d.before, d.after, d.raw`

// FindEvents returns one page of matching events and the number of all
// matching events.
func (db *DB) FindEvents(ctx context.Context, f audit.Filter, p audit.Page) ([]*audit.Event, int, error) {
	// One read transaction, so the page and the total agree.
	conn, done, err := db.readConn(ctx)
	if err != nil {
		return nil, 0, err
	}
	defer done()
	q, err := compileIn(ctx, conn, f)
	if err != nil {
		return nil, 0, err
	}
	whole := *q // the filter without the cursor, for the total
	if err := q.after(ctx, conn, p); err != nil {
		return nil, 0, err
	}
	var events []*audit.Event
	err = eachRow(ctx, conn, q, p, func(e *audit.Event) error {
		events = append(events, e)
		return nil
	})
	if err != nil {
		return nil, 0, err
	}
	total := -1
	if p.NoTotal {
		return events, total, nil
	}
	if p.Offset == 0 && p.After == nil && (p.Limit == 0 || len(events) < p.Limit) {
		total = len(events) // the page holds them all
	} else {
		q := &whole
		count := "SELECT count(*) FROM " + q.from + q.whereSQL()
		if p.CountUpTo > 0 {
			count = fmt.Sprintf("SELECT count(*) FROM (SELECT 1 FROM %s%s LIMIT %d)", q.from, q.whereSQL(), p.CountUpTo)
		}
		if err := conn.QueryRowContext(ctx, count, q.args...).Scan(&total); err != nil {
			return nil, 0, fmt.Errorf("count events: %w", err)
		}
	}
	return events, total, nil
}

// after narrows q to the rows past p.After in p's order: a key range on
// the time-ordered key, so a page deep in a scroll reads no more rows than
// the first. The cursor's key is looked up by (source, id); an event no
// longer stored marks its place by the key it would have had.
func (q *query) after(ctx context.Context, conn *sql.Conn, p audit.Page) error {
	if err := p.CheckCursor(); err != nil || p.After == nil {
		return err
	}
	c := p.After
	var key int64
	err := conn.QueryRowContext(ctx, "SELECT id FROM events WHERE source = ? AND ext_id = ?", c.Source, c.ID).Scan(&key)
	switch {
	case err == sql.ErrNoRows:
		if key, err = eventKey(c.Time, c.Source, c.ID); err != nil {
			return audit.Errorf(audit.EUSAGE, "page cursor: %v", err)
		}
	case err != nil:
		return fmt.Errorf("page cursor: %w", err)
	}
	op := " > ?"
	if desc, _ := p.TimeOrder(); desc {
		op = " < ?"
	}
	q.where = append(slices.Clip(q.where), q.keyCol+op)
	q.args = append(slices.Clip(q.args), key)
	return nil
}

// eachRow runs the events query of q on conn and calls fn with each
// event. It reads rows at the driver level, below database/sql: a scan of
// the whole cache (export) spends most of its time converting columns, and
// the driver's values need no conversion.
func eachRow(ctx context.Context, conn *sql.Conn, q *query, p audit.Page, fn func(*audit.Event) error) error {
	order, err := q.orderSQL(p)
	if err != nil {
		return err
	}
	sqlText := "SELECT " + selectCols + " FROM " + q.fromDocs() + q.whereSQL() + order
	args := make([]driver.NamedValue, len(q.args))
	for i, a := range q.args {
		args[i] = driver.NamedValue{Ordinal: i + 1, Value: a}
	}
	return conn.Raw(func(dc any) error {
		return eachDriverRow(ctx, dc, "query events", sqlText, args, func(v []driver.Value) error {
			e, err := eventFromRow(v)
			if err != nil {
				return err
			}
			return fn(e)
		})
	})
}

// eachDriverRow runs q on the driver connection dc and calls fn with each
// row's values (valid until fn returns), checking ctx every 1024 rows. An
// error preparing or starting the query is prefixed with what (when not
// "").
func eachDriverRow(ctx context.Context, dc any, what, q string, args []driver.NamedValue, fn func([]driver.Value) error) error {
	wrap := func(err error) error {
		if what == "" {
			return err
		}
		return fmt.Errorf("%s: %w", what, err)
	}
	pc, ok := dc.(driver.ConnPrepareContext)
	if !ok {
		return fmt.Errorf("sqlite driver connection %T cannot prepare", dc)
	}
	st, err := pc.PrepareContext(ctx, q)
	if err != nil {
		return wrap(err)
	}
	defer st.Close()
	sq, ok := st.(driver.StmtQueryContext)
	if !ok {
		return fmt.Errorf("sqlite driver statement %T cannot query with a context", st)
	}
	rows, err := sq.QueryContext(ctx, args)
	if err != nil {
		return wrap(err)
	}
	defer rows.Close()
	dest := make([]driver.Value, len(rows.Columns()))
	for n := 0; ; n++ {
		if n&1023 == 1023 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		switch err := rows.Next(dest); err {
		case nil:
		case io.EOF:
			return nil
		default:
			return err
		}
		if err := fn(dest); err != nil {
			return err
		}
	}
}

// eventFromRow builds an event from the driver values of selectCols.
func eventFromRow(v []driver.Value) (*audit.Event, error) {
	if len(v) != 28 {
		return nil, fmt.Errorf("events query returned %d columns", len(v))
	}
	str := func(x driver.Value) string {
		switch s := x.(type) {
		case string:
			return s
		case []byte:
			return string(s)
		}
		return ""
	}
	doc := func(x driver.Value) json.RawMessage {
		switch s := x.(type) {
		case string:
			if s != "" {
				return json.RawMessage(s)
			}
		case []byte:
			if len(s) > 0 {
				return json.RawMessage(s)
			}
		}
		return nil
	}
	e := &audit.Event{
		ID: str(v[0]), Source: str(v[1]), Service: str(v[3]), Action: str(v[4]), Category: str(v[5]),
		WorkflowID: str(v[6]), WorkflowType: str(v[7]), Actor: str(v[8]), ActorID: str(v[9]), ActorType: str(v[10]),
		Target: str(v[11]), TargetID: str(v[12]), TargetType: str(v[13]), IP: str(v[14]), Client: str(v[15]),
		UserAgent: str(v[16]), Status: audit.Status(str(v[17])), Error: str(v[18]), Tenant: str(v[20]),
		Description: str(v[21]),
		Geo:         doc(v[22]), Params: doc(v[23]), Custom: doc(v[24]), Before: doc(v[25]), After: doc(v[26]), Raw: doc(v[27]),
	}
	ns, ok := v[2].(int64)
	if !ok {
		return nil, fmt.Errorf("event %q has no time", e.ID)
	}
	e.Time = time.Unix(0, ns).UTC()
	if d, ok := v[19].(int64); ok {
		e.DurationMS = audit.Ms(d)
	}
	return e, nil
}

// EachEvent streams every matching event in page order.
func (db *DB) EachEvent(ctx context.Context, f audit.Filter, p audit.Page, fn func(*audit.Event) error) error {
	q, err := compile(f)
	if err != nil {
		return err
	}
	if desc, ok := parallelScan(q, p); ok && p.After == nil {
		if done, err := db.eachParallel(ctx, q, desc, fn); done || err != nil {
			return err
		}
	}
	conn, done, err := db.readConn(ctx)
	if err != nil {
		return err
	}
	defer done()
	if err := hideUnpublished(ctx, conn, q); err != nil {
		return err
	}
	if err := q.after(ctx, conn, p); err != nil {
		return err
	}
	return eachRow(ctx, conn, q, p, fn)
}

// FindEventByID returns the event with the given source id, or, when no
// id is exactly that, the one event whose id starts with it (what a table
// shows of a long id is enough). A prefix that several events' ids start
// with is a usage error that says how many and lists a few
// (audit.Ambiguous); when several sources hold the id, source must say
// which.
func (db *DB) FindEventByID(ctx context.Context, id, source string) (*audit.Event, error) {
	if id == "" {
		return nil, audit.Errorf(audit.EUSAGE, "empty event id")
	}
	// One read transaction for the lookups and the events.
	conn, done, err := db.readConn(ctx)
	if err != nil {
		return nil, err
	}
	defer done()
	// One seek per source on (source, ext_id): the sources table is small.
	from := "sources s CROSS JOIN events e ON e.source = s.name AND " // CROSS: sources first
	var conds []string
	var args []any
	if source != "" {
		conds, args = append(conds, "s.name = ?"), []any{source}
	}
	hidden, err := hasUnpublished(ctx, conn)
	if err != nil {
		return nil, err
	}
	if hidden {
		conds = append(conds, hiddenCond)
	}
	var where string
	if len(conds) > 0 {
		where = " WHERE " + strings.Join(conds, " AND ")
	}
	keys, ids, err := lookup(ctx, conn, "SELECT e.id, e.ext_id FROM "+from+"e.ext_id = ?"+where+" LIMIT 10", append([]any{id}, args...))
	if err != nil {
		return nil, err
	}
	prefix, cond, pargs := false, "", []any(nil)
	if len(keys) == 0 {
		cond, pargs = "e.ext_id >= ?", []any{id}
		if next, ok := store.PrefixEnd(id); ok {
			cond, pargs = cond+" AND e.ext_id < ?", append(pargs, next)
		}
		keys, ids, err = lookup(ctx, conn, "SELECT e.id, e.ext_id FROM "+from+cond+where+" ORDER BY e.ext_id LIMIT 10", append(pargs, args...))
		if err != nil {
			return nil, err
		}
		prefix = true
	}
	if prefix && !allSame(ids) {
		var n int
		if err := conn.QueryRowContext(ctx, "SELECT count(*) FROM "+from+cond+where, append(pargs, args...)...).Scan(&n); err != nil {
			return nil, fmt.Errorf("find event: %w", err)
		}
		return nil, audit.Ambiguous(n, "events", id, slices.Compact(ids))
	}
	found, err := eventsByKey(ctx, conn, keys)
	if err != nil {
		return nil, err
	}
	return store.OneEvent(found, id)
}

// lookup runs a query of (key, ext_id) rows.
func lookup(ctx context.Context, conn *sql.Conn, q string, args []any) ([]int64, []string, error) {
	rows, err := conn.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, nil, fmt.Errorf("find event: %w", err)
	}
	defer rows.Close()
	return store.KeysAndIDs(rows)
}

// eventsByKey reads the events with these keys, newest first.
func eventsByKey(ctx context.Context, conn *sql.Conn, keys []int64) ([]*audit.Event, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	q := &query{from: "events e", keyCol: "e.id", where: []string{"e.id IN (" + strings.TrimSuffix(strings.Repeat("?,", len(keys)), ",") + ")"}}
	for _, k := range keys {
		q.args = append(q.args, k)
	}
	var found []*audit.Event
	err := eachRow(ctx, conn, q, audit.Page{}, func(e *audit.Event) error {
		found = append(found, e)
		return nil
	})
	return found, err
}

func allSame(s []string) bool {
	for _, x := range s {
		if x != s[0] {
			return false
		}
	}
	return true
}

// querier is a *sql.DB, or a *sql.Conn in a read transaction.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// inSnapshot runs fn on one connection in one read transaction: every query
// fn makes sees the same commit.
func (db *DB) inSnapshot(ctx context.Context, fn func(querier) error) error {
	conn, done, err := db.readConn(ctx)
	if err != nil {
		return err
	}
	defer done()
	return fn(conn)
}

// CountByTotal is CountEvents and CountBy in one statement (countBy), so that
// the total is the sum of the groups (all of them, when limit is 0) even
// while another process imports.
func (db *DB) CountByTotal(ctx context.Context, f audit.Filter, field audit.Field, limit int) (buckets []audit.Bucket, total int64, err error) {
	err = db.inSnapshot(ctx, func(qr querier) error {
		buckets, total, err = countBy(ctx, qr, f, field, limit, true)
		return err
	})
	return buckets, total, err
}

// HistogramTotal is CountEvents and Histogram in one read transaction.
func (db *DB) HistogramTotal(ctx context.Context, f audit.Filter, interval time.Duration) (buckets []audit.Bucket, total int64, err error) {
	err = db.inSnapshot(ctx, func(qr querier) error {
		if total, err = countEvents(ctx, qr, f); err != nil {
			return err
		}
		buckets, err = histogram(ctx, qr, f, interval)
		return err
	})
	return buckets, total, err
}

// CountEvents counts matching events.
func (db *DB) CountEvents(ctx context.Context, f audit.Filter) (n int64, err error) {
	err = db.inSnapshot(ctx, func(qr querier) error {
		n, err = countEvents(ctx, qr, f)
		return err
	})
	return n, err
}

// compileIn compiles f for a query in the read transaction of qr (see
// hideUnpublished).
func compileIn(ctx context.Context, qr querier, f audit.Filter) (*query, error) {
	q, err := compile(f)
	if err != nil {
		return nil, err
	}
	if err := hideUnpublished(ctx, qr, q); err != nil {
		return nil, err
	}
	return q, nil
}

func countEvents(ctx context.Context, db querier, f audit.Filter) (int64, error) {
	q, err := compileIn(ctx, db, f)
	if err != nil {
		return 0, err
	}
	if n, ok, err := hourCount(ctx, db, q); ok || err != nil {
		return n, err
	}
	sqlText := "SELECT count(*) FROM " + q.from + q.whereSQL()
	if w, ok := windowCount(q); ok {
		sqlText = w
	}
	var n int64
	if err := db.QueryRowContext(ctx, sqlText, q.args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("count events: %w", err)
	}
	return n, nil
}

// windowStatusCount counts the events of a key range (the conditions
// %[1]s, over events e) without reading a row of the wide table: every event
// has a status (NOT NULL) and the status index holds each event's key, so
// the range's count is the sum over the statuses of a key range in that
// index. The statuses come from a skip scan of the same index (one descent
// per distinct status). Both the skip scan and the ranges compare with the
// column's collation (NOCASE), so statuses differing only in case are one
// range and counted once.
const windowStatusCount = statusSkipScan + `
SELECT coalesce(sum((SELECT count(*) FROM events e INDEXED BY events_status WHERE e.status = s.v AND %[1]s)), 0) FROM s WHERE s.v IS NOT NULL`

// windowCount is the statement of windowStatusCount for q, when q is only
// a time window on the events table: key bounds (e.id >= ?, e.id < ?,
// at least one), possibly with the unpublished rows hidden, and nothing
// else. The arguments stay q's. Any other filter (a bound finer than a
// microsecond, which also tests time_ns, included) is not a window.
func windowCount(q *query) (string, bool) {
	if q.from != "events e" || q.docs || q.noIndexes {
		return "", false
	}
	bounds := 0
	for _, c := range q.where {
		switch c {
		case "e.id >= ?", "e.id < ?":
			bounds++
		case hiddenCond:
		default:
			return "", false
		}
	}
	if bounds == 0 || bounds != len(q.args) {
		return "", false
	}
	return fmt.Sprintf(windowStatusCount, strings.Join(q.where, " AND ")), true
}

// CountBy groups matching events by field, largest groups first.
func (db *DB) CountBy(ctx context.Context, f audit.Filter, field audit.Field, limit int) (out []audit.Bucket, err error) {
	err = db.inSnapshot(ctx, func(qr querier) error {
		out, _, err = countBy(ctx, qr, f, field, limit, false)
		return err
	})
	return out, err
}

// countBy groups the events f matches by field, the largest groups first,
// at most limit of them (all when limit <= 0). With withTotal it also
// counts every match, in the same statement: the groups' sizes summed over
// all groups before the LIMIT (a window over the aggregate), which every
// matching row is in (a NULL is a group too). A separate count(*) read the
// window's rows a second time: ~5 % of `logs count --by actor --all` over
// 1,000,000 events (docs/performance.md, "Issue 13: reads and start-up").
func countBy(ctx context.Context, db querier, f audit.Filter, field audit.Field, limit int, withTotal bool) ([]audit.Bucket, int64, error) {
	col, ok := column[field]
	if !ok || field == audit.FieldTime {
		return nil, 0, audit.Errorf(audit.EUSAGE, "cannot count by %q", field)
	}
	q, err := compileIn(ctx, db, f)
	if err != nil {
		return nil, 0, err
	}
	// Group by the column itself (never NULL), so that its index, which
	// holds the values in order, streams the groups without a sort.
	s := "SELECT " + col + ", count(*) AS n"
	if withTotal {
		s += ", sum(count(*)) OVER ()"
	}
	s += " FROM " + q.from + q.whereSQL() + " GROUP BY " + col + " ORDER BY n DESC, " + col
	if limit > 0 {
		s += fmt.Sprintf(" LIMIT %d", limit)
	}
	rows, err := db.QueryContext(ctx, s, q.args...)
	if err != nil {
		return nil, 0, fmt.Errorf("count by %s: %w", field, err)
	}
	defer rows.Close()
	var out []audit.Bucket
	var total int64
	for rows.Next() {
		var b audit.Bucket
		dest := []any{&b.Key, &b.Count}
		if withTotal {
			dest = append(dest, &total)
		}
		if err := rows.Scan(dest...); err != nil {
			return nil, 0, err
		}
		out = append(out, b)
	}
	return out, total, rows.Err()
}

// Histogram counts matching events per interval (aligned to the Unix epoch,
// so 1d buckets start at UTC midnight), oldest first, with empty intervals
// between the first and the last included as zero.
func (db *DB) Histogram(ctx context.Context, f audit.Filter, interval time.Duration) (out []audit.Bucket, err error) {
	err = db.inSnapshot(ctx, func(qr querier) error {
		out, err = histogram(ctx, qr, f, interval)
		return err
	})
	return out, err
}

func histogram(ctx context.Context, db querier, f audit.Filter, interval time.Duration) ([]audit.Bucket, error) {
	if interval < time.Second {
		return nil, audit.Errorf(audit.EUSAGE, "interval %s is too small (minimum 1s)", interval)
	}
	q, err := compileIn(ctx, db, f)
	if err != nil {
		return nil, err
	}
	if out, ok, err := hourHistogram(ctx, db, q, interval); ok || err != nil {
		return out, err
	}
	step := interval.Nanoseconds()
	s := fmt.Sprintf("SELECT (e.time_ns - ((e.time_ns %% %d) + %d) %% %d) AS b, count(*) FROM %s%s GROUP BY b ORDER BY b",
		step, step, step, q.from, q.whereSQL())
	rows, err := db.QueryContext(ctx, s, q.args...)
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

// DeleteEvents removes every event the filter selects, with its documents
// and full-text entries, and returns how many. See DeleteEventsWith.
func (db *DB) DeleteEvents(ctx context.Context, f audit.Filter) (int64, error) {
	return db.DeleteEventsWith(ctx, f, nil)
}

// testAfterHide, in tests, runs between DeleteEventsWith's hiding commit
// and its deletion in slices.
var testAfterHide func()

// DeleteEventsWith removes every event the filter selects. Readers see all
// of them go at once: one short transaction hides them (lists them in
// unpublished), and inTx, when set, runs in it with their number (a
// checkpoint of what goes belongs there); then they are deleted in slices.
// If the process dies after the first transaction, the next writer that
// takes the ingest lock finishes the deletion. When ctx ends during the
// slices, the events are gone for every reader and the error says so.
func (db *DB) DeleteEventsWith(ctx context.Context, f audit.Filter, inTx func(c *sql.Conn, n int64) error) (int64, error) {
	q, err := compile(f)
	if err != nil {
		return 0, err
	}
	lock, err := db.ingestLock(ctx, db.noticeWait)
	if err != nil {
		return 0, err
	}
	defer lock.release()
	if err := db.cleanUp(ctx); err != nil {
		return 0, err
	}
	var n int64
	err = db.withWriteTx(ctx, func(c *sql.Conn) error {
		// doomed: these rows are retention's, never an import's to
		// publish (insert.go).
		res, err := c.ExecContext(ctx, "INSERT INTO unpublished (id, doomed) SELECT e.id, 1 FROM "+q.from+q.whereSQL(), q.args...)
		if err != nil {
			return err
		}
		n, _ = res.RowsAffected()
		// They leave the counts per hour with this commit (hours.go).
		if err := recountHidden(ctx, c); err != nil {
			return err
		}
		if inTx != nil {
			if err := inTx(c, n); err != nil {
				return err
			}
		}
		// A legitimate deletion: the chain says so, signed (chain.go).
		if err := db.SealDeletion(ctx, c, "unpublished", "", fmt.Sprintf("%d events deleted", n)); err != nil {
			return err
		}
		if !slicesSupported {
			// no lock to tell a dead writer's rows: delete them now
			return purgeAll(ctx, c)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("delete events: %w", err)
	}
	if testAfterHide != nil {
		testAfterHide()
	}
	failpoint.Stop("hidden") // kill tests: hidden, not yet deleted
	if _, err := db.purgeUnpublished(ctx); err != nil {
		return n, fmt.Errorf("delete events: %d events are gone for every reader; freeing their space stopped and the next import or retention run finishes it: %w", n, err)
	}
	return n, nil
}
