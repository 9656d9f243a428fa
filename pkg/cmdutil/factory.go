package cmdutil

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/chain"
	"github.com/auditctl/auditctl/pkg/config"
	"github.com/auditctl/auditctl/pkg/source/jumpcloud"
	"github.com/auditctl/auditctl/pkg/store"
	"github.com/auditctl/auditctl/pkg/store/postgres"
	"github.com/auditctl/auditctl/pkg/store/sqlite"
	"github.com/spf13/cobra"
)

// Factory hands commands their dependencies. Tests build one over test
// streams and a temporary database; main builds it over the process.
type Factory struct {
	IOStreams *IOStreams
	// Now is the clock; relative times (--since 7d) count back from it.
	Now func() time.Time
	// DBPath is --db; empty means AUDITCTL_DB or the platform default. A
	// postgres:// or postgresql:// URL selects the PostgreSQL team store.
	DBPath string
	// Output is the global -o/--output value ("" = table on a terminal,
	// json otherwise).
	Output string
	Debug  bool
	Quiet  bool
	// JumpCloud is what the --org, --region, --endpoint and --timeout flags
	// say about the Directory Insights API (the environment and the config
	// file fill the rest).
	JumpCloud jumpcloud.Settings
	// ConfigPath is the config file; "" = config.DefaultPath()
	// (~/.config/auditctl/config.yaml, under XDG_CONFIG_HOME when set).
	ConfigPath string

	mu     sync.Mutex
	keyMu  sync.Mutex
	key    ed25519.PrivateKey
	config *config.File
	db     *sqlite.DB
	pg     *postgres.DB
	dbPath string // the cache opened, for messages
}

// New returns a factory over the process's streams and clock.
func New() *Factory {
	return &Factory{IOStreams: System(), Now: time.Now}
}

// ResolveDBPath returns the cache path the flags and environment select.
func (f *Factory) ResolveDBPath() (string, error) {
	if f.DBPath != "" {
		return f.DBPath, nil
	}
	return sqlite.DefaultPath()
}

// Store opens the event store once and returns it: the SQLite cache, or
// the PostgreSQL store when --db or AUDITCTL_DB is a postgres:// URL.
// Like DB, it creates nothing: a cache file or a server schema that is not
// there is a local failure (exit 5).
func (f *Factory) Store(ctx context.Context) (store.Store, error) {
	return f.openStore(ctx, false)
}

// StoreCreate is Store for the commands that fill the store (import): it
// creates the cache, or the server's schema, when there is none.
func (f *Factory) StoreCreate(ctx context.Context) (store.Store, error) {
	return f.openStore(ctx, true)
}

