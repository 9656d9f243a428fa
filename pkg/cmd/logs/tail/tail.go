// Package tail implements `auditctl logs tail`.
package tail

import (
	"context"
	"io"
	"slices"
	"time"

	"github.com/MakeNowJust/heredoc"
	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/cmdutil"
	"github.com/auditctl/auditctl/pkg/output"
	"github.com/auditctl/auditctl/pkg/store"
	"github.com/spf13/cobra"
)

// TailOptions are the flags and dependencies of `logs tail`.
type TailOptions struct {
	IO      *cmdutil.IOStreams
	Now     func() time.Time
	Service func(ctx context.Context, remote string) (audit.EventService, error)
	// Wait waits for the next poll (default: Interval, or the context;
	// on a store that notifies, such as PostgreSQL, until it says new
	// events were stored, or Interval).
	Wait func(ctx context.Context, d time.Duration) error

	Filter   cmdutil.FilterOptions
	Table    cmdutil.TableFlags
	Remote   string
	Output   string
	Lines    int
	Follow   bool
	Interval time.Duration
	// IntervalSet says --interval was given (else a store that notifies
	// polls every store.FallbackPoll only).
	IntervalSet bool
	Lookback    time.Duration
	Lag         time.Duration
}

// NewCmdTail builds the command.
func NewCmdTail(f *cmdutil.Factory, runF func(*TailOptions) error) *cobra.Command {
	opts := &TailOptions{IO: f.IOStreams, Now: f.Now, Service: f.EventService}
	cmd := &cobra.Command{
		Use:   "tail",
		Short: "Print the latest events, and with -f new ones as they arrive",
		Long: heredoc.Doc(`
			Print the last -n events the filters select, oldest first. With -f,
			keep polling and print new events as they arrive: from the cache (when
			another process syncs or imports into it), or with --remote jumpcloud
			from the Directory Insights API, up to now − --lag.

			Each poll re-reads the last --lookback before the newest event seen, so
			an event that arrives late (stored with an earlier time) is still
			printed; an event is never printed twice. Lines are NDJSON when piped.
			On a terminal each event is one line (time, source, service, action,
			actor, ip, status, description; --columns chooses), cut to the
			terminal's width unless --wide; times are UTC unless --tz or TZ say
			otherwise.

			On a PostgreSQL store (--db postgres://…) -f does not poll: each
			import notifies as it commits (LISTEN/NOTIFY) and new events are
			printed at once; it still looks every --interval (default there: 1m)
			in case a notification was lost, as when the connection drops.
		`),
		Example: heredoc.Doc(`
			auditctl logs tail -f --status failure
			auditctl logs tail -f --remote jumpcloud --service sso -o ndjson
		`),
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Output = f.Output
			opts.IntervalSet = cmd.Flags().Changed("interval")
			if runF != nil {
				return runF(opts)
			}
			return tailRun(cmd.Context(), opts)
		},
	}
	cmdutil.AddFilterFlags(cmd, &opts.Filter, false)
	fl := cmd.Flags()
	fl.IntVarP(&opts.Lines, "lines", "n", 10, "how many of the latest events to print first")
	fl.BoolVarP(&opts.Follow, "follow", "f", false, "keep printing new events")
	fl.DurationVar(&opts.Interval, "interval", 5*time.Second, "with -f, time between polls (on PostgreSQL, which notifies: between checks in case a notification was lost; default 1m there)")
	fl.DurationVar(&opts.Lookback, "lookback", 20*time.Minute, "with -f, how far before the newest event each poll looks for late events")
	fl.DurationVar(&opts.Lag, "lag", 2*time.Minute, "with --remote, leave out the newest events (they can still arrive out of order)")
	fl.StringVar(&opts.Remote, "remote", "", "tail this remote API instead of the cache: jumpcloud")
	cmdutil.AddJumpCloudFlags(cmd, &f.JumpCloud, cmdutil.NoTimeout)
	cmdutil.AddTableFlags(cmd, &opts.Table, output.EventColumnNames())
	return cmd
}

type seenKey struct{ source, id string }

