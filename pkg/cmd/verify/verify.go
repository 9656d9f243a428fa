// Package verify implements `auditctl verify`: the cache's tamper check
// (package chain) and the check of an export's manifest.
package verify

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/MakeNowJust/heredoc"
	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/chain"
	"github.com/auditctl/auditctl/pkg/cmd/version"
	"github.com/auditctl/auditctl/pkg/cmdutil"
	"github.com/auditctl/auditctl/pkg/output"
	"github.com/auditctl/auditctl/pkg/recording"
	"github.com/auditctl/auditctl/pkg/report"
	"github.com/auditctl/auditctl/pkg/session"
	"github.com/auditctl/auditctl/pkg/store"
	"github.com/auditctl/auditctl/pkg/store/sqlite"
	"github.com/spf13/cobra"
)

// Options are the flags and dependencies of `verify`.
type Options struct {
	IO *cmdutil.IOStreams
	// Chain opens the store (a cache or a PostgreSQL store) and names it
	// for messages; DB opens the cache (recordings).
	Chain   func(context.Context) (store.Chained, string, error)
	DB      func(context.Context) (*sqlite.DB, error)
	KeyPath func() (string, error)
	Getenv  func(string) string

	Output     string
	Table      cmdutil.TableFlags
	Manifest   string
	PublicKey  string
	Recordings bool
	AllowEmpty bool
	// JUnit and SARIF are report files to write as well ("" for none).
	JUnit, SARIF string
}

// NewCmdVerify builds the command.
func NewCmdVerify(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, DB: f.DB, KeyPath: f.KeyPath, Getenv: os.Getenv,
		Chain: func(ctx context.Context) (store.Chained, string, error) {
			p, err := f.ResolveDBPath()
			if err != nil {
				return nil, "", err
			}
			if store.IsURL(p) {
				s, err := f.Store(ctx)
				return s, store.Redact(p), err
			}
			db, err := f.DB(ctx)
			if err != nil {
				return nil, "", err
			}
			return db, db.Path(), nil
		}}
	cmd := &cobra.Command{
		Use:   "verify",
		Short: "Check that the cache, or an export, was not changed behind auditctl's back",
		Long: heredoc.Doc(`
			Walk the store's tamper-evident chain (a cache file, or a PostgreSQL
			store given by --db postgres://…) and report every event or
			session row changed, inserted or deleted since auditctl wrote it, and
			every chain record, link or checkpoint signature that does not hold
			(docs/security.md, "Tamper evidence"). Rows deleted by a legitimate
			deletion (retention, demo replacing its data) are covered by the
			signed checkpoint it wrote, and pass.

			Checkpoints are checked against the public key of the signing key in
			the configuration directory (~/.config/auditctl/chain.key, under
			XDG_CONFIG_HOME when set), or the one --public-key names; without
			either, against the key they carry, which a note says.
			--recordings also hashes every session's recording and compares it
			with the SHA-256 sealed in its row (every byte is read: this is the
			slow part).

			With --manifest, check an export instead: the file beside the
			manifest (its size and SHA-256), the manifest's signature, and, when a
			cache is there, that the cache's chain still holds the chain head the
			manifest names.

			Output: a table on a terminal, -o json otherwise, like check; GitHub
			Actions annotations on stderr when GITHUB_ACTIONS=true; and, when
			asked, a JUnit XML file (--junit: one test case per rule) and a SARIF
			2.1.0 file (--sarif), both written atomically, as check writes them.
			Exit 0 when everything holds, 1 when anything was changed, inserted
			or deleted (and only then), 3 for a manifest that cannot be read, 5
			for a cache that is missing or cannot be read or a report file that
			cannot be written, 6 when the cache holds nothing to verify (no chain
			record, no event, no session) unless --allow-empty.
		`),
		Example: heredoc.Doc(`
			auditctl verify
			auditctl verify --recordings -o json
			auditctl verify --public-key auditor-copy-of-chain.pub
			auditctl verify --junit verify.xml --sarif verify.sarif    # in CI
			auditctl logs export --since 90d -O q3.ndjson --manifest
			auditctl verify --manifest q3.ndjson.manifest.json
		`),
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Output = f.Output
			if runF != nil {
				return runF(opts)
			}
			return run(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Manifest, "manifest", "", "check this export manifest (FILE.manifest.json) and the file beside it instead of the cache")
	fl.StringVar(&opts.PublicKey, "public-key", "", "trust only this ed25519 public key (PEM, as chain.pub) for checkpoints and manifests")
	fl.BoolVar(&opts.Recordings, "recordings", false, "also hash every recording and compare it with its session's sealed SHA-256")
	fl.BoolVar(&opts.AllowEmpty, "allow-empty", false, "let a cache with nothing to verify pass instead of exiting 6")
	report.AddFileFlags(fl, &opts.JUnit, &opts.SARIF)
	cmdutil.AddTableFlags(cmd, &opts.Table, []string{"status", "rule", "severity", "violations", "offending"})
	return cmd
}

