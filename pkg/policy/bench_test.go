package policy

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/auditctl/auditctl/pkg/demo"
	"github.com/auditctl/auditctl/pkg/store/sqlite"
)

// BenchmarkCheck evaluates the 50 rules of bench/check/policy.yaml over
// N demo events (AUDITCTL_BENCH_EVENTS, default 200,000; bench/check.sh
// times the whole process over 1,000,000), in one Evaluator run per
// iteration, and the same rules one count at a time (what 50 `logs count`
// runs ask the cache, without their process start).
func BenchmarkCheck(b *testing.B) {
	n := 200000
	if s := os.Getenv("AUDITCTL_BENCH_EVENTS"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	ctx := context.Background()
	now := demo.DefaultNow
	db, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "audit.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Import(ctx, demo.Events(demo.Options{Count: n, Days: 30, Now: now}), sqlite.ImportOptions{}); err != nil {
		b.Fatal(err)
	}
	p, err := Load(filepath.Join("..", "..", "bench", "check", "policy.yaml"))
	if err != nil {
		b.Fatal(err)
	}
	since := now.Add(-31 * 24 * time.Hour)
	b.Run("check", func(b *testing.B) {
		for b.Loop() {
			ev := &Evaluator{Events: db, Sessions: db, Now: now, Since: since}
			if _, err := ev.Run(ctx, p); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("counts", func(b *testing.B) {
		ev := &Evaluator{Now: now}
		for b.Loop() {
			for _, r := range p.Rules {
				f, err := ev.filter(r.Query, (&Evaluator{Since: since, Until: now}).window())
				if err != nil {
					b.Fatal(err)
				}
				if _, err := db.CountEvents(ctx, f); err != nil {
					b.Fatal(err)
				}
				if _, err := db.CountEvents(ctx, (&Evaluator{Since: since, Until: now}).window()); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
}
