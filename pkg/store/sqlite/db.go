// Package sqlite is the local audit cache: a SQLite database (pure Go,
// modernc.org/sqlite) holding events, with versioned migrations, WAL, a busy
// timeout, and an FTS5 full-text index. It implements audit.EventService.
package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/auditctl/auditctl/pkg/audit"
	sqlite "modernc.org/sqlite"
)

// Page cache sizes: readers, and the connection of an import.
const (
	defaultCacheKiB = 64 << 10
	importCacheKiB  = 512 << 10
)

// DB is an open cache.
type DB struct {
	db   *sql.DB
	path string
}

// EnvDB names the environment variable that overrides the cache location.
const EnvDB = "AUDITCTL_DB"

// DefaultPath is the cache location when neither --db nor AUDITCTL_DB is
// given: the platform's per-user data directory.
func DefaultPath() (string, error) {
	if p := os.Getenv(EnvDB); p != "" {
		return p, nil
	}
	var dir string
	switch runtime.GOOS {
	case "windows":
		dir = os.Getenv("LocalAppData")
	case "darwin":
		if home, err := os.UserHomeDir(); err == nil {
			dir = filepath.Join(home, "Library", "Application Support")
		}
	default:
		dir = os.Getenv("XDG_DATA_HOME")
		if dir == "" {
			if home, err := os.UserHomeDir(); err == nil {
				dir = filepath.Join(home, ".local", "share")
			}
		}
	}
	if dir == "" {
		return "", audit.Errorf(audit.EUSAGE, "cannot find a data directory for the cache; pass --db or set %s", EnvDB)
	}
	return filepath.Join(dir, "auditctl", "audit.db"), nil
}

var registerOnce sync.Once

func registerFunctions() {
	registerOnce.Do(func() {
		// cidr_match(ip, prefix) is 1 when the text address ip lies in the
		// CIDR prefix, for --ip 10.0.0.0/8 and ip:10.0.0.0/8.
		sqlite.MustRegisterDeterministicScalarFunction("cidr_match", 2, func(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
			ip, _ := args[0].(string)
			pfx, _ := args[1].(string)
			p, err := netip.ParsePrefix(pfx)
			if err != nil {
				return int64(0), nil
			}
			if audit.IPInPrefix(ip, p.Masked()) {
				return int64(1), nil
			}
			return int64(0), nil
		})
		// fts_confirm(term, text...) confirms a full-text match of a
		// several-token term on the stored text (see fts.go).
		sqlite.MustRegisterDeterministicScalarFunction("fts_confirm", -1, func(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
			if len(args) == 0 {
				return int64(0), nil
			}
			var term string
			switch v := args[0].(type) {
			case string:
				term = v
			case []byte: // how events.go binds it: NULs intact
				term = string(v)
			}
			texts := make([]string, 0, len(args)-1)
			for _, a := range args[1:] {
				switch v := a.(type) {
				case string:
					texts = append(texts, v)
				case []byte:
					texts = append(texts, string(v))
				default: // NULL: keep the positions (the first text is not JSON)
					texts = append(texts, "")
				}
			}
			if confirm(term, texts...) {
				return int64(1), nil
			}
			return int64(0), nil
		})
	})
}

// Open opens (creating if needed) the cache at path and brings its schema
// up to date.
func Open(ctx context.Context, path string) (*DB, error) {
	registerFunctions()
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, audit.Errorf(audit.EUSAGE, "create cache directory: %v", err)
		}
	}
	if _, err := os.Stat(path); os.IsNotExist(err) {
		if err := create(ctx, path); err != nil {
			return nil, fmt.Errorf("create cache %s: %w", path, err)
		}
	}
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(15000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", fmt.Sprintf("cache_size(-%d)", defaultCacheKiB))
	q.Add("_pragma", "temp_store(MEMORY)")
	// Map the file: page reads without a system call each.
	q.Add("_pragma", "mmap_size(2147418112)")
	dsn := "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + q.Encode()
	sdb, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open cache %s: %w", path, err)
	}
	sdb.SetMaxOpenConns(max(4, runtime.NumCPU()))
	sdb.SetMaxIdleConns(4)
	db := &DB{db: sdb, path: path}
	if err := db.migrate(ctx); err != nil {
		sdb.Close()
		return nil, fmt.Errorf("cache %s: %w", path, err)
	}
	if runtime.GOOS != "windows" {
		_ = os.Chmod(path, 0o600)
	}
	return db, nil
}

