// Package tui implements `auditctl tui`, the investigation console: the
// command reads its flags and hands the console (package tui at the root)
// the event service and the filter they choose.
package tui

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"io"
	"os"
	"os/exec"
	"time"

	"github.com/MakeNowJust/heredoc"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/chain"
	"github.com/auditctl/auditctl/pkg/cmd/logs/export"
	"github.com/auditctl/auditctl/pkg/cmd/sessions/list"
	"github.com/auditctl/auditctl/pkg/cmd/sessions/play"
	"github.com/auditctl/auditctl/pkg/cmd/sessions/shared"
	"github.com/auditctl/auditctl/pkg/cmd/sessions/show"
	"github.com/auditctl/auditctl/pkg/cmd/sessions/terminate"
	"github.com/auditctl/auditctl/pkg/cmd/sessions/watch"
	"github.com/auditctl/auditctl/pkg/cmdutil"
	"github.com/auditctl/auditctl/pkg/output"
	"github.com/auditctl/auditctl/pkg/query"
	"github.com/auditctl/auditctl/pkg/session"
	"github.com/auditctl/auditctl/pkg/store"
	"github.com/auditctl/auditctl/pkg/store/sqlite"
	"github.com/auditctl/auditctl/player"
	"github.com/auditctl/auditctl/tui"
)

// Options are the flags and dependencies of `tui`.
type Options struct {
	IO      *cmdutil.IOStreams
	Factory *cmdutil.Factory
	Filter  cmdutil.FilterOptions
	Remote  string
}

// NewCmdTUI builds the command.
func NewCmdTUI(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, Factory: f}
	cmd := &cobra.Command{
		Use:   "tui",
		Short: "Browse and search events interactively",
		Long: heredoc.Doc(`
			Open the investigation console on the events of the cache, or with
			--remote jumpcloud, live from the Directory Insights API: the same
			events the logs commands read, in a table you scroll through and
			search as you type.

			The table shows the newest events first (time, service, action,
			actor, IP, status, duration; the columns a narrow terminal cannot
			hold are left out by priority, as in logs list). It reads the result
			a chunk at a time as you scroll, so a cache of millions of events
			scrolls as freely as a small one. The footer shows
			"Page X of Y (Z total)", the filter and the time window.

			The filter flags, --since and --until set the base filter; -q is the
			initial query, which / edits (the -q language, checked as you type,
			the error shown where it is; each query cancels the one still
			running). Like logs list, it covers the last 7 days unless a time is
			given or --all. Keys (? in the console shows them all):
			  ↑ ↓ pgup pgdown home end   move (k j b space g G)
			  enter                      the event in full: every field, the JSON
			                             documents pretty-printed, the changes
			  v y                        detail panel: the next page (fields, JSON,
			                             before/after); copy a value (OSC 52)
			  /                          the query bar (↑ earlier queries, tab completes
			                             keys and the values seen in the cache)
			  f                          the filter panel (date range, service, action,
			                             error state, browser, duration, actor, IP…)
			  a i w                      pivot: the same actor / IP within ±1 h, the
			                             event's workflow as a timeline
			  backspace                  back from the last pivot
			  t                          live tail: new events appear at the top
			  e                          export the result (csv, ndjson, json; age
			                             encryption), in the background
			  c                          clear the query and the filter panel
			  tab 1 2 3                  the overview, the logs, the sessions
			  r                          run the query again
			  esc                        close what was opened last
			  ?                          all the keys
			  q                          quit

			It opens on the overview: the counts of the filter and window (events,
			failures, distinct actors, active sessions), the top actions and
			actors, the events over time; Enter on a number opens the logs view
			filtered to it; ← → choose a bar of the histogram and Enter narrows
			the window to it (Backspace goes back). 2 (or Tab) is the logs view.

			3 is Session History from the cache, the live sessions marked ●:
			  f                          the filters of sessions list (date range,
			                             user, connector, recording, category,
			                             resource, duration, server OS, protocol,
			                             connected from, status, search)
			  enter                      the session as sessions show gives it: its
			                             files, its user's events (enter: in the logs)
			  p                          play its recording in the session player
			  w                          watch an active session live
			  x                          terminate an active session (asks first;
			                             the TerminateSession event names you)
			q in the player comes back to the list. A click selects a row, a
			second click opens it; the wheel scrolls.

			With --db postgres://… (or AUDITCTL_DB) it reads a PostgreSQL team
			store: the live tail (t) is woken by each import as it commits
			(LISTEN/NOTIFY) instead of reading every second; w and x (watch,
			terminate) need a cache, as the commands do (docs/postgres.md).

			Needs a terminal. --no-color (or NO_COLOR) leaves out the colours.
			See docs/tui.md.
		`),
		Example: heredoc.Doc(`
			auditctl tui
			auditctl tui -q 'action:DeleteUser -status:success'
			auditctl tui --since 24h --service sso
			auditctl tui --all --actor '*@example.com'
			auditctl tui --remote jumpcloud --since 24h
		`),
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			return run(cmd.Context(), opts)
		},
	}
	cmdutil.AddFilterFlags(cmd, &opts.Filter, true)
	cmd.Flags().StringVar(&opts.Remote, "remote", "", "query this remote API live instead of the cache: jumpcloud")
	cmdutil.AddJumpCloudFlags(cmd, &f.JumpCloud, cmdutil.NoTimeout)
	return cmd
}

