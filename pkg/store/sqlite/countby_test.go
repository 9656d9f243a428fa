package sqlite

import (
	"context"
	"testing"

	"github.com/auditctl/auditctl/pkg/audit"
)

// TestCountByTotalCountsEveryGroup: the total CountByTotal takes from its
// grouping statement counts the groups the limit leaves out, and leaves
// out hidden rows, as CountEvents does.
func TestCountByTotalCountsEveryGroup(t *testing.T) {
	db := openTest(t)
	var evs []*audit.Event
	for i := range 60 {
		evs = append(evs, ev(i, []string{"Login", "DeleteUser", "CreateUser", "login"}[i%4], []string{"a@x", "b@x", "c@x", "d@x", "e@x"}[i%5], audit.StatusSuccess))
	}
	mustImport(t, db, evs...)
	ctx := context.Background()
	var failed audit.Filter
	failed.Add(audit.FieldActor, "a@x")
	for _, hide := range []bool{false, true} {
		if hide {
			if _, err := db.SQL().Exec("INSERT INTO unpublished (id) SELECT id FROM events WHERE ext_id LIKE 'e1%'"); err != nil {
				t.Fatal(err)
			}
		}
		for _, f := range []audit.Filter{{}, failed} {
			want, err := db.CountEvents(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			for _, limit := range []int{0, 1, 2} {
				buckets, total, err := db.CountByTotal(ctx, f, audit.FieldActor, limit)
				if err != nil {
					t.Fatal(err)
				}
				if total != want {
					t.Errorf("hidden %v, filter %s, limit %d: total %d, CountEvents %d", hide, f.String(), limit, total, want)
				}
				if limit > 0 && len(buckets) > limit {
					t.Errorf("limit %d: %d groups", limit, len(buckets))
				}
				if want == 0 && (total != 0 || len(buckets) != 0) {
					t.Errorf("no match: total %d, %v", total, buckets)
				}
			}
		}
	}
	// no match at all: no group, total 0
	var none audit.Filter
	none.Add(audit.FieldActor, "nobody")
	buckets, total, err := db.CountByTotal(ctx, none, audit.FieldActor, 5)
	if err != nil || total != 0 || len(buckets) != 0 {
		t.Errorf("no match: %v %d %v", buckets, total, err)
	}
}