func (f *Factory) openStore(ctx context.Context, create bool) (store.Store, error) {
	path, err := f.ResolveDBPath()
	if err != nil {
		return nil, err
	}
	if !store.IsURL(path) {
		if create {
			return f.DBCreate(ctx)
		}
		return f.DB(ctx)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.pg != nil {
		return f.pg, nil
	}
	db, err := postgres.Open(ctx, path, create)
	if err != nil {
		return nil, err
	}
	db.SetSigner(f.SigningKey)
	f.pg = db
	return db, nil
}

// ErrNotOnPostgres is what a command that works only on the SQLite cache
// says when --db names a PostgreSQL store (docs/postgres.md lists them).
func ErrNotOnPostgres() error {
	return audit.Errorf(audit.EUSAGE, "this command does not work with a PostgreSQL store yet, only with a cache file (docs/postgres.md, \"Not yet supported\")")
}

// ErrLocalOnly is what a command that works on one machine's cache by
// nature says when --db names a PostgreSQL store (exit 2): cmd is the
// command, why the reason.
func ErrLocalOnly(cmd, why string) error {
	return audit.Errorf(audit.EUSAGE, "%s works with a cache file only, not a PostgreSQL store: %s (docs/postgres.md)", cmd, why)
}

// LocalDB is DB for the commands that work only on this machine's cache
// (ErrLocalOnly with cmd and why when --db names a PostgreSQL store).
func (f *Factory) LocalDB(cmd, why string) func(context.Context) (*sqlite.DB, error) {
	return func(ctx context.Context) (*sqlite.DB, error) {
		if p, err := f.ResolveDBPath(); err == nil && store.IsURL(p) {
			return nil, ErrLocalOnly(cmd, why)
		}
		return f.DB(ctx)
	}
}

// DB opens the existing cache once and returns it: for every command that
// reads the cache (and for those that change what is already in it, such
// as sessions terminate). It never creates a cache: a missing one is a
// local failure (audit.ELOCAL, exit 5) "no cache at PATH: run auditctl
// import, sync or demo first", so that a mistyped --db cannot make a CI
// gate pass on an empty, new cache.
func (f *Factory) DB(ctx context.Context) (*sqlite.DB, error) {
	return f.openDB(ctx, sqlite.OpenExisting)
}

// DBCreate is DB for the commands that fill the cache (import, demo, sync,
// sessions record and sessions import): it creates the cache when there is
// none.
func (f *Factory) DBCreate(ctx context.Context) (*sqlite.DB, error) {
	return f.openDB(ctx, sqlite.Open)
}

func (f *Factory) openDB(ctx context.Context, open func(context.Context, string) (*sqlite.DB, error)) (*sqlite.DB, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.db != nil {
		return f.db, nil
	}
	path, err := f.ResolveDBPath()
	if err != nil {
		return nil, err
	}
	if store.IsURL(path) {
		return nil, ErrNotOnPostgres()
	}
	db, err := open(ctx, path)
	if err != nil {
		return nil, err
	}
	if !f.Quiet && f.IOStreams != nil {
		errOut := f.IOStreams.ErrOut
		db.SetWaitNotice(func() {
			fmt.Fprintln(errOut, "auditctl: waiting for another auditctl writer to finish… (Ctrl-C to stop)")
		})
	}
	db.SetSigner(f.SigningKey)
	f.db, f.dbPath = db, path
	return db, nil
}

// KeyPath returns the signing key's path: chain.key beside the config file
// (~/.config/auditctl/, under XDG_CONFIG_HOME when set).
func (f *Factory) KeyPath() (string, error) {
	cfg := f.ConfigPath
	if cfg == "" {
		cfg = config.DefaultPath()
	}
	if cfg == "" {
		return "", audit.Errorf(audit.ELOCAL, "no configuration directory for the signing key: set HOME or XDG_CONFIG_HOME")
	}
	return filepath.Join(filepath.Dir(cfg), chain.KeyFile), nil
}

// SigningKey returns the ed25519 key that signs checkpoints and manifests,
// creating it on first use (0600, its directory 0700); stderr says so once
// unless --quiet.
func (f *Factory) SigningKey() (ed25519.PrivateKey, error) {
	f.keyMu.Lock()
	defer f.keyMu.Unlock()
	if f.key != nil {
		return f.key, nil
	}
	path, err := f.KeyPath()
	if err != nil {
		return nil, err
	}
	key, created, err := chain.LoadOrCreateKey(path)
	if err != nil {
		return nil, err
	}
	if created && !f.Quiet && f.IOStreams != nil {
		fmt.Fprintf(f.IOStreams.ErrOut, "auditctl: created the signing key %s (its public half: %s)\n", path, filepath.Join(filepath.Dir(path), chain.PublicKeyFile))
	}
	f.key = key
	return key, nil
}

// Config loads the config file once (config.Load) and returns it: the
// defaults when there is no file, a usage error (exit 2) naming file:line
// when it is not valid.
func (f *Factory) Config() (*config.File, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.config != nil {
		return f.config, nil
	}
	cf, err := config.Load(f.ConfigPath)
	if err != nil {
		return nil, err
	}
	f.config = cf
	return cf, nil
}

// EventService returns where events are queried: the cache, or with
// remote set, a remote audit API.
func (f *Factory) EventService(ctx context.Context, remote string) (audit.EventService, error) {
	switch remote {
	case "":
		return f.Store(ctx)
	case "jumpcloud":
		c, err := f.JumpCloudClient()
		if err != nil {
			return nil, err
		}
		s := &jumpcloud.Service{Client: c, Now: f.Now}
		switch orgs := f.JumpCloud.Orgs; len(orgs) {
		case 0:
		case 1:
			s.Org = orgs[0]
		default:
			return nil, audit.Errorf(audit.EUSAGE, "a live query takes one --org, not %d", len(orgs))
		}
		return s, nil
	}
	return nil, audit.Errorf(audit.EUSAGE, "unknown remote %q (want jumpcloud)", remote)
}

// JumpCloudClient returns a Directory Insights API client over the
// resolved settings (flags, environment, config file), tracing to stderr
// with --debug. f.JumpCloud is updated with the resolved settings.
func (f *Factory) JumpCloudClient() (*jumpcloud.Client, error) {
	if f.JumpCloud.ConfigPath == "" {
		f.JumpCloud.ConfigPath = f.ConfigPath
	}
	s, err := f.JumpCloud.Resolve()
	if err != nil {
		return nil, err
	}
	f.JumpCloud = s
	c, err := jumpcloud.NewClient(s)
	if err != nil {
		return nil, err
	}
	if f.Debug {
		c.Debug = f.IOStreams.ErrOut
	}
	if !f.Quiet {
		c.Notify = func(msg string) { fmt.Fprintln(f.IOStreams.ErrOut, msg) }
	}
	return c, nil
}

// AddJumpCloudFlags registers the flags that choose the Directory Insights
// API and tenant, and bound the wait for it: --timeout, the deadline of the
// command's remote work as a whole (total; 0 for none), and
// --request-timeout, the bound of each attempt of each request.
func AddJumpCloudFlags(cmd *cobra.Command, s *jumpcloud.Settings, total time.Duration) {
	fl := cmd.Flags()
	fl.StringArrayVar(&s.Orgs, "org", nil, "JumpCloud organization id (x-org-id), for multi-tenant keys (repeat for several; env JUMPCLOUD_ORG_ID)")
	fl.StringVar(&s.Region, "region", "", "JumpCloud region: us, eu or in (default us)")
	fl.StringVar(&s.Endpoint, "endpoint", "", "API base URL, for tests and proxies (env JUMPCLOUD_API_URL; https, or http to loopback only)")
	fl.DurationVar(&s.Timeout, "timeout", total, "give up on the API after this long in all, retries included (0: no limit)")
	fl.DurationVar(&s.RequestTimeout, "request-timeout", jumpcloud.DefaultRequestTimeout, "bound of each API request attempt (a slow one is retried)")
}

// Finish ends a run: it closes what the factory opened and returns the
// error the run ends with, classified (Classify): a run that a signal
// stopped (ctx from SignalContext) ends with that *Interrupt (exit 130 or
// 143, printed only when the command failed); a SQLite failure of the
// cache names the cache's path.
func (f *Factory) Finish(ctx context.Context, err error) error {
	if cerr := f.Close(); err == nil && cerr != nil {
		err = cerr
	}
	var intr *Interrupt
	if errors.As(context.Cause(ctx), &intr) {
		if err == nil {
			return Silent(intr) // it stopped cleanly (tail -f, watch)
		}
		return intr.wrap(err)
	}
	if sqlite.IsLocalFailure(err) && f.dbPath != "" && !strings.Contains(err.Error(), f.dbPath) {
		err = sqlite.CacheError(f.dbPath, err)
	}
	return Classify(err)
}

// Remote query deadlines: a live query (logs list, count, show --remote)
// gives up after QueryTimeout in all; work that is long by nature (sync,
// export, tail) has no overall deadline by default, only bounded retries.
const (
	QueryTimeout = 2 * time.Minute
	NoTimeout    = 0
)

// Close releases what the factory opened.
func (f *Factory) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.pg != nil {
		f.pg.Close()
		f.pg = nil
	}
	if f.db != nil {
		err := f.db.Close()
		f.db = nil
		return err
	}
	return nil
}