// trustedKey is --public-key, else the public half of the signing key in
// the configuration directory, else nil (no key: checkpoints and manifests
// are checked against the key they carry).
func (opts *Options) trustedKey() (ed25519.PublicKey, string, error) {
	if opts.PublicKey != "" {
		pub, err := chain.LoadPublicKey(opts.PublicKey)
		return pub, opts.PublicKey, err
	}
	path, err := opts.KeyPath()
	if err != nil {
		return nil, "", nil
	}
	key, err := chain.LoadKey(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, path, nil
	}
	if err != nil {
		return nil, "", err
	}
	return key.Public().(ed25519.PublicKey), path, nil
}

// Summary is what the chain walk covered, beside the report in -o json.
type Summary struct {
	Records     int64  `json:"records"`
	Checkpoints int64  `json:"checkpoints"`
	Events      int64  `json:"events"`
	Sessions    int64  `json:"sessions"`
	Recordings  int64  `json:"recordings"`
	Unpublished int64  `json:"unpublished"`
	HeadSeq     int64  `json:"head_seq"`
	Head        string `json:"head"`
	TrustedKey  string `json:"trusted_key"` // fingerprint, "" when none
}

type jsonReport struct {
	*report.Report
	Chain *Summary `json:"chain,omitempty"`
}

func run(ctx context.Context, opts *Options) error {
	format, err := output.ResolveFormat(opts.Output, opts.IO.IsStdoutTTY())
	if err != nil {
		return err
	}
	if format != output.FormatTable && format != output.FormatJSON {
		return audit.Errorf(audit.EUSAGE, "verify writes a table or json (-o %s is not one of them)", format)
	}
	oo, err := opts.Table.Options(opts.IO)
	if err != nil {
		return err
	}
	trusted, keyPath, err := opts.trustedKey()
	if err != nil {
		return err
	}
	rep := &report.Report{Tool: "auditctl verify", Version: version.Version}
	var sum *Summary
	if opts.Manifest != "" {
		if err := opts.checkManifest(ctx, rep, trusted, keyPath); err != nil {
			return err
		}
	} else {
		if sum, err = opts.checkCache(ctx, rep, trusted, keyPath); err != nil {
			return err
		}
	}
	rep.Finish(report.SeverityInfo)
	if err := (report.Delivery{JUnit: opts.JUnit, SARIF: opts.SARIF}).WriteFiles(rep); err != nil {
		return err
	}
	if format == output.FormatTable {
		err = report.WriteTable(opts.IO.Out, rep, oo)
	} else {
		err = output.WriteJSON(opts.IO.Out, jsonReport{rep, sum})
	}
	if err != nil {
		return err
	}
	if opts.Getenv != nil && report.GitHubActions(opts.Getenv) {
		if err := report.WriteGitHub(opts.IO.ErrOut, rep); err != nil {
			return err
		}
	}
	if err := rep.Err(); err != nil {
		if errors.Is(err, report.ErrViolations) {
			return cmdutil.ErrSilent
		}
		return err
	}
	return nil
}

