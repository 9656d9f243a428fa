// Package demo implements `auditctl demo`.
package demo

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/MakeNowJust/heredoc"
	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/cmdutil"
	demodata "github.com/auditctl/auditctl/pkg/demo"
	"github.com/auditctl/auditctl/pkg/output"
	"github.com/auditctl/auditctl/pkg/store/sqlite"
	"github.com/spf13/cobra"
)

// DemoOptions are the flags and dependencies of `demo`.
type DemoOptions struct {
	IO  *cmdutil.IOStreams
	Now func() time.Time
	DB  func(ctx context.Context) (*sqlite.DB, error)

	Count  int
	Days   int
	Output string
	// Command is how the hints run auditctl (cmdutil.Invocation).
	Command string
	Quiet   bool
}

// NewCmdDemo builds the command.
func NewCmdDemo(f *cmdutil.Factory, runF func(*DemoOptions) error) *cobra.Command {
	opts := &DemoOptions{IO: f.IOStreams, Now: f.Now, DB: f.DBCreate}
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Load the embedded demo data set and show what it can answer",
		Long: heredoc.Doc(`
			Load a realistic, deterministic demo data set into the cache: 20,000
			audit events over the last 30 days from four kinds of source (a
			privileged-access vault, JumpCloud Directory Insights, a SaaS platform's
			audit log and an endpoint-backup product's workflow log), with
			failures, slow requests, several tenants, multi-step workflows with
			before/after state, and a few stories to investigate.

			Running demo again replaces the earlier demo events (every source
			starting with "demo:"), so the data always ends now. Nothing else in
			the cache is touched. Then it lists the user deletions of the last 7
			days, as 'auditctl logs list --action DeleteUser' would.
		`),
		Example: heredoc.Doc(`
			auditctl demo
			auditctl demo --db /tmp/demo.db && auditctl --db /tmp/demo.db logs count --by service
		`),
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Output = f.Output
			opts.Quiet = f.Quiet
			opts.Command = cmdutil.Invocation(os.Args[0], f.DBPath)
			if runF != nil {
				return runF(opts)
			}
			return demoRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().IntVar(&opts.Count, "events", 20000, "how many events to generate")
	cmd.Flags().IntVar(&opts.Days, "days", 30, "how many days back the events go")
	return cmd
}

// Summary is what demo loaded, for -o json.
type Summary struct {
	Database  string         `json:"database"`
	Removed   int64          `json:"removed"`
	Inserted  int            `json:"inserted"`
	Sessions  int            `json:"sessions"`
	Sources   []audit.Bucket `json:"sources"`
	Deletions []*audit.Event `json:"recent_deletions"`
}

