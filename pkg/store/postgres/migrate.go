package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/store"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// migrations are applied in order, each in its own transaction under an
// advisory lock; auditctl_schema records how many have run. Never edit a
// released migration: append a new one.
var migrations = []string{
	// 1: events, partitioned by month on the time-ordered key (the same
	// key as the SQLite cache's: store.EventKey), so a time window is a key
	// range that prunes partitions, and retention can drop whole months.
	// Text columns are COLLATE "C": byte order, and lower() folds ASCII
	// only, as SQLite's NOCASE does; filters compare lower(column). Each
	// "X + time" index is (lower(x), id). event_ids holds every event's
	// identity once, across partitions: an import inserts there first, ON
	// CONFLICT DO NOTHING, which is the dedupe (a unique index over a
	// partitioned table must hold the partition key, which the identity
	// does not). tsv holds the event's distinct tokens (store.Tokenizer) as
	// lexemes, under a GIN index; event_docs.ptext the tokens in order
	// (store.PhraseText) to confirm phrases. The documents are json, which
	// keeps their text as imported (output and hashes stay those of the
	// source).
	`
CREATE TABLE events (
	id            bigint NOT NULL,
	source        text COLLATE "C" NOT NULL,
	ext_id        text COLLATE "C" NOT NULL,
	time_ns       bigint NOT NULL,
	service       text COLLATE "C" NOT NULL DEFAULT '',
	action        text COLLATE "C" NOT NULL DEFAULT '',
	category      text COLLATE "C" NOT NULL DEFAULT '',
	workflow_id   text COLLATE "C" NOT NULL DEFAULT '',
	workflow_type text COLLATE "C" NOT NULL DEFAULT '',
	actor         text COLLATE "C" NOT NULL DEFAULT '',
	actor_id      text COLLATE "C" NOT NULL DEFAULT '',
	actor_type    text COLLATE "C" NOT NULL DEFAULT '',
	target        text COLLATE "C" NOT NULL DEFAULT '',
	target_id     text COLLATE "C" NOT NULL DEFAULT '',
	target_type   text COLLATE "C" NOT NULL DEFAULT '',
	ip            text COLLATE "C" NOT NULL DEFAULT '',
	ipaddr        inet,
	client        text COLLATE "C" NOT NULL DEFAULT '',
	user_agent    text COLLATE "C" NOT NULL DEFAULT '',
	status        text COLLATE "C" NOT NULL DEFAULT '',
	error         text COLLATE "C" NOT NULL DEFAULT '',
	duration_ms   bigint,
	tenant        text COLLATE "C" NOT NULL DEFAULT '',
	description   text COLLATE "C" NOT NULL DEFAULT '',
	tsv           tsvector NOT NULL,
	PRIMARY KEY (id)
) PARTITION BY RANGE (id);
CREATE INDEX events_action   ON events (lower(action), id);
CREATE INDEX events_actor    ON events (lower(actor), id);
CREATE INDEX events_service  ON events (lower(service), id);
CREATE INDEX events_status   ON events (lower(status), id);
CREATE INDEX events_workflow ON events (lower(workflow_id), id) WHERE workflow_id <> '';
CREATE INDEX events_tsv      ON events USING gin (tsv);
CREATE TABLE event_docs (
	id     bigint NOT NULL,
	geo    json,
	params json,
	custom json,
	before json,
	after  json,
	raw    json,
	ptext  text COLLATE "C" NOT NULL DEFAULT '',
	PRIMARY KEY (id)
) PARTITION BY RANGE (id);
CREATE TABLE event_ids (
	source text COLLATE "C" NOT NULL,
	ext_id text COLLATE "C" NOT NULL,
	id     bigint NOT NULL,
	PRIMARY KEY (source, ext_id)
);
CREATE INDEX event_ids_ext_id ON event_ids (ext_id);
`,
	// 2: partitions are made by this function, which runs as its owner
	// (the admin role after db init): an ingest role that may only insert
	// still gets the month it needs, and nothing else (the bounds are the
	// month's, computed here like store.KeyFloor; the name is fixed). A
	// new store gets the function as migration 7 left it (the text of
	// migration 2 before it made partitions with PARTITION OF).
	ensureMonthFunc + "REVOKE ALL ON FUNCTION auditctl_ensure_month(int, int) FROM PUBLIC;\n",
	// 3: which roles see which tenants when row-level security is on
	// (db init --rls, db tenant grant): a role sees the events of the
	// tenants mapped to it or to a role it is a member of; the tenant '*'
	// stands for every tenant. The policies themselves are made by db init
	// --rls (rls.go), which knows the ingest role's name.
	`
CREATE TABLE auditctl_tenant_members (
	role_name text COLLATE "C" NOT NULL,
	tenant    text COLLATE "C" NOT NULL,
	PRIMARY KEY (role_name, tenant)
);
`,
	// 4: the tamper-evidence chain (chain.go).
	chainMigration,
	// 5: Session History (package session; the same columns as the
	// cache's: store.SessionColumns, times in nanoseconds, end_ns 0 while
	// active; text COLLATE "C", compared as lower() like the events'), the
	// sync state of remote streams, and how far a db copy from each cache
	// has come (copy_state: the last key of each kind of row copied).
	`
CREATE TABLE sessions (
	id               text COLLATE "C" PRIMARY KEY,
	user_name        text COLLATE "C" NOT NULL DEFAULT '',
	user_email       text COLLATE "C" NOT NULL DEFAULT '',
	role             text COLLATE "C" NOT NULL DEFAULT '',
	account          text COLLATE "C" NOT NULL DEFAULT '',
	resource_name    text COLLATE "C" NOT NULL DEFAULT '',
	resource_id      text COLLATE "C" NOT NULL DEFAULT '',
	category         text COLLATE "C" NOT NULL DEFAULT '',
	connector        text COLLATE "C" NOT NULL DEFAULT '',
	server_name      text COLLATE "C" NOT NULL DEFAULT '',
	server_os        text COLLATE "C" NOT NULL DEFAULT '',
	host             text COLLATE "C" NOT NULL DEFAULT '',
	port             integer NOT NULL DEFAULT 0,
	protocol         text COLLATE "C" NOT NULL DEFAULT '',
	client_ip        text COLLATE "C" NOT NULL DEFAULT '',
	client_name      text COLLATE "C" NOT NULL DEFAULT '',
	connected_from   text COLLATE "C" NOT NULL DEFAULT '',
	start_ns         bigint NOT NULL,
	end_ns           bigint NOT NULL DEFAULT 0,
	duration_ms      bigint NOT NULL DEFAULT 0,
	status           text COLLATE "C" NOT NULL DEFAULT 'completed',
	has_recording    boolean NOT NULL DEFAULT false,
	recording_path   text COLLATE "C" NOT NULL DEFAULT '',
	recording_sha256 text COLLATE "C" NOT NULL DEFAULT '',
	recorder_pid     integer NOT NULL DEFAULT 0,
	terminated_by    text COLLATE "C" NOT NULL DEFAULT '',
	command          text COLLATE "C" NOT NULL DEFAULT ''
);
CREATE INDEX sessions_start  ON sessions (start_ns);
CREATE INDEX sessions_status ON sessions (status) WHERE status IN ('active', 'stale');
CREATE TABLE sync_state (
	source     text COLLATE "C" NOT NULL,
	org        text COLLATE "C" NOT NULL,
	service    text COLLATE "C" NOT NULL,
	from_ns    bigint NOT NULL,
	until_ns   bigint NOT NULL,
	updated_ns bigint NOT NULL,
	PRIMARY KEY (source, org, service)
);
CREATE TABLE copy_state (
	origin     text COLLATE "C" NOT NULL,
	kind       text COLLATE "C" NOT NULL,
	last_key   text COLLATE "C" NOT NULL,
	updated_ns bigint NOT NULL,
	PRIMARY KEY (origin, kind)
);
`,
	// 6: session rows in the tamper-evidence chain: no new table; the
	// sessions stored before it are sealed (sealSessions), a record each.
	`SELECT 1`,
	// 7: a month's partitions are made as plain tables and then attached.
	// CREATE TABLE … PARTITION OF locks the parent against every other
	// lock, so it waits for every open transaction that inserted into
	// events; ATTACH PARTITION takes a lock those do not conflict with. An
	// import that finds a month missing half-way through its transaction
	// (import.go: the file goes in chunk by chunk) gets it from another
	// connection without waiting for itself.
	ensureMonthFunc,
}

