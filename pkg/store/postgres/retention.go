package postgres

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"time"

	"github.com/auditctl/auditctl/internal/failpoint"
	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/chain"
	"github.com/auditctl/auditctl/pkg/session"
	"github.com/auditctl/auditctl/pkg/store"
	"github.com/jackc/pgx/v5"
)

// Retention by partition (docs/postgres.md, "Retention by partition").
// Events are partitioned by month on their time-ordered key, so the events
// before a cutoff are every month that ends by it, whole, and the start of
// the month the cutoff falls in. DeleteEventsBefore removes them in one
// transaction (DeleteExpired): the rows of the edge month by DELETE, the whole months by
// DETACH PARTITION and DROP TABLE (no row is visited), their identities
// and row hashes by key range, and a signed checkpoint says so. PostgreSQL's
// DDL is transactional: a run killed at any point leaves every month all
// there or all gone.

// EventSpans returns, per source, the events the store holds and those
// before before (what DeleteExpired deletes), in one snapshot: the
// counts and the keys of the oldest and newest, then the time of each.
func (db *DB) EventSpans(ctx context.Context, before time.Time) ([]store.SourceSpan, error) {
	var out []store.SourceSpan
	bySource := map[string]int{}
	cut := store.KeyFloor(before)
	err := db.inSnapshot(ctx, func(tx pgx.Tx) error {
		for i, cond := range []string{"", " WHERE e.id < $1"} {
			var args []any
			if cond != "" {
				args = append(args, cut)
			}
			rows, err := tx.Query(ctx, `SELECT g.source, g.n, lo.time_ns, hi.time_ns FROM (
	SELECT e.source, count(*) AS n, min(e.id) AS lo, max(e.id) AS hi FROM events e`+cond+` GROUP BY e.source) g
	JOIN events lo ON lo.id = g.lo JOIN events hi ON hi.id = g.hi ORDER BY g.source`, args...)
			if err != nil {
				return err
			}
			for rows.Next() {
				var src string
				var n, lo, hi int64
				if err := rows.Scan(&src, &n, &lo, &hi); err != nil {
					rows.Close()
					return err
				}
				j, ok := bySource[src]
				if !ok {
					j = len(out)
					bySource[src] = j
					out = append(out, store.SourceSpan{Source: src})
				}
				if i == 0 {
					out[j].All.Set(n, lo, hi)
				} else {
					out[j].Expired.Set(n, lo, hi)
				}
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("event spans: %w", err)
	}
	// The sources in byte order, as the cache lists them (COLLATE "C").
	sort.SliceStable(out, func(a, b int) bool { return out[a].Source < out[b].Source })
	return out, nil
}

// CheckAdmin refuses (exit 4) a role that may not apply retention: only
// the owner of the events table (the admin role after db init, or a
// member of it) may detach and drop partitions. Call it before anything
// else (an archive) is done.
func (db *DB) CheckAdmin(ctx context.Context) error {
	var owner bool
	err := db.pool.QueryRow(ctx, `SELECT pg_has_role(current_user, c.relowner, 'USAGE') FROM pg_class c WHERE c.oid = 'events'::regclass`).Scan(&owner)
	if err != nil {
		return db.wrap(err)
	}
	if !owner {
		var who string
		_ = db.pool.QueryRow(ctx, "SELECT current_user").Scan(&who)
		return audit.Errorf(audit.EREMOTE, "PostgreSQL %s refused: retention needs the admin role (the owner of the events table: auditctl_admin after db init); %s is not a member of it (docs/postgres.md, \"Roles\")", db.url, who)
	}
	return nil
}

// step marks a step of DeleteExpired, inside its transaction, for
// the kill tests (failpoint.Env "pg-NAME=FILE" stops the process there).
func step(name string) { failpoint.Stop("pg-" + name) }

// Deletion is what DeleteExpired did.
type Deletion struct {
	Events   int64    // events deleted
	Dropped  []string // the months dropped whole (events_pYYYYMM)
	Edge     string   // the month whose older rows were deleted ("" when none)
	Sessions int64    // sessions deleted
}

// Expired is what a retention run deletes.
type Expired struct {
	EventsBefore time.Time // every event before it
	// Sessions are the ids of the expired sessions (those archived); each
	// goes if it still started before SessionsBefore and is not active.
	Sessions       []string
	SessionsBefore time.Time
	Reason         string // the checkpoint's
	// InTx, when set, is given the number of events the transaction will
	// delete, before it deletes anything; an error rolls it back.
	InTx func(events int64) error
}

// SessionSpans counts the sessions, and those that started before before.
func (db *DB) SessionSpans(ctx context.Context, before time.Time) (store.SessionSpan, error) {
	var s store.SessionSpan
	err := db.inSnapshot(ctx, func(tx pgx.Tx) error {
		var n, lo, hi int64
		if err := tx.QueryRow(ctx, store.SessionSpanSQL).Scan(&n, &lo, &hi); err != nil {
			return err
		}
		s.All.Set(n, lo, hi)
		if err := tx.QueryRow(ctx, rebind(store.SessionSpanExpiredSQL), before.UnixNano()).Scan(&n, &lo, &hi); err != nil {
			return err
		}
		s.Expired.Set(n, lo, hi)
		return tx.QueryRow(ctx, rebind(store.SessionActiveBeforeSQL), before.UnixNano()).Scan(&s.Active)
	})
	if err != nil {
		return s, fmt.Errorf("session spans: %w", err)
	}
	return s, nil
}

// ExpiredSessions returns the sessions that started before before and are
// not active, oldest first.
func (db *DB) ExpiredSessions(ctx context.Context, before time.Time) ([]*session.Session, error) {
	var out []*session.Session
	err := db.inSnapshot(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, rebind(store.ExpiredSessionsSQL), before.UnixNano())
		if err != nil {
			return err
		}
		out, err = scanSessions(rows)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("expired sessions: %w", err)
	}
	return out, nil
}

// DeleteExpired deletes every event before x.EventsBefore and the expired
// sessions x names, in one transaction, under a SHARE lock on events
// (imports wait; readers do not, until the partitions are detached): the
// number of events it will delete is given to x.InTx first (which may
// refuse: an archive that holds another number), then the checkpoint is
// sealed (the segments the deletion touches checked intact, their new
// contents signed), the row hashes and identities deleted by key range,
// the edge month's rows deleted, the whole months detached and dropped,
// the sessions' rows deleted, and the checkpoint record appended. The
// sessions' recording files are never touched: a team store registers
// them where they lie (they are the user's files).
func (db *DB) DeleteExpired(ctx context.Context, x Expired) (*Deletion, error) {
	cut := store.KeyFloor(x.EventsBefore)
	del := &Deletion{}
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "LOCK TABLE events IN SHARE MODE"); err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, "SELECT count(*) FROM events WHERE id < $1", cut).Scan(&del.Events); err != nil {
			return err
		}
		if x.InTx != nil {
			if err := x.InTx(del.Events); err != nil {
				return err
			}
		}
		var gone []string
		if len(x.Sessions) > 0 {
			rows, err := tx.Query(ctx, rebind("DELETE FROM sessions WHERE "+store.ExpiredSessionsCond+" AND id = ANY(?) RETURNING id"), x.SessionsBefore.UnixNano(), x.Sessions)
			if err != nil {
				return err
			}
			if gone, err = pgx.CollectRows(rows, pgx.RowTo[string]); err != nil {
				return err
			}
			sort.Strings(gone)
			del.Sessions = int64(len(gone))
			step("sessions")
		}
		if del.Events == 0 && len(gone) == 0 {
			return nil
		}
		evCut := cut
		if del.Events == 0 {
			evCut = math.MinInt64 // sessions only: no sealed event row goes
		}
		cp, err := db.sealDeletion(ctx, tx, evCut, x.Reason, gone)
		if errors.Is(err, ErrChainBroken) {
			return audit.Errorf(audit.ELOCAL, "%v", err)
		}
		if err != nil {
			return err
		}
		step("sealed")
		if del.Events == 0 {
			return appendRecord(ctx, tx, cp.record, cp.key)
		}
		months, err := partitions(ctx, tx)
		if err != nil {
			return err
		}
		for _, q := range []string{"DELETE FROM chain_rows WHERE id < $1", "DELETE FROM event_ids WHERE id < $1"} {
			if _, err := tx.Exec(ctx, q, cut); err != nil {
				return err
			}
		}
		step("rows")
		for _, m := range months {
			switch {
			case m.hi <= cut:
				for _, t := range []string{"events", "event_docs"} {
					part := t + "_" + m.suffix
					if _, err := tx.Exec(ctx, "ALTER TABLE "+t+" DETACH PARTITION "+ident(part)); err != nil {
						return err
					}
					step("detached")
					if _, err := tx.Exec(ctx, "DROP TABLE "+ident(part)); err != nil {
						return err
					}
				}
				del.Dropped = append(del.Dropped, "events_"+m.suffix)
			case m.lo < cut:
				del.Edge = "events_" + m.suffix
				for _, t := range []string{"event_docs", "events"} {
					if _, err := tx.Exec(ctx, "DELETE FROM "+ident(t+"_"+m.suffix)+" WHERE id < $1", cut); err != nil {
						return err
					}
				}
				step("edge")
			}
		}
		if cp != nil {
			if err := appendRecord(ctx, tx, cp.record, cp.key); err != nil {
				return err
			}
		}
		step("commit")
		return nil
	})
	if err != nil {
		return nil, db.wrap(fmt.Errorf("retention: %w", err))
	}
	db.mu.Lock()
	for _, p := range del.Dropped {
		if m, ok := monthOf(p[len("events_"):]); ok {
			delete(db.months, m.Unix())
		}
	}
	db.mu.Unlock()
	return del, nil
}

