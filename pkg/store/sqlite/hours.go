package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/store"
)

// Counts per hour (migration 7). The table event_hours holds, for every
// hour that has visible events, how many there are and how many failed
// (status "failure", compared as the column compares: NOCASE). An hour is
// a range of keys (keys follow time: hourKeys keys an hour, hours aligned
// to the Unix epoch), and visible means what every reader sees: the rows
// of the events table not listed in unpublished.
//
// The table is kept exact by recounting, not by adding and subtracting:
// every transaction that changes which events are visible recounts the
// hours it touched, from the status index, before it commits (recountHours):
//
//   - an import's publishing transaction (one slice, the last of several,
//     or publishText's, and a guest's one transaction) recounts every hour
//     of the records it read;
//   - retention's transaction that hides the doomed rows recounts their
//     hours (the rows are then deleted in slices, already not counted);
//   - the slices of an import that hide their rows, and the deletion of
//     hidden rows (a killed import's, retention's slices), change nothing a
//     reader sees, and nothing here.
//
// Readers sum the whole hours of a window here and count its two partial
// edge hours from the index (hourCount): a window of a week reads ~170
// rows of this table and two hours of the index, instead of every event
// of the week.

// hourKeys is how many keys an hour spans: an event's key is its time in
// microseconds shifted left by store.SlotBits.
const hourKeys = int64(3_600_000_000) << store.SlotBits

// hourOf is the hour of a key (floor division: keys before 1970 are
// negative).
func hourOf(key int64) int64 {
	h := key / hourKeys
	if key%hourKeys < 0 {
		h--
	}
	return h
}

// statusSkipScan lists the distinct statuses (NOCASE) by one descent of
// the status index per status.
const statusSkipScan = `WITH RECURSIVE s(v) AS (
	SELECT (SELECT status FROM events INDEXED BY events_status ORDER BY status LIMIT 1)
	UNION ALL
	SELECT (SELECT status FROM events INDEXED BY events_status WHERE status > s.v ORDER BY status LIMIT 1) FROM s WHERE s.v IS NOT NULL
)`

// isFailure says whether a status value is "failure" as the column
// compares it (NOCASE folds ASCII only).
func isFailure(s string) bool { return store.LowerASCII(s) == string(audit.StatusFailure) }

// recountHours sets the rows of event_hours for hours (in any order,
// repeated or not) to the visible events of each, in c's write
// transaction: an hour without any is removed.
func recountHours(ctx context.Context, c *sql.Conn, hours []int64) error {
	if len(hours) == 0 {
		return nil
	}
	hours = slices.Clone(hours)
	slices.Sort(hours)
	hours = slices.Compact(hours)
	if missing, err := missingIndexes(ctx, c); err != nil {
		return fmt.Errorf("count per hour: %w", err)
	} else if slices.Contains(missing, "events_status") {
		return recountHoursByRows(ctx, c, hours)
	}
	var statuses []string
	rows, err := c.QueryContext(ctx, statusSkipScan+" SELECT v FROM s WHERE v IS NOT NULL")
	if err != nil {
		return fmt.Errorf("count per hour: %w", err)
	}
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			rows.Close()
			return err
		}
		statuses = append(statuses, s)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if len(statuses) == 0 {
		_, err := c.ExecContext(ctx, "DELETE FROM event_hours")
		return err
	}
	hidden, err := hasUnpublished(ctx, c)
	if err != nil {
		return err
	}
	// One statement: a count of each status's key range in the status
	// index (?1, ?2 the hour's keys; ?3… the statuses).
	cond := "e.id >= ?1 AND e.id < ?2"
	if hidden {
		cond += " AND " + hiddenCond
	}
	cols := make([]string, len(statuses))
	args := make([]any, 2+len(statuses))
	for i, s := range statuses {
		cols[i] = fmt.Sprintf("(SELECT count(*) FROM events e INDEXED BY events_status WHERE e.status = ?%d AND %s)", i+3, cond)
		args[i+2] = s
	}
	count, err := c.PrepareContext(ctx, "SELECT "+strings.Join(cols, ", "))
	if err != nil {
		return fmt.Errorf("count per hour: %w", err)
	}
	defer count.Close()
	set, err := c.PrepareContext(ctx, "INSERT OR REPLACE INTO event_hours (hour, events, failures) VALUES (?, ?, ?)")
	if err != nil {
		return err
	}
	defer set.Close()
	del, err := c.PrepareContext(ctx, "DELETE FROM event_hours WHERE hour = ?")
	if err != nil {
		return err
	}
	defer del.Close()
	ns := make([]int64, len(statuses))
	dest := make([]any, len(statuses))
	for i := range ns {
		dest[i] = &ns[i]
	}
	for _, h := range hours {
		args[0], args[1] = h*hourKeys, (h+1)*hourKeys
		if err := count.QueryRowContext(ctx, args...).Scan(dest...); err != nil {
			return fmt.Errorf("count per hour: %w", err)
		}
		var events, failures int64
		for i, n := range ns {
			events += n
			if isFailure(statuses[i]) {
				failures += n
			}
		}
		if events == 0 {
			_, err = del.ExecContext(ctx, h)
		} else {
			_, err = set.ExecContext(ctx, h, events, failures)
		}
		if err != nil {
			return fmt.Errorf("count per hour: %w", err)
		}
	}
	return nil
}

