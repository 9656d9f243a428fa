package sqlite

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/auditctl/auditctl/pkg/audit"
)

// TestCountByHalvesEqualsOneStatement: the count by a field on two
// connections, each over one half of the field's index, gives the groups,
// their order (ties broken by NOCASE order, which the values exercise:
// case variants of one value, '_' between the cases, a NUL, non-ASCII) and
// the total that the one statement gives, with and without filters and
// with rows hidden by an unfinished import.
func TestCountByHalvesEqualsOneStatement(t *testing.T) {
	db := openTest(t)
	old := halvesMinBytes
	halvesMinBytes = 0
	t.Cleanup(func() { halvesMinBytes = old })
	actors := []string{"alice", "ALICE", "Bob", "bob_x", "bobx", "BOB[", "carol", "Zed", "zed\x00a", "zed\x00b", "émile", "Émile", "", "x"}
	var evs []*audit.Event
	for i := range 600 {
		e := ev(i, []string{"Login", "login", "DeleteUser", "CreateUser"}[i%4], actors[i%len(actors)], []audit.Status{audit.StatusSuccess, audit.StatusFailure}[i%5/4])
		e.Service = []string{"user", "USER", "directory", "sso", "radius"}[i%5]
		// (600 events over 14 actors: 42 or 43 each, so equal counts are
		// ordered by the NOCASE order of the values)
		evs = append(evs, e)
	}
	mustImport(t, db, evs...)
	ctx := context.Background()
	filters := []audit.Filter{
		{},
		{Since: base.Add(100 * time.Minute), Until: base.Add(400 * time.Minute)},
		{Text: []string{"number"}},
	}
	var st audit.Filter
	st.Add(audit.FieldStatus, "failure")
	filters = append(filters, st)
	var ac audit.Filter
	ac.Add(audit.FieldActor, "bob*")
	filters = append(filters, ac)
	check := func(label string) {
		t.Helper()
		for _, field := range []audit.Field{audit.FieldActor, audit.FieldAction, audit.FieldService, audit.FieldStatus} {
			for fi, f := range filters {
				for _, limit := range []int{0, 3} {
					var want []audit.Bucket
					var wantTotal int64
					err := db.inSnapshot(ctx, func(qr querier) (err error) {
						want, wantTotal, err = countBy(ctx, qr, f, field, limit, true)
						return err
					})
					if err != nil {
						t.Fatal(err)
					}
					got, total, ok, err := db.countByHalves(ctx, f, field, limit)
					if err != nil || !ok {
						t.Fatalf("%s: countByHalves by %s, filter %d: ok %v, %v", label, field, fi, ok, err)
					}
					if fmt.Sprint(got) != fmt.Sprint(want) || total != wantTotal {
						t.Errorf("%s: by %s, filter %d (%s), limit %d:\nhalves %+v total %d\nSQL    %+v total %d", label, field, fi, f.String(), limit, got, total, want, wantTotal)
					}
					// and through the exported methods
					byTotal, total2, err := db.CountByTotal(ctx, f, field, limit)
					if err != nil || fmt.Sprint(byTotal) != fmt.Sprint(want) || total2 != wantTotal {
						t.Errorf("%s: CountByTotal by %s, filter %d: %+v %d %v", label, field, fi, byTotal, total2, err)
					}
				}
			}
		}
	}
	// the halves are what runs for the unfiltered count (else the test
	// would compare the one statement with itself)
	conn, done, err := db.readConn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	streams, err := usesIndex(ctx, conn, "SELECT e.actor, count(*) FROM events e GROUP BY e.actor", nil, "events_actor")
	done()
	if err != nil || !streams {
		t.Fatalf("the count by actor does not stream events_actor: %v %v", streams, err)
	}
	check("published")
	if _, err := db.SQL().Exec("INSERT INTO unpublished SELECT id FROM events WHERE ext_id LIKE 'e1%'"); err != nil {
		t.Fatal(err)
	}
	check("with hidden rows")
}

func TestNocaseCompare(t *testing.T) {
	db := openTest(t)
	vals := []string{"b", "A", "a_", "a", "B[", "\x00", "", "é", "É", "ab\x00c", "ab\x00d", "ab"}
	for _, x := range vals {
		for _, y := range vals {
			var want int
			if err := db.SQL().QueryRow("SELECT CASE WHEN ? < ? COLLATE NOCASE THEN -1 WHEN ? = ? COLLATE NOCASE THEN 0 ELSE 1 END", x, y, x, y).Scan(&want); err != nil {
				t.Fatal(err)
			}
			got := nocaseCompare(x, y)
			if got < 0 {
				got = -1
			} else if got > 0 {
				got = 1
			}
			if got != want {
				t.Errorf("nocaseCompare(%q, %q) = %d, SQLite NOCASE %d", x, y, got, want)
			}
		}
	}
	sorted := slices.Clone(vals)
	slices.SortFunc(sorted, nocaseCompare)
	t.Logf("NOCASE order: %q", sorted)
}
