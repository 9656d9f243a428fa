package policy

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"time"

	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/recording"
	"github.com/auditctl/auditctl/pkg/report"
	"github.com/auditctl/auditctl/pkg/session"
	"github.com/auditctl/auditctl/pkg/sqllex"
)

// noSessionsError is the error of a sessions or queries rule evaluated
// without a session store: the rule is reported as an error with its
// code (audit.ELOCAL when the cache is missing), and the others run.
type noSessionsError struct{ err error }

func (e *noSessionsError) Error() string { return e.err.Error() }
func (e *noSessionsError) Unwrap() error { return e.err }

func (ev *Evaluator) noSessions() error {
	if ev.NoSessions != nil {
		return &noSessionsError{ev.NoSessions}
	}
	return &noSessionsError{audit.Errorf(audit.EINVALID, "sessions and queries rules need the local cache (Session History and recordings are not in the remote API)")}
}

// maxListed is how many sessions a note names.
const maxListed = 5

// queries evaluates a queries rule: the query events of the recordings of
// the sessions that started in the window and match its session filters,
// selected by status and statement; none, or at most N, allowed.
// Exceptions and schedule windows excuse queries.
//
// Every recording is read the way `sessions queries ID` reads it: its
// SHA-256 checked against the one registered (recording.CheckRegistered,
// which pins the file for the command) and opened through
// recording.OpenFile, its query events decoded by Reader.EachQuery. A
// recording that is modified, missing or damaged is an error of the rule
// (its evidence cannot be trusted), never skipped; the sessions without a
// recording are named in a note.
func (ev *Evaluator) queries(ctx context.Context, r *Rule, res *report.Result) error {
	if ev.Sessions == nil {
		return ev.noSessions()
	}
	f := r.Queries.Sessions
	f.Since, f.Until = ev.Since, ev.Until
	rows, _, err := ev.Sessions.FindSessions(ctx, f, session.Page{})
	if err != nil {
		return err
	}
	ex, err := ev.queryExcuses(ctx, r, res)
	if err != nil {
		return err
	}
	allowed := int64(0)
	if r.Condition.Kind == KindMax {
		allowed = r.Condition.N
	}
	var v report.Violation
	var unrecorded, unverified, problems []string
	for i := len(rows) - 1; i >= 0; i-- { // oldest first
		s := rows[i]
		if err := ctx.Err(); err != nil {
			return err
		}
		if !s.HasRecording || s.RecordingPath == "" {
			unrecorded = append(unrecorded, s.ID)
			continue
		}
		if s.RecordingSHA256 == "" {
			unverified = append(unverified, s.ID)
		}
		d := dialectOf(s)
		err := eachQuery(s, func(q recording.QueryEvent) error {
			if !r.Queries.Match(d, q) || ex(s, d, q) {
				return nil
			}
			m := reportQuery(s, q)
			if v.Count == 0 || m.Time.Before(v.First) {
				v.First = m.Time
			}
			if m.Time.After(v.Last) {
				v.Last = m.Time
			}
			v.Count++
			if len(v.Queries) < ev.MaxEvents {
				v.Queries = append(v.Queries, m)
			}
			return nil
		})
		if err != nil {
			if c := audit.ErrorCode(err); c != audit.EINVALID && c != audit.ENOTFOUND {
				return err
			}
			problems = append(problems, err.Error())
		}
	}
	if len(unrecorded) > 0 {
		res.Notes = append(res.Notes, fmt.Sprintf("%d matching %s no recording, so no query history to check: %s",
			len(unrecorded), plural(int64(len(unrecorded)), "session has", "sessions have"), listIDs(unrecorded)))
	}
	if len(unverified) > 0 {
		res.Notes = append(res.Notes, fmt.Sprintf("%d %s no registered SHA-256 yet (still being recorded, or never completed): read as found, unverified: %s",
			len(unverified), plural(int64(len(unverified)), "recording has", "recordings have"), listIDs(unverified)))
	}
	if v.Count > allowed {
		v.Message = countMessage(r, v.Count, allowed, "query", "queries")
		res.Violations = append(res.Violations, v)
	}
	if len(problems) > 0 {
		return audit.Errorf(audit.EINVALID, "%d %s could not be checked: %s", len(problems),
			plural(int64(len(problems)), "recording", "recordings"), strings.Join(problems, "; "))
	}
	return nil
}

