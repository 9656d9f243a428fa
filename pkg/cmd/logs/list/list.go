// Package list implements `auditctl logs list`.
package list

import (
	"context"
	"time"

	"github.com/MakeNowJust/heredoc"
	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/cmdutil"
	"github.com/auditctl/auditctl/pkg/output"
	"github.com/spf13/cobra"
)

// ListOptions are the flags and dependencies of `logs list`.
type ListOptions struct {
	IO      *cmdutil.IOStreams
	Now     func() time.Time
	Service func(ctx context.Context, remote string) (audit.EventService, error)

	Filter cmdutil.FilterOptions
	Table  cmdutil.TableFlags
	Remote string
	Output string
	JQ     string
	Sort   string
	Limit  int
	Page   int
	Quiet  bool
}

// NewCmdList builds the command; runF replaces the run function in tests
// that check flag parsing alone.
func NewCmdList(f *cmdutil.Factory, runF func(*ListOptions) error) *cobra.Command {
	opts := &ListOptions{IO: f.IOStreams, Now: f.Now, Service: f.EventService}
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List audit events, newest first",
		Long: heredoc.Doc(`
			List audit events from the cache, or with --remote jumpcloud, live from
			the JumpCloud Directory Insights API (see docs/jumpcloud.md).

			Without --since, --until, a time in the query or --all, only the last
			7 days are listed. Repeating a flag ORs its values; different flags AND.
			On a terminal the output is a table ending with "Page X of Y (Z total)";
			piped, it is JSON. A --page past the last page is a usage error (exit
			2): "page 999 is past the last page (30)".

			Nothing is left out silently. On stderr (never with --quiet):
			  - when the default window hides older matches: "266 more events
			    match before the default 7-day window (newest 2026-11-02 14:03
			    UTC): --since 21d or --all shows them" (counted up to 1000:
			    "1000+ more events");
			  - on an empty result, for an exact value no stored event has: the
			    closest stored values, "no event has actor "nina"; did you mean
			    nina.kowalski@example.com? (nina* matches every actor that
			    starts with "nina")";
			  - when a page holds fewer events than match and the output has no
			    "Page X of Y" footer (json, ndjson, csv, yaml, --jq): "50 of 266
			    events shown (page 1 of 6): --page 2 for the next, --limit N for
			    more per page, or logs export for all". Values are shown exactly in json/ndjson and with
			control characters made visible in tables.

			The table fits the terminal: on a narrow one the less important
			columns are left out (service, then ip, then id...), names such as
			ARNs and emails are shortened in the middle, ids to a prefix that
			'logs show' accepts, and a column empty in every row is not shown.
			--wide shows every column, --columns exactly the ones named. Times
			are UTC unless --tz or TZ say otherwise, and the header names the
			zone; json, ndjson and csv always carry RFC 3339 UTC times.
		`),
		Example: heredoc.Doc(`
			# every user deletion in the last 7 days
			auditctl logs list --action DeleteUser

			# the same with the query language, excluding successes
			auditctl logs list -q 'action:DeleteUser -status:success'

			# slow requests from one network, slowest first
			auditctl logs list --ip 10.0.0.0/8 --min-duration 1000 --sort -duration

			# full-text search over a month, as NDJSON
			auditctl logs list --since 30d --search "break-glass" -o ndjson

			# failed SSO logins of the last day, asked of JumpCloud directly
			auditctl logs list --remote jumpcloud --service sso --status failure --since 24h

			# at any width: the time (Berlin), actor, action and the whole ARN of the target
			auditctl logs list --columns time,actor,action,target --tz Europe/Berlin --wide

			# actors of failed logins, with jq
			auditctl logs list --all -q 'action:USER_LOGIN status:failure' --jq '.[].actor'
		`),
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Output = f.Output
			opts.Quiet = f.Quiet
			if runF != nil {
				return runF(opts)
			}
			return listRun(cmd.Context(), opts)
		},
	}
	cmdutil.AddFilterFlags(cmd, &opts.Filter, true)
	cmd.Flags().StringVar(&opts.Remote, "remote", "", "query this remote API live instead of the cache: jumpcloud")
	cmdutil.AddJumpCloudFlags(cmd, &f.JumpCloud, cmdutil.QueryTimeout)
	cmd.Flags().StringVar(&opts.Sort, "sort", "-time", "sort by fields, - for descending (-time, duration, actor,-time)")
	cmd.Flags().IntVarP(&opts.Limit, "limit", "L", 50, "events per page")
	cmd.Flags().IntVar(&opts.Page, "page", 1, "page number")
	cmd.Flags().StringVar(&opts.JQ, "jq", "", "filter the JSON output with a jq expression")
	cmdutil.AddTableFlags(cmd, &opts.Table, output.EventColumnNames())
	return cmd
}

