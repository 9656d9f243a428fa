// Package convert implements `auditctl sessions convert`.
package convert

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"github.com/MakeNowJust/heredoc"
	"github.com/spf13/cobra"

	"github.com/auditctl/auditctl/pkg/atomicfile"
	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/cmd/sessions/shared"
	"github.com/auditctl/auditctl/pkg/cmdutil"
	"github.com/auditctl/auditctl/pkg/recording"
)

// ConvertOptions are the flags and dependencies of `sessions convert`.
type ConvertOptions struct {
	IO *cmdutil.IOStreams

	File    string // the recording to convert
	OutFile string // -O; "-" for standard output
	To      string // v2 or v3
	Force   bool   // overwrite an existing OutFile
	Strict  bool   // drop the event codes the target version does not define
	Rec     shared.RecordingFlags
}

// NewCmdConvert builds the command.
func NewCmdConvert(f *cmdutil.Factory, runF func(*ConvertOptions) error) *cobra.Command {
	opts := &ConvertOptions{IO: f.IOStreams}
	cmd := &cobra.Command{
		Use:   "convert FILE -O OUT",
		Short: "Convert a recording to asciicast v3 (.rec) or v2",
		Long: heredoc.Doc(`
			Convert a terminal recording of any format auditctl reads (asciicast v1, v2
			and v3, ttyrec, util-linux script timing files; gzip or zstd compressed)
			to asciicast v3, auditctl's .rec format, or to asciicast v2 for players
			that only read v2, like asciinema 2.x.

			The format is detected by content. A util-linux script recording is
			converted from its timing file, given as FILE, with its data files:
			--log-out for the typescript (classic format) or the output log,
			--log-in for a separate input log, --log-io for a log of both streams.
			ttyrec and script recordings without a terminal size are 80x24 unless
			--cols and --rows say otherwise.

			Times are kept to the microsecond, without drift. Event codes the
			target version does not define (v2: "x" exit status and auditctl's "q"
			queries; any unknown code) are kept, as players skip them, unless
			--strict drops them. Bytes that are not UTF-8 become U+FFFD, as
			asciinema records them.

			OUT is written atomically (it appears only when complete) with mode 0600;
			-O - writes to standard output. convert never overwrites its input, and
			overwrites an existing OUT only with --force.
		`),
		Example: heredoc.Doc(`
			auditctl sessions convert session.cast -O session.rec
			auditctl sessions convert session.rec -O session-v2.cast --to v2
			auditctl sessions convert old.ttyrec --cols 120 --rows 40 -O old.rec
			auditctl sessions convert timing.log --log-out typescript -O typescript.rec
			auditctl sessions convert session.tm --log-io session.log -O - --to v2 | asciinema cat -
		`),
		Args: cmdutil.ExactArgs(1, "a recording FILE"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.File = args[0]
			if runF != nil {
				return runF(opts)
			}
			return convertRun(opts)
		},
	}
	cmd.Flags().StringVarP(&opts.OutFile, "output-file", "O", "", "write to this file (atomically); - for standard output")
	cmd.Flags().StringVar(&opts.To, "to", "v3", "asciicast version to write: v3 or v2")
	cmd.Flags().BoolVar(&opts.Force, "force", false, "overwrite OUT if it exists")
	cmd.Flags().BoolVar(&opts.Strict, "strict", false, "drop the event codes the target version does not define (reported)")
	opts.Rec.Add(cmd.Flags())
	opts.Rec.Bind(f)
	return cmd
}

func parseVersion(s string) (int, error) {
	switch strings.ToLower(strings.TrimPrefix(strings.ToLower(s), "v")) {
	case "3":
		return 3, nil
	case "2":
		return 2, nil
	}
	return 0, audit.Errorf(audit.EUSAGE, "--to %q: want v3 or v2", s)
}

// checkOutput refuses to write over an input, and over an existing file
// without --force.
func checkOutput(opts *ConvertOptions) error {
	if opts.OutFile == "" {
		return audit.Errorf(audit.EUSAGE, "-O is required: the file to write (- for standard output)")
	}
	if opts.OutFile == "-" {
		return nil
	}
	out, err := os.Stat(opts.OutFile)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, in := range []string{opts.File, opts.Rec.LogOut, opts.Rec.LogIn, opts.Rec.LogIO} {
		if in == "" {
			continue
		}
		if st, err := os.Stat(in); err == nil && os.SameFile(st, out) {
			return audit.Errorf(audit.EUSAGE, "refusing to overwrite the input %s with the output", in)
		}
	}
	if out.IsDir() {
		return audit.Errorf(audit.ELOCAL, "cannot write -O %s: it is a directory", opts.OutFile)
	}
	if !opts.Force {
		return audit.Errorf(audit.EUSAGE, "%s exists: pass --force to overwrite it", opts.OutFile)
	}
	return nil
}

func convertRun(opts *ConvertOptions) error {
	version, err := parseVersion(opts.To)
	if err != nil {
		return err
	}
	ropt, err := opts.Rec.Options()
	if err != nil {
		return err
	}
	if opts.File, err = opts.Rec.Resolve(context.Background(), opts.File); err != nil {
		return err
	}
	if err := checkOutput(opts); err != nil {
		return err
	}
	r, err := recording.Open(opts.File, ropt)
	if err != nil {
		return shared.OpenError(opts.File, err)
	}
	defer r.Close()
	var events, dropped, skipped int64
	write := func(w io.Writer) error {
		wr, err := recording.NewWriter(w, r.Header(), recording.WriterOptions{Version: version, Strict: opts.Strict})
		if err != nil {
			return err
		}
		for {
			ev, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				var ie *audit.InputError
				if opts.Rec.SkipInvalid && errors.As(err, &ie) && !ie.Fatal {
					skipped++
					continue
				}
				return err
			}
			if err := wr.WriteEvent(ev); err != nil {
				return err
			}
		}
		if err := wr.Close(); err != nil {
			return err
		}
		events, dropped = wr.Events(), wr.Dropped()
		return nil
	}
	if opts.OutFile == "-" {
		if err := write(opts.IO.Out); err != nil {
			return err
		}
	} else if err := atomicfile.Write(opts.OutFile, 0o600, write); err != nil {
		return err
	}
	msg := fmt.Sprintf("converted %s (%s) to asciicast v%d: %d events", opts.File, r.Header().Format, version, events)
	if opts.OutFile != "-" {
		msg += " in " + opts.OutFile
	}
	if dropped > 0 {
		msg += fmt.Sprintf(", %d events dropped (--strict)", dropped)
	}
	if skipped > 0 {
		msg += fmt.Sprintf(", %d invalid events skipped", skipped)
		d := r.Damage()
		opts.Rec.ReportDamage(opts.IO, d.Flaws, d.Unlisted())
	}
	fmt.Fprintln(opts.IO.ErrOut, msg)
	return nil
}