// rules are the checks of a cache, in the report.
var rules = []struct{ id, title string }{
	{"chain", "the chain's records, links and checkpoint signatures hold"},
	{"events", "no event row changed, inserted or deleted since it was sealed"},
	{"sessions", "no session row changed, inserted or deleted since it was sealed"},
	{"recordings", "every recording matches the SHA-256 sealed in its session"},
}

func (opts *Options) checkCache(ctx context.Context, rep *report.Report, trusted ed25519.PublicKey, keyPath string) (*Summary, error) {
	cs, name, err := opts.Chain(ctx)
	if err != nil {
		return nil, err
	}
	db, isCache := cs.(*sqlite.DB)
	finder, hasSessions := cs.(sessionFinder)
	if opts.Recordings && !hasSessions {
		return nil, audit.Errorf(audit.EUSAGE, "--recordings: this store holds no sessions")
	}
	cr, err := cs.VerifyChain(ctx, trusted)
	if err != nil {
		if isCache {
			err = sqlite.CacheError(db.Path(), err)
		}
		return nil, err
	}
	what := "the cache"
	if !isCache {
		what = "the store"
	}
	if cr.Records == 0 && cr.Events == 0 && cr.Sessions == 0 && len(cr.Findings) == 0 && !opts.AllowEmpty {
		return nil, audit.Errorf(audit.ENODATA, "nothing to verify: %s %s holds no events, sessions or chain records (--allow-empty lets it pass)", what, name)
	}
	byRule := map[string][]report.Violation{}
	for _, f := range cr.Findings {
		byRule[f.Table] = append(byRule[f.Table], violation(f.Problem, f.Row, f.Detail))
	}
	sum := &Summary{Records: cr.Records, Checkpoints: cr.Checkpoints, Events: cr.Events, Sessions: cr.Sessions,
		Unpublished: cr.Unpublished, HeadSeq: cr.HeadSeq}
	if cr.HeadSeq > 0 {
		sum.Head = hex.EncodeToString(cr.Head[:])
	}
	if trusted != nil {
		sum.TrustedKey = chain.Fingerprint(trusted)
	}
	if opts.Recordings {
		n, vs, err := checkRecordings(ctx, finder)
		if err != nil {
			return nil, err
		}
		sum.Recordings, byRule["recordings"] = n, vs
	}
	for _, r := range rules {
		if r.id == "recordings" && !opts.Recordings {
			continue
		}
		res := report.Result{ID: r.id, Title: r.title, Severity: report.SeverityCritical, Violations: byRule[r.id]}
		rep.Rules = append(rep.Rules, res)
	}
	notes := &rep.Rules[0].Notes
	*notes = append(*notes, fmt.Sprintf("%d records (%d checkpoints), %d events, %d sessions checked; head: record %d, link %s",
		cr.Records, cr.Checkpoints, cr.Events, cr.Sessions, cr.HeadSeq, short(sum.Head)))
	switch {
	case cr.Unvouched > 0:
		*notes = append(*notes, fmt.Sprintf("%d checkpoints were checked against the key they carry only: no signing key at %s (give --public-key)", cr.Unvouched, keyPath))
	case trusted != nil && cr.Checkpoints > 0:
		*notes = append(*notes, fmt.Sprintf("checkpoints signed by the trusted key %s", chain.Fingerprint(trusted)))
	}
	if cr.Unpublished > 0 {
		*notes = append(*notes, fmt.Sprintf("%d rows of imports still under way were left out", cr.Unpublished))
	}
	return sum, nil
}

func short(h string) string {
	if len(h) > 16 {
		return h[:16] + "…"
	}
	if h == "" {
		return "none"
	}
	return h
}

