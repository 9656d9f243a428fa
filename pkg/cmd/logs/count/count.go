// Package count implements `auditctl logs count`.
package count

import (
	"context"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/MakeNowJust/heredoc"
	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/cmdutil"
	"github.com/auditctl/auditctl/pkg/output"
	"github.com/spf13/cobra"
)

// CountOptions are the flags and dependencies of `logs count`.
type CountOptions struct {
	IO      *cmdutil.IOStreams
	Now     func() time.Time
	Service func(ctx context.Context, remote string) (audit.EventService, error)

	Filter   cmdutil.FilterOptions
	Table    cmdutil.TableFlags
	Remote   string
	Output   string
	By       string
	Top      int
	Interval string
	FailIf   string
	Quiet    bool
	// AllowEmpty lets a --fail-if gate pass over a window with no events.
	AllowEmpty bool
	Debug      bool
}

// NewCmdCount builds the command.
func NewCmdCount(f *cmdutil.Factory, runF func(*CountOptions) error) *cobra.Command {
	opts := &CountOptions{IO: f.IOStreams, Now: f.Now, Service: f.EventService}
	cmd := &cobra.Command{
		Use:   "count",
		Short: "Count events, by a field or per interval",
		Long: heredoc.Doc(`
			Count the events a filter selects (last 7 days unless a time or --all
			is given). --by FIELD lists the top values with their counts;
			--interval 1h|1d gives a histogram with a row for every interval of the
			window, empty ones included (from the first event when there is no
			--since), labelled by date for days and by hour and minute for hours
			(in the time zone of --tz or TZ, UTC by default). --fail-if makes the command exit 1
			when the total meets a condition, for CI jobs and cron alerts.
			--remote jumpcloud counts with the JumpCloud Directory Insights API
			instead of the cache. When the default window leaves matches out, a
			notice on stderr says how many, the newest one's date and the flag
			that counts them; a count of 0 for a value no stored event has names
			the closest stored values (not with --quiet).

			A gate never passes on no data: when the window it looks at (the time
			window and --source, without the other filters) holds no events at
			all, --fail-if says so on stderr and exits 6, whatever the condition,
			unless --allow-empty is given. A filter that matches nothing in a
			window that has events is a genuine count of 0. With --debug it prints
			what it looked at: the window, its events (all, and those the filter
			matches) and the newest event of each source.

			Fields for --by: service, action, category, actor, actor_type, target,
			target_type, ip, client, browser, status, error, tenant, source,
			workflow_id, workflow_type.
		`),
		Example: heredoc.Doc(`
			auditctl logs count --action DeleteUser
			auditctl logs count --by actor --since 30d --top 10
			auditctl logs count --interval 1d -q 'action:USER_LOGIN status:failure'
			# fail a CI job when anyone deleted a user in the last day
			auditctl logs count --action DeleteUser --since 24h --fail-if '>0'
			# the same, and show what the gate looked at
			auditctl logs count --action DeleteUser --since 24h --fail-if '>0' --debug
			# top event types in JumpCloud, counted by the API
			auditctl logs count --remote jumpcloud --by action --since 7d
		`),
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Output = f.Output
			opts.Quiet = f.Quiet
			opts.Debug = f.Debug
			if runF != nil {
				return runF(opts)
			}
			return countRun(cmd.Context(), opts)
		},
	}
	cmdutil.AddFilterFlags(cmd, &opts.Filter, true)
	cmd.Flags().StringVar(&opts.Remote, "remote", "", "query this remote API live instead of the cache: jumpcloud")
	cmdutil.AddJumpCloudFlags(cmd, &f.JumpCloud, cmdutil.QueryTimeout)
	cmd.Flags().StringVar(&opts.By, "by", "", "group by this field and list the top values")
	cmd.Flags().IntVar(&opts.Top, "top", 20, "with --by, how many values to list (0 = all)")
	cmd.Flags().StringVar(&opts.Interval, "interval", "", "histogram interval (15m, 1h, 1d, 1w)")
	cmd.Flags().StringVar(&opts.FailIf, "fail-if", "", "exit 1 when the total meets this condition: >0, >=10, ==0, <5, !=0 (exit 6 when the window holds no events at all)")
	cmd.Flags().BoolVar(&opts.AllowEmpty, "allow-empty", false, "with --fail-if, let a window with no events at all pass instead of exiting 6")
	cmdutil.AddTableFlags(cmd, &opts.Table, []string{"value", "count", "percent", "bar", "time"})
	return cmd
}

var condRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^\s*(>=|<=|==|!=|>|<|=)\s*(\d+)\s*$`) })

// Condition is a parsed --fail-if expression.
type Condition struct {
	Op string
	N  int64
}

// ParseCondition reads ">0", ">= 10", "==0"…
func ParseCondition(s string) (Condition, error) {
	m := condRE().FindStringSubmatch(s)
	if m == nil {
		return Condition{}, audit.Errorf(audit.EUSAGE, "--fail-if %q: want an operator and a number, like '>0' or '>=100'", s)
	}
	n, err := strconv.ParseInt(m[2], 10, 64)
	if err != nil {
		return Condition{}, audit.Errorf(audit.EUSAGE, "--fail-if %q: %v", s, err)
	}
	op := m[1]
	if op == "=" {
		op = "=="
	}
	return Condition{Op: op, N: n}, nil
}

// Holds reports whether total meets the condition.
func (c Condition) Holds(total int64) bool {
	switch c.Op {
	case ">":
		return total > c.N
	case ">=":
		return total >= c.N
	case "<":
		return total < c.N
	case "<=":
		return total <= c.N
	case "==":
		return total == c.N
	case "!=":
		return total != c.N
	}
	return false
}

func countRun(ctx context.Context, opts *CountOptions) error {
	format, err := output.ResolveFormat(opts.Output, opts.IO.IsStdoutTTY())
	if err != nil {
		return err
	}
	var cond *Condition
	if opts.FailIf != "" {
		c, err := ParseCondition(opts.FailIf)
		if err != nil {
			return err
		}
		cond = &c
	}
	if opts.By != "" && opts.Interval != "" {
		return audit.Errorf(audit.EUSAGE, "use --by or --interval, not both")
	}
	var by audit.Field
	if opts.By != "" {
		var ok bool
		if by, ok = audit.ParseField(opts.By); !ok || by == audit.FieldTime || by == audit.FieldDuration {
			return audit.Errorf(audit.EUSAGE, "cannot count by %q (want one of: %s)", opts.By, strings.Join(audit.CountFieldNames(), ", "))
		}
	}
	var interval time.Duration
	if opts.Interval != "" {
		if interval, err = audit.ParseDurationArg(opts.Interval); err != nil {
			return audit.Errorf(audit.EUSAGE, "--interval: %v", err)
		}
	}
	filter, err := opts.Filter.Filter(opts.Now(), true)
	if err != nil {
		return err
	}
	svc, err := opts.Service(ctx, opts.Remote)
	if err != nil {
		return err
	}
	oo, err := opts.Table.Options(opts.IO)
	if err != nil {
		return err
	}
	// The total and the groups come from one read where the service can
	// (the cache): the total is their sum even during an import.
	tc, snap := svc.(audit.TotalCounter)
	var total int64
	var buckets []audit.Bucket
	switch {
	case snap && by != "":
		buckets, total, err = tc.CountByTotal(ctx, filter, by, opts.Top)
	case snap && interval > 0:
		buckets, total, err = tc.HistogramTotal(ctx, filter, interval)
	default:
		total, err = svc.CountEvents(ctx, filter)
		if err == nil && by != "" {
			buckets, err = svc.CountBy(ctx, filter, by, opts.Top)
		} else if err == nil && interval > 0 {
			buckets, err = svc.Histogram(ctx, filter, interval)
		}
	}
	if err != nil {
		return err
	}
	switch {
	case by != "":
		err = output.WriteCounts(opts.IO.Out, format, buckets, total, oo, string(by))
		if err != nil {
			return err
		}
	case interval > 0:
		if buckets, err = audit.FillBuckets(buckets, filter.Since, filter.Until, opts.Now(), interval); err != nil {
			return err
		}
		if err := output.WriteHistogram(opts.IO.Out, format, buckets, interval, oo); err != nil {
			return err
		}
	default:
		if err := writeTotal(opts.IO, format, total); err != nil {
			return err
		}
	}
	notices := cmdutil.Notices{IO: opts.IO, Quiet: opts.Quiet}
	if opts.Filter.DefaultWindowApplied() {
		notices.Window(ctx, svc, filter, opts.Now())
	}
	if total == 0 && opts.Remote == "" {
		notices.Suggest(ctx, svc, filter)
	}
	if cond != nil {
		var debug io.Writer
		if opts.Debug {
			debug = opts.IO.ErrOut
		}
		if err := checkGate(ctx, svc, filter, total, opts.AllowEmpty, debug); err != nil {
			return err
		}
	}
	if cond != nil && cond.Holds(total) {
		if !opts.IO.IsStdoutTTY() || format != output.FormatTable {
			fmt.Fprintf(opts.IO.ErrOut, "auditctl: --fail-if %s%d: the count is %d\n", cond.Op, cond.N, total)
		}
		return cmdutil.ErrSilent
	}
	return nil
}

func writeTotal(io *cmdutil.IOStreams, format output.Format, total int64) error {
	var err error
	switch format {
	case output.FormatTable, output.FormatCSV:
		_, err = fmt.Fprintln(io.Out, total)
	case output.FormatYAML:
		_, err = fmt.Fprintf(io.Out, "total: %d\n", total)
	default:
		_, err = fmt.Fprintf(io.Out, "{\"total\":%d}\n", total)
	}
	return err
}
