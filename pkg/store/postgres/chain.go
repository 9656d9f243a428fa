package postgres

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	mrand "math/rand/v2"

	"github.com/auditctl/auditctl/pkg/chain"
	"github.com/auditctl/auditctl/pkg/store"
	"github.com/jackc/pgx/v5"
)

// Tamper evidence (package chain; docs/postgres.md, "Tamper evidence"):
// the same chain as the SQLite cache's, over the same row hashes
// (chain.EventRowHash, store.SessionRowHash).
//
//   - chain: the records, in seq order; each links to the one before.
//   - chain_rows: one row per sealed event, keyed like the event: the batch
//     and segment it was sealed in, and its row hash.
//
// An import is one batch: each record's row hash is computed as it is
// read (and staged with its identity), and the transaction that inserts
// the file's new events writes their chain_rows as each chunk goes in and
// appends the batch record, last, under an advisory lock (lockChain) that orders the
// appends of concurrent importers: the record takes the next seq after the
// newest committed one, and the primary key on seq refuses a second record
// of the same seq whatever happens. The lock is held from the append to the
// commit only. (A row lock on a head row would need UPDATE on it, a right
// the ingest role must not have.) A session row is sealed by a record of
// its own in the transaction that writes it (sealSession), as in the cache.

// lockChain is the advisory lock key of chain appends (lockMigrate+2).
const lockChain = lockMigrate + 2

// chainMigration creates the chain's tables (and an index of event_ids by
// key, which retention deletes by). Stores filled before it are sealed by
// sealExisting in the same transaction.
const chainMigration = `
CREATE TABLE chain (
	seq     bigint PRIMARY KEY,
	kind    text COLLATE "C" NOT NULL,
	batch   bigint NOT NULL,
	rows    bigint NOT NULL,
	time_ns bigint NOT NULL,
	body    bytea NOT NULL,
	digest  bytea NOT NULL,
	link    bytea NOT NULL,
	sig     bytea
);
CREATE TABLE chain_rows (
	id    bigint PRIMARY KEY,
	batch bigint NOT NULL,
	seg   int NOT NULL,
	hash  bytea NOT NULL
);
CREATE INDEX event_ids_id ON event_ids (id);
`

// newBatchID returns a batch id: random, so that concurrent importers
// need not agree on one (as in the cache).
func newBatchID() int64 { return mrand.Int64N(1<<62) + 1 }

// SetSigner sets where a legitimate deletion (retention) gets the key
// that signs its checkpoint.
func (db *DB) SetSigner(fn func() (ed25519.PrivateKey, error)) { db.signer = fn }

// sealRows seals, in the import's transaction tx, the events a chunk of
// it inserted (keep, in record order): each takes the next place of the
// import's batch b, and its chain_rows row says which segment that is.
func sealRows(ctx context.Context, tx pgx.Tx, b *chain.Batch, keep []kept) error {
	rows := make([][]any, len(keep))
	for i := range keep {
		k := &keep[i]
		rows[i] = []any{k.id, b.ID, int32(b.Add(k.id, k.hash)), k.hash[:]}
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"chain_rows"}, []string{"id", "batch", "seg", "hash"}, pgx.CopyFromRows(rows)); err != nil {
		return fmt.Errorf("seal: %w", err)
	}
	return nil
}

// sealBatch appends the import's batch record, once its rows are sealed.
func sealBatch(ctx context.Context, tx pgx.Tx, b *chain.Batch) error {
	return appendRecord(ctx, tx, &chain.Record{Kind: chain.RecordBatch, Batch: b.ID, Rows: int64(b.Rows()), Body: chain.BatchBody(b.Segments())}, nil)
}

// appendRecord appends r after the newest record, in tx (READ COMMITTED),
// under lockChain: call it last in the transaction, so that the lock is
// held until the commit only briefly.
func appendRecord(ctx context.Context, tx pgx.Tx, r *chain.Record, key ed25519.PrivateKey) error {
	if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", int64(lockChain)); err != nil {
		return fmt.Errorf("chain lock: %w", err)
	}
	seq, prev, err := lastLink(ctx, tx)
	if err != nil {
		return err
	}
	r.Next(seq, prev, key)
	_, err = tx.Exec(ctx, rebind(chain.InsertSQL), r.InsertArgs()...)
	if err != nil {
		return fmt.Errorf("append chain record: %w", err)
	}
	return nil
}

type queryRower interface {
	QueryRow(context.Context, string, ...any) pgx.Row
}

// lastLink returns the seq and link of the newest record (0 and the zero
// hash when there is none).
func lastLink(ctx context.Context, q queryRower) (int64, chain.Hash, error) {
	var seq int64
	var link []byte
	var h chain.Hash
	err := q.QueryRow(ctx, "SELECT seq, link FROM chain ORDER BY seq DESC LIMIT 1").Scan(&seq, &link)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, h, nil
	}
	if err != nil {
		return 0, h, fmt.Errorf("chain head: %w", err)
	}
	copy(h[:], link)
	return seq, h, nil
}

