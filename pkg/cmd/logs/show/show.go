// Package show implements `auditctl logs show`.
package show

import (
	"context"

	"github.com/MakeNowJust/heredoc"
	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/cmdutil"
	"github.com/auditctl/auditctl/pkg/output"
	"github.com/spf13/cobra"
)

// ShowOptions are the flags and dependencies of `logs show`.
type ShowOptions struct {
	IO      *cmdutil.IOStreams
	Service func(ctx context.Context, remote string) (audit.EventService, error)

	ID     string
	Source string
	Remote string
	Output string
	JQ     string
}

// NewCmdShow builds the command.
func NewCmdShow(f *cmdutil.Factory, runF func(*ShowOptions) error) *cobra.Command {
	opts := &ShowOptions{IO: f.IOStreams, Service: f.EventService}
	cmd := &cobra.Command{
		Use:   "show ID",
		Short: "Show one event in detail",
		Long: heredoc.Doc(`
			Show the detail panel of one event: user information (actor, IP,
			client, browser), action information (service, action, time,
			duration, status), the parameters and custom data as indented JSON,
			and for events with before/after state a field-by-field diff.

			ID is the event's id in its source. A table may show a long id cut
			short: its first characters are enough when no other event's id
			starts with them. A start that several ids share is a usage error
			(exit 2) that says how many and lists a few: "ambiguous: 312 events
			start with "6b", give more characters: …". -o json gives the whole
			event, including the raw source document.
		`),
		Example: heredoc.Doc(`
			auditctl logs show 6f1c2a9e-6d0b-4f57-9a51-2f1f0c7d1a10
			auditctl logs show 6f1c2a9e-6d          # the start of an id, as a table shows it
			auditctl logs show f4cd3135-bebd-4104-a3ab-9660186c883f --source cloudtrail -o json
			auditctl logs show EVENT_ID --jq .raw
		`),
		Args: cmdutil.ExactArgs(1, "an event ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.ID = args[0]
			opts.Output = f.Output
			if runF != nil {
				return runF(opts)
			}
			return showRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Remote, "remote", "", "look the event up in this remote API instead of the cache: jumpcloud")
	cmdutil.AddJumpCloudFlags(cmd, &f.JumpCloud, cmdutil.QueryTimeout)
	cmd.Flags().StringVar(&opts.Source, "source", "", "the event's source, when several sources have this ID")
	cmd.Flags().StringVar(&opts.JQ, "jq", "", "filter the JSON event with a jq expression")
	return cmd
}

func showRun(ctx context.Context, opts *ShowOptions) error {
	format, err := output.ResolveFormat(opts.Output, opts.IO.IsStdoutTTY())
	if err != nil {
		return err
	}
	svc, err := opts.Service(ctx, opts.Remote)
	if err != nil {
		return err
	}
	e, err := svc.FindEventByID(ctx, opts.ID, opts.Source)
	if err != nil {
		return err
	}
	if opts.JQ != "" {
		v, err := output.JQInput(e)
		if err != nil {
			return err
		}
		return output.WriteJQ(opts.IO.Out, opts.JQ, v, opts.IO.IsStdoutTTY())
	}
	oo := output.Options{Color: opts.IO.ColorEnabled(), Width: opts.IO.TerminalWidth()}
	switch format {
	case output.FormatTable:
		return output.WriteEventDetail(opts.IO.Out, e, oo)
	case output.FormatJSON:
		return output.WriteJSON(opts.IO.Out, e)
	default:
		return output.WriteEvents(opts.IO.Out, format, []*audit.Event{e}, oo)
	}
}
