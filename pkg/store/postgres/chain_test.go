package postgres

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/chain"
	"github.com/auditctl/auditctl/pkg/store"
	"github.com/auditctl/auditctl/pkg/store/sqlite"
)

func verifyFindings(t *testing.T, db *DB) (*chain.Report, string) {
	t.Helper()
	rep, err := db.VerifyChain(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	return rep, describe(rep)
}

// describe lists a report's findings, one a line.
func describe(rep *chain.Report) string {
	var b strings.Builder
	for _, f := range rep.Findings {
		fmt.Fprintf(&b, "%s %s %s: %s\n", f.Table, f.Problem, f.Row, f.Detail)
	}
	return b.String()
}

// TestChain: an import seals its rows with the cache's row hashes, the
// chain verifies, and each kind of change behind auditctl's back is found.
func TestChain(t *testing.T) {
	newURL := server(t)
	ctx := context.Background()

	t.Run("same row hashes as the cache", func(t *testing.T) {
		db, err := Open(ctx, newURL("same"), true)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		lite, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "audit.db"))
		if err != nil {
			t.Fatal(err)
		}
		defer lite.Close()
		evs := sample()
		evs[3].DurationMS = nil
		evs[4].Params = nil
		if _, err := db.Import(ctx, reader(evs...), store.ImportOptions{Name: "t"}); err != nil {
			t.Fatal(err)
		}
		if _, err := lite.Import(ctx, reader(evs...), store.ImportOptions{Name: "t"}); err != nil {
			t.Fatal(err)
		}
		rows, err := db.pool.Query(ctx, "SELECT id, hash FROM chain_rows ORDER BY id")
		if err != nil {
			t.Fatal(err)
		}
		pg := map[int64]string{}
		for rows.Next() {
			var k int64
			var h []byte
			if err := rows.Scan(&k, &h); err != nil {
				t.Fatal(err)
			}
			pg[k] = fmt.Sprintf("%x", h)
		}
		rows.Close()
		lrows, err := lite.SQL().QueryContext(ctx, "SELECT id, hex(hash) FROM chain_rows ORDER BY id")
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for lrows.Next() {
			var k int64
			var h string
			if err := lrows.Scan(&k, &h); err != nil {
				t.Fatal(err)
			}
			n++
			if pg[k] != strings.ToLower(h) {
				t.Errorf("key %d: postgres hash %q, cache %q", k, pg[k], h)
			}
		}
		lrows.Close()
		if n != len(evs) || len(pg) != len(evs) {
			t.Fatalf("%d hashes in the cache, %d in postgres, %d events", n, len(pg), len(evs))
		}
		rep, f := verifyFindings(t, db)
		if f != "" || rep.Records != 1 || rep.Events != int64(len(evs)) || rep.HeadSeq != 1 {
			t.Fatalf("verify: %+v\n%s", rep, f)
		}
		// Importing again seals nothing more.
		if _, err := db.Import(ctx, reader(evs...), store.ImportOptions{Name: "t"}); err != nil {
			t.Fatal(err)
		}
		if rep, f := verifyFindings(t, db); f != "" || rep.Records != 1 {
			t.Fatalf("verify after a second import: %+v\n%s", rep, f)
		}
	})

	t.Run("concurrent importers make one chain", func(t *testing.T) {
		url := newURL("concurrent")
		first, err := Open(ctx, url, true)
		if err != nil {
			t.Fatal(err)
		}
		defer first.Close()
		const importers = 6
		var wg sync.WaitGroup
		errs := make([]error, importers)
		inserted := make([]int, importers)
		for i := range importers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				db, err := Open(ctx, url, true)
				if err != nil {
					errs[i] = err
					return
				}
				defer db.Close()
				// Each its own events on both sides of the month boundary,
				// and events the others import too.
				var evs []*audit.Event
				for j := range 40 {
					e := ev(j, "Login", fmt.Sprintf("u%d", i), audit.StatusSuccess)
					if j%4 != 0 {
						e.ID = fmt.Sprintf("i%d-%d", i, j)
					}
					evs = append(evs, e)
				}
				res, err := db.Import(ctx, reader(evs...), store.ImportOptions{Name: "t"})
				errs[i], inserted[i] = err, res.Inserted
			}()
		}
		wg.Wait()
		total := 0
		for i, err := range errs {
			if err != nil {
				t.Fatalf("importer %d: %v", i, err)
			}
			total += inserted[i]
		}
		if want := importers*30 + 10; total != want {
			t.Fatalf("the importers inserted %d events, want %d", total, want)
		}
		rep, f := verifyFindings(t, first)
		if f != "" || rep.Records != importers || rep.HeadSeq != importers || rep.Events != int64(total) {
			t.Fatalf("verify after concurrent imports: %+v\n%s", rep, f)
		}
	})

	t.Run("tampering is found", func(t *testing.T) {
		url := newURL("tamper")
		db, err := Open(ctx, url, true)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if _, err := db.Import(ctx, reader(sample()...), store.ImportOptions{Name: "t"}); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			name, sql, undo, want string
		}{
			{"an event changed", "UPDATE events SET action = 'Nothing' WHERE ext_id = 'e3'", "UPDATE events SET action = 'Login' WHERE ext_id = 'e3'",
				"events changed test/e3 (key"},
			{"a document changed", `UPDATE event_docs SET params = '{"n":7}' WHERE id = (SELECT id FROM event_ids WHERE ext_id = 'e7')`,
				`UPDATE event_docs SET params = '{"n":7,"word":"w7","b":"Café"}' WHERE id = (SELECT id FROM event_ids WHERE ext_id = 'e7')`,
				"events changed test/e7 (key"},
			{"an event inserted", "INSERT INTO events (id, source, ext_id, time_ns, tsv) VALUES ((SELECT min(id) FROM events) + 1, 'test', 'forged', 0, '')", "DELETE FROM events WHERE ext_id = 'forged'",
				"events inserted test/forged (key"},
			{"a record altered", "UPDATE chain SET rows = rows + 1", "UPDATE chain SET rows = rows - 1",
				"chain broken record 1: the link does not follow"},
			{"an event deleted", "DELETE FROM events WHERE ext_id = 'e5'", "",
				"events deleted key "}, // last: not undone
		} {
			if _, err := db.pool.Exec(ctx, c.sql); err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			_, f := verifyFindings(t, db)
			if !strings.Contains(f, c.want) {
				t.Errorf("%s: findings\n%s\nwant %q", c.name, f, c.want)
			}
			if c.undo != "" {
				if _, err := db.pool.Exec(ctx, c.undo); err != nil {
					t.Fatal(err)
				}
				if _, f := verifyFindings(t, db); f != "" {
					t.Errorf("%s undone: %s", c.name, f)
				}
			}
		}
	})

	t.Run("a store filled before the chain is sealed by the migration", func(t *testing.T) {
		url := newURL("older")
		db, err := Open(ctx, url, true)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Import(ctx, reader(sample()...), store.ImportOptions{Name: "t"}); err != nil {
			t.Fatal(err)
		}
		// Back to the schema before the chain (and the migrations after it).
		if _, err := db.pool.Exec(ctx, "DROP TABLE chain, chain_rows, sessions, sync_state, copy_state; DROP INDEX event_ids_id; UPDATE auditctl_schema SET version = 3"); err != nil {
			t.Fatal(err)
		}
		db.Close()
		db, err = Open(ctx, url, false)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		rep, f := verifyFindings(t, db)
		if f != "" || rep.Records != 1 || rep.Events != 30 {
			t.Fatalf("verify after the migration: %+v\n%s", rep, f)
		}
	})
}
