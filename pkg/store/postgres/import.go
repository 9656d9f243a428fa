package postgres

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/chain"
	"github.com/auditctl/auditctl/pkg/store"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Import stores every event of r in four steps:
//
//  1. The records are read, validated, keyed and tokenized, and each is
//     encoded once as the binary COPY rows of events and event_docs, which
//     go to a spool file of this process (deleted as soon as it is made,
//     so nothing outlives the process); only its identity (record number,
//     key, source, id) streams through COPY into a small temporary staging
//     table of this connection.
//  2. The partitions the file's months need are created (each in a short
//     transaction of its own), repeated identities within the file are
//     dropped (the first record stands) and keys another event holds move
//     to a free slot, on the staging table.
//  3. One transaction inserts the identities into event_ids ON CONFLICT DO
//     NOTHING (one set operation, sorted, so concurrent importers lock in
//     one order), which returns the records that went in, then COPYs
//     those records' rows from the spool straight into events and
//     event_docs, in binary.
//
// So a file is stored whole or not at all, readers see it appear at once,
// importing it again adds nothing, and concurrent importers (on any
// machine) of the same events store each once: the second waits on the
// first's uncommitted identity and then skips it. The transaction commits
// with synchronous_commit off: it is still atomic, but a server crash in
// the instant after the commit may lose this last file (import it again:
// that adds nothing twice).
func (db *DB) Import(ctx context.Context, r audit.EventReader, opt store.ImportOptions) (audit.ImportResult, error) {
	conn, err := db.pool.Acquire(ctx)
	if err != nil {
		return audit.ImportResult{}, db.wrap(err)
	}
	defer conn.Release()
	sp, err := newSpool()
	if err != nil {
		return audit.ImportResult{}, err
	}
	defer sp.close()
	free := make(chan *batch, 16)
	in, stop := prefetch(r, opt, free)
	src := &source{opt: opt, months: map[int64]time.Time{}, sp: sp, in: in, stop: stop, free: free}
	res, err := db.importOn(ctx, conn, src)
	stop()
	if opt.Progress != nil {
		opt.Progress(src.res.Read)
	}
	if err != nil {
		if ctx.Err() != nil {
			return audit.ImportResult{}, ctx.Err()
		}
		return audit.ImportResult{}, db.wrap(err)
	}
	return res, nil
}

// The staging table holds identities only (and each row's chain hash, for
// sealImport): the rows themselves wait in the spool.
const stageCols = `seq bigint NOT NULL, id bigint NOT NULL, source text COLLATE "C", ext_id text COLLATE "C", hash bytea`

var copyCols = []string{"seq", "id", "source", "ext_id", "hash"}

const eventCols = `id, source, ext_id, time_ns, service, action, category, workflow_id, workflow_type,
	actor, actor_id, actor_type, target, target_id, target_type, ip, ipaddr, client, user_agent,
	status, error, duration_ms, tenant, description, tsv`

const docCols = `id, geo, params, custom, before, after, raw, ptext`

