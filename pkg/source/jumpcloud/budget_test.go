package jumpcloud_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/auditctl/auditctl/pkg/audit"
	synccmd "github.com/auditctl/auditctl/pkg/cmd/sync"
	"github.com/auditctl/auditctl/pkg/source/jumpcloud"
)

// slowStore delays each transaction, so that the fetch runs ahead of the
// store and fills the buffer.
type slowStore struct {
	jumpcloud.Store
	delay time.Duration
	mu    sync.Mutex
	txs   []int
}

func (s *slowStore) Import(ctx context.Context, evs []*audit.Event) (int, error) {
	time.Sleep(s.delay)
	s.mu.Lock()
	s.txs = append(s.txs, len(evs))
	s.mu.Unlock()
	return s.Store.Import(ctx, evs)
}

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
			db := openDB(t)
			st := &slowStore{Store: synccmd.Store(db), delay: 5 * time.Millisecond}
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
			sameAsServer(t, db, srv, time.Time{}, now)
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