func demoRun(ctx context.Context, opts *DemoOptions) error {
	if opts.Count < 1 || opts.Days < 1 {
		return audit.Errorf(audit.EUSAGE, "--events and --days must be at least 1")
	}
	db, err := opts.DB(ctx)
	if err != nil {
		return err
	}
	now := opts.Now().UTC()
	var old audit.Filter
	old.Add(audit.FieldSource, "demo:*")
	removed, err := db.DeleteEvents(ctx, old)
	if err != nil {
		return err
	}
	progress := opts.IO.NewProgress("demo", 0).Unit("events").Quiet(opts.Quiet)
	res, err := db.Import(ctx, demodata.Events(demodata.Options{Now: now, Days: opts.Days, Count: opts.Count}),
		sqlite.ImportOptions{Progress: func(n int) { progress.ItemsOf(int64(n), int64(opts.Count)) }})
	progress.Done()
	if err != nil {
		return err
	}
	sessions, err := demodata.Sessions(demodata.Options{Now: now, Days: opts.Days, Count: opts.Count},
		filepath.Join(filepath.Dir(db.Path()), "recordings", "demo"))
	if err != nil {
		return fmt.Errorf("demo sessions: %w", err)
	}
	for _, s := range sessions {
		if got, err := db.FindSession(ctx, s.ID); err == nil && got.ID == s.ID {
			err = db.UpdateSession(ctx, s)
		} else {
			err = db.CreateSession(ctx, s)
		}
		if err != nil {
			return err
		}
	}
	sum := Summary{Database: db.Path(), Removed: removed, Inserted: res.Inserted, Sessions: len(sessions)}
	if sum.Sources, err = db.CountBy(ctx, old, audit.FieldSource, 0); err != nil {
		return err
	}
	recent := audit.Filter{Since: now.Add(-cmdutil.DefaultWindow)}
	recent.Add(audit.FieldAction, "DeleteUser")
	recent.Add(audit.FieldSource, "demo:*")
	deletions, total, err := db.FindEvents(ctx, recent, audit.Page{Limit: 20})
	if err != nil {
		return err
	}
	sum.Deletions = deletions
	if opts.Output == "json" {
		enc := json.NewEncoder(opts.IO.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(sum)
	}
	w := opts.IO.Out
	fmt.Fprintf(w, "Loaded %d demo events (last %d days) into %s\n", res.Inserted, opts.Days, db.Path())
	for _, b := range sum.Sources {
		fmt.Fprintf(w, "  %-16s %6d events\n", b.Key, b.Count)
	}
	fmt.Fprintf(w, "  %-16s %6d sessions (3 with recordings: server, database, website)\n", "sessions", len(sessions))
	fmt.Fprintf(w, "\nUser deletions in the last 7 days (%s logs list --action DeleteUser):\n\n", opts.Command)
	oo, err := (&cmdutil.TableFlags{}).Options(opts.IO) // as logs list shows it: TZ, the width
	if err != nil {
		return err
	}
	if err := output.WriteEvents(w, output.FormatTable, deletions, oo); err != nil {
		return err
	}
	fmt.Fprintln(w, output.PageFooter(1, (total+19)/20, total))
	showID := "ID"
	if len(deletions) > 0 {
		showID = cmdutil.ShellQuote(deletions[0].ID)
	}
	fmt.Fprint(w, "\nTry next:\n"+hints(opts.Command, showID, opts.IO.TerminalWidth()))
	return nil
}

// hints are the commands worth trying on the demo data, each as the user
// can run it: prefix is how auditctl was run (with its --db). Comments
// follow the commands when that fits width (0: no limit), else they go on
// the line above, so that no command wraps.
func hints(prefix, showID string, termWidth int) string {
	lines := [][2]string{
		{"logs list -q 'action:DeleteUser -status:success'", "the failed deletions"},
		{"logs show " + showID, "one event in detail"},
		{"logs count --by actor --since 30d", "who is busiest"},
		{"logs count --interval 1d -q 'status:failure'", "failures per day"},
		{"logs list --min-duration 5000 --sort -duration", "slow requests"},
		{"logs list -q 'workflow_type:user:update' -o json", "before/after state"},
		{"logs export --since 30d -O demo.csv", "CSV for a spreadsheet"},
		{"sessions list", "Session History"},
		{"sessions queries demo-db-0001", "a database session's queries"},
		{"sessions keystrokes demo-srv-0001 --commands", "what was typed on a server"},
		{"sessions play demo-srv-0001 --no-tui --at 40%", "the screen at a moment"},
	}
	width := 0
	for _, l := range lines {
		width = max(width, len(l[0]))
	}
	comment := 0
	for _, l := range lines {
		comment = max(comment, len(l[1]))
	}
	inline := termWidth <= 0 || 2+len(prefix)+1+width+5+comment <= termWidth
	var b strings.Builder
	for _, l := range lines {
		if inline {
			fmt.Fprintf(&b, "  %s %-*s   # %s\n", prefix, width, l[0], l[1])
		} else {
			fmt.Fprintf(&b, "  # %s\n  %s %s\n", l[1], prefix, l[0])
		}
	}
	return b.String()
}
