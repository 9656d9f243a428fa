package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/auditctl/auditctl/pkg/audit"
)

// plainCount is CountEvents as it was before windowCount: count(*) over
// the compiled filter, in one read transaction.
func plainCount(t *testing.T, db *DB, f audit.Filter) int64 {
	t.Helper()
	var n int64
	err := db.inSnapshot(context.Background(), func(qr querier) error {
		q, err := compileIn(context.Background(), qr, f)
		if err != nil {
			return err
		}
		return qr.QueryRowContext(context.Background(), "SELECT count(*) FROM "+q.from+q.whereSQL(), q.args...).Scan(&n)
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// statusIndexCount counts f by windowCount's statement.
func statusIndexCount(t *testing.T, db *DB, f audit.Filter) int64 {
	t.Helper()
	var n int64
	err := db.inSnapshot(context.Background(), func(qr querier) error {
		q, err := compileIn(context.Background(), qr, f)
		if err != nil {
			return err
		}
		s, ok := windowCount(q)
		if !ok {
			return fmt.Errorf("%s is not a window", f.String())
		}
		return qr.QueryRowContext(context.Background(), s, q.args...).Scan(&n)
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func window(since, until time.Time) audit.Filter {
	return audit.Filter{Since: since, Until: until}
}

// TestWindowCountIsOnlyForWindows: the status-index count applies to a
// filter of key bounds alone (with or without hidden rows), never to a
// filter with anything else.
func TestWindowCountIsOnlyForWindows(t *testing.T) {
	var actor audit.Filter
	actor.Since = base
	actor.Add(audit.FieldActor, "a@x")
	for _, c := range []struct {
		name string
		f    audit.Filter
		want bool
	}{
		{"since", window(base, time.Time{}), true},
		{"until", window(time.Time{}, base), true},
		{"both", window(base, base.Add(time.Hour)), true},
		{"nothing", audit.Filter{}, false},
		{"since finer than a microsecond", window(base.Add(time.Nanosecond), time.Time{}), false},
		{"until finer than a microsecond", window(base, base.Add(time.Nanosecond)), false},
		{"window and actor", actor, false},
		{"text", audit.Filter{Since: base, Text: []string{"word"}}, false},
	} {
		q, err := compile(c.f)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := windowCount(q); ok != c.want {
			t.Errorf("%s: window count %v, want %v", c.name, ok, c.want)
		}
		q.where = append(q.where, hiddenCond)
		if _, ok := windowCount(q); ok != c.want {
			t.Errorf("%s, hidden rows: window count %v, want %v", c.name, ok, c.want)
		}
	}
}

// TestWindowCountPlan: the window's count reads the status index alone,
// one key range per status, with and without hidden rows.
func TestWindowCountPlan(t *testing.T) {
	db := openTest(t)
	mustImport(t, db, sample()...)
	for _, hide := range []bool{false, true} {
		q, err := compile(window(base, base.Add(time.Hour)))
		if err != nil {
			t.Fatal(err)
		}
		if hide {
			q.where = append(q.where, hiddenCond)
		}
		stmt, ok := windowCount(q)
		if !ok {
			t.Fatal("a window is not counted as one")
		}
		rows, err := db.SQL().Query("EXPLAIN QUERY PLAN "+stmt, q.args...)
		if err != nil {
			t.Fatal(err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, notused int
			var detail string
			if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		rows.Close()
		all := strings.Join(plan, "\n")
		if !strings.Contains(all, "SEARCH e USING COVERING INDEX events_status (status=? AND rowid>? AND rowid<?)") {
			t.Errorf("hidden %v: the ranges do not read the status index:\n%s", hide, all)
		}
		for _, d := range plan {
			readsEvents := strings.HasPrefix(d, "SCAN e") || strings.HasPrefix(d, "SEARCH e")
			if strings.Contains(d, "INTEGER PRIMARY KEY") || (readsEvents && !strings.Contains(d, "USING COVERING INDEX events_status")) {
				t.Errorf("hidden %v: a step reads the events table: %q\n%s", hide, d, all)
			}
		}
	}
}

// TestWindowCountIsThePlainCount: CountEvents of a window equals the
// count(*) of the window's rows, on windows at random bounds, with rows
// hidden, on an empty cache and with statuses that differ only in case
// (the column's collation is NOCASE: one range counts them all, once).
func TestWindowCountIsThePlainCount(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	r := rand.New(rand.NewPCG(7, 13))
	n := 400
	if raceDetector {
		n = 150
	}
	windows := func() []audit.Filter {
		fs := []audit.Filter{
			window(base, time.Time{}), window(time.Time{}, base.Add(time.Hour)),
			window(base.Add(-time.Hour), base), window(base.Add(time.Duration(n)*time.Minute), time.Time{}),
		}
		for range 40 {
			a := base.Add(time.Duration(r.IntN(n+20)-10) * time.Minute).Add(time.Duration(r.IntN(60_000_000)) * time.Microsecond)
			b := a.Add(time.Duration(r.IntN(n/2*60_000_000)) * time.Microsecond)
			switch r.IntN(4) {
			case 0:
				fs = append(fs, window(a, time.Time{}))
			case 1:
				fs = append(fs, window(time.Time{}, b))
			case 2:
				fs = append(fs, window(b, a)) // empty: until before since
			default:
				fs = append(fs, window(a, b))
			}
		}
		return fs
	}
	check := func(stage string) {
		t.Helper()
		for _, f := range windows() {
			if f.Validate() != nil {
				continue
			}
			q, err := compile(f)
			if err != nil {
				t.Fatal(err)
			}
			if _, ok := windowCount(q); !ok {
				t.Fatalf("%s: %s is not counted as a window", stage, f.String())
			}
			got, err := db.CountEvents(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			want := plainCount(t, db, f)
			if got != want {
				t.Errorf("%s, %s: CountEvents %d, count(*) %d", stage, f.String(), got, want)
			}
			// the status index's statement itself (CountEvents takes
			// the whole hours from event_hours: hours.go)
			if got := statusIndexCount(t, db, f); got != want {
				t.Errorf("%s, %s: the status index counts %d, count(*) %d", stage, f.String(), got, want)
			}
		}
	}
	check("empty cache")

	statuses := []audit.Status{audit.StatusSuccess, audit.StatusFailure, audit.StatusWarning, audit.StatusInProgress}
	var evs []*audit.Event
	for i := range n {
		evs = append(evs, ev(i, "Login", "a@x", statuses[r.IntN(len(statuses))]))
	}
	mustImport(t, db, evs...)
	check("imported")

	// statuses differing only in case, and the empty status
	for _, s := range []string{
		"UPDATE events SET status = 'FAILURE' WHERE id % 3 = 0 AND status = 'failure'",
		"UPDATE events SET status = 'Success' WHERE id % 5 = 0 AND status = 'success'",
		"UPDATE events SET status = '' WHERE id % 7 = 0",
	} {
		if _, err := db.SQL().Exec(s); err != nil {
			t.Fatal(err)
		}
	}
	var distinct int
	if err := db.SQL().QueryRow("SELECT count(DISTINCT status COLLATE BINARY) FROM events").Scan(&distinct); err != nil {
		t.Fatal(err)
	}
	if distinct < 7 {
		t.Fatalf("%d spellings of the statuses, want 7", distinct)
	}
	check("statuses in two cases")

	// hidden as retention hides rows: the hours they leave recounted
	if err := db.withWriteTx(ctx, func(c *sql.Conn) error {
		if _, err := c.ExecContext(ctx, "INSERT INTO unpublished (id) SELECT id FROM events WHERE id % 4 = 1"); err != nil {
			return err
		}
		return recountHidden(ctx, c)
	}); err != nil {
		t.Fatal(err)
	}
	if unpublishedRows(t, db) == 0 {
		t.Fatal("no row hidden")
	}
	check("rows hidden")
	// and the hidden rows are not counted
	all, err := db.CountEvents(ctx, window(base.Add(-time.Hour), time.Time{}))
	if err != nil {
		t.Fatal(err)
	}
	if want := int64(n - unpublishedRows(t, db)); all != want {
		t.Errorf("rows hidden: the whole window counts %d, want %d", all, want)
	}
}