// pageNoticeCount is how many matches past a page's start the notice of a
// page cut short counts ("50 of 1000+ events shown").
const pageNoticeCount = 1000

func listRun(ctx context.Context, opts *ListOptions) error {
	if opts.Limit < 1 {
		return audit.Errorf(audit.EUSAGE, "--limit must be at least 1")
	}
	if opts.Page < 1 {
		return audit.Errorf(audit.EUSAGE, "--page must be at least 1")
	}
	format, err := output.ResolveFormat(opts.Output, opts.IO.IsStdoutTTY())
	if err != nil {
		return err
	}
	sort, err := audit.ParseSort(opts.Sort)
	if err != nil {
		return err
	}
	oo, err := opts.Table.Options(opts.IO)
	if err != nil {
		return err
	}
	if format == output.FormatTable {
		if err := output.ValidateEventColumns(oo); err != nil {
			return err
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
	// The table shows the total ("Page X of Y (Z total)"). Other formats
	// need it only for the notice of a page cut short (none with --quiet),
	// and count only up to pageNoticeCount past the page: a full count of
	// a common word costs ten times the page.
	footer := format == output.FormatTable && opts.JQ == ""
	page := audit.Page{Limit: opts.Limit, Offset: (opts.Page - 1) * opts.Limit, Sort: sort,
		NoTotal: !footer && opts.Quiet}
	if !footer {
		page.CountUpTo = page.Offset + pageNoticeCount
	}
	events, total, err := svc.FindEvents(ctx, filter, page)
	if err != nil {
		return err
	}
	if len(events) == 0 && opts.Page > 1 {
		if total < 0 {
			n, err := svc.CountEvents(ctx, filter)
			if err != nil {
				return err
			}
			total = int(n)
		}
		if err := audit.CheckPage(opts.Page, total, opts.Limit); err != nil {
			return err
		}
	}
	if err := writeEvents(opts, format, oo, events, total); err != nil {
		return err
	}
	notices := cmdutil.Notices{IO: opts.IO, Quiet: opts.Quiet}
	if !footer {
		notices.Page("events", len(events), total, opts.Page, opts.Limit, total >= page.CountUpTo, "logs export")
	}
	if opts.Filter.DefaultWindowApplied() {
		notices.Window(ctx, svc, filter, opts.Now())
	}
	if len(events) == 0 && opts.Remote == "" {
		notices.Suggest(ctx, svc, filter)
	}
	return nil
}

func writeEvents(opts *ListOptions, format output.Format, oo output.Options, events []*audit.Event, total int) error {
	if opts.JQ != "" {
		if events == nil {
			events = []*audit.Event{}
		}
		v, err := output.JQInput(events)
		if err != nil {
			return err
		}
		return output.WriteJQ(opts.IO.Out, opts.JQ, v, opts.IO.IsStdoutTTY())
	}
	if err := output.WriteEvents(opts.IO.Out, format, events, oo); err != nil {
		return err
	}
	var err error
	if format == output.FormatTable {
		pages := (total + opts.Limit - 1) / opts.Limit
		_, err = opts.IO.Out.Write([]byte(output.PageFooter(opts.Page, pages, total) + "\n"))
	}
	return err
}
