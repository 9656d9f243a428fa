// Package list implements `auditctl sessions list`.
package list

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/MakeNowJust/heredoc"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/cmd/sessions/shared"
	"github.com/auditctl/auditctl/pkg/cmdutil"
	"github.com/auditctl/auditctl/pkg/output"
	"github.com/auditctl/auditctl/pkg/session"
	"github.com/auditctl/auditctl/pkg/store/sqlite"
)

// Options are the flags and dependencies of `sessions list`.
type Options struct {
	IO     *cmdutil.IOStreams
	Store  func(ctx context.Context) (session.Store, error)
	Now    func() time.Time
	Output string
	Table  cmdutil.TableFlags
	Quiet  bool

	FilterFlags
	Limit, Page int
	All         bool   // accepted for consistency: there is no default window
	JQ          string // --jq
	// Refresh marks sessions whose recorder died as stale before listing.
	Refresh func(ctx context.Context, store session.Store) error
}

// Refresh brings Session History up to date before it is read: the rows
// recorders left in the spool (the cache was busy) are registered when the
// cache is free now, and sessions whose recorder died are marked stale.
// `sessions list` and the console's sessions view run it.
//
// Over a PostgreSQL store it does nothing: whether a recorder still runs
// is known only on the machine it runs on (its lock file), and a team
// store's readers may not change rows (docs/postgres.md, "Sessions").
func Refresh(ctx context.Context, store session.Store) error {
	db, ok := store.(*sqlite.DB)
	if !ok {
		return nil
	}
	_ = db.DrainSpool(ctx)
	return shared.MarkStale(ctx, db)
}

// NewCmdList builds the command.
func NewCmdList(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, Now: f.Now, Store: func(ctx context.Context) (session.Store, error) { return f.Store(ctx) },
		Refresh: Refresh}
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List recorded and active sessions (Session History)",
		Long: heredoc.Doc(`
			List the privileged access sessions in the cache, newest first:
			who connected to which resource, when, through which connector and
			credential, for how long, how the session ended and whether it has a
			recording. Sessions get into the cache with 'sessions record' and
			'sessions import'. A table ends with "Page X of Y (Z total)"; other
			formats say on stderr when a page holds fewer sessions than match
			("10 of 30 sessions shown (page 1 of 3): …"). An empty result for a
			--user, --connector, --resource, --server-os or --protocol value no
			session has names the closest stored values on stderr ("no session
			has user "nina"; did you mean nina.kowalski@example.com? …"). No
			notice with --quiet. A --page past the last page is a usage error
			(exit 2).

			Filters (all combine; repeatable flags match any of their values,
			and take a comma-separated list as -q does: --user alice,bob; quote
			a value that holds a comma; * is a wildcard; text matches ignore
			case):
			  --since/--until      start time window (2026-11-01, 7d, 2h ago...)
			  --user               user name or email
			  --connector, --category server|database|website, --resource,
			  --resource-id, --session-id, --server-os, --protocol,
			  --connected-from web|proxy, --status active|completed|terminated|stale
			  --has-recording yes|no
			  --min-duration/--max-duration HH:MM (or a duration: 90s, 1h30m)
			  --search TEXT        name, email, account, server name, host,
			                       client IP or client name containing TEXT
			  --active             running sessions only (user, resource,
			                       credential, start, connector)
		`),
		Example: heredoc.Doc(`
			auditctl sessions list
			auditctl sessions list --active
			auditctl sessions list --user alice@example.com --category database --since 30d
			auditctl sessions list --min-duration 00:05 --max-duration 01:30 --has-recording yes
			auditctl sessions list --search 203.0.113.7 -o json
			auditctl sessions list --all --category database --jq '.[].id'
		`),
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Output = f.Output
			opts.Quiet = f.Quiet
			if runF != nil {
				return runF(opts)
			}
			return run(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	opts.FilterFlags.Add(fl)
	fl.BoolVar(&opts.Active, "active", false, "running sessions only")
	fl.BoolVar(&opts.All, "all", false, "all sessions (the default here: sessions list has no default time window; --since/--until still apply)")
	shared.AddJQ(fl, &opts.JQ)
	fl.IntVar(&opts.Limit, "limit", 50, "sessions per page")
	fl.IntVar(&opts.Page, "page", 1, "page number")
	cmdutil.AddTableFlags(cmd, &opts.Table, Columns)
	return cmd
}

// FilterFlags are the filters of Session History (seeds 000 and 002):
// the flags of `sessions list`, and the fields of the console's sessions
// filter panel (auditctl tui), which sets them by name through the same
// flag set (Add) and reads them with Filter.
type FilterFlags struct {
	Since, Until             string
	Connector, Users         []string
	HasRecording             string
	Category, Resource       []string
	ResourceID, SessionID    []string
	MinDuration, MaxDuration string
	ServerOS, Protocol, From []string
	Status                   []string
	Active                   bool
	Search                   string
}

