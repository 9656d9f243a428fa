package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"io"
	"strings"
	"time"

	"github.com/auditctl/auditctl/pkg/audit"
)

var _ audit.EventService = (*DB)(nil)

// The primary key of an event is its time in microseconds shifted left by
// slotBits, plus a slot taken from a hash of (source, id). Keys therefore
// sort by time to the microsecond, and the same event always gets the same
// key. Two different events in the same microsecond and slot are moved to
// the next free slot.
const (
	slotBits = 10
	slotMask = 1<<slotBits - 1
	// keys must fit in int64: times within ±2^52 µs of 1970 (1827–2112).
	maxMicro = int64(1) << 52
)

func eventKey(t time.Time, source, id string) (int64, error) {
	us := t.UnixMicro()
	if us <= -maxMicro || us >= maxMicro-1 {
		return 0, fmt.Errorf("time %s is out of the supported range (1827–2112)", t.UTC().Format(time.RFC3339))
	}
	h := fnv.New32a()
	io.WriteString(h, source)
	h.Write([]byte{0})
	io.WriteString(h, id)
	return us<<slotBits | int64(h.Sum32()&slotMask), nil
}

// keyFloor is the smallest key of any event at or after t.
func keyFloor(t time.Time) int64 {
	us := clampMicro(t.UnixMicro())
	return us << slotBits
}

// keyCeil is a key above every event strictly before t.
func keyCeil(t time.Time) int64 {
	us := t.UnixMicro()
	if t.Sub(time.UnixMicro(us)) > 0 {
		us++
	}
	return clampMicro(us) << slotBits
}

func clampMicro(us int64) int64 {
	if us < -maxMicro {
		return -maxMicro
	}
	if us > maxMicro {
		return maxMicro
	}
	return us
}

// column maps a match field to its SQL column.
var column = map[audit.Field]string{
	audit.FieldID: "e.ext_id", audit.FieldSource: "e.source", audit.FieldService: "e.service",
	audit.FieldAction: "e.action", audit.FieldCategory: "e.category", audit.FieldWorkflow: "e.workflow_id",
	audit.FieldWorkflowType: "e.workflow_type", audit.FieldActor: "e.actor", audit.FieldActorID: "e.actor_id",
	audit.FieldActorType: "e.actor_type", audit.FieldTarget: "e.target", audit.FieldTargetID: "e.target_id",
	audit.FieldTargetType: "e.target_type", audit.FieldIP: "e.ip", audit.FieldClient: "e.client",
	audit.FieldBrowser: "e.user_agent", audit.FieldStatus: "e.status", audit.FieldError: "e.error",
	audit.FieldTenant: "e.tenant", audit.FieldDuration: "e.duration_ms", audit.FieldTime: "e.id",
}

// query is a compiled filter: FROM clause, WHERE conditions and their bound
// arguments. Values are always bound, never spliced into the SQL.
type query struct {
	from   string
	where  []string
	args   []any
	keyCol string // the time-ordered key: e.id, or f.rowid when driven by FTS
	docs   bool   // from joins event_docs as d
}

// text adds the full-text conditions (see fts.go).
func (q *query) text(terms, notTerms []string) {
	var all, confirms []string
	for _, term := range terms {
		toks := tokens(term)
		all = append(all, toks...)
		if len(toks) == 0 || needsConfirm(term, toks) {
			confirms = append(confirms, term)
		}
	}
	if len(all) > 0 {
		// Drive the query from the index: its rowids are event keys, so
		// "ORDER BY f.rowid DESC LIMIT n" reads only n matches.
		q.from = "events_fts f JOIN events e ON e.id = f.rowid"
		q.keyCol = "f.rowid"
		q.where = append([]string{"events_fts MATCH ?"}, q.where...)
		q.args = append([]any{ftsQuery(all)}, q.args...)
	}
	for _, term := range confirms {
		q.joinDocs()
		q.where = append(q.where, confirmSQL)
		q.args = append(q.args, term)
	}
	for _, term := range notTerms {
		toks := tokens(term)
		var cond string
		var args []any
		if len(toks) > 0 {
			cond, args = "e.id IN (SELECT rowid FROM events_fts WHERE events_fts MATCH ?)", []any{ftsQuery(toks)}
		}
		if len(toks) == 0 || needsConfirm(term, toks) {
			q.joinDocs()
			if cond != "" {
				cond += " AND "
			}
			cond += confirmSQL
			args = append(args, term)
		}
		q.where = append(q.where, "NOT ("+cond+")")
		q.args = append(q.args, args...)
	}
}

