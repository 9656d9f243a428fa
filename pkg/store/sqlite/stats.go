package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// optimizeCacheKiB is the page cache while gathering statistics: the
// indexes are read once, in order, so a small one does.
const optimizeCacheKiB = 8 << 10

// optimizeTry is how long optimize waits for the write lock: statistics
// are an optimization, so a busy cache goes without until the next import.
const optimizeTry = 200 * time.Millisecond

// optimize gives SQLite's query planner statistics about the cache
// (sqlite_stat1: how many rows each index value selects), called at the
// end of an import. Without them the planner guesses, and for a filter
// such as `action:X status:Y` it searches the status index, whose one
// value holds most rows, and checks the action of each. PRAGMA optimize
// analyzes only the tables whose size changed about tenfold since they
// were last analyzed, so most imports add nothing; over 1,000,000 events
// it reads the events' indexes whole, about a second of CPU
// (docs/performance.md, "Check"). A sample would not do: ANALYZE with an
// analysis limit reads the first entries of each index, and the status
// index's first thousand hold one value, so it rated status as selective
// as actor. The connection reads without its memory map and with a small
// page cache meanwhile, so that the pages read do not stay in the
// import's memory (1.1 GB of mapped pages over 1,000,000 events with the
// map). Failure, or a
// busy cache, costs the import nothing: the statistics come with the next
// one.
func (db *DB) optimize(ctx context.Context) {
	_ = db.writeTx(ctx, writeOpts{try: optimizeTry}, func(c *sql.Conn) error {
		for _, p := range []struct {
			name string
			v    int64
		}{{"mmap_size", 0}, {"cache_size", -optimizeCacheKiB}} {
			var was int64
			if err := c.QueryRowContext(ctx, "PRAGMA "+p.name).Scan(&was); err != nil {
				return err
			}
			if _, err := c.ExecContext(ctx, fmt.Sprintf("PRAGMA %s = %d", p.name, p.v)); err != nil {
				return err
			}
			defer c.ExecContext(context.WithoutCancel(ctx), fmt.Sprintf("PRAGMA %s = %d", p.name, was))
		}
		_, err := c.ExecContext(ctx, "PRAGMA optimize=0x10002")
		return err
	})
}
