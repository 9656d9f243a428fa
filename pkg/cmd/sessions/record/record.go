// Package record implements `auditctl sessions record`.
package record

import (
	"context"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"time"

	"github.com/MakeNowJust/heredoc"
	"github.com/google/uuid"
	"github.com/spf13/cobra"

	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/cmd/sessions/shared"
	"github.com/auditctl/auditctl/pkg/cmdutil"
	"github.com/auditctl/auditctl/pkg/recorder"
	"github.com/auditctl/auditctl/pkg/sanitize"
	"github.com/auditctl/auditctl/pkg/session"
	"github.com/auditctl/auditctl/pkg/store"
	"github.com/auditctl/auditctl/pkg/store/sqlite"
)

// RecordOptions are the flags and dependencies of `sessions record`.
type RecordOptions struct {
	IO      *cmdutil.IOStreams
	Command []string
	// Meta is the session metadata the flags give.
	Meta     session.Session
	Category string
	Block    []string
	// AllowMeta lets client commands that read files, open an editor or
	// run a shell through under --block.
	AllowMeta bool
	OutFile   string // -O: the recording's path instead of Dir/<id>.rec
	// Dir is the recordings directory (the cache's, by default).
	Dir string
	// Store returns where the session is registered; nil registers
	// nothing.
	Store func(ctx context.Context) (session.Store, error)
	Quiet bool
	// NewID makes the session ID (a random UUID).
	NewID func() string
}

// ExitError carries COMMAND's exit status out of the command: the process
// exits with Code.
type ExitError struct{ Code int }

func (e *ExitError) Error() string { return fmt.Sprintf("command exited with status %d", e.Code) }

// ExitCode is the process exit status.
func (e *ExitError) ExitCode() int { return e.Code }

// recordWhy says why a recording is made into a cache, not a team store.
const recordWhy = "the recorder's lock, spool and recording live beside the cache on this machine; record into a cache, then copy it into the team store with 'auditctl db copy'"

