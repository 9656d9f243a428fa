package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"time"
)

// The text index of a large import, built on the second core
// (docs/architecture.md, "The text index of a large import").
//
// Full text is the larger part of an import's SQLite work, and the writer
// runs on one core. An import that does not fit in its first slice, into a
// cache whose text index is empty, builds its text index apart: a second
// connection, on its own goroutine, indexes the rows' text in a private
// file beside the cache (.<cache>.text-*, no journal: it is scratch), while
// the writer stores the rows in the cache, hidden as every sliced import's
// rows are. The publishing transaction then copies the finished index's
// tables (events_fts_data, _idx, _docsize) into the cache's empty ones, and
// makes the rows visible: rows and index appear in one commit of one file,
// so readers need no rule beyond the one they have (docs/architecture.md,
// "Writers in slices"), and a crash anywhere before that commit leaves the
// cache's index untouched and the rows unpublished, which the next owner of
// the ingest lock deletes, with the scratch files.
//
// The copy is valid only into an empty index. Should another writer have
// indexed rows meanwhile (a guest import between two slices), the publishing
// import indexes its rows from their stored text instead (indexStored), in
// slices, before it publishes: slower, the same result.

// textPrefix names the scratch files of text builders beside cache.
func textPrefix(cache string) string {
	return filepath.Join(filepath.Dir(cache), "."+filepath.Base(cache)+".text-")
}

// removeTextScratch removes the scratch files that builders left beside
// the cache. Only the holder of the ingest lock builds one, so the caller,
// holding it, removes only dead writers' files.
func removeTextScratch(cache string) {
	matches, _ := filepath.Glob(textPrefix(cache) + "*")
	for _, m := range matches {
		if fi, err := os.Lstat(m); err == nil && fi.Mode().IsRegular() {
			_ = os.Remove(m)
		}
	}
}

// ftsEmpty reports whether the cache's text index holds nothing: no
// document and no segment (a fresh index has only its structure and
// averages records).
func ftsEmpty(ctx context.Context, c *sql.Conn) (bool, error) {
	var empty bool
	err := c.QueryRowContext(ctx, `SELECT NOT EXISTS (SELECT 1 FROM events_fts_docsize)
		AND (SELECT count(*) FROM events_fts_data) <= 2`).Scan(&empty)
	return empty, err
}

// textEntry is one row's indexed text.
type textEntry struct {
	key  int64
	text string
}

// textBuilder indexes text in a scratch file on its own goroutine.
type textBuilder struct {
	procs int // GOMAXPROCS to restore
	path  string
	db    *sql.DB
	in    chan []textEntry
	done  chan struct{}
	err   error // set before done closes
}

// textProcs is the GOMAXPROCS of a process whose import builds its text
// index apart: one for each of the import's three goroutines.
const textProcs = 3

// textBuildCacheKiB is the page cache of the builder's connection.
const textBuildCacheKiB = 32 << 10

// newTextBuilder creates the scratch file beside the cache with an index
// defined as the cache's (read on c) and starts indexing what is sent.
func newTextBuilder(ctx context.Context, c *sql.Conn, cache string) (*textBuilder, error) {
	var def string
	if err := c.QueryRowContext(ctx, "SELECT sql FROM sqlite_master WHERE name = 'events_fts'").Scan(&def); err != nil {
		return nil, err
	}
	var config []string
	rows, err := c.QueryContext(ctx, "SELECT printf('INSERT INTO events_fts(events_fts, rank) VALUES(%Q, %s)', k, quote(v)) FROM events_fts_config WHERE k <> 'version'")
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			rows.Close()
			return nil, err
		}
		config = append(config, s)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	// O_EXCL, 0600, in the cache's own directory: created here, never
	// found.
	f, err := os.CreateTemp(filepath.Dir(cache), filepath.Base(textPrefix(cache))+"*")
	if err != nil {
		return nil, err
	}
	path := f.Name()
	f.Close()
	q := url.Values{}
	q.Add("mode", "rw")
	q.Add("_pragma", fmt.Sprintf("page_size(%d)", pageSize))
	q.Add("_pragma", "journal_mode(OFF)")
	q.Add("_pragma", "synchronous(OFF)")
	q.Add("_pragma", fmt.Sprintf("cache_size(-%d)", textBuildCacheKiB))
	q.Add("_pragma", "temp_store(MEMORY)")
	sdb, err := sql.Open("sqlite", "file:"+(&url.URL{Path: path}).EscapedPath()+"?"+q.Encode())
	if err != nil {
		os.Remove(path)
		return nil, err
	}
	sdb.SetMaxOpenConns(1)
	for _, s := range append([]string{def}, config...) {
		if _, err := sdb.ExecContext(ctx, s); err != nil {
			sdb.Close()
			os.Remove(path)
			return nil, fmt.Errorf("text index: %w", err)
		}
	}
	b := &textBuilder{path: path, db: sdb, in: make(chan []textEntry, 8), done: make(chan struct{})}
	// The reader, the writer and the builder each get a P: with two, Go
	// shares two between the three, and the writer, the slowest, waits for
	// its turn (measured: docs/performance.md, "Issue 13").
	if b.procs = runtime.GOMAXPROCS(0); b.procs < textProcs {
		runtime.GOMAXPROCS(textProcs)
	}
	go b.run(ctx)
	return b, nil
}

