package tui

import (
	"context"
	"fmt"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/auditctl/auditctl/pkg/audit"
)

// BenchmarkTableFrame is the logs view's frame when 100 new events arrive
// at the top of the 1,000 held (the live tail at 1,000 events a second),
// at 160×50, without a cache: the layout of the rows held and the View.
// Run it on two commits to compare layouts (CPU and allocations per frame):
//
//	go test ./tui -run '^$' -bench TableFrame -benchmem -count 5
func BenchmarkTableFrame(b *testing.B) {
	o := Options{Compile: compilerAt(b, time.Now), Where: "cache bench", Now: time.Now}
	m := New(context.Background(), o)
	b.Cleanup(m.Close)
	m.Update(tea.WindowSizeMsg{Width: 160, Height: 50})
	m.view = viewLogs
	t0 := time.Date(2026, 12, 6, 8, 0, 0, 0, time.UTC)
	seq := 0
	event := func() *audit.Event {
		seq++
		return &audit.Event{ID: fmt.Sprintf("%08x-bench", seq), Source: "bench", Time: t0.Add(time.Duration(seq) * time.Millisecond),
			Service: []string{"directory", "sso", "radius"}[seq%3], Action: fmt.Sprintf("Action%d", seq%37),
			Actor: fmt.Sprintf("user%d@example.com", seq%101), IP: fmt.Sprintf("10.0.%d.%d", seq%7, seq%251),
			Status: []audit.Status{audit.StatusSuccess, audit.StatusFailure}[seq%2]}
	}
	v := &m.logs
	v.loading = false
	for range maxHeld {
		v.rows = append([]*audit.Event{event()}, v.rows...)
	}
	m.relayout()
	_ = m.View()
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		fresh := make([]*audit.Event, 100)
		for j := range fresh {
			fresh[len(fresh)-1-j] = event()
		}
		v.rows = append(fresh, v.rows[:maxHeld-len(fresh)]...)
		m.relayout()
		_ = m.View()
	}
}