// month is one month's partitions: their suffix (pYYYYMM) and key range.
type month struct {
	suffix string
	lo, hi int64
}

func monthOf(suffix string) (time.Time, bool) {
	if len(suffix) != 7 || suffix[0] != 'p' {
		return time.Time{}, false
	}
	y, err1 := strconv.Atoi(suffix[1:5])
	m, err2 := strconv.Atoi(suffix[5:])
	if err1 != nil || err2 != nil || m < 1 || m > 12 {
		return time.Time{}, false
	}
	return time.Date(y, time.Month(m), 1, 0, 0, 0, 0, time.UTC), true
}

// partitions lists the months of events, oldest first (the partitions
// auditctl_ensure_month made: events_pYYYYMM).
func partitions(ctx context.Context, tx pgx.Tx) ([]month, error) {
	rows, err := tx.Query(ctx, `SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'events'::regclass`)
	if err != nil {
		return nil, err
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, err
	}
	var out []month
	for _, n := range names {
		if len(n) < len("events_") {
			continue
		}
		t, ok := monthOf(n[len("events_"):])
		if !ok {
			continue
		}
		out = append(out, month{suffix: n[len("events_"):], lo: store.KeyFloor(t), hi: store.KeyFloor(t.AddDate(0, 1, 0))})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].lo < out[j].lo })
	return out, nil
}

