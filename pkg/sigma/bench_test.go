package sigma

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"

	"github.com/auditctl/auditctl/internal/ctgen"
	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/importer"
	"github.com/auditctl/auditctl/pkg/store/sqlite"
)

// benchCache is a cache of AUDITCTL_BENCH_EVENTS (default 20,000) CloudTrail
// records from internal/ctgen (2 % changed toward the rules), built once:
// `AUDITCTL_BENCH_EVENTS=1000000 go test -run X -bench Hunt ./pkg/sigma`
// measures the 1M events (bench/hunt.sh times the whole command).
var benchCache = sync.OnceValues(func() (string, error) {
	n := 20000
	if v, err := strconv.Atoi(os.Getenv("AUDITCTL_BENCH_EVENTS")); err == nil && v > 0 {
		n = v
	}
	dir, err := os.MkdirTemp("", "auditctl-hunt-bench")
	if err != nil {
		return "", err
	}
	tpl, _ := ctgen.LoadTemplates(sharedTrail)
	path := filepath.Join(dir, "ct.ndjson")
	f, err := os.Create(path)
	if err != nil {
		return "", err
	}
	if err := ctgen.Write(f, ctgen.Options{N: n, Seed: 1, Mutate: 0.02, Templates: tpl}); err != nil {
		return "", err
	}
	f.Close()
	ctx := context.Background()
	dbPath := filepath.Join(dir, "audit.db")
	db, err := sqlite.Open(ctx, dbPath)
	if err != nil {
		return "", err
	}
	defer db.Close()
	in, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer in.Close()
	r, _, err := importer.Open(path, in, importer.FormatAuto)
	if err != nil {
		return "", err
	}
	if _, err := db.Import(ctx, r, sqlite.ImportOptions{}); err != nil {
		return "", err
	}
	return dbPath, nil
})

// BenchmarkHunt: the 57 SigmaHQ CloudTrail rules over the bench cache, with
// pushdown and with sigma-go on every event, in events per second.
func BenchmarkHunt(b *testing.B) {
	needShared(b)
	path, err := benchCache()
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	db, err := sqlite.OpenExisting(ctx, path)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	total, err := db.CountEvents(ctx, windowAll)
	if err != nil {
		b.Fatal(err)
	}
	rules, err := Load([]string{sharedRules})
	if err != nil {
		b.Fatal(err)
	}
	for _, mode := range []struct {
		name string
		opt  Options
	}{{"pushdown", Options{}}, {"sigma-go-every-event", Options{NoPushdown: true}}} {
		b.Run(mode.name, func(b *testing.B) {
			for b.Loop() {
				if _, _, err := Run(ctx, db, rules, mode.opt); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(total)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
		})
	}
}

var windowAll = audit.Filter{}
