package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/auditctl/auditctl/pkg/audit"
)

// migrations are applied in order; PRAGMA user_version records how many
// have run. Never edit a released migration: append a new one.
var migrations = []string{
	// 1: events. The integer primary key follows event time (see eventKey),
	// so the table itself is the time index, "newest first" is a reverse
	// rowid scan, and FTS results ordered by rowid are ordered by time.
	// Narrow, filterable columns live in events; the large JSON documents in
	// event_docs, so that scans and counts do not read them.
	`
CREATE TABLE events (
	id            INTEGER PRIMARY KEY,
	source        TEXT NOT NULL,
	ext_id        TEXT NOT NULL,
	time_ns       INTEGER NOT NULL,
	service       TEXT NOT NULL DEFAULT '' COLLATE NOCASE,
	action        TEXT NOT NULL DEFAULT '' COLLATE NOCASE,
	category      TEXT NOT NULL DEFAULT '' COLLATE NOCASE,
	workflow_id   TEXT NOT NULL DEFAULT '' COLLATE NOCASE,
	workflow_type TEXT NOT NULL DEFAULT '' COLLATE NOCASE,
	actor         TEXT NOT NULL DEFAULT '' COLLATE NOCASE,
	actor_id      TEXT NOT NULL DEFAULT '' COLLATE NOCASE,
	actor_type    TEXT NOT NULL DEFAULT '' COLLATE NOCASE,
	target        TEXT NOT NULL DEFAULT '' COLLATE NOCASE,
	target_id     TEXT NOT NULL DEFAULT '' COLLATE NOCASE,
	target_type   TEXT NOT NULL DEFAULT '' COLLATE NOCASE,
	ip            TEXT NOT NULL DEFAULT '' COLLATE NOCASE,
	client        TEXT NOT NULL DEFAULT '' COLLATE NOCASE,
	user_agent    TEXT NOT NULL DEFAULT '' COLLATE NOCASE,
	status        TEXT NOT NULL DEFAULT '' COLLATE NOCASE,
	error         TEXT NOT NULL DEFAULT '' COLLATE NOCASE,
	duration_ms   INTEGER,
	tenant        TEXT NOT NULL DEFAULT '' COLLATE NOCASE,
	description   TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX events_source_ext_id ON events(source, ext_id);
-- A one-column index also holds the rowid, so each of these is an
-- "X + time" index for "WHERE x = ? ORDER BY id DESC".
CREATE INDEX events_action   ON events(action);
CREATE INDEX events_actor    ON events(actor);
CREATE INDEX events_service  ON events(service);
CREATE INDEX events_status   ON events(status);
CREATE INDEX events_workflow ON events(workflow_id) WHERE workflow_id <> '';
CREATE TABLE event_docs (
	id     INTEGER PRIMARY KEY REFERENCES events(id) ON DELETE CASCADE,
	geo    TEXT,
	params TEXT,
	custom TEXT,
	before TEXT,
	after  TEXT,
	raw    TEXT
);
-- The distinct tokens of each event (fts.go), without positions.
CREATE VIRTUAL TABLE events_fts USING fts5(
	text,
	content='', contentless_delete=1, detail=none, tokenize='ascii'
);
-- Bulk imports: flush the in-memory index every 32 MB rather than 1 MB, and
-- merge segments less eagerly, so a large import does far less merge work.
INSERT INTO events_fts(events_fts, rank) VALUES('hashsize', 33554432);
INSERT INTO events_fts(events_fts, rank) VALUES('automerge', 8);
`,
	// 2: the distinct sources, so that an event is found by its id alone
	// with one seek per source on events_source_ext_id (logs show ID).
	`
CREATE TABLE sources (name TEXT PRIMARY KEY) WITHOUT ROWID;
INSERT OR IGNORE INTO sources SELECT DISTINCT source FROM events;
`,
	// 3: privileged access sessions (SPEC §6, package session). Times in
	// nanoseconds since the epoch; end_ns 0 while active.
	`
CREATE TABLE sessions (
	id               TEXT PRIMARY KEY,
	user_name        TEXT NOT NULL DEFAULT '' COLLATE NOCASE,
	user_email       TEXT NOT NULL DEFAULT '' COLLATE NOCASE,
	role             TEXT NOT NULL DEFAULT '' COLLATE NOCASE,
	account          TEXT NOT NULL DEFAULT '' COLLATE NOCASE,
	resource_name    TEXT NOT NULL DEFAULT '' COLLATE NOCASE,
	resource_id      TEXT NOT NULL DEFAULT '' COLLATE NOCASE,
	category         TEXT NOT NULL DEFAULT '' COLLATE NOCASE,
	connector        TEXT NOT NULL DEFAULT '' COLLATE NOCASE,
	server_name      TEXT NOT NULL DEFAULT '' COLLATE NOCASE,
	server_os        TEXT NOT NULL DEFAULT '' COLLATE NOCASE,
	host             TEXT NOT NULL DEFAULT '' COLLATE NOCASE,
	port             INTEGER NOT NULL DEFAULT 0,
	protocol         TEXT NOT NULL DEFAULT '' COLLATE NOCASE,
	client_ip        TEXT NOT NULL DEFAULT '' COLLATE NOCASE,
	client_name      TEXT NOT NULL DEFAULT '' COLLATE NOCASE,
	connected_from   TEXT NOT NULL DEFAULT '' COLLATE NOCASE,
	start_ns         INTEGER NOT NULL,
	end_ns           INTEGER NOT NULL DEFAULT 0,
	duration_ms      INTEGER NOT NULL DEFAULT 0,
	status           TEXT NOT NULL DEFAULT 'completed' COLLATE NOCASE,
	has_recording    INTEGER NOT NULL DEFAULT 0,
	recording_path   TEXT NOT NULL DEFAULT '',
	recording_sha256 TEXT NOT NULL DEFAULT '',
	recorder_pid     INTEGER NOT NULL DEFAULT 0,
	terminated_by    TEXT NOT NULL DEFAULT '',
	command          TEXT NOT NULL DEFAULT ''
) WITHOUT ROWID;
CREATE INDEX sessions_start  ON sessions(start_ns);
CREATE INDEX sessions_status ON sessions(status) WHERE status IN ('active', 'stale');
`,
	// 4: where the sync of each remote stream (source, organization,
	// service) stands: every event in [from_ns, until_ns) is in the cache.
	`
CREATE TABLE IF NOT EXISTS sync_state (
	source     TEXT NOT NULL,
	org        TEXT NOT NULL,
	service    TEXT NOT NULL,
	from_ns    INTEGER NOT NULL,
	until_ns   INTEGER NOT NULL,
	updated_ns INTEGER NOT NULL,
	PRIMARY KEY (source, org, service)
) WITHOUT ROWID;
`,
	// 5: the keys of event rows that readers do not see: the rows of an
	// import written in several transactions and not yet published, and
	// the rows a retention run is deleting (slices.go).
	`
CREATE TABLE unpublished (id INTEGER PRIMARY KEY);
`,
	// 6: tamper evidence (chain.go, package chain). chain holds the
	// records in seq order, each linked to the one before; chain_rows the
	// hash of every sealed event row, keyed like the event, with the batch
	// and segment that sealed it. What the cache held before is sealed by
	// sealExisting, in the same transaction.
	`
CREATE TABLE chain (
	seq     INTEGER PRIMARY KEY,
	kind    TEXT NOT NULL,
	batch   INTEGER NOT NULL DEFAULT 0,
	rows    INTEGER NOT NULL DEFAULT 0,
	time_ns INTEGER NOT NULL,
	body    BLOB NOT NULL,
	digest  BLOB NOT NULL,
	link    BLOB NOT NULL,
	sig     BLOB
);
CREATE TABLE chain_rows (
	id    INTEGER PRIMARY KEY,
	batch INTEGER NOT NULL,
	seg   INTEGER NOT NULL,
	hash  BLOB NOT NULL
);
`,
	// 7: the visible events and failures of each hour (hours.go), kept by
	// the writers that change what readers see; filled here from the
	// events already stored.
	`
CREATE TABLE event_hours (
	hour     INTEGER PRIMARY KEY,
	events   INTEGER NOT NULL,
	failures INTEGER NOT NULL
);
`,
	// 8: who hid each unpublished row: doomed = 1 for the rows a retention
	// run is deleting (DeleteEventsWith), 0 for an unfinished import's. A
	// guest import publishes ("adopts") only the latter (insert.go). The
	// column is added by addDoomed, which leaves a table that has it alone.
	`-- unpublished.doomed: addDoomed`,
}

