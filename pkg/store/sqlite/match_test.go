package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand"
	"testing"
	"time"

	"github.com/auditctl/auditctl/pkg/audit"
)

// diffEvents are events whose values exercise the matcher's edges: case
// (ASCII and not), wildcard-looking text (%, _), IPv4, IPv6, v4-mapped and
// invalid addresses, empty values, missing durations and times finer than
// a microsecond.
func diffEvents() []*audit.Event {
	actors := []string{"alice@example.com", "ALICE@Example.com", "bob@example.com", "Ünal@example.com", "ünal@example.com", "100%_sure@x.io", ""}
	ips := []string{"10.0.0.1", "10.0.1.200", "192.168.1.5", "2001:db8::1", "::ffff:10.0.0.7", "not-an-ip", "", " 10.0.0.9"}
	actions := []string{"Login", "login", "DeleteUser", "user_delete", "userXdelete", "Ärger"}
	tenants := []string{"", "acme", "ACME", "acme-eu", "beta"}
	statuses := []audit.Status{audit.StatusSuccess, audit.StatusFailure, audit.StatusWarning}
	var out []*audit.Event
	for i := 0; i < 400; i++ {
		e := &audit.Event{
			ID: fmt.Sprintf("d%d", i), Source: []string{"jumpcloud", "CloudTrail"}[i%2],
			Time:    base.Add(time.Duration(i)*time.Minute + time.Duration(i%7)*333*time.Nanosecond),
			Service: []string{"directory", "sso", "Radius"}[i%3], Action: actions[i%len(actions)],
			Actor: actors[i%len(actors)], Status: statuses[i%len(statuses)], IP: ips[i%len(ips)],
			Tenant: tenants[i%len(tenants)], Category: []string{"auth", "Admin", ""}[i%3],
			Client: []string{"cli", "web ui", "Web UI"}[i%3], Error: []string{"", "timeout", "TIMEOUT after 5s"}[i%3],
		}
		if i%4 != 0 {
			e.DurationMS = audit.Ms(int64(i * 7 % 1000))
		}
		out = append(out, e)
	}
	return out
}

