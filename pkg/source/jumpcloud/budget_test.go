package jumpcloud_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/source/jumpcloud"
)

// memStore keeps the ids of the events stored, each transaction delayed
// so that the fetch runs ahead of the store and fills the buffer.
type memStore struct {
	delay time.Duration
	mu    sync.Mutex
	ids   map[string]bool
	txs   []int
}

func (s *memStore) Import(_ context.Context, evs []*audit.Event) (int, error) {
	time.Sleep(s.delay)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.txs = append(s.txs, len(evs))
	n := 0
	for _, e := range evs {
		if !s.ids[e.ID] {
			s.ids[e.ID] = true
			n++
		}
	}
	return n, nil
}

func (s *memStore) State(context.Context, string, string) (jumpcloud.State, bool, error) {
	return jumpcloud.State{}, false, nil
}

func (s *memStore) Extend(context.Context, string, string, jumpcloud.State) error { return nil }

// The sync holds at most BufferBytes of events between fetch and store
// (pages waiting for the writer and events waiting for its transaction),
// whatever the page count or FlushEvents; a page larger than the whole
// budget is held alone; and every event still arrives.
func TestSyncHonoursBufferBytes(t *testing.T) {
	for _, tc := range []struct {
		name   string
		budget int64
	}{
		{"several pages", 400 << 10},
		{"smaller than a page", 1 << 10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, hs := seeded(t)
			st := &memStore{delay: 2 * time.Millisecond, ids: map[string]bool{}}
			now := t0.Add(5 * time.Minute)
			o := opts(now)
			o.PageLimit, o.FlushEvents, o.BufferBytes = 100, 1<<30, tc.budget
			var mu sync.Mutex
			var maxHeld int64
			maxPages := 0
			jumpcloud.SetBufferHook(&o, func(held, limit int64, pages int) {
				mu.Lock()
				defer mu.Unlock()
				if limit != tc.budget {
					t.Errorf("budget %d, want %d", limit, tc.budget)
				}
				if held > limit && pages > 1 {
					t.Errorf("%d bytes in %d pages held, over the budget of %d", held, pages, limit)
				}
				maxHeld, maxPages = max(maxHeld, held), max(maxPages, pages)
			})
			res, err := jumpcloud.Sync(context.Background(), client(t, hs.URL), st, o)
			if err != nil {
				t.Fatal(err)
			}
			if n := int64(len(srv.Events())); res.Fetched != n || res.Inserted != n {
				t.Fatalf("fetched %d, inserted %d, server has %d", res.Fetched, res.Inserted, n)
			}
			for _, e := range srv.Events() {
				if e.Time.Before(now) && !st.ids[e.ID] {
					t.Fatalf("event %s is on the server, not stored", e.ID)
				}
			}
			if tc.budget < 100<<10 {
				if maxPages != 1 {
					t.Fatalf("a budget smaller than a page: up to %d pages held at once, want 1", maxPages)
				}
				return
			}
			// The fetch ran ahead of the slow store up to the budget: the
			// check above was exercised, not vacuous.
			if maxHeld < tc.budget/2 || maxPages < 2 {
				t.Fatalf("at most %d bytes in %d pages held: the budget of %d was never approached", maxHeld, maxPages, tc.budget)
			}
			for _, n := range st.txs {
				if n >= 2500 {
					t.Fatalf("transactions of %v events: one holds everything, the budget did not split them", st.txs)
				}
			}
		})
	}
}
