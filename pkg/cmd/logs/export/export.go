// Package export implements `auditctl logs export`.
package export

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/MakeNowJust/heredoc"
	"github.com/auditctl/auditctl/pkg/atomicfile"
	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/chain"
	"github.com/auditctl/auditctl/pkg/cmd/version"
	"github.com/auditctl/auditctl/pkg/cmdutil"
	"github.com/auditctl/auditctl/pkg/config"
	"github.com/auditctl/auditctl/pkg/encrypt"
	"github.com/auditctl/auditctl/pkg/output"
	"github.com/auditctl/auditctl/pkg/sanitize"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
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

	// Manifest writes FILE.manifest.json beside -O FILE (chain.Manifest),
	// signed with SigningKey; ChainHead reads the cache's chain head.
	Manifest   bool
	FilterArgs []string // the filter flags as given, for the manifest
	SigningKey func() (ed25519.PrivateKey, error)
	ChainHead  func(ctx context.Context) (*chain.ManifestChain, error)
}

// ChainHead reads the chain head of f's store, for a manifest.
func ChainHead(f *cmdutil.Factory) func(ctx context.Context) (*chain.ManifestChain, error) {
	return func(ctx context.Context) (*chain.ManifestChain, error) {
		db, err := f.Store(ctx)
		if err != nil {
			return nil, err
		}
		seq, link, err := db.ChainHead(ctx)
		if err != nil {
			return nil, err
		}
		return &chain.ManifestChain{Seq: seq, Head: hex.EncodeToString(link[:])}, nil
	}
}

