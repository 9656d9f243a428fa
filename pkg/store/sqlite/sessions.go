package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/session"
	"github.com/auditctl/auditctl/pkg/store"
)

var _ session.Store = (*DB)(nil)

// The session row's SQL is shared with the PostgreSQL store (pkg/store,
// sessions.go).
const sessionColumns = store.SessionColumns

func sessionArgs(s *session.Session) []any { return store.SessionArgs(s) }

func validSession(s *session.Session) error { return store.ValidSession(s) }

func scanSession(sc interface{ Scan(...any) error }) (*session.Session, error) {
	return store.ScanSession(sc)
}

// CreateSession inserts s; an existing id is an error.
func (db *DB) CreateSession(ctx context.Context, s *session.Session) error {
	if err := validSession(s); err != nil {
		return err
	}
	return db.withWriteTx(ctx, func(c *sql.Conn) error {
		q := "INSERT INTO sessions (" + sessionColumns + ") VALUES (" +
			strings.TrimSuffix(strings.Repeat("?,", 27), ",") + ")"
		if _, err := c.ExecContext(ctx, q, sessionArgs(s)...); err != nil {
			if strings.Contains(err.Error(), "UNIQUE") || strings.Contains(err.Error(), "PRIMARY KEY") {
				return audit.Errorf(audit.EINVALID, "session %s already exists", s.ID)
			}
			return fmt.Errorf("create session: %w", err)
		}
		return sealSession(ctx, c, s.ID)
	})
}

// UpdateSession replaces the row of s.ID.
func (db *DB) UpdateSession(ctx context.Context, s *session.Session) error {
	if err := validSession(s); err != nil {
		return err
	}
	return db.withWriteTx(ctx, func(c *sql.Conn) error {
		res, err := c.ExecContext(ctx, store.SessionUpdateSQL(), store.SessionUpdateArgs(s)...)
		if err != nil {
			return fmt.Errorf("update session: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return audit.Errorf(audit.ENOTFOUND, "no session %s", s.ID)
		}
		return sealSession(ctx, c, s.ID)
	})
}

// FindSession returns the session with this id, or the only one whose id
// starts with it. A prefix that several sessions' ids start with is a
// usage error that says how many and lists a few (audit.Ambiguous).
func (db *DB) FindSession(ctx context.Context, id string) (*session.Session, error) {
	row := db.db.QueryRowContext(ctx, "SELECT "+sessionColumns+" FROM sessions WHERE id = ?", id)
	s, err := scanSession(row)
	if err == nil {
		return s, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return nil, err
	}
	if id == "" {
		return nil, audit.Errorf(audit.EUSAGE, "empty session id")
	}
	cond, args := store.SessionPrefix(id)
	rows, err := db.db.QueryContext(ctx, "SELECT id FROM sessions WHERE "+cond+" ORDER BY id LIMIT 5", args...)
	if err != nil {
		return nil, err
	}
	var ids []string
	for rows.Next() {
		var x string
		if err := rows.Scan(&x); err != nil {
			rows.Close()
			return nil, err
		}
		ids = append(ids, x)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	switch len(ids) {
	case 0:
		return nil, audit.Errorf(audit.ENOTFOUND, "no session %q", id)
	case 1:
		return scanSession(db.db.QueryRowContext(ctx, "SELECT "+sessionColumns+" FROM sessions WHERE id = ?", ids[0]))
	}
	var n int
	if err := db.db.QueryRowContext(ctx, "SELECT count(*) FROM sessions WHERE "+cond, args...).Scan(&n); err != nil {
		return nil, err
	}
	return nil, audit.Ambiguous(n, "sessions", id, ids)
}

// FindSessions returns a page of the sessions f selects, newest first, and
// the number of sessions it selects.
func (db *DB) FindSessions(ctx context.Context, f session.Filter, p session.Page) ([]*session.Session, int, error) {
	where, args := store.CompileSessions(f, dialect{})
	var total int
	if err := db.db.QueryRowContext(ctx, "SELECT count(*) FROM sessions"+where, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count sessions: %w", err)
	}
	q := "SELECT " + sessionColumns + " FROM sessions" + where + store.SessionOrder(p)
	rows, err := db.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, 0, fmt.Errorf("find sessions: %w", err)
	}
	defer rows.Close()
	var out []*session.Session
	for rows.Next() {
		s, err := scanSession(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, s)
	}
	return out, total, rows.Err()
}

// AddEvents stores events auditctl itself produces (a session terminated,
// say), through the same path as an import: keys, full text, dedupe.
func (db *DB) AddEvents(ctx context.Context, events ...*audit.Event) error {
	_, err := db.Import(ctx, &eventSlice{events: events}, ImportOptions{Name: "auditctl"})
	return err
}

type eventSlice struct {
	events []*audit.Event
}

func (r *eventSlice) Next() (*audit.Event, error) {
	if len(r.events) == 0 {
		return nil, io.EOF
	}
	e := r.events[0]
	r.events = r.events[1:]
	return e, nil
}
