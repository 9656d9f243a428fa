package sqlite

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/auditctl/auditctl/pkg/session"
)

// The session spool: a recorder never waits for the cache. It writes each
// state of its session row (active at the start, completed or terminated at
// the end) as a small file in a private directory beside the cache,
// .<cache>.spool (0700), and publishes it in the background as soon as the
// cache's write lock is free. Every write transaction of any auditctl
// process publishes what the spool holds (writeTx), and so does `sessions
// list` (DrainSpool), so an entry a recorder could not publish before it
// exited is published by the next writer. Files are written whole under a
// temporary name and renamed into place, never changed: the one who
// publishes an entry removes exactly that file.

// maxSpoolEntry bounds the size of one entry (a session row is < 4 KiB).
const maxSpoolEntry = 64 << 10

// SpoolDir is the spool directory of the cache at path.
func SpoolDir(path string) string {
	return filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".spool")
}

// spoolDir opens (create: makes) the spool directory and checks that it is
// a private directory of this user, not a symbolic link.
func spoolDir(path string, create bool) (string, error) {
	dir := SpoolDir(path)
	if create {
		if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
			return "", err
		}
	}
	fi, err := os.Lstat(dir)
	if err != nil {
		return "", err
	}
	if !fi.IsDir() || !ownedPrivate(fi) {
		return "", fmt.Errorf("session spool %s is not a private directory of this user: not used", dir)
	}
	return dir, nil
}

// spoolSession writes the row s to the spool of the cache at path and
// returns the entry's path.
func spoolSession(path string, s *session.Session) (string, error) {
	if err := validSession(s); err != nil {
		return "", err
	}
	dir, err := spoolDir(path, true)
	if err != nil {
		return "", err
	}
	data, err := json.Marshal(s)
	if err != nil {
		return "", err
	}
	var rnd [8]byte
	_, _ = rand.Read(rnd[:])
	name := fmt.Sprintf("%020d-%s.json", time.Now().UnixNano(), hex.EncodeToString(rnd[:]))
	fh, err := os.CreateTemp(dir, ".new-*")
	if err != nil {
		return "", err
	}
	tmp := fh.Name()
	_, err = fh.Write(data)
	if cerr := fh.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, filepath.Join(dir, name))
	}
	if err != nil {
		os.Remove(tmp)
		return "", err
	}
	return filepath.Join(dir, name), nil
}

// readSpoolEntry reads one entry: a regular file of this user's, not
// followed through a link, holding a valid session row.
func readSpoolEntry(p string) (*session.Session, error) {
	fh, err := openNoFollow(p)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	fi, err := fh.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() || !ownedPrivate(fi) {
		return nil, fmt.Errorf("%s: not a private regular file of this user", p)
	}
	data, err := io.ReadAll(io.LimitReader(fh, maxSpoolEntry+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxSpoolEntry {
		return nil, fmt.Errorf("%s: larger than %d bytes", p, maxSpoolEntry)
	}
	var s session.Session
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	if err := validSession(&s); err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	return &s, nil
}

// drainSpool publishes the spool's entries on conn, which holds the write
// lock, oldest first, and returns the files to remove once the transaction
// commits. An entry that cannot be read or stored is left where it is.
func (db *DB) drainSpool(ctx context.Context, conn *sql.Conn) []string {
	dir, err := spoolDir(db.path, false)
	if err != nil {
		return nil
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var names []string
	for _, e := range ents {
		if n := e.Name(); strings.HasSuffix(n, ".json") && !strings.HasPrefix(n, ".") {
			names = append(names, n)
		}
	}
	sort.Strings(names) // time order
	var done []string
	for _, n := range names {
		p := filepath.Join(dir, n)
		s, err := readSpoolEntry(p)
		if err != nil {
			continue
		}
		if err := putSession(ctx, conn, s); err != nil {
			continue
		}
		done = append(done, p)
	}
	return done
}

// putSession stores a recorder's row: a new session is inserted; an
// existing row is replaced only by a final state (completed, terminated,
// stale) and only while it is active or stale, so that entries published
// in any order, or twice, never bring a finished session back.
func putSession(ctx context.Context, c *sql.Conn, s *session.Session) error {
	cols := strings.Split(sessionColumns, ",")
	var sets []string
	for _, col := range cols[1:] {
		col = strings.TrimSpace(col)
		sets = append(sets, col+" = excluded."+col)
	}
	q := "INSERT INTO sessions (" + sessionColumns + ") VALUES (" +
		strings.TrimSuffix(strings.Repeat("?,", len(cols)), ",") + ") ON CONFLICT(id) DO UPDATE SET " +
		strings.Join(sets, ", ") + " WHERE excluded.status <> 'active' AND sessions.status IN ('active', 'stale')"
	res, err := c.ExecContext(ctx, q, sessionArgs(s)...)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil // a final state already stored: nothing changed
	}
	return sealSession(ctx, c, s.ID)
}

// DrainSpool publishes the spool's entries if the write lock is free within
// a moment (`sessions list`); it never waits for another writer, and
// returns ErrBusy when one holds the lock.
func (db *DB) DrainSpool(ctx context.Context) error {
	dir, err := spoolDir(db.path, false)
	if err != nil {
		return nil
	}
	if ents, err := os.ReadDir(dir); err != nil || !hasEntries(ents) {
		return nil
	}
	return db.writeTx(ctx, writeOpts{try: 100 * time.Millisecond}, func(*sql.Conn) error { return nil })
}

func hasEntries(ents []fs.DirEntry) bool {
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ".json") && !strings.HasPrefix(e.Name(), ".") {
			return true
		}
	}
	return false
}

