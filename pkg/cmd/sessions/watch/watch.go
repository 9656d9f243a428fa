// Package watch implements `auditctl sessions watch`.
package watch

import (
	"context"
	"sync"
	"time"

	"github.com/MakeNowJust/heredoc"
	"github.com/spf13/cobra"

	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/cmd/sessions/shared"
	"github.com/auditctl/auditctl/pkg/cmdutil"
	"github.com/auditctl/auditctl/pkg/recorder"
	"github.com/auditctl/auditctl/pkg/recording"
	"github.com/auditctl/auditctl/pkg/session"
	"github.com/auditctl/auditctl/pkg/store/sqlite"
	"github.com/auditctl/auditctl/player"
	"github.com/auditctl/auditctl/player/dump"
)

// Options are the flags and dependencies of `sessions watch`.
type Options struct {
	IO    *cmdutil.IOStreams
	Store func(ctx context.Context) (session.Store, error)
	ID    string
	NoTUI bool
	Rec   shared.RecordingFlags
	// Interactive runs the player on a followed recording.
	Interactive func(ctx context.Context, path string, done func() bool) error
}

// NewCmdWatch builds the command.
func NewCmdWatch(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, Store: func(ctx context.Context) (session.Store, error) { return f.DB(ctx) }}
	opts.Interactive = func(ctx context.Context, path string, done func() bool) error {
		if !opts.IO.IsStdinTTY() || !opts.IO.IsStdoutTTY() {
			return audit.Errorf(audit.EUSAGE, "the interactive watch needs a terminal: use --no-tui")
		}
		recOpt, err := opts.Rec.Options()
		if err != nil {
			return err
		}
		return player.Run(ctx, player.Options{Path: path, Rec: recOpt, Live: true, LiveDone: done,
			In: opts.IO.In, Out: opts.IO.RawOut(), Warning: opts.Rec.Modified})
	}
	cmd := &cobra.Command{
		Use:   "watch ID",
		Short: "Follow an active session live",
		Long: heredoc.Doc(`
			Follow a session that 'auditctl sessions record' is recording right
			now: what the user sees appears as it is written (within a tenth of
			a second), rendered by auditctl's emulator, never as raw bytes. The
			watch ends when the session does (exit, terminate, or its recorder
			dying).

			--no-tui prints the session as plain text while it happens: every
			line as it scrolls, then the final screen (like 'sessions cat'), for
			a log or a second terminal. A bad line in the recording is named on
			stderr when it is met and skipped; when the watch ends the exit code
			is 3 unless --skip-invalid, as for every sessions command.
		`),
		Example: heredoc.Doc(`
			auditctl sessions list --active
			auditctl sessions watch 3f2a9c1e
			auditctl sessions watch 3f2a9c1e --no-tui | tee session.txt
		`),
		Args: cmdutil.ExactArgs(1, "a session ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.ID = args[0]
			if runF != nil {
				return runF(opts)
			}
			return run(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVar(&opts.NoTUI, "no-tui", false, "print the session as text while it happens")
	opts.Rec.Add(cmd.Flags())
	opts.Rec.Bind(f)
	return cmd
}

func run(ctx context.Context, opts *Options) error {
	store, err := opts.Store(ctx)
	if err != nil {
		return err
	}
	s, err := store.FindSession(ctx, opts.ID)
	if err != nil {
		return err
	}
	if s.RecordingPath == "" {
		return audit.Errorf(audit.ENOTFOUND, "session %s has no recording to watch", s.ID)
	}
	// A session that has ended is checked as play checks it.
	if err := opts.Rec.CheckRecording(s); err != nil {
		return err
	}
	done := sessionEnded(ctx, store, s.ID)
	if !opts.NoTUI {
		return opts.Interactive(ctx, s.RecordingPath, done)
	}
	recOpt, err := opts.Rec.Options()
	if err != nil {
		return err
	}
	rd, err := recording.Follow(ctx, s.RecordingPath, recOpt, done)
	if err != nil {
		return shared.OpenError(s.RecordingPath, err)
	}
	defer rd.Close()
	// A bad line is said at once (the session goes on); at the end the
	// damage decides the exit code, as for every sessions command.
	err = dump.Follow(opts.IO.Out, rd, func(err error) {
		opts.Rec.Notice(opts.IO, "warning: %v (skipped)", err)
	})
	if err != nil && recording.Fatal(err) && audit.ErrorCode(err) != audit.EINVALID {
		return err
	}
	d := rd.Damage()
	if !d.Damaged() {
		return err
	}
	if !opts.Rec.SkipInvalid {
		return shared.DamageError(s.RecordingPath, d)
	}
	return nil
}

// sessionEnded returns a function that reports whether the session is no
// longer active, asking the store at most twice a second (and marking a
// session whose recorder died as stale on the way).
func sessionEnded(ctx context.Context, store session.Store, id string) func() bool {
	var mu sync.Mutex
	var last time.Time
	ended := false
	return func() bool {
		mu.Lock()
		defer mu.Unlock()
		if ended || time.Since(last) < 500*time.Millisecond {
			return ended
		}
		last = time.Now()
		sweep := store
		if db, ok := store.(*sqlite.DB); ok {
			sweep = db.NoWait() // never wait for an import
		}
		recorder.MarkStale(ctx, sweep)
		s, err := store.FindSession(ctx, id)
		ended = err != nil || s.Status != session.StatusActive
		return ended
	}
}