// ErrChainBroken is returned when the rows a deletion would re-seal do not
// match what was sealed: a checkpoint must not launder tampering, so
// nothing is deleted.
var ErrChainBroken = errors.New("the store fails its tamper check")

type checkpoint struct {
	record *chain.Record
	key    ed25519.PrivateKey
}

// sealDeletion prepares the checkpoint of deleting the keys below cut and
// the sessions gone (their rows deleted in tx already): the segments it
// touches, checked against what the records say, what each keeps, and the
// sessions' ids (nil when no sealed row goes).
func (db *DB) sealDeletion(ctx context.Context, tx pgx.Tx, cut int64, reason string, gone []string) (*checkpoint, error) {
	type touched struct {
		batch int64
		seg   int
		n     int64
	}
	rows, err := tx.Query(ctx, "SELECT batch, seg, count(*) FROM chain_rows WHERE id < $1 GROUP BY batch, seg ORDER BY batch, seg", cut)
	if err != nil {
		return nil, err
	}
	var ts []touched
	for rows.Next() {
		var t touched
		if err := rows.Scan(&t.batch, &t.seg, &t.n); err != nil {
			rows.Close()
			return nil, err
		}
		ts = append(ts, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(ts) == 0 && len(gone) == 0 {
		return nil, nil
	}
	if db.signer == nil {
		return nil, audit.Errorf(audit.ELOCAL, "deleting sealed rows needs the signing key, and none is set")
	}
	key, err := db.signer()
	if err != nil {
		return nil, err
	}
	pub := key.Public().(ed25519.PublicKey)
	v := chain.NewVerifier(pub)
	if err := eachRecord(ctx, tx, v.Record); err != nil {
		return nil, err
	}
	if len(v.Findings) > 0 {
		f := v.Findings[0]
		return nil, fmt.Errorf("%w: %s %s: %s (run auditctl verify; nothing was deleted)", ErrChainBroken, f.Table, f.Row, f.Detail)
	}
	cp := &chain.Checkpoint{PublicKey: pub, Reason: reason, Sessions: gone}
	var deleted int64
	for _, t := range ts {
		want, ok := v.Segment(t.batch, t.seg)
		if !ok {
			return nil, fmt.Errorf("%w: batch %d segment %d is not sealed (run auditctl verify; nothing was deleted)", ErrChainBroken, t.batch, t.seg)
		}
		all, kept := chain.NewSegmentHasher(), chain.NewSegmentHasher()
		rows, err := tx.Query(ctx, "SELECT id, hash FROM chain_rows WHERE id BETWEEN $1 AND $2 AND batch = $3 AND seg = $4 ORDER BY id", want.Lo, want.Hi, t.batch, t.seg)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var k int64
			var hb []byte
			if err := rows.Scan(&k, &hb); err != nil {
				rows.Close()
				return nil, err
			}
			var h chain.Hash
			setHash(&h, hb)
			all.Add(k, &h)
			if k >= cut {
				kept.Add(k, &h)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
		if all.Sum() != want {
			return nil, fmt.Errorf("%w: batch %d segment %d (keys %d..%d) differs from what was sealed (run auditctl verify; nothing was deleted)", ErrChainBroken, t.batch, t.seg, want.Lo, want.Hi)
		}
		cp.Segments = append(cp.Segments, chain.SegmentChange{Batch: t.batch, Seg: t.seg, Segment: kept.Sum()})
		deleted += t.n
	}
	return &checkpoint{record: &chain.Record{Kind: chain.RecordCheckpoint, Rows: deleted, Body: cp.Body()}, key: key}, nil
}
