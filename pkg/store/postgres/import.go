package postgres

import (
	"bufio"
	"bytes"
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

// Import stores every event of r, in one transaction, while it reads r:
//
//   - A goroutine reads the records, validates, keys and tokenizes each,
//     and encodes it once as the binary COPY rows of events and event_docs
//     and of its identity (record number, key, source, id, chain hash).
//     The rows go to spool files of this process (deleted as soon as they
//     are made, so nothing outlives the process), and every chunkRows
//     records the goroutine hands over a chunk: where its rows lie in the
//     spool and which months it needs.
//   - Meanwhile the transaction stores the chunks in turn: the months'
//     partitions are made (from another connection, see migration 7), the
//     identities are COPYed into a small temporary staging table of this
//     connection, repeated identities within the chunk dropped (the first
//     record stands), keys another event holds moved to a free slot, the
//     identities inserted into event_ids ON CONFLICT DO NOTHING (sorted,
//     so concurrent importers lock in one order), which returns the records
//     that went in (an identity an earlier chunk of the file inserted does
//     not: the first record stands), and those records' rows are COPYed
//     from the spool straight into events and event_docs, in binary, and
//     sealed into the import's chain batch.
//   - After the last chunk the batch record is appended and the
//     transaction commits.
//
// So the server stores one chunk while the next is read, a file is stored
// whole or not at all (an invalid record rolls the transaction back),
// readers see it appear at once, importing it again adds nothing, and
// concurrent importers (on any machine) of the same events store each
// once: the second waits on the first's uncommitted identity and then
// skips it. When the transaction must start again (a key taken meanwhile
// by another importer, a deadlock between two importers, a month that
// could not be made while it was open), it replays the chunks from the
// spool. The transaction commits with synchronous_commit off: it is still
// atomic, but a server crash in the instant after the commit may lose this
// last file (import it again: that adds nothing twice).
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
	chunks, stop := readChunks(r, opt, sp)
	res, err := db.importOn(ctx, conn, sp, chunks)
	// Cancelled: the reader may be blocked in r.Next (a terminal nobody
	// types at); it is told to quit and not waited for (its writes to the
	// closed spool fail, and it calls nothing after it sees the quit).
	stop(ctx.Err() == nil)
	if opt.Progress != nil {
		opt.Progress(res.Read)
	}
	if err != nil {
		if ctx.Err() != nil {
			return audit.ImportResult{}, ctx.Err()
		}
		return audit.ImportResult{}, db.wrap(err)
	}
	return res, nil
}

// The staging table holds one chunk's identities (and each row's chain
// hash): the rows themselves wait in the spool.
const stageCols = `seq bigint NOT NULL, id bigint NOT NULL, source text COLLATE "C", ext_id text COLLATE "C", hash bytea`

const eventCols = `id, source, ext_id, time_ns, service, action, category, workflow_id, workflow_type,
	actor, actor_id, actor_type, target, target_id, target_type, ip, ipaddr, client, user_agent,
	status, error, duration_ms, tenant, description, tsv`

const docCols = `id, geo, params, custom, before, after, raw, ptext`

// errMonthBusy: a month's partitions could not be made while the import's
// transaction was open (another session waits for a lock on events that
// the transaction holds, and the attach queues behind it).
var errMonthBusy = errors.New("partition of a new month: lock wait")