// recountHoursByRows is recountHours without the status index: a guest
// import that publishes while a bulk import has dropped it (bulkindex.go).
// Each hour is counted from its key range of the table.
func recountHoursByRows(ctx context.Context, c *sql.Conn, hours []int64) error {
	hidden, err := hasUnpublished(ctx, c)
	if err != nil {
		return err
	}
	cond := "e.id >= ?1 AND e.id < ?2"
	if hidden {
		cond += " AND " + hiddenCond
	}
	// status compares as its column: NOCASE, as isFailure
	count, err := c.PrepareContext(ctx, "SELECT count(*), count(CASE WHEN e.status = '"+string(audit.StatusFailure)+"' THEN 1 END) FROM events e WHERE "+cond)
	if err != nil {
		return fmt.Errorf("count per hour: %w", err)
	}
	defer count.Close()
	for _, h := range hours {
		var events, failures int64
		if err := count.QueryRowContext(ctx, h*hourKeys, (h+1)*hourKeys).Scan(&events, &failures); err != nil {
			return fmt.Errorf("count per hour: %w", err)
		}
		if events == 0 {
			_, err = c.ExecContext(ctx, "DELETE FROM event_hours WHERE hour = ?", h)
		} else {
			_, err = c.ExecContext(ctx, "INSERT OR REPLACE INTO event_hours (hour, events, failures) VALUES (?, ?, ?)", h, events, failures)
		}
		if err != nil {
			return fmt.Errorf("count per hour: %w", err)
		}
	}
	return nil
}

// eachHourOf lists the hours that hold keys of table (events or
// unpublished: an integer primary key id), one seek an hour.
func eachHourOf(ctx context.Context, c *sql.Conn, table string) ([]int64, error) {
	next, err := c.PrepareContext(ctx, "SELECT min(id) FROM "+table+" WHERE id >= ?")
	if err != nil {
		return nil, err
	}
	defer next.Close()
	var hours []int64
	from := int64(-1 << 63)
	for {
		var k sql.NullInt64
		if err := next.QueryRowContext(ctx, from).Scan(&k); err != nil {
			return nil, err
		}
		if !k.Valid {
			return hours, nil
		}
		h := hourOf(k.Int64)
		hours = append(hours, h)
		from = (h + 1) * hourKeys
	}
}

// fillHours is migration 7's code: every hour of the events already
// stored.
func fillHours(ctx context.Context, c *sql.Conn) error {
	hours, err := eachHourOf(ctx, c, "events")
	if err != nil {
		return err
	}
	return recountHours(ctx, c, hours)
}

// recountHidden recounts the hours of the rows listed in unpublished: in
// the transaction that hid them (retention), they leave the counts.
func recountHidden(ctx context.Context, c *sql.Conn) error {
	hours, err := eachHourOf(ctx, c, "unpublished")
	if err != nil {
		return err
	}
	return recountHours(ctx, c, hours)
}

// hourSet collects the hours of keys as an import reads them.
type hourSet struct {
	last  int64
	any   bool
	hours []int64
}

