package db

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"

	"github.com/MakeNowJust/heredoc"
	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/cmdutil"
	"github.com/auditctl/auditctl/pkg/sanitize"
	"github.com/auditctl/auditctl/pkg/store"
	"github.com/auditctl/auditctl/pkg/store/postgres"
	"github.com/auditctl/auditctl/pkg/store/sqlite"
	"github.com/auditctl/auditctl/pkg/store/storecopy"
	"github.com/spf13/cobra"
)

// CopyOptions are the flags and dependencies of `db copy`.
type CopyOptions struct {
	IO     *cmdutil.IOStreams
	From   string
	To     string
	Slice  int
	Output string
	Quiet  bool
	// Signer signs the team store's chain checkpoints, as for an import.
	Signer *cmdutil.Factory
}

// NewCmdCopy builds `auditctl db copy`.
func NewCmdCopy(f *cmdutil.Factory, runF func(*CopyOptions) error) *cobra.Command {
	opts := &CopyOptions{IO: f.IOStreams, Signer: f}
	cmd := &cobra.Command{
		Use:   "copy --from PATH.db --to URL",
		Short: "Copy a local cache into a PostgreSQL team store",
		Long: heredoc.Doc(`
			Copy a cache file into a team store: its events with their JSON
			documents (each keeping its key, so the team store's tamper-evidence
			chain seals the same rows), its finished sessions (the recordings'
			paths and SHA-256; the recording files stay where they are), and its
			sync state (so 'sync jumpcloud' against the team store continues
			where the cache's syncs stopped).

			Events go in key order, a slice at a time, each slice one
			transaction; the team store records how far the copy from this
			cache has come. An interrupted copy (Ctrl-C, kill, a lost
			connection) is resumed by running the same command again, and a
			copy run twice copies nothing twice: events and sessions already in
			the team store are skipped. A session still being recorded is left
			out (copy again when it has ended).

			--to defaults to the --db or AUDITCTL_DB URL. Progress goes to
			stderr (not with --quiet); the summary to stdout (-o json for a
			script). Exit codes: 2 for a wrong argument, 5 when there is no
			cache at --from, 4 when the server cannot be reached or refuses
			(the role must be able to insert: the ingest or admin role), 130
			when interrupted (run it again to finish).
		`),
		Example: heredoc.Doc(`
			auditctl db copy --from ~/.cache/auditctl/audit.db --to postgres://alice@db.example.com/audit
			AUDITCTL_DB=postgres://importer@db.example.com/audit auditctl db copy --from ./audit.db
			auditctl db copy --from ./audit.db --to postgres://alice@db.example.com/audit -o json --quiet
		`),
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.To == "" {
				if p, err := f.ResolveDBPath(); err == nil && store.IsURL(p) {
					opts.To = p
				}
			}
			opts.Output, opts.Quiet = f.Output, f.Quiet
			if runF != nil {
				return runF(opts)
			}
			return copyRun(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.From, "from", "", "the cache file to copy")
	fl.StringVar(&opts.To, "to", "", "the team store's URL (postgres://…; default: --db or AUDITCTL_DB)")
	fl.IntVar(&opts.Slice, "slice-events", storecopy.DefaultSlice, "events copied per transaction")
	fl.MarkHidden("slice-events")
	return cmd
}

func copyRun(ctx context.Context, opts *CopyOptions) error {
	switch {
	case opts.From == "":
		return audit.Errorf(audit.EUSAGE, "db copy needs --from PATH, the cache file to copy")
	case store.IsURL(opts.From):
		return audit.Errorf(audit.EUSAGE, "--from is a cache file, not a URL: db copy copies a cache into a team store")
	case opts.To == "":
		return audit.Errorf(audit.EUSAGE, "db copy needs --to postgres://… (or --db / AUDITCTL_DB set to the team store's URL)")
	case !store.IsURL(opts.To):
		return audit.Errorf(audit.EUSAGE, "--to %s is not a postgres:// or postgresql:// URL", sanitize.String(opts.To))
	case opts.Slice < 1:
		return audit.Errorf(audit.EUSAGE, "--slice-events must be at least 1")
	}
	switch opts.Output {
	case "", "table", "json":
	default:
		return audit.Errorf(audit.EUSAGE, "db copy prints table or json, not %q", opts.Output)
	}
	origin, err := filepath.Abs(opts.From)
	if err != nil {
		return audit.Errorf(audit.ELOCAL, "%s: %v", opts.From, err)
	}
	if p, err := filepath.EvalSymlinks(origin); err == nil {
		origin = p
	}
	from, err := sqlite.OpenExisting(ctx, opts.From)
	if err != nil {
		return err
	}
	defer from.Close()
	to, err := postgres.Open(ctx, opts.To, true)
	if err != nil {
		return err
	}
	defer to.Close()
	if opts.Signer != nil {
		to.SetSigner(opts.Signer.SigningKey)
	}
	prog := opts.IO.NewProgress("db copy", 0).Unit("events").Quiet(opts.Quiet)
	res, err := storecopy.Copy(ctx, from, to, storecopy.Options{Origin: origin, Slice: opts.Slice, Progress: prog.ItemsOf})
	prog.Done()
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err() // the Factory reports the interrupt (130, 143)
		}
		return err
	}
	if opts.Output == "json" {
		enc := json.NewEncoder(opts.IO.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(res)
	}
	out := opts.IO.Out
	verb := "copied"
	if res.Resumed {
		verb = "resumed: copied"
	}
	fmt.Fprintf(out, "%s %s into %s\n", verb, sanitize.String(res.From), sanitize.String(res.To))
	fmt.Fprintf(out, "  events      %d read, %d new\n", res.Events, res.EventsNew)
	fmt.Fprintf(out, "  sessions    %d finished, %d new", res.Sessions, res.SessionsNew)
	if res.SessionsActive > 0 {
		fmt.Fprintf(out, " (%d active left out: copy again when they end)", res.SessionsActive)
	}
	fmt.Fprintln(out)
	_, err = fmt.Fprintf(out, "  sync state  %d streams\n", res.SyncStreams)
	return err
}