func (db *DB) importOn(ctx context.Context, conn *pgxpool.Conn, src *source) (audit.ImportResult, error) {
	if _, err := conn.Exec(ctx, "CREATE TEMP TABLE IF NOT EXISTS auditctl_stage ("+stageCols+"); TRUNCATE auditctl_stage"); err != nil {
		return audit.ImportResult{}, fmt.Errorf("staging table: %w", err)
	}
	defer conn.Exec(context.WithoutCancel(ctx), "TRUNCATE auditctl_stage")
	_, err := conn.CopyFrom(ctx, pgx.Identifier{"auditctl_stage"}, copyCols, src)
	if src.err != nil {
		return audit.ImportResult{}, src.err
	}
	if err != nil {
		return audit.ImportResult{}, fmt.Errorf("copy: %w", err)
	}
	if err := src.sp.flush(); err != nil {
		return audit.ImportResult{}, err
	}
	// The staging table is temporary: autovacuum never analyzes it, and
	// without statistics the joins below run as nested loops.
	if _, err := conn.Exec(ctx, "ANALYZE auditctl_stage"); err != nil {
		return audit.ImportResult{}, fmt.Errorf("analyze: %w", err)
	}
	for _, m := range src.months {
		if err := db.ensureMonth(ctx, m); err != nil {
			return audit.ImportResult{}, err
		}
	}
	// Within the file, an identity met again is a duplicate: the first
	// record stands, as in the SQLite store.
	if _, err := conn.Exec(ctx, `DELETE FROM auditctl_stage s USING auditctl_stage t
		WHERE s.source = t.source AND s.ext_id = t.ext_id AND s.seq > t.seq`); err != nil {
		return audit.ImportResult{}, fmt.Errorf("dedupe: %w", err)
	}
	res := src.res
	for attempt := 0; ; attempt++ {
		if err := resolveSlots(ctx, conn); err != nil {
			return audit.ImportResult{}, err
		}
		var n int
		err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, "SET LOCAL synchronous_commit = off"); err != nil {
				return err
			}
			// The records whose identity went in, with their keys
			// (perhaps moved to another slot), in file order.
			rows, err := tx.Query(ctx, `
WITH ins AS (
	INSERT INTO event_ids (source, ext_id, id)
	SELECT source, ext_id, id FROM auditctl_stage ORDER BY source, ext_id
	ON CONFLICT (source, ext_id) DO NOTHING
	RETURNING id
)
SELECT s.seq, s.id FROM auditctl_stage s JOIN ins USING (id) ORDER BY s.seq`)
			if err != nil {
				return err
			}
			var keep []kept
			for rows.Next() {
				var k kept
				if err := rows.Scan(&k.seq, &k.id); err != nil {
					rows.Close()
					return err
				}
				keep = append(keep, k)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
			n = len(keep)
			if n == 0 {
				return nil
			}
			// Row-level security (db init --rls) refuses COPY into the
			// tables for a role it applies to: then the rows go through a
			// temporary table and INSERT, where the policies check them.
			var rls bool
			if err := tx.QueryRow(ctx, "SELECT row_security_active('events') OR row_security_active('event_docs')").Scan(&rls); err != nil {
				return err
			}
			if err := src.sp.insert(ctx, tx, src.sp.ev, "events", eventCols, keep, rls); err != nil {
				return err
			}
			if err := src.sp.insert(ctx, tx, src.sp.docs, "event_docs", docCols, keep, rls); err != nil {
				return err
			}
			if err := sealImport(ctx, tx, int64(n)); err != nil {
				return err
			}
			return notifyImported(ctx, tx, int64(n))
		})
		var pe *pgconn.PgError
		if err != nil && attempt < 8 && errors.As(err, &pe) && (pe.Code == "23505" || pe.Code == "40P01") {
			// Another importer took a key this file chose meanwhile
			// (same microsecond and slot), or the two waited on each
			// other: choose again and retry.
			continue
		}
		if err != nil {
			var ae *audit.Error
			if errors.As(err, &ae) {
				return audit.ImportResult{}, err
			}
			return audit.ImportResult{}, fmt.Errorf("insert: %w", err)
		}
		res.Inserted = n
		return res, nil
	}
}

// kept is a record whose identity went in, and its final key.
type kept struct{ seq, id int64 }

// resolveSlots moves staged events whose key another event holds (a
// different event in the same microsecond and slot, stored or staged) to
// the next free slot of their microsecond, as the SQLite store does.
func resolveSlots(ctx context.Context, conn *pgxpool.Conn) error {
	for round := 0; round < 8; round++ {
		rows, err := conn.Query(ctx, `
SELECT seq, id FROM (
	SELECT seq, id, source, ext_id, first_value(source) OVER w AS fs, first_value(ext_id) OVER w AS fe
	FROM auditctl_stage WINDOW w AS (PARTITION BY id ORDER BY seq)) x
WHERE source <> fs OR ext_id <> fe
UNION
SELECT s.seq, s.id FROM auditctl_stage s JOIN events e ON e.id = s.id
WHERE e.source <> s.source OR e.ext_id <> s.ext_id
ORDER BY seq`)
		if err != nil {
			return fmt.Errorf("key slots: %w", err)
		}
		var seqs, keys []int64
		for rows.Next() {
			var s, k int64
			if err := rows.Scan(&s, &k); err != nil {
				rows.Close()
				return err
			}
			seqs, keys = append(seqs, s), append(keys, k)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("key slots: %w", err)
		}
		if len(seqs) == 0 {
			return nil
		}
		var micros []int64
		for _, k := range keys {
			micros = append(micros, k>>store.SlotBits)
		}
		used := map[int64]bool{}
		rows, err = conn.Query(ctx, `
SELECT e.id FROM unnest($1::bigint[]) u(us) JOIN events e ON e.id >= u.us << 10 AND e.id < (u.us + 1) << 10
UNION SELECT id FROM auditctl_stage WHERE id >> 10 = ANY($1)`, micros)
		if err != nil {
			return fmt.Errorf("key slots: %w", err)
		}
		for rows.Next() {
			var k int64
			if err := rows.Scan(&k); err != nil {
				rows.Close()
				return err
			}
			used[k] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("key slots: %w", err)
		}
		for i, k := range keys {
			nk := k
			for tries := 0; used[nk]; tries++ {
				if tries > store.SlotMask {
					return fmt.Errorf("more than %d events in the microsecond %s", store.SlotMask+1, time.UnixMicro(k>>store.SlotBits).UTC().Format(time.RFC3339Nano))
				}
				nk = store.NextSlot(nk)
			}
			used[nk] = true
			keys[i] = nk
		}
		if _, err := conn.Exec(ctx, `UPDATE auditctl_stage s SET id = u.id FROM unnest($1::bigint[], $2::bigint[]) u(seq, id) WHERE s.seq = u.seq`, seqs, keys); err != nil {
			return fmt.Errorf("key slots: %w", err)
		}
	}
	return errors.New("key slots: did not settle")
}

