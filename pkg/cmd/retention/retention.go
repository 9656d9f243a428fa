// Package retention implements `auditctl retention apply` and `auditctl
// retention status` over pkg/retention.
package retention

import (
	"context"
	"strconv"
	"time"

	"github.com/MakeNowJust/heredoc"
	"github.com/spf13/cobra"

	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/cmdutil"
	"github.com/auditctl/auditctl/pkg/output"
	"github.com/auditctl/auditctl/pkg/retention"
	"github.com/auditctl/auditctl/pkg/sanitize"
	"github.com/auditctl/auditctl/pkg/store"
	"github.com/auditctl/auditctl/pkg/store/sqlite"
)

// NewCmdRetention builds `auditctl retention`.
func NewCmdRetention(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "retention <command>",
		Short: "Delete events and sessions past their retention period",
		Long: heredoc.Doc(`
			Keep the cache to a retention policy: events older than the logs period
			and sessions (with their recording files) older than the sessions period
			are deleted, archived first when asked.

			The default periods are the seeds': 90 days of audit logs ("Entries
			older than 90 days are automatically removed") and 1 year of session
			recordings ("available for up to 12 months from the date of the
			session"). The config file sets others (retention: {logs: 90d,
			sessions: 1y}); --logs and --sessions override both.
		`),
		Example: heredoc.Doc(`
			auditctl retention status
			auditctl retention apply --dry-run
			auditctl retention apply --archive /var/backups/auditctl
			auditctl retention apply --logs 30d --sessions 180d --archive ./archive --compress zstd
		`),
	}
	cmd.AddCommand(NewCmdApply(f, nil))
	cmd.AddCommand(NewCmdStatus(f, nil))
	return cmd
}

// Options are the flags and dependencies of both commands.
type Options struct {
	IO *cmdutil.IOStreams
	DB func(ctx context.Context) (*sqlite.DB, error)
	// Team opens the PostgreSQL store when --db names one (false: a cache).
	Team   func(ctx context.Context) (retention.Team, bool, error)
	Now    func() time.Time
	Config func() (logs, sessions string, err error)
	Output string
	Quiet  bool
	Table  cmdutil.TableFlags

	Logs, Sessions string
	DryRun         bool
	Archive        string
	Compress       string
	status         bool
}

var columns = []string{"kind", "source", "count", "oldest", "newest", "expired", "expired_oldest", "expired_newest", "recording_bytes"}

func newOptions(f *cmdutil.Factory) *Options {
	return &Options{IO: f.IOStreams, DB: f.DB, Now: f.Now, Config: configPeriods(f),
		Team: func(ctx context.Context) (retention.Team, bool, error) {
			p, err := f.ResolveDBPath()
			if err != nil || !store.IsURL(p) {
				return nil, false, err
			}
			s, err := f.Store(ctx)
			if err != nil {
				return nil, true, err
			}
			t, ok := s.(retention.Team)
			if !ok {
				return nil, true, audit.Errorf(audit.EINTERNAL, "the store %T cannot apply retention", s)
			}
			return t, true, nil
		}}
}

func addPolicyFlags(cmd *cobra.Command, opts *Options) {
	cmd.Flags().StringVar(&opts.Logs, "logs", "", "keep events this long: 90d, 12w, 1y, 36h (default: config retention.logs, else 90d)")
	cmd.Flags().StringVar(&opts.Sessions, "sessions", "", "keep sessions and their recordings this long (default: config retention.sessions, else 1y)")
	cmdutil.AddTableFlags(cmd, &opts.Table, columns)
}

