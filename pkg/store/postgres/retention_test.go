package postgres

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/store"
	"github.com/jackc/pgx/v5"
)

// monthsOfEvents are 12 events a month from June to October 2026, one
// every 2.5 days from the 1st at 00:00:00.000001.
func monthsOfEvents() []*audit.Event {
	var out []*audit.Event
	for m := time.June; m <= time.October; m++ {
		for i := range 12 {
			t := time.Date(2026, m, 1, 0, 0, 0, 1000, time.UTC).Add(time.Duration(i) * 60 * time.Hour)
			out = append(out, &audit.Event{ID: fmt.Sprintf("m%d-%d", m, i), Source: "test", Time: t, Action: "Login", Actor: "a@b.c",
				Raw: []byte(fmt.Sprintf(`{"m":%d,"i":%d}`, m, i))})
		}
	}
	return out
}

func TestRetentionByPartition(t *testing.T) {
	newURL := server(t)
	ctx := context.Background()
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	url := newURL("keep")
	if _, err := Init(ctx, url, DefaultRoles); err != nil {
		t.Fatal(err)
	}
	db, err := Open(ctx, url, true)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetSigner(func() (ed25519.PrivateKey, error) { return key, nil })
	evs := monthsOfEvents()
	// Two imports: the chain's segments span the cutoff.
	if _, err := db.Import(ctx, reader(evs[:30]...), store.ImportOptions{Name: "a"}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Import(ctx, reader(evs[30:]...), store.ImportOptions{Name: "b"}); err != nil {
		t.Fatal(err)
	}
	cutoff := time.Date(2026, 9, 15, 0, 0, 0, 0, time.UTC)
	var want int64
	for _, e := range evs {
		if e.Time.Before(cutoff) {
			want++
		}
	}
	exists := func(name string) bool {
		var ok bool
		if err := db.pool.QueryRow(ctx, "SELECT to_regclass($1) IS NOT NULL", name).Scan(&ok); err != nil {
			t.Fatal(err)
		}
		return ok
	}
	count := func(q string, args ...any) int64 {
		var n int64
		if err := db.pool.QueryRow(ctx, q, args...).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}

	t.Run("the ingest and reader roles are refused", func(t *testing.T) {
		su, err := pgx.Connect(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		defer su.Close(ctx)
		for _, s := range []string{"CREATE ROLE ing2 LOGIN IN ROLE auditctl_ingest", "CREATE ROLE rd2 LOGIN IN ROLE auditctl_reader"} {
			if _, err := su.Exec(ctx, s); err != nil {
				t.Fatal(err)
			}
		}
		for _, user := range []string{"ing2", "rd2"} {
			other, err := Open(ctx, asUser(url, user), false)
			if err != nil {
				t.Fatal(err)
			}
			other.SetSigner(func() (ed25519.PrivateKey, error) { return key, nil })
			var ae *audit.Error
			if err := other.CheckAdmin(ctx); !errors.As(err, &ae) || ae.Code != audit.EREMOTE || !strings.Contains(err.Error(), "admin role") {
				t.Errorf("%s: CheckAdmin: %v", user, err)
			}
			// And the server itself refuses the deletion.
			if _, err := other.DeleteExpired(ctx, Expired{EventsBefore: cutoff, Reason: "test"}); !errors.As(err, &ae) || ae.Code != audit.EREMOTE {
				t.Errorf("%s: DeleteExpired: %v", user, err)
			}
			other.Close()
		}
		if n := count("SELECT count(*) FROM events"); n != int64(len(evs)) {
			t.Fatalf("after the refusals: %d events, want %d", n, len(evs))
		}
	})

	t.Run("a refusal inside the transaction deletes nothing", func(t *testing.T) {
		_, err := db.DeleteExpired(ctx, Expired{EventsBefore: cutoff, Reason: "test", InTx: func(n int64) error {
			if n != want {
				t.Errorf("the deletion counts %d events, want %d", n, want)
			}
			return audit.Errorf(audit.ELOCAL, "archived another number")
		}})
		if audit.ErrorCode(err) != audit.ELOCAL {
			t.Fatalf("refused deletion: %v", err)
		}
		if n := count("SELECT count(*) FROM events"); n != int64(len(evs)) || !exists("events_p202606") {
			t.Fatalf("after a refusal: %d events", n)
		}
	})

	t.Run("whole months dropped, the edge month deleted by rows", func(t *testing.T) {
		del, err := db.DeleteExpired(ctx, Expired{EventsBefore: cutoff, Reason: "retention: test"})
		if err != nil {
			t.Fatal(err)
		}
		if del.Events != want || strings.Join(del.Dropped, ",") != "events_p202606,events_p202607,events_p202608" || del.Edge != "events_p202609" {
			t.Fatalf("deletion: %+v, want %d events", del, want)
		}
		for _, p := range []string{"events_p202606", "event_docs_p202606", "events_p202608", "event_docs_p202608"} {
			if exists(p) {
				t.Errorf("%s is still there", p)
			}
		}
		if !exists("events_p202609") || !exists("event_docs_p202609") {
			t.Error("the edge month's partitions are gone")
		}
		cut := store.KeyFloor(cutoff)
		for _, q := range []string{"SELECT count(*) FROM events WHERE id < $1", "SELECT count(*) FROM event_docs WHERE id < $1",
			"SELECT count(*) FROM event_ids WHERE id < $1", "SELECT count(*) FROM chain_rows WHERE id < $1"} {
			if n := count(q, cut); n != 0 {
				t.Errorf("%s: %d", q, n)
			}
		}
		if n := count("SELECT count(*) FROM events"); n != int64(len(evs))-want {
			t.Errorf("%d events remain, want %d", n, int64(len(evs))-want)
		}
		rep, f := verifyFindings(t, db)
		if f != "" || rep.Checkpoints != 1 || rep.Records != 3 || rep.Events != int64(len(evs))-want {
			t.Fatalf("verify after retention: %+v\n%s", rep, f)
		}
		if rep, err := db.VerifyChain(ctx, key.Public().(ed25519.PublicKey)); err != nil || len(rep.Findings) != 0 {
			t.Fatalf("verify with the trusted key: %v %+v", err, rep)
		}
		// Again: nothing to delete, nothing appended.
		if del, err := db.DeleteExpired(ctx, Expired{EventsBefore: cutoff, Reason: "retention: test"}); err != nil || del.Events != 0 {
			t.Fatalf("second run: %+v %v", del, err)
		}
		if rep, _ := verifyFindings(t, db); rep.Records != 3 {
			t.Errorf("the second run appended a record: %d", rep.Records)
		}
		// An import into a dropped month makes it again.
		if _, err := db.Import(ctx, reader(evs[0]), store.ImportOptions{Name: "c"}); err != nil {
			t.Fatal(err)
		}
		if rep, f := verifyFindings(t, db); f != "" || rep.Events != int64(len(evs))-want+1 {
			t.Fatalf("verify after importing into a dropped month: %+v\n%s", rep, f)
		}
	})

	t.Run("a tampered hash stops the deletion", func(t *testing.T) {
		if _, err := db.pool.Exec(ctx, "UPDATE chain_rows SET hash = sha256(hash) WHERE id = (SELECT min(id) FROM chain_rows)"); err != nil {
			t.Fatal(err)
		}
		before := count("SELECT count(*) FROM events")
		_, err := db.DeleteExpired(ctx, Expired{EventsBefore: time.Date(2026, 10, 15, 0, 0, 0, 0, time.UTC), Reason: "retention: test"})
		if audit.ErrorCode(err) != audit.ELOCAL || !strings.Contains(err.Error(), "tamper check") {
			t.Fatalf("deletion over a tampered hash: %v", err)
		}
		if n := count("SELECT count(*) FROM events"); n != before || !exists("events_p202609") {
			t.Fatalf("a refused deletion deleted: %d events of %d", n, before)
		}
	})
}
