// Package hunt implements `auditctl hunt`.
package hunt

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/MakeNowJust/heredoc"
	"github.com/spf13/cobra"

	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/cmd/version"
	"github.com/auditctl/auditctl/pkg/cmdutil"
	"github.com/auditctl/auditctl/pkg/output"
	"github.com/auditctl/auditctl/pkg/report"
	"github.com/auditctl/auditctl/pkg/sigma"
)

// Options are the flags and dependencies of `hunt`.
type Options struct {
	IO      *cmdutil.IOStreams
	Now     func() time.Time
	Service func(ctx context.Context, remote string) (audit.EventService, error)
	Getenv  func(string) string

	Sigma      []string
	Since      string
	Until      string
	All        bool
	Remote     string
	Severity   string
	JUnit      string
	SARIF      string
	MaxEvents  int
	NoPushdown bool
	AllowEmpty bool
	Table      cmdutil.TableFlags
	Output     string
	Debug      bool
}

// NewCmdHunt builds the command.
func NewCmdHunt(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, Now: f.Now, Service: f.EventService, Getenv: os.Getenv}
	cmd := &cobra.Command{
		Use:   "hunt --sigma PATH...",
		Short: "Run Sigma detection rules over the events",
		Long: heredoc.Doc(`
			Evaluate Sigma detection rules (the SigmaHQ format) over the events of
			the cache, or of the JumpCloud Directory Insights API with --remote
			jumpcloud, and report the rules that match, as check does: a table on
			a terminal, -o json, --junit FILE, --sarif FILE, and GitHub Actions
			annotations on stderr when GITHUB_ACTIONS=true.

			--sigma takes rule files and directories (every .yml and .yaml below
			them); further paths may follow as arguments. A rule's logsource
			chooses its fields: product aws (service cloudtrail) reads the
			CloudTrail record (eventName, userIdentity.arn, requestParameters.*),
			product jumpcloud the Directory Insights event (event_type,
			initiated_by.username, client_ip…), product auditctl (or no
			logsource) the normalized fields (action, actor, ip, status,
			params.PATH…). Rules of other logsources (windows, linux…) are
			skipped and listed. Aggregations count per group: "selection |
			count() by sourceIPAddress > 5" with a timeframe is one violation
			per address over 5 within it. A rule that cannot be evaluated (a
			syntax error, an unsupported modifier or aggregation) is reported
			with its file and line and the others still run.

			Each rule's selective part (eventName, eventSource, user agent…) is
			pushed down to the cache's indexes; sigma-go then decides on those
			candidate events only. --debug shows what each rule pushed down and
			how many events it read; --no-pushdown evaluates every rule on every
			event instead (slower; the same results).

			The whole cache is searched unless --since or --until is given.
			Exit status: 0 no rule matched; 1 a rule at or above --severity
			matched; 2 usage error; 3 a rule could not be evaluated (reported
			even when others matched); 4 remote error; 5 local failure (no cache,
			an unwritable report file); 6 the window holds no events of the
			sources the rules read (unless --allow-empty). The summary line goes
			to stdout with the table; no stderr notice but the annotations.
		`),
		Example: heredoc.Doc(`
			# the SigmaHQ CloudTrail rules over everything imported
			auditctl hunt --sigma ./sigma/rules/cloud/aws/
			# the last day only, failing CI on high and critical rules, with reports
			auditctl hunt --sigma rules/ --since 24h --severity high --junit hunt.xml --sarif hunt.sarif
			# one rule, as JSON, showing what was pushed down
			auditctl hunt --sigma rules/aws_root_account_usage.yml -o json --debug
			# JumpCloud rules against the live API, no cache needed
			auditctl hunt --sigma jumpcloud-rules/ --remote jumpcloud --since 7d
		`),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Sigma = append(opts.Sigma, args...)
			opts.Output = f.Output
			opts.Debug = f.Debug
			if len(opts.Sigma) == 0 {
				return audit.Errorf(audit.EUSAGE, "hunt needs --sigma PATH (Sigma rule files or directories)")
			}
			if runF != nil {
				return runF(opts)
			}
			return huntRun(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringArrayVar(&opts.Sigma, "sigma", nil, "Sigma rule file or directory (repeat for several; more may follow as arguments)")
	fl.StringVar(&opts.Since, "since", "", "only events at or after this time (RFC 3339, a date, or 90m, 24h, 7d…; default: all)")
	fl.StringVar(&opts.Until, "until", "", "only events before this time")
	fl.BoolVar(&opts.All, "all", false, "every event, whatever its time (the default; not with --since or --until)")
	fl.StringVar(&opts.Remote, "remote", "", "query this remote API live instead of the cache: jumpcloud")
	cmdutil.AddJumpCloudFlags(cmd, &f.JumpCloud, cmdutil.NoTimeout)
	report.AddGateFlags(fl, &opts.Severity, &opts.JUnit, &opts.SARIF)
	fl.IntVar(&opts.MaxEvents, "max-events", sigma.DefaultMaxEvents, "matching events listed per rule (the oldest; all are counted)")
	fl.BoolVar(&opts.NoPushdown, "no-pushdown", false, "evaluate every rule on every event with sigma-go (slower, same results; for comparison)")
	fl.BoolVar(&opts.AllowEmpty, "allow-empty", false, "pass (exit 0) when the window holds no events of the rules' sources instead of exiting 6")
	cmdutil.AddTableFlags(cmd, &opts.Table, report.TableColumns)
	return cmd
}

func huntRun(ctx context.Context, opts *Options) error {
	format, err := report.ResolveFormat(opts.Output, opts.IO.IsStdoutTTY(), "hunt")
	if err != nil {
		return err
	}
	threshold, err := report.SeverityFlag(opts.Severity)
	if err != nil {
		return err
	}
	oo, err := opts.Table.Options(opts.IO)
	if err != nil {
		return err
	}
	if opts.All && (opts.Since != "" || opts.Until != "") {
		return audit.Errorf(audit.EUSAGE, "--all searches every event: not with --since or --until")
	}
	var window audit.Filter
	now := opts.Now()
	if opts.Since != "" {
		if window.Since, err = audit.ParseTimeArg(opts.Since, now); err != nil {
			return audit.Errorf(audit.EUSAGE, "--since: %v", err)
		}
	}
	if opts.Until != "" {
		if window.Until, err = audit.ParseTimeArg(opts.Until, now); err != nil {
			return audit.Errorf(audit.EUSAGE, "--until: %v", err)
		}
	}
	if err := window.Validate(); err != nil {
		return err
	}
	rules, err := sigma.Load(opts.Sigma)
	if err != nil {
		return err
	}
	svc, err := opts.Service(ctx, opts.Remote)
	if err != nil {
		return err
	}
	sopt := sigma.Options{Since: window.Since, Until: window.Until, NoPushdown: opts.NoPushdown, MaxEvents: opts.MaxEvents,
		NoFullText: opts.Remote != ""}
	if opts.Debug {
		sopt.Debug = opts.IO.ErrOut
	}
	results, _, err := sigma.Run(ctx, svc, rules, sopt)
	if err != nil {
		return err
	}
	rep := &report.Report{Tool: "auditctl hunt", Version: version.Version, Since: window.Since, Until: window.Until,
		Rules: sigma.Report(rules, results)}
	rep.Finish(threshold)
	d := report.Delivery{JUnit: opts.JUnit, SARIF: opts.SARIF, Out: opts.IO.Out, JSON: format == output.FormatJSON, Options: oo}
	if report.GitHubActions(opts.Getenv) {
		d.Annotations = opts.IO.ErrOut
	}
	verdict := d.Deliver(rep)
	if verdict == nil && rep.Summary.Warned == 0 {
		if err := noData(ctx, svc, rules, window, opts.AllowEmpty); err != nil {
			return err
		}
	}
	if errors.Is(verdict, report.ErrViolations) {
		return cmdutil.ErrSilent // the table's summary line, or the JSON, says which
	}
	return verdict
}

// noData fails a clean hunt over a window that holds no event of the
// sources its rules read: a gate never passes on no data.
func noData(ctx context.Context, svc audit.EventService, rules []*sigma.Rule, window audit.Filter, allow bool) error {
	if allow {
		return nil
	}
	f := window
	srcs := sigma.Sources(rules)
	if len(srcs) == 0 {
		return nil // no rule ran: the report says why
	}
	for _, s := range srcs {
		if s == "" {
			f.Include = nil
			break
		}
		f.Add(audit.FieldSource, s)
	}
	n, err := svc.CountEvents(ctx, f)
	if err != nil || n > 0 {
		return err
	}
	what := "events"
	if len(f.Include) > 0 {
		what = fmt.Sprintf("events of source %v", f.Include[audit.FieldSource])
	}
	where := "the cache holds no " + what
	if !window.Since.IsZero() || !window.Until.IsZero() {
		where = fmt.Sprintf("the window %s holds no %s", window.String(), what)
	}
	return audit.Errorf(audit.ENODATA, "no data: %s, so no rule could match (--allow-empty to pass anyway)", where)
}