// TestMatcherEqualsSQL: for many generated filters, the Go predicates of
// one shared pass count what the SQL of CountEvents counts over the same
// cache, with and without unpublished rows to hide.
func TestMatcherEqualsSQL(t *testing.T) {
	db := openTest(t)
	mustImport(t, db, diffEvents()...)
	ctx := context.Background()
	values := map[audit.Field][]string{
		audit.FieldActor:    {"alice@example.com", "ALICE@EXAMPLE.COM", "ünal@example.com", "Ünal@example.com", "alice*", "*@EXAMPLE.com", "*", "100%*", "100\\%*", "*_sure*", "a*e*m", "", "*ü*"},
		audit.FieldIP:       {"10.0.0.0/8", "10.0.0.0/24", "10.0.0.1", "2001:db8::/32", "10.0.*", "*::*", "", "0.0.0.0/0", "::/0", "10.0.0.7/32"},
		audit.FieldAction:   {"login", "LOGIN", "user_delete", "user_*", "*delete", "ärger", "Ärger", "*R*"},
		audit.FieldTenant:   {"", "acme", "Acme*", "*-eu", "beta"},
		audit.FieldStatus:   {"success", "failure"},
		audit.FieldSource:   {"jumpcloud", "cloudtrail", "CloudTrail", "cloud*"},
		audit.FieldID:       {"d1", "D1", "d1*", "*9"},
		audit.FieldClient:   {"web ui", "*UI", "cli"},
		audit.FieldError:    {"timeout", "*after*", ""},
		audit.FieldCategory: {"admin", ""},
		audit.FieldService:  {"radius", "s*"},
	}
	var fields []audit.Field
	for f := range values {
		fields = append(fields, f)
	}
	rng := rand.New(rand.NewSource(11))
	var fs []audit.Filter
	for n := 0; n < 600; n++ {
		var f audit.Filter
		for k := rng.Intn(3); k >= 0; k-- {
			fld := fields[rng.Intn(len(fields))]
			vs := values[fld]
			pick := []string{vs[rng.Intn(len(vs))]}
			if rng.Intn(3) == 0 {
				pick = append(pick, vs[rng.Intn(len(vs))])
			}
			if rng.Intn(4) == 0 {
				f.AddExclude(fld, pick...)
			} else {
				f.Add(fld, pick...)
			}
		}
		if rng.Intn(3) == 0 {
			f.Since = base.Add(time.Duration(rng.Intn(400*60)) * time.Second)
			if rng.Intn(2) == 0 {
				f.Since = f.Since.Add(time.Duration(rng.Intn(1000)) * time.Nanosecond)
			}
		}
		if rng.Intn(3) == 0 {
			f.Until = base.Add(time.Duration(rng.Intn(400*60)) * time.Second).Add(time.Duration(rng.Intn(1000)) * time.Nanosecond)
			if !f.Since.IsZero() && !f.Since.Before(f.Until) {
				f.Until = time.Time{}
			}
		}
		if rng.Intn(5) == 0 {
			d := int64(rng.Intn(1000))
			f.MinDuration = &d
		}
		if rng.Intn(5) == 0 {
			d := int64(rng.Intn(1000))
			f.MaxDuration = &d
			if f.MinDuration != nil && *f.MinDuration > d {
				f.MinDuration = nil
			}
		}
		if f.Validate() != nil {
			continue
		}
		fs = append(fs, f)
	}
	check := func(t *testing.T) {
		conn, raws, ok, err := db.verifySnapshot(ctx, 2)
		if err != nil || !ok {
			t.Fatal(ok, err)
		}
		defer func() {
			conn.ExecContext(ctx, "ROLLBACK")
			conn.Close()
			for _, r := range raws {
				r.close()
			}
		}()
		readers := map[string][]passReader{
			"driver": {driverReader(conn)},
			"raw":    {rawReader(raws[0]), rawReader(raws[1])},
		}
		distinct := map[int64]bool{}
		for name, rds := range readers {
			got := make([]int64, len(fs))
			reqs := make([]passReq, len(fs))
			for i, f := range fs {
				reqs[i] = passReq{m: compileMatcher(f), count: &got[i]}
			}
			if err := onePass(ctx, conn, rds, reqs); err != nil {
				t.Fatal(err)
			}
			for i, f := range fs {
				want, err := countEvents(ctx, conn, f)
				if err != nil {
					t.Fatal(err)
				}
				distinct[want] = true
				if got[i] != want {
					t.Errorf("%s: filter %s: Go %d, SQL %d", name, f.String(), got[i], want)
				}
			}
		}
		if len(distinct) < 30 {
			t.Errorf("only %d distinct counts over %d filters: the generated filters do not exercise the data", len(distinct), len(fs))
		}
	}
	t.Run("published", check)
	// hidden as retention hides rows: the hours they leave recounted
	if err := db.withWriteTx(ctx, func(c *sql.Conn) error {
		if _, err := c.ExecContext(ctx, "INSERT INTO unpublished (id) SELECT id FROM events WHERE ext_id LIKE 'd1%'"); err != nil {
			return err
		}
		return recountHidden(ctx, c)
	}); err != nil {
		t.Fatal(err)
	}
	t.Run("hidden", check)
}

func TestLikeMatch(t *testing.T) {
	for _, c := range []struct {
		s, pat string
		want   bool
	}{
		{"abc", "a*", true}, {"abc", "*c", true}, {"abc", "*b*", true}, {"abc", "a*c", true},
		{"ac", "a*c", true}, {"a", "a*a", false}, {"aa", "a*a", true}, {"ABC", "a*", true},
		{"abc", "abc", true}, {"abcd", "abc", false}, {"", "*", true}, {"xay", "*a*a*", false},
		{"äb", "Ä*", false}, {"äb", "ä*", true},
	} {
		if got := likeMatch(c.s, splitStar(c.pat)); got != c.want {
			t.Errorf("likeMatch(%q, %q) = %v, want %v", c.s, c.pat, got, c.want)
		}
	}
}