// SessionQueue registers the session of a recorder without ever making it
// wait for the cache: CreateSession and UpdateSession write the row to the
// spool and return at once; a goroutine publishes it as soon as the write
// lock is free, retrying with backoff. Reads go to the cache. Close waits a
// bounded time for the last row to be published; what is left stays in the
// spool for the next writer.
type SessionQueue struct {
	db     *DB    // nil: the cache could not be opened; rows only go to the spool
	path   string // the cache's
	cause  error  // why there is no db
	mu     sync.Mutex
	files  map[string]bool // this queue's entries not yet published
	err    error           // the first error writing the spool
	busy   bool            // a publication had to wait
	wake   chan struct{}
	idle   chan struct{} // closed and replaced each time files empties
	stop   chan struct{}
	done   chan struct{}
	closed bool
}

var _ session.Store = (*SessionQueue)(nil)

// NewSessionQueue starts a queue on db; Close ends it.
func (db *DB) NewSessionQueue() *SessionQueue {
	return newQueue(db, db.path, nil)
}

// NewSpoolQueue is a queue for the cache at path when it cannot be opened
// (cause): the rows wait in the spool for the next writer, once the cache
// is usable again.
func NewSpoolQueue(path string, cause error) *SessionQueue {
	return newQueue(nil, path, cause)
}

func newQueue(db *DB, path string, cause error) *SessionQueue {
	q := &SessionQueue{db: db, path: path, cause: cause, files: map[string]bool{}, wake: make(chan struct{}, 1),
		idle: make(chan struct{}), stop: make(chan struct{}), done: make(chan struct{})}
	go q.run()
	return q
}

// errNoCache is what a spool-only queue's reads return.
var errNoCache = errors.New("the cache could not be opened")

// CreateSession spools s for publication; it does not wait for the cache.
func (q *SessionQueue) CreateSession(_ context.Context, s *session.Session) error {
	return q.put(s)
}

// UpdateSession spools the new state of s; it does not wait for the cache.
func (q *SessionQueue) UpdateSession(_ context.Context, s *session.Session) error {
	return q.put(s)
}

func (q *SessionQueue) put(s *session.Session) error {
	p, err := spoolSession(q.path, s)
	q.mu.Lock()
	if err != nil {
		if q.err == nil {
			q.err = err
		}
		q.mu.Unlock()
		return nil // the recording goes on; Close reports it
	}
	q.files[p] = true
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
	return nil
}

