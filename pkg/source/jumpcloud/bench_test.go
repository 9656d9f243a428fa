package jumpcloud_test

import (
	"context"
	"net/http/httptest"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/auditctl/auditctl/internal/jcserver"
	synccmd "github.com/auditctl/auditctl/pkg/cmd/sync"
	"github.com/auditctl/auditctl/pkg/source/jumpcloud"
)

// BenchmarkSync syncs AUDITCTL_BENCH_EVENTS events (default 100,000;
// bench/sync.sh uses 1,000,000) from a local server in 10,000-event pages
// into a new cache, end to end. It reports events/s and, by running the
// parts alone, the share of the network and JSON mapping (fetch only).
func BenchmarkSync(b *testing.B) {
	n := 100000
	if v, err := strconv.Atoi(os.Getenv("AUDITCTL_BENCH_EVENTS")); err == nil && v > 0 {
		n = v
	}
	evs, err := jcserver.Generate(n, t0, 30, 1)
	if err != nil {
		b.Fatal(err)
	}
	srv := jcserver.New(testKey)
	srv.AddEvents(evs...)
	hs := httptest.NewServer(srv)
	defer hs.Close()
	c, err := jumpcloud.NewClient(jumpcloud.Settings{APIKey: testKey, Endpoint: hs.URL})
	if err != nil {
		b.Fatal(err)
	}
	conc := 4
	if v, err := strconv.Atoi(os.Getenv("AUDITCTL_BENCH_CONCURRENCY")); err == nil && v > 0 {
		conc = v
	}
	b.Run("fetch", func(b *testing.B) {
		for b.Loop() {
			got := 0
			err := c.Pages(context.Background(), "", jumpcloud.Request{Service: []string{"all"}, StartTime: t0.Add(-31 * 24 * time.Hour), EndTime: t0, Sort: "ASC"},
				func(p jumpcloud.Page) error { got += len(p.Events); return nil })
			if err != nil || got != len(evs) {
				b.Fatal(got, err)
			}
		}
		b.ReportMetric(float64(len(evs))*float64(b.N)/b.Elapsed().Seconds(), "events/s")
	})
	b.Run("sync", func(b *testing.B) {
		for b.Loop() {
			b.StopTimer()
			db := openDB(b)
			b.StartTimer()
			res, err := jumpcloud.Sync(context.Background(), c, synccmd.Store(db), jumpcloud.SyncOptions{
				Since: 31 * 24 * time.Hour, Now: func() time.Time { return t0.Add(5 * time.Minute) }, Concurrency: conc})
			if err != nil || res.Inserted != int64(len(evs)) {
				b.Fatal(res, err)
			}
		}
		b.ReportMetric(float64(len(evs))*float64(b.N)/b.Elapsed().Seconds(), "events/s")
	})
}