func (db *DB) importOn(ctx context.Context, conn *pgxpool.Conn, sp *spool, in <-chan chunk) (audit.ImportResult, error) {
	if _, err := conn.Exec(ctx, "CREATE TEMP TABLE IF NOT EXISTS auditctl_stage ("+stageCols+"); TRUNCATE auditctl_stage"); err != nil {
		return audit.ImportResult{}, fmt.Errorf("staging table: %w", err)
	}
	defer conn.Exec(context.WithoutCancel(ctx), "TRUNCATE auditctl_stage")
	// The chunks received so far: a transaction that starts again stores
	// them again from the spool.
	var got []chunk
	var inputErr error
	at := func(i int) *chunk {
		if i == len(got) {
			var c chunk
			var ok bool
			select {
			case c, ok = <-in:
			case <-ctx.Done(): // the input may be a terminal nobody types at
				inputErr = ctx.Err()
				return nil
			}
			if !ok {
				return nil
			}
			if c.err != nil {
				inputErr = c.err
				got = append(got, chunk{read: c.read, skipped: c.skipped}) // for counts
				return nil
			}
			got = append(got, c)
		}
		return &got[i]
	}
	// The records read and skipped so far (the last chunk has the totals),
	// for the progress line even when the import fails.
	counts := func() audit.ImportResult {
		if len(got) == 0 {
			return audit.ImportResult{}
		}
		last := got[len(got)-1]
		return audit.ImportResult{Read: last.read, Skipped: last.skipped}
	}
	for attempt := 0; ; attempt++ {
		n := 0
		err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			n = 0
			// No JIT: its compilation of each chunk's statements would
			// cost more than it saves on a chunk.
			if _, err := tx.Exec(ctx, "SET LOCAL synchronous_commit = off; SET LOCAL jit = off"); err != nil {
				return err
			}
			// Row-level security (db init --rls) refuses COPY into the
			// tables for a role it applies to: then the rows go through a
			// temporary table and INSERT, where the policies check them.
			var rls bool
			if err := tx.QueryRow(ctx, "SELECT row_security_active('events') OR row_security_active('event_docs')").Scan(&rls); err != nil {
				return err
			}
			b := chain.NewBatch(newBatchID())
			for i := 0; ; i++ {
				c := at(i)
				if c == nil {
					break
				}
				for _, m := range c.months {
					if err := db.ensureMonth(ctx, m, true); err != nil {
						return err
					}
				}
				k, err := storeChunk(ctx, tx, sp, c, rls, b)
				if err != nil {
					return err
				}
				n += k
			}
			if inputErr != nil {
				return inputErr
			}
			if n == 0 {
				return nil
			}
			if err := sealBatch(ctx, tx, b); err != nil {
				return err
			}
			return notifyImported(ctx, tx, int64(n))
		})
		if inputErr != nil {
			return counts(), inputErr
		}
		var pe *pgconn.PgError
		if err != nil && attempt < 8 && errors.As(err, &pe) && (pe.Code == "23505" || pe.Code == "40P01") {
			// Another importer took a key this file chose meanwhile
			// (same microsecond and slot), or the two waited on each
			// other: choose again and retry.
			continue
		}
		if err != nil && attempt < 8 && errors.Is(err, errMonthBusy) {
			// Make the months with the transaction closed, then retry.
			for _, c := range got {
				for _, m := range c.months {
					if err := db.ensureMonth(ctx, m, false); err != nil {
						return counts(), err
					}
				}
			}
			continue
		}
		if err != nil {
			var ae *audit.Error
			if errors.As(err, &ae) {
				return counts(), err
			}
			return counts(), fmt.Errorf("insert: %w", err)
		}
		res := counts()
		res.Inserted = n
		return res, nil
	}
}

