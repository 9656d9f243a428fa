package store

import (
	"fmt"
	"strings"
	"time"

	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/chain"
	"github.com/auditctl/auditctl/pkg/session"
)

// Session History is kept by both stores in a table `sessions` of the same
// columns (times in nanoseconds since the epoch, end_ns 0 while active).
// What follows is the one place its SQL is written: the columns, their
// values, a row read back, and a session.Filter compiled for a dialect.

// SessionColumns are the columns of table sessions, in the order
// SessionArgs gives their values and ScanSession reads them.
const SessionColumns = `id, user_name, user_email, role, account, resource_name, resource_id, category,
	connector, server_name, server_os, host, port, protocol, client_ip, client_name, connected_from,
	start_ns, end_ns, duration_ms, status, has_recording, recording_path, recording_sha256,
	recorder_pid, terminated_by, command`

// SessionColumnCount is how many SessionColumns there are.
const SessionColumnCount = 27

// SessionArgs are the values of s's row, in SessionColumns' order.
func SessionArgs(s *session.Session) []any {
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

// SessionUpdateSQL is the UPDATE of every column but the id; its
// arguments are SessionUpdateArgs.
func SessionUpdateSQL() string {
	cols := strings.Split(SessionColumns, ",")
	sets := make([]string, 0, len(cols)-1)
	for _, col := range cols[1:] {
		sets = append(sets, strings.TrimSpace(col)+" = ?")
	}
	return "UPDATE sessions SET " + strings.Join(sets, ", ") + " WHERE id = ?"
}

// SessionUpdateArgs are the arguments of SessionUpdateSQL for s.
func SessionUpdateArgs(s *session.Session) []any {
	args := SessionArgs(s)
	return append(args[1:], s.ID)
}

// ScanSession reads a row of SessionColumns.
func ScanSession(sc interface{ Scan(...any) error }) (*session.Session, error) {
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

// SessionRowHash reads a row of SessionColumns as the database returns it
// and hashes it (chain.KindSession; the id included, a session's key is
// its id): the row hash both stores seal and verify. The values are hashed
// as stored, not as ScanSession reads them, so that a value no Session
// field could hold is still covered; the two stores' drivers return the
// same values for the same row (integers of either width, a bool as the
// integer SQLite stores), so a session hashes alike in both.
func SessionRowHash(rh *chain.RowHasher, sc interface{ Scan(...any) error }) (id string, h chain.Hash, err error) {
	var vals [SessionColumnCount]any
	var ptrs [SessionColumnCount]any
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	if err := sc.Scan(ptrs[:]...); err != nil {
		return "", h, err
	}
	id, _ = vals[0].(string)
	return id, rh.Sum(chain.KindSession, vals[:]...), nil
}

// ValidSession refuses a row no store keeps: no id, no start, an end
// before the start, an unknown status.
func ValidSession(s *session.Session) error {
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

// SessionPrefix is the condition (and its arguments) "the id starts with
// prefix", as a key range.
func SessionPrefix(prefix string) (string, []any) {
	cond, args := "id >= ?", []any{prefix}
	if end, ok := PrefixEnd(prefix); ok {
		cond, args = cond+" AND id < ?", append(args, end)
	}
	return cond, args
}

// SessionOrder orders a listing newest first (ties by id, byte order in
// both stores) and pages it.
func SessionOrder(p session.Page) string {
	q := " ORDER BY start_ns DESC, id"
	if p.Limit > 0 {
		q += fmt.Sprintf(" LIMIT %d OFFSET %d", p.Limit, max(p.Offset, 0))
	}
	return q
}

// CompileSessions compiles a session filter to " WHERE …" (or "") and its
// bound arguments, for dialect d. Text values match ignoring ASCII case,
// as the filter says (the id exactly, unless it holds a * wildcard);
// * is a wildcard; Search is a substring of any of the searched columns.
func CompileSessions(f session.Filter, d Dialect) (string, []any) {
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
	// The dialect compares a text column as it compares an event field:
	// the actor stands for any case-insensitive one, the id for an exact one.
	anyOf := func(cols []string, values []string) {
		if len(values) == 0 {
			return
		}
		var ors []string
		for _, v := range values {
			for _, col := range cols {
				fld := audit.FieldActor
				if col == "id" {
					fld = audit.FieldID
				}
				if strings.Contains(v, "*") {
					cond, arg := d.Like(col, LikePattern(v))
					ors, args = append(ors, cond), append(args, arg)
				} else {
					ors, args = append(ors, d.Eq(fld, col)+" = ?"), append(args, d.EqArg(fld, v))
				}
			}
		}
		where = append(where, "("+strings.Join(ors, " OR ")+")")
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
		pat := "%" + LikePattern(s) + "%"
		var ors []string
		for _, col := range []string{"user_name", "user_email", "account", "server_name", "host", "client_ip", "client_name"} {
			cond, arg := d.Like(col, pat)
			ors, args = append(ors, cond), append(args, arg)
		}
		where = append(where, "("+strings.Join(ors, " OR ")+")")
	}
	if len(where) == 0 {
		return "", args
	}
	return " WHERE " + strings.Join(where, " AND "), args
}

func strs[T ~string](xs []T) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = string(x)
	}
	return out
}

// Retention of sessions: the same queries in both stores.
const (
	// ExpiredSessionsCond is the condition on the sessions retention
	// deletes (one argument: the cutoff in nanoseconds): they started
	// before the cutoff and are not live.
	ExpiredSessionsCond = "start_ns < ? AND status <> 'active'"
	// ExpiredSessionsSQL reads them, oldest first.
	ExpiredSessionsSQL = "SELECT " + SessionColumns + " FROM sessions WHERE " + ExpiredSessionsCond + " ORDER BY start_ns, id"
	// SessionSpanSQL counts all sessions with the start of the oldest
	// and newest; SessionSpanExpiredSQL the expired ones (the cutoff);
	// SessionActiveBeforeSQL the active ones that started before the
	// cutoff (kept until they end).
	SessionSpanSQL         = "SELECT count(*), coalesce(min(start_ns), 0), coalesce(max(start_ns), 0) FROM sessions"
	SessionSpanExpiredSQL  = SessionSpanSQL + " WHERE " + ExpiredSessionsCond
	SessionActiveBeforeSQL = "SELECT count(*) FROM sessions WHERE start_ns < ? AND status = 'active'"
)

// SessionSpan is the sessions a store holds, and those that started
// before a cutoff: Expired counts the ones retention deletes, Active the
// ones it keeps because their recorder still runs.
type SessionSpan struct {
	All     Span
	Expired Span
	Active  int64
}
