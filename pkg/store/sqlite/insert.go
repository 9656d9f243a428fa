package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/auditctl/auditctl/pkg/audit"
)

// ImportOptions tunes Import.
type ImportOptions struct {
	// SkipInvalid skips records the reader reports as invalid (and not
	// fatal) instead of aborting.
	SkipInvalid bool
	// Progress, when set, is called every few thousand records with the
	// number read so far.
	Progress func(read int)
	// Name is the input's name for error messages.
	Name string
}

const eventCols = `id, source, ext_id, time_ns, service, action, category, workflow_id, workflow_type,
	actor, actor_id, actor_type, target, target_id, target_type, ip, client, user_agent,
	status, error, duration_ms, tenant, description`

// Import reads every event from r and stores the new ones in one
// transaction: either the whole input is stored or, on error, nothing of it.
// Events already stored (same source and id) are left as they are.
//
// The work is split over two goroutines: one reads (parses) and computes the
// full-text tokens of each event, the other writes to SQLite, so the two
// proceed on two cores at once.
func (db *DB) Import(ctx context.Context, r audit.EventReader, opt ImportOptions) (audit.ImportResult, error) {
	var res audit.ImportResult
	// The write lock is taken once the first records are read: an input
	// that is slow to start (a pipe, a download) does not hold up the other
	// writers meanwhile.
	batches, stop := prefetch(r)
	defer stop()
	var first []readItem
	select {
	case first = <-batches:
	case <-ctx.Done():
		return res, ctx.Err()
	}
	err := db.withWriteTxCache(ctx, importCacheKiB, func(c *sql.Conn) error {
		// Below database/sql: the writer is the hot path, and the driver's
		// own statements skip a layer of argument conversion and locking.
		return c.Raw(func(dc any) error {
			ins, err := newInserter(ctx, dc)
			if err != nil {
				return err
			}
			defer ins.close()
			record := 0
			for batch := first; batch != nil; batch = <-batches {
				if err := ctx.Err(); err != nil {
					return err
				}
				for i := range batch {
					it := &batch[i]
					record++
					if it.err == io.EOF {
						return nil
					}
					if it.err != nil {
						var ie *audit.InputError
						if opt.SkipInvalid && errors.As(it.err, &ie) && !ie.Fatal {
							res.Read++
							res.Skipped++
							continue
						}
						return it.err
					}
					res.Read++
					if opt.Progress != nil && res.Read%4096 == 0 {
						opt.Progress(res.Read)
					}
					if it.invalid != nil {
						if opt.SkipInvalid {
							res.Skipped++
							continue
						}
						return &audit.InputError{File: opt.Name, Record: record, Field: it.invalid.field, Err: it.invalid}
					}
					added, err := ins.insert(it)
					if err != nil {
						return fmt.Errorf("store record %d (id %q): %w", record, it.e.ID, err)
					}
					if added {
						res.Inserted++
					}
				}
			}
			return errors.New("import: reader stopped without EOF")
		})
	})
	if opt.Progress != nil {
		opt.Progress(res.Read)
	}
	if err != nil {
		return audit.ImportResult{}, err
	}
	return res, nil
}

// readItem is one record read ahead of the writer, already validated and
// keyed, with its full-text document.
type readItem struct {
	e       *audit.Event
	err     error
	invalid *fieldError
	key     int64
	fts     string
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
	switch {
	case e.Source == "":
		return &fieldError{"source", "missing source"}
	case e.ID == "":
		return &fieldError{"id", "missing id"}
	case e.Time.IsZero():
		return &fieldError{"time", "missing time"}
	}
	if _, err := eventKey(e.Time, e.Source, e.ID); err != nil {
		return &fieldError{"time", err.Error()}
	}
	for _, d := range []struct {
		name string
		v    json.RawMessage
	}{{"geo", e.Geo}, {"params", e.Params}, {"custom", e.Custom}, {"before", e.Before}, {"after", e.After}} {
		if len(d.v) > 0 && !json.Valid(d.v) {
			return &fieldError{d.name, "not valid JSON"}
		}
	}
	return nil
}