const confirmSQL = "fts_confirm(?, e.description, d.params, d.custom, d.raw)"

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
	if err := f.Validate(); err != nil {
		return nil, err
	}
	q := &query{from: "events e", keyCol: "e.id"}
	// A time bound is a key range. Only a bound finer than a microsecond
	// also needs time_ns, which the indexes do not hold.
	if !f.Since.IsZero() {
		q.where, q.args = append(q.where, "e.id >= ?"), append(q.args, keyFloor(f.Since))
		if !microAligned(f.Since) {
			q.where, q.args = append(q.where, "e.time_ns >= ?"), append(q.args, unixNano(f.Since))
		}
	}
	if !f.Until.IsZero() {
		q.where, q.args = append(q.where, "e.id < ?"), append(q.args, keyCeil(f.Until))
		if !microAligned(f.Until) {
			q.where, q.args = append(q.where, "e.time_ns < ?"), append(q.args, unixNano(f.Until))
		}
	}
	for _, fld := range audit.MatchFields {
		if vs := f.Include[fld]; len(vs) > 0 {
			cond, args := matchAny(column[fld], fld, vs)
			q.where, q.args = append(q.where, cond), append(q.args, args...)
		}
		if vs := f.Exclude[fld]; len(vs) > 0 {
			cond, args := matchAny(column[fld], fld, vs)
			q.where, q.args = append(q.where, "NOT "+cond), append(q.args, args...)
		}
	}
	if f.MinDuration != nil {
		q.where, q.args = append(q.where, "e.duration_ms >= ?"), append(q.args, *f.MinDuration)
	}
	if f.MaxDuration != nil {
		q.where, q.args = append(q.where, "e.duration_ms <= ?"), append(q.args, *f.MaxDuration)
	}
	q.text(f.Text, f.NotText)
	return q, nil
}

func microAligned(t time.Time) bool { return t.Nanosecond()%1000 == 0 }

func unixNano(t time.Time) int64 {
	us := t.UnixMicro()
	if us <= -maxMicro {
		return -maxMicro * 1000
	}
	if us >= maxMicro {
		return maxMicro * 1000
	}
	return t.UnixNano()
}

// matchAny builds "(col IN (...) OR col LIKE ... OR cidr_match(col, ...))".
func matchAny(col string, fld audit.Field, values []string) (string, []any) {
	var ors []string
	var args, exact []any
	for _, v := range values {
		switch {
		case fld == audit.FieldIP && strings.Contains(v, "/"):
			ors = append(ors, "cidr_match("+col+", ?)")
			args = append(args, v)
		case strings.Contains(v, "*"):
			ors = append(ors, col+` LIKE ? ESCAPE '\'`)
			args = append(args, likePattern(v))
		default:
			exact = append(exact, v)
		}
	}
	if len(exact) == 1 {
		ors = append([]string{col + " = ?"}, ors...)
		args = append(exact, args...)
	} else if len(exact) > 1 {
		ors = append([]string{col + " IN (" + strings.TrimSuffix(strings.Repeat("?,", len(exact)), ",") + ")"}, ors...)
		args = append(exact, args...)
	}
	return "(" + strings.Join(ors, " OR ") + ")", args
}

