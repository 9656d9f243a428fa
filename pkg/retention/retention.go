// Package retention deletes what the cache holds past its retention
// period: events older than the logs period, sessions (and their recording
// files) older than the sessions period, optionally archiving them first.
//
// The defaults are the seeds' periods: "Audit Logs (Operation Logs): 90
// days. Entries older than 90 days are automatically removed." and "Session
// History recordings: 1 year. Session videos, keystroke logs, and query
// history are available for up to 12 months from the date of the session."
// (JumpCloud Vault, "Data Retention"); "JumpCloud stores 90 days of event
// logs and removes logs older than 90 days." (Directory Insights Data
// Retention).
//
// An interrupted run leaves the old state or the new one (docs/retention.md
// and docs/architecture.md, "Retention"): the archive is written, synced
// and renamed into place before anything is deleted; one transaction hides
// the events (sqlite.DB.DeleteEventsWith) and deletes the session rows,
// journaling their recording files, which are removed after the commit; a
// run killed in between leaves them journaled for the next run.
package retention

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	fp "github.com/auditctl/auditctl/internal/failpoint"
	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/session"
	"github.com/auditctl/auditctl/pkg/store"
	"github.com/auditctl/auditctl/pkg/store/postgres"
	"github.com/auditctl/auditctl/pkg/store/sqlite"
	"github.com/auditctl/auditctl/player/seek"
)

// The seeds' periods (package comment).
const (
	DefaultLogs     = "90d"
	DefaultSessions = "1y"
)

// Policy is how long events and sessions are kept.
type Policy struct {
	Logs     string // as given: "90d"
	Sessions string // as given: "1y"

	logs, sessions time.Duration
}

// NewPolicy reads the two periods ("90d", "1y", "12w": audit.ParsePeriod);
// an empty one is the default. from names where they came from, for errors
// ("--logs", "config retention.logs").
func NewPolicy(logs, sessions string, fromLogs, fromSessions string) (Policy, error) {
	p := Policy{Logs: strings.TrimSpace(logs), Sessions: strings.TrimSpace(sessions)}
	if p.Logs == "" {
		p.Logs = DefaultLogs
	}
	if p.Sessions == "" {
		p.Sessions = DefaultSessions
	}
	var err error
	if p.logs, err = audit.ParsePeriod(p.Logs); err != nil {
		return p, fmt.Errorf("%s: %w", fromLogs, err)
	}
	if p.sessions, err = audit.ParsePeriod(p.Sessions); err != nil {
		return p, fmt.Errorf("%s: %w", fromSessions, err)
	}
	return p, nil
}

// Cutoffs are the times before which events and sessions go: now minus
// each period, to the second (a whole second is a key boundary of the
// events table, so DeleteEvents and the counts select exactly the same
// rows).
func (p Policy) Cutoffs(now time.Time) (logs, sessions time.Time) {
	return now.Add(-p.logs).UTC().Truncate(time.Second), now.Add(-p.sessions).UTC().Truncate(time.Second)
}

// Options are what Plan and Apply work with.
type Options struct {
	Policy Policy
	Now    time.Time
	// DryRun reports what would go and changes nothing.
	DryRun bool
	// ArchiveDir, when set, receives the archive before anything is
	// deleted; Compression is "gzip" (default) or "zstd".
	ArchiveDir  string
	Compression string
	// Notice prints a line on stderr (nil: none; --quiet).
	Notice func(format string, args ...any)
}

func (o *Options) notice(format string, args ...any) {
	if o.Notice != nil {
		o.Notice(format, args...)
	}
}

// Report is what status, a dry run and a run say.
type Report struct {
	Policy         ReportPolicy   `json:"policy"`
	DryRun         bool           `json:"dry_run"`
	Applied        bool           `json:"applied"`
	Events         []SourceReport `json:"events"`
	Sessions       SessionReport  `json:"sessions"`
	Archive        *ArchiveReport `json:"archive,omitempty"`
	PendingRemoval []string       `json:"pending_recording_removals,omitempty"`
	// Dropped and EdgeMonth are, on a PostgreSQL store, the months whose
	// partitions were dropped whole and the month whose older rows were
	// deleted.
	Dropped   []string `json:"dropped_partitions,omitempty"`
	EdgeMonth string   `json:"edge_partition,omitempty"`
}

