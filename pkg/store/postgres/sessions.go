package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/session"
	"github.com/auditctl/auditctl/pkg/store"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

var _ session.Store = (*DB)(nil)

// Session History: the same table and SQL as the cache's (pkg/store,
// sessions.go). The recording files stay files: a row holds their path
// and SHA-256 (docs/postgres.md, "Recordings").

// CreateSession inserts s; an existing id is an error. The row is sealed
// in the tamper-evidence chain in the same transaction (sealSession).
func (db *DB) CreateSession(ctx context.Context, s *session.Session) error {
	if err := store.ValidSession(s); err != nil {
		return err
	}
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, rebind("INSERT INTO sessions ("+store.SessionColumns+") VALUES ("+
			store.Placeholders(store.SessionColumnCount)+")"), store.SessionArgs(s)...)
		var pe *pgconn.PgError
		if errors.As(err, &pe) && pe.Code == "23505" { // unique_violation
			return audit.Errorf(audit.EINVALID, "session %s already exists", s.ID)
		}
		if err != nil {
			return fmt.Errorf("create session: %w", err)
		}
		return sealSession(ctx, tx, s.ID)
	})
	return db.wrap(err)
}

// UpdateSession replaces the row of s.ID and seals the new row.
func (db *DB) UpdateSession(ctx context.Context, s *session.Session) error {
	if err := store.ValidSession(s); err != nil {
		return err
	}
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, rebind(store.SessionUpdateSQL()), store.SessionUpdateArgs(s)...)
		if err != nil {
			return fmt.Errorf("update session: %w", err)
		}
		if tag.RowsAffected() == 0 {
			return audit.Errorf(audit.ENOTFOUND, "no session %s", s.ID)
		}
		return sealSession(ctx, tx, s.ID)
	})
	return db.wrap(err)
}

// FindSession returns the session with this id, or the only one whose id
// starts with it; a prefix of several is ambiguous (audit.Ambiguous).
func (db *DB) FindSession(ctx context.Context, id string) (*session.Session, error) {
	var found *session.Session
	err := db.inSnapshot(ctx, func(tx pgx.Tx) error {
		one := func(id string) error {
			s, err := store.ScanSession(tx.QueryRow(ctx, rebind("SELECT "+store.SessionColumns+" FROM sessions WHERE id = ?"), id))
			found = s
			return err
		}
		err := one(id)
		if err == nil || !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		if id == "" {
			return audit.Errorf(audit.EUSAGE, "empty session id")
		}
		cond, args := store.SessionPrefix(id)
		rows, err := tx.Query(ctx, rebind("SELECT id FROM sessions WHERE "+cond+" ORDER BY id LIMIT 5"), args...)
		if err != nil {
			return err
		}
		ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return err
		}
		switch len(ids) {
		case 0:
			return audit.Errorf(audit.ENOTFOUND, "no session %q", id)
		case 1:
			return one(ids[0])
		}
		var n int
		if err := tx.QueryRow(ctx, rebind("SELECT count(*) FROM sessions WHERE "+cond), args...).Scan(&n); err != nil {
			return err
		}
		return audit.Ambiguous(n, "sessions", id, ids)
	})
	if err != nil {
		return nil, err
	}
	return found, nil
}

// FindSessions returns a page of the sessions f selects, newest first, and
// the number of sessions it selects (one snapshot: the page and its total
// agree).
func (db *DB) FindSessions(ctx context.Context, f session.Filter, p session.Page) ([]*session.Session, int, error) {
	where, args := store.CompileSessions(f, dialect{})
	var out []*session.Session
	var total int
	err := db.inSnapshot(ctx, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, rebind("SELECT count(*) FROM sessions"+where), args...).Scan(&total); err != nil {
			return fmt.Errorf("count sessions: %w", err)
		}
		rows, err := tx.Query(ctx, rebind("SELECT "+store.SessionColumns+" FROM sessions"+where+store.SessionOrder(p)), args...)
		if err != nil {
			return fmt.Errorf("find sessions: %w", err)
		}
		out, err = scanSessions(rows)
		return err
	})
	if err != nil {
		return nil, 0, err
	}
	return out, total, nil
}

