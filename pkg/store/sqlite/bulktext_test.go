package sqlite

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/auditctl/auditctl/pkg/audit"
)

// searchCount counts the events a full-text term finds.
func searchCount(t *testing.T, db *DB, term string) int64 {
	t.Helper()
	n, err := db.CountEvents(context.Background(), audit.Filter{Text: []string{term}})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// scratchFiles lists the text builders' scratch files beside the cache.
func scratchFiles(t *testing.T, db *DB) []string {
	t.Helper()
	m, err := filepath.Glob(textPrefix(db.Path()) + "*")
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// checkIndex checks that the text index is sound and holds exactly one
// entry per stored event, each found by its own word (w<i>) and by the
// word every event has (did).
func checkIndex(t *testing.T, db *DB, want []*audit.Event) {
	t.Helper()
	if _, err := db.SQL().Exec("INSERT INTO events_fts(events_fts) VALUES ('integrity-check')"); err != nil {
		t.Fatalf("integrity-check: %v", err)
	}
	var docs, rows int
	if err := db.SQL().QueryRow("SELECT (SELECT count(*) FROM events_fts_docsize), (SELECT count(*) FROM events)").Scan(&docs, &rows); err != nil {
		t.Fatal(err)
	}
	if docs != rows || rows != len(want) {
		t.Errorf("%d index entries, %d rows, want %d", docs, rows, len(want))
	}
	if n := searchCount(t, db, "did"); n != int64(len(want)) {
		t.Errorf("search did: %d, want %d", n, len(want))
	}
	for _, e := range []*audit.Event{want[0], want[len(want)/2], want[len(want)-1]} {
		w := "w" + e.ID[1:]
		if n := searchCount(t, db, w); n != 1 {
			t.Errorf("search %s: %d, want 1", w, n)
		}
	}
}

// An import into an empty cache that outlasts its first slice builds its
// text index apart and publishes it with its rows; while it runs, readers
// find none of its rows, by search or otherwise, and the scratch file is
// removed at the end. The index then works as any other in the same
// process (the connection that copied it is not reused).
func TestBulkTextIndex(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	evs := dave(0, 3000)
	release, done := startBulkImport(t, db, evs)
	if len(scratchFiles(t, db)) != 1 {
		t.Errorf("scratch files during the import: %v", scratchFiles(t, db))
	}
	if n := searchCount(t, db, "did"); n != 0 {
		t.Errorf("search during the import: %d", n)
	}
	if empty, err := ftsEmptyDB(db); err != nil || !empty {
		t.Errorf("the cache's index is written during the import (empty %v, %v)", empty, err)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if m := scratchFiles(t, db); len(m) != 0 {
		t.Errorf("scratch files left: %v", m)
	}
	checkIndex(t, db, evs)
	// the same process goes on with the usual path
	more := dave(3000, 3010)
	mustImport(t, db, more...)
	checkIndex(t, db, append(evs, more...))
	if _, err := db.DeleteEvents(ctx, audit.Filter{Until: evs[99].Time.Add(time.Second)}); err != nil {
		t.Fatal(err)
	}
	checkIndex(t, db, append(evs[100:], more...))
	mustClean(t, db, int64(len(evs)-100+len(more)))
}

func ftsEmptyDB(db *DB) (bool, error) {
	c, err := db.SQL().Conn(context.Background())
	if err != nil {
		return false, err
	}
	defer c.Close()
	return ftsEmpty(context.Background(), c)
}

// Another writer indexes rows while the bulk import runs (a guest between
// two slices, one of its events the importer's own): the import then
// indexes its rows from their stored text, and every row ends up indexed
// once, the adopted one as soon as the guest publishes it.
func TestBulkTextIndexWithGuest(t *testing.T) {
	db := openTest(t)
	evs := dave(0, 3000)
	release, done := startBulkImport(t, db, evs)
	// e7 is the importer's, hidden; e5000 is new
	guest := []*audit.Event{evs[7], ev(5000, "Login", "erin", audit.StatusSuccess)}
	if res := mustImport(t, db, guest...); res.Inserted != 1 {
		t.Fatalf("guest: %+v", res)
	}
	if n := searchCount(t, db, "w7"); n != 1 {
		t.Errorf("the adopted row is not found by search: %d", n)
	}
	if n := searchCount(t, db, "w5000"); n != 1 {
		t.Errorf("the guest's row is not found by search: %d", n)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	checkIndex(t, db, append(evs, guest[1]))
	if m := scratchFiles(t, db); len(m) != 0 {
		t.Errorf("scratch files left: %v", m)
	}
	mustClean(t, db, int64(len(evs)+1))
}

// A bulk import that fails after its first slice takes its rows back and
// leaves the index empty and no scratch file; a scratch file a dead writer
// left is removed by the next owner of the ingest lock.
func TestBulkTextIndexFailure(t *testing.T) {
	db := openTest(t)
	evs := append(dave(0, 3000), nil) // the last record is bad
	release, done := startBulkImport(t, db, evs)
	close(release)
	var ie *audit.InputError
	if err := <-done; !errors.As(err, &ie) {
		t.Fatalf("want an input error, got %v", err)
	}
	if n := unpublishedRows(t, db); n != 0 {
		t.Errorf("%d rows left unpublished", n)
	}
	if empty, err := ftsEmptyDB(db); err != nil || !empty {
		t.Errorf("index not empty after the failure (%v, %v)", empty, err)
	}
	if m := scratchFiles(t, db); len(m) != 0 {
		t.Errorf("scratch files left: %v", m)
	}
	// a dead writer's scratch file
	dead := textPrefix(db.Path()) + "dead"
	if err := os.WriteFile(dead, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	mustImport(t, db, dave(0, 10)...)
	if _, err := os.Stat(dead); !os.IsNotExist(err) {
		t.Errorf("a dead writer's scratch file is left: %v", err)
	}
	checkIndex(t, db, dave(0, 10))
}

// Readers never see a row that the text index does not cover: during a
// bulk import, every read finds by search exactly the rows it sees.
func TestBulkTextIndexReaders(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	const n = 4000
	evs := dave(0, n)
	var stop atomic.Bool
	errs := make(chan error, 1)
	go func() {
		defer close(errs)
		for !stop.Load() {
			// the count first, the search after: rows once visible stay
			// visible, so a search that starts after every row was seen
			// must find every row (two reads, two snapshots: the other
			// order races with the publishing commit)
			all, err := db.CountEvents(ctx, audit.Filter{})
			if err != nil {
				errs <- err
				return
			}
			c, total, err := db.CountByTotal(ctx, audit.Filter{Text: []string{"did"}}, audit.FieldActor, 10)
			if err != nil {
				errs <- err
				return
			}
			// one snapshot: the search's groups and total agree; and
			// what search finds is all or nothing of the file
			if sum := groupSum(c); sum != total || (total != 0 && total != n) {
				errs <- fmt.Errorf("search: total %d, groups %d", total, sum)
				return
			}
			if all == n && total != n {
				errs <- fmt.Errorf("published rows without their index entries: search %d of %d", total, all)
				return
			}
		}
	}()
	if _, err := db.Import(ctx, &slowReader{sliceReader: reader(evs...), every: 500, pause: 150 * time.Millisecond}, ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond)
	stop.Store(true)
	for err := range errs {
		t.Error(err)
	}
	checkIndex(t, db, evs)
}

// slowReader pauses every so many events, so that the import ends slices
// (sliceIdle) and runs in several transactions.
type slowReader struct {
	*sliceReader
	every int
	pause time.Duration
}

func groupSum(bs []audit.Bucket) int64 {
	var n int64
	for _, b := range bs {
		n += b.Count
	}
	return n
}

func (s *slowReader) Next() (*audit.Event, error) {
	if s.i > 0 && s.i%s.every == 0 {
		time.Sleep(s.pause)
	}
	return s.sliceReader.Next()
}

// startBulkImport starts importing evs (3,000 or so) into db and returns
// once the import holds rows hidden half-way (the bulk path: its first
// slice ended); the import goes on when release is closed, its error on
// done.
func startBulkImport(t *testing.T, db *DB, evs []*audit.Event) (release chan struct{}, done chan error) {
	t.Helper()
	release = make(chan struct{})
	r := &gatedReader{sliceReader: reader(evs...), gateAt: 1500, gate: release, reached: make(chan struct{})}
	done = make(chan error, 1)
	go func() {
		_, err := db.Import(context.Background(), r, ImportOptions{})
		done <- err
	}()
	<-r.reached
	waitUnpublished(t, db)
	return release, done
}
