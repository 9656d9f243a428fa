// Package sqlite is the local audit cache: a SQLite database (pure Go,
// modernc.org/sqlite) holding events, with versioned migrations, WAL, a busy
// timeout, and an FTS5 full-text index. It implements audit.EventService.
package sqlite

import (
	"context"
	"crypto/ed25519"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/store"
	sqlite "modernc.org/sqlite"
)

// mmapSize is how much of the cache file readers map (2 GiB).
const mmapSize = 2147418112

// Page cache sizes: readers, and the connection of an import.
const (
	defaultCacheKiB = 64 << 10
	importCacheKiB  = 128 << 10 // as fast as 512 MiB at 1M events, a third of the memory (docs/performance.md)
)

// DB is an open cache.
type DB struct {
	db   *sql.DB
	path string
	// waitNotice is called once when a write waits for another writer.
	waitNotice func()
	waitOnce   sync.Once
	// signer gives the key that signs a deletion's checkpoint (SetSigner).
	signer func() (ed25519.PrivateKey, error)
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

// Open opens the cache at path, creating it (and its directory) when it does
// not exist, and brings its schema up to date. It is for the commands that
// write events or sessions (import, demo, sync, sessions record and
// import); the commands that read use OpenExisting.
func Open(ctx context.Context, path string) (*DB, error) {
	registerFunctions()
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, audit.Errorf(audit.ELOCAL, "create cache directory: %v", err)
		}
	}
	if _, err := os.Stat(path); os.IsNotExist(err) {
		if err := create(ctx, path); err != nil {
			return nil, CacheError(path, fmt.Errorf("create: %w", err))
		}
	}
	return open(ctx, path, false)
}

// OpenExisting opens the cache at path for the commands that read it: it
// creates nothing (no file, no directory, no -wal or -shm beside a missing
// file). A missing or empty file, a directory, a file that is not a SQLite
// database, an unreadable or damaged one are local failures (audit.ELOCAL)
// whose message names the path.
func OpenExisting(ctx context.Context, path string) (*DB, error) {
	registerFunctions()
	st, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, &audit.Error{Code: audit.ELOCAL, Err: ErrNoCache,
			Message: fmt.Sprintf("no cache at %s: run auditctl import, sync or demo first", path)}
	case err != nil:
		return nil, audit.Errorf(audit.ELOCAL, "cache %s: %v", path, pathErr(err))
	case st.IsDir():
		return nil, audit.Errorf(audit.ELOCAL, "cache %s is a directory, not a cache file (pass the file with --db)", path)
	case st.Size() == 0:
		return nil, audit.Errorf(audit.ELOCAL, "no cache at %s (the file is empty): run auditctl import, sync or demo first", path)
	}
	if err := checkHeader(path); err != nil {
		return nil, err
	}
	return open(ctx, path, true)
}

// ErrNoCache is in the error of OpenExisting when there is no file at the
// path.
var ErrNoCache = store.ErrNoStore

// sqliteMagic starts every SQLite database file.
const sqliteMagic = "SQLite format 3\x00"

// checkHeader reads the start of the file: an unreadable file, or one that
// is not a SQLite database at all, is said so before SQLite is asked.
func checkHeader(path string) error {
	fh, err := os.Open(path)
	if err != nil {
		return audit.Errorf(audit.ELOCAL, "cache %s: %v", path, pathErr(err))
	}
	defer fh.Close()
	buf := make([]byte, len(sqliteMagic))
	if _, err := io.ReadFull(fh, buf); err != nil || string(buf) != sqliteMagic {
		return audit.Errorf(audit.ELOCAL, "%s is not an auditctl cache (not a SQLite database): pass the cache with --db, or move the file away", path)
	}
	return nil
}

