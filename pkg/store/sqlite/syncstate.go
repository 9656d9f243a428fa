package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/auditctl/auditctl/pkg/store"
)

// SyncState says how far the sync of one remote stream has come (the
// type both stores share).
type SyncState = store.SyncState

// SyncState returns the state of a stream; ok is false when it was never
// synced.
func (db *DB) SyncState(ctx context.Context, source, org, service string) (st SyncState, ok bool, err error) {
	var from, until, updated int64
	err = db.db.QueryRowContext(ctx, `SELECT from_ns, until_ns, updated_ns FROM sync_state WHERE source = ? AND org = ? AND service = ?`,
		source, org, service).Scan(&from, &until, &updated)
	if err == sql.ErrNoRows {
		return SyncState{Source: source, Org: org, Service: service}, false, nil
	}
	if err != nil {
		return st, false, fmt.Errorf("read sync state: %w", err)
	}
	return SyncState{Source: source, Org: org, Service: service, From: time.Unix(0, from).UTC(),
		Until: time.Unix(0, until).UTC(), Updated: time.Unix(0, updated).UTC()}, true, nil
}

// SyncStates lists the state of every stream of source.
func (db *DB) SyncStates(ctx context.Context, source string) ([]SyncState, error) {
	rows, err := db.db.QueryContext(ctx, `SELECT org, service, from_ns, until_ns, updated_ns FROM sync_state WHERE source = ? ORDER BY org, service`, source)
	if err != nil {
		return nil, fmt.Errorf("read sync state: %w", err)
	}
	defer rows.Close()
	var out []SyncState
	for rows.Next() {
		st := SyncState{Source: source}
		var from, until, updated int64
		if err := rows.Scan(&st.Org, &st.Service, &from, &until, &updated); err != nil {
			return nil, err
		}
		st.From, st.Until, st.Updated = time.Unix(0, from).UTC(), time.Unix(0, until).UTC(), time.Unix(0, updated).UTC()
		out = append(out, st)
	}
	return out, rows.Err()
}

// ExtendSyncState records that [st.From, st.Until) of the stream is in the
// cache, widening what was recorded (never narrowing it: two syncs may run
// at once). The caller must have committed the events first.
func (db *DB) ExtendSyncState(ctx context.Context, st SyncState) error {
	return db.withWriteTx(ctx, func(c *sql.Conn) error {
		_, err := c.ExecContext(ctx, `INSERT INTO sync_state (source, org, service, from_ns, until_ns, updated_ns) VALUES (?,?,?,?,?,?)
ON CONFLICT (source, org, service) DO UPDATE SET
	from_ns = min(from_ns, excluded.from_ns), until_ns = max(until_ns, excluded.until_ns), updated_ns = excluded.updated_ns`,
			st.Source, st.Org, st.Service, st.From.UnixNano(), st.Until.UnixNano(), time.Now().UnixNano())
		if err != nil {
			return fmt.Errorf("save sync state: %w", err)
		}
		return nil
	})
}
