package cmdutil

import (
	"context"
	"sync"
	"time"

	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/store/sqlite"
)

// Factory hands commands their dependencies. Tests build one over test
// streams and a temporary database; main builds it over the process.
type Factory struct {
	IOStreams *IOStreams
	// Now is the clock; relative times (--since 7d) count back from it.
	Now func() time.Time
	// DBPath is --db; empty means AUDITCTL_DB or the platform default.
	DBPath string
	// Output is the global -o/--output value ("" = table on a terminal,
	// json otherwise).
	Output string
	Debug  bool
	Quiet  bool

	mu sync.Mutex
	db *sqlite.DB
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

// DB opens the cache once and returns it.
func (f *Factory) DB(ctx context.Context) (*sqlite.DB, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.db != nil {
		return f.db, nil
	}
	path, err := f.ResolveDBPath()
	if err != nil {
		return nil, err
	}
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		return nil, err
	}
	f.db = db
	return db, nil
}

// EventService returns where events are queried: the cache, or with
// remote set, a remote audit API.
func (f *Factory) EventService(ctx context.Context, remote string) (audit.EventService, error) {
	if remote != "" {
		return nil, audit.Errorf(audit.EUSAGE, "unknown remote %q", remote)
	}
	return f.DB(ctx)
}

// Close releases what the factory opened.
func (f *Factory) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.db != nil {
		err := f.db.Close()
		f.db = nil
		return err
	}
	return nil
}
