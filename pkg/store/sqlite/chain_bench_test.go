package sqlite

import (
	"context"
	"os"
	"testing"
)

// BenchmarkVerifyChain verifies the cache at AUDITCTL_BENCH_DB (skipped
// without it): bench/verify.sh makes one with bench/gen.
func BenchmarkVerifyChain(b *testing.B) {
	path := os.Getenv("AUDITCTL_BENCH_DB")
	if path == "" {
		b.Skip("AUDITCTL_BENCH_DB not set")
	}
	db, err := OpenExisting(context.Background(), path)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	var rows int64
	for b.Loop() {
		rep, err := db.VerifyChain(context.Background(), nil)
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
