package sqlite

import (
	"fmt"
	"testing"
)

// TestImportLeavesPlannerStatistics: an import ends with statistics of
// the events' indexes (optimize), and they follow the cache as it grows
// tenfold.
func TestImportLeavesPlannerStatistics(t *testing.T) {
	db := openTest(t)
	stat := func() (rows int64) {
		t.Helper()
		var s string
		if err := db.SQL().QueryRow("SELECT stat FROM sqlite_stat1 WHERE tbl = 'events' AND idx = 'events_action'").Scan(&s); err != nil {
			t.Fatalf("no statistics of events_action: %v", err)
		}
		var per int64
		if _, err := fmt.Sscan(s, &rows, &per); err != nil {
			t.Fatalf("stat %q: %v", s, err)
		}
		return rows
	}
	mustImport(t, db, sample()...)
	if n := stat(); n != 30 {
		t.Fatalf("statistics over %d rows after importing 30", n)
	}
	mustImport(t, db, bulk(400)...)
	if n := stat(); n != 430 {
		t.Fatalf("statistics over %d rows after the cache grew to 430", n)
	}
}
