package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"time"
	"unsafe"

	"github.com/auditctl/auditctl/pkg/chain"

	"modernc.org/libc"
	sqlite3 "modernc.org/sqlite/lib"
)

// rawConn is a read-only connection to the cache made with the SQLite
// library directly (modernc.org/sqlite/lib), not through database/sql: a
// column's bytes are read where SQLite holds them, without the copy into a
// new Go string or slice that the driver makes of every value, and without
// the driver's mutex around each call (the connection is opened
// SQLITE_OPEN_NOMUTEX: one goroutine at a time uses it). verify reads every
// stored byte of the cache this way (docs/performance.md, "Tamper
// evidence"). Nothing else uses it: it sees neither the driver's functions
// nor its hooks.
type rawConn struct {
	tls *libc.TLS
	db  uintptr
}

// openRaw opens the cache at path read-only.
func openRaw(path string) (*rawConn, error) {
	return openRawFlags(path, sqlite3.SQLITE_OPEN_READONLY)
}

// openRawFlags opens the database at path with flags (and NOMUTEX, URI).
func openRawFlags(path string, flags int32) (*rawConn, error) {
	tls := libc.NewTLS()
	name, err := libc.CString("file:" + (&url.URL{Path: path}).EscapedPath())
	if err != nil {
		tls.Close()
		return nil, err
	}
	defer libc.Xfree(tls, name)
	pdb := tls.Alloc(8)
	defer tls.Free(8)
	*(*uintptr)(cptr(pdb)) = 0
	rc := sqlite3.Xsqlite3_open_v2(tls, name, pdb, flags|sqlite3.SQLITE_OPEN_NOMUTEX|sqlite3.SQLITE_OPEN_URI, 0)
	c := &rawConn{tls: tls, db: *(*uintptr)(cptr(pdb))}
	if rc != sqlite3.SQLITE_OK {
		err := c.err(rc)
		c.close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	for _, p := range []string{"PRAGMA busy_timeout = 15000", "PRAGMA mmap_size = 2147418112", fmt.Sprintf("PRAGMA cache_size = -%d", defaultCacheKiB)} {
		if err := c.exec(p); err != nil {
			c.close()
			return nil, err
		}
	}
	return c, nil
}

func (c *rawConn) err(rc int32) error {
	msg := "sqlite error"
	if c.db != 0 {
		msg = libc.GoString(sqlite3.Xsqlite3_errmsg(c.tls, c.db))
	}
	return fmt.Errorf("%s (%d)", msg, rc)
}

func (c *rawConn) close() {
	if c.db != 0 {
		sqlite3.Xsqlite3_close_v2(c.tls, c.db)
		c.db = 0
	}
	if c.tls != nil {
		c.tls.Close()
		c.tls = nil
	}
}

// exec runs a statement that returns no row the caller needs (its rows,
// if any, are stepped through: "BEGIN", a PRAGMA, a first read).
func (c *rawConn) exec(q string, args ...int64) error {
	st, err := c.prepare(q)
	if err != nil {
		return err
	}
	defer st.close()
	if err := st.bind(args...); err != nil {
		return err
	}
	for {
		ok, err := st.step()
		if err != nil || !ok {
			return err
		}
	}
}

// cptr is the address p (memory of the SQLite library, outside the Go
// heap) as a pointer.
func cptr(p uintptr) unsafe.Pointer { return unsafe.Add(nil, p) }

// rawStmt is a prepared statement of a rawConn.
type rawStmt struct {
	c  *rawConn
	st uintptr
}

func (c *rawConn) prepare(q string) (*rawStmt, error) {
	zq, err := libc.CString(q)
	if err != nil {
		return nil, err
	}
	defer libc.Xfree(c.tls, zq)
	pst := c.tls.Alloc(8)
	defer c.tls.Free(8)
	*(*uintptr)(cptr(pst)) = 0
	if rc := sqlite3.Xsqlite3_prepare_v2(c.tls, c.db, zq, -1, pst, 0); rc != sqlite3.SQLITE_OK {
		return nil, fmt.Errorf("prepare %q: %w", q, c.err(rc))
	}
	st := *(*uintptr)(cptr(pst))
	if st == 0 {
		return nil, fmt.Errorf("prepare %q: empty statement", q)
	}
	return &rawStmt{c: c, st: st}, nil
}

// bind binds integer parameters 1, 2, …
func (s *rawStmt) bind(args ...int64) error {
	for i, a := range args {
		if rc := sqlite3.Xsqlite3_bind_int64(s.c.tls, s.st, int32(i+1), a); rc != sqlite3.SQLITE_OK {
			return s.c.err(rc)
		}
	}
	return nil
}

// step advances to the next row (false at the end).
func (s *rawStmt) step() (bool, error) {
	switch rc := sqlite3.Xsqlite3_step(s.c.tls, s.st); rc {
	case sqlite3.SQLITE_ROW:
		return true, nil
	case sqlite3.SQLITE_DONE:
		return false, nil
	default:
		return false, s.c.err(rc)
	}
}

func (s *rawStmt) close() {
	if s.st != 0 {
		sqlite3.Xsqlite3_finalize(s.c.tls, s.st)
		s.st = 0
	}
}

// The column accessors below read the result register of column i where
// the library keeps it (the Vdbe's pResultRow, an array of Mem) when its
// flags say plainly what it holds (a NULL, an integer, UTF-8 text, a blob
// that is not a zeroblob), and call the library's sqlite3_column_* function
// otherwise. Each such call enters and leaves the connection's mutex (a
// no-op under SQLITE_OPEN_NOMUTEX, but still two calls) and checks for a
// failed allocation: over the ~30 columns of each row that verify and the
// shared pass read, they cost more than the reading itself
// (docs/performance.md, "verify"). The values are those the functions
// return (TestRawColumnAccessorsAgree).

// memSize is the size of one result register (a Mem) in the library.
const memSize = unsafe.Sizeof(sqlite3.Mem{})

// mem is the result register of column i of the current row, 0 when
// there is no row or no such column.
func (s *rawStmt) mem(i int) uintptr {
	v := (*sqlite3.Vdbe)(cptr(s.st))
	if v.FpResultRow == 0 || i < 0 || i >= int(v.FnResColumn) {
		return 0
	}
	return v.FpResultRow + uintptr(i)*memSize
}

// typ is the storage class of column i of the current row
// (sqlite3.SQLITE_INTEGER, _FLOAT, _TEXT, _BLOB or _NULL).
func (s *rawStmt) typ(i int) int32 {
	if m := s.mem(i); m != 0 {
		return sqlite3.Xsqlite3_value_type(s.c.tls, m) // reads the flags: no mutex, no state
	}
	return sqlite3.Xsqlite3_column_type(s.c.tls, s.st, int32(i))
}

func (s *rawStmt) int64(i int) int64 {
	if m := s.mem(i); m != 0 {
		if mm := (*sqlite3.Mem)(cptr(m)); mm.Fflags&(sqlite3.MEM_Int|sqlite3.MEM_IntReal) != 0 {
			return *(*int64)(unsafe.Pointer(&mm.Fu))
		}
	}
	return sqlite3.Xsqlite3_column_int64(s.c.tls, s.st, int32(i))
}

func (s *rawStmt) float(i int) float64 {
	return sqlite3.Xsqlite3_column_double(s.c.tls, s.st, int32(i))
}

// bytes are the bytes of text or blob column i where SQLite holds them:
// valid until the next step, never to be kept or written.
func (s *rawStmt) bytes(i int, text bool) []byte {
	var p uintptr
	var n int32
	if m := s.mem(i); m != 0 && memPlain(m, text) {
		mm := (*sqlite3.Mem)(cptr(m))
		p, n = mm.Fz, mm.Fn
	} else {
		if text {
			p = sqlite3.Xsqlite3_column_text(s.c.tls, s.st, int32(i))
		} else {
			p = sqlite3.Xsqlite3_column_blob(s.c.tls, s.st, int32(i))
		}
		n = sqlite3.Xsqlite3_column_bytes(s.c.tls, s.st, int32(i))
	}
	if p == 0 || n <= 0 {
		return nil
	}
	return unsafe.Slice((*byte)(cptr(p)), n)
}

// memPlain reports whether register m holds its value's bytes as
// sqlite3_column_text (text) or _blob would return them, with no
// conversion: text that is UTF-8 and terminated, or a blob that is not a
// zeroblob.
func memPlain(m uintptr, text bool) bool {
	mm := (*sqlite3.Mem)(cptr(m))
	if text {
		return mm.Fflags&(sqlite3.MEM_Str|sqlite3.MEM_Term) == sqlite3.MEM_Str|sqlite3.MEM_Term && mm.Fenc == sqlite3.SQLITE_UTF8
	}
	return mm.Fflags&sqlite3.MEM_Blob != 0 && mm.Fflags&sqlite3.MEM_Zero == 0
}

// verifyLockWait is how long verifySnapshot waits for the write lock.
var verifyLockWait = 2 * time.Second

// verifySnapshot opens a driver connection and n raw connections whose read
// transactions see the same commit (the write lock is held while they
// start, as in snapshotPair). It returns ok=false (and no error) when a
// writer holds the lock for longer than verifyLockWait, for the caller to
// read through the driver alone. (An import or sync writes in short slices
// and lets the lock go between them: the wait is usually a few ms.)
func (db *DB) verifySnapshot(ctx context.Context, n int) (main *sql.Conn, raws []*rawConn, ok bool, err error) {
	lock, err := db.db.Conn(ctx)
	if err != nil {
		return nil, nil, false, err
	}
	defer lock.Close()
	if _, err := lock.ExecContext(ctx, fmt.Sprintf("PRAGMA busy_timeout = %d", verifyLockWait.Milliseconds())); err != nil {
		return nil, nil, false, err
	}
	defer lock.ExecContext(context.Background(), "PRAGMA busy_timeout = 15000")
	if _, err := lock.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		return nil, nil, false, nil // a writer is at work
	}
	defer lock.ExecContext(context.Background(), "ROLLBACK")
	fail := func(err error) (*sql.Conn, []*rawConn, bool, error) {
		if main != nil {
			main.ExecContext(context.Background(), "ROLLBACK")
			main.Close()
		}
		for _, r := range raws {
			r.close()
		}
		return nil, nil, false, err
	}
	if main, err = db.db.Conn(ctx); err != nil {
		return fail(err)
	}
	if _, err := main.ExecContext(ctx, "BEGIN"); err != nil {
		return fail(err)
	}
	var k int
	// A read transaction's snapshot starts at its first read.
	if err := main.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_schema").Scan(&k); err != nil {
		return fail(err)
	}
	for range n {
		r, err := openRaw(db.path)
		if err != nil {
			return fail(err)
		}
		raws = append(raws, r)
		if err := r.exec("BEGIN"); err != nil {
			return fail(err)
		}
		if err := r.exec("SELECT count(*) FROM sqlite_schema"); err != nil {
			return fail(err)
		}
	}
	return main, raws, true, nil
}