// ReportPolicy is the policy and its cutoffs.
type ReportPolicy struct {
	Logs           string    `json:"logs"`
	Sessions       string    `json:"sessions"`
	LogsBefore     time.Time `json:"logs_before"`
	SessionsBefore time.Time `json:"sessions_before"`
}

// SourceReport is one source's events: all of them, and those past the
// period (deleted, in a run that was applied).
type SourceReport struct {
	Source       string     `json:"source"`
	Count        int64      `json:"count"`
	Oldest       *time.Time `json:"oldest,omitempty"`
	Newest       *time.Time `json:"newest,omitempty"`
	Expired      int64      `json:"expired"`
	ExpiredFirst *time.Time `json:"expired_oldest,omitempty"`
	ExpiredLast  *time.Time `json:"expired_newest,omitempty"`
}

// SessionReport is the sessions: all, and those past the period.
type SessionReport struct {
	Count        int64      `json:"count"`
	Oldest       *time.Time `json:"oldest,omitempty"`
	Newest       *time.Time `json:"newest,omitempty"`
	Expired      int64      `json:"expired"`
	ExpiredFirst *time.Time `json:"expired_oldest,omitempty"`
	ExpiredLast  *time.Time `json:"expired_newest,omitempty"`
	// ActiveKept are sessions past the period whose recorder still runs:
	// kept until they end.
	ActiveKept int64 `json:"active_kept,omitempty"`
	// Recordings and RecordingBytes are the expired sessions' recording
	// files found on disk.
	Recordings     int   `json:"recordings"`
	RecordingBytes int64 `json:"recording_bytes"`
	// Removable are those in auditctl's recordings directory (deleted with
	// their session); the others (registered by sessions import from
	// elsewhere) are the user's files and are left in place.
	Removable    int `json:"recordings_removable"`
	LeftInPlace  int `json:"recordings_left_in_place,omitempty"`
	MissingFiles int `json:"recordings_missing,omitempty"`
}

// ArchiveReport names the archive files written.
type ArchiveReport struct {
	Events         string `json:"events,omitempty"`
	EventCount     int64  `json:"event_count"`
	Sessions       string `json:"sessions,omitempty"`
	SessionCount   int    `json:"session_count"`
	RecordingCount int    `json:"recording_count"`
}

// Row is one line of a report in the table, CSV and NDJSON forms: a
// source's events, or the sessions.
type Row struct {
	Kind          string     `json:"kind"`
	Source        string     `json:"source,omitempty"`
	Count         int64      `json:"count"`
	Oldest        *time.Time `json:"oldest,omitempty"`
	Newest        *time.Time `json:"newest,omitempty"`
	Expired       int64      `json:"expired"`
	ExpiredOldest *time.Time `json:"expired_oldest,omitempty"`
	ExpiredNewest *time.Time `json:"expired_newest,omitempty"`
	Bytes         *int64     `json:"recording_bytes,omitempty"`
	Deleted       bool       `json:"deleted"`
}

// Rows are the report's rows: one per source, then the sessions.
func (rep *Report) Rows() []Row {
	var out []Row
	for _, s := range rep.Events {
		out = append(out, Row{Kind: "events", Source: s.Source, Count: s.Count, Oldest: s.Oldest, Newest: s.Newest,
			Expired: s.Expired, ExpiredOldest: s.ExpiredFirst, ExpiredNewest: s.ExpiredLast, Deleted: rep.Applied})
	}
	ss := rep.Sessions
	b := ss.RecordingBytes
	out = append(out, Row{Kind: "sessions", Count: ss.Count, Oldest: ss.Oldest, Newest: ss.Newest,
		Expired: ss.Expired, ExpiredOldest: ss.ExpiredFirst, ExpiredNewest: ss.ExpiredLast, Bytes: &b, Deleted: rep.Applied})
	return out
}