// eachQuery reads the query history of session s's recording (see
// Evaluator.queries). The errors name the session and the recording.
func eachQuery(s *session.Session, fn func(recording.QueryEvent) error) error {
	path := s.RecordingPath
	fail := func(err error) error {
		var ae *audit.Error
		switch {
		case errors.As(err, &ae) && ae.Code != audit.EINVALID && ae.Code != audit.ENOTFOUND:
			return err
		case errors.Is(err, fs.ErrNotExist):
			return audit.Errorf(audit.ENOTFOUND, "session %s: its recording %s is missing", s.ID, path)
		}
		return audit.Errorf(audit.EINVALID, "session %s: %v", s.ID, err)
	}
	if s.RecordingSHA256 != "" {
		if _, err := recording.CheckRegistered(s.ID, path, s.RecordingSHA256); errors.Is(err, recording.ErrModified) {
			return err
		} else if err != nil {
			return fail(err)
		}
	}
	rd, err := recording.Open(path, recording.Options{})
	if err != nil {
		return fail(err)
	}
	defer rd.Close()
	if err := rd.EachQuery(fn); err != nil {
		return err
	}
	d := rd.Damage()
	unfinished := s.Status == session.StatusActive || s.Status == session.StatusStale
	if !d.Damaged() || unfinished && d.Skipped == 0 {
		return nil // (the last line of a recording still written, or whose recorder died, may be cut)
	}
	all := d.All()
	msg := all[0].Err
	if n := d.Skipped + int64(len(all)) - int64(len(d.Flaws)) - 1; n > 0 {
		msg += fmt.Sprintf(" (and %d more)", n)
	}
	return audit.Errorf(audit.EINVALID, "session %s: damaged recording: %s", s.ID, msg)
}

// queryExcuser says whether a query of session s is excused.
type queryExcuser func(s *session.Session, d sqllex.Dialect, q recording.QueryEvent) bool

// queryExcuses gathers, for each live exception of a queries rule, the
// sessions of the window its session filters select (asked of the
// store), and notes the expired ones. A query is excused when its session
// is among an exception's and it passes the exception's status and
// statement filters, or when its time falls in a schedule window.
func (ev *Evaluator) queryExcuses(ctx context.Context, r *Rule, res *report.Result) (queryExcuser, error) {
	type live struct {
		f        *QueryFilter
		sessions map[string]bool
	}
	var exs []live
	for _, x := range r.Exceptions {
		if !x.Until.IsZero() && !ev.Now.Before(x.Until) {
			res.Notes = append(res.Notes, fmt.Sprintf("exception at %s:%d (%s) expired at %s: ignored", r.File, x.Line, x.Reason, audit.FormatTime(x.Until)))
			continue
		}
		f := x.Queries.Sessions
		f.Since, f.Until = ev.Since, ev.Until
		rows, _, err := ev.Sessions.FindSessions(ctx, f, session.Page{})
		if err != nil {
			return nil, err
		}
		ids := map[string]bool{}
		for _, s := range rows {
			ids[s.ID] = true
		}
		exs = append(exs, live{x.Queries, ids})
	}
	return func(s *session.Session, d sqllex.Dialect, q recording.QueryEvent) bool {
		for _, x := range exs {
			if x.sessions[s.ID] && x.f.Match(d, q) {
				return true
			}
		}
		t := queryTime(s, q)
		for _, w := range r.Schedule {
			if w.Contains(t) {
				return true
			}
		}
		return false
	}, nil
}

// reportQuery is q of session s as a report lists it.
func reportQuery(s *session.Session, q recording.QueryEvent) report.Query {
	user := s.UserEmail
	if user == "" {
		user = s.UserName
	}
	return report.Query{SessionID: s.ID, User: user, Resource: s.ResourceName, Time: queryTime(s, q),
		Offset: float64(q.Time.Microseconds()) / 1e6, Status: q.Status, Statement: q.Query.Query, Message: q.Message}
}

// queryTime is when q was entered: the session's start plus its time in
// the recording.
func queryTime(s *session.Session, q recording.QueryEvent) time.Time {
	return s.Start.Add(q.Time).UTC()
}

// dialectOf is the SQL dialect of the client a session ran (its command,
// else its client's name): how its statements are normalized for a
// statement match, as the recorder normalized them for its deny rules.
func dialectOf(s *session.Session) sqllex.Dialect {
	for _, c := range []string{s.Command, s.ClientName} {
		if f := strings.Fields(c); len(f) > 0 {
			if d := sqllex.DialectFor(strings.Trim(f[0], `'"`)); d != sqllex.Generic {
				return d
			}
		}
	}
	return sqllex.Generic
}

// listIDs names the first few ids, and how many more.
func listIDs(ids []string) string {
	if len(ids) <= maxListed {
		return strings.Join(ids, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(ids[:maxListed], ", "), len(ids)-maxListed)
}