// ensureMonthFunc makes a month's partitions of events and event_docs
// (migrations 2 and 7): as plain tables, then attached, under an advisory
// lock (lockMigrate+1), so concurrent importers make each once.
const ensureMonthFunc = `
CREATE OR REPLACE FUNCTION auditctl_ensure_month(y int, m int) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $fn$
DECLARE
	start timestamptz;
	lo bigint;
	hi bigint;
	suffix text;
	t text;
BEGIN
	IF y < 1827 OR y > 2112 OR m < 1 OR m > 12 THEN
		RAISE EXCEPTION 'auditctl_ensure_month: no month %-%', y, m;
	END IF;
	start := make_timestamptz(y, m, 1, 0, 0, 0, 'UTC');
	lo := (extract(epoch FROM start)::bigint * 1000000) << 10;
	hi := (extract(epoch FROM start + interval '1 month')::bigint * 1000000) << 10;
	suffix := 'p' || lpad(y::text, 4, '0') || lpad(m::text, 2, '0');
	PERFORM pg_advisory_xact_lock(7022629598041175090);
	FOREACH t IN ARRAY ARRAY['events', 'event_docs'] LOOP
		-- A query, not to_regclass: its snapshot is taken after the lock,
		-- so it sees a partition another session made while this one
		-- waited (the catalog cache may not have heard of it yet).
		IF NOT EXISTS (SELECT 1 FROM pg_class c WHERE c.relname = t || '_' || suffix
				AND c.relnamespace = (SELECT p.relnamespace FROM pg_class p WHERE p.oid = t::regclass)) THEN
			EXECUTE format('CREATE TABLE %I (LIKE %I INCLUDING DEFAULTS INCLUDING CONSTRAINTS)', t || '_' || suffix, t);
			EXECUTE format('ALTER TABLE %I ATTACH PARTITION %I FOR VALUES FROM (%s) TO (%s)', t, t || '_' || suffix, lo, hi);
		END IF;
	END LOOP;
END
$fn$;
`

