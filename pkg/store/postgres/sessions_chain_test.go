package postgres

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/auditctl/auditctl/pkg/chain"
	"github.com/auditctl/auditctl/pkg/session"
	"github.com/auditctl/auditctl/pkg/store"
	"github.com/auditctl/auditctl/pkg/store/sqlite"
	"github.com/jackc/pgx/v5"
)

// sessionBodies returns the bodies of the session records, in seq order,
// in hex: the team store's and the cache's.
func sessionBodies(t *testing.T, pg *DB, lite *sqlite.DB) (inPG, inCache []string) {
	t.Helper()
	ctx := context.Background()
	rows, err := pg.pool.Query(ctx, "SELECT encode(body, 'hex') FROM chain WHERE kind = $1 ORDER BY seq", chain.RecordSession)
	if err != nil {
		t.Fatal(err)
	}
	if inPG, err = pgx.CollectRows(rows, pgx.RowTo[string]); err != nil {
		t.Fatal(err)
	}
	lrows, err := lite.SQL().QueryContext(ctx, "SELECT lower(hex(body)) FROM chain WHERE kind = ? ORDER BY seq", chain.RecordSession)
	if err != nil {
		t.Fatal(err)
	}
	defer lrows.Close()
	for lrows.Next() {
		var h string
		if err := lrows.Scan(&h); err != nil {
			t.Fatal(err)
		}
		inCache = append(inCache, h)
	}
	return inPG, inCache
}