// NewCmdRecord builds the command.
func NewCmdRecord(f *cmdutil.Factory, runF func(*RecordOptions) error) *cobra.Command {
	opts := &RecordOptions{
		IO: f.IOStreams, NewID: uuid.NewString,
		Store: func(ctx context.Context) (session.Store, error) {
			db, err := f.DBCreate(ctx)
			if err != nil {
				// The command runs and is recorded all the same; its row
				// waits in the spool until the cache is usable again.
				path, perr := f.ResolveDBPath()
				if perr != nil {
					return nil, err
				}
				return sqlite.NewSpoolQueue(path, err), nil
			}
			// The recorder never waits for the cache: its row goes
			// through the spool (docs/cache.md, "Writers").
			return db.NewSessionQueue(), nil
		},
	}
	cmd := &cobra.Command{
		Use:   "record [flags] -- COMMAND [ARGS...]",
		Short: "Run a command in a recorded terminal session",
		Long: heredoc.Doc(`
			Run COMMAND in a pseudo-terminal and record the session: what it
			prints, the keys typed, window resizes and the exit status, written
			to a .rec file (asciicast v3) as they happen, so that a crash loses
			at most the last event. The session is registered in the cache as
			active with this recorder's PID, then completed with its end time,
			duration and the recording's SHA-256 ('sessions list --active',
			'sessions terminate').

			COMMAND never waits for the cache: when another auditctl writer (an
			import, a sync) holds it, COMMAND starts at once and the session row
			is registered in the background as soon as the cache is free. If it
			is still busy when COMMAND ends, auditctl waits up to 2 seconds, then
			leaves the row in the spool beside the cache, which the next auditctl
			command that writes the cache (or 'sessions list') registers; it says
			so once on standard error. A cache that cannot be opened at all
			(damaged) does not stop the session either: the row waits in the
			spool, and standard error says why. The exit status is COMMAND's
			either way.

			On a terminal, the terminal is passed through as it is (raw mode,
			window-size changes forwarded). Without one (a pipe), standard input
			is copied to COMMAND and its end is an end-of-file.

			For database sessions (--category database, or any --block rule),
			the statements the user submits are recorded as query events with
			the client's reply, duration and row count.

			--block refuses the statements a rule matches before they reach the
			client: a case-insensitive substring ('DROP TABLE'), or a regular
			expression between slashes ('/^\s*truncate/'), matched against the
			statement with comments removed, white space collapsed and case
			folded outside string literals. With any --block rule, auditctl owns
			the input line (its own line editor, with history): the client
			receives only complete statements that no rule refused, one at a
			time, exactly as decided; input that is not a complete statement yet
			is held (C-c clears it); after a refused statement, nothing more of
			the same input (the rest of the line, a paste) is sent, and each
			statement in it is recorded as blocked; client commands that read files, open an editor or run a
			shell (psql \i \e \! \o |cmd, sqlite3 .read .shell .system .import,
			mysql source system) are refused unless --allow-meta; the session's
			category is database. Deny rules guard against mistakes at the
			terminal; the database's own grants are the real control (SQL the
			database builds itself, in a function, is not seen). See
			docs/recorder.md.

			The session ID and the recording's path are printed on standard
			error at the start and the end; auditctl exits with COMMAND's exit
			status.
		`),
		Example: heredoc.Doc(`
			auditctl sessions record -- bash
			auditctl sessions record --resource web-1 --host web-1.internal --protocol ssh -- ssh admin@web-1.internal
			auditctl sessions record --category database --resource orders-db --block 'DROP TABLE' --block '/^\s*truncate/' -- psql -h db.internal orders
			auditctl sessions record -O /tmp/demo.rec -- sh -c 'ls -l; sleep 1'
			auditctl sessions record --block 'DROP TABLE' --block 'DELETE FROM' -- sqlite3 orders.db
		`),
		Args: cmdutil.MinimumArgs(1, "a COMMAND to run (after --)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Command = args
			opts.Quiet = opts.Quiet || f.Quiet
			if len(opts.Block) > 0 && !cmd.Flags().Changed("category") {
				opts.Category = string(session.CategoryDatabase)
			}
			if p, err := f.ResolveDBPath(); err == nil && store.IsURL(p) {
				// before anything runs or is written beside a "path" that
				// is a URL
				return cmdutil.ErrLocalOnly("sessions record", recordWhy)
			}
			if opts.Dir == "" {
				if p, err := f.ResolveDBPath(); err == nil {
					opts.Dir = filepath.Join(filepath.Dir(p), "recordings")
				}
			}
			if runF != nil {
				return runF(opts)
			}
			return run(cmd.Context(), opts)
		},
	}
	cmd.Flags().SetInterspersed(false)
	fl := cmd.Flags()
	m := &opts.Meta
	shared.AddMetadataFlags(fl, m)
	fl.Lookup("user").Usage = "user name (default $USER)"
	fl.Lookup("host").Usage = "server host (default this host's name)"
	fl.StringVar(&opts.Category, "category", "server", "server, database or website (database with --block)")
	fl.StringArrayVar(&opts.Block, "block", nil, "refuse statements matching this rule (substring, or /regexp/; repeatable)")
	fl.BoolVar(&opts.AllowMeta, "allow-meta", false, "with --block, let client commands that read files, open an editor or run a shell through")
	fl.StringVarP(&opts.OutFile, "output-file", "O", "", "write the recording to this file (must not exist)")
	fl.StringVar(&opts.Dir, "dir", "", "recordings directory (default: the cache's)")
	return cmd
}

