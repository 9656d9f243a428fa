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
	"github.com/auditctl/auditctl/pkg/atomicfile"
	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/cmdutil"
	"github.com/auditctl/auditctl/pkg/output"
	"github.com/spf13/cobra"
)

// ExportOptions are the flags and dependencies of `logs export`.
type ExportOptions struct {
	IO      *cmdutil.IOStreams
	Now     func() time.Time
	Service func(ctx context.Context, remote string) (audit.EventService, error)

	Filter  cmdutil.FilterOptions
	Remote  string
	Format  string
	Output  string // the global -o/--output: the same choice as --format
	OutFile string
	CSVRaw  bool
	Sort    string
}

// NewCmdExport builds the command.
func NewCmdExport(f *cmdutil.Factory, runF func(*ExportOptions) error) *cobra.Command {
	opts := &ExportOptions{IO: f.IOStreams, Now: f.Now, Service: f.EventService}
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
		`),
		Example: heredoc.Doc(`
			auditctl logs export --since 90d --format csv -O audit-q3.csv
			auditctl logs export --action DeleteUser -o ndjson > deletions.ndjson
			auditctl logs export --source cloudtrail -O trail.json
		`),
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Output = f.Output
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
		switch strings.ToLower(filepath.Ext(strings.TrimSuffix(opts.OutFile, ".gz"))) {
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
	svc, err := opts.Service(ctx, opts.Remote)
	if err != nil {
		return err
	}
	var n int
	write := func(w io.Writer) error {
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
	}
	if opts.OutFile == "" || opts.OutFile == "-" {
		// On a terminal, opts.IO.Out is the sanitizing chokepoint: CSV
		// keeps values as they are, yet they cannot act.
		return write(opts.IO.Out)
	}
	if err := atomicfile.Write(opts.OutFile, 0o600, write); err != nil {
		return err
	}
	fmt.Fprintf(opts.IO.ErrOut, "exported %d events to %s\n", n, opts.OutFile)
	return nil
}
