package sqlite

import (
	"context"
	"crypto/ed25519"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"strings"
	"sync"

	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/chain"
	"github.com/auditctl/auditctl/pkg/store"
)

// Tamper evidence (package chain; docs/architecture.md, "Tamper evidence").
//
// Tables (migration 6):
//   - chain: the records, in seq order; each links to the one before.
//   - chain_rows: one row per sealed event, keyed like the event: the batch
//     and segment it was sealed in, and its row hash.
//
// An import or sync slice is one batch: its rows' hashes are computed on
// the reader goroutine, written beside the rows (chain_rows), and the batch
// record is appended in the transaction that publishes the rows. Session
// rows are sealed one write at a time (a record each). A legitimate
// deletion calls SealDeletion in its transaction.

// eventHashCols are the stored columns of an event that its row hash
// covers, in order: every column of events but the key, then the documents.
const eventHashCols = eventRowCols + ",\n\t" + eventDocCols

// eventRowCols are the columns of events that eventHashCols starts with;
// eventDocCols those of event_docs it ends with.
const (
	eventRowCols = `e.source, e.ext_id, e.time_ns, e.service, e.action, e.category, e.workflow_id, e.workflow_type,
	e.actor, e.actor_id, e.actor_type, e.target, e.target_id, e.target_type, e.ip, e.client, e.user_agent,
	e.status, e.error, e.duration_ms, e.tenant, e.description`
	eventDocCols = `d.geo, d.params, d.custom, d.before, d.after, d.raw`
)

// eventRowHash is the row hash of e as the inserter stores it (insert):
// the same values, in the order of eventHashCols (chain.EventRowHash, the
// one definition both stores use).
func eventRowHash(rh *chain.RowHasher, e *audit.Event) chain.Hash { return chain.EventRowHash(rh, e) }

// newBatchID returns a batch id: random, so that concurrent writers need
// not agree on one (a clash is one in 2^62 per pair, and verify names it).
func newBatchID() int64 { return mrand.Int64N(1<<62) + 1 }

// lastLink returns the seq and link of the newest record (0 and the zero
// hash when there is none).
func lastLink(ctx context.Context, c *sql.Conn) (int64, chain.Hash, error) {
	var seq int64
	var link []byte
	err := c.QueryRowContext(ctx, "SELECT seq, link FROM chain ORDER BY seq DESC LIMIT 1").Scan(&seq, &link)
	var h chain.Hash
	if errors.Is(err, sql.ErrNoRows) {
		return 0, h, nil
	}
	if err != nil {
		return 0, h, fmt.Errorf("chain head: %w", err)
	}
	copy(h[:], link)
	return seq, h, nil
}

// appendRecord appends r to the chain on c, which holds the write lock,
// sealing it after the newest record (and signing it with key when it is
// a checkpoint).
func appendRecord(ctx context.Context, c *sql.Conn, r *chain.Record, key ed25519.PrivateKey) error {
	seq, prev, err := lastLink(ctx, c)
	if err != nil {
		return err
	}
	r.Next(seq, prev, key)
	_, err = c.ExecContext(ctx, chain.InsertSQL, r.InsertArgs()...)
	if err != nil {
		return fmt.Errorf("append chain record: %w", err)
	}
	return nil
}

// sealBatch appends the record of batch b (nothing when it holds no row).
func sealBatch(ctx context.Context, c *sql.Conn, b *chain.Batch) error {
	if b == nil || b.Rows() == 0 {
		return nil
	}
	return appendRecord(ctx, c, &chain.Record{Kind: chain.RecordBatch, Batch: b.ID, Rows: int64(b.Rows()), Body: chain.BatchBody(b.Segments())}, nil)
}

// sealSession reads back the stored row of session id on c, which holds
// the write lock, and appends a record of its hash.
func sealSession(ctx context.Context, c *sql.Conn, id string) error {
	_, h, err := store.SessionRowHash(chain.NewRowHasher(), c.QueryRowContext(ctx, "SELECT "+sessionColumns+" FROM sessions WHERE id = ?", id))
	if err != nil {
		return fmt.Errorf("seal session %s: %w", id, err)
	}
	return appendRecord(ctx, c, &chain.Record{Kind: chain.RecordSession, Rows: 1, Body: chain.SessionBody(id, h)}, nil)
}

