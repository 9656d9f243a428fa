package sqlite

import (
	"context"
	"slices"
	"testing"

	"github.com/auditctl/auditctl/pkg/audit"
)

// walk reads the whole result of f in keyset pages of n, in order desc
// (newest first) or not, and checks each page's total.
func walk(t *testing.T, db *DB, f audit.Filter, n int, desc bool, wantTotal int) []string {
	t.Helper()
	var got []string
	var after *audit.Cursor
	for range 100 {
		pg := audit.Page{Limit: n, After: after, Sort: []audit.SortKey{{Field: audit.FieldTime, Desc: desc}}}
		evs, total, err := db.FindEvents(context.Background(), f, pg)
		if err != nil {
			t.Fatal(err)
		}
		if total != wantTotal {
			t.Fatalf("page after %v: total %d, want %d (every match, not those past the cursor)", after, total, wantTotal)
		}
		got = append(got, ids(evs)...)
		if len(evs) < n {
			return got
		}
		after = audit.CursorOf(evs[len(evs)-1])
	}
	t.Fatal("keyset pages do not end")
	return nil
}

// Keyset pages (Page.After) walk the same events as one read, both ways,
// for field filters, full text (the FTS-driven key), and with rows hidden
// by an unfinished writer.
func TestKeysetPages(t *testing.T) {
	db := openTest(t)
	evs := sample()
	// two events in one microsecond: the cursor orders them by key
	same := ev(40, "Login", "dave@example.com", audit.StatusSuccess)
	same2 := ev(41, "Login", "dave@example.com", audit.StatusSuccess)
	same2.Time = same.Time
	mustImport(t, db, append(evs, same, same2)...)
	ctx := context.Background()
	var byAction, byText, all audit.Filter
	byAction.Add(audit.FieldAction, "Login")
	byText.Text = []string{"did"}
	byText.Add(audit.FieldStatus, "success")
	check := func(name string, f audit.Filter) {
		t.Helper()
		whole, total, err := db.FindEvents(ctx, f, audit.Page{})
		if err != nil {
			t.Fatal(err)
		}
		want := ids(whole)
		if len(want) < 5 {
			t.Fatalf("%s: only %d events", name, len(want))
		}
		for _, n := range []int{1, 4, 7, 100} {
			if got := walk(t, db, f, n, true, total); !slices.Equal(got, want) {
				t.Errorf("%s by %d newest first:\n got %v\nwant %v", name, n, got, want)
			}
			back := slices.Clone(want)
			slices.Reverse(back)
			if got := walk(t, db, f, n, false, total); !slices.Equal(got, back) {
				t.Errorf("%s by %d oldest first:\n got %v\nwant %v", name, n, got, back)
			}
		}
		// a page after the 3rd event is the one at offset 3
		third := whole[2]
		got, _, err := db.FindEvents(ctx, f, audit.Page{Limit: 4, After: audit.CursorOf(third), NoTotal: true})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(ids(got), want[3:7]) {
			t.Errorf("%s after %s: %v, want %v", name, third.ID, ids(got), want[3:7])
		}
	}
	check("all", all)
	check("action", byAction)
	check("text", byText)

	// an event no longer stored still marks its place
	gone := &audit.Cursor{Time: evs[20].Time.Add(1), Source: "test", ID: "deleted"}
	got, _, err := db.FindEvents(ctx, all, audit.Page{Limit: 2, After: gone, NoTotal: true})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ids(got), []string{"e20", "e19"}) {
		t.Errorf("after a deleted event: %v, want [e20 e19]", ids(got))
	}

	// a cursor needs a time order
	_, _, err = db.FindEvents(ctx, all, audit.Page{Limit: 2, After: gone, Sort: []audit.SortKey{{Field: audit.FieldActor}}})
	if audit.ErrorCode(err) != audit.EUSAGE {
		t.Errorf("cursor with a sort by actor: %v, want a usage error", err)
	}

	// rows of an unfinished import stay hidden from keyset pages
	if _, err := db.SQL().Exec("INSERT INTO unpublished (id) SELECT id FROM events WHERE actor = 'bob@example.com'"); err != nil {
		t.Fatal(err)
	}
	visible, total, err := db.FindEvents(ctx, all, audit.Page{})
	if err != nil {
		t.Fatal(err)
	}
	if got := walk(t, db, all, 3, true, total); !slices.Equal(got, ids(visible)) || slices.Contains(got, "e1") {
		t.Errorf("with hidden rows: %v, want %v", got, ids(visible))
	}
}

// BenchmarkDeepPage is a page of 200 events 50,000 rows into the whole
// cache (100,000 demo events), as the console reads it while scrolling:
// by keyset (Page.After, a seek) against by Offset (reads and skips every
// row before it).
func BenchmarkDeepPage(b *testing.B) {
	db := benchQueryDB(b)
	ctx := context.Background()
	skip, _, err := db.FindEvents(ctx, audit.Filter{}, audit.Page{Limit: 1, Offset: 49999, NoTotal: true})
	if err != nil || len(skip) != 1 {
		b.Fatalf("%v, %d events", err, len(skip))
	}
	for _, pg := range []struct {
		name string
		page audit.Page
	}{
		{"keyset", audit.Page{Limit: 200, NoTotal: true, After: audit.CursorOf(skip[0])}},
		{"offset", audit.Page{Limit: 200, NoTotal: true, Offset: 50000}},
	} {
		b.Run(pg.name, func(b *testing.B) {
			for b.Loop() {
				evs, _, err := db.FindEvents(ctx, audit.Filter{}, pg.page)
				if err != nil || len(evs) != 200 {
					b.Fatalf("%v, %d events", err, len(evs))
				}
			}
		})
	}
}