// NewCmdApply builds `auditctl retention apply`.
func NewCmdApply(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := newOptions(f)
	cmd := &cobra.Command{
		Use:   "apply",
		Short: "Delete (optionally archiving) what is past the retention period",
		Long: heredoc.Doc(`
			Delete the events older than the logs period (default 90 days) and the
			sessions that started before the sessions period (default 1 year), with
			their recording files. Sessions still active are kept until they end.

			With --archive DIR the events are first written to
			DIR/auditctl-events-TIME.ndjson.gz (the NDJSON of 'logs export -o
			ndjson', compressed; 'auditctl import' reads it back) and the sessions
			to DIR/auditctl-sessions-TIME.tar.gz (sessions.ndjson, the session rows,
			and recordings/ID/FILE); --compress zstd writes .zst instead. Each file
			is complete and synced to disk before anything is deleted.

			An interrupted run (Ctrl-C, a kill, a crash) leaves the cache as it was
			or as the run leaves it, never half: one transaction hides the events
			and deletes the session rows, noting their recording files; the files go
			after it commits, and a file a killed run could not remove is removed by
			the next run. If events past the period were imported while the archive
			was written, the run stops with nothing deleted (exit 5): run it again. Recording files are deleted only in
			the cache's own recordings directory (where 'sessions record' and 'demo'
			write); a recording registered by 'sessions import' from elsewhere is
			your file and stays where it is (the archive holds a copy).

			On a PostgreSQL store (--db postgres://…) only the admin role may apply
			retention (any other role: exit 4, before anything is written): the
			months wholly before the cutoff go by DETACH and DROP PARTITION, the
			older rows of the month the cutoff falls in by DELETE, with their row
			hashes and a signed checkpoint, all in one transaction (a killed run
			leaves every month all there or all gone). The archive is the same.
			Expired sessions' rows go in the same transaction; their recording
			files, registered where they lay, are the user's and stay.

			The report (stdout) has a row per event source and one for sessions:
			COUNT is what the cache held, DELETED what went. --dry-run reports what
			would go and changes nothing. stderr says where the archive went and
			what was deleted (--quiet silences it).
		`),
		Example: heredoc.Doc(`
			auditctl retention apply --dry-run
			auditctl retention apply --archive ./archive
			auditctl retention apply --logs 30d --sessions 180d -o json
			auditctl import ./archive/auditctl-events-20261122T120000Z.ndjson.gz   # bring an archive back
		`),
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Output, opts.Quiet = f.Output, f.Quiet
			if runF != nil {
				return runF(opts)
			}
			return run(cmd.Context(), opts)
		},
	}
	addPolicyFlags(cmd, opts)
	cmd.Flags().BoolVar(&opts.DryRun, "dry-run", false, "report what would be deleted; change nothing")
	cmd.Flags().StringVar(&opts.Archive, "archive", "", "archive what is deleted into this directory first (created 0700 if missing)")
	cmd.Flags().StringVar(&opts.Compress, "compress", "gzip", "archive compression: gzip or zstd")
	_ = cmd.RegisterFlagCompletionFunc("compress", cobra.FixedCompletions(retention.Compressions, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.MarkFlagDirname("archive")
	return cmd
}

// NewCmdStatus builds `auditctl retention status`.
func NewCmdStatus(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := newOptions(f)
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show the oldest data per source and what the policy would delete",
		Long: heredoc.Doc(`
			Show, per event source and for sessions, how much the cache holds, the
			oldest and newest, and what the retention policy (--logs, --sessions,
			the config file, else 90 days and 1 year) would delete: EXPIRED is the
			count past the period, with its oldest and newest. Nothing is changed.

			When an interrupted 'retention apply' left recording files of deleted
			sessions behind, stderr says how many (the next apply removes them).
		`),
		Example: heredoc.Doc(`
			auditctl retention status
			auditctl retention status --logs 30d -o json
		`),
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Output, opts.Quiet, opts.status = f.Output, f.Quiet, true
			if runF != nil {
				return runF(opts)
			}
			return run(cmd.Context(), opts)
		},
	}
	addPolicyFlags(cmd, opts)
	return cmd
}

func (opts *Options) notice(format string, args ...any) {
	cmdutil.Notices{IO: opts.IO, Quiet: opts.Quiet}.Printf(format, args...)
}

// policy is the flags over the config file over the defaults.
func (opts *Options) policy() (retention.Policy, error) {
	logs, sessions := opts.Logs, opts.Sessions
	fromLogs, fromSessions := "--logs", "--sessions"
	if opts.Config != nil && (logs == "" || sessions == "") {
		cl, cs, err := opts.Config()
		if err != nil {
			return retention.Policy{}, err
		}
		if logs == "" && cl != "" {
			logs, fromLogs = cl, "config retention.logs"
		}
		if sessions == "" && cs != "" {
			sessions, fromSessions = cs, "config retention.sessions"
		}
	}
	return retention.NewPolicy(logs, sessions, fromLogs, fromSessions)
}

func run(ctx context.Context, opts *Options) error {
	format, err := output.ResolveFormat(opts.Output, opts.IO.IsStdoutTTY())
	if err != nil {
		return err
	}
	oo, err := opts.Table.Options(opts.IO)
	if err != nil {
		return err
	}
	rows := records(nil, false, oo)
	if err := rows.ValidateColumns(oo); err != nil {
		return err
	}
	pol, err := opts.policy()
	if err != nil {
		return err
	}
	if opts.Archive != "" && opts.DryRun {
		return audit.Errorf(audit.EUSAGE, "--archive with --dry-run: a dry run writes nothing")
	}
	ro := retention.Options{Policy: pol, Now: opts.Now(), DryRun: opts.DryRun || opts.status,
		ArchiveDir: opts.Archive, Compression: opts.Compress,
		Notice: func(format string, args ...any) { opts.notice(format, args...) }}
	var rep *retention.Report
	team, isTeam, err := opts.Team(ctx)
	switch {
	case err != nil:
		return err
	case isTeam && opts.status:
		rep, _, err = retention.PlanTeam(ctx, team, ro)
	case isTeam:
		rep, err = retention.ApplyTeam(ctx, team, ro)
	default:
		db, err := opts.DB(ctx)
		if err != nil {
			return err
		}
		if opts.status {
			rep, _, err = retention.Plan(ctx, db, ro)
		} else {
			rep, err = retention.Apply(ctx, db, ro)
		}
		if err != nil {
			return err
		}
	}
	if err != nil {
		return err
	}
	if err := writeReport(opts, format, rep, oo); err != nil {
		return err
	}
	summarize(opts, rep)
	return nil
}

