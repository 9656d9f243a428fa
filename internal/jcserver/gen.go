package jcserver

import (
	"io"
	"time"

	"github.com/auditctl/auditctl/pkg/demo"
)

// Generate returns about n Directory Insights event documents, as the API
// returns them, spread over the days before now: the DI family of the demo
// generator (pkg/demo), so deterministic for a given seed and now.
func Generate(n int, now time.Time, days int, seed int64) ([]*Event, error) {
	// About 36% of the demo's events are Directory Insights events.
	r := demo.Events(demo.Options{Now: now, Days: days, Count: n * 100 / 34, Seed: seed})
	out := make([]*Event, 0, n+n/8)
	for {
		e, err := r.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		if e.Source != demo.SourceDI {
			continue
		}
		ev := &Event{MS: e.Time.UnixMilli(), Time: e.Time.UTC(), ID: e.ID, Service: e.Service, Org: e.Tenant, Raw: e.Raw}
		out = append(out, ev)
	}
}