func (s *hourSet) add(key int64) {
	h := hourOf(key)
	if s.any && h == s.last {
		return
	}
	s.any, s.last = true, h
	s.hours = append(s.hours, h)
	if len(s.hours) >= 1<<16 {
		// keys that jump between hours: keep the set small
		slices.Sort(s.hours)
		s.hours = slices.Compact(s.hours)
	}
}

// hourWindow is q read as a window of keys [lo, hi) (each bound
// optional), with status:failure or not: the shapes event_hours answers.
// ok is false for any other query.
type hourWindow struct {
	lo, hi               int64
	hasLo, hasHi         bool
	failures, hidden, ok bool
	noIndexes            bool // q's (bulkindex.go)
}

func readHourWindow(q *query) (w hourWindow) {
	if q.from != "events e" || q.docs {
		return w
	}
	w.noIndexes = q.noIndexes
	a := 0
	for _, c := range q.where {
		switch c {
		case "e.id >= ?", "e.id < ?":
			if a >= len(q.args) {
				return w
			}
			k, isInt := q.args[a].(int64)
			if !isInt {
				return w
			}
			if c == "e.id >= ?" {
				w.lo, w.hasLo = k, true
			} else {
				w.hi, w.hasHi = k, true
			}
			a++
		case "(e.status = ?)":
			if a >= len(q.args) {
				return w
			}
			s, isStr := q.args[a].(string)
			if !isStr || !isFailure(s) || w.failures {
				return w
			}
			w.failures = true
			a++
		case hiddenCond:
			w.hidden = true
		default:
			return w
		}
	}
	w.ok = a == len(q.args)
	return w
}

// whole is the whole hours [hs, he) of the window (a bound absent: none),
// their condition on event_hours and its arguments.
func (w hourWindow) whole() (hs, he int64, where string, args []any) {
	var conds []string
	if w.hasLo {
		hs = hourOf(w.lo)
		if hs*hourKeys < w.lo {
			hs++
		}
		conds, args = append(conds, "hour >= ?"), append(args, hs)
	}
	if w.hasHi {
		he = hourOf(w.hi)
		conds, args = append(conds, "hour < ?"), append(args, he)
	}
	if len(conds) > 0 {
		where = " WHERE " + strings.Join(conds, " AND ")
	}
	return hs, he, where, args
}

// col is the column of event_hours the window counts.
func (w hourWindow) col() string {
	if w.failures {
		return "failures"
	}
	return "events"
}

// edges counts the partial hours at the window's ends from the index:
// before the first whole hour (in hour hs-1) and from the end of the last
// (in hour he).
func (w hourWindow) edges(ctx context.Context, qr querier, hs, he int64) (below, above int64, err error) {
	count := func(from, to int64) (int64, error) {
		e := &query{from: "events e", keyCol: "e.id", where: []string{"e.id >= ?", "e.id < ?"}, args: []any{from, to}, noIndexes: w.noIndexes}
		if w.hidden {
			e.where = append(e.where, hiddenCond)
		}
		text, ok := windowCount(e)
		if w.failures {
			e.where = append(e.where, "(e.status = ?)")
			e.args = append(e.args, string(audit.StatusFailure))
		}
		if !ok || w.failures {
			text = "SELECT count(*) FROM events e" + e.whereSQL()
		}
		var k int64
		if err := qr.QueryRowContext(ctx, text, e.args...).Scan(&k); err != nil {
			return 0, fmt.Errorf("count events: %w", err)
		}
		return k, nil
	}
	if w.hasLo && w.lo < hs*hourKeys {
		if below, err = count(w.lo, hs*hourKeys); err != nil {
			return 0, 0, err
		}
	}
	if w.hasHi && he*hourKeys < w.hi {
		if above, err = count(he*hourKeys, w.hi); err != nil {
			return 0, 0, err
		}
	}
	return below, above, nil
}

