// Package cat implements `auditctl sessions cat`.
package cat

import (
	"context"

	"github.com/MakeNowJust/heredoc"
	"github.com/spf13/cobra"

	"github.com/auditctl/auditctl/pkg/cmd/sessions/shared"
	"github.com/auditctl/auditctl/pkg/cmdutil"
	"github.com/auditctl/auditctl/player/dump"
)

// Options are the flags and dependencies of `sessions cat`.
type Options struct {
	IO   *cmdutil.IOStreams
	File string
	Rec  shared.RecordingFlags
}

// NewCmdCat builds the command.
func NewCmdCat(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams}
	cmd := &cobra.Command{
		Use:   "cat FILE",
		Short: "Print a recorded session as plain text, for grep",
		Long: heredoc.Doc(`
			Print what a recorded terminal session showed, as plain text without
			escape sequences: every line as it scrolled off the top of the
			screen (or was cleared away), then the final screen. A line the
			terminal wrapped is printed as one line, so that a long command can
			be found with grep.

			The recording is replayed through auditctl's terminal emulator, so
			cursor movement, overwrites, erases and colours are applied, not
			printed. Full-screen programs (vim, top, less) draw on the alternate
			screen, which never scrolls: their screens are not part of the
			output; use 'sessions play --no-tui --at' to see one.

			Characters that a terminal would interpret (controls, bidi
			overrides) are shown escaped.

			A damaged recording is printed as far as it is readable: a bad
			line is skipped (its output is missing) and reading goes on; a
			file cut short (mid-line, or a gzip/zstd stream cut) ends where
			it breaks. Every bad line is named on stderr (file:line) and the
			exit code is 3, unless --skip-invalid.
		`),
		Example: heredoc.Doc(`
			auditctl sessions cat session.rec | grep -n 'sudo'
			auditctl sessions cat session.cast.gz > session.txt
			auditctl sessions cat timing.log --log-out typescript
			auditctl sessions cat damaged.cast --skip-invalid
			auditctl sessions cat huge-paste.cast --max-event-size 8MiB
		`),
		Args: cmdutil.ExactArgs(1, "a recording FILE"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.File = args[0]
			if runF != nil {
				return runF(opts)
			}
			return run(cmd.Context(), opts)
		},
	}
	opts.Rec.Add(cmd.Flags())
	opts.Rec.Bind(f)
	return cmd
}

func run(ctx context.Context, opts *Options) error {
	rd, err := opts.Rec.Open(opts.File)
	if err != nil {
		return err
	}
	defer rd.Close()
	if err := dump.Cat(ctx, opts.IO.Out, rd); err != nil {
		return err
	}
	return opts.Rec.CheckDamage(opts.IO, opts.File, rd.Damage())
}
