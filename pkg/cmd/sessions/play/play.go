// Package play implements `auditctl sessions play`.
package play

import (
	"context"
	"os"
	"time"

	"github.com/MakeNowJust/heredoc"
	"github.com/spf13/cobra"

	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/cmd/sessions/shared"
	"github.com/auditctl/auditctl/pkg/cmdutil"
	"github.com/auditctl/auditctl/pkg/recording"
	"github.com/auditctl/auditctl/player"
	"github.com/auditctl/auditctl/player/dump"
	"github.com/auditctl/auditctl/player/seek"
	"github.com/auditctl/auditctl/player/vt"
)

// IndexThreshold is the recording size from which play uses the cached
// seek index instead of replaying from the start.
var IndexThreshold int64 = 16 << 20

// Options are the flags and dependencies of `sessions play`.
type Options struct {
	IO      *cmdutil.IOStreams
	File    string
	NoTUI   bool
	At      string
	Color   bool
	NoIndex bool
	// Paused opens the player paused (it plays on open otherwise).
	Paused bool
	// AtSet: --at was given (the player opens there; without it, at the start).
	AtSet bool
	Rec   shared.RecordingFlags
	// SeekDir overrides the seek cache directory (tests).
	SeekDir string
}

// NewCmdPlay builds the command.
func NewCmdPlay(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams}
	cmd := &cobra.Command{
		Use:   "play FILE",
		Short: "Replay a recorded session, or print its screen at a moment",
		Long: heredoc.Doc(`
			Replay a terminal session recording through auditctl's own terminal
			emulator. The recording's bytes are never written to your terminal:
			what you see is the emulator's screen.

			Without --no-tui, play opens the interactive player: the screen in
			the middle, a header with the file, user, resource and start time,
			the keystrokes (and, for database sessions, the queries) beside it,
			the timeline with markers below. It starts playing at once, as
			asciinema play and tsh play do, from the start of the session or
			from --at (--paused opens it paused there); a big recording is
			indexed in the background and seeks use the index when it is
			ready. The panels hide themselves when they are empty or when the
			recording's screen would not fit beside them; p hides or shows
			them. A damaged recording plays up to the damage: the timeline
			shows the readable part against the whole recording and where it
			breaks, and the panels mark what lies beyond it. Keys (? in the
			player shows them all):
			  space          play / pause
			  ← →            back / forward 5 s (shift: 1 min; also [ ])
			  0-9, g, G, t   jump to 0-90 %, the start, the end, a time
			  .              step to the next event
			  + -            speed (0.25× to 16×)
			  i              idle limit: cut long pauses
			  / n N          search the screen text, next / previous match
			  m M            next / previous marker
			  > <            next / previous keystroke (or query)
			  tab ↑ ↓ enter  panel focus, move, jump to the keystroke or query
			  c              keystroke panel: keys grouped into words / command lines
			  p              hide / show the panels
			  q              quit

			--no-tui prints the screen at one moment as plain text, one line per
			row, trailing spaces trimmed, and exits: for scripts, tickets and
			grep. --at picks the moment (default: the end):
			  end, start       the last or first screen
			  50%              a fraction of the duration
			  1m30s, 90s, 90   a time from the start
			  1:30, 01:02:03.5 the same as a clock
			Every event at or before that time is applied. --color keeps the
			colours and attributes as SGR sequences, for a terminal.

			A damaged recording is read past its bad lines (each is skipped, its
			output missing) and up to a cut (a file cut mid-line, a gzip or zstd
			stream cut short). The screen at --at is printed, then:
			  before any damage   exit 0 (a note says the recording is damaged later)
			  past a bad line     the bad lines named on stderr, exit 3 unless --skip-invalid
			  past a cut          the last readable screen, exit 3 even with --skip-invalid:
			                      that moment cannot be known ("end" and percentages too,
			                      unless the header records the whole duration)

			Recordings of 16 MiB and more are indexed on first use (one pass,
			cached in the user cache directory, keyed by the file's content):
			later seeks restore the nearest snapshot and replay only a little.

			Any format auditctl reads works: asciicast v1/v2/v3 (.cast, .rec),
			ttyrec, util-linux script (give the timing file and --log-out or
			--log-io), gzip or zstd compressed.
		`),
		Example: heredoc.Doc(`
			auditctl sessions play session.rec
			auditctl sessions play session.rec --at 50%
			auditctl sessions play session.rec --at 1:30 --paused
			auditctl sessions play session.rec --no-tui
			auditctl sessions play session.rec --no-tui --at 50%
			auditctl sessions play session.rec --no-tui --at 1m30s --color
			auditctl sessions play timing.log --log-out typescript --no-tui
			auditctl sessions play damaged.cast --no-tui --at 99% --skip-invalid
		`),
		Args: cmdutil.ExactArgs(1, "a recording FILE"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.File = args[0]
			opts.AtSet = cmd.Flags().Changed("at")
			if runF != nil {
				return runF(opts)
			}
			return run(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVar(&opts.NoTUI, "no-tui", false, "print the screen at --at as text and exit")
	cmd.Flags().StringVar(&opts.At, "at", "end", "the moment to print (or for the player to open at): end, start, 50%, 1m30s, 1:30")
	cmd.Flags().BoolVar(&opts.Color, "color", false, "keep colours and attributes (SGR) in --no-tui output")
	cmd.Flags().BoolVar(&opts.Paused, "paused", false, "open the player paused (it starts playing otherwise)")
	cmd.Flags().BoolVar(&opts.NoIndex, "no-index", false, "replay from the start instead of using (or building) the seek index")
	opts.Rec.Add(cmd.Flags())
	opts.Rec.Bind(f)
	return cmd
}

func run(ctx context.Context, opts *Options) error {
	if ctx == nil {
		ctx = context.Background()
	}
	if !opts.NoTUI {
		return interactive(ctx, opts)
	}
	m, err := shared.ParseMoment(opts.At)
	if err != nil {
		return err
	}
	recOpt, err := opts.Rec.Options()
	if err != nil {
		return err
	}
	if opts.File, err = opts.Rec.Resolve(ctx, opts.File); err != nil { // a session ID names its recording
		return err
	}
	st, err := os.Stat(opts.File)
	if err != nil {
		return shared.OpenError(opts.File, err)
	}
	// Learn the recording's duration and damage, then show the moment.
	var (
		d    recording.Damage
		show func(time.Duration) (*vt.Terminal, error)
	)
	if st.Size() >= IndexThreshold && !opts.NoIndex {
		ix, err := loadIndex(ctx, opts, recOpt)
		if err != nil {
			return err
		}
		defer ix.Close()
		d = ix.Damage()
		show = func(t time.Duration) (*vt.Terminal, error) {
			pb, err := ix.Open(t)
			if err != nil {
				return nil, err
			}
			defer pb.Close()
			return pb.Term, nil
		}
	} else {
		if d, err = scan(opts); err != nil {
			return err
		}
		show = func(t time.Duration) (*vt.Terminal, error) { return replay(ctx, opts, t) }
	}
	t, merr := m.ResolveIn(d)
	if merr != nil && audit.ErrorCode(merr) != audit.EINVALID {
		return merr // past the end: a usage error
	}
	term, err := show(t)
	if err != nil {
		return err
	}
	if err := dump.Screen(opts.IO.Out, term, opts.Color); err != nil {
		return err
	}
	return damage(opts, d, m, t, merr)
}

// damage says what the damage of the recording means for the screen
// shown at t (moment m): past a break (merr set) the moment cannot be
// shown, exit 3 whatever the flags; bad lines skipped before t mean the
// screen may miss their output, exit 3 unless --skip-invalid; damage
// after t leaves the screen exact, a notice only.
func damage(opts *Options, d recording.Damage, m shared.Moment, t time.Duration, merr error) error {
	if merr != nil {
		opts.Rec.ReportDamage(opts.IO, d.Flaws, d.Unlisted())
		return merr
	}
	flaws := d.Before(t)
	if len(flaws) == 0 {
		if d.Damaged() {
			all := d.All()
			opts.Rec.Notice(opts.IO, "note: the recording is damaged after the moment shown (%s, from %s); the screen is exact",
				all[0].Err, shared.FormatOffset(all[0].At))
		}
		return nil
	}
	opts.Rec.ReportDamage(opts.IO, flaws, 0)
	if opts.Rec.SkipInvalid {
		return nil
	}
	return audit.Errorf(audit.EINVALID, "--at %s lies past damage in the recording: the screen at %s may miss the output of %d bad line(s), the first %s (--skip-invalid: show it and exit 0)",
		m, shared.FormatOffset(t), len(flaws), flaws[0].Err)
}

// interactive runs the player on a terminal.
func interactive(ctx context.Context, opts *Options) error {
	if !opts.IO.IsStdinTTY() || !opts.IO.IsStdoutTTY() {
		return audit.Errorf(audit.EUSAGE, "the interactive player needs a terminal: use --no-tui (and --at) to print the screen")
	}
	recOpt, err := opts.Rec.Options()
	if err != nil {
		return err
	}
	if opts.File, err = opts.Rec.Resolve(ctx, opts.File); err != nil {
		return err
	}
	popt := player.Options{
		Path: opts.File, Rec: recOpt, SeekDir: opts.SeekDir, NoIndex: opts.NoIndex,
		IndexThreshold: IndexThreshold, In: opts.IO.In, Out: opts.IO.RawOut(), Paused: opts.Paused,
		Warning: opts.Rec.Modified,
	}
	if opts.AtSet {
		m, err := shared.ParseMoment(opts.At)
		if err != nil {
			return err
		}
		popt.Start = m.Resolve
	}
	err = player.Run(ctx, popt)
	if err != nil {
		return shared.OpenError(opts.File, err)
	}
	return nil
}

// loadIndex loads (or builds, showing progress on a terminal) the seek
// index of the recording.
func loadIndex(ctx context.Context, opts *Options, recOpt recording.Options) (*seek.Index, error) {
	sopt := seek.Options{Dir: opts.SeekDir, Rec: recOpt}
	if opts.IO.IsStderrTTY() {
		st, _ := os.Stat(opts.File)
		p := opts.IO.NewProgress("indexing "+opts.File, st.Size())
		defer p.Done()
		sopt.Progress = func(done, _ int64) { p.Bytes(done) }
	}
	ix, err := seek.Load(ctx, opts.File, sopt)
	if err != nil {
		return nil, shared.OpenError(opts.File, err)
	}
	return ix, nil
}

// replay reads the recording from the start up to and including time at,
// skipping bad lines as the index does.
func replay(ctx context.Context, opts *Options, at time.Duration) (*vt.Terminal, error) {
	rd, err := opts.Rec.Open(opts.File)
	if err != nil {
		return nil, err
	}
	defer rd.Close()
	hdr := rd.Header()
	term := vt.New(hdr.Width, hdr.Height)
	err = seek.Each(ctx, rd, func(ev *recording.Event) error {
		if ev.Time > at {
			return errStop
		}
		seek.Apply(term, ev)
		return nil
	})
	if err != nil && err != errStop {
		return nil, err
	}
	return term, nil
}

var errStop = audit.Errorf(audit.EINTERNAL, "stop")

// scan reads the whole recording once for its duration and damage.
func scan(opts *Options) (recording.Damage, error) {
	rd, err := opts.Rec.Open(opts.File)
	if err != nil {
		return recording.Damage{}, err
	}
	defer rd.Close()
	err = rd.Each(func(recording.Event) error { return nil })
	return rd.Damage(), err
}
