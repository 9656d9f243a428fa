package postgres

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/store"
)

// TestFindByMonth: the first pages read a month at a time (walksMonths)
// hold the same events and totals as the cache's single statement, over
// months of uneven sizes, empty months between them and ahead of them,
// filters that match in some months only, time bounds inside a month,
// page sizes that end inside a month and on its last row, and count caps
// below, at and above the matches.
func TestFindByMonth(t *testing.T) {
	ctx := context.Background()
	pg, lite := bothStores(t, server(t), "walk")
	// June: 40 events, July: none, August: 7, September: 1, October: 25
	// (months ahead of these exist too: Open makes them).
	var evs []*audit.Event
	for _, m := range []struct {
		month time.Month
		n     int
	}{{time.June, 40}, {time.August, 7}, {time.September, 1}, {time.October, 25}} {
		for i := range m.n {
			e := &audit.Event{ID: fmt.Sprintf("w%d-%02d", m.month, i), Source: "test", Action: "Login", Actor: "a@example.com",
				Time:        time.Date(2026, m.month, 1+i%27, i%24, 0, 0, 0, time.UTC),
				Description: fmt.Sprintf("event %d of month %d", i, m.month), Raw: []byte(`{}`)}
			if i%3 == 0 {
				e.Action = "DeleteUser"
			}
			if m.month == time.August {
				e.Actor = "august@example.com"
			}
			evs = append(evs, e)
		}
	}
	for _, st := range []store.Store{pg, lite} {
		if _, err := st.Import(ctx, reader(evs...), store.ImportOptions{Name: "t"}); err != nil {
			t.Fatal(err)
		}
	}
	filter := func(until time.Time, kv ...string) audit.Filter {
		f := audit.Filter{Until: until}
		for i := 0; i+1 < len(kv); i += 2 {
			f.Add(audit.Field(kv[i]), kv[i+1])
		}
		return f
	}
	filters := []audit.Filter{
		filter(time.Time{}),
		filter(time.Time{}, "action", "DeleteUser"),
		filter(time.Time{}, "actor", "august@example.com"),
		filter(time.Time{}, "actor", "nobody"),
		filter(time.Date(2026, 10, 10, 0, 0, 0, 0, time.UTC)),
		filter(time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC), "action", "DeleteUser"),
		filter(time.Date(2026, 8, 20, 0, 0, 0, 0, time.UTC)),
		filter(time.Date(2026, 6, 3, 0, 0, 0, 0, time.UTC)),
		{Text: []string{"month"}},
		{Text: []string{"of month 8"}},
	}
	walked := 0
	for _, f := range filters {
		for _, limit := range []int{1, 7, 8, 25, 26, 33, 50, 100} {
			for _, p := range []audit.Page{{Limit: limit, NoTotal: true}, {Limit: limit, CountUpTo: 1}, {Limit: limit, CountUpTo: 9},
				{Limit: limit, CountUpTo: 33}, {Limit: limit, CountUpTo: 1000}, {Limit: limit, Sort: []audit.SortKey{{Field: audit.FieldTime, Desc: true}}, CountUpTo: 30}} {
				q, err := compile(f)
				if err != nil {
					t.Fatal(err)
				}
				if !walksMonths(q, p) {
					t.Fatalf("%+v %+v is not read month by month", f, p)
				}
				walked++
				a, na, errA := lite.FindEvents(ctx, f, p)
				b, nb, errB := pg.FindEvents(ctx, f, p)
				if errA != nil || errB != nil {
					t.Fatalf("%+v %+v: %v / %v", f, p, errA, errB)
				}
				if !slices.Equal(eventIDs(a), eventIDs(b)) || na != nb {
					t.Errorf("filter %+v page %+v:\ncache %d %v\nstore %d %v", f, p, na, eventIDs(a), nb, eventIDs(b))
				}
			}
		}
	}
	// What is not read month by month: a lower bound, a later page, another
	// order, an exact total.
	since := filter(time.Time{})
	since.Since = time.Date(2026, 8, 1, 0, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		f audit.Filter
		p audit.Page
	}{
		{since, audit.Page{Limit: 10, CountUpTo: 100}},
		{filter(time.Time{}), audit.Page{Limit: 10, Offset: 10, CountUpTo: 100}},
		{filter(time.Time{}), audit.Page{Limit: 10, Sort: []audit.SortKey{{Field: audit.FieldTime}}, CountUpTo: 100}},
		{filter(time.Time{}), audit.Page{Limit: 10}},
		{filter(time.Time{}), audit.Page{CountUpTo: 10}},
	} {
		q, err := compile(c.f)
		if err != nil {
			t.Fatal(err)
		}
		if walksMonths(q, c.p) {
			t.Errorf("%+v %+v would be read month by month", c.f, c.p)
		}
	}
	if walked < 300 {
		t.Fatalf("only %d pages compared", walked)
	}
}

func eventIDs(evs []*audit.Event) []string {
	var out []string
	for _, e := range evs {
		out = append(out, e.ID)
	}
	return out
}
