package sqlite

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/demo"
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

// queryDB is a cache of 100,000 demo events shared by the query
// benchmarks (built once per test binary run, in a temporary directory).
var queryDB struct {
	once sync.Once
	db   *DB
	dir  string
	err  error
	now  time.Time
}

func benchQueryDB(b *testing.B) *DB {
	b.Helper()
	queryDB.once.Do(func() {
		queryDB.dir, queryDB.err = os.MkdirTemp("", "auditctl-bench-")
		if queryDB.err != nil {
			return
		}
		queryDB.now = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
		queryDB.db, queryDB.err = Open(context.Background(), filepath.Join(queryDB.dir, "audit.db"))
		if queryDB.err != nil {
			return
		}
		_, queryDB.err = queryDB.db.Import(context.Background(),
			demo.Events(demo.Options{Now: queryDB.now, Count: 100000}), ImportOptions{})
	})
	if queryDB.err != nil {
		b.Fatal(queryDB.err)
	}
	return queryDB.db
}

func TestMain(m *testing.M) {
	code := m.Run()
	if queryDB.db != nil {
		queryDB.db.Close()
		os.RemoveAll(queryDB.dir)
	}
	os.Exit(code)
}

// BenchmarkListActionSince is `logs list --action DeleteUser --since 7d`.
func BenchmarkListActionSince(b *testing.B) {
	db := benchQueryDB(b)
	f := audit.Filter{Since: queryDB.now.Add(-7 * 24 * time.Hour)}
	f.Add(audit.FieldAction, "DeleteUser")
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, _, err := db.FindEvents(context.Background(), f, audit.Page{Limit: 50}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSearchFirstPage is the newest-first page of a full-text search
// for a common word, without the total (as `-o json` does).
func BenchmarkSearchFirstPage(b *testing.B) {
	db := benchQueryDB(b)
	f := audit.Filter{Text: []string{"priya"}}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, _, err := db.FindEvents(context.Background(), f, audit.Page{Limit: 50, NoTotal: true}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSearchPhrase needs the index and the substring confirmation.
func BenchmarkSearchPhrase(b *testing.B) {
	db := benchQueryDB(b)
	f := audit.Filter{Text: []string{"185.220.101.47"}}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, _, err := db.FindEvents(context.Background(), f, audit.Page{Limit: 50}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCountByActor is `logs count --by actor --all`.
func BenchmarkCountByActor(b *testing.B) {
	db := benchQueryDB(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := db.CountBy(context.Background(), audit.Filter{}, audit.FieldActor, 20); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkScanAll reads every event with its documents, as export does.
func BenchmarkScanAll(b *testing.B) {
	db := benchQueryDB(b)
	b.ResetTimer()
	n := 0
	for i := 0; i < b.N; i++ {
		if err := db.EachEvent(context.Background(), audit.Filter{}, audit.Page{}, func(*audit.Event) error {
			n++
			return nil
		}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "events/s")
}