// Compile returns the console's compiler of queries: the query with the
// flags' filter, over the default window when no time is given.
func (opts *Options) Compile() func(string) (audit.Filter, bool, error) {
	return func(q string) (audit.Filter, bool, error) {
		fo := opts.Filter
		fo.Query = q
		f, err := fo.Filter(opts.Factory.Now(), true)
		return f, fo.DefaultWindowApplied(), err
	}
}

func run(ctx context.Context, opts *Options) error {
	if ctx == nil {
		ctx = context.Background()
	}
	compile := opts.Compile()
	if _, _, err := compile(opts.Filter.Query); err != nil {
		return err
	}
	// The cache first: a missing or damaged one is said (exit 5) whatever
	// the terminal.
	svc, err := opts.Factory.EventService(ctx, opts.Remote)
	if err != nil {
		return err
	}
	if !opts.IO.IsStdinTTY() || !opts.IO.IsStdoutTTY() {
		return audit.Errorf(audit.EUSAGE, "the console needs a terminal: use logs list for output to a file or a pipe")
	}
	where, team := opts.Remote, false
	if where == "" {
		path, err := opts.Factory.ResolveDBPath()
		if err != nil {
			return err
		}
		where, team = "cache "+path, store.IsURL(path)
		if team {
			where = "team store " + store.Redact(path)
		}
	}
	o := tui.Options{
		Events: svc, Compile: compile, Query: opts.Filter.Query, Where: where,
		Color: opts.IO.ColorEnabled(), In: opts.IO.In, Out: opts.IO.RawOut(),
		Config: opts.Factory.Config,
		// the key of `logs export --manifest`; its creation is said in
		// the console, not on stderr under the screen
		SigningKey: func() (ed25519.PrivateKey, string, error) {
			path, err := opts.Factory.KeyPath()
			if err != nil {
				return nil, "", err
			}
			key, created, err := chain.LoadOrCreateKey(path)
			if err != nil || !created {
				return key, "", err
			}
			return key, path, nil
		},
	}
	o.Clipboard = tui.OSC52(os.Getenv, func() (string, error) {
		ctx, cancel := context.WithTimeout(ctx, time.Second)
		defer cancel()
		out, err := exec.CommandContext(ctx, "tmux", "show-options", "-gv", "set-clipboard").Output()
		return string(out), err
	})
	o.CopyFile = tui.DefaultCopyFile()
	if team {
		// The team store: the overview and the logs view, whose live
		// tail is woken by each import's notification (LISTEN/NOTIFY).
		// Session History: the list, a session's panel and its
		// recording; watch and terminate need the cache (as the
		// commands do).
		o.ChainHead = export.ChainHead(opts.Factory)
		if ss, ok := svc.(tui.SessionFinder); ok {
			o.Sessions, o.Play, o.SessionFilter = ss, opts.play, SessionFilter(opts.Factory.Now)
			o.ShowSession = func(ctx context.Context, s *session.Session) (*tui.SessionPanel, error) {
				return sessionPanel(ctx, svc, s, opts.Factory.Now(), o.Color)
			}
		}
		wake, stop, err := Wake(ctx, svc)
		if err != nil {
			return err
		}
		defer stop()
		o.Wake = wake
	} else if opts.Remote == "" {
		o.ChainHead = export.ChainHead(opts.Factory)
		db, err := opts.Factory.DB(ctx)
		if err != nil {
			return err
		}
		o.Sessions = sessionHistory{db}
		o.Play = opts.play
		o.Watch = func(ctx context.Context, s *session.Session, in io.Reader, out io.Writer) error {
			rf := shared.RecordingFlags{}
			rf.Bind(opts.Factory)
			return watch.Live(ctx, db, &rf, s, in, out)
		}
		o.Terminate = func(ctx context.Context, s *session.Session, reason string) error {
			return terminate.Terminate(ctx, db, s, terminate.CurrentUser(), reason, opts.Factory.Now())
		}
		o.ShowSession = func(ctx context.Context, s *session.Session) (*tui.SessionPanel, error) {
			return sessionPanel(ctx, db, s, opts.Factory.Now(), o.Color)
		}
		o.SessionFilter = SessionFilter(opts.Factory.Now)
	}
	return tui.Run(ctx, o)
}