// sealExisting seals the events a store held before the chain's migration
// as one batch, reading them in key order a page at a time.
func sealExisting(ctx context.Context, tx pgx.Tx) error {
	b := chain.NewBatch(newBatchID())
	rh := chain.NewRowHasher()
	last := int64(-1 << 63)
	for {
		rows, err := tx.Query(ctx, "SELECT "+selectCols+", e.id FROM events e LEFT JOIN event_docs d ON d.id = e.id WHERE e.id > $1 ORDER BY e.id LIMIT 4096", last)
		if err != nil {
			return err
		}
		var page [][]any
		for rows.Next() {
			var key int64
			e, err := scanEvent(rows, &key)
			if err != nil {
				rows.Close()
				return err
			}
			h := chain.EventRowHash(rh, e)
			seg := b.Add(key, h)
			page = append(page, []any{key, b.ID, seg, h[:]})
			last = key
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if len(page) == 0 {
			break
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"chain_rows"}, []string{"id", "batch", "seg", "hash"}, pgx.CopyFromRows(page)); err != nil {
			return err
		}
	}
	if b.Rows() == 0 {
		return nil
	}
	return appendRecord(ctx, tx, &chain.Record{Kind: chain.RecordBatch, Batch: b.ID, Rows: int64(b.Rows()), Body: chain.BatchBody(b.Segments())}, nil)
}

// sealSession reads back, in tx, the stored row of session id and appends
// a record of its hash: the cache's record for the same row
// (store.SessionRowHash), one per write, as the cache seals them.
func sealSession(ctx context.Context, tx pgx.Tx, id string) error {
	_, h, err := store.SessionRowHash(chain.NewRowHasher(), tx.QueryRow(ctx, "SELECT "+store.SessionColumns+" FROM sessions WHERE id = $1", id))
	if err != nil {
		return fmt.Errorf("seal session %s: %w", id, err)
	}
	return appendRecord(ctx, tx, &chain.Record{Kind: chain.RecordSession, Rows: 1, Body: chain.SessionBody(id, h)}, nil)
}

// sealSessions seals the sessions a store held before migration 6, in id
// order, a record each.
func sealSessions(ctx context.Context, tx pgx.Tx) error {
	rows, err := tx.Query(ctx, "SELECT id FROM sessions ORDER BY id")
	if err != nil {
		return err
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return err
	}
	for _, id := range ids {
		if err := sealSession(ctx, tx, id); err != nil {
			return err
		}
	}
	return nil
}

