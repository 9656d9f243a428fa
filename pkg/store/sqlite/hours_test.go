package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/store"
)

// spread is n events from base on, about every 7 minutes over days,
// statuses drawn by r (success, failure, warning, and "FAILURE": the
// column compares without case).
func spread(r *rand.Rand, from, n int, actor string) []*audit.Event {
	statuses := []audit.Status{audit.StatusSuccess, audit.StatusFailure, audit.StatusWarning, "FAILURE"}
	var out []*audit.Event
	for i := from; i < from+n; i++ {
		e := ev(i, "Login", actor, statuses[r.IntN(len(statuses))])
		e.Time = base.Add(time.Duration(i)*7*time.Minute + time.Duration(r.IntN(60_000_000))*time.Microsecond)
		out = append(out, e)
	}
	return out
}

// hourWindows are windows over the events of spread(…, 0, n): whole
// hours, partial hours at either edge, open ends, within one hour, empty;
// each alone and with status:failure (both spellings).
func hourWindows(r *rand.Rand, n int) []audit.Filter {
	span := time.Duration(n) * 7 * time.Minute
	at := func() time.Time {
		t := base.Add(-time.Hour + time.Duration(r.Int64N(int64(span+2*time.Hour))))
		switch r.IntN(3) {
		case 0:
			return t.Truncate(time.Hour)
		case 1:
			return t.Truncate(time.Microsecond)
		}
		return t.Truncate(time.Second)
	}
	fs := []audit.Filter{
		window(base, time.Time{}), window(time.Time{}, base.Add(5*time.Hour)),
		window(base.Add(time.Hour), base.Add(3*time.Hour)), window(base.Add(90*time.Minute), base.Add(150*time.Minute)),
		window(base.Add(10*time.Minute), base.Add(20*time.Minute)),
	}
	for range 40 {
		a, b := at(), at()
		switch r.IntN(4) {
		case 0:
			fs = append(fs, window(a, time.Time{}))
		case 1:
			fs = append(fs, window(time.Time{}, b))
		default:
			fs = append(fs, window(a, b)) // empty when b is before a
		}
	}
	for i := range fs {
		if i%2 == 0 {
			f := fs[i]
			f.Add(audit.FieldStatus, []string{"failure", "Failure"}[i%4/2])
			fs = append(fs, f)
		}
	}
	return fs
}