// Wake is the live tail's wake-up over events: when the store notifies
// (PostgreSQL), a function that returns when an import committed (or,
// in case a notification was lost, after store.FallbackPoll), and the
// function that stops listening; nil (the console polls) otherwise.
func Wake(ctx context.Context, events audit.EventService) (func(context.Context) error, func(), error) {
	n, ok := events.(store.Notifier)
	if !ok {
		return nil, func() {}, nil
	}
	l, err := n.Listen(ctx)
	if err != nil {
		return nil, nil, err
	}
	return func(ctx context.Context) error { return l.Wait(ctx, store.FallbackPoll) }, func() { l.Close() }, nil
}

// sessionHistory is Session History as `sessions list` reads it: brought
// up to date first (list.Refresh: the spool drained, sessions whose
// recorder died marked stale).
type sessionHistory struct{ db *sqlite.DB }

func (h sessionHistory) FindSessions(ctx context.Context, f session.Filter, p session.Page) ([]*session.Session, int, error) {
	if err := list.Refresh(ctx, h.db); err != nil {
		return nil, 0, err
	}
	return h.db.FindSessions(ctx, f, p)
}

// panelEvents is how many of the user's events the session panel lists.
const panelEvents = 20

// sessionPanel reads the panel of `sessions show` for s: the session, its
// files, the first of its user's events during it; Enter in the console
// opens them all in the logs view.
func sessionPanel(ctx context.Context, events audit.EventService, s *session.Session, now time.Time, color bool) (*tui.SessionPanel, error) {
	d, err := show.Load(ctx, events, s, now, panelEvents)
	if err != nil {
		return nil, err
	}
	p := &tui.SessionPanel{Render: func(width int) (string, error) {
		var buf bytes.Buffer
		err := show.WritePanel(&buf, d, output.Options{Width: width, Color: color, Omit: []string{"id"}}, "enter opens them all in the logs view")
		return buf.String(), err
	}}
	if f, ok := show.UserEvents(s, now); ok {
		p.Events = query.Format(f)
	}
	return p, nil
}

// SessionFilter is the console's sessions filter panel: the filter flags
// of `sessions list` (list.FilterFlags), read as the command reads them.
func SessionFilter(now func() time.Time) *tui.SessionFilter {
	return tui.NewSessionFilter(func(fs *pflag.FlagSet) func() (session.Filter, error) {
		var ff list.FilterFlags
		ff.Add(fs)
		return func() (session.Filter, error) { return ff.Filter(now()) }
	})
}

// play plays the recording of s in the session player, as `sessions play
// ID` does (the recording checked against its registered hash first).
func (opts *Options) play(ctx context.Context, s *session.Session, in io.Reader, out io.Writer) error {
	rf := shared.RecordingFlags{}
	rf.Bind(opts.Factory)
	path, err := rf.Resolve(ctx, s.ID)
	if err != nil {
		return err
	}
	recOpt, err := rf.Options()
	if err != nil {
		return err
	}
	return player.Run(ctx, player.Options{Path: path, Rec: recOpt, In: in, Out: out, IndexThreshold: play.IndexThreshold})
}
