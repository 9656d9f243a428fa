package tui

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"slices"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/store/sqlite"
)

// The benchmarks of issue 12 run on a large cache named by
// AUDITCTL_TUI_BENCH_DB (bench/tui.sh builds one of 1M and one of 2M
// events with bench/gen); without it they are skipped.
//
//	AUDITCTL_TUI_BENCH_DB=/tmp/2m.db go test ./tui -run '^$' -bench . -benchtime 20x
//
// A frame is what the update loop does for one message and the View that
// follows: the time the screen cannot change. Reading (a page, a count)
// runs in commands off the loop; where it is measured it is said.

func benchDB(b *testing.B) *sqlite.DB {
	b.Helper()
	path := os.Getenv("AUDITCTL_TUI_BENCH_DB")
	if path == "" {
		b.Skip("AUDITCTL_TUI_BENCH_DB names no cache (bench/tui.sh builds them)")
	}
	db, err := sqlite.OpenExisting(context.Background(), path)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	return db
}

// benchModel is a console on db at w×h, the clock at the real now (the
// bench caches end now), driven synchronously: run executes a command and
// every command it leads to, handing their messages to Update.
type benchModel struct {
	b *testing.B
	m *Model
}

func newBenchModel(b *testing.B, db *sqlite.DB, w, h int) *benchModel {
	o := Options{Events: db, Sessions: db, Compile: compilerAt(b, time.Now), Where: "cache bench", Now: time.Now}
	m := New(context.Background(), o)
	b.Cleanup(m.Close)
	m.Update(tea.WindowSizeMsg{Width: w, Height: h})
	return &benchModel{b: b, m: m}
}

// run executes cmd and what follows from it, until only ticks are left
// (they are dropped: the cursor, the sessions' refresh).
func (bm *benchModel) run(cmd tea.Cmd) {
	queue := []tea.Cmd{cmd}
	for len(queue) > 0 {
		c := queue[0]
		queue = queue[1:]
		if c == nil {
			continue
		}
		msg := c()
		switch msg := msg.(type) {
		case tea.BatchMsg:
			queue = append(queue, msg...)
			continue
		case nil, sessionsTickMsg, debounceMsg:
			continue
		}
		_, next := bm.m.Update(msg)
		queue = append(queue, next)
	}
}

func (bm *benchModel) key(name string) tea.Cmd {
	_, cmd := bm.m.Update(keyMsg(name))
	return cmd
}

// BenchmarkFirstScreen is the console's first screen in the process: the
// model made, the first query's page and count and the overview's counts
// read (one after the other here; the program runs them at once), the
// frame drawn. The process's start and the terminal are bench/tui.sh's.
func BenchmarkFirstScreen(b *testing.B) {
	db := benchDB(b)
	for _, size := range [][2]int{{80, 24}, {160, 50}} {
		b.Run(fmt.Sprintf("%dx%d", size[0], size[1]), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				bm := newBenchModel(b, db, size[0], size[1])
				bm.run(bm.m.Init())
				if bm.m.ov.zero() || bm.m.ov.loading {
					b.Fatal("no overview")
				}
				_ = bm.m.View()
			}
		})
	}
}

// BenchmarkQuery is a new query from Enter in the bar to its first rows on
// screen: the page read (the count runs beside it, as in the program, and
// is not waited for), the frame drawn.
func BenchmarkQuery(b *testing.B) {
	db := benchDB(b)
	for _, q := range []struct{ name, q string }{
		{"field", "action:DeleteUser"},
		{"field-negated", "-status:success service:directory"},
		{"fts-common", `"priya"`},
		{"fts-ip", `"185.220.101.47"`},
	} {
		b.Run(q.name, func(b *testing.B) {
			bm := newBenchModel(b, db, 160, 50)
			bm.run(bm.m.Init())
			bm.run(bm.key("2"))
			queries := []string{q.q, q.q + " "} // each op a new query
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				cmd := bm.m.runQuery(queries[i%2])
				msgs := make(chan tea.Msg, 8)
				for _, c := range cmd().(tea.BatchMsg) {
					go func() { msgs <- c() }()
				}
				for {
					msg := <-msgs
					if pm, ok := msg.(pageMsg); ok && pm.dir == 0 {
						bm.m.Update(msg)
						break
					}
				}
				_ = bm.m.View()
				if bm.m.logs.loading || bm.m.logs.err != nil {
					b.Fatalf("no rows: %v", bm.m.logs.err)
				}
			}
			b.StopTimer()
			bm.m.logs.cancel()
		})
	}
}

