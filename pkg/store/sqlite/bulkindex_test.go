package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/auditctl/auditctl/pkg/audit"
)

func missingIdx(t *testing.T, db *DB) []string {
	t.Helper()
	m, err := missingIndexes(context.Background(), db.SQL())
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func allDeferred() []string {
	var out []string
	for _, ix := range deferredIndexes {
		out = append(out, ix.name)
	}
	return out
}

// The indexes a bulk import drops are created again exactly as migration 1
// made them.
func TestDeferredIndexesAsMigrated(t *testing.T) {
	db := openTest(t)
	for _, ix := range deferredIndexes {
		var def string
		if err := db.SQL().QueryRow("SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?", ix.name).Scan(&def); err != nil {
			t.Fatalf("%s: %v", ix.name, err)
		}
		if def != ix.sql {
			t.Errorf("%s: migrated as %q, recreated as %q", ix.name, def, ix.sql)
		}
	}
	var n int
	if err := db.SQL().QueryRow("SELECT count(*) FROM sqlite_master WHERE type = 'index' AND tbl_name = 'events' AND sql IS NOT NULL").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != len(deferredIndexes)+1 { // and the unique key, which stays
		t.Errorf("events has %d indexes, the bulk path knows %d and the unique key", n, len(deferredIndexes))
	}
}

// readsNamingIndexes runs the reads that name an index (INDEXED BY: the
// window count, check's counts and groups) and returns what they found:
// the events of the window, the Login events, the Logout events, and the
// groups of the Logout events by actor.
func readsNamingIndexes(t *testing.T, db *DB) (window, login, logout int64, groups []audit.Bucket) {
	t.Helper()
	ctx := context.Background()
	window, err := db.CountEvents(ctx, audit.Filter{Since: base.Add(-time.Hour)})
	if err != nil {
		t.Fatalf("window count: %v", err)
	}
	var lf, of audit.Filter
	lf.Add(audit.FieldAction, "Login")
	of.Add(audit.FieldAction, "Logout")
	counts, err := db.CountMany(ctx, []audit.Filter{lf, of, {}})
	if err != nil {
		t.Fatalf("count many: %v", err)
	}
	if groups, err = db.CountGroups(ctx, of, audit.FieldActor); err != nil {
		t.Fatalf("count groups: %v", err)
	}
	if counts[2] != window {
		t.Errorf("count many: all %d, the window %d", counts[2], window)
	}
	// a window that starts inside an hour (counted from event_hours and
	// its edge from the rows, hours.go): only the guest's event is in it
	late, err := db.CountEvents(ctx, audit.Filter{Since: base.Add(4990 * time.Minute)})
	if err != nil {
		t.Fatalf("window count: %v", err)
	}
	var ff audit.Filter
	ff.Since = base.Add(4990 * time.Minute)
	ff.Add(audit.FieldStatus, "failure")
	failed, err := db.CountEvents(ctx, ff)
	if err != nil {
		t.Fatalf("window count: %v", err)
	}
	if late != counts[1] || failed != 0 {
		t.Errorf("the window from an hour's middle: %d events, %d failed; want %d and 0", late, failed, counts[1])
	}
	return window, counts[0], counts[1], groups
}

// A bulk import builds the secondary indexes after its rows: they are
// missing while it runs (its rows hidden), every read that names one does
// without it meanwhile, a guest's rows published meanwhile are read, and the
// publishing commit brings the indexes back over every row.
func TestBulkImportIndexesAfterRows(t *testing.T) {
	db := openTest(t)
	evs := dave(0, 3000)
	release, done := startBulkImport(t, db, evs)
	if m := missingIdx(t, db); !slices.Equal(m, allDeferred()) {
		t.Fatalf("indexes missing during the bulk import: %v, want all of them", m)
	}
	if w, l, o, g := readsNamingIndexes(t, db); w != 0 || l != 0 || o != 0 || len(g) != 0 {
		t.Errorf("reads during the import: window %d, Login %d, Logout %d, groups %v", w, l, o, g)
	}
	guest := ev(5000, "Logout", "erin", audit.StatusSuccess)
	if res := mustImport(t, db, guest); res.Inserted != 1 {
		t.Fatalf("guest: %+v", res)
	}
	if w, l, o, g := readsNamingIndexes(t, db); w != 1 || l != 0 || o != 1 || len(g) != 1 || g[0].Key != "erin" {
		t.Errorf("reads after a guest published: window %d, Login %d, Logout %d, groups %v", w, l, o, g)
	}
	if m := missingIdx(t, db); len(m) != len(deferredIndexes) {
		t.Errorf("a guest import restored indexes of the bulk import: missing %v", m)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if m := missingIdx(t, db); len(m) != 0 {
		t.Fatalf("indexes missing after the import: %v", m)
	}
	if w, l, o, g := readsNamingIndexes(t, db); w != 3001 || l != 3000 || o != 1 || len(g) != 1 {
		t.Errorf("reads after the import: window %d, Login %d, Logout %d, groups %v", w, l, o, g)
	}
	var ok string
	if err := db.SQL().QueryRow("PRAGMA integrity_check").Scan(&ok); err != nil || ok != "ok" {
		t.Fatalf("integrity_check: %s %v", ok, err)
	}
	// the index is used again: a plan that names it
	var plan string
	if err := db.SQL().QueryRow("EXPLAIN QUERY PLAN SELECT count(*) FROM events WHERE action = 'Login'").Scan(new(int), new(int), new(int), &plan); err != nil {
		t.Fatal(err)
	}
	if plan != "SEARCH events USING COVERING INDEX events_action (action=?)" {
		t.Errorf("plan after the import: %s", plan)
	}
	checkIndex(t, db, append(evs, guest))
}

// A bulk import that fails brings the indexes back with the commit that
// deletes its last row; indexes a killed writer left missing are created by
// the next owner of the ingest lock, with or without rows left hidden.
func TestBulkImportIndexesRestored(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	evs := append(dave(0, 3000), nil) // the last record is bad
	release, done := startBulkImport(t, db, evs)
	if m := missingIdx(t, db); len(m) != len(deferredIndexes) {
		t.Fatalf("indexes missing during the bulk import: %v", m)
	}
	close(release)
	var ie *audit.InputError
	if err := <-done; !errors.As(err, &ie) {
		t.Fatalf("want an input error, got %v", err)
	}
	if m := missingIdx(t, db); len(m) != 0 {
		t.Errorf("indexes missing after a failed import: %v", m)
	}

	for _, hidden := range []bool{true, false} {
		// a writer killed with its indexes dropped (and rows hidden)
		err := db.withWriteTx(ctx, func(c *sql.Conn) error {
			if err := dropIndexes(ctx, c); err != nil {
				return err
			}
			if !hidden {
				return nil
			}
			_, err := c.ExecContext(ctx, `INSERT INTO events (id, source, ext_id, time_ns) VALUES (1, 'dead', 'x', 1);
				INSERT INTO unpublished (id) VALUES (1)`)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		mustImport(t, db, dave(0, 10)...)
		if m := missingIdx(t, db); len(m) != 0 {
			t.Errorf("hidden rows %v: indexes missing after the next import: %v", hidden, m)
		}
		if n, err := db.CountEvents(ctx, audit.Filter{Since: base.Add(-time.Hour)}); err != nil || n != 10 {
			t.Errorf("hidden rows %v: %d events, %v", hidden, n, err)
		}
	}
}