// source feeds COPY: the identities of the records that a goroutine reads
// ahead (prefetch: each record validated, keyed, tokenized and encoded
// while COPY streams the previous ones), their rows to the spool. An
// invalid record ends the COPY with an error naming file, record and field
// (or is skipped with SkipInvalid).
type source struct {
	opt    store.ImportOptions
	sp     *spool
	res    audit.ImportResult
	vals   []any
	err    error
	months map[int64]time.Time

	in   <-chan *batch
	stop func()
	cur  *batch
	i    int
	free chan<- *batch // batches consumed, for the reader to fill again
}

// item is one record read ahead: counted (a record was read), skipped,
// err (it ends the input), or an event's identity and its two rows
// (offsets into the batch's buffer).
type item struct {
	seq, key        int64
	source, id      string
	hash            chain.Hash
	month           time.Time
	ev, doc, end    int
	counted, skippd bool
	err             error
}

type batch struct {
	items []item
	buf   []byte
}

// maxBatchBytes bounds the rows a batch holds; with the channel's room for
// eight batches, the rows in flight stay within some tens of MiB.
const maxBatchBytes = 2 << 20

// prefetch reads r on a goroutine in batches. stop makes it quit early and
// waits for it, so r is no longer in use when stop returns.
func prefetch(r audit.EventReader, opt store.ImportOptions, free <-chan *batch) (<-chan *batch, func()) {
	out := make(chan *batch, 8)
	quit := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		defer close(out)
		enc := encoder{tok: store.NewTokenizer(), rh: chain.NewRowHasher(), preset: opt.Key}
		record := 0
		var b *batch
		fresh := func() {
			select {
			case b = <-free:
				b.items, b.buf = b.items[:0], b.buf[:0]
			default:
				b = &batch{items: make([]item, 0, 256)}
			}
		}
		send := func() bool {
			select {
			case out <- b:
				fresh()
				return true
			case <-quit:
				return false
			}
		}
		fresh()
		for {
			e, err := r.Next()
			record++
			if err == io.EOF {
				send()
				return
			}
			if err != nil {
				var ie *audit.InputError
				if opt.SkipInvalid && errors.As(err, &ie) && !ie.Fatal {
					b.items = append(b.items, item{counted: true, skippd: true})
					continue
				}
				b.items = append(b.items, item{err: err})
				send()
				return
			}
			field, msg := store.Validate(e)
			if field == "" {
				field, msg = storable(e)
			}
			switch {
			case field != "" && opt.SkipInvalid:
				b.items = append(b.items, item{counted: true, skippd: true})
			case field != "":
				b.items = append(b.items, item{counted: true})
				b.items = append(b.items, item{err: &audit.InputError{File: opt.Name, Record: record, Field: field, Err: errors.New(msg)}})
				send()
				return
			default:
				b.items = append(b.items, enc.encode(b, int64(record), e))
			}
			if (len(b.items) >= 256 || len(b.buf) >= maxBatchBytes) && !send() {
				return
			}
		}
	}()
	var once sync.Once
	return out, func() {
		once.Do(func() { close(quit) })
		<-finished
	}
}

