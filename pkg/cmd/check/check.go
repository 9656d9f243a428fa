// Package check implements `auditctl check`.
package check

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/MakeNowJust/heredoc"
	"github.com/spf13/cobra"

	"github.com/auditctl/auditctl/pkg/audit"
	synccmd "github.com/auditctl/auditctl/pkg/cmd/sync"
	"github.com/auditctl/auditctl/pkg/cmdutil"
	"github.com/auditctl/auditctl/pkg/output"
	"github.com/auditctl/auditctl/pkg/policy"
	"github.com/auditctl/auditctl/pkg/report"
	"github.com/auditctl/auditctl/pkg/session"
	"github.com/auditctl/auditctl/pkg/source/jumpcloud"
	"github.com/auditctl/auditctl/pkg/store"
	"github.com/auditctl/auditctl/pkg/store/sqlite"
)

// Options are the flags and dependencies of `check`.
type Options struct {
	IO      *cmdutil.IOStreams
	Now     func() time.Time
	Getenv  func(string) string
	Service func(ctx context.Context, remote string) (audit.EventService, error)
	DB      func(ctx context.Context) (*sqlite.DB, error)
	// SyncDB opens the store for --sync, creating it (a fresh CI runner):
	// the cache, or a PostgreSQL team store.
	SyncDB func(ctx context.Context) (store.Store, error)
	Client func() (*jumpcloud.Client, error)
	Orgs   func() []string

	Files      []string
	Since      string
	Until      string
	All        bool
	Severity   string
	JUnit      string
	SARIF      string
	Remote     string
	Sync       string
	AllowEmpty bool
	Output     string
	Table      cmdutil.TableFlags
	Quiet      bool
	Version    string
}

