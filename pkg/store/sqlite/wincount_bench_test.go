package sqlite

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/auditctl/auditctl/pkg/audit"
)

// BenchmarkWindowCount counts the last 7 days of the cache named by
// AUDITCTL_BENCH_CACHE (skipped without it; use a copy: opening it may
// migrate it), the 7 days before its newest event: "plain" is the count
// as it was (count(*) over the key range of the events table), "status"
// is CountEvents (windowCount: the key ranges of the status index).
//
//	AUDITCTL_BENCH_CACHE=/tmp/c1m.db go test ./pkg/store/sqlite -run '^$' -bench WindowCount -count 3
func BenchmarkWindowCount(b *testing.B) {
	path := os.Getenv("AUDITCTL_BENCH_CACHE")
	if path == "" {
		b.Skip("AUDITCTL_BENCH_CACHE names no cache")
	}
	ctx := context.Background()
	db, err := Open(ctx, path)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	var newest int64
	if err := db.SQL().QueryRow("SELECT max(time_ns) FROM events").Scan(&newest); err != nil {
		b.Fatal(err)
	}
	f := audit.Filter{Since: time.Unix(0, newest).Add(-7 * 24 * time.Hour).Truncate(time.Second)}
	q, err := compile(f)
	if err != nil {
		b.Fatal(err)
	}
	var want, got int64
	b.Run("plain", func(b *testing.B) {
		for b.Loop() {
			if err := db.SQL().QueryRowContext(ctx, "SELECT count(*) FROM "+q.from+q.whereSQL(), q.args...).Scan(&want); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(want), "events")
	})
	b.Run("status", func(b *testing.B) {
		for b.Loop() {
			if got, err = db.CountEvents(ctx, f); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(got), "events")
	})
	if want != 0 && got != 0 && got != want {
		b.Fatalf("status count %d, plain count %d", got, want)
	}
}
