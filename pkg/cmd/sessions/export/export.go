// Package export implements `auditctl sessions export`.
package export

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/MakeNowJust/heredoc"
	"github.com/spf13/cobra"

	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/cmd/sessions/shared"
	"github.com/auditctl/auditctl/pkg/cmdutil"
	"github.com/auditctl/auditctl/pkg/config"
	"github.com/auditctl/auditctl/pkg/encrypt"
	"github.com/auditctl/auditctl/pkg/recording"
	"github.com/auditctl/auditctl/pkg/sanitize"
)

// Options are the flags and dependencies of `sessions export`.
type Options struct {
	IO     *cmdutil.IOStreams
	Config func() (*config.File, error)
	Quiet  bool

	ID        string
	OutFile   string
	Recording shared.RecordingFlags // the session lookup and --allow-modified
	Encrypt   encrypt.Flags
	// Env is where a passphrase comes from (tests); zero: the process's
	// environment and terminal.
	Env encrypt.Env
}

// NewCmdExport builds the command.
func NewCmdExport(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, Config: f.Config}
	opts.Recording.Bind(f)
	cmd := &cobra.Command{
		Use:   "export ID",
		Short: "Export a session's recording, checked and optionally encrypted",
		Long: heredoc.Doc(`
			Write the recording file of session ID (the session id or a unique
			prefix of it) as it is stored, byte for byte (a gzip or zstd
			recording stays compressed), to -O FILE or to stdout.

			The recording is checked against the SHA-256 registered with the
			session, as 'sessions play' does: the sum is computed over the very
			bytes written, and a recording changed after it was registered is
			refused (exit 3, both sums named; nothing is written to -O) unless
			--allow-modified. A session still being recorded has no registered
			sum yet and is refused the same way.

			With -O the file appears only when complete (a temporary file
			renamed into place), so an error, SIGINT or SIGTERM leaves nothing.
			A recording is never written to a terminal: use -O or a pipe.

			Encryption is that of 'logs export': --encrypt-to age1… or an SSH
			public key (repeatable), --encrypt-to-file recipients.txt,
			--passphrase (asked on the terminal, or env AUDITCTL_PASSPHRASE),
			--armor; name the file *.age, and decrypt with the age CLI (age -d -i
			key.txt session.rec.age > session.rec). With export.require_encryption:
			true in the config file, an unencrypted export is refused (exit 2).

			One line on stderr says what was exported: the session, the bytes, their
			SHA-256, where to, and to whom encrypted; --quiet leaves it out.
		`),
		Example: heredoc.Doc(`
			auditctl sessions export 3f2a9c1e -O session.rec
			auditctl sessions export 3f2a9c1e -O session.rec.age --encrypt-to age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p
			auditctl sessions export 3f2a9c1e -O session.rec.age --encrypt-to-file auditors.txt
			AUDITCTL_PASSPHRASE="$SECRET" auditctl sessions export 3f2a9c1e --passphrase > session.rec.age
		`),
		Args: cmdutil.ExactArgs(1, "a session ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.ID = args[0]
			opts.Quiet = f.Quiet
			if runF != nil {
				return runF(opts)
			}
			return run(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVarP(&opts.OutFile, "output-file", "O", "", "write to this file (atomically, mode 0600) instead of stdout")
	cmd.Flags().BoolVar(&opts.Recording.AllowModified, "allow-modified", false, "export the recording even when it changed after it was registered (its SHA-256 differs); a warning says so")
	encrypt.AddFlags(cmd, &opts.Encrypt)
	return cmd
}

func run(ctx context.Context, opts *Options) error {
	s, err := opts.Recording.FindSession(ctx, opts.ID)
	if err != nil {
		return err
	}
	if !s.HasRecording || s.RecordingPath == "" {
		return audit.Errorf(audit.ENOTFOUND, "session %s has no recording", s.ID)
	}
	want := s.RecordingSHA256
	if want == "" && !opts.Recording.AllowModified {
		return audit.Errorf(audit.EINVALID, "session %s has no registered SHA-256 yet (is it still being recorded?): its recording cannot be checked (--allow-modified exports it anyway)", s.ID)
	}
	// The registered sum, checked before anything is asked or written
	// (and said as play says it); checked again over the bytes written.
	if err := opts.Recording.CheckRecording(s); err != nil {
		return err
	}
	if opts.Recording.AllowModified {
		want = ""
	}
	if _, err := os.Stat(s.RecordingPath); err != nil {
		return shared.OpenError(s.RecordingPath, err)
	}
	out := &encrypt.Output{IO: opts.IO, Path: opts.OutFile, Binary: true, What: "a recording"}
	if err := out.Prepare(ctx, opts.Config, &opts.Encrypt, opts.Env); err != nil {
		return err
	}
	var n int64
	var sum string
	err = out.Write(func(w io.Writer) error {
		var err error
		n, sum, err = recording.CopyVerified(ctx, w, s.RecordingPath, want)
		return err
	})
	if err != nil {
		return err
	}
	if !opts.Quiet {
		dest := "stdout"
		if opts.OutFile != "" && opts.OutFile != "-" {
			dest = opts.OutFile
		}
		fmt.Fprintln(opts.IO.ErrOut, sanitize.String(fmt.Sprintf("exported the recording of session %s (%d bytes, SHA-256 %s) to %s%s", s.ID, n, sum, dest, out.Said())))
	}
	return nil
}