// NewCmdCheck builds the command.
func NewCmdCheck(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, Now: f.Now, Getenv: os.Getenv, Service: f.EventService, DB: f.DB, SyncDB: f.StoreCreate,
		Client: f.JumpCloudClient, Orgs: func() []string { return f.JumpCloud.Orgs }}
	cmd := &cobra.Command{
		Use:   "check POLICY.yaml...",
		Short: "Evaluate compliance policies over the audit log, for CI",
		Long: heredoc.Doc(`
			Evaluate the rules of one or more policy files over a window of the
			cache (the last 24 hours unless --since says otherwise) and report
			each rule's violations: a table on a terminal (rule, severity,
			violations, the first offending events), JSON otherwise or with -o
			json, and, when asked, a JUnit XML file (--junit: one test case per
			rule, each violation a failure listing its events) and a SARIF 2.1.0
			file (--sarif), both written atomically. When GITHUB_ACTIONS is
			"true", each violation is also a GitHub Actions annotation on stderr
			(::error for rules at or above --severity, ::warning below it; log
			text is sanitized and escaped, so it can never inject a workflow
			command).

			A rule looks at events (a -q query), sessions (the filters of
			'sessions list') or queries (the database queries recorded in the
			sessions' recordings, by status: blocked, error, ok, and by
			statement), with a condition: none, max, threshold (per group
			within a sliding window), require (at least N, per period), or
			sequence (steps in order for the same group within a window); its
			exceptions (until a date, with a reason; an expired one is ignored
			and the report says so) and schedule windows excuse matches. See
			docs/compliance.md for the format and examples.

			A queries rule reads each recording as 'sessions queries ID' does:
			checked against the SHA-256 registered for it first. A recording
			modified since, missing or damaged makes the rule an error (exit
			3), never a silent pass; sessions without a recording are named in
			a note.

			--remote jumpcloud evaluates the events rules against the live
			Directory Insights API (each rule's filter pushed down; no cache
			needed). Sessions and queries rules still read the local cache,
			which holds Session History and the recordings: without one, each
			is an error naming the missing cache, the other rules are reported,
			and the run exits 5. --sync jumpcloud first syncs the window into
			the cache (created if need be), then evaluates there.

			Exit codes: 0 no violation at or above --severity; 1 violations at or
			above it (and only then); 2 a bad policy (file:line:column and what
			was expected) or bad flags; 3 a rule that could not be evaluated; 4
			the remote API failed; 5 no cache (with --remote: for a sessions or
			queries rule), or an unwritable --junit/--sarif; 6 the window holds
			no data at all (no events, or no sessions for a sessions or queries
			rule), unless --allow-empty. The summary line goes to stdout with
			the table; no stderr notice but the annotations.
		`),
		Example: heredoc.Doc(`
			# the demo data and the example policies of docs/compliance.md
			auditctl demo --db /tmp/demo.db
			auditctl check docs/examples/policies/*.yaml --db /tmp/demo.db --since 30d

			# the demo's blocked database statement (a queries rule), as a table
			auditctl check docs/examples/policies/sessions.yaml --db /tmp/demo.db --since 30d -o table

			# in CI: fail on high and critical rules only, with reports for the CI
			auditctl check policy.yaml --since 24h --severity high --junit report.xml --sarif check.sarif

			# on a fresh runner: against the live JumpCloud API, or synced first
			auditctl check policy.yaml --remote jumpcloud --since 24h
			auditctl check policy.yaml --sync jumpcloud --since 24h -o json
		`),
		Args: cmdutil.MinimumArgs(1, "a policy file"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Files = args
			opts.Output = f.Output
			opts.Quiet = f.Quiet
			opts.Version = cmd.Root().Version
			if runF != nil {
				return runF(opts)
			}
			return run(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Since, "since", "24h", "start of the window: 24h, 7d, 30d, a date or an RFC 3339 time")
	fl.StringVar(&opts.Until, "until", "", "end of the window (default: now)")
	fl.BoolVar(&opts.All, "all", false, "the whole cache: from its oldest event (instead of --since)")
	report.AddGateFlags(fl, &opts.Severity, &opts.JUnit, &opts.SARIF)
	fl.StringVar(&opts.Remote, "remote", "", "evaluate the events rules against this remote API live instead of the cache: jumpcloud")
	fl.StringVar(&opts.Sync, "sync", "", "sync the window from this remote API into the cache first: jumpcloud")
	fl.BoolVar(&opts.AllowEmpty, "allow-empty", false, "let a window with no data at all pass instead of exiting 6")
	cmdutil.AddJumpCloudFlags(cmd, &f.JumpCloud, cmdutil.QueryTimeout)
	cmdutil.AddTableFlags(cmd, &opts.Table, report.TableColumns)
	return cmd
}

func run(ctx context.Context, opts *Options) error {
	format, err := report.ResolveFormat(opts.Output, opts.IO.IsStdoutTTY(), "check")
	if err != nil {
		return err
	}
	threshold, err := report.SeverityFlag(opts.Severity)
	if err != nil {
		return err
	}
	now := opts.Now().Truncate(time.Second) // whole seconds in every report
	var since time.Time
	if !opts.All {
		if since, err = audit.ParseTimeArg(opts.Since, now); err != nil {
			return audit.Errorf(audit.EUSAGE, "--since: %v", err)
		}
	}
	until := now
	if opts.Until != "" {
		if until, err = audit.ParseTimeArg(opts.Until, now); err != nil {
			return audit.Errorf(audit.EUSAGE, "--until: %v", err)
		}
	}
	if !opts.All && !since.Before(until) {
		return audit.Errorf(audit.EUSAGE, "empty window: --since %s is not before --until %s", audit.FormatTime(since), audit.FormatTime(until))
	}
	if opts.Remote != "" && opts.Sync != "" {
		return audit.Errorf(audit.EUSAGE, "use --remote or --sync, not both")
	}
	if opts.Sync != "" && opts.Sync != "jumpcloud" {
		return audit.Errorf(audit.EUSAGE, "unknown remote %q for --sync (want jumpcloud)", opts.Sync)
	}
	pol, err := policy.Load(opts.Files...)
	if err != nil {
		return err
	}
	oo, err := opts.Table.Options(opts.IO)
	if err != nil {
		return err
	}
	if opts.Sync != "" {
		if err := opts.sync(ctx, since, now); err != nil {
			return err
		}
	}
	ev := &policy.Evaluator{Now: now, Since: since, Until: until, AllowEmpty: opts.AllowEmpty}
	if ev.Events, err = opts.Service(ctx, opts.Remote); err != nil {
		return err
	}
	if opts.All {
		if ev.Since, err = oldest(ctx, ev.Events, until); err != nil {
			return err
		}
	}
	if opts.Remote == "" {
		if st, ok := ev.Events.(session.Store); ok {
			ev.Sessions = st // either store holds Session History
		}
	} else if hasSessions(pol) {
		// Session History and recordings are local: read them when there
		// is a cache; else each sessions and queries rule is an error
		// saying so (exit 5), and the events rules are still reported.
		db, err := opts.DB(ctx)
		switch {
		case err == nil:
			ev.Sessions = db
		case errors.Is(err, sqlite.ErrNoCache):
			ev.NoSessions = audit.Errorf(audit.ELOCAL, "%v; with --remote %s, sessions and queries rules still read the local cache (Session History and session recordings are not in the remote API): run the check where the cache is (--db), or leave these rules out", strings.TrimSuffix(err.Error(), ": run auditctl import, sync or demo first"), opts.Remote)
		default:
			return err
		}
	}
	rep, err := ev.Run(ctx, pol)
	if err != nil {
		return err
	}
	rep.Version = opts.Version
	rep.Finish(threshold)
	d := report.Delivery{JUnit: opts.JUnit, SARIF: opts.SARIF, Out: opts.IO.Out, JSON: format == output.FormatJSON, Options: oo}
	if opts.Getenv != nil && report.GitHubActions(opts.Getenv) {
		d.Annotations = opts.IO.ErrOut
	}
	if err := d.Deliver(rep); err != nil {
		if errors.Is(err, report.ErrViolations) {
			return cmdutil.ErrSilent
		}
		return err
	}
	return nil
}

// oldest is the time of the oldest event (until, an empty window, when
// there is none).
func oldest(ctx context.Context, svc audit.EventService, until time.Time) (time.Time, error) {
	evs, _, err := svc.FindEvents(ctx, audit.Filter{Until: until}, audit.Page{Limit: 1, Sort: []audit.SortKey{{Field: audit.FieldTime}}, NoTotal: true})
	if err != nil || len(evs) == 0 {
		return until, err
	}
	return evs[0].Time, nil
}

var _ session.Store = (*sqlite.DB)(nil)

// hasSessions reports whether a rule of p reads sessions (a sessions or
// queries rule).
func hasSessions(p *policy.Policy) bool {
	for _, r := range p.Rules {
		if r.Sessions != nil || r.Queries != nil {
			return true
		}
	}
	return false
}

// sync pulls the window from JumpCloud into the cache, as `sync jumpcloud
// --since` does, before the rules are evaluated there.
func (opts *Options) sync(ctx context.Context, since, now time.Time) error {
	c, err := opts.Client()
	if err != nil {
		return err
	}
	db, err := opts.SyncDB(ctx)
	if err != nil {
		return err
	}
	services, err := jumpcloud.ValidServices([]string{"all"})
	if err != nil {
		return err
	}
	prog := opts.IO.NewProgress("sync jumpcloud", 0).Unit("events").Quiet(opts.Quiet)
	if c.Notify != nil {
		c.Notify = func(msg string) { fmt.Fprintln(prog.Above(), msg) }
	}
	_, err = jumpcloud.Sync(ctx, c, synccmd.Store(db), jumpcloud.SyncOptions{
		Since: now.Sub(since), Services: services, Orgs: opts.Orgs(), Lag: 0, Overlap: 15 * time.Minute,
		Concurrency: 4, SliceEvents: 200000, PageLimit: jumpcloud.MaxLimit, Now: func() time.Time { return now }, Progress: prog.ItemsOf,
	})
	prog.Done()
	return err
}