// migrationCode runs in the transaction of the migration of that number,
// after its SQL.
var migrationCode = map[int]func(context.Context, *sql.Conn) error{
	6: sealExisting,
	7: fillHours,
	8: addDoomed,
}

// addDoomed is migration 8: unpublished.doomed, unless the table has it.
func addDoomed(ctx context.Context, c *sql.Conn) error {
	var n int
	if err := c.QueryRowContext(ctx, "SELECT count(*) FROM pragma_table_info('unpublished') WHERE name = 'doomed'").Scan(&n); err != nil || n > 0 {
		return err
	}
	_, err := c.ExecContext(ctx, "ALTER TABLE unpublished ADD COLUMN doomed INTEGER NOT NULL DEFAULT 0")
	return err
}

func (db *DB) migrate(ctx context.Context) error {
	var version int
	if err := db.db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if version > len(migrations) {
		return audit.Errorf(audit.ELOCAL, "schema version %d is newer than this auditctl knows (%d): upgrade auditctl", version, len(migrations))
	}
	for i := version; i < len(migrations); i++ {
		err := db.withWriteTx(ctx, func(c *sql.Conn) error {
			// Re-check under the write lock: another process may have
			// migrated meanwhile.
			var v int
			if err := c.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
				return err
			}
			if v > i {
				return nil
			}
			if _, err := c.ExecContext(ctx, migrations[i]); err != nil {
				return err
			}
			if code := migrationCode[i+1]; code != nil {
				if err := code(ctx, c); err != nil {
					return err
				}
			}
			_, err := c.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", i+1))
			return err
		})
		if err != nil {
			return fmt.Errorf("migration %d: %w", i+1, err)
		}
	}
	return nil
}