func tp(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// Plan reports what the cache holds and what opts.Policy would delete,
// changing nothing.
func Plan(ctx context.Context, db *sqlite.DB, opts Options) (*Report, []*session.Session, error) {
	r, logsBefore := newReport(opts)
	sessBefore := r.Policy.SessionsBefore
	if err := planEvents(ctx, db, r, logsBefore); err != nil {
		return nil, nil, err
	}
	own := newOwnFiles(db.Path())
	expired, err := planSessions(ctx, db, r, sessBefore, own.contains)
	if err != nil {
		return nil, nil, err
	}
	if r.PendingRemoval, err = db.PendingTrash(ctx); err != nil {
		return nil, nil, err
	}
	return r, expired, nil
}

// sessionSource is what planSessions reads: the cache, or a team store.
type sessionSource interface {
	SessionSpans(ctx context.Context, before time.Time) (store.SessionSpan, error)
	ExpiredSessions(ctx context.Context, before time.Time) ([]*session.Session, error)
}

// planSessions fills in the report's sessions and returns the expired
// ones: own says which recording files are auditctl's to remove (the
// others are left in place).
func planSessions(ctx context.Context, db sessionSource, r *Report, sessBefore time.Time, own func(string) bool) ([]*session.Session, error) {
	ss, err := db.SessionSpans(ctx, sessBefore)
	if err != nil {
		return nil, err
	}
	r.Sessions = SessionReport{Count: ss.All.Count, Oldest: tp(ss.All.Oldest), Newest: tp(ss.All.Newest),
		ActiveKept: ss.Active}
	expired, err := db.ExpiredSessions(ctx, sessBefore)
	if err != nil {
		return nil, err
	}
	r.Sessions.Expired = int64(len(expired))
	if len(expired) > 0 {
		r.Sessions.ExpiredFirst, r.Sessions.ExpiredLast = tp(expired[0].Start), tp(expired[len(expired)-1].Start)
	}
	seen := map[string]bool{}
	for _, s := range expired {
		p := s.RecordingPath
		if p == "" || seen[p] {
			continue
		}
		seen[p] = true
		st, err := os.Stat(p)
		if err != nil || !st.Mode().IsRegular() {
			r.Sessions.MissingFiles++
			continue
		}
		r.Sessions.Recordings++
		r.Sessions.RecordingBytes += st.Size()
		if own(p) {
			r.Sessions.Removable++
		} else {
			r.Sessions.LeftInPlace++
		}
	}
	return expired, nil
}

// planEvents fills in the report's events: per source, what the store
// holds and what is before logsBefore.
func planEvents(ctx context.Context, db interface {
	EventSpans(context.Context, time.Time) ([]store.SourceSpan, error)
}, r *Report, logsBefore time.Time) error {
	spans, err := db.EventSpans(ctx, logsBefore)
	if err != nil {
		return err
	}
	r.Events = []SourceReport{}
	for _, s := range spans {
		r.Events = append(r.Events, SourceReport{
			Source: s.Source, Count: s.All.Count, Oldest: tp(s.All.Oldest), Newest: tp(s.All.Newest),
			Expired: s.Expired.Count, ExpiredFirst: tp(s.Expired.Oldest), ExpiredLast: tp(s.Expired.Newest),
		})
	}
	return nil
}

func newReport(opts Options) (*Report, time.Time) {
	logsBefore, sessBefore := opts.Policy.Cutoffs(opts.Now)
	return &Report{DryRun: opts.DryRun, Policy: ReportPolicy{
		Logs: opts.Policy.Logs, Sessions: opts.Policy.Sessions, LogsBefore: logsBefore, SessionsBefore: sessBefore,
	}}, logsBefore
}

// Apply deletes what the policy says, archiving it first when
// opts.ArchiveDir is set; with opts.DryRun it is Plan. It first finishes
// what an interrupted earlier run left (recording files journaled for
// removal).
func Apply(ctx context.Context, db *sqlite.DB, opts Options) (*Report, error) {
	own := newOwnFiles(db.Path())
	if !opts.DryRun {
		if removed, _, err := db.FinishTrash(ctx, own.remove); err != nil {
			return nil, err
		} else if len(removed) > 0 {
			opts.notice("removed %d recording files of sessions deleted by an interrupted run", len(removed))
		}
	}
	r, expired, err := Plan(ctx, db, opts)
	if err != nil || opts.DryRun {
		return r, err
	}
	logsBefore, sessBefore := opts.Policy.Cutoffs(opts.Now)
	var expiredEvents int64
	for _, s := range r.Events {
		expiredEvents += s.Expired
	}
	if err := archiveFirst(ctx, db, opts, r, logsBefore, expired, expiredEvents > 0 || len(expired) > 0); err != nil {
		return nil, err
	}
	// The archive (when asked for) is complete and on disk. One short
	// transaction hides the expired events from every reader and deletes
	// the expired sessions' rows, journaling their recording files; the
	// hidden events' rows are then deleted in slices (a run killed among
	// them leaves them hidden, and the next writer deletes them:
	// sqlite.DB.DeleteEventsWith). Then the journaled files go.
	if expiredEvents > 0 || len(expired) > 0 {
		ids := make([]string, len(expired))
		for i, s := range expired {
			ids[i] = s.ID
		}
		var nSess int64
		_, err := db.DeleteEventsWith(ctx, audit.Filter{Until: logsBefore}, func(c *sql.Conn, n int64) error {
			if r.Archive != nil && n != r.Archive.EventCount {
				// Only an import of events older than the cutoff since the
				// archive was written can do this: roll back.
				return audit.Errorf(audit.ELOCAL, "%d events are older than %s now, but %d were archived: events were imported meanwhile; nothing was deleted (run it again)",
					n, audit.FormatTime(logsBefore), r.Archive.EventCount)
			}
			var err error
			nSess, _, err = db.DeleteSessionsIn(ctx, c, ids, sessBefore, own.contains)
			if err == nil {
				failpoint("in-transaction")
			}
			return err
		})
		if err != nil {
			return nil, err
		}
		r.Sessions.Expired = nSess
		failpoint("deleted")
		if _, _, err := db.FinishTrash(ctx, own.remove); err != nil {
			return nil, err
		}
	}
	r.Applied = true
	r.PendingRemoval, err = db.PendingTrash(ctx)
	return r, err
}

// archiveFirst writes the archive when opts asks for one and there is
// something to archive (into r), then passes the "archived" point: what
// comes next deletes.
func archiveFirst(ctx context.Context, db archiveSource, opts Options, r *Report, logsBefore time.Time, expired []*session.Session, some bool) error {
	if opts.ArchiveDir != "" && some {
		a, err := writeArchive(ctx, db, opts, logsBefore, expired)
		if err != nil {
			return err
		}
		r.Archive = a
	}
	failpoint("archived")
	if afterArchive != nil {
		afterArchive()
	}
	return nil
}

// afterArchive, in tests, runs between the archive and the deletion.
var afterArchive func()

// failpoint stops Apply at a named point for the kill tests
// (failpoint.Env: archived, in-transaction: before the commit of the
// deletion, deleted: after it, before the files' removal; on a PostgreSQL
// store also the steps of postgres.DB.DeleteExpired: pg-NAME).
func failpoint(name string) { fp.Stop(name) }

// ownFiles decides which recording files are auditctl's to delete: those
// inside the cache's recordings directory (sqlite.RecordingsDir), the
// directory's real path compared with the file's directory's real path (a
// symbolic link cannot lead a removal elsewhere). A path taken from a
// cache row outside it (a recording registered where it lay, a crafted
// row) is never removed.
type ownFiles struct{ dir string }

func newOwnFiles(dbPath string) ownFiles { return ownFiles{dir: sqlite.RecordingsDir(dbPath)} }

// real returns the directory that holds p, resolved, and p's name in it.
func (o ownFiles) real(p string) (dir, name string, ok bool) {
	if !filepath.IsAbs(p) {
		return "", "", false
	}
	root, err := filepath.EvalSymlinks(o.dir)
	if err != nil {
		return "", "", false
	}
	d, err := filepath.EvalSymlinks(filepath.Dir(p))
	if err != nil {
		return "", "", false
	}
	rel, err := filepath.Rel(root, d)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", "", false
	}
	return d, filepath.Base(p), true
}