// pathErr drops the operation and path of an *fs.PathError, which the
// messages here already name.
func pathErr(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// open opens an existing cache file; existing makes SQLite refuse to create
// it (mode=rw), should it vanish after the caller looked.
func open(ctx context.Context, path string, existing bool) (*DB, error) {
	q := url.Values{}
	if existing {
		q.Add("mode", "rw")
	}
	q.Add("_pragma", "busy_timeout(15000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", fmt.Sprintf("cache_size(-%d)", defaultCacheKiB))
	q.Add("_pragma", "temp_store(MEMORY)")
	// Map the file: page reads without a system call each.
	q.Add("_pragma", fmt.Sprintf("mmap_size(%d)", mmapSize))
	// SQLite creates the -wal and -shm files with the cache's mode, so the
	// cache is made private before they can be created.
	makePrivate(path)
	dsn := "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + q.Encode()
	sdb, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, CacheError(path, fmt.Errorf("open: %w", err))
	}
	sdb.SetMaxOpenConns(max(4, runtime.NumCPU()))
	sdb.SetMaxIdleConns(4)
	db := &DB{db: sdb, path: path}
	if err := db.migrate(ctx); err != nil {
		sdb.Close()
		return nil, CacheError(path, err)
	}
	makePrivate(path)
	return db, nil
}

// sidecars are the files SQLite keeps beside a database.
var sidecars = []string{"-wal", "-shm", "-journal"}

// makePrivate gives the cache at path, and the -wal, -shm and -journal files
// beside it, mode 0600, whatever the umask and whatever made them (an older
// auditctl, the sqlite3 shell): they hold the same data. A sidecar is
// changed only when it is a regular file of the current user (never through
// a symlink); errors are ignored (a cache shared read-only by another user).
func makePrivate(path string) {
	if runtime.GOOS == "windows" {
		return
	}
	_ = os.Chmod(path, 0o600)
	// SQLite puts the sidecars beside the file a symlinked path leads to.
	if real, err := filepath.EvalSymlinks(path); err == nil {
		path = real
	}
	for _, suffix := range sidecars {
		privateSidecar(path + suffix)
	}
}

// SQLite primary result codes that mean the file or the machine failed, not
// auditctl: https://sqlite.org/rescode.html.
var localCodes = map[int]bool{
	3:  true, // SQLITE_PERM
	5:  true, // SQLITE_BUSY
	6:  true, // SQLITE_LOCKED
	7:  true, // SQLITE_NOMEM
	8:  true, // SQLITE_READONLY
	10: true, // SQLITE_IOERR
	11: true, // SQLITE_CORRUPT
	13: true, // SQLITE_FULL
	14: true, // SQLITE_CANTOPEN
	26: true, // SQLITE_NOTADB
}

// IsLocalFailure reports whether err is a SQLite error that says the cache
// file or the machine failed (damaged, unreadable, read-only, disk full,
// locked), as opposed to a bug.
func IsLocalFailure(err error) bool {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return false
	}
	_, ok := localCodes[se.Code()&0xff]
	return ok
}

// CacheError names the cache at path in err, and makes it a local failure
// (audit.ELOCAL) when SQLite says the file or the machine failed: for the
// errors of opening the cache here, and for those a query meets later
// (cmdutil.Factory.Finish).
func CacheError(path string, err error) error {
	var ae *audit.Error
	if errors.As(err, &ae) {
		return err
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch code := se.Code() & 0xff; code {
		case 11, 26:
			return &audit.Error{Code: audit.ELOCAL, Err: err, Message: fmt.Sprintf(
				"cache %s is damaged (%v): move it away and run auditctl import, sync or demo again", path, err)}
		default:
			if _, ok := localCodes[code]; ok {
				return &audit.Error{Code: audit.ELOCAL, Err: err, Message: fmt.Sprintf("cache %s: %v", path, err)}
			}
		}
	}
	if errors.As(err, new(*fs.PathError)) {
		return &audit.Error{Code: audit.ELOCAL, Err: err, Message: fmt.Sprintf("cache %s: %v", path, err)}
	}
	return fmt.Errorf("cache %s: %w", path, err)
}

// pageSize is the page size of a new cache. Larger pages than SQLite's 4 KiB
// default mean a quarter of the page reads, writes and B-tree steps for the
// same rows: audit events are around a kilobyte each.
const pageSize = 16384

