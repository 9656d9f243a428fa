package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/chain"
	"github.com/auditctl/auditctl/pkg/store"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Import stores every event of r: the records stream through COPY into a
// temporary staging table of this connection, the partitions their months
// need are created (each in a short transaction of its own), and one
// transaction inserts the new events: their identities into event_ids
// first, ON CONFLICT DO NOTHING, then the events and documents of those
// that went in. So a file is stored whole or not at all, readers see it
// appear at once, importing it again adds nothing, and concurrent
// importers (on any machine) of the same events store each once: the
// second waits on the first's uncommitted identity and then skips it.
func (db *DB) Import(ctx context.Context, r audit.EventReader, opt store.ImportOptions) (audit.ImportResult, error) {
	conn, err := db.pool.Acquire(ctx)
	if err != nil {
		return audit.ImportResult{}, db.wrap(err)
	}
	defer conn.Release()
	src := &source{r: r, opt: opt, tok: store.NewTokenizer(), months: map[int64]time.Time{}}
	res, err := db.importOn(ctx, conn, src)
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

const stageCols = `seq bigint NOT NULL, id bigint NOT NULL, source text COLLATE "C", ext_id text COLLATE "C", time_ns bigint,
	service text, action text, category text, workflow_id text, workflow_type text,
	actor text, actor_id text, actor_type text, target text, target_id text, target_type text,
	ip text, ipaddr inet, client text, user_agent text, status text, error text, duration_ms bigint,
	tenant text, description text, toks text[],
	geo text, params text, custom text, before text, after text, raw text, ptext text, hash bytea`

var copyCols = []string{"seq", "id", "source", "ext_id", "time_ns", "service", "action", "category", "workflow_id", "workflow_type",
	"actor", "actor_id", "actor_type", "target", "target_id", "target_type", "ip", "ipaddr", "client", "user_agent",
	"status", "error", "duration_ms", "tenant", "description", "toks",
	"geo", "params", "custom", "before", "after", "raw", "ptext", "hash"}

const eventCols = `id, source, ext_id, time_ns, service, action, category, workflow_id, workflow_type,
	actor, actor_id, actor_type, target, target_id, target_type, ip, ipaddr, client, user_agent,
	status, error, duration_ms, tenant, description`

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
	// The staging table is temporary: autovacuum never analyzes it, and
	// without statistics the joins below run as nested loops.
	if _, err := conn.Exec(ctx, "ANALYZE auditctl_stage (seq, id, source, ext_id)"); err != nil {
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
		var n int64
		err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			if err := tx.QueryRow(ctx, `
WITH ids AS (
	INSERT INTO event_ids (source, ext_id, id)
	SELECT source, ext_id, id FROM auditctl_stage ORDER BY source, ext_id
	ON CONFLICT (source, ext_id) DO NOTHING
	RETURNING id
), ev AS (
	INSERT INTO events (`+eventCols+`, tsv)
	SELECT `+eventCols+`, array_to_tsvector(s.toks) FROM auditctl_stage s JOIN ids USING (id)
), docs AS (
	INSERT INTO event_docs (id, geo, params, custom, before, after, raw, ptext)
	SELECT s.id, s.geo::json, s.params::json, s.custom::json, s.before::json, s.after::json, s.raw::json, s.ptext
	FROM auditctl_stage s JOIN ids USING (id)
)
SELECT count(*) FROM ids`).Scan(&n); err != nil {
				return err
			}
			if err := sealImport(ctx, tx, n); err != nil {
				return err
			}
			return notifyImported(ctx, tx, n)
		})
		var pe *pgconn.PgError
		if err != nil && attempt < 8 && errors.As(err, &pe) && (pe.Code == "23505" || pe.Code == "40P01") {
			// Another importer took a key this file chose meanwhile
			// (same microsecond and slot), or the two waited on each
			// other: choose again and retry.
			continue
		}
		if err != nil {
			return audit.ImportResult{}, fmt.Errorf("insert: %w", err)
		}
		res.Inserted = int(n)
		return res, nil
	}
}

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

// source feeds COPY from the reader: each record validated, keyed and
// tokenized; an invalid one ends the COPY with an error naming file,
// record and field (or is skipped with SkipInvalid).
type source struct {
	r      audit.EventReader
	opt    store.ImportOptions
	tok    *store.Tokenizer
	res    audit.ImportResult
	record int
	vals   []any
	err    error
	months map[int64]time.Time
	rh     *chain.RowHasher
}

func (s *source) Next() bool {
	for {
		e, err := s.r.Next()
		s.record++
		if err == io.EOF {
			return false
		}
		if err != nil {
			var ie *audit.InputError
			if s.opt.SkipInvalid && errors.As(err, &ie) && !ie.Fatal {
				s.res.Read++
				s.res.Skipped++
				continue
			}
			s.err = err
			return false
		}
		s.res.Read++
		if s.opt.Progress != nil && s.res.Read%4096 == 0 {
			s.opt.Progress(s.res.Read)
		}
		field, msg := store.Validate(e)
		if field == "" {
			field, msg = storable(e)
		}
		if field != "" {
			if s.opt.SkipInvalid {
				s.res.Skipped++
				continue
			}
			s.err = &audit.InputError{File: s.opt.Name, Record: s.record, Field: field, Err: errors.New(msg)}
			return false
		}
		s.fill(e)
		return true
	}
}

func (s *source) fill(e *audit.Event) {
	key, _ := store.EventKey(e.Time, e.Source, e.ID)
	m := monthStart(e.Time)
	s.months[m.Unix()] = m
	var ipaddr any
	if a, err := netip.ParseAddr(strings.TrimSpace(e.IP)); err == nil && a.Zone() == "" {
		ipaddr = a.Unmap()
	}
	var dur any
	if e.DurationMS != nil {
		dur = int64(*e.DurationMS)
	}
	doc := func(b []byte) any {
		if len(b) == 0 {
			return nil
		}
		return string(b)
	}
	s.vals = append(s.vals[:0], int64(s.record), key, e.Source, e.ID, e.Time.UnixNano(), e.Service, e.Action, e.Category,
		e.WorkflowID, e.WorkflowType, e.Actor, e.ActorID, e.ActorType, e.Target, e.TargetID, e.TargetType,
		e.IP, ipaddr, e.Client, e.UserAgent, string(e.Status), e.Error, dur, e.Tenant, e.Description,
		lexemes(s.tok.Document(e)),
		doc(e.Geo), doc(e.Params), doc(e.Custom), doc(e.Before), doc(e.After), doc(e.Raw), store.PhraseText(e),
		s.stageHash(e))
}

func (s *source) Values() ([]any, error) { return s.vals, nil }
func (s *source) Err() error             { return s.err }

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