// afterMigration runs Go steps in the transaction of the migration of that
// number, after its SQL.
var afterMigration = map[int]func(context.Context, pgx.Tx) error{
	4: sealExisting,
	6: sealSessions,
}

// lockMigrate is the advisory lock key of migrations (and of db init);
// lockMigrate+1 (7022629598041175090) that of auditctl_ensure_month.
const lockMigrate = 0x61756469_74637431 // "auditctl"

// version reads the schema version: 0 when there is no schema.
func version(ctx context.Context, q interface {
	QueryRow(context.Context, string, ...any) pgx.Row
}) (int, error) {
	var v int
	err := q.QueryRow(ctx, "SELECT version FROM auditctl_schema").Scan(&v)
	var pe *pgconn.PgError
	switch {
	case errors.As(err, &pe) && pe.Code == "42P01": // undefined_table
		return 0, nil
	case errors.Is(err, pgx.ErrNoRows):
		return 0, nil
	case err != nil:
		return 0, fmt.Errorf("read schema version: %w", err)
	}
	return v, nil
}

// checkVersion refuses a schema newer than this auditctl knows.
func checkVersion(v int) error {
	if v > len(migrations) {
		return audit.Errorf(audit.ELOCAL, "schema version %d is newer than this auditctl knows (%d): upgrade auditctl", v, len(migrations))
	}
	return nil
}

// migrate brings the schema up to date.
func (db *DB) migrate(ctx context.Context) error {
	v, err := version(ctx, db.pool)
	if err != nil {
		return err
	}
	if err := checkVersion(v); err != nil {
		return err
	}
	for i := v; i < len(migrations); i++ {
		err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", int64(lockMigrate)); err != nil {
				return err
			}
			// Re-check under the lock: another process may have migrated.
			if _, err := tx.Exec(ctx, "CREATE TABLE IF NOT EXISTS auditctl_schema (version int NOT NULL)"); err != nil {
				return err
			}
			cur, err := version(ctx, tx)
			if err != nil {
				return err
			}
			if err := checkVersion(cur); err != nil {
				return err
			}
			if cur > i {
				return nil
			}
			if _, err := tx.Exec(ctx, migrations[i]); err != nil {
				return err
			}
			if step := afterMigration[i+1]; step != nil {
				if err := step(ctx, tx); err != nil {
					return err
				}
			}
			if cur == 0 {
				_, err = tx.Exec(ctx, "INSERT INTO auditctl_schema (version) VALUES ($1)", i+1)
			} else {
				_, err = tx.Exec(ctx, "UPDATE auditctl_schema SET version = $1", i+1)
			}
			return err
		})
		if err != nil {
			var ae *audit.Error
			if errors.As(err, &ae) {
				return err
			}
			return fmt.Errorf("migration %d: %w", i+1, err)
		}
	}
	return nil
}

var _ store.Store = (*DB)(nil)
