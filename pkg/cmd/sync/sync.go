// Package sync implements `auditctl sync jumpcloud`.
package sync

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/MakeNowJust/heredoc"
	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/cmdutil"
	"github.com/auditctl/auditctl/pkg/importer"
	"github.com/auditctl/auditctl/pkg/output"
	"github.com/auditctl/auditctl/pkg/source/jumpcloud"
	"github.com/auditctl/auditctl/pkg/store"
	"github.com/spf13/cobra"
)

// Options are the flags and dependencies of `sync jumpcloud`.
type Options struct {
	IO  *cmdutil.IOStreams
	Now func() time.Time
	// DB opens the store: the cache, or a PostgreSQL team store.
	DB     func(context.Context) (store.Store, error)
	Client func() (*jumpcloud.Client, error)
	Orgs   func() []string

	Source      string
	Since       string
	Services    []string
	Lag         time.Duration
	Overlap     time.Duration
	Concurrency int
	SliceEvents int64
	PageLimit   int
	DryRun      bool
	Output      string
	Quiet       bool
	// MaxEventSize is --max-event-size as given.
	MaxEventSize string
}

// NewCmdSync builds the command; runF replaces the run function in tests
// that check flag parsing alone.
func NewCmdSync(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, Now: f.Now, DB: f.StoreCreate, Client: f.JumpCloudClient,
		Orgs: func() []string { return f.JumpCloud.Orgs }}
	cmd := &cobra.Command{
		Use:   "sync jumpcloud",
		Short: "Pull events from a remote audit API into the cache",
		Long: heredoc.Doc(`
			Pull JumpCloud Directory Insights events into the cache (source
			jumpcloud), mapped as 'import --format jumpcloud' maps them; or
			into a PostgreSQL team store with --db postgres://… (docs/postgres.md).

			Incremental: each organization and service remembers how far it got,
			and the next run continues from there, re-reading the last --overlap
			(duplicates are skipped) and stopping --lag before now, because
			Directory Insights events can arrive late. --since is how far back
			the first run goes; a larger --since on a later run fills the gap.
			A run can be interrupted at any moment (Ctrl-C, kill, network loss):
			what was stored stays, and the next run completes the rest.

			Large windows are counted first, split into slices and fetched with
			--concurrency requests at once. The API key comes from
			JUMPCLOUD_API_KEY or ~/.config/auditctl/config.yaml (mode 0600); a
			service account's JUMPCLOUD_CLIENT_ID and JUMPCLOUD_CLIENT_SECRET
			work too, with --org. See docs/jumpcloud.md.

			An event larger than --max-event-size (1MiB unless raised) or a
			response larger than 32 MiB stops the sync with exit code 3, naming
			the event and field; what was stored before it stays.
		`),
		Example: heredoc.Doc(`
			# the last 7 days the first time, then what is new
			auditctl sync jumpcloud

			# a month of SSO and directory events, for two organizations
			auditctl sync jumpcloud --since 30d --service sso,directory --org 5f1a2b3c4d5e6f7a8b9c0d1e --org 60b2c3d4e5f60718293a4b5c

			# what would be fetched
			auditctl sync jumpcloud --since 90d --dry-run
		`),
		Args: cmdutil.ExactArgs(1, "a source: jumpcloud"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Source = args[0]
			if opts.DryRun {
				opts.DB = f.Store // a plan reads the store, never creates it
			}
			opts.Output = f.Output
			opts.Quiet = f.Quiet
			if runF != nil {
				return runF(opts)
			}
			return syncRun(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Since, "since", "7d", "how far back the first run (or a backfill) starts: 90m, 24h, 7d, 4w, or a date")
	fl.StringSliceVar(&opts.Services, "service", []string{"all"}, "services to sync, each on its own: all, or directory,sso,radius,systems,ldap,mdm,password_manager,…")
	fl.DurationVar(&opts.Lag, "lag", 2*time.Minute, "stop this long before now: late events are picked up by the next run")
	fl.DurationVar(&opts.Overlap, "overlap", 15*time.Minute, "re-read this much before where the last run stopped")
	fl.IntVar(&opts.Concurrency, "concurrency", 4, "slices fetched at once")
	fl.BoolVar(&opts.DryRun, "dry-run", false, "print the plan (windows and counts) without fetching or storing anything (no cache is created)")
	fl.Int64Var(&opts.SliceEvents, "slice-events", 200000, "split windows into slices of about this many events")
	fl.IntVar(&opts.PageLimit, "page-limit", jumpcloud.MaxLimit, "events per request (at most 10000)")
	fl.StringVar(&opts.MaxEventSize, "max-event-size", "1MiB", "largest event accepted; a larger one fails the sync, exit code 3 (512KiB, 4MiB; at most 64MiB)")
	fl.MarkHidden("slice-events")
	fl.MarkHidden("page-limit")
	cmdutil.AddJumpCloudFlags(cmd, &f.JumpCloud, cmdutil.NoTimeout)
	return cmd
}

// dbStore adapts a store (the cache or a team store) to jumpcloud.Store:
// each slice is one Import, one transaction in either store, and its
// events already stored are skipped (so a slice fetched again adds
// nothing).
type dbStore struct{ db store.Store }

func (s dbStore) Import(ctx context.Context, evs []*audit.Event) (int, error) {
	res, err := s.db.Import(ctx, &jumpcloud.EventSlice{Events: evs}, store.ImportOptions{Name: "jumpcloud"})
	return res.Inserted, err
}

func (s dbStore) State(ctx context.Context, org, service string) (jumpcloud.State, bool, error) {
	st, ok, err := s.db.SyncState(ctx, "jumpcloud", org, service)
	return jumpcloud.State{From: st.From, Until: st.Until}, ok, err
}

func (s dbStore) Extend(ctx context.Context, org, service string, st jumpcloud.State) error {
	return s.db.ExtendSyncState(ctx, store.SyncState{Source: "jumpcloud", Org: org, Service: service, From: st.From, Until: st.Until})
}

// noStore is the state of a cache that does not exist yet, for --dry-run.
type noStore struct{}

func (noStore) Import(context.Context, []*audit.Event) (int, error) {
	return 0, audit.Errorf(audit.EINTERNAL, "a dry run stores nothing")
}

func (noStore) State(context.Context, string, string) (jumpcloud.State, bool, error) {
	return jumpcloud.State{}, false, nil
}

func (noStore) Extend(context.Context, string, string, jumpcloud.State) error {
	return audit.Errorf(audit.EINTERNAL, "a dry run stores nothing")
}

// Store returns a store as a jumpcloud.Store.
func Store(db store.Store) jumpcloud.Store { return dbStore{db} }

func syncRun(ctx context.Context, opts *Options) error {
	if opts.Source != "jumpcloud" {
		return audit.Errorf(audit.EUSAGE, "unknown source %q: sync knows jumpcloud", opts.Source)
	}
	format, err := output.ResolveFormat(opts.Output, opts.IO.IsStdoutTTY())
	if err != nil {
		return err
	}
	now := opts.Now()
	since, err := audit.ParseTimeArg(opts.Since, now)
	if err != nil {
		return audit.Errorf(audit.EUSAGE, "--since: %v", err)
	}
	if !since.Before(now) {
		return audit.Errorf(audit.EUSAGE, "--since %s is not in the past", opts.Since)
	}
	services, err := jumpcloud.ValidServices(opts.Services)
	if err != nil {
		return err
	}
	if opts.Concurrency < 1 || opts.Concurrency > 32 {
		return audit.Errorf(audit.EUSAGE, "--concurrency must be between 1 and 32")
	}
	limits, err := importer.ParseOptions(opts.MaxEventSize)
	if err != nil {
		return err
	}
	c, err := opts.Client()
	if err != nil {
		return err
	}
	c.MaxEventSize = limits.MaxEventSize
	var dest jumpcloud.Store
	switch db, err := opts.DB(ctx); {
	case err == nil:
		dest = Store(db)
	case opts.DryRun && errors.Is(err, store.ErrNoStore):
		dest = noStore{} // the plan of a first sync
	default:
		return err
	}
	prog := opts.IO.NewProgress("sync jumpcloud", 0).Unit("events").Quiet(opts.Quiet)
	if c.Notify != nil { // retries are announced above the progress line
		c.Notify = func(msg string) { fmt.Fprintln(prog.Above(), msg) }
	}
	res, err := jumpcloud.Sync(ctx, c, dest, jumpcloud.SyncOptions{
		Since: now.Sub(since), Services: services, Orgs: opts.Orgs(), Lag: opts.Lag, Overlap: opts.Overlap,
		Concurrency: opts.Concurrency, SliceEvents: opts.SliceEvents, PageLimit: opts.PageLimit, Now: func() time.Time { return now }, DryRun: opts.DryRun, Progress: prog.ItemsOf,
	})
	prog.Done()
	if err != nil {
		if ctx.Err() != nil {
			return audit.Errorf(audit.EREMOTE, "sync interrupted after storing %d new events; run it again to complete it", res.Inserted)
		}
		return err
	}
	if format != output.FormatTable {
		if res.Windows == nil {
			res.Windows = []jumpcloud.Window{}
		}
		b, err := json.Marshal(res)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(opts.IO.Out, "%s\n", b)
		return err
	}
	var b strings.Builder
	for _, w := range res.Windows {
		fmt.Fprintf(&b, "%s\n", w)
	}
	if len(res.Windows) == 0 {
		b.WriteString("nothing to sync: the cache is up to date\n")
	}
	if !opts.DryRun {
		fmt.Fprintf(&b, "synced jumpcloud: %d events fetched, %d new\n", res.Fetched, res.Inserted)
	}
	_, err = io.WriteString(opts.IO.Out, b.String())
	return err
}