// NewCmdExport builds the command.
func NewCmdExport(f *cmdutil.Factory, runF func(*ExportOptions) error) *cobra.Command {
	opts := &ExportOptions{IO: f.IOStreams, Now: f.Now, Service: f.EventService, Config: f.Config, SigningKey: f.SigningKey,
		ChainHead: ChainHead(f)}
	filterFlags := map[string]bool{} // the flags of AddFilterFlags, for the manifest
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

			--manifest writes FILE.manifest.json beside -O FILE: the number of events,
			their time range, the filter flags and the window they resolved to, the
			file's size and SHA-256 (of the bytes written, encrypted or not), the
			store's chain head when the export finished (a cache's or a PostgreSQL
			store's), and an ed25519 signature of
			it all with the signing key in the configuration directory (created on
			first use). auditctl verify --manifest FILE.manifest.json checks it;
			sha256sum checks the file alone (docs/security.md, "Tamper evidence").
		`),
		Example: heredoc.Doc(`
			auditctl logs export --since 90d --format csv -O audit-q3.csv
			auditctl logs export --action DeleteUser -o ndjson > deletions.ndjson
			auditctl logs export --source cloudtrail -O trail.json
			auditctl logs export --since 90d -O audit.csv.age --encrypt-to age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p
			auditctl logs export --since 90d -O audit.csv.age --encrypt-to-file auditors.txt
			AUDITCTL_PASSPHRASE="$SECRET" auditctl logs export --since 30d --passphrase --armor > audit.ndjson.age
			auditctl logs export --since 90d -O audit-q3.ndjson --manifest
		`),
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Output = f.Output
			opts.Quiet = f.Quiet
			opts.FilterArgs = nil
			cmd.Flags().Visit(func(fl *pflag.Flag) {
				if !filterFlags[fl.Name] {
					return
				}
				if sv, ok := fl.Value.(pflag.SliceValue); ok {
					for _, v := range sv.GetSlice() {
						opts.FilterArgs = append(opts.FilterArgs, "--"+fl.Name+"="+v)
					}
					return
				}
				opts.FilterArgs = append(opts.FilterArgs, "--"+fl.Name+"="+fl.Value.String())
			})
			if runF != nil {
				return runF(opts)
			}
			return exportRun(cmd.Context(), opts)
		},
	}
	before := map[string]bool{}
	cmd.Flags().VisitAll(func(fl *pflag.Flag) { before[fl.Name] = true })
	cmdutil.AddFilterFlags(cmd, &opts.Filter, false)
	cmd.Flags().VisitAll(func(fl *pflag.Flag) {
		if !before[fl.Name] {
			filterFlags[fl.Name] = true
		}
	})
	cmd.Flags().StringVar(&opts.Remote, "remote", "", "export from this remote API live instead of the cache: jumpcloud")
	cmdutil.AddJumpCloudFlags(cmd, &f.JumpCloud, cmdutil.NoTimeout)
	cmd.Flags().StringVar(&opts.Format, "format", "", "csv, json or ndjson, like -o (default: from the -O extension, else ndjson)")
	cmd.Flags().StringVarP(&opts.OutFile, "output-file", "O", "", "write to this file (atomically) instead of stdout")
	cmd.Flags().BoolVar(&opts.CSVRaw, "csv-raw", false, "do not neutralize spreadsheet formulas in CSV cells")
	cmd.Flags().StringVar(&opts.Sort, "sort", "time", "sort order (time = oldest first, -time = newest first)")
	cmd.Flags().BoolVar(&opts.Manifest, "manifest", false, "write a signed manifest beside -O FILE (FILE.manifest.json): counts, time range, filter, SHA-256, chain head")
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
	if opts.Manifest && (opts.OutFile == "" || opts.OutFile == "-") {
		return audit.Errorf(audit.EUSAGE, "--manifest needs -O FILE: the manifest is written beside the file")
	}
	var key ed25519.PrivateKey
	if opts.Manifest {
		// Before the export: a key that cannot be had fails at once.
		if key, err = opts.SigningKey(); err != nil {
			return err
		}
	}
	out := &encrypt.Output{IO: opts.IO, Path: opts.OutFile}
	if err := out.Prepare(ctx, opts.Config, &opts.Encrypt, opts.Env); err != nil {
		return err
	}
	svc, err := opts.Service(ctx, opts.Remote)
	if err != nil {
		return err
	}
	st, err := Events(ctx, svc, filter, audit.Page{Sort: sort}, format, opts.CSVRaw, out, nil)
	if err != nil {
		return err
	}
	if opts.OutFile != "" && opts.OutFile != "-" && !opts.Quiet {
		fmt.Fprintf(opts.IO.ErrOut, "exported %d events to %s%s\n", st.N, sanitize.String(opts.OutFile), out.Said())
	}
	if !opts.Manifest {
		return nil
	}
	var head func(context.Context) (*chain.ManifestChain, error)
	if opts.Remote == "" {
		head = opts.ChainHead
	}
	path, err := WriteManifest(ctx, opts.OutFile, ManifestOptions{Now: opts.Now(), Args: opts.FilterArgs, Key: key, ChainHead: head},
		format, filter, out.Encrypter != nil, st)
	if err != nil {
		return err
	}
	if !opts.Quiet {
		fmt.Fprintf(opts.IO.ErrOut, "wrote the signed manifest %s (check: auditctl verify --manifest %s)\n", sanitize.String(path), sanitize.String(path))
	}
	return nil
}

// ManifestOptions say how an export's signed manifest is made.
type ManifestOptions struct {
	Now  time.Time          // when it is made
	Args []string           // the filter as given (flags: --action=DeleteUser, --query=…)
	Key  ed25519.PrivateKey // the signing key
	// ChainHead reads the store's chain head when the export finished;
	// nil for a remote API (no chain).
	ChainHead func(ctx context.Context) (*chain.ManifestChain, error)
}

// WriteManifest writes file+chain.ManifestSuffix, the signed manifest of
// the export st (of filter, in format, encrypted or not) written to file:
// its events, their time range, the filter, the file's size and SHA-256,
// the chain head. It returns the manifest's path. `logs export
// --manifest` and the console's export (auditctl tui, e) write it.
func WriteManifest(ctx context.Context, file string, mo ManifestOptions, format output.Format, filter audit.Filter, encrypted bool, st Stats) (string, error) {
	m := &chain.Manifest{Version: 1, Tool: "auditctl " + version.Version, Created: audit.FormatTime(mo.Now),
		File: filepath.Base(file), Format: string(format), Events: int64(st.N),
		Filter: chain.ManifestFilter{Args: mo.Args}}
	if m.Filter.Args == nil {
		m.Filter.Args = []string{}
	}
	if encrypted {
		m.Encryption = "age"
	}
	if st.N > 0 {
		m.First, m.Last = st.First.UTC().Format(time.RFC3339Nano), st.Last.UTC().Format(time.RFC3339Nano)
	}
	if !filter.Since.IsZero() {
		m.Filter.Since = filter.Since.UTC().Format(time.RFC3339Nano)
	}
	if !filter.Until.IsZero() {
		m.Filter.Until = filter.Until.UTC().Format(time.RFC3339Nano)
	}
	var err error
	if mo.ChainHead != nil {
		if m.Chain, err = mo.ChainHead(ctx); err != nil {
			return "", err
		}
	}
	if m.SHA256, m.Bytes, err = chain.FileHash(file); err != nil {
		return "", audit.Errorf(audit.ELOCAL, "manifest: %v", err)
	}
	if err := m.Sign(mo.Key); err != nil {
		return "", err
	}
	path := file + chain.ManifestSuffix
	if err := atomicfile.Write(path, 0o600, func(w io.Writer) error { return chain.WriteManifest(w, m) }); err != nil {
		return "", audit.Errorf(audit.ELOCAL, "manifest %s: %v", path, err)
	}
	return path, nil
}

// Stats say what Events wrote.
type Stats struct {
	N           int       // events
	First, Last time.Time // the oldest and the newest
}

// Events writes every event of filter, in p's order, to out (encrypted
// and atomic as out says) in format: the export of logs export, which the
// console's export (auditctl tui, e) runs too. progress, when set, is
// called after each event with the number written so far.
func Events(ctx context.Context, svc audit.EventService, filter audit.Filter, p audit.Page, format output.Format, csvRaw bool,
	out *encrypt.Output, progress func(n int)) (Stats, error) {
	var st Stats
	err := out.Write(func(w io.Writer) error {
		direct, err := output.NewEventWriter(w, format, output.Options{CSVRaw: csvRaw})
		if err != nil {
			return err
		}
		// scan on this goroutine, format and write on another
		ew := output.Pipe(direct)
		err = svc.EachEvent(ctx, filter, p, func(e *audit.Event) error {
			st.N++
			if st.First.IsZero() || e.Time.Before(st.First) {
				st.First = e.Time
			}
			if e.Time.After(st.Last) {
				st.Last = e.Time
			}
			if progress != nil {
				progress(st.N)
			}
			return ew.Write(e)
		})
		if cerr := ew.Close(); err == nil {
			err = cerr
		}
		return err
	})
	return st, err
}