// rawSource reads a key range for verifyChunk on a raw connection.
type rawSource struct{ c *rawConn }

func (s rawSource) chainRows(ctx context.Context, from, to int64) (func(*chainRow) (bool, error), func(), error) {
	st, err := s.c.prepare(chainRowsRange)
	if err != nil {
		return nil, nil, err
	}
	if err := st.bind(from, to); err != nil {
		st.close()
		return nil, nil, err
	}
	next := func(cr *chainRow) (bool, error) {
		ok, err := st.step()
		if !ok || err != nil {
			return false, err
		}
		cr.key, cr.batch, cr.seg = st.int64(0), st.int64(1), int(st.int64(2))
		setChainHash(cr, st.bytes(3, false))
		return true, nil
	}
	return next, st.close, nil
}

// events reads events and event_docs side by side, both in key order (a
// merge join: no search of event_docs for each event), and gives each
// event the document row with its key, if any, as the driver's LEFT JOIN
// does.
func (s rawSource) events(ctx context.Context, from, to int64, fn func(int64, eventRow) error) error {
	ev, err := s.c.prepare("SELECT e.id, " + eventRowCols + " FROM events e WHERE e.id >= ? AND e.id < ? ORDER BY e.id")
	if err != nil {
		return err
	}
	defer ev.close()
	docs, err := s.c.prepare("SELECT d.id, " + eventDocCols + " FROM event_docs d WHERE d.id >= ? AND d.id < ? ORDER BY d.id")
	if err != nil {
		return err
	}
	defer docs.close()
	if err := ev.bind(from, to); err != nil {
		return err
	}
	if err := docs.bind(from, to); err != nil {
		return err
	}
	row := rawEventRow{ev: ev, docs: docs}
	dok, err := docs.step()
	if err != nil {
		return err
	}
	for n := 0; ; n++ {
		if n&1023 == 1023 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		ok, err := ev.step()
		if err != nil || !ok {
			return err
		}
		key := ev.int64(0)
		for dok && docs.int64(0) < key { // a document without its event
			if dok, err = docs.step(); err != nil {
				return err
			}
		}
		row.doc = dok && docs.int64(0) == key
		if err := fn(key, &row); err != nil {
			return err
		}
	}
}