// eachRecord calls fn with every record in seq order.
func eachRecord(ctx context.Context, tx pgx.Tx, fn func(*chain.Record)) error {
	rows, err := tx.Query(ctx, "SELECT seq, kind, batch, rows, time_ns, body, digest, link, sig FROM chain ORDER BY seq")
	if err != nil {
		return fmt.Errorf("read chain: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var r chain.Record
		var digest, link []byte
		if err := rows.Scan(&r.Seq, &r.Kind, &r.Batch, &r.Rows, &r.TimeNS, &r.Body, &digest, &link, &r.Sig); err != nil {
			return fmt.Errorf("read chain: %w", err)
		}
		copy(r.Digest[:], digest)
		copy(r.Link[:], link)
		fn(&r)
	}
	return rows.Err()
}

// sealedRow is one row of chain_rows.
type sealedRow struct {
	key, batch int64
	seg        int
	hash       chain.Hash
}

func setHash(h *chain.Hash, b []byte) {
	*h = chain.Hash{}
	copy(h[:], b)
	if len(b) != len(h) {
		h[0] ^= 0xff // a hash of the wrong size matches nothing
	}
}

// VerifyChain walks the chain and every event and session row in one
// REPEATABLE READ snapshot and reports each row changed, inserted or
// deleted since it was sealed, and each record that does not hold,
// exactly as the cache's VerifyChain does (the same chain.Verifier and
// findings). trusted, when set, is the only key a checkpoint may be
// signed with.
func (db *DB) VerifyChain(ctx context.Context, trusted ed25519.PublicKey) (*chain.Report, error) {
	rep := &chain.Report{}
	v := chain.NewVerifier(trusted)
	err := db.inSnapshot(ctx, func(tx pgx.Tx) error {
		// The locks first, the snapshot after (LOCK TABLE takes none):
		// retention's DROP of a month waits for this walk, or committed
		// before its snapshot, so the walk never sees a month's rows gone
		// and their hashes still there.
		if _, err := tx.Exec(ctx, "LOCK TABLE chain, chain_rows, events, event_docs, sessions IN ACCESS SHARE MODE"); err != nil {
			return err
		}
		if err := seesAll(ctx, tx, "verify"); err != nil {
			return err
		}
		if err := eachRecord(ctx, tx, v.Record); err != nil {
			return err
		}
		// Hashes whose event is gone: few, unless rows were deleted
		// behind auditctl's back (each is a finding); merged below in key
		// order with the events.
		rows, err := tx.Query(ctx, "SELECT c.id, c.batch, c.seg, c.hash FROM chain_rows c WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.id = c.id) ORDER BY c.id")
		if err != nil {
			return fmt.Errorf("read chain_rows: %w", err)
		}
		var gone []sealedRow
		for rows.Next() {
			var r sealedRow
			var hb []byte
			if err := rows.Scan(&r.key, &r.batch, &r.seg, &hb); err != nil {
				rows.Close()
				return err
			}
			setHash(&r.hash, hb)
			gone = append(gone, r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("read chain_rows: %w", err)
		}
		flushGone := func(below int64, all bool) {
			for len(gone) > 0 && (all || gone[0].key < below) {
				r := gone[0]
				gone = gone[1:]
				v.Findings = append(v.Findings, chain.RowGone(store.KeyName(r.key), r.batch))
				v.Row(r.key, r.batch, r.seg, &r.hash, func() string { return store.KeyName(r.key) })
			}
		}
		rows, err = tx.Query(ctx, "SELECT "+selectCols+", e.id, c.batch, c.seg, c.hash FROM events e LEFT JOIN event_docs d ON d.id = e.id LEFT JOIN chain_rows c ON c.id = e.id ORDER BY e.id")
		if err != nil {
			return fmt.Errorf("verify events: %w", err)
		}
		defer rows.Close()
		rh := chain.NewRowHasher()
		for rows.Next() {
			var key int64
			var batch *int64
			var seg *int
			var hb []byte
			e, err := scanEvent(rows, &key, &batch, &seg, &hb)
			if err != nil {
				return fmt.Errorf("verify events: %w", err)
			}
			flushGone(key, false)
			rep.Events++
			name := fmt.Sprintf("%s/%s (%s)", e.Source, e.ID, store.KeyName(key))
			if batch == nil {
				v.Findings = append(v.Findings, chain.RowUnsealed(name))
				continue
			}
			var sealed chain.Hash
			setHash(&sealed, hb)
			if chain.EventRowHash(rh, e) != sealed {
				v.Findings = append(v.Findings, chain.RowChanged(name, *batch))
			}
			v.Row(key, *batch, *seg, &sealed, func() string { return store.KeyName(key) })
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("verify events: %w", err)
		}
		flushGone(0, true)
		rows.Close()
		v.Finish()
		return verifySessions(ctx, tx, v, rep)
	})
	if err != nil {
		return nil, err
	}
	v.FinishSessions()
	rep.Findings, rep.Records, rep.Checkpoints, rep.Unvouched = v.Findings, v.Records, v.Checkpoints, v.Unvouched
	rep.HeadSeq, rep.Head = v.HeadSeq, v.Head
	return rep, nil
}

// verifySessions checks every session row against the record that sealed
// it last (in id order, as the cache does).
func verifySessions(ctx context.Context, tx pgx.Tx, v *chain.Verifier, rep *chain.Report) error {
	rows, err := tx.Query(ctx, "SELECT "+store.SessionColumns+" FROM sessions ORDER BY id")
	if err != nil {
		return fmt.Errorf("verify sessions: %w", err)
	}
	defer rows.Close()
	rh := chain.NewRowHasher()
	for rows.Next() {
		id, h, err := store.SessionRowHash(rh, rows)
		if err != nil {
			return fmt.Errorf("verify sessions: %w", err)
		}
		v.Session(id, h)
		rep.Sessions++
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("verify sessions: %w", err)
	}
	return nil
}

// ChainHead returns the newest record's seq and link (0 and the zero hash
// for an empty chain).
func (db *DB) ChainHead(ctx context.Context) (int64, chain.Hash, error) {
	seq, h, err := lastLink(ctx, db.pool)
	return seq, h, db.wrap(err)
}

// ChainLink returns the link of record seq (ok false when there is none).
func (db *DB) ChainLink(ctx context.Context, seq int64) (link chain.Hash, ok bool, err error) {
	var b []byte
	err = db.pool.QueryRow(ctx, "SELECT link FROM chain WHERE seq = $1", seq).Scan(&b)
	if errors.Is(err, pgx.ErrNoRows) {
		return link, false, nil
	}
	if err != nil {
		return link, false, db.wrap(err)
	}
	copy(link[:], b)
	return link, true, nil
}
