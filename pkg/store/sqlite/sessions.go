package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/session"
	"github.com/auditctl/auditctl/pkg/store"
)

var _ session.Store = (*DB)(nil)

const sessionColumns = `id, user_name, user_email, role, account, resource_name, resource_id, category,
	connector, server_name, server_os, host, port, protocol, client_ip, client_name, connected_from,
	start_ns, end_ns, duration_ms, status, has_recording, recording_path, recording_sha256,
	recorder_pid, terminated_by, command`

func sessionArgs(s *session.Session) []any {
	var end int64
	if !s.End.IsZero() {
		end = s.End.UnixNano()
	}
	return []any{s.ID, s.UserName, s.UserEmail, s.Role, s.Account, s.ResourceName, s.ResourceID,
		string(s.Category), s.Connector, s.ServerName, s.ServerOS, s.Host, s.Port, s.Protocol,
		s.ClientIP, s.ClientName, s.ConnectedFrom, s.Start.UnixNano(), end, s.Duration.Milliseconds(),
		string(s.Status), s.HasRecording, s.RecordingPath, s.RecordingSHA256, s.RecorderPID,
		s.TerminatedBy, s.Command}
}

func validSession(s *session.Session) error {
	switch {
	case strings.TrimSpace(s.ID) == "":
		return audit.Errorf(audit.EINVALID, "session: empty id")
	case s.Start.IsZero():
		return audit.Errorf(audit.EINVALID, "session %s: no start time", s.ID)
	case !s.End.IsZero() && s.End.Before(s.Start):
		return audit.Errorf(audit.EINVALID, "session %s: ends before it starts", s.ID)
	}
	switch s.Status {
	case session.StatusActive, session.StatusCompleted, session.StatusTerminated, session.StatusStale:
	default:
		return audit.Errorf(audit.EINVALID, "session %s: unknown status %q", s.ID, s.Status)
	}
	return nil
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
		cols := strings.Split(sessionColumns, ",")
		var sets []string
		for _, col := range cols[1:] {
			sets = append(sets, strings.TrimSpace(col)+" = ?")
		}
		args := sessionArgs(s)
		args = append(args[1:], s.ID)
		res, err := c.ExecContext(ctx, "UPDATE sessions SET "+strings.Join(sets, ", ")+" WHERE id = ?", args...)
		if err != nil {
			return fmt.Errorf("update session: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return audit.Errorf(audit.ENOTFOUND, "no session %s", s.ID)
		}
		return sealSession(ctx, c, s.ID)
	})
}

func scanSession(sc interface{ Scan(...any) error }) (*session.Session, error) {
	var s session.Session
	var category, status string
	var start, end, durMS int64
	err := sc.Scan(&s.ID, &s.UserName, &s.UserEmail, &s.Role, &s.Account, &s.ResourceName, &s.ResourceID,
		&category, &s.Connector, &s.ServerName, &s.ServerOS, &s.Host, &s.Port, &s.Protocol,
		&s.ClientIP, &s.ClientName, &s.ConnectedFrom, &start, &end, &durMS, &status, &s.HasRecording,
		&s.RecordingPath, &s.RecordingSHA256, &s.RecorderPID, &s.TerminatedBy, &s.Command)
	if err != nil {
		return nil, err
	}
	s.Category, s.Status = session.Category(category), session.Status(status)
	s.Start = time.Unix(0, start).UTC()
	if end != 0 {
		s.End = time.Unix(0, end).UTC()
	}
	s.Duration = time.Duration(durMS) * time.Millisecond
	return &s, nil
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
	cond, args := "id >= ?", []any{id}
	if end, ok := store.PrefixEnd(id); ok {
		cond, args = cond+" AND id < ?", append(args, end)
	}
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
	where, args := compileSessionFilter(f)
	var total int
	if err := db.db.QueryRowContext(ctx, "SELECT count(*) FROM sessions"+where, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count sessions: %w", err)
	}
	q := "SELECT " + sessionColumns + " FROM sessions" + where + " ORDER BY start_ns DESC, id"
	if p.Limit > 0 {
		q += fmt.Sprintf(" LIMIT %d OFFSET %d", p.Limit, max(p.Offset, 0))
	}
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

func compileSessionFilter(f session.Filter) (string, []any) {
	var where []string
	var args []any
	add := func(cond string, a ...any) {
		where = append(where, cond)
		args = append(args, a...)
	}
	if !f.Since.IsZero() {
		add("start_ns >= ?", f.Since.UnixNano())
	}
	if !f.Until.IsZero() {
		add("start_ns < ?", f.Until.UnixNano())
	}
	anyOf := func(cols []string, values []string) {
		if len(values) == 0 {
			return
		}
		var ors []string
		for _, v := range values {
			for _, col := range cols {
				if strings.Contains(v, "*") {
					ors = append(ors, col+` LIKE ? ESCAPE '\'`)
					args = append(args, likePattern(v))
				} else {
					ors = append(ors, col+" = ?")
					args = append(args, v)
				}
			}
		}
		where = append(where, "("+strings.Join(ors, " OR ")+")")
	}
	strs := func(xs any) []string {
		switch v := xs.(type) {
		case []session.Category:
			out := make([]string, len(v))
			for i, c := range v {
				out[i] = string(c)
			}
			return out
		case []session.Status:
			out := make([]string, len(v))
			for i, c := range v {
				out[i] = string(c)
			}
			return out
		}
		return nil
	}
	anyOf([]string{"connector"}, f.Connector)
	anyOf([]string{"user_name", "user_email"}, f.Users)
	anyOf([]string{"category"}, strs(f.Category))
	anyOf([]string{"resource_name"}, f.ResourceName)
	anyOf([]string{"resource_id"}, f.ResourceID)
	anyOf([]string{"id"}, f.SessionID)
	anyOf([]string{"status"}, strs(f.Status))
	anyOf([]string{"server_os"}, f.ServerOS)
	anyOf([]string{"protocol"}, f.Protocol)
	anyOf([]string{"connected_from"}, f.ConnectedFrom)
	if f.HasRecording != nil {
		add("has_recording = ?", *f.HasRecording)
	}
	if f.MinDuration > 0 {
		add("duration_ms >= ?", f.MinDuration.Milliseconds())
	}
	if f.MaxDuration > 0 {
		add("duration_ms <= ?", f.MaxDuration.Milliseconds())
	}
	if s := strings.TrimSpace(f.Search); s != "" {
		pat := "%" + likePattern(s) + "%"
		var ors []string
		for _, col := range []string{"user_name", "user_email", "account", "server_name", "host", "client_ip", "client_name"} {
			ors = append(ors, col+` LIKE ? ESCAPE '\'`)
			args = append(args, pat)
		}
		where = append(where, "("+strings.Join(ors, " OR ")+")")
	}
	if len(where) == 0 {
		return "", args
	}
	return " WHERE " + strings.Join(where, " AND "), args
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