// create makes a new cache at path, whole: it is built under a temporary
// name beside path (page size, WAL, schema) and then linked into place, so
// that a reader never finds a half-made cache, and two processes that
// create the same cache at once both end up with the one that was linked
// first.
func create(ctx context.Context, path string) (err error) {
	fh, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".new-*")
	if err != nil {
		return err
	}
	tmp := fh.Name()
	fh.Close()
	defer func() {
		for _, p := range []string{tmp, tmp + "-wal", tmp + "-shm"} {
			_ = os.Remove(p)
		}
	}()
	if err := initFile(ctx, tmp); err != nil {
		return err
	}
	db, err := open(ctx, tmp, true)
	if err != nil {
		return err
	}
	if err := db.Close(); err != nil {
		return err
	}
	// Link fails when another process published its cache first: then that
	// one is used. Where links are not supported, rename (which replaces a
	// file that appeared meanwhile, an unlikely race).
	if err := os.Link(tmp, path); err != nil && !errors.Is(err, fs.ErrExist) {
		if _, serr := os.Stat(path); errors.Is(serr, fs.ErrNotExist) {
			return os.Rename(tmp, path)
		}
	}
	return nil
}

// initFile sets the page size of the new, empty file and switches it to
// WAL: the page size must be set before the first write, which switching to
// WAL is, so it cannot go through the connection string's pragmas (applied
// in their own order).
func initFile(ctx context.Context, path string) error {
	sdb, err := sql.Open("sqlite", "file:"+(&url.URL{Path: path}).EscapedPath()+"?mode=rw")
	if err != nil {
		return err
	}
	defer sdb.Close()
	sdb.SetMaxOpenConns(1)
	if _, err := sdb.ExecContext(ctx, fmt.Sprintf("PRAGMA page_size = %d", pageSize)); err != nil {
		return err
	}
	var mode string
	if err := sdb.QueryRowContext(ctx, "PRAGMA journal_mode = WAL").Scan(&mode); err != nil {
		return err
	}
	if !strings.EqualFold(mode, "wal") {
		return fmt.Errorf("journal mode is %q, not wal", mode)
	}
	return nil
}

// Path is the database file.
func (db *DB) Path() string { return db.path }

// Close closes the database.
func (db *DB) Close() error { return db.db.Close() }

// SQL exposes the handle for packages that add their own tables
// (sessions, sync state) through migrations registered here.
func (db *DB) SQL() *sql.DB { return db.db }

// withWriteTx runs fn in a write transaction started with BEGIN IMMEDIATE,
// so that a writer takes the lock up front and waits instead of failing
// halfway when another process writes. It waits as long as the other
// writer holds the lock (see begin). fn's error rolls back.
func (db *DB) withWriteTx(ctx context.Context, fn func(*sql.Conn) error) (err error) {
	return db.writeTx(ctx, writeOpts{}, fn)
}

// withWriteTxCache is withWriteTx with the connection's page cache raised
// to cacheKiB for the transaction (0 keeps it): a large import keeps the
// pages it touches in memory instead of spilling them to the WAL and
// reading them back.
func (db *DB) withWriteTxCache(ctx context.Context, cacheKiB int, fn func(*sql.Conn) error) (err error) {
	return db.writeTx(ctx, writeOpts{cacheKiB: cacheKiB}, fn)
}

// writeOpts tune writeTx.
type writeOpts struct {
	cacheKiB int
	// try, when positive, is how long to wait for the write lock before
	// giving up with ErrBusy (the background registration of a recorder's
	// session); 0 waits for as long as another writer holds it.
	try time.Duration
	// attach, when set, is a database file attached as "text" for the
	// transaction (an import's text index built apart, bulktext.go); the
	// connection is then closed, not reused: the transaction wrote the
	// index's tables below FTS5, whose cached state on that connection it
	// does not see.
	attach string
}

// ErrBusy is returned by the writes that only try: another writer holds
// the cache's write lock.
var ErrBusy = errors.New("the cache is busy: another auditctl writer holds it")

// WaitNoticeAfter is how long a writer waits for the write lock before it
// says so (SetWaitNotice).
const WaitNoticeAfter = time.Second