// sealExisting seals what a cache held before migration 6: its events as
// one batch, each session as a record.
func sealExisting(ctx context.Context, c *sql.Conn) error {
	b := chain.NewBatch(newBatchID())
	rh := chain.NewRowHasher()
	err := c.Raw(func(dc any) error {
		conn := dc.(driver.ConnPrepareContext)
		ins, err := conn.PrepareContext(ctx, "INSERT INTO chain_rows (id, batch, seg, hash) VALUES (?,?,?,?)")
		if err != nil {
			return err
		}
		defer ins.Close()
		return eachEventRow(ctx, dc, "", func(key int64, vals []driver.Value) error {
			h := rh.Sum(chain.KindEvent, driverValues(vals)...)
			seg := b.Add(key, h)
			_, err := ins.(driver.StmtExecContext).ExecContext(ctx, []driver.NamedValue{
				{Ordinal: 1, Value: key}, {Ordinal: 2, Value: b.ID}, {Ordinal: 3, Value: int64(seg)}, {Ordinal: 4, Value: h[:]}})
			return err
		})
	})
	if err != nil {
		return err
	}
	if err := sealBatch(ctx, c, b); err != nil {
		return err
	}
	rows, err := c.QueryContext(ctx, "SELECT id FROM sessions ORDER BY id")
	if err != nil {
		return err
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return err
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, id := range ids {
		if err := sealSession(ctx, c, id); err != nil {
			return err
		}
	}
	return nil
}

func driverValues(v []driver.Value) []any {
	out := make([]any, len(v))
	for i, x := range v {
		out[i] = x
	}
	return out
}

// eachEventRow calls fn with the key and the hashed columns
// (eventHashCols) of every event whose key is in the range cond gives
// ("" for all), in key order, reading at the driver level on dc.
func eachEventRow(ctx context.Context, dc any, cond string, fn func(key int64, vals []driver.Value) error, args ...driver.NamedValue) error {
	q := "SELECT e.id, " + eventHashCols + " FROM events e LEFT JOIN event_docs d ON d.id = e.id"
	if cond != "" {
		q += " WHERE " + cond
	}
	q += " ORDER BY e.id"
	return eachDriverRow(ctx, dc, "", q, args, func(v []driver.Value) error {
		key, _ := v[0].(int64)
		return fn(key, v[1:])
	})
}

// keyName names an event row by its key alone (store.KeyName).
func keyName(key int64) string { return store.KeyName(key) }

// ChainReport is what VerifyChain found.
type ChainReport = chain.Report

// VerifyChain walks the chain and every event and session row in one read
// snapshot and reports each row changed, inserted or deleted since it was
// sealed, and each record that does not hold. trusted, when set, is the
// only key a checkpoint may be signed with.
func (db *DB) VerifyChain(ctx context.Context, trusted ed25519.PublicKey) (*ChainReport, error) {
	return db.verifyChain(ctx, trusted, verifyHow{chunks: verifyChunks, readers: 2})
}

// verifyHow is how verifyChain reads the events: cut into chunks key
// ranges, checked by readers raw readers at once (0: the driver
// connection alone). The report is the same whatever they are
// (TestVerifyParallelEqualsSequential).
type verifyHow struct{ chunks, readers int }

func (db *DB) verifyChain(ctx context.Context, trusted ed25519.PublicKey, how verifyHow) (*ChainReport, error) {
	// A driver connection (the records, sessions, hidden rows) and two raw
	// readers of the events (rawread.go), all over one snapshot, when the
	// write lock is free for a moment; else the driver connection alone.
	var main *sql.Conn
	var raws []*rawConn
	ok := false
	if how.readers > 0 {
		var err error
		if main, raws, ok, err = db.verifySnapshot(ctx, how.readers); err != nil {
			return nil, err
		}
	}
	if !ok {
		c, err := db.db.Conn(ctx)
		if err != nil {
			return nil, err
		}
		if _, err := c.ExecContext(ctx, "BEGIN"); err != nil {
			c.Close()
			return nil, err
		}
		main = c
	}
	defer func() {
		for _, r := range raws {
			r.close()
		}
		main.ExecContext(context.Background(), "ROLLBACK")
		main.Close()
	}()
	var srcs []chunkSource
	for _, r := range raws {
		srcs = append(srcs, rawSource{r})
	}
	if len(srcs) == 0 {
		srcs = []chunkSource{driverSource{main}}
	}
	conn := main
	v := chain.NewVerifier(trusted)
	rep := &ChainReport{}
	unpub, err := unpublishedKeys(ctx, conn)
	if err != nil {
		return nil, err
	}
	if err := eachRecord(ctx, conn, v.Record); err != nil {
		return nil, fmt.Errorf("read chain: %w", err)
	}
	if err := verifyEvents(ctx, conn, srcs, how.chunks, v, unpub, rep); err != nil {
		return nil, err
	}
	v.Finish()
	rows, err := conn.QueryContext(ctx, "SELECT "+sessionColumns+" FROM sessions ORDER BY id")
	if err != nil {
		return nil, err
	}
	rh := chain.NewRowHasher()
	for rows.Next() {
		id, h, err := store.SessionRowHash(rh, rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		v.Session(id, h)
		rep.Sessions++
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	v.FinishSessions()
	rep.Findings, rep.Records, rep.Checkpoints, rep.Unvouched = v.Findings, v.Records, v.Checkpoints, v.Unvouched
	rep.HeadSeq, rep.Head = v.HeadSeq, v.Head
	return rep, nil
}

func str(v driver.Value) string {
	switch x := v.(type) {
	case string:
		return x
	case []byte:
		return string(x)
	}
	return ""
}

func blob(v driver.Value) []byte {
	switch x := v.(type) {
	case []byte:
		return append([]byte(nil), x...)
	case string:
		return []byte(x)
	}
	return nil
}

// unpublishedKeys returns the keys of rows written by imports not yet
// published (none in a cache without the unpublished table).
func unpublishedKeys(ctx context.Context, c *sql.Conn) (map[int64]bool, error) {
	var n int
	if err := c.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'unpublished'").Scan(&n); err != nil || n == 0 {
		return nil, err
	}
	rows, err := c.QueryContext(ctx, "SELECT id FROM unpublished")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	m := map[int64]bool{}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		m[id] = true
	}
	return m, rows.Err()
}

// chainRow is one row of chain_rows.
type chainRow struct {
	key, batch int64
	seg        int
	hash       chain.Hash
}

// verifyChunks is how many key ranges the events are cut into, to be
// checked by two connections at once; verifyAhead how many chunks may be
// done ahead of the one the segments are fed from (memory: one chunk's
// row hashes each).
const (
	verifyChunks = 64
	verifyAhead  = 4
)

// chunkResult is what the check of one key range found.
type chunkResult struct {
	findings    []chain.Finding
	rows        []chainRow // the sealed rows, in key order, for their segments
	events      int64
	unpublished int64
	err         error
}

// verifyEvents checks every event against chain_rows and feeds each
// sealed row to its segment, in key order. The key range is cut into
// chunks that srcs (one, or two over the same snapshot as conn) check in
// turn; the results are taken in order.
func verifyEvents(ctx context.Context, conn *sql.Conn, srcs []chunkSource, chunks int, v *chain.Verifier, unpub map[int64]bool, rep *ChainReport) error {
	var lo, hi sql.NullInt64
	if err := conn.QueryRowContext(ctx, "SELECT min(id), max(id) FROM (SELECT min(id) AS id FROM events UNION ALL SELECT max(id) FROM events UNION ALL SELECT min(id) FROM chain_rows UNION ALL SELECT max(id) FROM chain_rows)").Scan(&lo, &hi); err != nil {
		return err
	}
	if !lo.Valid {
		return nil
	}
	bounds := chunkBounds(lo.Int64, hi.Int64, chunks)
	n := len(bounds) - 1
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	results := make([]chan chunkResult, n)
	for i := range results {
		results[i] = make(chan chunkResult, 1)
	}
	tokens := make(chan struct{}, verifyAhead)
	for range verifyAhead {
		tokens <- struct{}{}
	}
	var next int64
	var mu sync.Mutex
	take := func() int {
		mu.Lock()
		defer mu.Unlock()
		i := int(next)
		next++
		return i
	}
	// The chunks' row slices are reused once their rows are fed: without
	// it, growing a new one for each chunk was most of what verify
	// allocated, and the collections it caused (with their write
	// barriers) cost about a tenth of its CPU.
	free := make(chan []chainRow, verifyAhead+len(srcs))
	var wg sync.WaitGroup
	for _, src := range srcs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-tokens:
				case <-ctx.Done():
					return
				}
				i := take()
				if i >= n {
					return
				}
				var res chunkResult
				select {
				case res.rows = <-free:
				default:
				}
				res.err = verifyChunk(ctx, src, bounds[i], bounds[i+1], unpub, &res)
				results[i] <- res
			}
		}()
	}
	var err error
	for i := 0; i < n && err == nil; i++ {
		var res chunkResult
		select {
		case res = <-results[i]:
		case <-ctx.Done():
			err = ctx.Err()
			continue
		}
		tokens <- struct{}{}
		if res.err != nil {
			err = res.err
			break
		}
		v.Findings = append(v.Findings, res.findings...)
		rep.Events += res.events
		rep.Unpublished += res.unpublished
		for j := range res.rows {
			r := &res.rows[j]
			v.Row(r.key, r.batch, r.seg, &r.hash, func() string { return keyName(r.key) })
		}
		select {
		case free <- res.rows[:0]:
		default:
		}
	}
	cancel()
	wg.Wait()
	if err != nil {
		return fmt.Errorf("verify events: %w", err)
	}
	return nil
}