// TestSessionsSealed: the team store seals every session write as the
// cache does (records of the same bodies: the same row hashes), verifies
// them, finds each change made behind auditctl's back exactly as the cache
// finds it, seals the sessions a store held before the chain covered them
// (migration 6), and retention's checkpoint names the sessions it deletes.
func TestSessionsSealed(t *testing.T) {
	newURL := server(t)
	ctx := context.Background()
	all := testSessions()
	ended := *all[39]
	ended.Status, ended.End, ended.Duration, ended.RecorderPID = session.StatusCompleted, ended.Start.Add(time.Minute), time.Minute, 0

	t.Run("sealed and verified as the cache", func(t *testing.T) {
		pg, lite := bothStores(t, newURL, "sealed")
		for _, st := range []store.Store{pg, lite} {
			for _, s := range all {
				if err := st.CreateSession(ctx, s); err != nil {
					t.Fatalf("%T: %v", st, err)
				}
			}
			if err := st.UpdateSession(ctx, &ended); err != nil {
				t.Fatalf("%T: %v", st, err)
			}
			// A refused write seals nothing.
			if err := st.CreateSession(ctx, all[0]); err == nil {
				t.Fatalf("%T: a duplicate id was stored", st)
			}
			if err := st.UpdateSession(ctx, &session.Session{ID: "nope", Start: time.Now(), Status: session.StatusActive}); err == nil {
				t.Fatalf("%T: an update of no session succeeded", st)
			}
		}
		pb, lb := sessionBodies(t, pg, lite)
		if len(pb) != len(all)+1 || !slices.Equal(pb, lb) {
			t.Fatalf("session records: %d in the team store, %d in the cache, equal %v (want %d alike)", len(pb), len(lb), slices.Equal(pb, lb), len(all)+1)
		}
		for _, v := range []interface {
			VerifyChain(context.Context, ed25519.PublicKey) (*chain.Report, error)
		}{pg, lite} {
			rep, err := v.VerifyChain(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			if f := describe(rep); f != "" || rep.Sessions != int64(len(all)) || rep.Records != int64(len(all)+1) {
				t.Fatalf("%T: verify %+v\n%s", v, rep, f)
			}
		}

		// The same changes behind auditctl's back, in both stores.
		rest := strings.SplitN(store.SessionColumns, ",", 2)[1]
		tamper := []string{
			fmt.Sprintf("UPDATE sessions SET command = 'rm -rf /' WHERE id = '%s'", all[3].ID),
			fmt.Sprintf("UPDATE sessions SET port = 2222 WHERE id = '%s'", all[4].ID),
			fmt.Sprintf("UPDATE sessions SET has_recording = NOT has_recording WHERE id = '%s'", all[5].ID),
			fmt.Sprintf("DELETE FROM sessions WHERE id = '%s'", all[7].ID),
			fmt.Sprintf("INSERT INTO sessions (%s) SELECT 'forged', %s FROM sessions WHERE id = '%s'", store.SessionColumns, rest, all[9].ID),
		}
		for _, q := range tamper {
			if _, err := pg.pool.Exec(ctx, q); err != nil {
				t.Fatalf("postgres %s: %v", q, err)
			}
			if _, err := lite.SQL().ExecContext(ctx, q); err != nil {
				t.Fatalf("sqlite %s: %v", q, err)
			}
		}
		pr, err := pg.VerifyChain(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		lr, err := lite.VerifyChain(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		pf, lf := describe(pr), describe(lr)
		if pf != lf || pr.Sessions != lr.Sessions {
			t.Fatalf("the stores find different things:\npostgres (%d sessions)\n%s\ncache (%d sessions)\n%s", pr.Sessions, pf, lr.Sessions, lf)
		}
		for _, want := range []string{
			"sessions changed " + all[3].ID, "sessions changed " + all[4].ID, "sessions changed " + all[5].ID,
			"sessions deleted " + all[7].ID, "sessions inserted forged",
		} {
			if !strings.Contains(pf, want) {
				t.Errorf("no %q in\n%s", want, pf)
			}
		}
		if n := strings.Count(pf, "\n"); n != len(tamper) {
			t.Errorf("%d findings for %d changes:\n%s", n, len(tamper), pf)
		}
	})

	t.Run("a store filled before sessions were sealed is sealed by the migration", func(t *testing.T) {
		url := newURL("presealed")
		db, err := Open(ctx, url, true)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Import(ctx, reader(sample()...), store.ImportOptions{Name: "t"}); err != nil {
			t.Fatal(err)
		}
		// Rows as migration 5 wrote them: in the table, in no record.
		for _, s := range all[:12] {
			if _, err := db.pool.Exec(ctx, rebind("INSERT INTO sessions ("+store.SessionColumns+") VALUES ("+store.Placeholders(store.SessionColumnCount)+")"), store.SessionArgs(s)...); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := db.pool.Exec(ctx, "UPDATE auditctl_schema SET version = 5"); err != nil {
			t.Fatal(err)
		}
		rep, _ := verifyFindings(t, db)
		if len(rep.Findings) != 12 {
			t.Fatalf("before the migration: %d findings, want 12 unsealed sessions", len(rep.Findings))
		}
		db.Close()
		db, err = Open(ctx, url, false)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		rep, f := verifyFindings(t, db)
		if f != "" || rep.Sessions != 12 || rep.Records != 13 || rep.Events != 30 {
			t.Fatalf("verify after the migration: %+v\n%s", rep, f)
		}
		// The same records as the cache writes for the same rows.
		lite, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "audit.db"))
		if err != nil {
			t.Fatal(err)
		}
		defer lite.Close()
		for _, s := range all[:12] {
			if err := lite.CreateSession(ctx, s); err != nil {
				t.Fatal(err)
			}
		}
		if pb, lb := sessionBodies(t, db, lite); !slices.Equal(pb, lb) {
			t.Errorf("the migration's records differ from the cache's (%d and %d)", len(pb), len(lb))
		}
	})

	t.Run("retention's checkpoint names the sessions it deletes", func(t *testing.T) {
		_, key, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		ids := func(ss []*session.Session) []string {
			var out []string
			for _, s := range ss {
				out = append(out, s.ID)
			}
			return out
		}
		for _, withEvents := range []bool{false, true} {
			db, err := Open(ctx, newURL(fmt.Sprintf("retention%v", withEvents)), true)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			db.SetSigner(func() (ed25519.PrivateKey, error) { return key, nil })
			cutoff := time.Date(2026, 9, 15, 0, 0, 0, 0, time.UTC)
			if withEvents {
				if _, err := db.Import(ctx, reader(monthsOfEvents()...), store.ImportOptions{Name: "a"}); err != nil {
					t.Fatal(err)
				}
			}
			for _, s := range all {
				if err := db.CreateSession(ctx, s); err != nil {
					t.Fatal(err)
				}
			}
			// The first ten, and the active one (which stays).
			doomed := append(ids(all[:10]), all[39].ID)
			del, err := db.DeleteExpired(ctx, Expired{EventsBefore: cutoff, Sessions: doomed, SessionsBefore: all[39].Start.Add(time.Hour), Reason: "retention: test"})
			if err != nil {
				t.Fatal(err)
			}
			if del.Sessions != 10 || (del.Events > 0) != withEvents {
				t.Fatalf("with events %v: deleted %+v", withEvents, del)
			}
			rep, f := verifyFindings(t, db)
			if f != "" || rep.Sessions != int64(len(all)-10) || rep.Checkpoints != 1 {
				t.Fatalf("with events %v: verify after retention: %+v\n%s", withEvents, rep, f)
			}
			// A session deleted by hand after it is still found.
			if _, err := db.pool.Exec(ctx, "DELETE FROM sessions WHERE id = $1", all[20].ID); err != nil {
				t.Fatal(err)
			}
			if _, f := verifyFindings(t, db); !strings.HasPrefix(f, "sessions deleted "+all[20].ID+":") || strings.Count(f, "\n") != 1 {
				t.Errorf("with events %v: a session deleted by hand: %q", withEvents, f)
			}
		}
	})
}