// BenchmarkScroll pages down through the whole default result (pgdown, a
// page of 46 rows at 160×50), from the top, wrapping at the end. frame is
// the key's Update and the View (the chunks read meanwhile excluded: they
// arrive off the loop); with-reads adds the keyset pages read as the
// selection nears the end of what is held. max-ms is the slowest frame;
// heap-MB the live heap at the end, after a collection.
func BenchmarkScroll(b *testing.B) {
	db := benchDB(b)
	for _, withReads := range []bool{false, true} {
		name := "frame"
		if withReads {
			name = "with-reads"
		}
		b.Run(name, func(b *testing.B) {
			bm := newBenchModel(b, db, 160, 50)
			bm.run(bm.m.Init())
			bm.run(bm.key("2"))
			var slowest time.Duration
			var ms runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&ms)
			heap0 := ms.HeapAlloc
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				t0 := time.Now()
				cmd := bm.key("pgdown")
				_ = bm.m.View()
				slowest = max(slowest, time.Since(t0))
				if !withReads {
					b.StopTimer()
				}
				bm.run(cmd)
				if v := &bm.m.logs; v.atEnd && v.sel >= v.base+len(v.rows)-1 {
					bm.run(bm.m.first())
				}
				if !withReads {
					b.StartTimer()
				}
			}
			b.StopTimer()
			runtime.GC()
			runtime.ReadMemStats(&ms)
			b.ReportMetric(float64(slowest.Microseconds())/1000, "max-ms")
			b.ReportMetric(float64(ms.HeapAlloc)/(1<<20), "heap-MB")
			b.ReportMetric((float64(ms.HeapAlloc)-float64(heap0))/(1<<20), "heap-growth-MB")
			b.ReportMetric(float64(bm.m.logs.sel), "rows-scrolled")
		})
	}
}

// BenchmarkTail is the live tail with 1,000 events a second arriving:
// each op imports 100 events (a tenth of a second's worth, timer stopped),
// then times the tail's read of them (off the loop) and the frame that
// puts them at the top. frame-max-ms is the slowest frame. The events are
// added to the bench cache (source bench-tail).
func BenchmarkTail(b *testing.B) {
	db := benchDB(b)
	bm := newBenchModel(b, db, 160, 50)
	bm.run(bm.m.Init())
	bm.run(bm.key("2"))
	bm.m.Update(tea.KeyPressMsg{Code: 't', Text: "t"}) // its wait is not run: the bench wakes it
	if !bm.m.tail.on {
		b.Fatal("the tail is off")
	}
	var frames, slowest time.Duration
	var seq int
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		evs := make([]*audit.Event, 100)
		for j := range evs {
			seq++
			evs[j] = &audit.Event{ID: fmt.Sprintf("tail-%d-%d", time.Now().UnixNano(), seq), Source: "bench-tail", Time: time.Now(),
				Service: "directory", Action: "TailBench", Actor: "bench@example.com", Status: audit.StatusSuccess}
		}
		if err := db.AddEvents(context.Background(), evs...); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		msg := bm.m.tailFetch()()
		t0 := time.Now()
		bm.m.Update(msg)
		_ = bm.m.View()
		d := time.Since(t0)
		frames += d
		slowest = max(slowest, d)
		if tm, ok := msg.(tailMsg); !ok || len(tm.events) == 0 {
			b.Fatalf("the tail read nothing: %#v", msg)
		}
	}
	b.StopTimer()
	if i := slices.IndexFunc(bm.m.logs.rows, func(e *audit.Event) bool { return e.Source == "bench-tail" }); i != 0 {
		b.Fatalf("the newest row is not the tail's: %d", i)
	}
	b.ReportMetric(float64(frames.Microseconds())/1000/float64(b.N), "frame-ms")
	b.ReportMetric(float64(slowest.Microseconds())/1000, "frame-max-ms")
}