func run(ctx context.Context, opts *RecordOptions) error {
	meta := opts.Meta
	c, err := session.ParseCategory(opts.Category)
	if err != nil {
		return err
	}
	meta.Category = c
	if c == "" {
		meta.Category = session.CategoryServer
		if len(opts.Block) > 0 {
			meta.Category = session.CategoryDatabase
		}
	}
	switch meta.ConnectedFrom {
	case "", "web", "proxy":
	default:
		return audit.Errorf(audit.EUSAGE, "--connected-from %q: want web or proxy", meta.ConnectedFrom)
	}
	if meta.Port < 0 || meta.Port > 65535 {
		return audit.Errorf(audit.EUSAGE, "--port %d: want 0-65535", meta.Port)
	}
	if len(opts.Block) > 0 && meta.Category != session.CategoryDatabase {
		return audit.Errorf(audit.EUSAGE, "--block applies to database sessions: not with --category %s", meta.Category)
	}
	if opts.AllowMeta && len(opts.Block) == 0 {
		return audit.Errorf(audit.EUSAGE, "--allow-meta applies with --block rules only")
	}
	var rules []recorder.Rule
	for _, b := range opts.Block {
		r, err := recorder.ParseRule(b)
		if err != nil {
			return audit.Errorf(audit.EUSAGE, "--block: %v", err)
		}
		rules = append(rules, r)
	}
	if meta.UserName == "" {
		meta.UserName = os.Getenv("USER")
		if meta.UserName == "" {
			if u, err := user.Current(); err == nil {
				meta.UserName = u.Username
			}
		}
	}
	if meta.Host == "" {
		meta.Host, _ = os.Hostname()
	}
	newID := opts.NewID
	if newID == nil {
		newID = uuid.NewString
	}
	meta.ID = newID()
	if opts.OutFile == "" && opts.Dir == "" {
		return audit.Errorf(audit.EUSAGE, "no recordings directory: pass --dir or -O FILE")
	}

	var store session.Store
	if opts.Store != nil {
		s, err := opts.Store(ctx)
		if err != nil {
			return fmt.Errorf("session store: %w", err)
		}
		store = s
		// Sessions whose recorder died are closed before a new one starts.
		_, _ = recorder.MarkStale(ctx, store)
	}
	errOut := opts.IO.ErrOut
	if q, ok := store.(*sqlite.SessionQueue); ok {
		defer func() { reportQueue(opts, meta.ID, q.Close(queueWait)) }()
	}
	res, err := recorder.Record(ctx, recorder.Options{
		Command: opts.Command, Session: meta, Dir: opts.Dir, Output: opts.OutFile, Store: store,
		Stdin: opts.IO.In, Stdout: opts.IO.RawOut(), Block: rules, AllowMeta: opts.AllowMeta,
		Started: func(path string) {
			if !opts.Quiet {
				fmt.Fprintf(errOut, "auditctl: recording session %s to %s\n", meta.ID, sanitize.String(path))
			}
		},
	})
	if err != nil {
		return err
	}
	if !opts.Quiet {
		how := fmt.Sprintf("exit status %d", res.ExitCode)
		if res.Terminated {
			how = "terminated by " + sanitize.String(res.Session.TerminatedBy)
		}
		extra := ""
		if res.Queries > 0 || res.Blocked > 0 {
			extra = fmt.Sprintf(", %d queries, %d blocked", res.Queries, res.Blocked)
		}
		fmt.Fprintf(errOut, "auditctl: session %s ended (%s%s); recording %s\n", meta.ID, how, extra, sanitize.String(res.Path))
	}
	if res.ExitCode != 0 {
		return cmdutil.Silent(&ExitError{Code: res.ExitCode})
	}
	return nil
}

// queueWait bounds how long the recorder waits, after COMMAND ended, for
// its session row to reach a busy cache before it leaves it in the spool.
const queueWait = 2 * time.Second

// reportQueue says once, on standard error, when the session's registration
// was deferred by another writer or failed.
func reportQueue(opts *RecordOptions, id string, st sqlite.QueueStatus) {
	switch {
	case st.Cause != nil && st.Err != nil:
		fmt.Fprintf(opts.IO.ErrOut, "auditctl: session %s is not registered: the cache could not be opened (%s), nor the spool written (%s); the recording is complete\n",
			id, sanitize.String(st.Cause.Error()), sanitize.String(st.Err.Error()))
	case st.Cause != nil:
		// Not quiet: the cache needs attention.
		fmt.Fprintf(opts.IO.ErrOut, "auditctl: the cache could not be opened (%s): session %s will be registered by the next auditctl command that writes it (spooled in %s)\n",
			sanitize.String(st.Cause.Error()), id, sanitize.String(st.Dir))
	case st.Err != nil:
		// Not quiet: the session is not registered at all.
		fmt.Fprintf(opts.IO.ErrOut, "auditctl: session %s is not registered in the cache: %s (the recording is complete)\n",
			id, sanitize.String(st.Err.Error()))
	case opts.Quiet:
	case st.Spooled:
		fmt.Fprintf(opts.IO.ErrOut, "auditctl: the cache is busy (another auditctl writer): session %s will be registered by the next auditctl command that writes it (spooled in %s)\n",
			id, sanitize.String(st.Dir))
	case st.Deferred:
		fmt.Fprintf(opts.IO.ErrOut, "auditctl: the cache was busy (another auditctl writer): session %s was registered once it was free\n", id)
	}
}
