package sqlite

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/auditctl/auditctl/pkg/audit"
)

func benchEvents(n int) []*audit.Event {
	out := make([]*audit.Event, n)
	actions := []string{"Login", "OpenConnection", "DeleteUser", "UpdateUser", "CreateUser", "ListSessions"}
	for i := range out {
		out[i] = &audit.Event{
			ID: fmt.Sprintf("bench-%08d", i), Source: "bench", Time: base.Add(time.Duration(i) * 250 * time.Millisecond),
			Service: "user", Action: actions[i%len(actions)], Actor: fmt.Sprintf("user%d@example.com", i%60),
			IP: fmt.Sprintf("10.%d.%d.%d", i%4, i%200, i%250), Status: audit.StatusSuccess, UserAgent: "Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0",
			DurationMS: audit.Ms(int64(i % 900)), Tenant: "acme", Description: fmt.Sprintf("user%d@example.com %s on user", i%60, actions[i%len(actions)]),
			Params: json.RawMessage(fmt.Sprintf(`{"userId":"u-%d","reason":"cleanup","resourceId":"r-%d"}`, i%500, i%70)),
			Raw:    json.RawMessage(fmt.Sprintf(`{"id":"bench-%08d","service":"user","action":"%s","user":"user%d@example.com","ip":"10.%d.%d.%d","params":{"userId":"u-%d"}}`, i, actions[i%len(actions)], i%60, i%4, i%200, i%250, i%500)),
		}
	}
	return out
}

// BenchmarkImport measures storing events (no parsing) in one transaction.
func BenchmarkImport(b *testing.B) {
	events := benchEvents(50000)
	var cpu time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		db, err := Open(context.Background(), filepath.Join(b.TempDir(), "audit.db"))
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		c0 := cpuTime()
		if _, err := db.Import(context.Background(), reader(events...), ImportOptions{}); err != nil {
			b.Fatal(err)
		}
		cpu += cpuTime() - c0
		b.StopTimer()
		db.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(len(events)*b.N)/b.Elapsed().Seconds(), "events/s")
	// CPU time per event is steadier than wall time on a shared machine.
	b.ReportMetric(float64(cpu.Microseconds())/float64(len(events)*b.N), "cpu-µs/event")
}

// cpuTime is the process's user+system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
