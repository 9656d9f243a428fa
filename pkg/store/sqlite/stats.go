package sqlite

import (
	"context"
	"database/sql"
	"time"
)

// optimizeTry is how long optimize waits for the write lock: statistics
// are an optimization, so a busy cache goes without until the next import.
const optimizeTry = 200 * time.Millisecond

// optimize gives SQLite's query planner statistics about the cache
// (sqlite_stat1: how many rows each index value selects), called at the
// end of an import. Without them the planner guesses, and for a filter
// such as `action:X status:Y` it searches the status index, whose one
// value holds most rows, and checks the action of each. PRAGMA optimize
// analyzes only the tables whose size changed about tenfold since they
// were last analyzed, each from a sample of its indexes (an analysis
// limit), so most imports add nothing and a first import of 1,000,000
// events about a second of CPU (docs/performance.md, "Check"). Failure,
// or a busy cache, costs the import nothing: the statistics come with the
// next one.
func (db *DB) optimize(ctx context.Context) {
	_ = db.writeTx(ctx, writeOpts{try: optimizeTry}, func(c *sql.Conn) error {
		_, err := c.ExecContext(ctx, "PRAGMA optimize=0x10002")
		return err
	})
}