func (s *source) Next() bool {
	for {
		for s.cur == nil || s.i == len(s.cur.items) { // a batch may be empty (the input ended right after one was sent)
			if s.cur != nil {
				select { // the rows are in the spool: the buffer may be filled again
				case s.free <- s.cur:
				default:
				}
			}
			b, ok := <-s.in
			if !ok {
				s.cur = nil
				return false
			}
			s.cur, s.i = b, 0
			continue // a batch may be empty (an input without events)
		}
		it := &s.cur.items[s.i]
		s.i++
		if it.err != nil {
			s.err = it.err
			return false
		}
		if it.counted {
			s.res.Read++
			if s.opt.Progress != nil && s.res.Read%4096 == 0 {
				s.opt.Progress(s.res.Read)
			}
		}
		if it.skippd {
			s.res.Skipped++
			continue
		}
		if !it.counted {
			continue
		}
		s.months[it.month.Unix()] = it.month
		if err := s.sp.put(s.sp.ev, it.seq, s.cur.buf[it.ev:it.doc]); err != nil {
			s.err = err
			return false
		}
		if err := s.sp.put(s.sp.docs, it.seq, s.cur.buf[it.doc:it.end]); err != nil {
			s.err = err
			return false
		}
		s.vals = append(s.vals[:0], it.seq, it.key, it.source, it.id, it.hash[:])
		return true
	}
}

func (s *source) Values() ([]any, error) { return s.vals, nil }
func (s *source) Err() error             { return s.err }

// encoder makes a record's two rows in COPY's binary format.
type encoder struct {
	tok    *store.Tokenizer
	rh     *chain.RowHasher
	preset func(*audit.Event) int64 // store.ImportOptions.Key
}

func (c *encoder) encode(b *batch, seq int64, e *audit.Event) item {
	key, _ := store.EventKey(e.Time, e.Source, e.ID)
	if c.preset != nil {
		if k := c.preset(e); k != 0 && k>>store.SlotBits == key>>store.SlotBits {
			key = k // the key it had in the store it is copied from
		}
	}
	it := item{seq: seq, key: key, source: e.Source, id: e.ID, month: monthStart(e.Time), counted: true,
		hash: chain.EventRowHash(c.rh, e)}

	// The events row (columns as eventCols).
	it.ev = len(b.buf)
	t := tupleBuf{b: b.buf}
	t.fields(25)
	t.int64(key)
	t.text(e.Source)
	t.text(e.ID)
	t.int64(e.Time.UnixNano())
	for _, v := range [...]string{e.Service, e.Action, e.Category, e.WorkflowID, e.WorkflowType, e.Actor, e.ActorID,
		e.ActorType, e.Target, e.TargetID, e.TargetType, e.IP} {
		t.text(v)
	}
	if a, err := netip.ParseAddr(strings.TrimSpace(e.IP)); err == nil && a.Zone() == "" {
		t.inet(a.Unmap())
	} else {
		t.null()
	}
	for _, v := range [...]string{e.Client, e.UserAgent, string(e.Status), e.Error} {
		t.text(v)
	}
	if e.DurationMS != nil {
		t.int64(int64(*e.DurationMS))
	} else {
		t.null()
	}
	t.text(e.Tenant)
	t.text(e.Description)
	t.tsvector(lexemes(c.tok.Document(e)))

	// The event_docs row (columns as docCols).
	it.doc = len(t.b)
	t.fields(8)
	t.int64(key)
	for _, v := range [...][]byte{e.Geo, e.Params, e.Custom, e.Before, e.After, e.Raw} {
		if len(v) == 0 {
			t.null()
		} else {
			t.bytes(v)
		}
	}
	t.text(store.PhraseText(e))
	it.end = len(t.b)
	b.buf = t.b
	return it
}