// Add defines the filter flags on fl, in the order the console's panel
// shows them (--active is the command's alone: the panel has --status).
func (ff *FilterFlags) Add(fl *pflag.FlagSet) {
	fl.StringVar(&ff.Since, "since", "", "sessions that started at or after this time")
	fl.StringVar(&ff.Until, "until", "", "sessions that started before this time")
	fl.StringArrayVar(&ff.Users, "user", nil, "user name or email")
	fl.StringArrayVar(&ff.Connector, "connector", nil, "connector that brokered the session")
	fl.StringVar(&ff.HasRecording, "has-recording", "", "yes, no or all")
	fl.StringArrayVar(&ff.Category, "category", nil, "server, database or website")
	fl.StringArrayVar(&ff.Resource, "resource", nil, "resource name")
	fl.StringArrayVar(&ff.ResourceID, "resource-id", nil, "resource id")
	fl.StringArrayVar(&ff.SessionID, "session-id", nil, "session id")
	fl.StringVar(&ff.MinDuration, "min-duration", "", "shortest duration, HH:MM")
	fl.StringVar(&ff.MaxDuration, "max-duration", "", "longest duration, HH:MM")
	fl.StringArrayVar(&ff.ServerOS, "server-os", nil, "operating system of the server")
	fl.StringArrayVar(&ff.Protocol, "protocol", nil, "protocol (ssh, rdp, https, postgres...)")
	fl.StringArrayVar(&ff.From, "connected-from", nil, "web or proxy")
	fl.StringArrayVar(&ff.Status, "status", nil, "active, completed, terminated or stale")
	fl.StringVar(&ff.Search, "search", "", "text in name, email, account, server name, host, client IP or client name")
}

func (opts *Options) filter() (session.Filter, error) { return opts.FilterFlags.Filter(opts.Now()) }

// Filter reads the flags into a session filter; relative times count back
// from now. Its errors are usage errors naming the flag.
func (ff *FilterFlags) Filter(now time.Time) (session.Filter, error) {
	var f session.Filter
	var err error
	if ff.Since != "" {
		if f.Since, err = audit.ParseTimeArg(ff.Since, now); err != nil {
			return f, err
		}
	}
	if ff.Until != "" {
		if f.Until, err = audit.ParseTimeArg(ff.Until, now); err != nil {
			return f, err
		}
	}
	if f.MinDuration, err = session.ParseDuration("--min-duration", ff.MinDuration); err != nil {
		return f, err
	}
	if f.MaxDuration, err = session.ParseDuration("--max-duration", ff.MaxDuration); err != nil {
		return f, err
	}
	if f.MaxDuration > 0 && f.MinDuration > f.MaxDuration {
		return f, audit.Errorf(audit.EUSAGE, "--min-duration is longer than --max-duration")
	}
	var ok bool
	if f.HasRecording, ok = session.ParseHasRecording(ff.HasRecording); !ok {
		return f, audit.Errorf(audit.EUSAGE, "--has-recording %q: want yes, no or all", ff.HasRecording)
	}
	// Each value flag takes the query language's value syntax, as the
	// event filter flags do: --user alice,bob is two users.
	lists := []struct {
		flag string
		in   []string
		out  *[]string
	}{
		{"connector", ff.Connector, &f.Connector}, {"user", ff.Users, &f.Users},
		{"resource", ff.Resource, &f.ResourceName}, {"resource-id", ff.ResourceID, &f.ResourceID},
		{"session-id", ff.SessionID, &f.SessionID}, {"server-os", ff.ServerOS, &f.ServerOS},
		{"protocol", ff.Protocol, &f.Protocol}, {"connected-from", ff.From, &f.ConnectedFrom},
	}
	for _, l := range lists {
		if *l.out, err = splitAll(l.flag, l.in); err != nil {
			return f, err
		}
	}
	categories, err := splitAll("category", ff.Category)
	if err != nil {
		return f, err
	}
	statuses, err := splitAll("status", ff.Status)
	if err != nil {
		return f, err
	}
	for _, v := range categories {
		c, err := session.ParseCategory(v)
		if err != nil || c == "" {
			return f, audit.Errorf(audit.EUSAGE, "--category %q: want server, database or website", v)
		}
		f.Category = append(f.Category, c)
	}
	for _, v := range statuses {
		st, err := session.ParseStatus(v)
		if err != nil {
			return f, err
		}
		f.Status = append(f.Status, st)
	}
	if ff.Active {
		f.Status = append(f.Status, session.StatusActive)
	}
	f.Search = ff.Search
	return f, nil
}