// pageSize is the page size of a new cache. Larger pages than SQLite's 4 KiB
// default mean a quarter of the page reads, writes and B-tree steps for the
// same rows: audit events are around a kilobyte each.
const pageSize = 16384

// create makes a new, empty cache file with the page size set: it must be
// set before the first write, which switching to WAL is, so it cannot go
// through the connection string's pragmas (applied in their own order).
func create(ctx context.Context, path string) error {
	// Two processes may create the same cache at once: the busy timeout
	// makes the second wait, and then both pragmas are no-ops for it.
	sdb, err := sql.Open("sqlite", "file:"+(&url.URL{Path: path}).EscapedPath()+"?_pragma=busy_timeout(15000)")
	if err != nil {
		return err
	}
	defer sdb.Close()
	sdb.SetMaxOpenConns(1)
	if _, err := sdb.ExecContext(ctx, fmt.Sprintf("PRAGMA page_size = %d", pageSize)); err != nil {
		return err
	}
	// Switching to WAL can answer "busy" at once, without waiting, while
	// another process creates the same file: then wait for that one.
	deadline := time.Now().Add(15 * time.Second)
	for {
		var mode string
		err := sdb.QueryRowContext(ctx, "PRAGMA journal_mode = WAL").Scan(&mode)
		if err == nil && strings.EqualFold(mode, "wal") {
			return nil
		}
		if time.Now().After(deadline) {
			if err == nil {
				err = fmt.Errorf("journal mode is %q, not wal", mode)
			}
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// Path is the database file.
func (db *DB) Path() string { return db.path }

// Close closes the database.
func (db *DB) Close() error { return db.db.Close() }

// SQL exposes the handle for packages that add their own tables
// (sessions, sync state) through migrations registered here.
func (db *DB) SQL() *sql.DB { return db.db }

// withWriteTx runs fn in a write transaction started with BEGIN IMMEDIATE,
// so that a writer takes the lock up front and waits (busy timeout) instead
// of failing halfway when another process writes. fn's error rolls back.
func (db *DB) withWriteTx(ctx context.Context, fn func(*sql.Conn) error) (err error) {
	return db.withWriteTxCache(ctx, 0, fn)
}

// withWriteTxCache is withWriteTx with the connection's page cache raised
// to cacheKiB for the transaction (0 keeps it): a large import keeps the
// pages it touches in memory instead of spilling them to the WAL and
// reading them back.
func (db *DB) withWriteTxCache(ctx context.Context, cacheKiB int, fn func(*sql.Conn) error) (err error) {
	conn, err := db.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if cacheKiB > 0 {
		if _, err := conn.ExecContext(ctx, fmt.Sprintf("PRAGMA cache_size = -%d", cacheKiB)); err != nil {
			return err
		}
		defer conn.ExecContext(context.Background(), fmt.Sprintf("PRAGMA cache_size = -%d", defaultCacheKiB))
	}
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer func() {
		if err != nil {
			// Use a fresh context: the caller's may be cancelled, and the
			// rollback must still happen.
			_, _ = conn.ExecContext(context.Background(), "ROLLBACK")
		}
	}()
	if err = fn(conn); err != nil {
		return err
	}
	if _, err = conn.ExecContext(ctx, "COMMIT"); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

func isPrimaryKeyConflict(err error) bool {
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code() == 1555 // SQLITE_CONSTRAINT_PRIMARYKEY
	}
	return false
}