// hourCount counts q (a compiled filter, hidden rows already handled) from
// event_hours when q is a time window with at least one whole hour in it,
// alone or with status:failure: the whole hours from the table, the
// partial hours at its edges from the index. ok is false for any other
// query (or a window within one hour), which the caller counts as before.
func hourCount(ctx context.Context, qr querier, q *query) (n int64, ok bool, err error) {
	w := readHourWindow(q)
	if !w.ok || !w.hasLo && !w.hasHi {
		return 0, false, nil
	}
	hs, he, where, args := w.whole()
	if w.hasLo && w.hasHi && hs >= he {
		return 0, false, nil
	}
	if err := qr.QueryRowContext(ctx, "SELECT coalesce(sum("+w.col()+"), 0) FROM event_hours"+where, args...).Scan(&n); err != nil {
		return 0, false, fmt.Errorf("count events: %w", err)
	}
	below, above, err := w.edges(ctx, qr, hs, he)
	if err != nil {
		return 0, false, err
	}
	return n + below + above, true, nil
}

// hourHistogram is histogram from event_hours, for the windows hourCount
// counts (and no window at all) and an interval of whole hours: the
// buckets, aligned to the epoch, are then made of whole hours, each hour's
// count from the table and the partial hours at the window's edges from
// the index. ok is false otherwise.
func hourHistogram(ctx context.Context, qr querier, q *query, interval time.Duration) (out []audit.Bucket, ok bool, err error) {
	w := readHourWindow(q)
	if !w.ok || interval < time.Hour || interval%time.Hour != 0 {
		return nil, false, nil
	}
	hs, he, where, args := w.whole()
	if w.hasLo && w.hasHi && hs >= he {
		return nil, false, nil
	}
	below, above, err := w.edges(ctx, qr, hs, he)
	if err != nil {
		return nil, false, err
	}
	per := int64(interval / time.Hour) // hours a bucket
	var bucket, n int64
	have := false
	add := func(h, k int64) {
		if k == 0 {
			return
		}
		b := h / per
		if h%per < 0 {
			b--
		}
		if have && b != bucket {
			out = store.AppendBucket(out, time.Unix(bucket*per*3600, 0).UTC(), n, interval)
			n = 0
		}
		bucket, have = b, true
		n += k
	}
	add(hs-1, below)
	rows, err := qr.QueryContext(ctx, "SELECT hour, "+w.col()+" FROM event_hours"+where+" ORDER BY hour", args...)
	if err != nil {
		return nil, false, fmt.Errorf("histogram: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var h, k int64
		if err := rows.Scan(&h, &k); err != nil {
			return nil, false, err
		}
		add(h, k)
	}
	if err := rows.Err(); err != nil {
		return nil, false, err
	}
	add(he, above)
	if have {
		out = store.AppendBucket(out, time.Unix(bucket*per*3600, 0).UTC(), n, interval)
	}
	return out, true, nil
}

// CheckHourCounts recounts every hour from the events (the visible ones)
// and compares with event_hours, in one read transaction: an error names
// the first hour that differs. Tests use it after every kind of writer.
func (db *DB) CheckHourCounts(ctx context.Context) error {
	return db.inSnapshot(ctx, func(qr querier) error {
		want := map[int64][2]int64{}
		rows, err := qr.QueryContext(ctx, fmt.Sprintf(`SELECT h, count(*), count(*) FILTER (WHERE status = 'failure')
FROM (SELECT (id - ((id %% %[1]d) + %[1]d) %% %[1]d) / %[1]d AS h, status FROM events
	WHERE id NOT IN (SELECT id FROM unpublished)) GROUP BY h`, hourKeys))
		if err != nil {
			return err
		}
		for rows.Next() {
			var h, n, f int64
			if err := rows.Scan(&h, &n, &f); err != nil {
				rows.Close()
				return err
			}
			want[h] = [2]int64{n, f}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		rows, err = qr.QueryContext(ctx, "SELECT hour, events, failures FROM event_hours")
		if err != nil {
			return err
		}
		defer rows.Close()
		got := map[int64][2]int64{}
		for rows.Next() {
			var h, n, f int64
			if err := rows.Scan(&h, &n, &f); err != nil {
				return err
			}
			got[h] = [2]int64{n, f}
		}
		if err := rows.Err(); err != nil {
			return err
		}
		for h, w := range want {
			if got[h] != w {
				return fmt.Errorf("hour %d: event_hours holds %d events, %d failures; the events: %d, %d", h, got[h][0], got[h][1], w[0], w[1])
			}
		}
		for h, g := range got {
			if _, ok := want[h]; !ok {
				return fmt.Errorf("hour %d: event_hours holds %d events, %d failures; the events: none", h, g[0], g[1])
			}
		}
		return nil
	})
}
