package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
	"time"

	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/chain"
	"github.com/auditctl/auditctl/pkg/store"
)

// ImportOptions tunes Import.
type ImportOptions = store.ImportOptions

const eventCols = `id, source, ext_id, time_ns, service, action, category, workflow_id, workflow_type,
	actor, actor_id, actor_type, target, target_id, target_type, ip, client, user_agent,
	status, error, duration_ms, tenant, description`

// Import reads every event from r and stores the new ones: either the whole
// input is stored or, on error, nothing of it, and readers see it all at
// once. Events already stored (same source and id) are left as they are.
// A large input is written in slices that hold the write lock for about
// sliceTime each, hidden from readers until the last one publishes it
// (slices.go).
//
// The work is split over two goroutines: one reads (parses) and computes the
// full-text tokens of each event, the other writes to SQLite, so the two
// proceed on two cores at once.
func (db *DB) Import(ctx context.Context, r audit.EventReader, opt ImportOptions) (audit.ImportResult, error) {
	batches, stop := prefetch(r)
	defer stop()
	im := &importRun{db: db, opt: opt, in: batches, batch: chain.NewBatch(newBatchID())}
	err := im.run(ctx)
	if opt.Progress != nil {
		opt.Progress(im.res.Read)
	}
	if err != nil {
		return audit.ImportResult{}, err
	}
	im.db.optimize(ctx) // planner statistics (stats.go)
	return im.res, nil
}

// importRun is one Import.
type importRun struct {
	db  *DB
	opt ImportOptions
	in  <-chan []readItem
	// queue holds batches to store before reading more: the one read
	// while no lock was held, and a guest's kept batches when it starts
	// over.
	queue [][]readItem
	// guest: another writer holds the ingest lock, so this import must
	// finish in one transaction; kept holds what it read, to start over.
	guest bool
	kept  [][]readItem
	lock  *ingestLock
	// sliced: earlier slices committed rows listed in unpublished.
	sliced bool
	eof    bool
	res    audit.ImportResult
	record int
	keys   []int64 // the keys this slice added
	// batch seals the rows this import adds (chain.go); hidden counts
	// the rows earlier slices left in unpublished.
	batch  *chain.Batch
	hidden int
	// hours: every hour of the records read, recounted when the import
	// publishes (hours.go).
	hours hourSet
	// text, when set, takes the rows' indexed text instead of the cache's
	// index: the index is built apart (bulktext.go). decided: whether to
	// was decided in the first slice.
	text    *textSink
	decided bool
	// publishing: the input has ended and its last slice committed; the
	// import publishes with its built index (publishText).
	publishing bool
	// dropped: the first slice dropped the secondary indexes, built
	// again before the import publishes (bulkindex.go).
	dropped bool
}

// errStartOver ends a guest's transaction that cannot finish in a slice.
var errStartOver = errors.New("import: start over as the ingest lock's owner")

func (im *importRun) run(ctx context.Context) (err error) {
	// The write lock is taken once the first records are read: an input
	// that is slow to start (a pipe, a download) does not hold up the
	// other writers meanwhile.
	if err := im.await(ctx); err != nil {
		return err
	}
	defer func() { im.lock.release() }()
	if slicesSupported {
		l, ok, err := im.db.tryIngestLock()
		if err != nil {
			return err
		}
		if im.lock, im.guest = l, !ok; ok {
			if err := im.db.cleanUp(ctx); err != nil {
				return err
			}
		}
	}
	defer func() {
		if im.text != nil && im.text.b != nil {
			im.text.b.discard()
		}
		if err != nil && im.sliced {
			// Take back what earlier slices wrote, even when ctx ended;
			// whatever is left (a second signal, a crash) the next owner
			// of the ingest lock deletes.
			cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
			defer cancel()
			_, _ = im.db.purgeUnpublished(cctx)
		}
	}()
	for !im.eof {
		if len(im.queue) == 0 {
			if err := im.await(ctx); err != nil {
				return err
			}
		}
		err := im.db.withWriteTxCache(ctx, importCacheKiB, im.slice(ctx))
		if err == errStartOver {
			if im.lock, err = im.db.ingestLock(ctx, im.db.noticeWait); err != nil {
				return err
			}
			if err := im.db.cleanUp(ctx); err != nil {
				return err
			}
			im.guest, im.queue, im.kept = false, append(im.kept, im.queue...), nil
			im.res, im.record = audit.ImportResult{}, 0
			im.batch = chain.NewBatch(newBatchID()) // its rows were rolled back
			continue
		}
		if err != nil {
			return err
		}
		if !im.eof {
			im.db.yieldToWaiters(ctx)
		}
	}
	if im.publishing {
		return im.publishText(ctx)
	}
	return nil
}

