package sqlite

import (
	"context"
	"crypto/ed25519"
	"database/sql"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/chain"
	"github.com/auditctl/auditctl/pkg/session"
)

// testSigner is a signing key created on first use under the test's
// temporary directory, as the Factory's is under ~/.config/auditctl.
func testSigner(t *testing.T) func() (ed25519.PrivateKey, error) {
	path := filepath.Join(t.TempDir(), "config", chain.KeyFile)
	return func() (ed25519.PrivateKey, error) {
		k, _, err := chain.LoadOrCreateKey(path)
		return k, err
	}
}

func trustedKey(t *testing.T, db *DB) ed25519.PublicKey {
	t.Helper()
	k, err := db.signer()
	if err != nil {
		t.Fatal(err)
	}
	return k.Public().(ed25519.PublicKey)
}

func mustVerify(t *testing.T, db *DB) *ChainReport {
	t.Helper()
	rep, err := db.VerifyChain(context.Background(), trustedKey(t, db))
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func mustClean(t *testing.T, db *DB, wantEvents int64) {
	t.Helper()
	rep := mustVerify(t, db)
	if len(rep.Findings) > 0 || rep.Events != wantEvents {
		t.Fatalf("want a clean chain over %d events, got %d events checked, findings %+v", wantEvents, rep.Events, rep.Findings)
	}
	mustHours(t, db)
}

// mustHours: the counts per hour are the events' (hours.go).
func mustHours(t *testing.T, db *DB) {
	t.Helper()
	if err := db.CheckHourCounts(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// behindTheBack runs SQL on the cache file through a connection of its own,
// as someone editing the file with the sqlite3 shell would.
func behindTheBack(t *testing.T, db *DB, stmts ...string) {
	t.Helper()
	raw, err := sql.Open("sqlite", db.Path())
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	for _, s := range stmts {
		if _, err := raw.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

func keyOf(t *testing.T, db *DB, id string) int64 {
	t.Helper()
	var k int64
	if err := db.SQL().QueryRow("SELECT id FROM events WHERE ext_id = ?", id).Scan(&k); err != nil {
		t.Fatal(err)
	}
	return k
}

// findings returns the findings as "table problem row" lines.
func findings(rep *ChainReport) string {
	var b strings.Builder
	for _, f := range rep.Findings {
		b.WriteString(f.Table + " " + f.Problem + " " + f.Row + ": " + f.Detail + "\n")
	}
	return b.String()
}

func TestChainCleanAfterImportsAndSessions(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	mustImport(t, db, sample()[:20]...)
	mustImport(t, db, sample()...) // 10 new, 20 already there
	mustImport(t, db)              // nothing: no record
	for _, s := range testSessions()[:5] {
		if err := db.CreateSession(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	s := testSessions()[4]
	s.Status, s.End = session.StatusTerminated, s.Start.Add(time.Hour)
	if err := db.UpdateSession(ctx, s); err != nil {
		t.Fatal(err)
	}
	rep := mustVerify(t, db)
	if len(rep.Findings) > 0 || rep.Events != 30 || rep.Sessions != 5 {
		t.Fatalf("%+v\n%s", rep, findings(rep))
	}
	// 2 batches and 6 session writes
	if rep.Records != 8 || rep.HeadSeq != 8 {
		t.Fatalf("records %d head %d", rep.Records, rep.HeadSeq)
	}
}

func TestVerifyCatchesEditsBehindTheBack(t *testing.T) {
	ctx := context.Background()
	type tc struct {
		name    string
		edit    func(t *testing.T, db *DB) []string
		table   string
		problem string
		row     string // a part of the finding's row
	}
	for _, c := range []tc{
		{"update an event", func(t *testing.T, db *DB) []string {
			return []string{"UPDATE events SET actor = 'mallory' WHERE ext_id = 'e7'"}
		}, "events", chain.Changed, "test/e7"},
		{"update a document", func(t *testing.T, db *DB) []string {
			return []string{"UPDATE event_docs SET raw = '{}' WHERE id = (SELECT id FROM events WHERE ext_id = 'e8')"}
		}, "events", chain.Changed, "test/e8"},
		{"insert an event", func(t *testing.T, db *DB) []string {
			return []string{"INSERT INTO events (id, source, ext_id, time_ns) VALUES (12345, 'test', 'forged', 1)"}
		}, "events", chain.Inserted, "test/forged"},
		{"delete an event", func(t *testing.T, db *DB) []string {
			k := keyOf(t, db, "e9")
			return []string{"DELETE FROM events WHERE ext_id = 'e9'", "DELETE FROM event_docs WHERE id = " + itoa(k)}
		}, "events", chain.Deleted, "key "},
		{"delete an event and its hash", func(t *testing.T, db *DB) []string {
			k := keyOf(t, db, "e9")
			return []string{"DELETE FROM events WHERE id = " + itoa(k), "DELETE FROM chain_rows WHERE id = " + itoa(k)}
		}, "events", chain.Deleted, "segment 0"},
		{"update an event and its hash", func(t *testing.T, db *DB) []string {
			k := keyOf(t, db, "e7")
			return []string{"UPDATE events SET actor = 'mallory' WHERE id = " + itoa(k), "UPDATE chain_rows SET hash = zeroblob(32) WHERE id = " + itoa(k)}
		}, "events", chain.Changed, "segment 0"},
		{"hide an event from readers", func(t *testing.T, db *DB) []string {
			return []string{"INSERT INTO unpublished (id) SELECT id FROM events WHERE ext_id = 'e5'"}
		}, "events", chain.Deleted, "segment 0"},
		{"update a session", func(t *testing.T, db *DB) []string {
			return []string{"UPDATE sessions SET recording_sha256 = 'ab' WHERE id = 's001-1eef'"}
		}, "sessions", chain.Changed, "s001-1eef"},
		{"insert a session", func(t *testing.T, db *DB) []string {
			return []string{"INSERT INTO sessions (id, start_ns) VALUES ('forged', 1)"}
		}, "sessions", chain.Inserted, "forged"},
		{"delete a session", func(t *testing.T, db *DB) []string {
			return []string{"DELETE FROM sessions WHERE id = 's002-3dde'"}
		}, "sessions", chain.Deleted, "s002-3dde"},
		{"edit a record", func(t *testing.T, db *DB) []string {
			return []string{"UPDATE chain SET rows = rows + 1 WHERE seq = 1"}
		}, "chain", chain.Broken, "record 1"},
		{"delete a record", func(t *testing.T, db *DB) []string {
			return []string{"DELETE FROM chain WHERE seq = 2"}
		}, "chain", chain.Broken, "record 3"},
	} {
		t.Run(c.name, func(t *testing.T) {
			db := openTestWithSample(t)
			mustClean(t, db, 30)
			behindTheBack(t, db, c.edit(t, db)...)
			rep, err := db.VerifyChain(ctx, trustedKey(t, db))
			if err != nil {
				t.Fatal(err)
			}
			got := findings(rep)
			// The same through the driver alone (a writer holds the lock:
			// no raw readers in one snapshot).
			if gotDriver := findings(verifyWhileLocked(t, db)); gotDriver != got {
				t.Fatalf("raw readers found:\n%s\nthe driver alone:\n%s", got, gotDriver)
			}
			want := c.table + " " + c.problem + " "
			found := false
			for _, line := range strings.Split(got, "\n") {
				if strings.HasPrefix(line, want) && strings.Contains(line, c.row) {
					found = true
				}
			}
			if !found {
				t.Fatalf("want a finding %q naming %q, got:\n%s", want, c.row, got)
			}
		})
	}
}

func itoa(k int64) string { return strconv.FormatInt(k, 10) }

// bulk returns n events of source "bulk", a second apart, in an order that
// is not the key order (so that segments are sorted, not just cut).
func bulk(n int) []*audit.Event {
	out := make([]*audit.Event, n)
	for i := range out {
		j := (i * 7919) % n
		e := ev(j, "Login", "u", audit.StatusSuccess)
		e.Source, e.Time = "bulk", base.Add(-time.Duration(j)*time.Second)
		out[i] = e
	}
	return out
}

// openTestWithSample is a cache with the sample events (one batch) and
// three sessions.
func openTestWithSample(t *testing.T) *DB {
	t.Helper()
	db := openTest(t)
	mustImport(t, db, sample()...)
	for _, s := range testSessions()[:3] {
		if err := db.CreateSession(context.Background(), s); err != nil {
			t.Fatal(err)
		}
	}
	return db
}

func TestLegitimateDeletionPassesOtherDeletionFails(t *testing.T) {
	ctx := context.Background()
	db := openTestWithSample(t)
	mustImport(t, db, bulk(5000)...) // two segments in one batch
	var f audit.Filter
	f.Add(audit.FieldActor, "carol@corp.io")
	if n, err := db.DeleteEvents(ctx, f); err != nil || n != 10 {
		t.Fatalf("deleted %d, %v", n, err)
	}
	mustClean(t, db, 5020)
	// The oldest 3000 of the bulk batch: parts of both its segments.
	old := audit.Filter{Until: base.Add(-2000 * time.Second)}
	old.Add(audit.FieldSource, "bulk")
	if n, err := db.DeleteEvents(ctx, old); err != nil || n != 2999 {
		t.Fatalf("deleted %d, %v", n, err)
	}
	mustClean(t, db, 2021)
	var rest audit.Filter
	rest.Add(audit.FieldSource, "bulk")
	if n, err := db.DeleteEvents(ctx, rest); err != nil || n != 2001 {
		t.Fatalf("deleted %d, %v", n, err)
	}
	mustClean(t, db, 20)
	rep := mustVerify(t, db)
	if rep.Checkpoints != 3 {
		t.Fatalf("checkpoints %d", rep.Checkpoints)
	}
	// Any other deletion still shows.
	behindTheBack(t, db, "DELETE FROM events WHERE ext_id = 'e1'")
	rep = mustVerify(t, db)
	if got := findings(rep); !strings.Contains(got, "events deleted key") {
		t.Fatalf("deletion after a checkpoint not caught:\n%s", got)
	}
}

func TestTamperedCheckpointFails(t *testing.T) {
	ctx := context.Background()
	deleteCarol := func(t *testing.T, db *DB) {
		t.Helper()
		var f audit.Filter
		f.Add(audit.FieldActor, "carol@corp.io")
		if _, err := db.DeleteEvents(ctx, f); err != nil {
			t.Fatal(err)
		}
	}
	t.Run("signature", func(t *testing.T) {
		db := openTestWithSample(t)
		deleteCarol(t, db)
		mustClean(t, db, 20)
		behindTheBack(t, db, "UPDATE chain SET sig = zeroblob(64) WHERE kind = 'checkpoint'")
		if got := findings(mustVerify(t, db)); !strings.Contains(got, "chain broken record 5: checkpoint signature does not verify") {
			t.Fatalf("got:\n%s", got)
		}
	})
	t.Run("body", func(t *testing.T) {
		db := openTestWithSample(t)
		deleteCarol(t, db)
		// Claim that the checkpoint also deleted session s000: the body
		// no longer matches its digest (nor, rehashed, the signed link).
		behindTheBack(t, db, "UPDATE chain SET body = body || x'00' WHERE kind = 'checkpoint'")
		if got := findings(mustVerify(t, db)); !strings.Contains(got, "chain broken record 5: the checkpoint record's body does not match its digest") {
			t.Fatalf("got:\n%s", got)
		}
	})
	t.Run("another key", func(t *testing.T) {
		db := openTestWithSample(t)
		// Someone without the key deletes rows through auditctl's own code
		// with a key of their own.
		other, err := Open(ctx, db.Path())
		if err != nil {
			t.Fatal(err)
		}
		defer other.Close()
		other.SetSigner(testSigner(t))
		deleteCarol(t, other)
		if got := findings(mustVerify(t, db)); !strings.Contains(got, "chain broken record 5: checkpoint signed by key") {
			t.Fatalf("got:\n%s", got)
		}
		// Without a trusted key, the checkpoint holds but is unvouched.
		rep, err := db.VerifyChain(ctx, nil)
		if err != nil || len(rep.Findings) != 0 || rep.Unvouched != 1 {
			t.Fatalf("%v %+v", err, rep)
		}
	})
}

func TestDeletionRefusedOnTamperedSegment(t *testing.T) {
	db := openTestWithSample(t)
	k := keyOf(t, db, "e2") // carol's
	behindTheBack(t, db, "UPDATE chain_rows SET hash = zeroblob(32) WHERE id = "+itoa(k))
	var f audit.Filter
	f.Add(audit.FieldActor, "carol@corp.io")
	_, err := db.DeleteEvents(context.Background(), f)
	if err == nil || !strings.Contains(err.Error(), "fails its tamper check") {
		t.Fatalf("deletion over a tampered segment: %v", err)
	}
	if n, _ := db.CountEvents(context.Background(), audit.Filter{}); n != 30 {
		t.Fatalf("%d events left: the refused deletion deleted", n)
	}
}

func TestMigrationSealsExistingRows(t *testing.T) {
	ctx := context.Background()
	db := openTestWithSample(t)
	path := db.Path()
	// back to a cache as migration 5 left it
	if _, err := db.SQL().ExecContext(ctx, "DROP TABLE chain; DROP TABLE chain_rows; DROP TABLE event_hours; PRAGMA user_version = 5"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetSigner(testSigner(t))
	rep := mustVerify(t, db)
	if len(rep.Findings) > 0 || rep.Events != 30 || rep.Sessions != 3 || rep.Records != 4 {
		t.Fatalf("%+v\n%s", rep, findings(rep))
	}
}

func TestSpooledSessionsAreSealed(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	s := testSessions()[29] // active
	if _, err := spoolSession(db.Path(), s); err != nil {
		t.Fatal(err)
	}
	mustImport(t, db, sample()[:1]...) // a writer publishes the spool
	done := *s
	done.Status, done.End = session.StatusCompleted, s.Start.Add(time.Minute)
	if err := db.NoWait().UpdateSession(ctx, &done); err != nil {
		t.Fatal(err)
	}
	// A second final state changes nothing, and seals nothing.
	stale := done
	stale.Status = session.StatusStale
	if err := db.NoWait().UpdateSession(ctx, &stale); err != nil {
		t.Fatal(err)
	}
	rep := mustVerify(t, db)
	if len(rep.Findings) > 0 || rep.Sessions != 1 || rep.Records != 3 {
		t.Fatalf("%+v\n%s", rep, findings(rep))
	}
}

func TestLegitimateSessionDeletion(t *testing.T) {
	ctx := context.Background()
	db := openTestWithSample(t)
	err := db.withWriteTx(ctx, func(c *sql.Conn) error {
		for _, s := range []string{
			"CREATE TEMP TABLE doomed_sessions (id TEXT PRIMARY KEY)",
			"INSERT INTO temp.doomed_sessions VALUES ('s001-1eef')",
			"DELETE FROM sessions WHERE id IN (SELECT id FROM temp.doomed_sessions)",
		} {
			if _, err := c.ExecContext(ctx, s); err != nil {
				return err
			}
		}
		return db.SealDeletion(ctx, c, "", "temp.doomed_sessions", "retention: sessions")
	})
	if err != nil {
		t.Fatal(err)
	}
	rep := mustVerify(t, db)
	if len(rep.Findings) > 0 || rep.Sessions != 2 || rep.Checkpoints != 1 {
		t.Fatalf("%+v\n%s", rep, findings(rep))
	}
	behindTheBack(t, db, "DELETE FROM sessions WHERE id = 's002-3dde'")
	if got := findings(mustVerify(t, db)); !strings.Contains(got, "sessions deleted s002-3dde") {
		t.Fatalf("got:\n%s", got)
	}
}

// verifyWhileLocked verifies while another connection holds the write lock,
// so that VerifyChain reads through the driver alone.
func verifyWhileLocked(t *testing.T, db *DB) *ChainReport {
	t.Helper()
	defer func(w time.Duration) { verifyLockWait = w }(verifyLockWait)
	verifyLockWait = 50 * time.Millisecond
	ctx := context.Background()
	lock, err := sql.Open("sqlite", db.Path())
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close()
	c, err := lock.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	defer c.ExecContext(ctx, "ROLLBACK")
	if _, _, ok, err := db.verifySnapshot(ctx, 2); err != nil || ok {
		t.Fatalf("verifySnapshot under a writer's lock: ok %v, err %v", ok, err)
	}
	return mustVerify(t, db)
}

// TestRawAndDriverRowHashesAgree hashes every event through the driver and
// straight from SQLite's memory (rawread.go) after edits that store each
// storage class in the hashed columns: both must give the same hash.
func TestRawAndDriverRowHashesAgree(t *testing.T) {
	ctx := context.Background()
	db := openTestWithSample(t)
	behindTheBack(t, db,
		"UPDATE events SET duration_ms = 1.5, actor = X'00ff41', target = '' WHERE ext_id = 'e1'",
		"UPDATE events SET duration_ms = NULL, tenant = X'' WHERE ext_id = 'e6'",
		"UPDATE events SET duration_ms = 'text', description = 3 WHERE ext_id = 'e2'",
		"UPDATE event_docs SET raw = X'', params = 2.25, custom = '' WHERE id = (SELECT id FROM events WHERE ext_id = 'e3')",
		"UPDATE event_docs SET raw = 'h\u00e9llo', geo = 7 WHERE id = (SELECT id FROM events WHERE ext_id = 'e4')",
		"DELETE FROM event_docs WHERE id = (SELECT id FROM events WHERE ext_id = 'e5')",
		"INSERT INTO events (id, source, ext_id, time_ns) VALUES (12345, 'test', 'forged', 1)",
		"DELETE FROM events WHERE ext_id = 'e9'", // its document stays
	)
	type row struct {
		key  int64
		name string
		hash chain.Hash
	}
	read := func(src chunkSource) []row {
		var out []row
		rh := chain.NewRowHasher()
		err := src.events(ctx, 0, 1<<62, func(key int64, r eventRow) error {
			out = append(out, row{key, r.name(), r.hash(rh)})
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	main, raws, ok, err := db.verifySnapshot(ctx, 1)
	if err != nil || !ok {
		t.Fatalf("verifySnapshot: ok %v, err %v", ok, err)
	}
	defer func() {
		raws[0].close()
		main.ExecContext(ctx, "ROLLBACK")
		main.Close()
	}()
	viaDriver, viaRaw := read(driverSource{main}), read(rawSource{raws[0]})
	if len(viaDriver) != 30 || len(viaRaw) != len(viaDriver) {
		t.Fatalf("driver read %d rows, raw %d, want 30", len(viaDriver), len(viaRaw))
	}
	for i := range viaDriver {
		if viaDriver[i] != viaRaw[i] {
			t.Errorf("row %d: driver %+v, raw %+v", i, viaDriver[i], viaRaw[i])
		}
	}
	// The edited rows are reported as changed, whichever way they are read.
	rep := mustVerify(t, db)
	got := findings(rep)
	for _, id := range []string{"e1", "e2", "e3", "e4", "e5", "e6"} {
		if !strings.Contains(got, "events "+chain.Changed+" test/"+id+" ") {
			t.Errorf("no finding that test/%s changed", id)
		}
	}
	if !strings.Contains(got, "events "+chain.Inserted+" test/forged ") {
		t.Errorf("no finding that test/forged was inserted")
	}
	if t.Failed() {
		t.Fatalf("findings:\n%s", got)
	}
	if got, locked := findings(rep), findings(verifyWhileLocked(t, db)); got != locked {
		t.Fatalf("raw readers found:\n%s\nthe driver alone:\n%s", got, locked)
	}
}

// TestVerifyWaitsForAShortWriter: a writer that holds the lock for a moment
// (a slice of an import) does not send verify to the driver-only path.
func TestVerifyWaitsForAShortWriter(t *testing.T) {
	ctx := context.Background()
	db := openTestWithSample(t)
	lock, err := sql.Open("sqlite", db.Path())
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close()
	c, err := lock.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	time.AfterFunc(200*time.Millisecond, func() { c.ExecContext(ctx, "ROLLBACK") })
	main, raws, ok, err := db.verifySnapshot(ctx, 2)
	if err != nil || !ok {
		t.Fatalf("verifySnapshot after a 200 ms writer: ok %v, err %v", ok, err)
	}
	for _, r := range raws {
		r.close()
	}
	main.ExecContext(ctx, "ROLLBACK")
	main.Close()
}
