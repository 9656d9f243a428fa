package jumpcloud

import (
	"context"
	"sync"

	"github.com/auditctl/auditctl/pkg/audit"
)

// DefaultBufferBytes is the sync's default byte budget for the events it
// holds between fetch and store (SyncOptions.BufferBytes).
const DefaultBufferBytes = 48 << 20

// eventOverhead is what a mapped event holds besides its raw document
// (which aliases the page body): the struct, the copied strings, the
// slice entry. Measured on jcserver's events (docs/performance.md).
const eventOverhead = 768

// eventsCost is the memory a page's events hold, by the budget's measure.
func eventsCost(evs []*audit.Event) int64 {
	var n int64
	for _, e := range evs {
		n += int64(len(e.Raw)) + eventOverhead
	}
	return n
}

// budget is a weighted semaphore of bytes: fetch workers acquire a page's
// cost before handing it to the writer, the writer releases it once the
// page's events are stored. A page larger than the whole budget is
// admitted alone. starved is signalled when an acquirer blocks, so that
// the writer can store what it holds instead of waiting for more pages.
type budget struct {
	mu      sync.Mutex
	limit   int64
	used    int64
	waiting int
	freed   chan struct{} // closed (and replaced) on each release
	starved chan struct{} // cap 1
}

func newBudget(limit int64) *budget {
	return &budget{limit: limit, freed: make(chan struct{}), starved: make(chan struct{}, 1)}
}

// acquire takes n bytes (at most the whole budget) and returns what it took.
func (b *budget) acquire(ctx context.Context, n int64) (int64, error) {
	n = min(n, b.limit)
	b.mu.Lock()
	for b.used+n > b.limit {
		b.waiting++
		freed := b.freed
		select {
		case b.starved <- struct{}{}:
		default:
		}
		b.mu.Unlock()
		select {
		case <-freed:
		case <-ctx.Done():
			b.mu.Lock()
			b.waiting--
			b.mu.Unlock()
			return 0, ctx.Err()
		}
		b.mu.Lock()
		b.waiting--
	}
	b.used += n
	b.mu.Unlock()
	return n, nil
}

func (b *budget) release(n int64) {
	if n == 0 {
		return
	}
	b.mu.Lock()
	b.used -= n
	close(b.freed)
	b.freed = make(chan struct{})
	b.mu.Unlock()
}

// starving says whether a worker waits for bytes.
func (b *budget) starving() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.waiting > 0
}