func tailRun(ctx context.Context, opts *TailOptions) error {
	if opts.Lines < 0 {
		return audit.Errorf(audit.EUSAGE, "--lines must be 0 or more")
	}
	if opts.Follow && opts.Interval < 100*time.Millisecond {
		return audit.Errorf(audit.EUSAGE, "--interval must be at least 100ms")
	}
	format, err := output.ResolveFormat(opts.Output, opts.IO.IsStdoutTTY())
	if err != nil {
		return err
	}
	if format == output.FormatJSON {
		format = output.FormatNDJSON // a stream: one document per line
	}
	if format != output.FormatTable && format != output.FormatNDJSON {
		return audit.Errorf(audit.EUSAGE, "logs tail writes table or ndjson lines, not %s", format)
	}
	oo, err := opts.Table.Options(opts.IO)
	if err != nil {
		return err
	}
	if _, err := output.EventLine(&audit.Event{}, oo); err != nil {
		return err // a bad --columns, before waiting for events
	}
	base, err := opts.Filter.Filter(opts.Now(), false)
	if err != nil {
		return err
	}
	svc, err := opts.Service(ctx, opts.Remote)
	if err != nil {
		return err
	}
	wait := opts.Wait
	if n, ok := svc.(store.Notifier); ok && opts.Follow && wait == nil {
		// Listen before the first read: an import that commits after it
		// wakes the first wait.
		l, err := n.Listen(ctx)
		if err != nil {
			return err
		}
		defer l.Close()
		wait = l.Wait
		if !opts.IntervalSet {
			opts.Interval = store.FallbackPoll
		}
	}
	if wait == nil {
		wait = func(ctx context.Context, d time.Duration) error {
			t := time.NewTimer(d)
			defer t.Stop()
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-t.C:
				return nil
			}
		}
	}
	write := func(evs []*audit.Event) error {
		for _, e := range evs {
			var err error
			if format == output.FormatNDJSON {
				err = output.WriteEvents(opts.IO.Out, output.FormatNDJSON, []*audit.Event{e}, output.Options{})
			} else {
				err = writeLine(opts.IO.Out, e, oo)
			}
			if err != nil {
				return err
			}
		}
		return nil
	}
	until := func() time.Time {
		if opts.Remote != "" {
			return opts.Now().Add(-opts.Lag)
		}
		return time.Time{}
	}
	// The latest events.
	f := base
	if u := until(); !u.IsZero() && (f.Until.IsZero() || u.Before(f.Until)) {
		f.Until = u
	}
	seen := map[seenKey]time.Time{}
	var newest time.Time
	if opts.Lines > 0 {
		evs, _, err := svc.FindEvents(ctx, f, audit.Page{Limit: opts.Lines, NoTotal: true})
		if err != nil {
			return err
		}
		if len(evs) > 0 {
			newest = evs[0].Time
		}
		slices.Reverse(evs)
		if err := write(evs); err != nil {
			return err
		}
	}
	if !opts.Follow {
		return nil
	}
	// Everything up to the newest event counts as seen, printed or not.
	if newest.IsZero() {
		last, _, err := svc.FindEvents(ctx, f, audit.Page{Limit: 1, NoTotal: true})
		if err != nil {
			return err
		}
		if len(last) > 0 {
			newest = last[0].Time
		} else {
			newest = opts.Now()
		}
	}
	// Only up to it: an event stored since the reads above, newer than
	// it, is new.
	mark := func(from time.Time) error {
		g := f
		g.Since = from
		if u := newest.Add(time.Nanosecond); g.Until.IsZero() || u.Before(g.Until) {
			g.Until = u
		}
		return svc.EachEvent(ctx, g, audit.Page{Sort: []audit.SortKey{{Field: audit.FieldTime}}}, func(e *audit.Event) error {
			seen[seenKey{e.Source, e.ID}] = e.Time
			return nil
		})
	}
	if err := mark(newest.Add(-opts.Lookback)); err != nil {
		return err
	}
	for {
		if err := wait(ctx, opts.Interval); err != nil {
			if ctx.Err() != nil {
				return nil // interrupted: the normal end of tail -f
			}
			return err
		}
		g := base
		g.Since = newest.Add(-opts.Lookback)
		if !base.Since.IsZero() && base.Since.After(g.Since) {
			g.Since = base.Since
		}
		if u := until(); !u.IsZero() && (g.Until.IsZero() || u.Before(g.Until)) {
			g.Until = u
		}
		if !g.Until.IsZero() && !g.Since.Before(g.Until) {
			continue
		}
		var fresh []*audit.Event
		err := svc.EachEvent(ctx, g, audit.Page{Sort: []audit.SortKey{{Field: audit.FieldTime}}}, func(e *audit.Event) error {
			k := seenKey{e.Source, e.ID}
			if _, ok := seen[k]; ok {
				return nil
			}
			seen[k] = e.Time
			fresh = append(fresh, e)
			if e.Time.After(newest) {
				newest = e.Time
			}
			return nil
		})
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		if err := write(fresh); err != nil {
			return err
		}
		// Forget what no poll will see again.
		horizon := newest.Add(-opts.Lookback)
		for k, t := range seen {
			if t.Before(horizon) {
				delete(seen, k)
			}
		}
	}
}

// writeLine prints one event as a line for a terminal (output.EventLine:
// every field sanitized, the line fitted to the width).
func writeLine(w io.Writer, e *audit.Event, oo output.Options) error {
	line, err := output.EventLine(e, oo)
	if err != nil {
		return err
	}
	_, err = io.WriteString(w, line+"\n")
	return err
}
