package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"time"

	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/session"
	"github.com/auditctl/auditctl/pkg/store"
)

// trashTable journals the recording files of sessions that retention
// deleted: inserted in the transaction that deletes the rows, removed after
// it commits; what a killed run left there, the next run removes. Retention
// alone uses it, so it is created by its first deletion rather than by a
// numbered migration (every other command works without it).
const trashTable = `CREATE TABLE IF NOT EXISTS recording_trash (
	path       TEXT PRIMARY KEY,
	session_id TEXT NOT NULL,
	added_ns   INTEGER NOT NULL
) WITHOUT ROWID`

// hasTrash reports whether the journal exists (a retention run deleted
// sessions in this cache).
func hasTrash(ctx context.Context, q querier) (bool, error) {
	var n int
	err := q.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'recording_trash'").Scan(&n)
	return n > 0, err
}

// RecordingsDir is the cache's own recordings directory, beside the cache
// file at path: where `sessions record` (by default) and `demo` write. Only
// files under it are ever deleted by retention.
func RecordingsDir(path string) string {
	return filepath.Join(filepath.Dir(path), "recordings")
}

// Span and SourceSpan are what retention reports of a store (store.Span).
type (
	Span       = store.Span
	SourceSpan = store.SourceSpan
)

// EventSpans returns, per source, the events the cache holds and those
// that audit.Filter{Until: before} selects (what DeleteEvents with that
// filter deletes), read in one snapshot. The counts and the keys of the
// oldest and newest come from the (source, id) index alone (the key
// follows time: docs/cache.md), then one lookup per end reads its time.
func (db *DB) EventSpans(ctx context.Context, before time.Time) ([]SourceSpan, error) {
	var out []SourceSpan
	bySource := map[string]int{}
	err := db.inSnapshot(ctx, func(q querier) error {
		timeOf := func(key int64) (int64, error) {
			var ns int64
			err := q.QueryRowContext(ctx, "SELECT time_ns FROM events WHERE id = ?", key).Scan(&ns)
			return ns, err
		}
		for i, f := range []audit.Filter{{}, {Until: before}} {
			c, err := compileIn(ctx, q, f)
			if err != nil {
				return err
			}
			rows, err := q.QueryContext(ctx, "SELECT e.source, count(*), min(e.id), max(e.id) FROM "+
				c.from+c.whereSQL()+" GROUP BY e.source ORDER BY e.source", c.args...)
			if err != nil {
				return err
			}
			type group struct {
				src       string
				n, lo, hi int64
			}
			var groups []group
			for rows.Next() {
				var g group
				if err := rows.Scan(&g.src, &g.n, &g.lo, &g.hi); err != nil {
					rows.Close()
					return err
				}
				groups = append(groups, g)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
			for _, g := range groups {
				lo, err := timeOf(g.lo)
				if err != nil {
					return err
				}
				hi, err := timeOf(g.hi)
				if err != nil {
					return err
				}
				j, ok := bySource[g.src]
				if !ok {
					j = len(out)
					bySource[g.src] = j
					out = append(out, SourceSpan{Source: g.src})
				}
				if i == 0 {
					out[j].All.Set(g.n, lo, hi)
				} else {
					out[j].Expired.Set(g.n, lo, hi)
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("event spans: %w", err)
	}
	return out, nil
}

// SessionSpan is what SessionSpans returns (store.SessionSpan).
type SessionSpan = store.SessionSpan

// expiredSessions is the condition on the sessions retention deletes
// (store.ExpiredSessionsCond).
const expiredSessions = store.ExpiredSessionsCond

// SessionSpans counts the sessions, and those that started before before.
func (db *DB) SessionSpans(ctx context.Context, before time.Time) (SessionSpan, error) {
	var s SessionSpan
	err := db.inSnapshot(ctx, func(q querier) error {
		var n, lo, hi int64
		if err := q.QueryRowContext(ctx, store.SessionSpanSQL).Scan(&n, &lo, &hi); err != nil {
			return err
		}
		s.All.Set(n, lo, hi)
		if err := q.QueryRowContext(ctx, store.SessionSpanExpiredSQL, before.UnixNano()).Scan(&n, &lo, &hi); err != nil {
			return err
		}
		s.Expired.Set(n, lo, hi)
		return q.QueryRowContext(ctx, store.SessionActiveBeforeSQL, before.UnixNano()).Scan(&s.Active)
	})
	if err != nil {
		return s, fmt.Errorf("session spans: %w", err)
	}
	return s, nil
}

// ExpiredSessions returns the sessions that started before before and are
// not active, oldest first.
func (db *DB) ExpiredSessions(ctx context.Context, before time.Time) ([]*session.Session, error) {
	rows, err := db.db.QueryContext(ctx, store.ExpiredSessionsSQL, before.UnixNano())
	if err != nil {
		return nil, fmt.Errorf("expired sessions: %w", err)
	}
	defer rows.Close()
	var out []*session.Session
	for rows.Next() {
		s, err := scanSession(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// DeleteSessions deletes, in one write transaction, what DeleteSessionsIn
// deletes, and runs inTx (when set) last in the same transaction.
func (db *DB) DeleteSessions(ctx context.Context, ids []string, before time.Time, trash func(path string) bool,
	inTx func(context.Context, *sql.Conn) error) (n int64, journaled []string, err error) {
	err = db.withWriteTx(ctx, func(c *sql.Conn) error {
		var err error
		if n, journaled, err = db.DeleteSessionsIn(ctx, c, ids, before, trash); err != nil {
			return err
		}
		if inTx != nil {
			return inTx(ctx, c)
		}
		return nil
	})
	if err != nil {
		return 0, nil, err
	}
	return n, journaled, nil
}

// DeleteSessionsIn deletes, in c's write transaction (the one that hides
// the expired events: DeleteEventsWith's inTx), the rows of ids that still
// start before before and are not active, and journals in recording_trash
// the recording paths that trash accepts (the caller's rule for which files
// are auditctl's to remove) and that no remaining row refers to. It
// returns how many rows went and the paths journaled: the caller removes
// those files after the commit with FinishTrash; a run killed in between
// leaves them journaled for the next.
func (db *DB) DeleteSessionsIn(ctx context.Context, c *sql.Conn, ids []string, before time.Time, trash func(path string) bool) (n int64, journaled []string, err error) {
	defer func() {
		if err != nil {
			err = fmt.Errorf("delete sessions: %w", err)
		}
	}()
	if _, err := c.ExecContext(ctx, trashTable); err != nil {
		return 0, nil, err
	}
	if _, err := c.ExecContext(ctx, "CREATE TEMP TABLE IF NOT EXISTS doomed_sessions (id TEXT PRIMARY KEY) WITHOUT ROWID"); err != nil {
		return 0, nil, err
	}
	defer c.ExecContext(context.Background(), "DROP TABLE IF EXISTS temp.doomed_sessions")
	if _, err := c.ExecContext(ctx, "DELETE FROM temp.doomed_sessions"); err != nil {
		return 0, nil, err
	}
	for _, id := range ids {
		if _, err := c.ExecContext(ctx, "INSERT OR IGNORE INTO temp.doomed_sessions SELECT id FROM sessions WHERE id = ? AND "+expiredSessions,
			id, before.UnixNano()); err != nil {
			return 0, nil, err
		}
	}
	rows, err := c.QueryContext(ctx, "SELECT DISTINCT recording_path FROM sessions WHERE id IN (SELECT id FROM temp.doomed_sessions) AND recording_path <> ''")
	if err != nil {
		return 0, nil, err
	}
	var paths []string
	for rows.Next() {
		var p string
		if err := rows.Scan(&p); err != nil {
			rows.Close()
			return 0, nil, err
		}
		paths = append(paths, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, nil, err
	}
	now := time.Now().UnixNano()
	for _, p := range paths {
		if trash == nil || !trash(p) {
			continue
		}
		var still int
		if err := c.QueryRowContext(ctx, "SELECT count(*) FROM sessions WHERE recording_path = ? AND id NOT IN (SELECT id FROM temp.doomed_sessions)", p).Scan(&still); err != nil {
			return 0, nil, err
		}
		if still > 0 {
			continue // another session's recording too: it stays
		}
		var sid string
		if err := c.QueryRowContext(ctx, "SELECT min(id) FROM sessions WHERE recording_path = ?", p).Scan(&sid); err != nil {
			return 0, nil, err
		}
		if _, err := c.ExecContext(ctx, "INSERT OR REPLACE INTO recording_trash (path, session_id, added_ns) VALUES (?, ?, ?)", p, sid, now); err != nil {
			return 0, nil, err
		}
		journaled = append(journaled, p)
	}
	// A legitimate deletion: a signed checkpoint in this transaction says
	// so (chain.go).
	if err := db.SealDeletion(ctx, c, "", "temp.doomed_sessions", "retention: expired sessions"); err != nil {
		return 0, nil, err
	}
	res, err := c.ExecContext(ctx, "DELETE FROM sessions WHERE id IN (SELECT id FROM temp.doomed_sessions)")
	if err != nil {
		return 0, nil, err
	}
	n, _ = res.RowsAffected()
	return n, journaled, nil
}

// PendingTrash returns the recording files journaled for removal: what a
// run of retention left when it was stopped between its commit and
// FinishTrash.
func (db *DB) PendingTrash(ctx context.Context) ([]string, error) {
	if ok, err := hasTrash(ctx, db.db); err != nil || !ok {
		return nil, err
	}
	rows, err := db.db.QueryContext(ctx, "SELECT path FROM recording_trash ORDER BY path")
	if err != nil {
		return nil, fmt.Errorf("recording trash: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var p string
		if err := rows.Scan(&p); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// FinishTrash removes the journaled recording files with rm, under the
// write lock (so that no session can register one of them meanwhile), and
// drops each entry whose removal succeeded. An entry whose path a session
// row refers to again (the file registered anew since) is dropped and its
// file kept. rm reports whether it removed the file (a file already gone
// counts as removed) or left it in place (not one to remove); either way
// the entry is dropped. It returns the paths removed and those kept; the
// ones rm failed on stay journaled, with the first error.
func (db *DB) FinishTrash(ctx context.Context, rm func(path string) (removed bool, err error)) (removed, kept []string, err error) {
	if pending, err := db.PendingTrash(ctx); err != nil || len(pending) == 0 {
		return nil, nil, err // nothing journaled: no write lock taken
	}
	var rmErr error
	err = db.withWriteTx(ctx, func(c *sql.Conn) error {
		removed, kept, rmErr = nil, nil, nil
		if ok, err := hasTrash(ctx, c); err != nil || !ok {
			return err
		}
		rows, err := c.QueryContext(ctx, `SELECT path, EXISTS (SELECT 1 FROM sessions s WHERE s.recording_path = t.path)
			FROM recording_trash t ORDER BY path`)
		if err != nil {
			return err
		}
		type entry struct {
			path string
			used bool
		}
		var todo []entry
		for rows.Next() {
			var e entry
			if err := rows.Scan(&e.path, &e.used); err != nil {
				rows.Close()
				return err
			}
			todo = append(todo, e)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, e := range todo {
			if e.used {
				kept = append(kept, e.path)
			} else if gone, err := rm(e.path); err != nil {
				if rmErr == nil {
					rmErr = err
				}
				continue
			} else if gone {
				removed = append(removed, e.path)
			} else {
				kept = append(kept, e.path)
			}
			if _, err := c.ExecContext(ctx, "DELETE FROM recording_trash WHERE path = ?", e.path); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("recording trash: %w", err)
	}
	return removed, kept, rmErr
}
