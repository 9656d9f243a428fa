package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"time"
)

// Writers in slices (docs/architecture.md). A long writer (an import of a
// large file, a retention run) holds the write lock for at most about
// sliceTime at a time, so that another writer waits about a second at most,
// and yet every reader sees each file whole or not at all:
//
//   - An import that does not finish within its first slice writes on in
//     further transactions, and each slice lists the keys of the rows it
//     added in the table unpublished. Readers exclude the rows listed there
//     (hideUnpublished). The last slice empties the table: the whole file
//     appears at once.
//   - Only the holder of the ingest lock (a flock, ingest_unix.go) may leave
//     rows in unpublished between transactions, so there is at most one such
//     writer, and rows still listed when someone else takes the lock belong
//     to a writer that died: the new holder deletes them (purgeUnpublished)
//     before it starts. kill -9 at any point loses nothing committed and
//     leaves nothing half visible.
//   - An import that finds the ingest lock taken is a guest: it must finish in
//     one transaction (it waits for the write lock between the owner's
//     slices). A guest that cannot finish within a slice rolls back, waits for
//     the ingest lock ("waiting for another auditctl writer…") and starts
//     over from the records it kept. A guest that stores an event the owner
//     holds unpublished publishes that row with its own commit: the row is in
//     the guest's file too, and a failing owner no longer deletes it.
//   - Retention (DeleteEvents) hides every doomed row in one transaction, then
//     deletes them in slices; if it dies, the next holder of the lock finishes
//     the deletion.

const (
	// sliceTime is how long a long writer holds the write lock at a time.
	sliceTime = 700 * time.Millisecond
	// sliceIdle ends a slice early when the input has had nothing ready
	// for this long (a slow pipe): the lock is not held while waiting.
	sliceIdle = 100 * time.Millisecond
	// sliceMaxBytes bounds what a slice holds (and a guest keeps to start
	// over), counted as prefetch counts its batches.
	sliceMaxBytes = 64 << 20
	// purgeBatch is how many rows a purge deletes per statement group.
	purgeBatch = 4096
	// yieldMax bounds how long a long writer lets waiting writers go
	// first between two of its slices.
	yieldMax = 2 * time.Second
)

// ingestLockPath is the lock file of the cache at path: .<cache>.ingest
// beside it.
func ingestLockPath(path string) string {
	return filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".ingest")
}

// waitLockPath is the file that writers waiting for the write lock hold
// shared (announceWait).
func waitLockPath(path string) string { return ingestLockPath(path) + "-wait" }

// hiddenCond excludes the rows of unfinished writers.
const hiddenCond = "e.id NOT IN (SELECT id FROM unpublished)"

// hideUnpublished adds hiddenCond to q when the snapshot that qr reads
// holds unpublished rows. qr must be in a read transaction that also runs
// q's statements, so that the check and the query see the same commit.
// Nothing is added when no writer is in the middle of a file, so that the
// queries' plans are the plain key ranges of docs/query.md.
func hideUnpublished(ctx context.Context, qr querier, q *query) error {
	hide, err := hasUnpublished(ctx, qr)
	if err != nil {
		return err
	}
	if hide {
		q.where = append(q.where, hiddenCond)
	}
	present, err := indexesPresent(ctx, qr, hide)
	q.noIndexes = !present
	return err
}

func hasUnpublished(ctx context.Context, qr querier) (bool, error) {
	var any bool
	if err := qr.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM unpublished)").Scan(&any); err != nil {
		return false, fmt.Errorf("read cache: %w", err)
	}
	return any, nil
}

// readConn is a connection in a read transaction: every statement on it
// sees the same commit. done ends the transaction and returns the
// connection.
func (db *DB) readConn(ctx context.Context) (conn *sql.Conn, done func(), err error) {
	conn, err = db.db.Conn(ctx)
	if err != nil {
		return nil, nil, err
	}
	if _, err := conn.ExecContext(ctx, "BEGIN"); err != nil {
		conn.Close()
		return nil, nil, err
	}
	return conn, func() {
		conn.ExecContext(context.Background(), "ROLLBACK")
		conn.Close()
	}, nil
}

// purgeUnpublished deletes every event row listed in unpublished, with its
// documents and full-text entry, in transactions of about sliceTime each,
// and returns how many. Only the holder of the ingest lock calls it.
func (db *DB) purgeUnpublished(ctx context.Context) (int64, error) {
	var total int64
	for {
		done := false
		var n int64
		err := db.withWriteTx(ctx, func(c *sql.Conn) (err error) {
			if n, done, err = purgeSome(ctx, c, sliceTime); err != nil || !done {
				return err
			}
			// The last hidden row goes: the indexes a bulk import
			// dropped come back in the same commit (bulkindex.go).
			return restoreIndexes(ctx, c)
		})
		if err != nil {
			return total, fmt.Errorf("delete unpublished rows: %w", err)
		}
		total += n
		if done {
			return total, nil
		}
		db.yieldToWaiters(ctx)
	}
}

// cleanUp deletes the rows a dead writer left unpublished; the caller holds
// the ingest lock.
func (db *DB) cleanUp(ctx context.Context) error {
	removeTextScratch(db.path)
	left, err := hasUnpublished(ctx, db.db)
	if err != nil {
		return err
	}
	if left {
		if _, err := db.purgeUnpublished(ctx); err != nil {
			return err
		}
	}
	return db.restoreIndexesTx(ctx)
}

// purgeSome deletes unpublished rows on c, in its transaction, for about d
// (forever when d is 0), and reports how many and whether none are left.
func purgeSome(ctx context.Context, c *sql.Conn, d time.Duration) (n int64, done bool, err error) {
	start := time.Now()
	if _, err := c.ExecContext(ctx, "CREATE TEMP TABLE IF NOT EXISTS purge (id INTEGER PRIMARY KEY)"); err != nil {
		return 0, false, err
	}
	defer c.ExecContext(context.Background(), "DROP TABLE IF EXISTS temp.purge")
	for d == 0 || time.Since(start) < d {
		res, err := c.ExecContext(ctx, fmt.Sprintf("INSERT INTO temp.purge SELECT id FROM unpublished LIMIT %d", purgeBatch))
		if err != nil {
			return n, false, err
		}
		k, _ := res.RowsAffected()
		if k == 0 {
			return n, true, nil
		}
		for _, s := range append(deleteRowSQL("IN (SELECT id FROM temp.purge)"),
			"DELETE FROM unpublished WHERE id IN (SELECT id FROM temp.purge)",
			"DELETE FROM temp.purge",
		) {
			if _, err := c.ExecContext(ctx, s); err != nil {
				return n, false, err
			}
		}
		n += k
	}
	return n, false, nil
}

// deleteRowSQL returns the statements that delete the event rows whose key
// meets cond ("= ?", "IN (…)"): the full-text entry, the documents, the row
// and its hash.
func deleteRowSQL(cond string) []string {
	return []string{
		"DELETE FROM events_fts WHERE rowid " + cond,
		"DELETE FROM event_docs WHERE id " + cond,
		"DELETE FROM events WHERE id " + cond,
		"DELETE FROM chain_rows WHERE id " + cond,
	}
}

// purgeAll deletes every unpublished row in c's transaction.
func purgeAll(ctx context.Context, c *sql.Conn) error {
	_, _, err := purgeSome(ctx, c, 0)
	return err
}