// storable refuses what PostgreSQL's text cannot hold: a NUL character or
// bytes that are not UTF-8.
func storable(e *audit.Event) (field, msg string) {
	for _, f := range []struct {
		name, v string
	}{{"source", e.Source}, {"id", e.ID}, {"service", e.Service}, {"action", e.Action}, {"category", e.Category},
		{"workflow_id", e.WorkflowID}, {"workflow_type", e.WorkflowType}, {"actor", e.Actor}, {"actor_id", e.ActorID},
		{"actor_type", e.ActorType}, {"target", e.Target}, {"target_id", e.TargetID}, {"target_type", e.TargetType},
		{"ip", e.IP}, {"client", e.Client}, {"user_agent", e.UserAgent}, {"status", string(e.Status)}, {"error", e.Error},
		{"tenant", e.Tenant}, {"description", e.Description},
		{"geo", string(e.Geo)}, {"params", string(e.Params)}, {"custom", string(e.Custom)}, {"before", string(e.Before)},
		{"after", string(e.After)}, {"raw", string(e.Raw)}} {
		if strings.IndexByte(f.v, 0) >= 0 {
			return f.name, "holds a NUL character, which PostgreSQL cannot store"
		}
		if !utf8.ValidString(f.v) {
			return f.name, "is not valid UTF-8, which PostgreSQL cannot store"
		}
	}
	return "", ""
}

// spool holds a file's encoded rows between reading it and the inserting
// transaction (which may run more than once: a key taken meanwhile by
// another importer means a retry). Two temporary files, one per table,
// each a run of records: record number (8 bytes), tuple length (4 bytes),
// the tuple as COPY's binary format has it. The files are removed as soon
// as they are made where the system allows (Unix), so a killed import
// leaves nothing behind; elsewhere at close.
type spool struct {
	ev, docs *spoolFile
}

type spoolFile struct {
	f *os.File
	w *bufio.Writer
}

func newSpool() (*spool, error) {
	sp := &spool{}
	for _, p := range []**spoolFile{&sp.ev, &sp.docs} {
		f, err := os.CreateTemp("", "auditctl-import-*")
		if err != nil {
			sp.close()
			return nil, audit.Errorf(audit.ELOCAL, "import spool: %v", err)
		}
		_ = os.Remove(f.Name()) // Unix: gone with the process whatever happens
		*p = &spoolFile{f: f, w: bufio.NewWriterSize(f, 1<<20)}
	}
	return sp, nil
}

func (sp *spool) close() {
	for _, s := range []*spoolFile{sp.ev, sp.docs} {
		if s != nil {
			s.f.Close()
			_ = os.Remove(s.f.Name())
		}
	}
}

func (sp *spool) put(s *spoolFile, seq int64, tuple []byte) error {
	var hdr [12]byte
	binary.BigEndian.PutUint64(hdr[:8], uint64(seq))
	binary.BigEndian.PutUint32(hdr[8:], uint32(len(tuple)))
	if _, err := s.w.Write(hdr[:]); err != nil {
		return audit.Errorf(audit.ELOCAL, "import spool: %v", err)
	}
	if _, err := s.w.Write(tuple); err != nil {
		return audit.Errorf(audit.ELOCAL, "import spool: %v", err)
	}
	return nil
}

func (sp *spool) flush() error {
	for _, s := range []*spoolFile{sp.ev, sp.docs} {
		if err := s.w.Flush(); err != nil {
			return audit.Errorf(audit.ELOCAL, "import spool: %v", err)
		}
	}
	return nil
}

// copyHeader and copyTrailer frame COPY's binary format.
var (
	copyHeader  = []byte("PGCOPY\n\xff\r\n\x00\x00\x00\x00\x00\x00\x00\x00\x00")
	copyTrailer = []byte{0xff, 0xff}
)

// insert stores the spooled rows of the records in keep into table
// (columns cols): by COPY, or, under row-level security, by COPY into a
// temporary table like it and INSERT from there.
func (sp *spool) insert(ctx context.Context, tx pgx.Tx, s *spoolFile, table, cols string, keep []kept, rls bool) error {
	pc := tx.Conn().PgConn()
	if !rls {
		return sp.copyTo(ctx, pc, s, "COPY "+table+" ("+cols+") FROM STDIN (FORMAT binary)", keep)
	}
	tmp := "auditctl_rows_" + table
	if _, err := tx.Exec(ctx, "CREATE TEMP TABLE IF NOT EXISTS "+tmp+" (LIKE "+table+"); TRUNCATE "+tmp); err != nil {
		return err
	}
	if err := sp.copyTo(ctx, pc, s, "COPY "+tmp+" ("+cols+") FROM STDIN (FORMAT binary)", keep); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, "INSERT INTO "+table+" ("+cols+") SELECT "+cols+" FROM "+tmp+"; TRUNCATE "+tmp)
	return err
}