// inserter holds the driver-level statements of one import.
type inserter struct {
	ctx                             context.Context
	event, exists, doc, fts, source driver.Stmt
	args                            []driver.NamedValue
	sources                         map[string]bool // recorded in the sources table
}

func newInserter(ctx context.Context, dc any) (*inserter, error) {
	conn, ok := dc.(driver.ConnPrepareContext)
	if !ok {
		return nil, fmt.Errorf("sqlite driver connection %T cannot prepare", dc)
	}
	ins := &inserter{ctx: ctx, args: make([]driver.NamedValue, 0, 32), sources: map[string]bool{}}
	var err error
	prep := func(q string) driver.Stmt {
		if err != nil {
			return nil
		}
		var s driver.Stmt
		s, err = conn.PrepareContext(ctx, q)
		return s
	}
	ins.event = prep(`INSERT OR IGNORE INTO events (` + eventCols + `) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`)
	ins.exists = prep(`SELECT 1 FROM events WHERE source = ? AND ext_id = ?`)
	ins.doc = prep(`INSERT INTO event_docs (id, geo, params, custom, before, after, raw) VALUES (?,?,?,?,?,?,?)`)
	ins.fts = prep(`INSERT INTO events_fts (rowid, text) VALUES (?,?)`)
	ins.source = prep(`INSERT OR IGNORE INTO sources (name) VALUES (?)`)
	if err != nil {
		ins.close()
		return nil, err
	}
	for _, s := range []driver.Stmt{ins.event, ins.exists, ins.doc, ins.fts, ins.source} {
		if _, ok := s.(driver.StmtExecContext); !ok {
			ins.close()
			return nil, fmt.Errorf("sqlite driver statement %T cannot execute with a context", s)
		}
	}
	return ins, nil
}

func (ins *inserter) close() {
	for _, s := range []driver.Stmt{ins.event, ins.exists, ins.doc, ins.fts, ins.source} {
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

// stored reports whether an event with this source and id is in the cache.
func (ins *inserter) stored(e *audit.Event) (bool, error) {
	rows, err := ins.exists.(driver.StmtQueryContext).QueryContext(ins.ctx, []driver.NamedValue{
		{Ordinal: 1, Value: e.Source}, {Ordinal: 2, Value: e.ID},
	})
	if err != nil {
		return false, err
	}
	defer rows.Close()
	dest := make([]driver.Value, 1)
	switch err := rows.Next(dest); err {
	case nil:
		return true, nil
	case io.EOF:
		return false, nil
	default:
		return false, err
	}
}

// insert stores one event unless it is already stored.
func (ins *inserter) insert(it *readItem) (bool, error) {
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
			return false, err
		}
		if n == 1 {
			break
		}
		// Ignored: either this event is already stored, or another event
		// holds the key (same microsecond and slot): try the next slot.
		if dup, err := ins.stored(e); err != nil || dup {
			return false, err
		}
		if tries > slotMask {
			return false, fmt.Errorf("more than %d events in the microsecond %s", slotMask+1, t.Format(time.RFC3339Nano))
		}
		key = key&^slotMask | (key+1)&slotMask
	}
	if _, err := ins.exec(ins.doc, key, nullJSON(e.Geo), nullJSON(e.Params), nullJSON(e.Custom), nullJSON(e.Before), nullJSON(e.After), nullJSON(e.Raw)); err != nil {
		return false, err
	}
	if _, err := ins.exec(ins.fts, key, it.fts); err != nil {
		return false, err
	}
	if !ins.sources[e.Source] {
		if _, err := ins.exec(ins.source, e.Source); err != nil {
			return false, err
		}
		ins.sources[e.Source] = true
	}
	return true, nil
}
