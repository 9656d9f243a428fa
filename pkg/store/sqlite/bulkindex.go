package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
)

// The secondary indexes of a large import, built after its rows
// (docs/architecture.md, "The text index of a large import").
//
// An import into an empty cache that outlasts its first slice (the one that
// builds its text index apart, bulktext.go) drops the secondary indexes of
// events in that slice's transaction, and creates them again over every row
// once its input has ended, before it publishes (buildIndexes, one
// transaction each): SQLite sorts the keys of a new index far faster than it
// inserts them one by one into a B-tree larger than its page cache. The
// unique key (source, ext_id) stays: the import looks every event up in it.
// The indexes are missing only while the table holds unpublished rows: they
// are dropped in a transaction that hides rows, and all present by the one
// that publishes them (which creates any still missing), or by the one that
// deletes the last of them when the import fails (purgeUnpublished); the next
// owner of the ingest lock creates any that a killed writer left missing
// (cleanUp). Readers meanwhile see the cache as it was before the import
// (empty, but for what a guest import published), and the few queries that
// name an index (INDEXED BY) do without it when it is missing
// (indexesPresent).

// deferredIndexes are the indexes a bulk import builds after its rows, with
// their definitions exactly as migration 1 made them
// (TestDeferredIndexesAsMigrated).
var deferredIndexes = []struct{ name, sql string }{
	{"events_action", "CREATE INDEX events_action   ON events(action)"},
	{"events_actor", "CREATE INDEX events_actor    ON events(actor)"},
	{"events_service", "CREATE INDEX events_service  ON events(service)"},
	{"events_status", "CREATE INDEX events_status   ON events(status)"},
	{"events_workflow", "CREATE INDEX events_workflow ON events(workflow_id) WHERE workflow_id <> ''"},
}

// missingIndexes lists the deferred indexes that are not in the schema
// that qr's transaction reads.
func missingIndexes(ctx context.Context, qr querier) ([]string, error) {
	rows, err := qr.QueryContext(ctx, "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'events'")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	have := map[string]bool{}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		have[n] = true
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var missing []string
	for _, ix := range deferredIndexes {
		if !have[ix.name] {
			missing = append(missing, ix.name)
		}
	}
	return missing, nil
}

// indexesPresent reports whether every deferred index is in the schema
// that qr's transaction reads. Only a snapshot with unpublished rows can
// lack them (hide: hasUnpublished), so other readers pay nothing.
func indexesPresent(ctx context.Context, qr querier, hide bool) (bool, error) {
	if !hide {
		return true, nil
	}
	missing, err := missingIndexes(ctx, qr)
	if err != nil {
		return false, fmt.Errorf("read cache: %w", err)
	}
	return len(missing) == 0, nil
}

// dropIndexes drops the deferred indexes, in c's transaction, which must
// hide rows (the import's first slice).
func dropIndexes(ctx context.Context, c *sql.Conn) error {
	for _, ix := range deferredIndexes {
		if _, err := c.ExecContext(ctx, "DROP INDEX IF EXISTS "+ix.name); err != nil {
			return fmt.Errorf("drop index %s: %w", ix.name, err)
		}
	}
	return nil
}

// restoreIndexes creates the deferred indexes that are missing (those
// named in only, when given), in c's transaction.
func restoreIndexes(ctx context.Context, c *sql.Conn, only ...string) error {
	missing, err := missingIndexes(ctx, c)
	if err != nil {
		return err
	}
	for _, ix := range deferredIndexes {
		if !slices.Contains(missing, ix.name) || len(only) > 0 && !slices.Contains(only, ix.name) {
			continue
		}
		if _, err := c.ExecContext(ctx, ix.sql); err != nil {
			return fmt.Errorf("create index %s: %w", ix.name, err)
		}
	}
	return nil
}

// buildIndexes creates the deferred indexes before the publishing
// transaction, each in a transaction of its own with waiting writers let in
// between: the write lock is held for one index's sort at a time (about a
// second per 1,000,000 rows), not for all five at once. The rows are still
// hidden; an index missing after this (a failure) is created by the
// publishing transaction.
func (im *importRun) buildIndexes(ctx context.Context) error {
	for _, ix := range deferredIndexes {
		err := im.db.withWriteTxCache(ctx, importCacheKiB, func(c *sql.Conn) error { return restoreIndexes(ctx, c, ix.name) })
		if err != nil {
			return err
		}
		im.db.yieldToWaiters(ctx)
	}
	return nil
}

// restoreIndexesTx creates the missing deferred indexes in a transaction
// of its own when any is missing (a writer killed between dropping them
// and publishing); the caller holds the ingest lock.
func (db *DB) restoreIndexesTx(ctx context.Context) error {
	missing, err := missingIndexes(ctx, db.db)
	if err != nil || len(missing) == 0 {
		return err
	}
	err = db.withWriteTxCache(ctx, importCacheKiB, func(c *sql.Conn) error { return restoreIndexes(ctx, c) })
	if err != nil {
		return fmt.Errorf("restore indexes (%s): %w", strings.Join(missing, ", "), err)
	}
	return nil
}
