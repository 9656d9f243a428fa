// Package export implements `auditctl logs export`.
package export

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/MakeNowJust/heredoc"
	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/cmdutil"
	"github.com/auditctl/auditctl/pkg/config"
	"github.com/auditctl/auditctl/pkg/encrypt"
	"github.com/auditctl/auditctl/pkg/output"
	"github.com/auditctl/auditctl/pkg/sanitize"
	"github.com/spf13/cobra"
)

// ExportOptions are the flags and dependencies of `logs export`.
type ExportOptions struct {
	IO      *cmdutil.IOStreams
	Now     func() time.Time
	Service func(ctx context.Context, remote string) (audit.EventService, error)
	Config  func() (*config.File, error)
	Quiet   bool

	Filter  cmdutil.FilterOptions
	Remote  string
	Format  string
	Output  string // the global -o/--output: the same choice as --format
	OutFile string
	CSVRaw  bool
	Sort    string
	Encrypt encrypt.Flags
	// Env is where a passphrase comes from (tests); zero: the process's
	// environment and terminal.
	Env encrypt.Env
}

// NewCmdExport builds the command.
func NewCmdExport(f *cmdutil.Factory, runF func(*ExportOptions) error) *cobra.Command {
	opts := &ExportOptions{IO: f.IOStreams, Now: f.Now, Service: f.EventService, Config: f.Config}
	cmd := &cobra.Command{
		Use:   "export",
		Short: "Export events to CSV, JSON or NDJSON",
		Long: heredoc.Doc(`
			Export every event a filter selects, oldest first, for offline analysis
			and compliance reports. Unlike list, export has no default time window:
			without filters it exports the whole cache.

			The export streams: memory stays constant whatever the size. With -O the
			file appears only when complete (written to a temporary file, then
			renamed), so a failed or interrupted export never leaves a partial file.
			Times are UTC RFC 3339. CSV cells that a spreadsheet would run as a
			formula (starting with =, +, -, @, tab or CR) get a ' prefix; --csv-raw
			keeps them as they are. The CSV re-imports with 'auditctl import'.

			Encryption (age, https://age-encryption.org; the files decrypt with the
			standard age CLI): --encrypt-to takes age public keys (age1…) and SSH
			public keys (ssh-ed25519, ssh-rsa), repeatable; --encrypt-to-file reads a
			recipients file (one key a line, # comments); --passphrase asks twice on
			the terminal without echo, or takes env AUDITCTL_PASSPHRASE where there
			is no terminal (CI). Name the file *.age (the format is still chosen
			from the name before .age: audit.csv.age is CSV). Binary age output is
			never written to a terminal: use -O, a pipe, or --armor for text.
			With export.require_encryption: true in the config file
			(~/.config/auditctl/config.yaml), an export without encryption is
			refused (exit 2), to stdout too.

			With -O, one line on stderr says how many events went to which file
			(and to whom they were encrypted); --quiet leaves it out.
		`),
		Example: heredoc.Doc(`
			auditctl logs export --since 90d --format csv -O audit-q3.csv
			auditctl logs export --action DeleteUser -o ndjson > deletions.ndjson
			auditctl logs export --source cloudtrail -O trail.json
			auditctl logs export --since 90d -O audit.csv.age --encrypt-to age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p
			auditctl logs export --since 90d -O audit.csv.age --encrypt-to-file auditors.txt
			AUDITCTL_PASSPHRASE="$SECRET" auditctl logs export --since 30d --passphrase --armor > audit.ndjson.age
		`),
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Output = f.Output
			opts.Quiet = f.Quiet
			if runF != nil {
				return runF(opts)
			}
			return exportRun(cmd.Context(), opts)
		},
	}
	cmdutil.AddFilterFlags(cmd, &opts.Filter, false)
	cmd.Flags().StringVar(&opts.Remote, "remote", "", "export from this remote API live instead of the cache: jumpcloud")
	cmdutil.AddJumpCloudFlags(cmd, &f.JumpCloud, cmdutil.NoTimeout)
	cmd.Flags().StringVar(&opts.Format, "format", "", "csv, json or ndjson, like -o (default: from the -O extension, else ndjson)")
	cmd.Flags().StringVarP(&opts.OutFile, "output-file", "O", "", "write to this file (atomically) instead of stdout")
	cmd.Flags().BoolVar(&opts.CSVRaw, "csv-raw", false, "do not neutralize spreadsheet formulas in CSV cells")
	cmd.Flags().StringVar(&opts.Sort, "sort", "time", "sort order (time = oldest first, -time = newest first)")
	encrypt.AddFlags(cmd, &opts.Encrypt)
	return cmd
}

// exportFormat is --format or -o (one of them, or both the same), else
// what the -O extension says, else ndjson.
func exportFormat(opts *ExportOptions) (output.Format, error) {
	name, flag := opts.Format, "--format"
	if opts.Output != "" {
		a, errA := output.ResolveFormat(opts.Format, false)
		b, errB := output.ResolveFormat(opts.Output, false)
		if opts.Format != "" && errA == nil && errB == nil && a != b {
			return "", audit.Errorf(audit.EUSAGE, "--format %s and -o %s disagree: give one of them", opts.Format, opts.Output)
		}
		name, flag = opts.Output, "-o"
	}
	if name == "" {
		switch strings.ToLower(filepath.Ext(encrypt.TrimSuffixes(opts.OutFile))) {
		case ".csv":
			name = "csv"
		case ".json":
			name = "json"
		default:
			name = "ndjson"
		}
	}
	f, err := output.ResolveFormat(name, false)
	if err != nil {
		return "", err
	}
	switch f {
	case output.FormatCSV, output.FormatJSON, output.FormatNDJSON:
		return f, nil
	}
	return "", audit.Errorf(audit.EUSAGE, "%s %s: export writes csv, json or ndjson", flag, name)
}

func exportRun(ctx context.Context, opts *ExportOptions) error {
	format, err := exportFormat(opts)
	if err != nil {
		return err
	}
	sort, err := audit.ParseSort(opts.Sort)
	if err != nil {
		return err
	}
	filter, err := opts.Filter.Filter(opts.Now(), false)
	if err != nil {
		return err
	}
	out := &encrypt.Output{IO: opts.IO, Path: opts.OutFile}
	if err := out.Prepare(ctx, opts.Config, &opts.Encrypt, opts.Env); err != nil {
		return err
	}
	svc, err := opts.Service(ctx, opts.Remote)
	if err != nil {
		return err
	}
	var n int
	err = out.Write(func(w io.Writer) error {
		direct, err := output.NewEventWriter(w, format, output.Options{CSVRaw: opts.CSVRaw})
		if err != nil {
			return err
		}
		// scan on this goroutine, format and write on another
		ew := output.Pipe(direct)
		err = svc.EachEvent(ctx, filter, audit.Page{Sort: sort}, func(e *audit.Event) error {
			n++
			return ew.Write(e)
		})
		if cerr := ew.Close(); err == nil {
			err = cerr
		}
		return err
	})
	if err != nil {
		return err
	}
	if opts.OutFile != "" && opts.OutFile != "-" && !opts.Quiet {
		fmt.Fprintf(opts.IO.ErrOut, "exported %d events to %s%s\n", n, sanitize.String(opts.OutFile), out.Said())
	}
	return nil
}