func (o ownFiles) contains(p string) bool {
	_, _, ok := o.real(p)
	return ok
}

// remove deletes p when it is auditctl's and reports whether p is gone (a
// file already gone counts); one that is not auditctl's is left in place.
func (o ownFiles) remove(p string) (bool, error) {
	d, name, ok := o.real(p)
	if !ok {
		if _, err := os.Lstat(p); errors.Is(err, fs.ErrNotExist) {
			return true, nil
		}
		return false, nil
	}
	full := filepath.Join(d, name)
	// Its seek index (the player's cache) holds its screens: it goes first,
	// while the file it is named after is still there. Best effort: a file
	// that cannot be read has no index to find, and the cache's own limit
	// removes what stays.
	_ = seek.Forget(full, seek.Options{})
	err := os.Remove(full)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return false, fmt.Errorf("remove recording: %w", err)
	}
	return true, nil
}

// Team is a PostgreSQL team store (postgres.DB): events deleted by
// partition, sessions by row; a session's recording file is never removed
// (a team store registers recordings where they lie: the user's files).
type Team interface {
	archiveSource
	sessionSource
	EventSpans(ctx context.Context, before time.Time) ([]store.SourceSpan, error)
	CheckAdmin(ctx context.Context) error
	DeleteExpired(ctx context.Context, x postgres.Expired) (*postgres.Deletion, error)
}