// run indexes what comes in, in one transaction. The index merges its
// segments as the cache's does (its automerge), while the rows are written;
// a final optimize measured slower: it is work after the writer has
// finished, which nothing runs beside (docs/performance.md, "Issue 13").
func (b *textBuilder) run(ctx context.Context) {
	defer close(b.done)
	fail := func(err error) {
		b.err = fmt.Errorf("text index: %w", err)
		for range b.in { // let the writer go on to its own error or end
		}
	}
	conn, err := b.db.Conn(ctx)
	if err != nil {
		fail(err)
		return
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "BEGIN"); err != nil {
		fail(err)
		return
	}
	err = conn.Raw(func(dc any) error {
		st, err := dc.(driver.ConnPrepareContext).PrepareContext(ctx, `INSERT INTO events_fts (rowid, text) VALUES (?,?)`)
		if err != nil {
			return err
		}
		defer st.Close()
		args := make([]driver.NamedValue, 2)
		rowCtx := context.WithoutCancel(ctx) // as the inserter's statements
		for batch := range b.in {
			if err := ctx.Err(); err != nil {
				return err
			}
			for _, t := range batch {
				args[0] = driver.NamedValue{Ordinal: 1, Value: t.key}
				args[1] = driver.NamedValue{Ordinal: 2, Value: t.text}
				if _, err := st.(driver.StmtExecContext).ExecContext(rowCtx, args); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err == nil {
		_, err = conn.ExecContext(ctx, "COMMIT")
	}
	if err != nil {
		fail(err)
	}
}

// send hands a batch to the builder; false when it failed (its error is
// then reported by finish).
func (b *textBuilder) send(batch []textEntry) bool {
	select {
	case b.in <- batch:
		return true
	case <-b.done:
		return false
	}
}

// finish waits for the index to be complete.
func (b *textBuilder) finish() error {
	close(b.in)
	<-b.done
	if b.procs < textProcs {
		runtime.GOMAXPROCS(b.procs)
	}
	if err := b.db.Close(); err != nil && b.err == nil {
		b.err = err
	}
	return b.err
}

// discard stops the builder and removes its file.
func (b *textBuilder) discard() {
	select {
	case <-b.done:
	default:
		_ = b.finish()
	}
	_ = b.db.Close()
	removeTextFile(b.path)
}

func removeTextFile(path string) {
	for _, s := range []string{"", "-journal", "-wal", "-shm"} {
		_ = os.Remove(path + s)
	}
}

// ftsShadow are the tables of the index that hold its content; its
// configuration (events_fts_config) stays the cache's.
var ftsShadow = []string{"events_fts_data", "events_fts_idx", "events_fts_docsize"}

// copyIndex replaces the cache's empty index with the one attached as
// text, in c's transaction.
func copyIndex(ctx context.Context, c *sql.Conn) error {
	for _, t := range ftsShadow {
		if _, err := c.ExecContext(ctx, "DELETE FROM main."+t); err != nil {
			return err
		}
		if _, err := c.ExecContext(ctx, "INSERT INTO main."+t+" SELECT * FROM text."+t); err != nil {
			return err
		}
	}
	return nil
}

// indexStored indexes, from their stored text, the unpublished rows that
// have no entry in the cache's index yet, for about d; done when none is
// left.
func indexStored(ctx context.Context, c *sql.Conn, d time.Duration) (done bool, err error) {
	tok := newTokenizer()
	for start := time.Now(); time.Since(start) < d; {
		rows, err := c.QueryContext(ctx, `SELECT e.id, e.description, d.params, d.custom, d.raw
			FROM unpublished u JOIN events e ON e.id = u.id LEFT JOIN event_docs d ON d.id = e.id
			WHERE NOT EXISTS (SELECT 1 FROM events_fts_docsize s WHERE s.id = u.id)
			ORDER BY u.id LIMIT 1024`)
		if err != nil {
			return false, err
		}
		var batch []textEntry
		for rows.Next() {
			var key int64
			var desc string
			var params, custom, raw sql.NullString
			if err := rows.Scan(&key, &desc, &params, &custom, &raw); err != nil {
				rows.Close()
				return false, err
			}
			batch = append(batch, textEntry{key, storedText(tok, desc, params.String, custom.String, raw.String)})
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return false, err
		}
		if len(batch) == 0 {
			return true, nil
		}
		for _, t := range batch {
			if _, err := c.ExecContext(ctx, "INSERT INTO events_fts (rowid, text) VALUES (?, ?)", t.key, t.text); err != nil {
				return false, err
			}
		}
	}
	return false, nil
}

// storedText is the indexed text of a stored row (the import computes the
// same from the event: tokenizer.document).
func storedText(tok *tokenizer, desc, params, custom, raw string) string {
	tok.reset()
	tok.add(desc, false)
	for _, s := range []string{params, custom, raw} {
		if s != "" {
			tok.addJSON([]byte(s))
		}
	}
	return tok.text()
}

// textSink takes the indexed text of the rows an import adds, when its
// index is built apart: held while the first slice runs (the import may end
// in it, and then indexes them in the cache as usual), then sent to the
// builder.
type textSink struct {
	pending []textEntry
	b       *textBuilder
}

// textBatch is how many entries go to the builder at once.
const textBatch = 4096

func (t *textSink) add(key int64, text string) {
	t.pending = append(t.pending, textEntry{key, text})
	if t.b != nil && len(t.pending) >= textBatch {
		t.flush()
	}
}

// flush sends what is held to the builder.
func (t *textSink) flush() {
	if len(t.pending) > 0 && t.b.send(t.pending) {
		t.pending = make([]textEntry, 0, textBatch)
	} else {
		t.pending = t.pending[:0]
	}
}

// indexHere indexes what is held in the cache's own index (ins's
// transaction).
func (t *textSink) indexHere(ins *inserter) error {
	for _, e := range t.pending {
		if _, err := ins.exec(ins.fts, e.key, e.text); err != nil {
			return err
		}
	}
	t.pending = nil
	return nil
}

// ensureIndexed gives the row at key an entry in the cache's index unless
// it has one: a guest that publishes a row of the owner's (adopt) whose
// entry is in the owner's builder, not yet in the cache.
func (ins *inserter) ensureIndexed(key int64) error {
	rows, err := ins.indexed.(driver.StmtQueryContext).QueryContext(ins.ctx, []driver.NamedValue{{Ordinal: 1, Value: key}})
	if err != nil {
		return err
	}
	v := make([]driver.Value, 5)
	err = rows.Next(v)
	rows.Close()
	if err != nil {
		return err
	}
	if has, _ := v[0].(int64); has != 0 {
		return nil
	}
	if ins.tok == nil {
		ins.tok = newTokenizer()
	}
	_, err = ins.exec(ins.fts, key, storedText(ins.tok, str(v[1]), str(v[2]), str(v[3]), str(v[4])))
	return err
}

// publishText publishes an import whose index was built apart: it waits
// for the builder (holding no lock), then, in one transaction, copies the
// index into the cache's and makes the rows visible. When the cache's
// index is no longer empty (a guest indexed rows meanwhile) or the builder
// failed, it indexes the rows from their stored text in slices first.
func (im *importRun) publishText(ctx context.Context) error {
	t := im.text
	t.flush()
	attach := t.b.path
	if err := t.b.finish(); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		attach = ""
	}
	if im.dropped {
		if err := im.buildIndexes(ctx); err != nil {
			return err
		}
	}
	for {
		published := false
		err := im.db.writeTx(ctx, writeOpts{cacheKiB: importCacheKiB, attach: attach}, func(c *sql.Conn) error {
			if attach != "" {
				empty, err := ftsEmpty(ctx, c)
				if err != nil {
					return err
				}
				if empty {
					if err := copyIndex(ctx, c); err != nil {
						return fmt.Errorf("text index: %w", err)
					}
					published = true
					return im.publishIn(ctx, c)
				}
			}
			done, err := indexStored(ctx, c, sliceTime)
			if err != nil || !done {
				return err
			}
			published = true
			return im.publishIn(ctx, c)
		})
		if err != nil || published {
			return err
		}
		attach = ""
		im.db.yieldToWaiters(ctx)
	}
}

// publishIn makes the import's rows visible and seals them, in c's
// transaction (the owner of the ingest lock: every unpublished row is its).
func (im *importRun) publishIn(ctx context.Context, c *sql.Conn) error {
	var left int
	if err := c.QueryRowContext(ctx, "SELECT count(*) FROM unpublished").Scan(&left); err != nil {
		return err
	}
	// The indexes the import dropped, over every row (bulkindex.go).
	if err := restoreIndexes(ctx, c); err != nil {
		return err
	}
	if _, err := c.ExecContext(ctx, "DELETE FROM unpublished"); err != nil {
		return fmt.Errorf("publish: %w", err)
	}
	if err := recountHours(ctx, c, im.hours.hours); err != nil {
		return err
	}
	return sealImport(ctx, c, im.batch, left < im.hidden)
}
