package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"testing"
	"time"

	"github.com/auditctl/auditctl/pkg/audit"
)

// unpublishedRows counts the rows hidden from readers.
func unpublishedRows(t *testing.T, db *DB) int {
	t.Helper()
	var n int
	if err := db.SQL().QueryRow("SELECT count(*) FROM unpublished").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// waitUnpublished waits until an import has committed a slice.
func waitUnpublished(t *testing.T, db *DB) int {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if n := unpublishedRows(t, db); n > 0 {
			return n
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("the import committed no slice")
	return 0
}

func dave(from, to int) []*audit.Event {
	var out []*audit.Event
	for i := from; i < to; i++ {
		out = append(out, ev(i, "Login", "dave", audit.StatusSuccess))
	}
	return out
}

// A file written in several transactions is invisible to every read path
// until its last transaction, while other writers get the lock between its
// slices.
func TestSlicedImportAllOrNothing(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	mustImport(t, db, sample()...) // e0..e29, published
	release := make(chan struct{})
	r := &gatedReader{sliceReader: reader(dave(100, 2100)...), gateAt: 1000, gate: release, reached: make(chan struct{})}
	done := make(chan error, 1)
	go func() {
		res, err := db.Import(ctx, r, ImportOptions{})
		if err == nil && (res.Read != 2000 || res.Inserted != 2000) {
			err = errors.New("wrong counts")
		}
		done <- err
	}()
	<-r.reached
	hidden := waitUnpublished(t, db)
	if hidden < 256 {
		t.Fatalf("only %d rows in the first slice", hidden)
	}

	// every read path sees the 30 published events only
	if n, err := db.CountEvents(ctx, audit.Filter{}); err != nil || n != 30 {
		t.Errorf("count: %d %v", n, err)
	}
	if evs, total, err := db.FindEvents(ctx, audit.Filter{}, audit.Page{Limit: 10}); err != nil || total != 30 || len(evs) != 10 || evs[0].ID != "e29" {
		t.Errorf("find: %d events, total %d, %v", len(evs), total, err)
	}
	for _, p := range []audit.Page{{}, {Sort: []audit.SortKey{{Field: audit.FieldTime}}}, {Sort: []audit.SortKey{{Field: audit.FieldActor}}}} {
		if got := collect(t, db, audit.Filter{}, p); len(got) != 30 {
			t.Errorf("each event %+v: %d", p, len(got))
		}
	}
	if _, err := db.FindEventByID(ctx, "e100", ""); audit.ExitCode(err) != 3 {
		t.Errorf("show e100 while unpublished: %v", err)
	}
	if _, err := db.FindEventByID(ctx, "e10", ""); err != nil { // a prefix of e100.. too
		t.Errorf("show e10: %v", err)
	}
	if n, _ := db.CountEvents(ctx, audit.Filter{Text: []string{"dave"}}); n != 0 {
		t.Errorf("full text finds %d unpublished", n)
	}
	buckets, total, err := db.CountByTotal(ctx, audit.Filter{}, audit.FieldActor, 0)
	if err != nil || total != 30 || len(buckets) != 3 {
		t.Errorf("count by: %v %d %v", buckets, total, err)
	}
	if hb, err := db.Histogram(ctx, audit.Filter{}, time.Hour); err != nil || sumBuckets(hb) != 30 {
		t.Errorf("histogram: %v %v", hb, err)
	}

	var byActor, byIP audit.Filter
	byActor.Add(audit.FieldActor, "dave")
	byIP.Add(audit.FieldIP, "10.0.*")
	if ns, err := db.CountMany(ctx, []audit.Filter{{}, byActor, byIP, {Since: base}, {Text: []string{"dave"}}}); err != nil || ns[0] != 30 || ns[1] != 0 || ns[2] != 30 || ns[3] != 30 || ns[4] != 0 {
		t.Errorf("count many: %v %v", ns, err)
	}
	if spans, err := db.EventSpans(ctx, base.Add(1000*time.Hour)); err != nil || len(spans) != 1 || spans[0].All.Count != 30 {
		t.Errorf("event spans: %+v %v", spans, err)
	}

	// another writer does not wait for the file: a guest import of one new
	// event and one the file holds unpublished
	start := time.Now()
	res, err := db.Import(ctx, reader(ev(5000, "Logout", "erin", audit.StatusSuccess), dave(100, 101)[0]), ImportOptions{})
	if err != nil || res.Inserted != 1 {
		t.Fatalf("guest import: %+v %v", res, err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("the guest waited %s", d)
	}
	if n, _ := db.CountEvents(ctx, audit.Filter{}); n != 32 {
		t.Errorf("after the guest: %d, want 30 + its two events", n)
	}

	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if n, _ := db.CountEvents(ctx, audit.Filter{}); n != 2031 {
		t.Fatalf("after publishing: %d", n)
	}
	if n, _ := db.CountEvents(ctx, audit.Filter{Text: []string{"dave"}}); n != 2000 {
		t.Fatalf("full text after publishing: %d", n)
	}
	if n := unpublishedRows(t, db); n != 0 {
		t.Fatalf("%d rows left unpublished", n)
	}
	// the chain holds: the file's batch, the guest's (with the row it
	// adopted from the file)
	mustClean(t, db, 2031)
}

func sumBuckets(bs []audit.Bucket) int64 {
	var n int64
	for _, b := range bs {
		n += b.Count
	}
	return n
}

// failingReader returns err after its events, instead of io.EOF.
type failingReader struct {
	*gatedReader
	err error
}

func (f *failingReader) Next() (*audit.Event, error) {
	e, err := f.gatedReader.Next()
	if err != nil {
		return nil, f.err
	}
	return e, nil
}

// A file that fails after some slices leaves nothing behind, except the
// rows another import stored meanwhile.
func TestSlicedImportFailureTakesItBack(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	mustImport(t, db, sample()...)
	release := make(chan struct{})
	g := &gatedReader{sliceReader: reader(dave(100, 1500)...), gateAt: 1000, gate: release, reached: make(chan struct{})}
	r := &failingReader{g, &audit.InputError{File: "big.ndjson", Line: 1501, Fatal: true, Err: errors.New("truncated")}}
	done := make(chan error, 1)
	go func() {
		_, err := db.Import(ctx, r, ImportOptions{})
		done <- err
	}()
	<-g.reached
	waitUnpublished(t, db)
	// a guest stores e100, which the failing file also holds
	if _, err := db.Import(ctx, reader(dave(100, 101)...), ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	close(release)
	if err := <-done; err == nil {
		t.Fatal("the import did not fail")
	}
	if n, _ := db.CountEvents(ctx, audit.Filter{}); n != 31 {
		t.Fatalf("after the failed import: %d events, want 30 + the guest's", n)
	}
	if n := unpublishedRows(t, db); n != 0 {
		t.Fatalf("%d rows left unpublished", n)
	}
	var stored int
	db.SQL().QueryRow("SELECT count(*) FROM events").Scan(&stored)
	if stored != 31 {
		t.Fatalf("%d rows stored", stored)
	}
	// the failed file sealed nothing; the row the guest adopted is the
	// guest's
	mustClean(t, db, 31)
}

// A guest that cannot finish in one slice waits for the owner, then starts
// over from what it kept and stores everything.
func TestGuestStartsOver(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	release := make(chan struct{})
	owner := &gatedReader{sliceReader: reader(dave(100, 1500)...), gateAt: 1000, gate: release, reached: make(chan struct{})}
	done := make(chan error, 1)
	go func() {
		_, err := db.Import(ctx, owner, ImportOptions{})
		done <- err
	}()
	<-owner.reached
	// all the owner read is stored (hidden) before the guest comes
	for deadline := time.Now().Add(30 * time.Second); unpublishedRows(t, db) < 1000 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	// the guest's input pauses (a slow pipe): it cannot finish in a slice
	pause := make(chan struct{})
	guest := &gatedReader{sliceReader: reader(dave(1000, 1600)...), gateAt: 400, gate: pause, reached: make(chan struct{})}
	waited := make(chan struct{})
	db.SetWaitNotice(func() { close(waited) })
	gdone := make(chan error, 1)
	var gres audit.ImportResult
	go func() {
		var err error
		gres, err = db.Import(ctx, guest, ImportOptions{})
		gdone <- err
	}()
	<-guest.reached
	// long enough for the guest's writer to catch up with its reader and
	// then find nothing to read for sliceIdle, even under -race
	time.Sleep(10 * sliceIdle)
	close(pause)
	select {
	case <-waited:
	case <-time.After(30 * time.Second):
		t.Fatal("the guest did not say it waits")
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if err := <-gdone; err != nil {
		t.Fatal(err)
	}
	if gres.Read != 600 || gres.Inserted != 100 {
		t.Fatalf("guest result %+v, want 600 read, 100 new", gres)
	}
	if n, _ := db.CountEvents(ctx, audit.Filter{}); n != 1500 {
		t.Fatalf("%d events", n)
	}
	mustClean(t, db, 1500)
}

// Rows a dead writer left unpublished stay hidden, and the next owner of
// the ingest lock deletes them (an import killed midway; a retention run
// killed after hiding what it deletes).
func TestDeadWritersRowsAreDeleted(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	mustImport(t, db, sample()...)
	if _, err := db.SQL().Exec("INSERT INTO unpublished (id) SELECT id FROM events WHERE actor = 'carol@corp.io'"); err != nil {
		t.Fatal(err)
	}
	if n, _ := db.CountEvents(ctx, audit.Filter{}); n != 20 {
		t.Fatalf("readers see %d", n)
	}
	mustImport(t, db, ev(500, "Login", "x", audit.StatusSuccess))
	var stored int
	db.SQL().QueryRow("SELECT count(*) FROM events").Scan(&stored)
	if stored != 21 || unpublishedRows(t, db) != 0 {
		t.Fatalf("%d stored, %d unpublished", stored, unpublishedRows(t, db))
	}
	if n, _ := db.CountEvents(ctx, audit.Filter{Text: []string{"carol"}}); n != 0 {
		t.Fatalf("full text keeps %d", n)
	}
}

// Retention hides what it deletes in one transaction, with the caller's
// checkpoint in it, then deletes it in slices.
func TestDeleteEventsWith(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	mustImport(t, db, sample()...)
	var f audit.Filter
	f.Add(audit.FieldActor, "bob@example.com")
	var seen int64
	n, err := db.DeleteEventsWith(ctx, f, func(c *sql.Conn, n int64) error {
		seen = n
		var hidden int64
		return c.QueryRowContext(ctx, "SELECT count(*) FROM unpublished").Scan(&hidden)
	})
	if err != nil || n != 10 || seen != 10 {
		t.Fatalf("deleted %d (hook saw %d): %v", n, seen, err)
	}
	// a failing hook deletes nothing
	f = audit.Filter{}
	f.Add(audit.FieldActor, "alice@example.com")
	if _, err := db.DeleteEventsWith(ctx, f, func(*sql.Conn, int64) error { return errors.New("no key") }); err == nil {
		t.Fatal("hook error ignored")
	}
	if left, _ := db.CountEvents(ctx, audit.Filter{}); left != 20 || unpublishedRows(t, db) != 0 {
		t.Fatalf("left %d, %d unpublished", left, unpublishedRows(t, db))
	}
	// the deletion's signed checkpoint covers it
	mustClean(t, db, 20)
}

// A statement that cannot be prepared (ctx ended between BEGIN and the
// prepare: a sync interrupted) is an error, not a panic on the driver's
// typed nil (seen in CI: TestSyncInterruptedConverges).
func TestInserterPrepareCancelled(t *testing.T) {
	db := openTest(t)
	conn, err := db.SQL().Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err = conn.Raw(func(dc any) error {
		ins, err := newInserter(ctx, dc)
		if err == nil {
			ins.close()
		}
		return err
	})
	if err == nil {
		t.Fatal("prepared with a cancelled context")
	}
}

// An import that runs while retention is deleting some of its events
// (hidden by retention's first transaction, not yet deleted) stores them
// anew, as if it had run after the retention run: a row retention hides is
// not an import's to publish. It used to take such a row for an owner
// import's and fail sealing it ("seal adopted row …: EOF": retention had
// already dropped its hash).
func TestGuestDuringRetentionStoresDoomedEventsAnew(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	mustImport(t, db, sample()...)
	var f audit.Filter
	f.Add(audit.FieldActor, "carol@corp.io")
	carol := func() int64 {
		t.Helper()
		n, err := db.CountEvents(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	// the file holds all 30 (carol's 10 among them, the same rows), a
	// second copy of one of hers, and one new event
	file := append(sample(), ev(7, "Login", "carol@corp.io", audit.StatusSuccess), ev(40, "Login", "erin", audit.StatusSuccess))
	var gres audit.ImportResult
	var gerr error
	ran := false
	testAfterHide = func() {
		ran = true
		if n := carol(); n != 0 {
			t.Errorf("retention hid carol's events, yet readers see %d", n)
		}
		var doomed int
		db.SQL().QueryRow("SELECT count(*) FROM unpublished WHERE doomed = 1").Scan(&doomed)
		if doomed != 10 {
			t.Errorf("%d rows marked as retention's, want 10", doomed)
		}
		// retention holds the ingest lock: this import is a guest
		gres, gerr = db.Import(ctx, reader(file...), ImportOptions{})
		if gerr != nil {
			return
		}
		// with the guest's commit, its file is there whole, and the chain
		// and the counts per hour hold while retention still deletes
		if n := carol(); n != 10 {
			t.Errorf("after the guest: carol has %d events, want 10", n)
		}
		mustClean(t, db, 31)
	}
	defer func() { testAfterHide = nil }()
	n, err := db.DeleteEventsWith(ctx, f, nil)
	testAfterHide = nil
	if !ran {
		t.Fatal("the hook did not run")
	}
	if gerr != nil {
		t.Fatalf("import during retention: %v", gerr)
	}
	if err != nil || n != 10 {
		t.Fatalf("retention deleted %d: %v", n, err)
	}
	if gres.Read != 32 || gres.Inserted != 11 {
		t.Fatalf("guest result %+v, want 32 read, 11 new (carol's 10 again and erin's)", gres)
	}
	// retention's slices left the guest's rows alone
	if got := carol(); got != 10 {
		t.Fatalf("carol has %d events, want 10", got)
	}
	if n, _ := db.CountEvents(ctx, audit.Filter{Text: []string{"carol"}}); n != 10 {
		t.Fatalf("search finds %d of carol's events", n)
	}
	var stored, docs int
	db.SQL().QueryRow("SELECT count(*) FROM events").Scan(&stored)
	db.SQL().QueryRow("SELECT count(*) FROM event_docs").Scan(&docs)
	if stored != 31 || docs != 31 || unpublishedRows(t, db) != 0 {
		t.Fatalf("%d rows, %d documents, %d unpublished", stored, docs, unpublishedRows(t, db))
	}
	mustClean(t, db, 31)
	// and the next run of the same retention deletes them again
	if n, err := db.DeleteEvents(ctx, f); err != nil || n != 10 {
		t.Fatalf("second retention deleted %d: %v", n, err)
	}
	mustClean(t, db, 21)
}