// FindSession reads the cache.
func (q *SessionQueue) FindSession(ctx context.Context, id string) (*session.Session, error) {
	if q.db == nil {
		return nil, errNoCache
	}
	return q.db.FindSession(ctx, id)
}

// FindSessions reads the cache.
func (q *SessionQueue) FindSessions(ctx context.Context, f session.Filter, p session.Page) ([]*session.Session, int, error) {
	if q.db == nil {
		return nil, 0, errNoCache
	}
	return q.db.FindSessions(ctx, f, p)
}

// Backoff of the background publication.
const (
	queueTry        = 200 * time.Millisecond
	queueBackoffMin = 100 * time.Millisecond
	queueBackoffMax = 2 * time.Second
)

func (q *SessionQueue) run() {
	defer close(q.done)
	backoff := queueBackoffMin
	var retry <-chan time.Time
	for {
		select {
		case <-q.stop:
			return
		case <-q.wake:
		case <-retry:
		}
		retry = nil
		if !q.pending() || q.db == nil {
			continue
		}
		err := q.db.writeTx(context.Background(), writeOpts{try: queueTry}, func(*sql.Conn) error { return nil })
		q.mu.Lock()
		for p := range q.files {
			if _, serr := os.Lstat(p); errors.Is(serr, fs.ErrNotExist) {
				delete(q.files, p) // published, by this process or another writer
			}
		}
		left := len(q.files)
		if err != nil {
			q.busy = true
		}
		if left == 0 {
			close(q.idle)
			q.idle = make(chan struct{})
		}
		q.mu.Unlock()
		if left > 0 {
			if err == nil {
				backoff = queueBackoffMin
			}
			retry = time.After(backoff)
			backoff = min(2*backoff, queueBackoffMax)
		} else {
			backoff = queueBackoffMin
		}
	}
}

func (q *SessionQueue) pending() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.files) > 0
}

// QueueStatus is what Close says of the queue's rows.
type QueueStatus struct {
	// Deferred: a publication had to wait for another writer.
	Deferred bool
	// Spooled: rows are left in the spool (Dir) for the next writer.
	Spooled bool
	Dir     string
	// Err is the first error writing the spool (the row is not
	// registered).
	Err error
	// Cause is why the cache could not be opened (NewSpoolQueue).
	Cause error
}

// Close waits up to wait for the queue's rows to be published and stops
// it.
func (q *SessionQueue) Close(wait time.Duration) QueueStatus {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return QueueStatus{}
	}
	q.closed = true
	idle := q.idle
	n := len(q.files)
	q.mu.Unlock()
	if n > 0 && q.db != nil {
		select {
		case q.wake <- struct{}{}:
		default:
		}
		select {
		case <-idle:
		case <-time.After(wait):
		}
	}
	close(q.stop)
	<-q.done
	q.mu.Lock()
	defer q.mu.Unlock()
	return QueueStatus{Deferred: q.busy || q.cause != nil, Spooled: len(q.files) > 0, Dir: SpoolDir(q.path), Err: q.err, Cause: q.cause}
}

// NoWait is the cache as a session store for the commands that read and
// only tidy up on the way (the stale sweep of `sessions list`, `show`,
// `watch`): a row they write goes in at once when the write lock is free
// within a second, else to the spool for the next writer, so that a reading
// command never waits for a long import.
func (db *DB) NoWait() session.Store { return noWait{db} }

type noWait struct{ *DB }

func (n noWait) CreateSession(ctx context.Context, s *session.Session) error {
	return n.put(ctx, s)
}

func (n noWait) UpdateSession(ctx context.Context, s *session.Session) error {
	return n.put(ctx, s)
}

func (n noWait) put(ctx context.Context, s *session.Session) error {
	if err := validSession(s); err != nil {
		return err
	}
	err := n.writeTx(ctx, writeOpts{try: WaitNoticeAfter}, func(c *sql.Conn) error { return putSession(ctx, c, s) })
	if errors.Is(err, ErrBusy) {
		_, err = spoolSession(n.path, s)
	}
	return err
}