// copyTo runs sql (a COPY … FROM STDIN in binary) fed with the spooled
// tuples of the records in keep (sorted by record number), each with its
// final key as its first field.
func (sp *spool) copyTo(ctx context.Context, pc *pgconn.PgConn, s *spoolFile, sql string, keep []kept) error {
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		err := writeKept(pw, s.f, keep)
		pw.CloseWithError(err)
		done <- err
	}()
	_, err := pc.CopyFrom(ctx, pr, sql)
	pr.CloseWithError(errors.New("copy ended"))
	if werr := <-done; werr != nil && err == nil {
		err = werr
	}
	return err
}

func writeKept(pw io.Writer, f *os.File, keep []kept) error {
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return audit.Errorf(audit.ELOCAL, "import spool: %v", err)
	}
	r := bufio.NewReaderSize(f, 1<<20)
	w := bufio.NewWriterSize(pw, 1<<16)
	w.Write(copyHeader)
	var hdr [12]byte
	var tup []byte
	for _, k := range keep {
		for {
			if _, err := io.ReadFull(r, hdr[:]); err != nil {
				return audit.Errorf(audit.ELOCAL, "import spool: record %d: %v", k.seq, err)
			}
			seq := int64(binary.BigEndian.Uint64(hdr[:8]))
			n := int(binary.BigEndian.Uint32(hdr[8:]))
			if seq != k.seq {
				if seq > k.seq {
					return audit.Errorf(audit.EINTERNAL, "import spool: record %d missing", k.seq)
				}
				if _, err := r.Discard(n); err != nil {
					return audit.Errorf(audit.ELOCAL, "import spool: %v", err)
				}
				continue
			}
			tup = slices.Grow(tup[:0], n)[:n]
			if _, err := io.ReadFull(r, tup); err != nil {
				return audit.Errorf(audit.ELOCAL, "import spool: %v", err)
			}
			// The key is the first field: 2 bytes of field count, 4 of
			// length, then 8.
			binary.BigEndian.PutUint64(tup[6:14], uint64(k.id))
			if _, err := w.Write(tup); err != nil {
				return err
			}
			break
		}
	}
	w.Write(copyTrailer)
	return w.Flush()
}

// tupleBuf builds one tuple of COPY's binary format.
type tupleBuf struct{ b []byte }

func (t *tupleBuf) fields(n int) { t.b = binary.BigEndian.AppendUint16(t.b, uint16(n)) }

func (t *tupleBuf) null() { t.b = binary.BigEndian.AppendUint32(t.b, 0xffffffff) }

func (t *tupleBuf) int64(v int64) {
	t.b = binary.BigEndian.AppendUint32(t.b, 8)
	t.b = binary.BigEndian.AppendUint64(t.b, uint64(v))
}

func (t *tupleBuf) text(s string) {
	t.b = binary.BigEndian.AppendUint32(t.b, uint32(len(s)))
	t.b = append(t.b, s...)
}

// bytes is a json value: its binary form is its text.
func (t *tupleBuf) bytes(v []byte) {
	t.b = binary.BigEndian.AppendUint32(t.b, uint32(len(v)))
	t.b = append(t.b, v...)
}

// inet: family (2 IPv4, 3 IPv6), prefix bits, is_cidr 0, address length,
// the address.
func (t *tupleBuf) inet(a netip.Addr) {
	raw := a.AsSlice()
	fam, bits := byte(2), byte(32)
	if a.Is6() {
		fam, bits = 3, 128
	}
	t.b = binary.BigEndian.AppendUint32(t.b, uint32(4+len(raw)))
	t.b = append(t.b, fam, bits, 0, byte(len(raw)))
	t.b = append(t.b, raw...)
}

// tsvector: lexeme count, then each lexeme NUL-terminated with no
// positions, sorted and distinct as the server keeps them (byte order,
// shorter first), so it has nothing to sort.
func (t *tupleBuf) tsvector(lex []string) {
	slices.Sort(lex)
	lex = slices.Compact(lex)
	at := len(t.b)
	t.b = append(t.b, 0, 0, 0, 0)
	t.b = binary.BigEndian.AppendUint32(t.b, uint32(len(lex)))
	for _, l := range lex {
		t.b = append(t.b, l...)
		t.b = append(t.b, 0, 0, 0)
	}
	binary.BigEndian.PutUint32(t.b[at:], uint32(len(t.b)-at-4))
}