// notOwn: no recording file is auditctl's to remove on a team store.
func notOwn(string) bool { return false }

// PlanTeam is Plan over a team store.
func PlanTeam(ctx context.Context, db Team, opts Options) (*Report, []*session.Session, error) {
	r, logsBefore := newReport(opts)
	if err := planEvents(ctx, db, r, logsBefore); err != nil {
		return nil, nil, err
	}
	expired, err := planSessions(ctx, db, r, r.Policy.SessionsBefore, notOwn)
	if err != nil {
		return nil, nil, err
	}
	return r, expired, nil
}

// ApplyTeam is Apply over a team store: the role is checked first (the
// admin role only: exit 4 for any other, before any archive is written),
// then the archive, the same as the cache's, then one transaction deletes
// the events before the cutoff (whole months by DETACH and DROP
// PARTITION, the edge month's rows by DELETE) and the expired sessions'
// rows, and signs a checkpoint (postgres.DB.DeleteExpired).
func ApplyTeam(ctx context.Context, db Team, opts Options) (*Report, error) {
	if !opts.DryRun {
		if err := db.CheckAdmin(ctx); err != nil {
			return nil, err
		}
	}
	r, expired, err := PlanTeam(ctx, db, opts)
	if err != nil || opts.DryRun {
		return r, err
	}
	logsBefore := r.Policy.LogsBefore
	var expiredEvents int64
	for _, s := range r.Events {
		expiredEvents += s.Expired
	}
	if expiredEvents == 0 && len(expired) == 0 {
		r.Applied = true
		return r, nil
	}
	if err := archiveFirst(ctx, db, opts, r, logsBefore, expired, true); err != nil {
		return nil, err
	}
	ids := make([]string, len(expired))
	for i, s := range expired {
		ids[i] = s.ID
	}
	del, err := db.DeleteExpired(ctx, postgres.Expired{
		EventsBefore: logsBefore, Sessions: ids, SessionsBefore: r.Policy.SessionsBefore,
		Reason: "retention: events before " + audit.FormatTime(logsBefore),
		InTx: func(n int64) error {
			if r.Archive != nil && n != r.Archive.EventCount {
				return audit.Errorf(audit.ELOCAL, "%d events are older than %s now, but %d were archived: events were imported meanwhile; nothing was deleted (run it again)",
					n, audit.FormatTime(logsBefore), r.Archive.EventCount)
			}
			failpoint("in-transaction")
			return nil
		}})
	if err != nil {
		return nil, err
	}
	failpoint("deleted")
	r.Sessions.Expired = del.Sessions
	r.Dropped, r.EdgeMonth = del.Dropped, del.Edge
	r.Applied = true
	return r, nil
}