// chunkBounds cuts the keys lo..hi into n ranges of about the same width
// (one when there are fewer keys than n): range i is [b[i], b[i+1]).
func chunkBounds(lo, hi int64, n int) []int64 {
	if n < 1 || hi-lo < int64(n) {
		n = 1
	}
	bounds := make([]int64, n+1)
	width := (hi - lo + int64(n)) / int64(n)
	for i := range bounds {
		bounds[i] = lo + int64(i)*width
	}
	bounds[n] = hi + 1
	return bounds
}

// verifyChunk merges the events (with their documents) and chain_rows with
// keys in [from, to), both in key order, read from src: a row in both is
// compared by hash, an event alone was inserted, a hash alone lost its
// event. Two chunks may run at once (on two sources).
func verifyChunk(ctx context.Context, src chunkSource, from, to int64, unpub map[int64]bool, res *chunkResult) error {
	var cr chainRow
	cok := false
	nextRow, done, err := src.chainRows(ctx, from, to)
	if err != nil {
		return fmt.Errorf("read chain_rows: %w", err)
	}
	defer done()
	next := func() (err error) {
		cok, err = nextRow(&cr)
		return err
	}
	// sealed keeps cr for its segment, unless its row is hidden from
	// readers (unpublished: an import under way, or a deletion under way
	// that its checkpoint already covers). A sealed row hidden otherwise is
	// missing from its segment, which then says so.
	sealed := func() bool {
		if unpub[cr.key] {
			return false
		}
		res.rows = append(res.rows, cr)
		return true
	}
	if err := next(); err != nil {
		return err
	}
	rh := chain.NewRowHasher()
	err = src.events(ctx, from, to, func(key int64, row eventRow) error {
		// Hashes with no event before this one: their events are gone.
		for cok && cr.key < key {
			if sealed() {
				res.findings = append(res.findings, chain.RowGone(keyName(cr.key), cr.batch))
			}
			if err := next(); err != nil {
				return err
			}
		}
		if unpub[key] {
			// Hidden from readers: left out, with its hash.
			res.unpublished++
			if cok && cr.key == key {
				return next()
			}
			return nil
		}
		name := func() string { return fmt.Sprintf("%s (%s)", row.name(), keyName(key)) }
		if !cok || cr.key > key {
			res.events++
			res.findings = append(res.findings, chain.RowUnsealed(name()))
			return nil
		}
		res.events++
		h := row.hash(rh)
		if sealed() && h != cr.hash {
			res.findings = append(res.findings, chain.RowChanged(name(), cr.batch))
		}
		return next()
	})
	if err != nil {
		return err
	}
	for cok {
		if sealed() {
			res.findings = append(res.findings, chain.RowGone(keyName(cr.key), cr.batch))
		}
		if err := next(); err != nil {
			return err
		}
	}
	return nil
}