// storeChunk stores the records of chunk c that are new, in tx, and adds
// them to the import's chain batch b. It returns how many went in.
func storeChunk(ctx context.Context, tx pgx.Tx, sp *spool, c *chunk, rls bool, b *chain.Batch) (int, error) {
	if c.rows == 0 {
		return 0, nil
	}
	if _, err := tx.Exec(ctx, "TRUNCATE auditctl_stage"); err != nil {
		return 0, fmt.Errorf("staging table: %w", err)
	}
	if err := copyRegion(ctx, tx.Conn().PgConn(), "COPY auditctl_stage (seq, id, source, ext_id, hash) FROM STDIN (FORMAT binary)", sp.ids, c.ids); err != nil {
		return 0, fmt.Errorf("stage: %w", err)
	}
	// The staging table is temporary: autovacuum never analyzes it, and
	// without statistics the joins below run as nested loops.
	if _, err := tx.Exec(ctx, "ANALYZE auditctl_stage"); err != nil {
		return 0, fmt.Errorf("analyze: %w", err)
	}
	// Within the chunk, an identity met again is a duplicate: the first
	// record stands, as in the SQLite store. (Across chunks, event_ids
	// refuses the later one below.)
	if _, err := tx.Exec(ctx, `DELETE FROM auditctl_stage s USING auditctl_stage t
		WHERE s.source = t.source AND s.ext_id = t.ext_id AND s.seq > t.seq`); err != nil {
		return 0, fmt.Errorf("dedupe: %w", err)
	}
	// An identity already stored (by another import, or by an earlier
	// chunk of this file) goes no further: it must not take a key slot
	// from an event that is new, as it does not in the cache. (One a
	// concurrent importer has not committed yet is refused by ON
	// CONFLICT below.) Probed identity by identity, as the slots are.
	if _, err := tx.Exec(ctx, `DELETE FROM auditctl_stage s USING (
	SELECT t.seq FROM auditctl_stage t CROSS JOIN LATERAL (
		SELECT 1 FROM event_ids i WHERE i.source = t.source AND i.ext_id = t.ext_id LIMIT 1) x) known
WHERE s.seq = known.seq`); err != nil {
		return 0, fmt.Errorf("dedupe: %w", err)
	}
	if err := resolveSlots(ctx, tx); err != nil {
		return 0, err
	}
	// The records whose identity went in, with their keys (perhaps moved
	// to another slot), in file order.
	rows, err := tx.Query(ctx, `
WITH ins AS (
	INSERT INTO event_ids (source, ext_id, id)
	SELECT source, ext_id, id FROM auditctl_stage ORDER BY source, ext_id
	ON CONFLICT (source, ext_id) DO NOTHING
	RETURNING id
)
SELECT s.seq, s.id, s.hash FROM auditctl_stage s JOIN ins USING (id) ORDER BY s.seq`)
	if err != nil {
		return 0, err
	}
	var keep []kept
	for rows.Next() {
		var k kept
		var h []byte
		if err := rows.Scan(&k.seq, &k.id, &h); err != nil {
			rows.Close()
			return 0, err
		}
		copy(k.hash[:], h)
		keep = append(keep, k)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	if len(keep) == 0 {
		return 0, nil
	}
	if err := sp.insert(ctx, tx, sp.ev, c.ev, "events", eventCols, keep, rls); err != nil {
		return 0, err
	}
	if err := sp.insert(ctx, tx, sp.docs, c.docs, "event_docs", docCols, keep, rls); err != nil {
		return 0, err
	}
	if err := sealRows(ctx, tx, b, keep); err != nil {
		return 0, err
	}
	return len(keep), nil
}

// kept is a record whose identity went in, its final key and its row hash.
type kept struct {
	seq, id int64
	hash    chain.Hash
}

// resolveSlots moves staged events whose key another event holds (a
// different event in the same microsecond and slot, stored, stored by this
// transaction or staged) to the next free slot of their microsecond, as
// the SQLite store does. The stored events are probed key by key (the
// LATERAL … LIMIT 1 keeps the planner from hashing the whole of events,
// which it would do once per chunk).
func resolveSlots(ctx context.Context, tx pgx.Tx) error {
	for round := 0; round < 8; round++ {
		rows, err := tx.Query(ctx, `
SELECT seq, id FROM (
	SELECT seq, id, source, ext_id, first_value(source) OVER w AS fs, first_value(ext_id) OVER w AS fe
	FROM auditctl_stage WINDOW w AS (PARTITION BY id ORDER BY seq)) x
WHERE source <> fs OR ext_id <> fe
UNION
SELECT s.seq, s.id FROM auditctl_stage s CROSS JOIN LATERAL (
	SELECT 1 FROM events e WHERE e.id = s.id AND (e.source <> s.source OR e.ext_id <> s.ext_id) LIMIT 1) x
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
		rows, err = tx.Query(ctx, `
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
		if _, err := tx.Exec(ctx, `UPDATE auditctl_stage s SET id = u.id FROM unnest($1::bigint[], $2::bigint[]) u(seq, id) WHERE s.seq = u.seq`, seqs, keys); err != nil {
			return fmt.Errorf("key slots: %w", err)
		}
	}
	return errors.New("key slots: did not settle")
}

// chunkRows is how many records a chunk holds (fewer when their rows pass
// chunkBytes): small enough that the server starts soon after the reading
// does, large enough that each chunk's fixed round trips do not count.
var chunkRows = 1 << 14

const chunkBytes = 64 << 20

// A chunk is a run of records read: where their rows lie in the spool,
// how many identities it holds, the months first met in it, the records
// read and skipped so far (the last chunk has the totals), or err, which
// ends the input.
type chunk struct {
	ids, ev, docs region
	rows          int
	months        []time.Time
	read, skipped int
	err           error
}

// region is a byte range of a spool file.
type region struct{ off, end int64 }

// readChunks reads r on a goroutine into the spool, handing over a chunk
// every chunkRows records and a last one (perhaps empty) at the end of the
// input. An invalid record ends the input with an error naming file,
// record and field (or is skipped with SkipInvalid). stop(true) makes the
// goroutine quit early and waits for it, so r is no longer in use when
// stop returns; stop(false) does not wait (the import was cancelled, and
// r may never return).
func readChunks(r audit.EventReader, opt store.ImportOptions, sp *spool) (<-chan chunk, func(wait bool)) {
	// Room for every chunk of a very large file: the reading never waits
	// for the server (the rows wait on disk).
	out := make(chan chunk, 1<<14)
	quit := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		defer close(out)
		enc := encoder{tok: store.NewTokenizer(), rh: chain.NewRowHasher(), preset: opt.Key}
		seen := map[int64]bool{}
		var c chunk
		begin := func() {
			c = chunk{ids: region{sp.ids.n, 0}, ev: region{sp.ev.n, 0}, docs: region{sp.docs.n, 0}, read: c.read, skipped: c.skipped}
		}
		send := func(err error) bool {
			if err == nil {
				err = sp.flush()
			}
			c.ids.end, c.ev.end, c.docs.end, c.err = sp.ids.n, sp.ev.n, sp.docs.n, err
			select {
			case out <- c:
				begin()
				return err == nil
			case <-quit:
				return false
			}
		}
		begin()
		for record := 1; ; record++ {
			select {
			case <-quit:
				return
			default:
			}
			e, err := r.Next()
			if err == io.EOF {
				send(nil)
				return
			}
			if err != nil {
				var ie *audit.InputError
				if opt.SkipInvalid && errors.As(err, &ie) && !ie.Fatal {
					c.read++
					c.skipped++
					continue
				}
				send(err)
				return
			}
			c.read++
			if opt.Progress != nil && c.read%4096 == 0 {
				select {
				case <-quit: // the import returned: nothing more to say
					return
				default:
					opt.Progress(c.read)
				}
			}
			field, msg := store.Validate(e)
			if field == "" {
				field, msg = storable(e)
			}
			if field != "" {
				if opt.SkipInvalid {
					c.skipped++
					continue
				}
				send(&audit.InputError{File: opt.Name, Record: record, Field: field, Err: errors.New(msg)})
				return
			}
			m, err := enc.encode(sp, int64(record), e)
			if err != nil {
				send(err)
				return
			}
			if !seen[m.Unix()] {
				seen[m.Unix()] = true
				c.months = append(c.months, m)
			}
			c.rows++
			if (c.rows >= chunkRows || sp.ev.n+sp.docs.n-c.ev.off-c.docs.off >= chunkBytes) && !send(nil) {
				return
			}
		}
	}()
	var once sync.Once
	return out, func(wait bool) {
		once.Do(func() { close(quit) })
		if wait {
			<-finished
		}
	}
}

// encoder makes a record's rows in COPY's binary format.
type encoder struct {
	tok    *store.Tokenizer
	rh     *chain.RowHasher
	preset func(*audit.Event) int64 // store.ImportOptions.Key
	t      tupleBuf
}

// encode writes record seq's three rows to the spool (its identity, its
// events row, its event_docs row) and returns its month.
func (c *encoder) encode(sp *spool, seq int64, e *audit.Event) (time.Time, error) {
	key, _ := store.EventKey(e.Time, e.Source, e.ID)
	if c.preset != nil {
		if k := c.preset(e); k != 0 && k>>store.SlotBits == key>>store.SlotBits {
			key = k // the key it had in the store it is copied from
		}
	}
	t := &c.t

	// The identity (columns of the staging table).
	t.b = t.b[:0]
	t.fields(5)
	t.int64(seq)
	t.int64(key)
	t.text(e.Source)
	t.text(e.ID)
	h := chain.EventRowHash(c.rh, e)
	t.bytes(h[:])
	if err := sp.ids.write(t.b); err != nil {
		return time.Time{}, err
	}

	// The events row (columns as eventCols).
	t.b = t.b[:0]
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
	if err := sp.ev.put(seq, t.b); err != nil {
		return time.Time{}, err
	}

	// The event_docs row (columns as docCols).
	t.b = t.b[:0]
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
	if err := sp.docs.put(seq, t.b); err != nil {
		return time.Time{}, err
	}
	return monthStart(e.Time), nil
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

// spool holds a file's encoded rows between reading them and the
// inserting transaction (which may run more than once: a key taken
// meanwhile by another importer means a retry). Three temporary files:
// the identities, COPY's binary tuples one after the other; and the rows
// of events and of event_docs, each a run of records: record number (8
// bytes), tuple length (4 bytes), the tuple. The reading goroutine
// appends; the transaction reads regions it was handed (pread: the file's
// offset is the writer's alone). The files are removed as soon as they
// are made where the system allows (Unix), so a killed import leaves
// nothing behind; elsewhere at close.
type spool struct {
	ids, ev, docs *spoolFile
}

type spoolFile struct {
	f *os.File
	w *bufio.Writer
	n int64 // bytes written (flushed or not)
}

func newSpool() (*spool, error) {
	sp := &spool{}
	for _, p := range []**spoolFile{&sp.ids, &sp.ev, &sp.docs} {
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
	for _, s := range []*spoolFile{sp.ids, sp.ev, sp.docs} {
		if s != nil {
			s.f.Close()
			_ = os.Remove(s.f.Name())
		}
	}
}

func (s *spoolFile) write(p []byte) error {
	if _, err := s.w.Write(p); err != nil {
		return audit.Errorf(audit.ELOCAL, "import spool: %v", err)
	}
	s.n += int64(len(p))
	return nil
}

func (s *spoolFile) put(seq int64, tuple []byte) error {
	var hdr [12]byte
	binary.BigEndian.PutUint64(hdr[:8], uint64(seq))
	binary.BigEndian.PutUint32(hdr[8:], uint32(len(tuple)))
	if err := s.write(hdr[:]); err != nil {
		return err
	}
	return s.write(tuple)
}

func (s *spoolFile) section(r region) *io.SectionReader {
	return io.NewSectionReader(s.f, r.off, r.end-r.off)
}

func (sp *spool) flush() error {
	for _, s := range []*spoolFile{sp.ids, sp.ev, sp.docs} {
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

// copyRegion runs sql (a COPY … FROM STDIN in binary) fed with the tuples
// of region r of s as they are.
func copyRegion(ctx context.Context, pc *pgconn.PgConn, sql string, s *spoolFile, r region) error {
	body := io.MultiReader(bytes.NewReader(copyHeader), s.section(r), bytes.NewReader(copyTrailer))
	_, err := pc.CopyFrom(ctx, body, sql)
	return err
}

// insert stores the spooled rows (region r of s) of the records in keep
// into table (columns cols): by COPY, or, under row-level security, by
// COPY into a temporary table like it and INSERT from there.
func (sp *spool) insert(ctx context.Context, tx pgx.Tx, s *spoolFile, r region, table, cols string, keep []kept, rls bool) error {
	pc := tx.Conn().PgConn()
	if !rls {
		return copyKept(ctx, pc, s.section(r), "COPY "+table+" ("+cols+") FROM STDIN (FORMAT binary)", keep)
	}
	tmp := "auditctl_rows_" + table
	if _, err := tx.Exec(ctx, "CREATE TEMP TABLE IF NOT EXISTS "+tmp+" (LIKE "+table+"); TRUNCATE "+tmp); err != nil {
		return err
	}
	if err := copyKept(ctx, pc, s.section(r), "COPY "+tmp+" ("+cols+") FROM STDIN (FORMAT binary)", keep); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, "INSERT INTO "+table+" ("+cols+") SELECT "+cols+" FROM "+tmp+"; TRUNCATE "+tmp)
	return err
}

// copyKept runs sql (a COPY … FROM STDIN in binary) fed with the spooled
// tuples in src of the records in keep (sorted by record number), each
// with its final key as its first field.
func copyKept(ctx context.Context, pc *pgconn.PgConn, src io.Reader, sql string, keep []kept) error {
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		err := writeKept(pw, src, keep)
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

func writeKept(pw io.Writer, src io.Reader, keep []kept) error {
	r := bufio.NewReaderSize(src, 1<<20)
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
