// Package importcmd implements `auditctl import`.
package importcmd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/MakeNowJust/heredoc"
	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/cmdutil"
	"github.com/auditctl/auditctl/pkg/config"
	"github.com/auditctl/auditctl/pkg/importer"
	"github.com/auditctl/auditctl/pkg/sanitize"
	"github.com/auditctl/auditctl/pkg/store"
	"github.com/spf13/cobra"
)

// ImportOptions are the flags and dependencies of `import`.
type ImportOptions struct {
	IO *cmdutil.IOStreams
	// Store opens the store to fill (the cache, or a PostgreSQL store).
	Store func(ctx context.Context) (store.Store, error)

	Paths       []string
	Format      string
	SkipInvalid bool
	Output      string
	Quiet       bool
	// MaxEventSize is --max-event-size as given ("" for the default).
	MaxEventSize string
	// Tenant is --tenant: every event's tenant (default: the config
	// file's import.tenant; "": the source's).
	Tenant string
	// Config reads the config file (nil: none).
	Config func() (*config.File, error)
	limits importer.Options
}

// NewCmdImport builds the command.
func NewCmdImport(f *cmdutil.Factory, runF func(*ImportOptions) error) *cobra.Command {
	opts := &ImportOptions{IO: f.IOStreams, Store: f.StoreCreate, Config: f.Config}
	cmd := &cobra.Command{
		Use:   "import FILE|DIR|- ...",
		Short: "Import audit log files into the cache",
		Long: heredoc.Doc(`
			Import audit logs into the local cache: NDJSON, JSON arrays, CSV (the
			17-column Id/TenantId/Timestamp/… layout and auditctl's own export),
			JumpCloud Directory Insights events and AWS CloudTrail files
			({"Records":[…]}). The format is sniffed from the content unless
			--format says it; .gz files are read transparently. A directory
			imports every file in it, recursively, in name order; - reads stdin.

			Each file is one transaction, and importing the same data again adds
			nothing (events are keyed by source and id, or by a content hash where
			the source has no id). A malformed record aborts its file with an error
			naming the file, line and field, and nothing of that file is stored
			(exit code 3); --skip-invalid stores the rest and reports how many
			records were skipped (a file whose every record is invalid still
			fails, exit code 3). See docs/formats.md for every field mapping.

			A record larger than --max-event-size (1MiB unless raised, 64MiB at
			most) is refused as soon as the limit is reached, with the file, line
			or byte offset and field, and nothing of its file is stored (exit code
			3, even with --skip-invalid): a hostile file cannot exhaust memory.

			On a terminal, one line on stderr shows the whole run's progress
			(files, events, rate, time left); at the end one line sums it up:
			files, new events, events already stored, invalid records skipped,
			failed files and the time taken. A failed file's error is printed as
			it happens. --quiet prints errors only; -o json prints the result of
			each file on stdout instead of the summary.

			With --db postgres://… (or AUDITCTL_DB) the events go to a PostgreSQL
			store, whose schema the first import creates: each file streams
			through COPY into a staging table and is stored in one transaction,
			new events only, so concurrent imports on several machines store
			each event once (docs/postgres.md).

			--tenant NAME sets the tenant of every imported event (a managed
			service provider's client), in place of what the source calls its
			organization (which stays in the event's raw document); the config
			file's import.tenant is the default. Filter on it with --tenant or
			tenant:NAME; a PostgreSQL store with row-level security shows each
			analyst only the tenants granted to them (docs/postgres.md). An event
			already stored keeps its tenant.
		`),
		Example: heredoc.Doc(`
			auditctl import events.ndjson
			auditctl import ./cloudtrail/          # every file under the folder
			auditctl import --format jumpcloud di-export.json.gz
			zcat audit.csv.gz | auditctl import -
			auditctl import --skip-invalid messy.csv
			auditctl import --max-event-size 8MiB big-policies.json
			auditctl --db postgres://ingest@db.example.com/audit import trail.json.gz
			auditctl import --tenant acme ./acme-cloudtrail/
		`),
		Args: cmdutil.MinimumArgs(1, "at least one FILE, DIR or -"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Paths = args
			opts.Output = f.Output
			opts.Quiet = f.Quiet
			if runF != nil {
				return runF(opts)
			}
			return importRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Format, "format", "auto", "auto, ndjson, json, csv, jumpcloud or cloudtrail")
	cmd.Flags().BoolVar(&opts.SkipInvalid, "skip-invalid", false, "skip malformed records instead of aborting the file")
	cmd.Flags().StringVar(&opts.Tenant, "tenant", "", "set every event's tenant to this name (default: import.tenant in the config file, else the source's)")
	cmd.Flags().StringVar(&opts.MaxEventSize, "max-event-size", "1MiB", "largest record accepted (512KiB, 4MiB; at most 64MiB)")
	return cmd
}

// FileResult is what happened to one input file.
type FileResult struct {
	File   string `json:"file"`
	Format string `json:"format,omitempty"`
	audit.ImportResult
	Duplicates int    `json:"duplicates"`
	Error      string `json:"error,omitempty"`
}

func importRun(ctx context.Context, opts *ImportOptions) error {
	format, err := importer.ParseFormat(opts.Format)
	if err != nil {
		return err
	}
	if opts.limits, err = importer.ParseOptions(opts.MaxEventSize); err != nil {
		return err
	}
	if err := resolveTenant(opts); err != nil {
		return err
	}
	files, err := expand(opts.Paths)
	if err != nil {
		return err
	}
	db, err := opts.Store(ctx)
	if err != nil {
		return err
	}
	var sizes int64
	for _, name := range files {
		if st, err := os.Stat(name); err == nil && name != "-" {
			sizes += st.Size()
		}
	}
	progress := opts.IO.NewProgress("import", sizes).Unit("events").Quiet(opts.Quiet)
	progress.Files(len(files))
	var results []FileResult
	var sum audit.ImportResult
	var firstErr error
	failed := 0
	for _, name := range files {
		progress.StartFile(name)
		res, detected, err := importFile(ctx, opts, db, name, format, progress)
		progress.FileDone(res.Read)
		fr := FileResult{File: name, Format: string(detected), ImportResult: res, Duplicates: res.Duplicates()}
		if err != nil {
			if errors.Is(err, context.Canceled) {
				progress.Done()
				return audit.Errorf(audit.EINVALID, "import interrupted: %s was not stored (files before it were)", name)
			}
			fr = FileResult{File: name, Format: string(detected), Error: err.Error()}
			failed++
			if firstErr == nil {
				firstErr = err
			}
			cmdutil.PrintError(progress.Above(), err)
		} else {
			sum.Read += res.Read
			sum.Inserted += res.Inserted
			sum.Skipped += res.Skipped
		}
		results = append(results, fr)
	}
	progress.Done()
	if opts.Output != "json" && !opts.Quiet && failed < len(files) {
		fmt.Fprintln(opts.IO.ErrOut, summary(files, sum, failed, progress.Elapsed()))
	}
	if opts.Output == "json" {
		enc := json.NewEncoder(opts.IO.Out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(results); err != nil {
			return err
		}
	}
	if failed > 0 {
		if len(files) == 1 {
			return cmdutil.Silent(firstErr)
		}
		// The exit code is the first failure's: 3 for bad input, 5 for a
		// cache that could not be written…
		return &audit.Error{Code: audit.ErrorCode(cmdutil.Classify(firstErr)), Message: fmt.Sprintf("%d of %d files failed and were not stored", failed, len(files))}
	}
	return nil
}

// summary is the line that ends a run: what was stored, found already
// stored, skipped and failed, and how long it took.
// resolveTenant takes the config file's import.tenant when --tenant is not
// given, and checks the name.
func resolveTenant(opts *ImportOptions) error {
	if opts.Tenant == "" && opts.Config != nil {
		cf, err := opts.Config()
		if err != nil {
			return err
		}
		if cf.Import.Tenant == "" {
			return nil
		}
		if err := audit.CheckTenant(cf.Import.Tenant); err != nil {
			return audit.Errorf(audit.EUSAGE, "%s: import.tenant: %v", cf.Path, err)
		}
		opts.Tenant = cf.Import.Tenant
		return nil
	}
	if opts.Tenant == "" {
		return nil
	}
	if err := audit.CheckTenant(opts.Tenant); err != nil {
		return audit.Errorf(audit.EUSAGE, "--tenant: %v", err)
	}
	return nil
}

func summary(files []string, sum audit.ImportResult, failed int, took time.Duration) string {
	what := fmt.Sprintf("%d files", len(files))
	if len(files) == 1 {
		what = sanitize.String(files[0])
	}
	msg := fmt.Sprintf("imported %s: %d new events, %d already stored", what, sum.Inserted, sum.Duplicates())
	if sum.Skipped > 0 {
		msg += fmt.Sprintf(", %d invalid skipped", sum.Skipped)
	}
	if failed > 0 {
		msg += fmt.Sprintf(", %d of %d files failed", failed, len(files))
	}
	return msg + fmt.Sprintf(" (%s)", took.Round(10*time.Millisecond))
}

func importFile(ctx context.Context, opts *ImportOptions, db store.Store, name string, format importer.Format, progress *cmdutil.Progress) (audit.ImportResult, importer.Format, error) {
	var r io.Reader
	if name == "-" {
		// A signal stops the import even while standard input stalls.
		r = cmdutil.ContextReader(ctx, opts.IO.In)
	} else {
		f, err := os.Open(name)
		if err != nil {
			return audit.ImportResult{}, "", audit.Errorf(audit.EINVALID, "%v", err)
		}
		defer f.Close()
		r = f
	}
	er, detected, err := importer.OpenWith(name, progress.Reader(r), format, opts.limits)
	if err != nil {
		return audit.ImportResult{}, detected, err
	}
	if opts.Tenant != "" {
		er = audit.WithTenant(er, opts.Tenant)
	}
	res, err := db.Import(ctx, er, store.ImportOptions{SkipInvalid: opts.SkipInvalid, Progress: progress.Items, Name: name})
	if err == nil && res.Skipped > 0 && res.Skipped == res.Read {
		// --skip-invalid skips bad records among good ones; a file of
		// nothing else is not a success.
		err = audit.Errorf(audit.EINVALID, "%s: every record was invalid (%d skipped), nothing stored: run without --skip-invalid to see the first error", name, res.Skipped)
	}
	return res, detected, err
}

// expand turns the arguments into files: directories are walked
// recursively (hidden entries skipped) in name order.
func expand(paths []string) ([]string, error) {
	var files []string
	stdin := 0
	for _, p := range paths {
		if p == "-" {
			stdin++
			files = append(files, p)
			continue
		}
		st, err := os.Stat(p)
		if err != nil {
			return nil, audit.Errorf(audit.EUSAGE, "%v", err)
		}
		if !st.IsDir() {
			files = append(files, p)
			continue
		}
		var found []string
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if path != p && strings.HasPrefix(d.Name(), ".") {
				if d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
			if d.Type().IsRegular() && !isLicense(d.Name()) {
				found = append(found, path)
			}
			return nil
		})
		if err != nil {
			return nil, audit.Errorf(audit.EUSAGE, "%v", err)
		}
		sort.Strings(found)
		if len(found) == 0 {
			return nil, audit.Errorf(audit.EUSAGE, "%s: no files to import", p)
		}
		files = append(files, found...)
	}
	if stdin > 1 {
		return nil, audit.Errorf(audit.EUSAGE, "- (stdin) can be given once")
	}
	return files, nil
}

// isLicense skips the LICENSE/README files that ship beside data sets.
func isLicense(name string) bool {
	base := strings.ToUpper(strings.TrimSuffix(name, filepath.Ext(name)))
	return base == "LICENSE" || base == "README" || base == "NOTICE" || base == "COPYING"
}