// scanSessions reads (and closes) rows of store.SessionColumns.
func scanSessions(rows pgx.Rows) ([]*session.Session, error) {
	defer rows.Close()
	var out []*session.Session
	for rows.Next() {
		s, err := store.ScanSession(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// SyncState returns the state of a stream; ok is false when it was never
// synced.
func (db *DB) SyncState(ctx context.Context, source, org, service string) (store.SyncState, bool, error) {
	st := store.SyncState{Source: source, Org: org, Service: service}
	var from, until, updated int64
	err := db.pool.QueryRow(ctx, `SELECT from_ns, until_ns, updated_ns FROM sync_state WHERE source = $1 AND org = $2 AND service = $3`,
		source, org, service).Scan(&from, &until, &updated)
	if errors.Is(err, pgx.ErrNoRows) {
		return st, false, nil
	}
	if err != nil {
		return st, false, db.wrap(fmt.Errorf("read sync state: %w", err))
	}
	st.From, st.Until, st.Updated = time.Unix(0, from).UTC(), time.Unix(0, until).UTC(), time.Unix(0, updated).UTC()
	return st, true, nil
}

// SyncStates lists the state of every stream of source.
func (db *DB) SyncStates(ctx context.Context, source string) ([]store.SyncState, error) {
	rows, err := db.pool.Query(ctx, `SELECT org, service, from_ns, until_ns, updated_ns FROM sync_state WHERE source = $1 ORDER BY org, service`, source)
	if err != nil {
		return nil, db.wrap(fmt.Errorf("read sync state: %w", err))
	}
	defer rows.Close()
	var out []store.SyncState
	for rows.Next() {
		st := store.SyncState{Source: source}
		var from, until, updated int64
		if err := rows.Scan(&st.Org, &st.Service, &from, &until, &updated); err != nil {
			return nil, db.wrap(err)
		}
		st.From, st.Until, st.Updated = time.Unix(0, from).UTC(), time.Unix(0, until).UTC(), time.Unix(0, updated).UTC()
		out = append(out, st)
	}
	return out, db.wrap(rows.Err())
}

// ExtendSyncState records that [st.From, st.Until) of the stream is in the
// store, widening what was recorded, never narrowing it (one statement:
// two syncs may run at once, on two machines).
func (db *DB) ExtendSyncState(ctx context.Context, st store.SyncState) error {
	_, err := db.pool.Exec(ctx, `INSERT INTO sync_state (source, org, service, from_ns, until_ns, updated_ns) VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (source, org, service) DO UPDATE SET
	from_ns = least(sync_state.from_ns, excluded.from_ns), until_ns = greatest(sync_state.until_ns, excluded.until_ns), updated_ns = excluded.updated_ns`,
		st.Source, st.Org, st.Service, st.From.UnixNano(), st.Until.UnixNano(), time.Now().UnixNano())
	if err != nil {
		return db.wrap(fmt.Errorf("save sync state: %w", err))
	}
	return nil
}

// AddSession inserts s unless a session with its id is stored already
// (then the stored row stays as it is: the ingest role may not change
// one), sealing what it inserts; it says whether it inserted (db copy).
func (db *DB) AddSession(ctx context.Context, s *session.Session) (bool, error) {
	if err := store.ValidSession(s); err != nil {
		return false, err
	}
	inserted := false
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, rebind("INSERT INTO sessions ("+store.SessionColumns+") VALUES ("+
			store.Placeholders(store.SessionColumnCount)+") ON CONFLICT (id) DO NOTHING"), store.SessionArgs(s)...)
		if err != nil {
			return err
		}
		if inserted = tag.RowsAffected() == 1; !inserted {
			return nil
		}
		return sealSession(ctx, tx, s.ID)
	})
	if err != nil {
		return false, db.wrap(fmt.Errorf("copy session %s: %w", s.ID, err))
	}
	return inserted, nil
}

// CopyState returns how far a db copy of kind (events, …) from origin (a
// cache) has come: the last key copied, or "" when none.
func (db *DB) CopyState(ctx context.Context, origin, kind string) (string, error) {
	var last string
	err := db.pool.QueryRow(ctx, "SELECT last_key FROM copy_state WHERE origin = $1 AND kind = $2", origin, kind).Scan(&last)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", db.wrap(fmt.Errorf("read copy state: %w", err))
	}
	return last, nil
}

// SetCopyState records that a db copy of kind from origin has come to
// last (after what it copied committed).
func (db *DB) SetCopyState(ctx context.Context, origin, kind, last string) error {
	_, err := db.pool.Exec(ctx, `INSERT INTO copy_state (origin, kind, last_key, updated_ns) VALUES ($1, $2, $3, $4)
ON CONFLICT (origin, kind) DO UPDATE SET last_key = excluded.last_key, updated_ns = excluded.updated_ns`,
		origin, kind, last, time.Now().UnixNano())
	if err != nil {
		return db.wrap(fmt.Errorf("save copy state: %w", err))
	}
	return nil
}
