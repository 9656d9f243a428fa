package postgres

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/store"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// asUser is url with another user.
func asUser(url, user string) string {
	return strings.Replace(url, "postgres://postgres@", "postgres://"+user+"@", 1)
}

// TestRoles runs db init, then checks what each role may do, and that
// each denial is the server's.
func TestRoles(t *testing.T) {
	newURL := server(t)
	ctx := context.Background()
	url := newURL("team")
	res, err := Init(ctx, url, DefaultRoles)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Created) != 3 || res.Schema != len(migrations) {
		t.Fatalf("init: %+v", res)
	}
	again, err := Init(ctx, url, DefaultRoles)
	if err != nil || len(again.Created) != 0 {
		t.Fatalf("init again: %+v %v", again, err)
	}
	su, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer su.Close(ctx)
	for _, s := range []string{
		"CREATE ROLE ing LOGIN IN ROLE auditctl_ingest", "CREATE ROLE rd LOGIN IN ROLE auditctl_reader",
		"CREATE ROLE adm LOGIN IN ROLE auditctl_admin",
	} {
		if _, err := su.Exec(ctx, s); err != nil {
			t.Fatal(err)
		}
	}

	// ingest: imports, including a month with no partition yet (made by
	// the admin's function), and nothing else.
	ing, err := Open(ctx, asUser(url, "ing"), true)
	if err != nil {
		t.Fatal(err)
	}
	defer ing.Close()
	evs := sample()
	old := &audit.Event{ID: "old", Source: "test", Time: time.Date(2020, 1, 15, 0, 0, 0, 0, time.UTC), Action: "Login"}
	if r, err := ing.Import(ctx, reader(append(evs, old)...), store.ImportOptions{}); err != nil || r.Inserted != 31 {
		t.Fatalf("ingest import: %+v %v", r, err)
	}
	var owner string
	if err := su.QueryRow(ctx, "SELECT tableowner FROM pg_tables WHERE tablename = 'events_p202001'").Scan(&owner); err != nil || owner != "auditctl_admin" {
		t.Fatalf("the partition the ingest role needed: owner %q %v", owner, err)
	}
	// It registers sessions, each sealed in the chain as it is written,
	// and may not change one.
	sess := testSessions()[0]
	if err := ing.CreateSession(ctx, sess); err != nil {
		t.Fatalf("ingest: create session: %v", err)
	}
	if err := ing.UpdateSession(ctx, sess); err == nil || !strings.Contains(err.Error(), "refused") {
		t.Fatalf("ingest: update session: %v", err)
	}
	if rep, f := verifyFindings(t, ing); f != "" || rep.Sessions != 1 || rep.Records != 2 {
		t.Fatalf("verify as ingest: %+v\n%s", rep, f)
	}
	denied := func(who, url string, stmts ...string) {
		t.Helper()
		c, err := pgx.Connect(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close(ctx)
		for _, s := range stmts {
			_, err := c.Exec(ctx, s)
			var pe *pgconn.PgError
			if !errors.As(err, &pe) || pe.Code != "42501" {
				t.Errorf("%s: %s: %v, want permission denied", who, s, err)
			}
		}
	}
	denied("ingest", asUser(url, "ing"),
		"UPDATE events SET actor = 'someone else'", "DELETE FROM events", "TRUNCATE events",
		"UPDATE event_docs SET raw = '{}'", "DELETE FROM event_docs", "DELETE FROM event_ids",
		"UPDATE event_ids SET id = 0", "DROP TABLE events_p202001", "ALTER TABLE events DROP COLUMN actor",
		"UPDATE auditctl_schema SET version = 99",
		"DELETE FROM events_p202001", "UPDATE events_p202612 SET actor = 'x'",
		"CREATE TABLE events_p209901 PARTITION OF events FOR VALUES FROM (1) TO (2)",
		"ALTER TABLE events DETACH PARTITION events_p202001",
		"UPDATE sessions SET command = 'x'", "DELETE FROM sessions", "UPDATE chain SET body = ''", "DELETE FROM chain",
		"DELETE FROM chain_rows")
	denied("reader", asUser(url, "rd"),
		"INSERT INTO events (id, source, ext_id, time_ns, tsv) VALUES (1, 'x', 'y', 0, '')",
		"INSERT INTO event_ids VALUES ('x', 'y', 1)", "UPDATE events SET actor = 'x'", "DELETE FROM events",
		"TRUNCATE event_docs", "SELECT auditctl_ensure_month(2030, 1)", "DROP TABLE events",
		"INSERT INTO sessions (id, start_ns) VALUES ('x', 1)", "UPDATE sessions SET command = 'x'",
		"INSERT INTO chain (seq, kind, batch, rows, time_ns, body, digest, link) VALUES (99, 's', 0, 1, 0, '', '', '')")

	// reader: reads; an import is refused by the server, exit 4, and
	// the message says why.
	rd, err := Open(ctx, asUser(url, "rd"), false)
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	if n, err := rd.CountEvents(ctx, audit.Filter{}); err != nil || n != 31 {
		t.Fatalf("reader count: %d %v", n, err)
	}
	_, err = rd.Import(ctx, reader(ev(99, "Login", "x", audit.StatusSuccess)), store.ImportOptions{})
	var ae *audit.Error
	if !errors.As(err, &ae) || ae.Code != audit.EREMOTE || !strings.Contains(err.Error(), "refused") || strings.Contains(err.Error(), "xxxxx") {
		t.Fatalf("reader import: %v", err)
	}

	// admin: retention's rights.
	adm, err := pgx.Connect(ctx, asUser(url, "adm"))
	if err != nil {
		t.Fatal(err)
	}
	defer adm.Close(ctx)
	for _, s := range []string{
		"DELETE FROM events WHERE ext_id = 'e1'", "ALTER TABLE events DETACH PARTITION events_p202001",
		"DROP TABLE events_p202001", "SELECT auditctl_ensure_month(2030, 1)",
	} {
		if _, err := adm.Exec(ctx, s); err != nil {
			t.Errorf("admin: %s: %v", s, err)
		}
	}
}
