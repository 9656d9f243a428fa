package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/store"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// TestRLS turns row-level security on and checks, against the real
// server, what each role sees and may insert.
func TestRLS(t *testing.T) {
	newURL := server(t)
	ctx := context.Background()
	url := newURL("msp")
	if _, err := Init(ctx, url, DefaultRoles); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ { // idempotent
		if err := EnableRLS(ctx, url, DefaultRoles); err != nil {
			t.Fatal(err)
		}
	}
	su, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer su.Close(ctx)
	for _, s := range []string{
		"CREATE ROLE ana LOGIN IN ROLE auditctl_reader", "CREATE ROLE bea LOGIN IN ROLE auditctl_reader",
		"CREATE ROLE team LOGIN IN ROLE auditctl_reader", "CREATE ROLE nobody LOGIN IN ROLE auditctl_reader",
		"CREATE ROLE acme_analysts NOLOGIN", "CREATE ROLE carl LOGIN IN ROLE auditctl_reader, acme_analysts",
		"CREATE ROLE ing_a LOGIN IN ROLE auditctl_ingest",
	} {
		if _, err := su.Exec(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	for _, g := range [][2]string{{"ana", "a"}, {"bea", "b"}, {"team", "*"}, {"acme_analysts", "a"}, {"ing_a", "a"}, {"ana", "gone"}} {
		if _, err := GrantTenant(ctx, url, g[0], g[1]); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := RevokeTenant(ctx, url, "ana", "gone"); err != nil {
		t.Fatal(err)
	}
	if _, err := GrantTenant(ctx, url, "no_such_role", "a"); err == nil || !strings.Contains(err.Error(), "no role") {
		t.Fatalf("grant to a missing role: %v", err)
	}
	if _, err := GrantTenant(ctx, url, "ana", "bad\x1b[0m"); err == nil {
		t.Fatal("grant of a tenant name with an escape: accepted")
	}

	// Tenant b's events, stored by the superuser; one of them takes the
	// key (same microsecond, same slot) that a's e3 will want.
	as := sample()
	for _, e := range as {
		e.Tenant = "a"
	}
	var bs []*audit.Event
	for i := 0; i < 9; i++ {
		e := ev(i, "Login", "zed@b.example", audit.StatusSuccess)
		e.ID, e.Tenant, e.Description = fmt.Sprintf("b%d", i), "b", "zebra crossing"
		bs = append(bs, e)
	}
	want, _ := store.EventKey(as[3].Time, as[3].Source, as[3].ID)
	for i := 0; ; i++ {
		id := fmt.Sprintf("bcoll%d", i)
		if k, _ := store.EventKey(as[3].Time, "test", id); k == want {
			c := ev(3, "Login", "zed@b.example", audit.StatusSuccess)
			c.ID, c.Tenant, c.Description = id, "b", "zebra collision"
			bs = append(bs, c)
			break
		}
	}
	admin, err := Open(ctx, url, true)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	if r, err := admin.Import(ctx, reader(bs...), store.ImportOptions{}); err != nil || r.Inserted != 10 {
		t.Fatalf("tenant b's import: %+v %v", r, err)
	}

	// The ingest role of tenant a: a's events go in (the key b holds is
	// seen and the next slot taken); a file with one of b's events is
	// refused whole, by the server.
	ing, err := Open(ctx, asUser(url, "ing_a"), true)
	if err != nil {
		t.Fatal(err)
	}
	defer ing.Close()
	if r, err := ing.Import(ctx, reader(as...), store.ImportOptions{}); err != nil || r.Inserted != 30 {
		t.Fatalf("ingest of tenant a: %+v %v", r, err)
	}
	intruder := ev(77, "DeleteUser", "mallory", audit.StatusSuccess)
	intruder.Tenant = "b"
	own := ev(78, "Login", "alice@example.com", audit.StatusSuccess)
	own.Tenant = "a"
	_, err = ing.Import(ctx, reader(own, intruder), store.ImportOptions{})
	var ae *audit.Error
	if !errors.As(err, &ae) || ae.Code != audit.EREMOTE || !strings.Contains(err.Error(), "row-level security") {
		t.Fatalf("ingest of tenant b by a's ingest role: %v, want a refusal (exit 4)", err)
	}
	if n, err := admin.CountEvents(ctx, audit.Filter{}); err != nil || n != 40 {
		t.Fatalf("after the refused import the store holds %d events (%v), want 40", n, err)
	}

	open := func(user string) *DB {
		t.Helper()
		db, err := Open(ctx, asUser(url, user), false)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}
	for user, n := range map[string]int64{"ana": 30, "carl": 30, "bea": 10, "team": 40, "nobody": 0, "ing_a": 40} {
		if got, err := open(user).CountEvents(ctx, audit.Filter{}); err != nil || got != n {
			t.Errorf("%s counts %d events (%v), want %d", user, got, err, n)
		}
	}

	// What ana sees, through every read path: tenant a's events only.
	ana := open("ana")
	evs, total, err := ana.FindEvents(ctx, audit.Filter{}, audit.Page{Limit: 100})
	if err != nil || total != 30 || len(evs) != 30 {
		t.Fatalf("ana list: %d of %d, %v", len(evs), total, err)
	}
	for _, e := range evs {
		if e.Tenant != "a" || e.Params == nil {
			t.Fatalf("ana sees %s of tenant %q (params %s)", e.ID, e.Tenant, e.Params)
		}
	}
	if by, err := ana.CountBy(ctx, audit.Filter{}, audit.FieldTenant, 0); err != nil || len(by) != 1 || by[0].Key != "a" || by[0].Count != 30 {
		t.Errorf("ana count --by tenant: %+v %v", by, err)
	}
	if h, err := ana.Histogram(ctx, audit.Filter{}, time.Hour); err != nil || sum(h) != 30 {
		t.Errorf("ana histogram: %d %v", sum(h), err)
	}
	n := 0
	if err := ana.EachEvent(ctx, audit.Filter{}, audit.Page{}, func(e *audit.Event) error {
		if e.Tenant != "a" {
			return fmt.Errorf("export holds %s of tenant %q", e.ID, e.Tenant)
		}
		n++
		return nil
	}); err != nil || n != 30 {
		t.Errorf("ana export: %d %v", n, err)
	}
	for _, q := range []audit.Filter{{Text: []string{"zebra"}}, {Text: []string{"zebra crossing"}}, {Include: map[audit.Field][]string{audit.FieldTenant: {"b"}}}, {Include: map[audit.Field][]string{audit.FieldActor: {"zed@b.example"}}}} {
		if got, err := ana.CountEvents(ctx, q); err != nil || got != 0 {
			t.Errorf("ana finds %d of b's events with %+v (%v)", got, q, err)
		}
	}
	if got, err := open("bea").CountEvents(ctx, audit.Filter{Text: []string{"zebra crossing"}}); err != nil || got != 9 {
		t.Errorf("bea's phrase search: %d %v", got, err)
	}
	for _, id := range []string{"b1", "bcoll", "b"} {
		_, err := ana.FindEventByID(ctx, id, "")
		if !errors.As(err, &ae) || ae.Code != audit.ENOTFOUND {
			t.Errorf("ana shows b's event %q: %v, want not found", id, err)
		}
	}
	if e, err := ana.FindEventByID(ctx, "e3", ""); err != nil || e.Tenant != "a" {
		t.Errorf("ana shows her e3: %v %v", e, err)
	}
	if e, err := open("bea").FindEventByID(ctx, "b1", ""); err != nil || e.Tenant != "b" {
		t.Errorf("bea shows her b1: %v %v", e, err)
	}
	// a cursor past one of b's events does not tell ana where it lies
	// beyond what its time says: the page still holds only hers
	if evs, _, err := ana.FindEvents(ctx, audit.Filter{}, audit.Page{Limit: 5, After: &audit.Cursor{Source: "test", ID: "b5", Time: bs[5].Time}}); err != nil {
		t.Errorf("ana page after b5: %v", err)
	} else {
		for _, e := range evs {
			if e.Tenant != "a" {
				t.Errorf("ana's page after b5 holds %s", e.ID)
			}
		}
	}
	tn, err := ListTenants(ctx, asUser(url, "ana"))
	if err != nil || !tn.RLS || len(tn.Members) != 1 || tn.Members[0] != (TenantMember{"ana", "a"}) {
		t.Errorf("ana's view of the mapping: %+v %v", tn, err)
	}
	if all, err := ListTenants(ctx, url); err != nil || len(all.Members) != 5 {
		t.Errorf("the admin's view of the mapping: %+v %v", all, err)
	}

	// Straight SQL: the partitions and the mapping are closed to ana and
	// to the ingest role; the documents and identities of b's events are
	// invisible.
	denied := func(who string, stmts ...string) {
		t.Helper()
		c, err := pgx.Connect(ctx, asUser(url, who))
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
	denied("ana", "SELECT count(*) FROM events_p202611", "SELECT count(*) FROM event_docs_p202612",
		"INSERT INTO auditctl_tenant_members VALUES ('ana', 'b')", "ALTER TABLE events DISABLE ROW LEVEL SECURITY",
		"DROP POLICY auditctl_read ON events")
	denied("ing_a", "INSERT INTO auditctl_tenant_members VALUES ('ing_a', 'b')", "DELETE FROM auditctl_tenant_members",
		"ALTER TABLE events DISABLE ROW LEVEL SECURITY", "SELECT count(*) FROM events_p202611")
	if _, err := GrantTenant(ctx, asUser(url, "ana"), "ana", "b"); !errors.As(err, &ae) || ae.Code != audit.EREMOTE {
		t.Errorf("ana grants herself b: %v, want refused", err)
	}
	// verify: refused to a role that sees some tenants (it would report
	// the others' rows as deleted); clean for one that sees all.
	if _, err := ana.VerifyChain(ctx, nil); !errors.As(err, &ae) || ae.Code != audit.EREMOTE || !strings.Contains(err.Error(), "row-level security") {
		t.Errorf("ana verifies: %v, want refused", err)
	}
	if rep, err := open("team").VerifyChain(ctx, nil); err != nil || len(rep.Findings) != 0 || rep.Events != 40 {
		t.Errorf("team verifies: %+v %v", rep, err)
	}

	// Sessions carry no tenant: only '*' roles (and the ingest role, which
	// reads all) see them; an ingest role of one tenant registers none.
	if _, err := su.Exec(ctx, "INSERT INTO sessions (id, start_ns) VALUES ('s1', 1)"); err != nil {
		t.Fatal(err)
	}
	for user, want := range map[string]int{"ana": 0, "nobody": 0, "team": 1, "ing_a": 1} {
		uc, err := pgx.Connect(ctx, asUser(url, user))
		if err != nil {
			t.Fatal(err)
		}
		var got int
		if err := uc.QueryRow(ctx, "SELECT count(*) FROM sessions").Scan(&got); err != nil || got != want {
			t.Errorf("%s sees %d sessions (%v), want %d", user, got, err, want)
		}
		uc.Close(ctx)
	}
	ic, err := pgx.Connect(ctx, asUser(url, "ing_a"))
	if err != nil {
		t.Fatal(err)
	}
	defer ic.Close(ctx)
	var pe *pgconn.PgError
	if _, err := ic.Exec(ctx, "INSERT INTO sessions (id, start_ns) VALUES ('s2', 2)"); !errors.As(err, &pe) || pe.Code != "42501" {
		t.Errorf("ing_a registers a session: %v, want refused", err)
	}

	c, err := pgx.Connect(ctx, asUser(url, "ana"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	for q, want := range map[string]int{
		"SELECT count(*) FROM event_docs":                                 30,
		"SELECT count(*) FROM event_ids":                                  30,
		"SELECT count(*) FROM event_ids WHERE ext_id LIKE 'b%'":           0,
		"SELECT count(*) FROM event_docs WHERE ptext LIKE '%zebra%'":      0,
		"SELECT count(*) FROM events WHERE tenant = 'b'":                  0,
		"SELECT count(*) FROM auditctl_tenant_members":                    1,
		"SELECT count(*) FROM auditctl_tenant_members WHERE tenant = '*'": 0,
	} {
		var got int
		if err := c.QueryRow(ctx, q).Scan(&got); err != nil || got != want {
			t.Errorf("ana: %s: %d %v, want %d", q, got, err, want)
		}
	}
}

func sum(bs []audit.Bucket) int64 {
	var n int64
	for _, b := range bs {
		n += b.Count
	}
	return n
}