func likePattern(v string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`, `*`, `%`)
	return r.Replace(v)
}

func (q *query) whereSQL() string {
	if len(q.where) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(q.where, " AND ")
}

func (q *query) orderSQL(p audit.Page) (string, error) {
	sort := p.Sort
	if len(sort) == 0 {
		sort = []audit.SortKey{{Field: audit.FieldTime, Desc: true}}
	}
	var parts []string
	byKey := false
	for _, k := range sort {
		col, ok := column[k.Field]
		if !ok {
			return "", audit.Errorf(audit.EUSAGE, "cannot sort by %q", k.Field)
		}
		if k.Field == audit.FieldTime {
			col, byKey = q.keyCol, true
		}
		dir := " ASC"
		if k.Desc {
			dir = " DESC"
		}
		if k.Field == audit.FieldDuration {
			// events without a duration go last either way
			parts = append(parts, col+" IS NULL")
		}
		parts = append(parts, col+dir)
	}
	if !byKey {
		parts = append(parts, q.keyCol+" DESC")
	}
	s := " ORDER BY " + strings.Join(parts, ", ")
	if p.Limit > 0 {
		s += fmt.Sprintf(" LIMIT %d", p.Limit)
		if p.Offset > 0 {
			s += fmt.Sprintf(" OFFSET %d", p.Offset)
		}
	} else if p.Offset > 0 {
		s += fmt.Sprintf(" LIMIT -1 OFFSET %d", p.Offset)
	}
	return s, nil
}

const selectCols = `e.ext_id, e.source, e.time_ns, e.service, e.action, e.category, e.workflow_id, e.workflow_type,
	e.actor, e.actor_id, e.actor_type, e.target, e.target_id, e.target_type, e.ip, e.client, e.user_agent,
	e.status, e.error, e.duration_ms, e.tenant, e.description,
	d.geo, d.params, d.custom, d.before, d.after, d.raw`

type rowScanner struct {
	dur                                     sql.NullInt64
	timeNS                                  int64
	status                                  string
	geo, params, custom, before, after, raw sql.NullString
}

func (s *rowScanner) scan(rows *sql.Rows) (*audit.Event, error) {
	e := &audit.Event{}
	if err := rows.Scan(&e.ID, &e.Source, &s.timeNS, &e.Service, &e.Action, &e.Category, &e.WorkflowID, &e.WorkflowType,
		&e.Actor, &e.ActorID, &e.ActorType, &e.Target, &e.TargetID, &e.TargetType, &e.IP, &e.Client, &e.UserAgent,
		&s.status, &e.Error, &s.dur, &e.Tenant, &e.Description,
		&s.geo, &s.params, &s.custom, &s.before, &s.after, &s.raw); err != nil {
		return nil, err
	}
	e.Time = time.Unix(0, s.timeNS).UTC()
	e.Status = audit.Status(s.status)
	if s.dur.Valid {
		e.DurationMS = audit.Ms(s.dur.Int64)
	}
	e.Geo, e.Params, e.Custom = rawJSON(s.geo), rawJSON(s.params), rawJSON(s.custom)
	e.Before, e.After, e.Raw = rawJSON(s.before), rawJSON(s.after), rawJSON(s.raw)
	return e, nil
}

func rawJSON(s sql.NullString) json.RawMessage {
	if !s.Valid || s.String == "" {
		return nil
	}
	return json.RawMessage(s.String)
}

// FindEvents returns one page of matching events and the number of all
// matching events.
func (db *DB) FindEvents(ctx context.Context, f audit.Filter, p audit.Page) ([]*audit.Event, int, error) {
	q, err := compile(f)
	if err != nil {
		return nil, 0, err
	}
	// One read transaction, so the page and the total agree.
	tx, err := db.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, 0, err
	}
	defer tx.Rollback()
	var events []*audit.Event
	err = eachRow(ctx, tx, q, p, func(e *audit.Event) error {
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
	if p.Offset == 0 && (p.Limit == 0 || len(events) < p.Limit) {
		total = len(events) // the page holds them all
	} else if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM "+q.from+q.whereSQL(), q.args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count events: %w", err)
	}
	return events, total, nil
}

type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func eachRow(ctx context.Context, db queryer, q *query, p audit.Page, fn func(*audit.Event) error) error {
	order, err := q.orderSQL(p)
	if err != nil {
		return err
	}
	sqlText := "SELECT " + selectCols + " FROM " + q.fromDocs() + q.whereSQL() + order
	rows, err := db.QueryContext(ctx, sqlText, q.args...)
	if err != nil {
		return fmt.Errorf("query events: %w", err)
	}
	defer rows.Close()
	var s rowScanner
	for rows.Next() {
		e, err := s.scan(rows)
		if err != nil {
			return err
		}
		if err := fn(e); err != nil {
			return err
		}
	}
	return rows.Err()
}

// EachEvent streams every matching event in page order.
func (db *DB) EachEvent(ctx context.Context, f audit.Filter, p audit.Page, fn func(*audit.Event) error) error {
	q, err := compile(f)
	if err != nil {
		return err
	}
	return eachRow(ctx, db.db, q, p, fn)
}

// FindEventByID returns the event with the given source id. When several
// sources hold that id, source must say which.
func (db *DB) FindEventByID(ctx context.Context, id, source string) (*audit.Event, error) {
	f := audit.Filter{}
	f.Add(audit.FieldID, id)
	if source != "" {
		f.Add(audit.FieldSource, source)
	}
	q, err := compile(f)
	if err != nil {
		return nil, err
	}
	var found []*audit.Event
	if err := eachRow(ctx, db.db, q, audit.Page{Limit: 10}, func(e *audit.Event) error {
		found = append(found, e)
		return nil
	}); err != nil {
		return nil, err
	}
	switch len(found) {
	case 0:
		return nil, audit.Errorf(audit.ENOTFOUND, "no event with id %q in the cache", id)
	case 1:
		return found[0], nil
	}
	var sources []string
	for _, e := range found {
		sources = append(sources, e.Source)
	}
	return nil, audit.Errorf(audit.EUSAGE, "id %q is in several sources (%s): pass --source", id, strings.Join(sources, ", "))
}

// CountEvents counts matching events.
func (db *DB) CountEvents(ctx context.Context, f audit.Filter) (int64, error) {
	q, err := compile(f)
	if err != nil {
		return 0, err
	}
	var n int64
	if err := db.db.QueryRowContext(ctx, "SELECT count(*) FROM "+q.from+q.whereSQL(), q.args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("count events: %w", err)
	}
	return n, nil
}

// CountBy groups matching events by field, largest groups first.
func (db *DB) CountBy(ctx context.Context, f audit.Filter, field audit.Field, limit int) ([]audit.Bucket, error) {
	col, ok := column[field]
	if !ok || field == audit.FieldTime {
		return nil, audit.Errorf(audit.EUSAGE, "cannot count by %q", field)
	}
	q, err := compile(f)
	if err != nil {
		return nil, err
	}
	// Group by the column itself (never NULL), so that its index, which
	// holds the values in order, streams the groups without a sort.
	s := "SELECT " + col + ", count(*) AS n FROM " + q.from + q.whereSQL() +
		" GROUP BY " + col + " ORDER BY n DESC, " + col
	if limit > 0 {
		s += fmt.Sprintf(" LIMIT %d", limit)
	}
	rows, err := db.db.QueryContext(ctx, s, q.args...)
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

// Histogram counts matching events per interval (aligned to the Unix epoch,
// so 1d buckets start at UTC midnight), oldest first, with empty intervals
// between the first and the last included as zero.
func (db *DB) Histogram(ctx context.Context, f audit.Filter, interval time.Duration) ([]audit.Bucket, error) {
	if interval < time.Second {
		return nil, audit.Errorf(audit.EUSAGE, "interval %s is too small (minimum 1s)", interval)
	}
	q, err := compile(f)
	if err != nil {
		return nil, err
	}
	step := interval.Nanoseconds()
	s := fmt.Sprintf("SELECT (e.time_ns - ((e.time_ns %% %d) + %d) %% %d) AS b, count(*) FROM %s%s GROUP BY b ORDER BY b",
		step, step, step, q.from, q.whereSQL())
	rows, err := db.db.QueryContext(ctx, s, q.args...)
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
		t := time.Unix(0, ns).UTC()
		for len(out) > 0 {
			next := out[len(out)-1].Time.Add(interval)
			if !next.Before(t) {
				break
			}
			out = append(out, audit.Bucket{Key: audit.FormatTime(next), Time: next})
		}
		out = append(out, audit.Bucket{Key: audit.FormatTime(t), Time: t, Count: n})
	}
	return out, rows.Err()
}

// DeleteEvents removes every event the filter selects, with its documents
// and full-text entries, in one transaction, and returns how many.
func (db *DB) DeleteEvents(ctx context.Context, f audit.Filter) (int64, error) {
	q, err := compile(f)
	if err != nil {
		return 0, err
	}
	sel := "SELECT e.id FROM " + q.from + q.whereSQL()
	var n int64
	err = db.withWriteTx(ctx, func(c *sql.Conn) error {
		if _, err := c.ExecContext(ctx, "CREATE TEMP TABLE IF NOT EXISTS doomed (id INTEGER PRIMARY KEY)"); err != nil {
			return err
		}
		defer c.ExecContext(context.Background(), "DROP TABLE IF EXISTS temp.doomed")
		res, err := c.ExecContext(ctx, "INSERT INTO temp.doomed "+sel, q.args...)
		if err != nil {
			return err
		}
		n, _ = res.RowsAffected()
		for _, s := range []string{
			"DELETE FROM events_fts WHERE rowid IN (SELECT id FROM temp.doomed)",
			"DELETE FROM event_docs WHERE id IN (SELECT id FROM temp.doomed)",
			"DELETE FROM events WHERE id IN (SELECT id FROM temp.doomed)",
		} {
			if _, err := c.ExecContext(ctx, s); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("delete events: %w", err)
	}
	return n, nil
}
