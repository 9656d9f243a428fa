package sqlite

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/auditctl/auditctl/pkg/audit"
)

// manyEvents spreads n events unevenly over a day: half of them in one
// minute, so chunks of equal key width hold very different numbers.
func manyEvents(n int) []*audit.Event {
	out := make([]*audit.Event, n)
	for i := range out {
		t := base.Add(time.Duration(i) * 40 * time.Second)
		if i%2 == 0 {
			t = base.Add(time.Duration(i) * time.Millisecond)
		}
		out[i] = ev(i, []string{"Login", "DeleteUser"}[i%2], "u", audit.StatusSuccess)
		out[i].Time = t
	}
	return out
}

func collect(t *testing.T, db *DB, f audit.Filter, p audit.Page) []string {
	t.Helper()
	var ids []string
	if err := db.EachEvent(context.Background(), f, p, func(e *audit.Event) error {
		ids = append(ids, e.ID)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return ids
}

func TestParallelScanMatchesOneReader(t *testing.T) {
	db := openTest(t)
	mustImport(t, db, manyEvents(5000)...)
	ctx := context.Background()
	for _, desc := range []bool{false, true} {
		for _, f := range []audit.Filter{{}, {Since: base.Add(time.Hour)}, func() audit.Filter {
			var f audit.Filter
			f.Add(audit.FieldAction, "DeleteUser")
			return f
		}()} {
			p := audit.Page{Sort: []audit.SortKey{{Field: audit.FieldTime, Desc: desc}}}
			got := collect(t, db, f, p)
			// the one-reader path: a page as large as everything
			var want []string
			q, _ := compile(f)
			conn, _ := db.db.Conn(ctx)
			if err := eachRow(ctx, conn, q, p, func(e *audit.Event) error {
				want = append(want, e.ID)
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			conn.Close()
			if len(got) == 0 || fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("desc=%v filter %v: parallel scan gave %d events, one reader %d", desc, f, len(got), len(want))
			}
		}
	}
}

func TestParallelScanFallsBackWhileAWriterWorks(t *testing.T) {
	db := openTest(t)
	mustImport(t, db, manyEvents(2000)...)
	ctx := context.Background()
	writer, err := db.db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer writer.Close()
	if _, err := writer.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	if _, err := writer.ExecContext(ctx, "DELETE FROM events WHERE ext_id = 'e0'"); err != nil {
		t.Fatal(err)
	}
	// the scan does not wait for the writer, and does not see its
	// uncommitted change
	if ids := collect(t, db, audit.Filter{}, audit.Page{}); len(ids) != 2000 {
		t.Fatalf("%d events", len(ids))
	}
	writer.ExecContext(ctx, "ROLLBACK")
}

func TestParallelScanStopsOnCallerError(t *testing.T) {
	db := openTest(t)
	mustImport(t, db, manyEvents(5000)...)
	before := runtime.NumGoroutine()
	stop := errors.New("enough")
	n := 0
	err := db.EachEvent(context.Background(), audit.Filter{}, audit.Page{}, func(*audit.Event) error {
		if n++; n == 100 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || n != 100 {
		t.Fatalf("err %v after %d events", err, n)
	}
	// the readers are gone (allowing database/sql a moment to settle)
	for i := 0; runtime.NumGoroutine() > before+1; i++ {
		if i == 100 {
			t.Fatalf("goroutines: %d before, %d after", before, runtime.NumGoroutine())
		}
		time.Sleep(10 * time.Millisecond)
	}
}