// SetSigner sets where a legitimate deletion gets the key that signs its
// checkpoint (Factory: the key in the configuration directory, created on
// first use). Without one, deleting sealed rows fails.
func (db *DB) SetSigner(fn func() (ed25519.PrivateKey, error)) { db.signer = fn }

// ErrChainBroken is returned by SealDeletion when the rows it would
// re-seal do not match what was sealed: a checkpoint must not launder
// tampering, so nothing is deleted.
var ErrChainBroken = errors.New("the cache fails its tamper check")

// SealDeletion makes a legitimate deletion verifiable. Call it in the
// write transaction that deletes (c holds the write lock), once the keys
// of the events to delete are in the table named by eventIDs (a column id;
// "" for none), before or after deleting the events, and with the ids of
// the sessions it deletes in the table named by sessionIDs (a column id;
// "" for none). It checks that the segments the deletion touches are intact
// (else ErrChainBroken and nothing changes), removes the deleted rows'
// hashes, and appends a checkpoint record, signed with the signer's key,
// that gives each touched segment its new content (the rows that remain)
// and names the deleted sessions. Nothing to delete appends nothing.
func (db *DB) SealDeletion(ctx context.Context, c *sql.Conn, eventIDs, sessionIDs, reason string) error {
	type affected struct {
		batch int64
		seg   int
		n     int
	}
	var touched []affected
	if eventIDs != "" {
		rows, err := c.QueryContext(ctx, "SELECT batch, seg, count(*) FROM chain_rows WHERE id IN (SELECT id FROM "+eventIDs+") GROUP BY batch, seg")
		if err != nil {
			return fmt.Errorf("seal deletion: %w", err)
		}
		for rows.Next() {
			var a affected
			if err := rows.Scan(&a.batch, &a.seg, &a.n); err != nil {
				rows.Close()
				return err
			}
			touched = append(touched, a)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	var sessions []string
	if sessionIDs != "" {
		rows, err := c.QueryContext(ctx, "SELECT id FROM "+sessionIDs+" ORDER BY id")
		if err != nil {
			return fmt.Errorf("seal deletion: %w", err)
		}
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			sessions = append(sessions, id)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	if len(touched) == 0 && len(sessions) == 0 {
		return nil
	}
	if db.signer == nil {
		return audit.Errorf(audit.ELOCAL, "deleting sealed rows needs the signing key, and none is set")
	}
	key, err := db.signer()
	if err != nil {
		return err
	}
	pub := key.Public().(ed25519.PublicKey)
	// What the chain says each segment holds now.
	v := chain.NewVerifier(pub)
	if err := eachRecord(ctx, c, v.Record); err != nil {
		return err
	}
	if len(v.Findings) > 0 {
		f := v.Findings[0]
		return fmt.Errorf("%w: %s %s: %s (run auditctl verify; nothing was deleted)", ErrChainBroken, f.Table, f.Row, f.Detail)
	}
	cp := &chain.Checkpoint{PublicKey: pub, Reason: reason, Sessions: sessions}
	var deleted int64
	for _, a := range touched {
		want, ok := v.Segment(a.batch, a.seg)
		if !ok {
			return fmt.Errorf("%w: batch %d segment %d is not sealed (run auditctl verify; nothing was deleted)", ErrChainBroken, a.batch, a.seg)
		}
		all, kept, err := segmentNow(ctx, c, a.batch, a.seg, want, eventIDs)
		if err != nil {
			return err
		}
		if all != want {
			return fmt.Errorf("%w: batch %d segment %d (keys %d..%d) differs from what was sealed (run auditctl verify; nothing was deleted)", ErrChainBroken, a.batch, a.seg, want.Lo, want.Hi)
		}
		cp.Segments = append(cp.Segments, chain.SegmentChange{Batch: a.batch, Seg: a.seg, Segment: kept})
		deleted += int64(a.n)
	}
	if eventIDs != "" {
		if _, err := c.ExecContext(ctx, "DELETE FROM chain_rows WHERE id IN (SELECT id FROM "+eventIDs+")"); err != nil {
			return fmt.Errorf("seal deletion: %w", err)
		}
	}
	r := &chain.Record{Kind: chain.RecordCheckpoint, Rows: deleted + int64(len(sessions)), Body: cp.Body()}
	return appendRecord(ctx, c, r, key)
}

// segmentNow recomputes a segment from chain_rows: all its rows, and those
// that remain once the keys in the table doomed are gone.
func segmentNow(ctx context.Context, c *sql.Conn, batch int64, seg int, want chain.Segment, doomed string) (all, kept chain.Segment, err error) {
	q := "SELECT id, hash, id IN (SELECT id FROM " + doomed + ") FROM chain_rows WHERE id BETWEEN ? AND ? AND batch = ? AND seg = ? ORDER BY id"
	rows, err := c.QueryContext(ctx, q, want.Lo, want.Hi, batch, seg)
	if err != nil {
		return all, kept, fmt.Errorf("seal deletion: %w", err)
	}
	defer rows.Close()
	a, k := chain.NewSegmentHasher(), chain.NewSegmentHasher()
	for rows.Next() {
		var key int64
		var hb []byte
		var gone bool
		if err := rows.Scan(&key, &hb, &gone); err != nil {
			return all, kept, err
		}
		var h chain.Hash
		copy(h[:], hb)
		a.Add(key, &h)
		if !gone {
			k.Add(key, &h)
		}
	}
	return a.Sum(), k.Sum(), rows.Err()
}

// eachRecord calls fn with every record in seq order.
func eachRecord(ctx context.Context, c *sql.Conn, fn func(*chain.Record)) error {
	return c.Raw(func(dc any) error {
		return eachDriverRow(ctx, dc, "", "SELECT seq, kind, batch, rows, time_ns, body, digest, link, sig FROM chain ORDER BY seq", nil, func(x []driver.Value) error {
			r := chain.Record{Kind: str(x[1]), Body: blob(x[5]), Sig: blob(x[8])}
			r.Seq, _ = x[0].(int64)
			r.Batch, _ = x[2].(int64)
			r.Rows, _ = x[3].(int64)
			r.TimeNS, _ = x[4].(int64)
			copy(r.Digest[:], blob(x[6]))
			copy(r.Link[:], blob(x[7]))
			fn(&r)
			return nil
		})
	})
}

// ChainHead returns the newest record's seq and link (0 and the zero hash
// for an empty chain).
func (db *DB) ChainHead(ctx context.Context) (int64, chain.Hash, error) {
	conn, err := db.db.Conn(ctx)
	if err != nil {
		return 0, chain.Hash{}, err
	}
	defer conn.Close()
	return lastLink(ctx, conn)
}

// ChainLink returns the link of record seq (ok false when there is none).
func (db *DB) ChainLink(ctx context.Context, seq int64) (link chain.Hash, ok bool, err error) {
	var b []byte
	err = db.db.QueryRowContext(ctx, "SELECT link FROM chain WHERE seq = ?", seq).Scan(&b)
	if errors.Is(err, sql.ErrNoRows) {
		return link, false, nil
	}
	if err != nil {
		return link, false, err
	}
	copy(link[:], b)
	return link, true, nil
}

// adoptSeal seals into this import's batch a row another import wrote and
// this one publishes (a guest's adoption, slices.go): its hash moves to
// this batch.
func (ins *inserter) adoptSeal(key int64) error {
	seg := ins.batch.NextSeg()
	rows, err := ins.adoptHash.(driver.StmtQueryContext).QueryContext(ins.ctx, []driver.NamedValue{
		{Ordinal: 1, Value: ins.batch.ID}, {Ordinal: 2, Value: int64(seg)}, {Ordinal: 3, Value: key}})
	if err != nil {
		return fmt.Errorf("seal adopted row: %w", err)
	}
	dest := make([]driver.Value, 1)
	err = rows.Next(dest)
	rows.Close()
	if err != nil {
		return fmt.Errorf("seal adopted row %d: %w", key, err)
	}
	var h chain.Hash
	b, _ := dest[0].([]byte)
	copy(h[:], b)
	ins.batch.Add(key, h)
	return nil
}

// adoptedAway reports whether a guest import published (and sealed) some
// of the hidden rows of this import: fewer than hidden rows remain in
// unpublished.
func (ins *inserter) adoptedAway(hidden int) (bool, error) {
	if hidden == 0 {
		return false, nil
	}
	rows, err := ins.countHidden.(driver.StmtQueryContext).QueryContext(ins.ctx, nil)
	if err != nil {
		return false, err
	}
	defer rows.Close()
	dest := make([]driver.Value, 1)
	if err := rows.Next(dest); err != nil {
		return false, err
	}
	n, _ := dest[0].(int64)
	return n < int64(hidden), nil
}

// sealImport appends the record of an import's batch in the transaction
// that publishes it. When a guest sealed some of its rows meanwhile, the
// segments computed while inserting no longer hold: they are recomputed
// from the rows still in the batch.
func sealImport(ctx context.Context, c *sql.Conn, b *chain.Batch, adopted bool) error {
	if adopted {
		lo, hi := b.Bounds()
		segs := b.Segments()
		hashers := make([]*chain.SegmentHasher, len(segs))
		for i := range hashers {
			hashers[i] = chain.NewSegmentHasher()
		}
		rows, err := c.QueryContext(ctx, "SELECT id, seg, hash FROM chain_rows WHERE id BETWEEN ? AND ? AND batch = ? ORDER BY id", lo, hi, b.ID)
		if err != nil {
			return fmt.Errorf("seal import: %w", err)
		}
		for rows.Next() {
			var key, seg int64
			var hb []byte
			if err := rows.Scan(&key, &seg, &hb); err != nil {
				rows.Close()
				return err
			}
			if seg < 0 || seg >= int64(len(hashers)) {
				rows.Close()
				return fmt.Errorf("seal import: row %d in segment %d of %d", key, seg, len(hashers))
			}
			var h chain.Hash
			copy(h[:], hb)
			hashers[seg].Add(key, &h)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for i, hs := range hashers {
			segs[i] = hs.Sum()
		}
		b.Rebuild(segs)
	}
	return sealBatch(ctx, c, b)
}

// chainRowsPerStmt is how many chain_rows one INSERT writes. A statement
// that writes several rows opens a statement savepoint, and FTS5 writes its
// pending index data at every savepoint: so the rows of a slice are queued
// and written together just before it commits (which flushes FTS5 anyway),
// chainRowsPerStmt at a time. One statement per row, as it is inserted,
// cost the import ~7 % of its writer's CPU; a statement of 64 rows every 64
// events, ~15 % (the FTS5 flushes).
const chainRowsPerStmt = 64

// chainRowsSQL inserts n rows into chain_rows.
func chainRowsSQL(n int) string {
	return "INSERT INTO chain_rows (id, batch, seg, hash) VALUES " + strings.TrimSuffix(strings.Repeat("(?,?,?,?),", n), ",")
}

// sealRow adds an inserted event to the import's batch and queues its
// chain_rows row; flushChain writes what is queued.
func (ins *inserter) sealRow(key int64, h chain.Hash) {
	seg := ins.batch.Add(key, h)
	ins.chainQueue = append(ins.chainQueue, chainRow{key: key, batch: ins.batch.ID, seg: seg, hash: h})
}

// flushChain writes the queued chain_rows rows, before the slice commits:
// they are in the same transaction as their events.
func (ins *inserter) flushChain() error {
	q := ins.chainQueue
	ins.chainQueue = ins.chainQueue[:0]
	args := make([]driver.NamedValue, 0, 4*chainRowsPerStmt)
	for len(q) > 0 {
		n, st := chainRowsPerStmt, ins.chainRows
		if len(q) < n {
			n, st = 1, ins.chainRow
		}
		args = args[:0]
		for i := range n {
			r := &q[i]
			args = append(args,
				driver.NamedValue{Ordinal: 4*i + 1, Value: r.key},
				driver.NamedValue{Ordinal: 4*i + 2, Value: r.batch},
				driver.NamedValue{Ordinal: 4*i + 3, Value: int64(r.seg)},
				driver.NamedValue{Ordinal: 4*i + 4, Value: r.hash[:]})
		}
		if _, err := st.(driver.StmtExecContext).ExecContext(ins.ctx, args); err != nil {
			return fmt.Errorf("seal rows: %w", err)
		}
		q = q[n:]
	}
	return nil
}

// chunkSource reads one key range of the events and of chain_rows for
// verifyChunk: driverSource through the driver, rawSource at the library
// level (rawread.go). Both give the same values.
type chunkSource interface {
	// chainRows returns next, which fills in the next row of chain_rows
	// with a key in [from, to) in key order (false after the last), and
	// done, which ends the read.
	chainRows(ctx context.Context, from, to int64) (next func(*chainRow) (bool, error), done func(), err error)
	// events calls fn with every event with a key in [from, to), in key
	// order; row is valid during the call only.
	events(ctx context.Context, from, to int64, fn func(key int64, row eventRow) error) error
}

// eventRow is the event row being read.
type eventRow interface {
	hash(rh *chain.RowHasher) chain.Hash // its row hash
	name() string                        // source/ext_id
}

const chainRowsRange = "SELECT id, batch, seg, hash FROM chain_rows WHERE id >= ? AND id < ? ORDER BY id"

// setChainHash copies a stored hash into cr; a hash of the wrong size
// matches nothing.
func setChainHash(cr *chainRow, b []byte) {
	cr.hash = chain.Hash{}
	copy(cr.hash[:], b)
	if len(b) != len(cr.hash) {
		cr.hash[0] ^= 0xff
	}
}

// driverSource reads through the driver on one connection.
type driverSource struct{ c *sql.Conn }

func (s driverSource) chainRows(ctx context.Context, from, to int64) (func(*chainRow) (bool, error), func(), error) {
	var crs driver.Rows
	var st driver.Stmt
	err := s.c.Raw(func(dc any) error {
		var err error
		if st, err = dc.(driver.ConnPrepareContext).PrepareContext(ctx, chainRowsRange); err != nil {
			return err
		}
		crs, err = st.(driver.StmtQueryContext).QueryContext(ctx, []driver.NamedValue{{Ordinal: 1, Value: from}, {Ordinal: 2, Value: to}})
		if err != nil {
			st.Close()
		}
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	done := func() {
		crs.Close()
		st.Close()
	}
	dest := make([]driver.Value, 4)
	next := func(cr *chainRow) (bool, error) {
		switch err := crs.Next(dest); err {
		case nil:
			cr.key, _ = dest[0].(int64)
			cr.batch, _ = dest[1].(int64)
			seg, _ := dest[2].(int64)
			cr.seg = int(seg)
			b, _ := dest[3].([]byte)
			setChainHash(cr, b)
			return true, nil
		case io.EOF:
			return false, nil
		default:
			return false, err
		}
	}
	return next, done, nil
}

func (s driverSource) events(ctx context.Context, from, to int64, fn func(int64, eventRow) error) error {
	var row driverEventRow
	row.vals = make([]any, 28)
	return s.c.Raw(func(dc any) error {
		return eachEventRow(ctx, dc, "e.id >= ? AND e.id < ?", func(key int64, x []driver.Value) error {
			row.x = x
			return fn(key, &row)
		}, driver.NamedValue{Ordinal: 1, Value: from}, driver.NamedValue{Ordinal: 2, Value: to})
	})
}

type driverEventRow struct {
	x    []driver.Value
	vals []any
}

func (r *driverEventRow) hash(rh *chain.RowHasher) chain.Hash {
	for i := range r.x {
		r.vals[i] = r.x[i]
	}
	return rh.Sum(chain.KindEvent, r.vals...)
}

func (r *driverEventRow) name() string { return str(r.x[0]) + "/" + str(r.x[1]) }