// await blocks, without any lock, until the input has a batch ready or ctx
// ends, and queues it.
func (im *importRun) await(ctx context.Context) error {
	select {
	case b, ok := <-im.in:
		if !ok {
			return errors.New("import: reader stopped without EOF")
		}
		im.queue = append(im.queue, b)
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// next returns the next batch, waiting at most until wait has passed;
// false when none came (or ctx ended).
func (im *importRun) next(ctx context.Context, wait time.Duration) ([]readItem, bool, error) {
	var b []readItem
	if len(im.queue) > 0 {
		b, im.queue = im.queue[0], im.queue[1:]
	} else {
		t := time.NewTimer(wait)
		defer t.Stop()
		select {
		case x, ok := <-im.in:
			if !ok {
				return nil, false, errors.New("import: reader stopped without EOF")
			}
			b = x
		case <-t.C:
			return nil, false, nil
		case <-ctx.Done():
			return nil, false, ctx.Err()
		}
	}
	if im.guest {
		im.kept = append(im.kept, b)
	}
	return b, true, nil
}

// slice is one write transaction of the import: it stores batches until the
// input ends (and publishes), or the slice has used its time or size.
func (im *importRun) slice(ctx context.Context) func(*sql.Conn) error {
	return func(c *sql.Conn) error {
		if !im.decided {
			// A first slice into a cache whose text index is empty may
			// build its index apart, should the input outlast the slice.
			im.decided = true
			if slicesSupported && !im.guest && im.lock != nil {
				empty, err := ftsEmpty(ctx, c)
				if err != nil {
					return err
				}
				if empty {
					im.text = &textSink{}
				}
			}
		}
		// Below database/sql: the writer is the hot path, and the driver's
		// own statements skip a layer of argument conversion and locking.
		adopted := false
		err := c.Raw(func(dc any) error {
			ins, err := newInserter(ctx, dc)
			if err != nil {
				return err
			}
			defer ins.close()
			ins.batch = im.batch
			ins.adopt = im.guest
			ins.text = im.text
			im.keys = im.keys[:0]
			start, bytes := time.Now(), 0
			for {
				wait := sliceIdle
				if !slicesSupported {
					wait = time.Duration(1<<63 - 1)
				}
				batch, ok, err := im.next(ctx, wait)
				if err != nil {
					return err
				}
				if !ok {
					// Nothing ready: do not hold the lock while the input
					// is slow.
					return im.endSlice(ins)
				}
				end, n, err := im.store(ins, batch)
				if err != nil {
					return err
				}
				if end {
					im.eof = true
					if im.text != nil {
						if im.text.b != nil {
							// The index is built apart: this slice ends
							// like any other, publishText publishes.
							im.publishing = true
							return im.endSlice(ins)
						}
						// Ended in the first slice: indexed here.
						if err := im.text.indexHere(ins); err != nil {
							return err
						}
						im.text = nil
					}
					if adopted, err = ins.adoptedAway(im.hidden); err != nil {
						return err
					}
					return im.publish(ins)
				}
				bytes += n
				if slicesSupported && (time.Since(start) >= sliceTime || bytes >= sliceMaxBytes) {
					return im.endSlice(ins)
				}
			}
		})
		if err != nil {
			return err
		}
		if im.text != nil && im.text.b == nil && !im.eof {
			// The input outlasts the first slice: build the index apart.
			if im.text.b, err = newTextBuilder(ctx, c, im.db.path); err != nil {
				// No scratch file (a read-only directory...): index here.
				im.text.b = nil
				if err := c.Raw(func(dc any) error {
					ins, err := newInserter(ctx, dc)
					if err != nil {
						return err
					}
					defer ins.close()
					return im.text.indexHere(ins)
				}); err != nil {
					return err
				}
				im.text = nil
				return nil
			}
			im.text.flush()
			if im.sliced {
				// Its rows hidden, the cache without them is empty: the
				// secondary indexes are built after the rows, by the
				// publishing transaction (bulkindex.go).
				if err := dropIndexes(ctx, c); err != nil {
					return err
				}
				im.dropped = true
			}
		}
		if !im.eof || im.publishing {
			return nil
		}
		// The publishing transaction seals the import (chain.go) and
		// recounts its hours (hours.go).
		if err := recountHours(ctx, c, im.hours.hours); err != nil {
			return err
		}
		return sealImport(ctx, c, im.batch, adopted)
	}
}

// store stores one batch; end reports the end of the input, n about how many
// bytes the batch held.
func (im *importRun) store(ins *inserter, batch []readItem) (end bool, n int, err error) {
	opt := im.opt
	for i := range batch {
		it := &batch[i]
		im.record++
		if it.err == io.EOF {
			return true, n, nil
		}
		if it.err != nil {
			var ie *audit.InputError
			if opt.SkipInvalid && errors.As(it.err, &ie) && !ie.Fatal {
				im.res.Read++
				im.res.Skipped++
				continue
			}
			return false, n, it.err
		}
		im.res.Read++
		if opt.Progress != nil && im.res.Read%4096 == 0 {
			opt.Progress(im.res.Read)
		}
		if it.invalid != nil {
			if opt.SkipInvalid {
				im.res.Skipped++
				continue
			}
			return false, n, &audit.InputError{File: opt.Name, Record: im.record, Field: it.invalid.field, Err: it.invalid}
		}
		n += 2*len(it.e.Raw) + len(it.fts)
		im.hours.add(it.key)
		key, added, err := ins.insert(it)
		if err != nil {
			return false, n, fmt.Errorf("store record %d (id %q): %w", im.record, it.e.ID, err)
		}
		if added {
			im.res.Inserted++
			im.keys = append(im.keys, key)
		}
	}
	return false, n, nil
}

// endSlice ends a slice before the input ends: the rows it added stay
// hidden until the import publishes. A guest may not leave rows behind: it
// starts over as the owner.
func (im *importRun) endSlice(ins *inserter) error {
	if im.guest {
		return errStartOver
	}
	if err := ins.flushChain(); err != nil {
		return err
	}
	if len(im.keys) == 0 {
		return nil
	}
	slices.Sort(im.keys)
	for _, k := range im.keys {
		if _, err := ins.exec(ins.hide, k); err != nil {
			return fmt.Errorf("hide unpublished rows: %w", err)
		}
	}
	im.hidden += len(im.keys)
	im.sliced = true
	return nil
}

// publish ends the last slice: the rows of earlier slices become visible
// with this commit.
func (im *importRun) publish(ins *inserter) error {
	if err := ins.flushChain(); err != nil {
		return err
	}
	if !im.sliced {
		return nil
	}
	// The owner of the ingest lock is the only writer with unpublished
	// rows: all of them are this import's.
	if _, err := ins.exec(ins.publish); err != nil {
		return fmt.Errorf("publish: %w", err)
	}
	return nil
}

// readItem is one record read ahead of the writer, already validated and
// keyed, with its full-text document.
type readItem struct {
	e       *audit.Event
	err     error
	invalid *fieldError
	key     int64
	fts     string
	hash    chain.Hash // the row hash (chain.go)
}

// maxBatchBytes bounds a prefetched batch by what its events hold (their
// raw record, the strings cut from it and the full-text document), so that
// the batches in flight stay within tens of MiB even when every event is as
// large as the importer's size limit allows.
const maxBatchBytes = 4 << 20

// prefetch reads r in a goroutine and hands over batches of results. The
// last item sent is io.EOF or an error that ends the input. stop makes the
// goroutine quit early (the consumer gave up); it waits for it to finish,
// so r is no longer in use when stop returns.
func prefetch(r audit.EventReader) (<-chan []readItem, func()) {
	const size = 256
	out := make(chan []readItem, 8)
	quit := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		defer close(out)
		tok := newTokenizer()
		rh := chain.NewRowHasher()
		batch := make([]readItem, 0, size)
		bytes := 0 // about what the batch holds
		send := func() bool {
			select {
			case out <- batch:
				batch = make([]readItem, 0, size)
				return true
			case <-quit:
				return false
			}
		}
		for {
			e, err := r.Next()
			it := readItem{e: e, err: err}
			if err == nil {
				if it.invalid = validate(e); it.invalid == nil {
					it.key, _ = eventKey(e.Time, e.Source, e.ID)
					it.fts = tok.document(e)
					it.hash = eventRowHash(rh, e)
				}
			}
			batch = append(batch, it)
			var ie *audit.InputError
			if err == io.EOF || (err != nil && (!errors.As(err, &ie) || ie.Fatal)) {
				send()
				return
			}
			if err == nil {
				bytes += 2*len(e.Raw) + len(it.fts)
			}
			if (len(batch) == size || bytes >= maxBatchBytes) && !send() {
				return
			}
			if len(batch) == 0 {
				bytes = 0
			}
		}
	}()
	var once sync.Once
	return out, func() {
		once.Do(func() { close(quit) })
		<-finished
	}
}

type fieldError struct {
	field string
	msg   string
}

func (e *fieldError) Error() string { return e.msg }

func validate(e *audit.Event) *fieldError {
	if field, msg := store.Validate(e); field != "" {
		return &fieldError{field, msg}
	}
	return nil
}

// inserter holds the driver-level statements of one import.
type inserter struct {
	ctx                             context.Context
	event, exists, doc, fts, source driver.Stmt
	hide, publish, adoptRow         driver.Stmt
	dropDoomed                      driver.Stmt
	dropRow                         []driver.Stmt // deletes a row retention is deleting
	chainRow, chainRows             driver.Stmt
	adoptHash, countHidden, indexed driver.Stmt
	batch                           *chain.Batch // the import's (chain.go)
	chainQueue                      []chainRow   // chain_rows rows not yet written
	args                            []driver.NamedValue
	sources                         map[string]bool // recorded in the sources table
	// adopt: an event already stored but unpublished is published with
	// this transaction (a guest import, slices.go).
	adopt bool
	// text, when set, takes the indexed text (bulktext.go); tok tokenizes
	// stored rows (ensureIndexed).
	text *textSink
	tok  *tokenizer
}

func newInserter(ctx context.Context, dc any) (*inserter, error) {
	conn, ok := dc.(driver.ConnPrepareContext)
	if !ok {
		return nil, fmt.Errorf("sqlite driver connection %T cannot prepare", dc)
	}
	// The statements run without ctx's cancellation: the driver watches a
	// cancellable context with a goroutine of its own for every statement,
	// which for a few statements per row cost more scheduling than the
	// rows' SQLite work on a busy machine (docs/performance.md, "Issue 13").
	// Each statement is short; the import checks ctx between batches
	// (importRun.next).
	ins := &inserter{ctx: context.WithoutCancel(ctx), args: make([]driver.NamedValue, 0, 32), sources: map[string]bool{}}
	var err error
	prep := func(q string) driver.Stmt {
		if err != nil {
			return nil
		}
		s, perr := conn.PrepareContext(ctx, q)
		if perr != nil {
			// the driver may return a typed nil: never keep it, close()
			// would call it
			err = perr
			return nil
		}
		return s
	}
	ins.event = prep(`INSERT OR IGNORE INTO events (` + eventCols + `) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`)
	ins.exists = prep(`SELECT id FROM events WHERE source = ? AND ext_id = ?`)
	ins.doc = prep(`INSERT INTO event_docs (id, geo, params, custom, before, after, raw) VALUES (?,?,?,?,?,?,?)`)
	ins.fts = prep(`INSERT INTO events_fts (rowid, text) VALUES (?,?)`)
	ins.source = prep(`INSERT OR IGNORE INTO sources (name) VALUES (?)`)
	ins.hide = prep(`INSERT INTO unpublished (id) VALUES (?)`)
	ins.publish = prep(`DELETE FROM unpublished`)
	ins.adoptRow = prep(`DELETE FROM unpublished WHERE id = ? AND NOT doomed`)
	ins.dropDoomed = prep(`DELETE FROM unpublished WHERE id = ? AND doomed`)
	// what purgeSome deletes of a row (its hash is gone already: the
	// deletion's checkpoint dropped it)
	for _, q := range deleteRowSQL("= ?") {
		ins.dropRow = append(ins.dropRow, prep(q))
	}
	ins.chainRow = prep(chainRowsSQL(1))
	ins.chainRows = prep(chainRowsSQL(chainRowsPerStmt))
	ins.adoptHash = prep(`UPDATE chain_rows SET batch = ?, seg = ? WHERE id = ? RETURNING hash`)
	ins.countHidden = prep(`SELECT count(*) FROM unpublished`)
	ins.indexed = prep(`SELECT EXISTS (SELECT 1 FROM events_fts_docsize WHERE id = ?1), e.description, d.params, d.custom, d.raw
		FROM events e LEFT JOIN event_docs d ON d.id = e.id WHERE e.id = ?1`)
	if err != nil {
		ins.close()
		return nil, err
	}
	for _, s := range ins.stmts() {
		if _, ok := s.(driver.StmtExecContext); !ok {
			ins.close()
			return nil, fmt.Errorf("sqlite driver statement %T cannot execute with a context", s)
		}
	}
	return ins, nil
}

func (ins *inserter) stmts() []driver.Stmt {
	return append([]driver.Stmt{ins.event, ins.exists, ins.doc, ins.fts, ins.source, ins.hide, ins.publish, ins.adoptRow,
		ins.chainRow, ins.chainRows, ins.adoptHash, ins.countHidden, ins.indexed, ins.dropDoomed}, ins.dropRow...)
}

func (ins *inserter) close() {
	for _, s := range ins.stmts() {
		if s != nil {
			s.Close()
		}
	}
}

func nullJSON(v json.RawMessage) any {
	if len(v) == 0 {
		return nil
	}
	return string(v)
}

// exec runs s with the values in ins.args.
func (ins *inserter) exec(s driver.Stmt, values ...any) (int64, error) {
	ins.args = ins.args[:0]
	for i, v := range values {
		ins.args = append(ins.args, driver.NamedValue{Ordinal: i + 1, Value: v})
	}
	res, err := s.(driver.StmtExecContext).ExecContext(ins.ctx, ins.args)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// stored reports whether an event with this source and id is in the cache,
// and its key.
func (ins *inserter) stored(e *audit.Event) (int64, bool, error) {
	rows, err := ins.exists.(driver.StmtQueryContext).QueryContext(ins.ctx, []driver.NamedValue{
		{Ordinal: 1, Value: e.Source}, {Ordinal: 2, Value: e.ID},
	})
	if err != nil {
		return 0, false, err
	}
	defer rows.Close()
	dest := make([]driver.Value, 1)
	switch err := rows.Next(dest); err {
	case nil:
		key, _ := dest[0].(int64)
		return key, true, nil
	case io.EOF:
		return 0, false, nil
	default:
		return 0, false, err
	}
}

// insert stores one event unless it is already stored, and returns its key.
func (ins *inserter) insert(it *readItem) (int64, bool, error) {
	e, key := it.e, it.key
	var dur any
	if e.DurationMS != nil {
		dur = *e.DurationMS
	}
	t := e.Time.UTC()
	for tries := 0; ; tries++ {
		n, err := ins.exec(ins.event, key, e.Source, e.ID, t.UnixNano(), e.Service, e.Action, e.Category,
			e.WorkflowID, e.WorkflowType, e.Actor, e.ActorID, e.ActorType, e.Target, e.TargetID, e.TargetType,
			e.IP, e.Client, e.UserAgent, string(e.Status), e.Error, dur, e.Tenant, e.Description)
		if err != nil {
			return 0, false, err
		}
		if n == 1 {
			break
		}
		// Ignored: either this event is already stored, or another event
		// holds the key (same microsecond and slot): try the next slot.
		at, dup, err := ins.stored(e)
		if err != nil {
			return 0, false, err
		}
		if dup {
			if ins.adopt {
				// A row retention is deleting is no longer stored for
				// this import: it deletes it now, for retention, and
				// stores the event anew (docs/architecture.md).
				n, err := ins.exec(ins.dropDoomed, at)
				if err != nil {
					return 0, false, err
				}
				if n == 1 {
					for _, s := range ins.dropRow {
						if _, err := ins.exec(s, at); err != nil {
							return 0, false, fmt.Errorf("delete row %d retention is deleting: %w", at, err)
						}
					}
					continue
				}
				n, err = ins.exec(ins.adoptRow, at)
				if err != nil {
					return 0, false, err
				}
				if n == 1 {
					// Published by this import: sealed by it too, and
					// indexed if the owner builds its index apart.
					if err := ins.adoptSeal(at); err != nil {
						return 0, false, err
					}
					if err := ins.ensureIndexed(at); err != nil {
						return 0, false, err
					}
				}
			}
			return at, false, nil
		}
		if tries > slotMask {
			return 0, false, fmt.Errorf("more than %d events in the microsecond %s", slotMask+1, t.Format(time.RFC3339Nano))
		}
		key = key&^slotMask | (key+1)&slotMask
	}
	if _, err := ins.exec(ins.doc, key, nullJSON(e.Geo), nullJSON(e.Params), nullJSON(e.Custom), nullJSON(e.Before), nullJSON(e.After), nullJSON(e.Raw)); err != nil {
		return 0, false, err
	}
	if ins.text != nil {
		ins.text.add(key, it.fts)
	} else if _, err := ins.exec(ins.fts, key, it.fts); err != nil {
		return 0, false, err
	}
	ins.sealRow(key, it.hash)
	if !ins.sources[e.Source] {
		if _, err := ins.exec(ins.source, e.Source); err != nil {
			return 0, false, err
		}
		ins.sources[e.Source] = true
	}
	return key, true, nil
}