// splitAll reads every value of a repeatable flag as a value list.
func splitAll(flag string, in []string) ([]string, error) {
	var out []string
	for _, v := range in {
		vs, err := cmdutil.ParseFlagValues(flag, "", v)
		if err != nil {
			return nil, err
		}
		out = append(out, vs...)
	}
	return out, nil
}

func run(ctx context.Context, opts *Options) error {
	format, err := output.ResolveFormat(opts.Output, opts.IO.IsStdoutTTY())
	if err != nil {
		return err
	}
	if opts.Limit < 1 || opts.Limit > 100000 || opts.Page < 1 {
		return audit.Errorf(audit.EUSAGE, "--limit must be 1-100000 and --page at least 1")
	}
	f, err := opts.filter()
	if err != nil {
		return err
	}
	oo, err := opts.Table.Options(opts.IO)
	if err != nil {
		return err
	}
	store, err := opts.Store(ctx)
	if err != nil {
		return err
	}
	if opts.Refresh != nil {
		if err := opts.Refresh(ctx, store); err != nil {
			return err
		}
	}
	rows, total, err := store.FindSessions(ctx, f, session.Page{Limit: opts.Limit, Offset: (opts.Page - 1) * opts.Limit})
	if err != nil {
		return err
	}
	if err := audit.CheckPage(opts.Page, total, opts.Limit); err != nil {
		return err
	}
	if opts.JQ != "" {
		if rows == nil {
			rows = []*session.Session{}
		}
		if err := shared.WriteJQ(opts.IO, opts.JQ, rows); err != nil {
			return err
		}
		cmdutil.Notices{IO: opts.IO, Quiet: opts.Quiet}.Page("sessions", len(rows), total, opts.Page, opts.Limit, false, "")
		return nil
	}
	rec := output.SessionRecords(rows, oo)
	if opts.Active && len(opts.Table.Columns) == 0 {
		// A live session has no end, duration or recording yet.
		for i := range rec.Table {
			switch rec.Columns[i] {
			case "start", "user", "resource", "account", "connector", "id":
			default:
				rec.Table[i].Extra = true
			}
		}
	}
	err = output.WriteRecords(opts.IO.Out, format, rec, oo)
	if err != nil {
		return err
	}
	notices := cmdutil.Notices{IO: opts.IO, Quiet: opts.Quiet}
	if total == 0 {
		suggest(ctx, notices, store, f)
	}
	if format == output.FormatTable {
		pages := (total + opts.Limit - 1) / opts.Limit
		_, err = fmt.Fprintln(opts.IO.Out, output.PageFooter(opts.Page, pages, total))
		return err
	}
	notices.Page("sessions", len(rows), total, opts.Page, opts.Limit, false, "")
	return nil
}

// suggest names, for each exact value of a text flag that no session has,
// the closest values the sessions hold (cmdutil.Notices.Values). Sessions
// are few next to events: it reads them all, once, on an empty result.
func suggest(ctx context.Context, n cmdutil.Notices, store session.Store, f session.Filter) {
	flags := []struct {
		name  string
		typed []string
		get   func(*session.Session) []string
	}{
		{"user", f.Users, func(s *session.Session) []string { return []string{s.UserEmail, s.UserName} }},
		{"connector", f.Connector, func(s *session.Session) []string { return []string{s.Connector} }},
		{"resource", f.ResourceName, func(s *session.Session) []string { return []string{s.ResourceName} }},
		{"server-os", f.ServerOS, func(s *session.Session) []string { return []string{s.ServerOS} }},
		{"protocol", f.Protocol, func(s *session.Session) []string { return []string{s.Protocol} }},
	}
	if n.Quiet || len(f.Users)+len(f.Connector)+len(f.ResourceName)+len(f.ServerOS)+len(f.Protocol) == 0 {
		return
	}
	all, _, err := store.FindSessions(ctx, session.Filter{}, session.Page{Limit: 100000})
	if err != nil {
		return
	}
	for _, fl := range flags {
		if len(fl.typed) == 0 {
			continue
		}
		count := map[string]int{}
		for _, s := range all {
			for _, v := range fl.get(s) {
				if v != "" {
					count[v]++
				}
			}
		}
		stored := make([]string, 0, len(count))
		for v := range count {
			stored = append(stored, v)
		}
		slices.SortFunc(stored, func(a, b string) int { return cmp.Or(cmp.Compare(count[b], count[a]), cmp.Compare(a, b)) })
		n.Values("session", fl.name, fl.typed, stored)
	}
}

// Columns are the columns of the sessions table, in order.
var Columns = output.SessionColumns