// countsAreThePlainCounts: CountEvents of each window (from event_hours
// where it can) is count(*) over the events.
func countsAreThePlainCounts(t *testing.T, db *DB, stage string, fs []audit.Filter) {
	t.Helper()
	ctx := context.Background()
	viaHours := 0
	for _, f := range fs {
		if f.Validate() != nil {
			continue
		}
		got, err := db.CountEvents(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		if want := plainCount(t, db, f); got != want {
			t.Errorf("%s, %s: CountEvents %d, count(*) %d", stage, f.String(), got, want)
		}
		if usesHours(t, db, f) {
			viaHours++
		}
	}
	if viaHours < len(fs)/3 {
		t.Fatalf("%s: only %d of %d windows counted from event_hours", stage, viaHours, len(fs))
	}
}

func usesHours(t *testing.T, db *DB, f audit.Filter) bool {
	t.Helper()
	var ok bool
	err := db.inSnapshot(context.Background(), func(qr querier) error {
		q, err := compileIn(context.Background(), qr, f)
		if err != nil {
			return err
		}
		_, ok, err = hourCount(context.Background(), qr, q)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return ok
}

func TestHourOf(t *testing.T) {
	for _, c := range []struct{ key, hour int64 }{
		{0, 0}, {hourKeys - 1, 0}, {hourKeys, 1}, {-1, -1}, {-hourKeys, -1}, {-hourKeys - 1, -2},
	} {
		if got := hourOf(c.key); got != c.hour {
			t.Errorf("hourOf(%d) = %d, want %d", c.key, got, c.hour)
		}
	}
}

// The counts from event_hours are the plain counts at random windows:
// after imports, with an import's slices hidden, after a guest, after the
// import fails (its rows deleted, never counted), after retention, and
// for events before 1970 (negative keys).
func TestHourCountsAreThePlainCounts(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	r := rand.New(rand.NewPCG(3, 5))
	n := 1200
	if raceDetector {
		n = 600
	}
	fs := hourWindows(r, n)
	countsAreThePlainCounts(t, db, "empty cache", fs)
	mustImport(t, db, spread(r, 0, n/2, "a@x")...)
	mustHours(t, db)
	countsAreThePlainCounts(t, db, "imported", fs)

	// an import in slices, stopped after its first: its rows hidden
	release := make(chan struct{})
	// (the gate past the reader's first batches of 256, so that a slice
	// commits before it)
	g := &gatedReader{sliceReader: reader(spread(r, n/2, max(n/2, 800), "b@x")...), gateAt: 600, gate: release, reached: make(chan struct{})}
	fr := &failingReader{g, &audit.InputError{File: "big.ndjson", Line: n, Fatal: true, Err: errors.New("truncated")}}
	done := make(chan error, 1)
	go func() {
		_, err := db.Import(ctx, fr, ImportOptions{})
		done <- err
	}()
	<-g.reached
	waitUnpublished(t, db)
	mustHours(t, db)
	countsAreThePlainCounts(t, db, "a slice hidden", fs)
	// a guest: new events, and events the hidden slice holds (adopted)
	guest := append(spread(rand.New(rand.NewPCG(9, 9)), n/2, 20, "b@x"), ev(n*3, "Logout", "g@x", audit.StatusFailure))
	if _, err := db.Import(ctx, reader(guest...), ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	mustHours(t, db)
	countsAreThePlainCounts(t, db, "after a guest", fs)
	close(release)
	if err := <-done; err == nil {
		t.Fatal("the import did not fail")
	}
	mustHours(t, db)
	countsAreThePlainCounts(t, db, "the sliced import failed", fs)

	// retention: a time window (partial hours) and an actor
	if _, err := db.DeleteEvents(ctx, window(time.Time{}, base.Add(100*time.Minute+time.Second))); err != nil {
		t.Fatal(err)
	}
	mustHours(t, db)
	countsAreThePlainCounts(t, db, "retention by time", fs)
	var g2 audit.Filter
	g2.Add(audit.FieldActor, "g@x")
	if k, err := db.DeleteEvents(ctx, g2); err != nil || k != 1 {
		t.Fatalf("deleted %d: %v", k, err)
	}
	mustHours(t, db)
	countsAreThePlainCounts(t, db, "retention by actor", fs)

	// before 1970: negative keys, floor to the hour below
	old := ev(n*4, "Login", "old@x", audit.StatusFailure)
	old.Time = time.Date(1960, 3, 1, 10, 30, 0, 0, time.UTC)
	old2 := ev(n*4+1, "Login", "old@x", audit.StatusSuccess)
	old2.Time = time.Date(1960, 3, 1, 11, 0, 0, 0, time.UTC)
	mustImport(t, db, old, old2)
	mustHours(t, db)
	for _, f := range []audit.Filter{
		window(time.Date(1960, 3, 1, 10, 0, 0, 0, time.UTC), time.Date(1960, 3, 1, 12, 0, 0, 0, time.UTC)),
		window(time.Date(1960, 3, 1, 10, 31, 0, 0, time.UTC), time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)),
		window(time.Time{}, time.Date(1960, 3, 1, 11, 0, 0, 0, time.UTC)),
	} {
		countsAreThePlainCounts(t, db, "before 1970", []audit.Filter{f, f, f})
	}
}

// Importers at once (each file all or nothing, some in slices, some
// guests, overlapping events) and retention beside them: the counts per
// hour stay the events' after each.
func TestHourCountsConcurrentWriters(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	n := 900
	if raceDetector {
		n = 300
	}
	// events of their own that retention deletes while the importers run,
	// in the same hours as theirs
	var old []*audit.Event
	for i := range n / 2 {
		e := ev(20000+i, "Login", "old@x", []audit.Status{audit.StatusSuccess, audit.StatusFailure}[i%2])
		e.Time = base.Add(time.Duration(i) * 13 * time.Minute)
		old = append(old, e)
	}
	mustImport(t, db, old...)
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(w), 1))
			for k := range 3 {
				// overlapping ranges of the same events (same ids, same times)
				evs := spread(rand.New(rand.NewPCG(42, uint64(k))), w*n/4, n/2, fmt.Sprintf("w%d@x", k))
				if w == 3 && k == 1 {
					// and a file that fails at its end
					fr := &failingReader{&gatedReader{sliceReader: reader(evs...), gateAt: -1, reached: make(chan struct{})},
						&audit.InputError{File: "bad", Line: 1, Fatal: true, Err: errors.New("bad")}}
					if _, err := db.Import(ctx, fr, ImportOptions{}); err == nil {
						errs <- errors.New("the failing file imported")
					}
					continue
				}
				if _, err := db.Import(ctx, reader(evs...), ImportOptions{}); err != nil {
					errs <- err
					return
				}
				if r.IntN(2) == 0 {
					if err := db.CheckHourCounts(ctx); err != nil {
						errs <- err
					}
				}
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for k := range 3 {
			f := window(time.Time{}, base.Add(time.Duration(k*n/3)*7*time.Minute).Add(17*time.Minute))
			f.Add(audit.FieldActor, "old@x")
			if _, err := db.DeleteEvents(ctx, f); err != nil {
				errs <- err
			}
			time.Sleep(20 * time.Millisecond)
		}
	}()
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	mustHours(t, db)
	countsAreThePlainCounts(t, db, "after concurrent writers", hourWindows(rand.New(rand.NewPCG(1, 1)), n))
}

// A writer killed after its transaction committed leaves rows listed in
// unpublished: an import's slices (never counted) or the rows a retention
// run hid (they left the counts in the hiding transaction). Readers'
// counts exclude both, and the next writer that deletes them changes
// nothing.
func TestHourCountsAfterKilledWriters(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	r := rand.New(rand.NewPCG(11, 12))
	mustImport(t, db, spread(r, 0, 300, "a@x")...)
	fs := hourWindows(r, 300)
	// the state a killed import leaves: a slice's rows stored and hidden
	dead := spread(r, 300, 100, "dead@x")
	if err := db.withWriteTx(ctx, func(c *sql.Conn) error {
		for _, e := range dead {
			k, err := eventKey(e.Time, e.Source, e.ID)
			if err != nil {
				return err
			}
			if _, err := c.ExecContext(ctx, "INSERT INTO events (id, source, ext_id, time_ns, status) VALUES (?, ?, ?, ?, ?)",
				k, e.Source, e.ID, e.Time.UnixNano(), string(e.Status)); err != nil {
				return err
			}
			if _, err := c.ExecContext(ctx, "INSERT INTO unpublished (id) VALUES (?)", k); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	// and a killed retention run: what it hid, recounted as it does
	if err := db.withWriteTx(ctx, func(c *sql.Conn) error {
		if _, err := c.ExecContext(ctx, "INSERT OR IGNORE INTO unpublished (id) SELECT id FROM events WHERE id % 5 = 0"); err != nil {
			return err
		}
		return recountHidden(ctx, c)
	}); err != nil {
		t.Fatal(err)
	}
	if unpublishedRows(t, db) < 100 {
		t.Fatal("nothing hidden")
	}
	mustHours(t, db)
	countsAreThePlainCounts(t, db, "killed writers' rows hidden", fs)
	// the next import deletes them first
	mustImport(t, db, ev(5000, "Login", "x", audit.StatusFailure))
	if unpublishedRows(t, db) != 0 {
		t.Fatal("rows left hidden")
	}
	mustHours(t, db)
	countsAreThePlainCounts(t, db, "after the next import", fs)
}

// plainHistogram is Histogram as it is without event_hours: the events
// grouped by their bucket.
func plainHistogram(t *testing.T, db *DB, f audit.Filter, interval time.Duration) []audit.Bucket {
	t.Helper()
	var out []audit.Bucket
	err := db.inSnapshot(context.Background(), func(qr querier) error {
		q, err := compileIn(context.Background(), qr, f)
		if err != nil {
			return err
		}
		step := interval.Nanoseconds()
		rows, err := qr.QueryContext(context.Background(), fmt.Sprintf("SELECT (e.time_ns - ((e.time_ns %% %d) + %d) %% %d) AS b, count(*) FROM %s%s GROUP BY b ORDER BY b",
			step, step, step, q.from, q.whereSQL()), q.args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var ns, n int64
			if err := rows.Scan(&ns, &n); err != nil {
				return err
			}
			out = store.AppendBucket(out, time.Unix(0, ns).UTC(), n, interval)
		}
		return rows.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// Histograms of whole hours come from event_hours, and are the events'
// own: at random windows (and none), intervals of 1 h to a week, alone and
// with status:failure; an interval that is not whole hours is counted
// from the events.
func TestHourHistogramIsThePlainHistogram(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	r := rand.New(rand.NewPCG(21, 22))
	n := 1200
	if raceDetector {
		n = 500
	}
	mustImport(t, db, spread(r, 0, n, "a@x")...)
	// and rows hidden (retention's state), so that hidden rows are left out
	if err := db.withWriteTx(ctx, func(c *sql.Conn) error {
		if _, err := c.ExecContext(ctx, "INSERT INTO unpublished (id) SELECT id FROM events WHERE id % 6 = 0"); err != nil {
			return err
		}
		return recountHidden(ctx, c)
	}); err != nil {
		t.Fatal(err)
	}
	fs := append(hourWindows(r, n), audit.Filter{})
	sameHistograms(t, db, fs)

	// before 1970: negative keys, hours and buckets floored
	db = openTest(t)
	var old []*audit.Event
	for i := range 40 {
		e := ev(i, "Login", "old@x", []audit.Status{audit.StatusSuccess, audit.StatusFailure}[i%2])
		e.Time = time.Date(1960, 3, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * 47 * time.Minute)
		old = append(old, e)
	}
	mustImport(t, db, old...)
	fs = []audit.Filter{{}, window(time.Date(1960, 3, 1, 2, 15, 0, 0, time.UTC), time.Date(1960, 3, 2, 5, 0, 1, 0, time.UTC))}
	fs = append(fs, fs[1])
	fs[2].Add(audit.FieldStatus, "failure")
	sameHistograms(t, db, fs)
}

// sameHistograms: Histogram of each filter is plainHistogram, at
// intervals of 1 h to a week (from event_hours) and of 90 min (not).
func sameHistograms(t *testing.T, db *DB, fs []audit.Filter) {
	t.Helper()
	ctx := context.Background()
	fromHours := 0
	for _, iv := range []time.Duration{time.Hour, 2 * time.Hour, 3 * time.Hour, 6 * time.Hour, 24 * time.Hour, 7 * 24 * time.Hour, 90 * time.Minute} {
		for _, f := range fs {
			if f.Validate() != nil {
				continue
			}
			got, err := db.Histogram(ctx, f, iv)
			if err != nil {
				t.Fatal(err)
			}
			want := plainHistogram(t, db, f, iv)
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("%s every %s:\n got %v\nwant %v", f.String(), iv, got, want)
			}
			var ok bool
			if err := db.inSnapshot(ctx, func(qr querier) error {
				q, err := compileIn(ctx, qr, f)
				if err != nil {
					return err
				}
				_, ok, err = hourHistogram(ctx, qr, q, iv)
				return err
			}); err != nil {
				t.Fatal(err)
			}
			if ok {
				fromHours++
				if iv%time.Hour != 0 {
					t.Fatalf("every %s from event_hours", iv)
				}
			}
		}
	}
	if fromHours < len(fs)*2 {
		t.Fatalf("only %d histograms from event_hours", fromHours)
	}
}
