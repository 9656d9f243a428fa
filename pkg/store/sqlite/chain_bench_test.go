package sqlite

import (
	"context"
	"database/sql"
	"os"
	"testing"
	"time"
)

// BenchmarkVerifyChain verifies the cache at AUDITCTL_BENCH_DB (skipped
// without it): bench/verify.sh makes one with bench/gen. raw: the events
// read by the two raw readers (rawread.go); driver: through the driver
// alone, as when a writer holds the lock (it does here).
func BenchmarkVerifyChain(b *testing.B) {
	path := os.Getenv("AUDITCTL_BENCH_DB")
	if path == "" {
		b.Skip("AUDITCTL_BENCH_DB not set")
	}
	ctx := context.Background()
	db, err := OpenExisting(ctx, path)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	run := func(b *testing.B) {
		var rows int64
		for b.Loop() {
			rep, err := db.VerifyChain(ctx, nil)
			if err != nil {
				b.Fatal(err)
			}
			if len(rep.Findings) > 0 {
				b.Fatalf("%d findings", len(rep.Findings))
			}
			rows += rep.Events
		}
		b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
	}
	b.Run("raw", run)
	b.Run("driver", func(b *testing.B) {
		lock, err := sql.Open("sqlite", path)
		if err != nil {
			b.Fatal(err)
		}
		defer lock.Close()
		c, err := lock.Conn(ctx)
		if err != nil {
			b.Fatal(err)
		}
		defer c.Close()
		if _, err := c.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
			b.Fatal(err)
		}
		defer c.ExecContext(ctx, "ROLLBACK")
		defer func(w time.Duration) { verifyLockWait = w }(verifyLockWait)
		verifyLockWait = 0
		run(b)
	})
}