func violation(problem, row, detail string) report.Violation {
	return report.Violation{Message: problem + ": " + row + ": " + detail, Group: row, Count: 1}
}

// sessionFinder is a store that holds sessions (both stores).
type sessionFinder interface {
	FindSessions(ctx context.Context, f session.Filter, p session.Page) ([]*session.Session, int, error)
}

// checkRecordings hashes each recording a session row names and compares
// it with the row's SHA-256. Every byte is read: the hash cache that play
// uses (recording.VerifySHA256) is a file the same local user can write, so
// it proves nothing here.
func checkRecordings(ctx context.Context, db sessionFinder) (int64, []report.Violation, error) {
	sessions, _, err := db.FindSessions(ctx, session.Filter{}, session.Page{})
	if err != nil {
		return 0, nil, err
	}
	var n int64
	var out []report.Violation
	for _, s := range sessions {
		if s.RecordingPath == "" || s.RecordingSHA256 == "" {
			continue
		}
		if err := ctx.Err(); err != nil {
			return 0, nil, err
		}
		n++
		sum, err := recording.FileSHA256(s.RecordingPath)
		switch {
		case err != nil:
			out = append(out, violation(chain.Deleted, s.ID, fmt.Sprintf("recording %s: %v", s.RecordingPath, err)))
		case !strings.EqualFold(sum, s.RecordingSHA256):
			out = append(out, violation(chain.Changed, s.ID, fmt.Sprintf("recording %s has SHA-256 %s, sealed %s", s.RecordingPath, sum, s.RecordingSHA256)))
		}
	}
	return n, out, nil
}

func (opts *Options) checkManifest(ctx context.Context, rep *report.Report, trusted ed25519.PublicKey, keyPath string) error {
	m, err := chain.ReadManifest(opts.Manifest)
	if err != nil {
		return err
	}
	var vs []report.Violation
	for _, p := range chain.CheckManifest(opts.Manifest, m, trusted) {
		vs = append(vs, violation(chain.Changed, m.File, p))
	}
	res := report.Result{ID: "manifest", Title: "the export file, its manifest and signature hold", Severity: report.SeverityCritical}
	res.Notes = append(res.Notes, fmt.Sprintf("%s: %d events, %d bytes, sha256 %s, signed by key %s", m.File, m.Events, m.Bytes, m.SHA256, m.KeyID))
	if trusted == nil {
		res.Notes = append(res.Notes, fmt.Sprintf("the signature was checked against the key the manifest carries only: no signing key at %s (give --public-key)", keyPath))
	}
	if m.Chain != nil {
		cs, name, err := opts.Chain(ctx)
		switch {
		case errors.Is(err, sqlite.ErrNoCache):
			res.Notes = append(res.Notes, fmt.Sprintf("no cache here: the chain head (record %d) was not checked", m.Chain.Seq))
		case err != nil:
			return err
		default:
			db, isCache := cs.(*sqlite.DB)
			what := "cache"
			if !isCache {
				what = "store"
			}
			link, ok, err := cs.ChainLink(ctx, m.Chain.Seq)
			if err != nil {
				if isCache {
					err = sqlite.CacheError(db.Path(), err)
				}
				return err
			}
			switch {
			case !ok:
				vs = append(vs, violation(chain.Deleted, fmt.Sprintf("record %d", m.Chain.Seq), "the "+what+"'s chain has no record of the manifest's chain head"))
			case hex.EncodeToString(link[:]) != m.Chain.Head:
				vs = append(vs, violation(chain.Changed, fmt.Sprintf("record %d", m.Chain.Seq), "the "+what+"'s chain differs from the manifest's chain head: it was rewritten since the export"))
			default:
				res.Notes = append(res.Notes, fmt.Sprintf("the %s %s still holds the chain head (record %d)", what, name, m.Chain.Seq))
			}
		}
	}
	res.Violations = vs
	rep.Rules = append(rep.Rules, res)
	return nil
}
