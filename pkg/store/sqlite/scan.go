package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/auditctl/auditctl/pkg/audit"
)

// A scan of many events in time order (an export) is limited by reading
// rows through the transpiled SQLite, one core's worth. eachParallel reads
// with two connections at once: the key range is cut into chunks, two
// readers take chunks in turn, and the caller receives the chunks in order.
// Both readers see the same snapshot of the cache: their read transactions
// start while a third connection holds the write lock, so no write can
// commit between them. Memory stays bounded: a reader can buffer at most
// chunkBuffer events of a chunk the caller has not reached.

const (
	parallelChunks = 64
	chunkBatch     = 256
	chunkBuffer    = 64 * chunkBatch
)

// parallelScan reports whether a scan of q in page p can be split into
// chunks: every matching event, in key order, not driven by the full-text
// index.
func parallelScan(q *query, p audit.Page) (desc, ok bool) {
	if q.keyCol != "e.id" || p.Limit > 0 || p.Offset > 0 || len(p.Sort) > 1 {
		return false, false
	}
	if len(p.Sort) == 1 {
		if p.Sort[0].Field != audit.FieldTime {
			return false, false
		}
		return p.Sort[0].Desc, true
	}
	return true, true // the default order, newest first
}

// snapshotPair opens two connections whose read transactions see the same
// commit. It returns ok=false (and no error) when the write lock is busy,
// for the caller to scan with one connection instead.
func (db *DB) snapshotPair(ctx context.Context) (a, b *sql.Conn, ok bool, err error) {
	lock, err := db.db.Conn(ctx)
	if err != nil {
		return nil, nil, false, err
	}
	defer lock.Close()
	if _, err := lock.ExecContext(ctx, "PRAGMA busy_timeout = 50"); err != nil {
		return nil, nil, false, err
	}
	defer lock.ExecContext(context.Background(), "PRAGMA busy_timeout = 15000")
	if _, err := lock.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		return nil, nil, false, nil // a writer is at work: no pair
	}
	defer lock.ExecContext(context.Background(), "ROLLBACK")
	var conns []*sql.Conn
	fail := func(err error) (*sql.Conn, *sql.Conn, bool, error) {
		for _, c := range conns {
			c.ExecContext(context.Background(), "ROLLBACK")
			c.Close()
		}
		return nil, nil, false, err
	}
	for i := 0; i < 2; i++ {
		c, err := db.db.Conn(ctx)
		if err != nil {
			return fail(err)
		}
		conns = append(conns, c)
		// A read transaction's snapshot starts at its first read.
		if _, err := c.ExecContext(ctx, "BEGIN"); err != nil {
			return fail(err)
		}
		var n int
		if err := c.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_schema").Scan(&n); err != nil {
			return fail(err)
		}
	}
	return conns[0], conns[1], true, nil
}

// eachParallel is EachEvent for a parallelScan query. It falls back to one
// connection when the key range is small or a writer holds the lock.
func (db *DB) eachParallel(ctx context.Context, q *query, desc bool, fn func(*audit.Event) error) (bool, error) {
	a, b, ok, err := db.snapshotPair(ctx)
	if err != nil || !ok {
		return false, err
	}
	defer func() {
		for _, c := range []*sql.Conn{a, b} {
			c.ExecContext(context.Background(), "ROLLBACK")
			c.Close()
		}
	}()
	if err := hideUnpublished(ctx, a, q); err != nil {
		return true, err
	}
	var lo, hi sql.NullInt64
	if err := a.QueryRowContext(ctx, "SELECT min(id), max(id) FROM events").Scan(&lo, &hi); err != nil {
		return true, err
	}
	if !lo.Valid || hi.Int64-lo.Int64 < parallelChunks {
		return true, eachRow(ctx, a, q, audit.Page{Sort: []audit.SortKey{{Field: audit.FieldTime, Desc: desc}}}, fn)
	}
	// chunk i covers keys [bounds[i], bounds[i+1]) in ascending order
	bounds := make([]int64, parallelChunks+1)
	width := (hi.Int64 - lo.Int64 + parallelChunks) / parallelChunks
	for i := range bounds {
		bounds[i] = lo.Int64 + int64(i)*width
	}
	bounds[parallelChunks] = hi.Int64 + 1
	order := make([]int, parallelChunks) // chunks in the order the caller gets them
	for i := range order {
		order[i] = i
		if desc {
			order[i] = parallelChunks - 1 - i
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	chans := make([]chan []*audit.Event, parallelChunks)
	for i := range chans {
		chans[i] = make(chan []*audit.Event, chunkBuffer/chunkBatch)
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	var mu sync.Mutex
	var readErr error
	read := func(conn *sql.Conn) {
		defer wg.Done()
		for {
			n := int(next.Add(1) - 1)
			if n >= parallelChunks {
				return
			}
			c := order[n]
			err := db.readChunk(ctx, conn, q, bounds[c], bounds[c+1], desc, chans[n])
			close(chans[n])
			if err != nil {
				mu.Lock()
				if readErr == nil {
					readErr = err
				}
				mu.Unlock()
				cancel()
				// close the chunks no reader will take
				for {
					n := int(next.Add(1) - 1)
					if n >= parallelChunks {
						return
					}
					close(chans[n])
				}
			}
		}
	}
	wg.Add(2)
	go read(a)
	go read(b)
	var fnErr error
	for n := 0; n < parallelChunks; n++ {
		for batch := range chans[n] {
			if fnErr != nil {
				continue // drain, so the readers can finish
			}
			for _, e := range batch {
				if fnErr = fn(e); fnErr != nil {
					cancel()
					break
				}
			}
		}
	}
	wg.Wait()
	if fnErr != nil {
		return true, fnErr
	}
	if readErr != nil {
		return true, readErr
	}
	return true, ctx.Err()
}

// readChunk sends the events of q with keys in [from, to) to out, in
// batches, in scan order.
func (db *DB) readChunk(ctx context.Context, conn *sql.Conn, q *query, from, to int64, desc bool, out chan<- []*audit.Event) error {
	cq := *q
	cq.where = append(append([]string(nil), q.where...), "e.id >= ?", "e.id < ?")
	cq.args = append(append([]any(nil), q.args...), from, to)
	batch := make([]*audit.Event, 0, chunkBatch)
	err := eachRow(ctx, conn, &cq, audit.Page{Sort: []audit.SortKey{{Field: audit.FieldTime, Desc: desc}}}, func(e *audit.Event) error {
		batch = append(batch, e)
		if len(batch) < chunkBatch {
			return nil
		}
		select {
		case out <- batch:
		case <-ctx.Done():
			return ctx.Err()
		}
		batch = make([]*audit.Event, 0, chunkBatch)
		return nil
	})
	if err != nil {
		return fmt.Errorf("read events: %w", err)
	}
	if len(batch) > 0 {
		select {
		case out <- batch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}