// summarize says on stderr what the run did.
func summarize(opts *Options, rep *retention.Report) {
	var events int64
	for _, s := range rep.Events {
		events += s.Expired
	}
	when := func(t time.Time) string { return t.Format(cmdutil.NoticeTimeFormat) }
	switch {
	case opts.status:
	case rep.DryRun:
		opts.notice("dry run: %d events (before %s) and %d sessions (before %s) would be deleted; nothing was changed",
			events, when(rep.Policy.LogsBefore), rep.Sessions.Expired, when(rep.Policy.SessionsBefore))
	default:
		if a := rep.Archive; a != nil {
			if a.Events != "" {
				opts.notice("archived %d events to %s", a.EventCount, sanitize.String(a.Events))
			}
			if a.Sessions != "" {
				opts.notice("archived %d sessions (%d recordings) to %s", a.SessionCount, a.RecordingCount, sanitize.String(a.Sessions))
			}
		}
		opts.notice("deleted %d events (before %s) and %d sessions (before %s)",
			events, when(rep.Policy.LogsBefore), rep.Sessions.Expired, when(rep.Policy.SessionsBefore))
		if len(rep.Dropped) > 0 {
			opts.notice("dropped %d monthly partitions whole (%s to %s)", len(rep.Dropped), rep.Dropped[0], rep.Dropped[len(rep.Dropped)-1])
		}
		if rep.EdgeMonth != "" {
			opts.notice("deleted the older rows of the partition %s", rep.EdgeMonth)
		}
	}
	if rep.Sessions.LeftInPlace > 0 {
		opts.notice("%d recording files of expired sessions lie outside the cache's recordings directory (registered by sessions import): left in place", rep.Sessions.LeftInPlace)
	}
	if rep.Sessions.ActiveKept > 0 {
		opts.notice("%d sessions past the period are still active: kept until they end", rep.Sessions.ActiveKept)
	}
	if n := len(rep.PendingRemoval); n > 0 {
		if opts.status || rep.DryRun {
			opts.notice("%d recording files of sessions deleted by an interrupted run wait for removal: the next retention apply removes them", n)
		} else {
			opts.notice("%d recording files of deleted sessions could not be removed: the next retention apply tries again", n)
		}
	}
}

func writeReport(opts *Options, format output.Format, rep *retention.Report, oo output.Options) error {
	switch format {
	case output.FormatJSON:
		return output.WriteJSON(opts.IO.Out, rep)
	case output.FormatYAML:
		return output.WriteRecords(opts.IO.Out, format, output.Records{Len: 1, Item: func(int) any { return rep }}, oo)
	}
	return output.WriteRecords(opts.IO.Out, format, records(rep, rep.Applied, oo), oo)
}

func records(rep *retention.Report, applied bool, oo output.Options) output.Records {
	var rows []retention.Row
	if rep != nil {
		rows = rep.Rows()
	}
	expired := "EXPIRED"
	if applied {
		expired = "DELETED"
	}
	machine := func(t *time.Time) string {
		if t == nil {
			return ""
		}
		return audit.FormatTime(*t)
	}
	loc := oo.Location
	if loc == nil {
		loc = time.UTC
	}
	human := func(t *time.Time) string {
		if t == nil {
			return ""
		}
		return t.In(loc).Format(output.TableTimeFormat)
	}
	cells := func(i int, tf func(*time.Time) string) []string {
		r := rows[i]
		bytes := ""
		if r.Bytes != nil {
			bytes = strconv.FormatInt(*r.Bytes, 10)
		}
		return []string{r.Kind, r.Source, strconv.FormatInt(r.Count, 10), tf(r.Oldest), tf(r.Newest),
			strconv.FormatInt(r.Expired, 10), tf(r.ExpiredOldest), tf(r.ExpiredNewest), bytes}
	}
	return output.Records{
		Columns: columns,
		Table: []output.Column{
			{Kind: output.KindFixed},
			{Kind: output.KindName},
			{Kind: output.KindFixed, Right: true},
			{Kind: output.KindFixed, Zoned: true, Priority: 3},
			{Kind: output.KindFixed, Zoned: true, Priority: 4},
			{Kind: output.KindFixed, Right: true, Header: expired},
			{Kind: output.KindFixed, Zoned: true, Priority: 1, Header: expired + " OLDEST"},
			{Kind: output.KindFixed, Zoned: true, Priority: 2, Header: expired + " NEWEST"},
			{Kind: output.KindFixed, Right: true, Priority: 5, Header: "REC BYTES"},
		},
		Len:      len(rows),
		Row:      func(i int) []string { return cells(i, machine) },
		TableRow: func(i int) []string { return cells(i, human) },
		Item:     func(i int) any { return rows[i] },
	}
}