// SetWaitNotice sets what is called, once, when a write must wait more than
// WaitNoticeAfter for another writer (Factory prints "waiting for another
// auditctl writer to finish…" unless --quiet).
func (db *DB) SetWaitNotice(fn func()) { db.waitNotice = fn }

// noticeWait says, once per DB, that a write waits for another writer.
func (db *DB) noticeWait() {
	if db.waitNotice != nil {
		db.waitOnce.Do(db.waitNotice)
	}
}

// begin starts a write transaction on conn. SQLite's busy timeout would
// make a second writer fail after a fixed time however much work the
// first still has to do (an import of a large file holds the lock for as
// long as the file takes): instead, begin tries for WaitNoticeAfter at a
// time, says once that it waits, and waits for as long as the lock is
// taken, until ctx ends (Ctrl-C). With try set it gives up with ErrBusy.
func (db *DB) begin(ctx context.Context, conn *sql.Conn, try time.Duration) error {
	slice := WaitNoticeAfter
	if try > 0 {
		slice = try
	}
	timeout := func(d time.Duration) error {
		_, err := conn.ExecContext(ctx, fmt.Sprintf("PRAGMA busy_timeout = %d", d.Milliseconds()))
		return err
	}
	defer conn.ExecContext(context.Background(), "PRAGMA busy_timeout = 15000")
	// First without waiting: a writer that must wait says so to long
	// writers (announceWait), which let it in between their slices.
	if err := timeout(0); err != nil {
		return err
	}
	_, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE")
	if err == nil || !isBusy(err) {
		return err
	}
	defer db.announceWait()()
	if err := timeout(slice); err != nil {
		return err
	}
	for {
		_, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE")
		if err == nil || !isBusy(err) {
			return err
		}
		if try > 0 {
			return ErrBusy
		}
		if cerr := ctx.Err(); cerr != nil {
			return cerr
		}
		db.noticeWait()
	}
}

// isBusy reports whether err is SQLITE_BUSY (another connection holds the
// lock).
func isBusy(err error) bool {
	var se *sqlite.Error
	return errors.As(err, &se) && se.Code()&0xff == 5
}

func (db *DB) writeTx(ctx context.Context, o writeOpts, fn func(*sql.Conn) error) (err error) {
	conn, err := db.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if o.cacheKiB > 0 {
		// A large write reads its pages into the page cache, not through
		// the memory map: mapped pages it touches would count in its
		// resident memory on top of the cache (an import of 1M events
		// peaked at 904 MB), and it reads each page about once.
		if _, err := conn.ExecContext(ctx, fmt.Sprintf("PRAGMA cache_size = -%d; PRAGMA mmap_size = 0", o.cacheKiB)); err != nil {
			return err
		}
		defer conn.ExecContext(context.Background(), fmt.Sprintf("PRAGMA cache_size = -%d; PRAGMA mmap_size = %d", defaultCacheKiB, mmapSize))
	}
	if o.attach != "" {
		defer conn.Raw(func(any) error { return driver.ErrBadConn })
		if _, err := conn.ExecContext(ctx, "ATTACH DATABASE ? AS text", o.attach); err != nil {
			return fmt.Errorf("attach: %w", err)
		}
	}
	if err := db.begin(ctx, conn, o.try); err != nil {
		if errors.Is(err, ErrBusy) {
			return err
		}
		return fmt.Errorf("begin: %w", err)
	}
	defer func() {
		if err != nil {
			// Use a fresh context: the caller's may be cancelled, and the
			// rollback must still happen.
			_, _ = conn.ExecContext(context.Background(), "ROLLBACK")
		}
	}()
	// Every writer publishes the session rows that recorders left in the
	// spool (spool.go), in its own transaction; the entries go once it
	// commits.
	drained := db.drainSpool(ctx, conn)
	if err = fn(conn); err != nil {
		return err
	}
	if _, err = conn.ExecContext(ctx, "COMMIT"); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	for _, p := range drained {
		_ = os.Remove(p)
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
