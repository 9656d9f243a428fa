// Package watch implements `auditctl sessions watch`.
package watch

import (
	"context"
	"io"
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
	opts := &Options{IO: f.IOStreams, Store: func(ctx context.Context) (session.Store, error) {
		return f.LocalDB("sessions watch", "it follows a recording as its recorder writes it, on the machine whose cache the recorder writes")(ctx)
	}}
	opts.Interactive = func(ctx context.Context, path string, done func() bool) error {
		if !opts.IO.IsStdinTTY() || !opts.IO.IsStdoutTTY() {
			return audit.Errorf(audit.EUSAGE, "the interactive watch needs a terminal: use --no-tui")
		}
		return follow(ctx, &opts.Rec, path, done, opts.IO.In, opts.IO.RawOut())
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

// follow runs the player on the live recording at path until the user
// quits (the session's end stays on screen).
func follow(ctx context.Context, rf *shared.RecordingFlags, path string, done func() bool, in io.Reader, out io.Writer) error {
	recOpt, err := rf.Options()
	if err != nil {
		return err
	}
	return player.Run(ctx, player.Options{Path: path, Rec: recOpt, Live: true, LiveDone: done,
		In: in, Out: out, Warning: rf.Modified})
}

// watchable checks that s can be watched: it has a recording, and one
// that has ended is checked as play checks it.
func watchable(rf *shared.RecordingFlags, s *session.Session) error {
	if s.RecordingPath == "" {
		return audit.Errorf(audit.ENOTFOUND, "session %s has no recording to watch", s.ID)
	}
	return rf.CheckRecording(s)
}

// Live follows session s in the player on the terminal in, out, as
// `sessions watch ID` does, until the user quits: what it writes appears
// as it is written, and the player says when the session ends. The
// console's w runs it.
func Live(ctx context.Context, store session.Store, rf *shared.RecordingFlags, s *session.Session, in io.Reader, out io.Writer) error {
	if err := watchable(rf, s); err != nil {
		return err
	}
	return follow(ctx, rf, s.RecordingPath, sessionEnded(ctx, store, s.ID), in, out)
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
	if err := watchable(&opts.Rec, s); err != nil {
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