// rawEventRow is the current row of a rawSource's events: the key, then
// the columns of eventRowCols; and, when doc is set, the current row of
// docs: the key, then the columns of eventDocCols.
type rawEventRow struct {
	ev, docs *rawStmt
	doc      bool
}

// hash hashes the columns as chain.RowHasher.Sum hashes the values the
// driver makes of them (text and blobs alike), straight from SQLite's
// memory.
func (r *rawEventRow) hash(rh *chain.RowHasher) chain.Hash {
	const rowCols, docCols = 22, 6
	rh.Begin(chain.KindEvent, rowCols+docCols)
	hashCols(rh, r.ev, rowCols)
	if r.doc {
		hashCols(rh, r.docs, docCols)
	} else {
		for range docCols {
			rh.Null()
		}
	}
	return rh.End()
}

// hashCols adds columns 1 to n of st's current row to rh.
func hashCols(rh *chain.RowHasher, st *rawStmt, n int) {
	for i := 1; i <= n; i++ {
		switch st.typ(i) {
		case sqlite3.SQLITE_NULL:
			rh.Null()
		case sqlite3.SQLITE_INTEGER:
			rh.Int(st.int64(i))
		case sqlite3.SQLITE_FLOAT:
			rh.Float(st.float(i))
		case sqlite3.SQLITE_TEXT:
			rh.Bytes(st.bytes(i, true))
		default:
			rh.Bytes(st.bytes(i, false))
		}
	}
}

func (r *rawEventRow) name() string {
	return string(r.ev.bytes(1, true)) + "/" + string(r.ev.bytes(2, true))
}
