package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/store"
	"github.com/jackc/pgx/v5"
)

// hookReader calls hook before each event.
type hookReader struct {
	events []*audit.Event
	hook   func(i int)
	i      int
}

func (r *hookReader) Next() (*audit.Event, error) {
	if r.i >= len(r.events) {
		return nil, io.EOF
	}
	r.hook(r.i)
	r.i++
	return r.events[r.i-1], nil
}

// TestImportBinaryRows checks the rows the import encodes itself in COPY's
// binary format against the server's own reading of the same values as
// text: the tsvector against array_to_tsvector of the tokens, the address
// against ::inet of the text, the documents byte for byte, NULLs where
// they belong. And the spool files are never visible in the temporary
// directory, not even while the import runs.
func TestImportBinaryRows(t *testing.T) {
	newURL := server(t)
	ctx := context.Background()
	url := newURL("bin")
	db, err := Open(ctx, url, true)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	ips := []string{"10.1.2.3", "2001:db8::1", "::ffff:192.0.2.7", " 10.9.9.9 ", "fe80::1%eth0", "not an ip", "", "255.255.255.255", "::"}
	words := []string{"Café", "naïve", "ÅNGSTRÖM", "x", "日本語", "a1b2", "zz", "a", "ab", "abc", "Ab", strings.Repeat("l", 3000), "O'Brien", "back\\slash"}
	var events []*audit.Event
	for i := 0; i < 200; i++ {
		e := &audit.Event{
			ID: fmt.Sprintf("b%d", i), Source: "bin", Time: base.Add(time.Duration(i) * 97 * time.Second),
			Action: "Act", Actor: fmt.Sprintf("user%d", i%7), IP: ips[i%len(ips)], Status: audit.StatusSuccess,
			Description: strings.Join([]string{words[i%len(words)], words[(i*7)%len(words)], words[(i*3)%len(words)]}, " "),
		}
		if i%3 != 0 {
			e.DurationMS = audit.Ms(int64(i - 100))
		}
		if i%2 == 0 {
			e.Params = json.RawMessage(fmt.Sprintf(`{"w": %q, "n": %d,  "z":[1,2]}`, words[(i*5)%len(words)], i))
		}
		if i%5 == 0 {
			e.Geo = json.RawMessage(`{"country":"FR"}`)
			e.Raw = json.RawMessage(`{"a":"\u00e9\n", "b":null}`)
		}
		events = append(events, e)
	}
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	r := &hookReader{events: events, hook: func(i int) {
		if i == 150 {
			if ents, _ := os.ReadDir(tmp); len(ents) != 0 {
				t.Errorf("the spool is visible in TMPDIR during the import: %v", ents)
			}
		}
	}}
	res, err := db.Import(ctx, r, store.ImportOptions{Name: "bin.ndjson"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Inserted != len(events) {
		t.Fatalf("inserted %d, want %d", res.Inserted, len(events))
	}
	if ents, _ := os.ReadDir(tmp); len(ents) != 0 {
		t.Errorf("the spool is left in TMPDIR: %v", ents)
	}

	c, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	tok := store.NewTokenizer()
	for _, e := range events {
		var ip any // the address as the server reads its text (a v4-mapped one as v4, as Go unmaps it)
		if s := strings.TrimSpace(e.IP); s != "" && !strings.Contains(s, "%") && s != "not an ip" {
			ip = strings.TrimPrefix(s, "::ffff:")
		}
		var dur any
		if e.DurationMS != nil {
			dur = int64(*e.DurationMS)
		}
		doc := func(b json.RawMessage) any {
			if len(b) == 0 {
				return nil
			}
			return string(b)
		}
		var same bool
		err := c.QueryRow(ctx, `
SELECT e.tsv = array_to_tsvector($2::text[])
	AND e.ipaddr IS NOT DISTINCT FROM host($3::inet)::inet AND e.ip = $4
	AND e.duration_ms IS NOT DISTINCT FROM $5::bigint AND e.description = $6
	AND d.geo::text IS NOT DISTINCT FROM $7 AND d.params::text IS NOT DISTINCT FROM $8 AND d.raw::text IS NOT DISTINCT FROM $9
	AND d.custom IS NULL AND d.before IS NULL AND d.after IS NULL AND d.ptext = $10
	AND e.time_ns = $11 AND e.source = 'bin'
FROM events e JOIN event_docs d USING (id) JOIN event_ids i USING (id)
WHERE i.source = 'bin' AND i.ext_id = $1`,
			e.ID, lexemes(tok.Document(e)), ip, e.IP, dur, e.Description,
			doc(e.Geo), doc(e.Params), doc(e.Raw), store.PhraseText(e), e.Time.UnixNano()).Scan(&same)
		if err != nil {
			t.Fatalf("%s: %v", e.ID, err)
		}
		if !same {
			var got string
			c.QueryRow(ctx, `SELECT row_to_json(e)::text FROM events e JOIN event_ids USING (id) WHERE ext_id = $1`, e.ID).Scan(&got)
			t.Errorf("%s (ip %q, description %.40q): stored row differs from the server's reading of the same values: %s", e.ID, e.IP, e.Description, got)
		}
	}
}

// TestImportBatchEdges imports counts of events around a chunk's size
// (256 here): the input may end right after a chunk was handed over (an
// empty last chunk), and records skipped as invalid may lie between
// chunks.
func TestImportBatchEdges(t *testing.T) {
	defer func(n int) { chunkRows = n }(chunkRows)
	chunkRows = 256
	newURL := server(t)
	ctx := context.Background()
	db, err := Open(ctx, newURL("edges"), true)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	total, k := 0, 0
	for _, n := range []int{0, 1, 255, 256, 257, 512} {
		var events []*audit.Event
		for i := 0; i < n; i++ {
			k++
			events = append(events, ev(k, "Login", "alice", audit.StatusSuccess))
		}
		res, err := db.Import(ctx, reader(events...), store.ImportOptions{})
		if err != nil || res.Inserted != n || res.Read != n {
			t.Fatalf("%d events: %+v %v", n, res, err)
		}
		total += n
		// The same with every other record invalid (nil: a bad time), skipped.
		var mixed []*audit.Event
		for i := 0; i < n; i++ {
			k++
			mixed = append(mixed, nil, ev(k, "Login", "bob", audit.StatusSuccess))
		}
		res, err = db.Import(ctx, reader(mixed...), store.ImportOptions{SkipInvalid: true})
		if err != nil || res.Inserted != n || res.Skipped != n || res.Read != 2*n {
			t.Fatalf("%d events and %d invalid: %+v %v", n, n, res, err)
		}
		total += n
	}
	var got int
	if err := db.pool.QueryRow(ctx, "SELECT count(*) FROM events").Scan(&got); err != nil || got != total {
		t.Fatalf("the store holds %d events (%v), want %d", got, err, total)
	}
}

// TestImportChunks imports files in chunks of four records and requires
// the events, keys and row counts the cache stores from the same files:
// an identity repeated in a later chunk (the first record stands),
// different events whose keys meet in one microsecond and slot in other
// chunks (moved to free slots), months first met half-way through (their
// partitions attached while the import's transaction is open), the same
// file again (nothing added), and an invalid last record (nothing stored).
func TestImportChunks(t *testing.T) {
	defer func(n int) { chunkRows = n }(chunkRows)
	chunkRows = 4
	ctx := context.Background()
	pg, lite := bothStores(t, server(t), "chunks")

	at := time.Date(2031, 1, 31, 23, 59, 59, 0, time.UTC) // months no store has yet
	var evs []*audit.Event
	for g := range 5 { // January, February, March, April (twice)
		when := at.Add(time.Duration(g) * 20 * 24 * time.Hour)
		first, _ := store.EventKey(when, "test", fmt.Sprintf("g%d", g))
		evs = append(evs, &audit.Event{ID: fmt.Sprintf("g%d", g), Source: "test", Time: when, Action: "Login", Actor: "first"})
		// Three more in the same microsecond whose keys are the first's.
		for i, n := 0, 0; n < 3; i++ {
			id := fmt.Sprintf("g%d-%d", g, i)
			if k, _ := store.EventKey(when, "test", id); k == first {
				evs = append(evs, &audit.Event{ID: id, Source: "test", Time: when, Action: "Login", Actor: fmt.Sprintf("slot%d", n)})
				n++
			}
		}
		for i := range 3 {
			evs = append(evs, &audit.Event{ID: fmt.Sprintf("g%d-other%d", g, i), Source: "test", Time: when.Add(time.Duration(i+1) * time.Second),
				Action: "DeleteUser", Actor: "other", Raw: json.RawMessage(`{"i": 1}`)})
		}
	}
	again := *evs[1]
	again.Actor = "later" // in a later chunk: the first record stands
	evs = append(evs[:26], append([]*audit.Event{&again}, evs[26:]...)...)

	rows := func() (inPG, inCache []string) {
		r, err := pg.pool.Query(ctx, "SELECT id, ext_id, actor FROM events ORDER BY id")
		if err != nil {
			t.Fatal(err)
		}
		for r.Next() {
			var k int64
			var id, actor string
			if err := r.Scan(&k, &id, &actor); err != nil {
				t.Fatal(err)
			}
			inPG = append(inPG, fmt.Sprintf("%d %s %s", k, id, actor))
		}
		if err := r.Err(); err != nil {
			t.Fatal(err)
		}
		keys, got, err := lite.EventsAfter(ctx, 0, 1000)
		if err != nil {
			t.Fatal(err)
		}
		for i, e := range got {
			inCache = append(inCache, fmt.Sprintf("%d %s %s", keys[i], e.ID, e.Actor))
		}
		slices.Sort(inCache)
		slices.Sort(inPG)
		return inPG, inCache
	}
	for round, want := range []int{len(evs) - 1, 0} {
		for _, st := range []store.Store{pg, lite} {
			res, err := st.Import(ctx, reader(evs...), store.ImportOptions{Name: "chunks.ndjson"})
			if err != nil || res.Inserted != want || res.Read != len(evs) {
				t.Fatalf("round %d, %T: %+v %v; want %d inserted of %d read", round, st, res, err, want, len(evs))
			}
		}
		inPG, inCache := rows()
		if !slices.Equal(inPG, inCache) || len(inPG) != len(evs)-1 {
			t.Fatalf("round %d: stored\n%s\nthe cache stored\n%s", round, strings.Join(inPG, "\n"), strings.Join(inCache, "\n"))
		}
	}
	if rep, found := verifyFindings(t, pg); found != "" || rep.Events != int64(len(evs)-1) || rep.Records != 1 {
		t.Fatalf("verify: %d events checked, %d records, findings:\n%s", rep.Events, rep.Records, found)
	}

	// Ten new events in May and June, then a bad record: nothing stored.
	var bad []*audit.Event
	for i := range 10 {
		bad = append(bad, &audit.Event{ID: fmt.Sprintf("bad%d", i), Source: "test", Time: at.AddDate(0, 4, i*3), Action: "Login"})
	}
	bad = append(bad, nil)
	if _, err := pg.Import(ctx, reader(bad...), store.ImportOptions{Name: "bad.ndjson"}); err == nil {
		t.Fatal("a file with a bad record imported")
	}
	if n, err := pg.CountEvents(ctx, audit.Filter{}); err != nil || n != int64(len(evs)-1) {
		t.Fatalf("after a failed import: %d events (%v), want %d", n, err, len(evs)-1)
	}
}

// TestImportMonthBusy: a session that asks for an exclusive lock on events
// (as a DETACH does) queues behind an import's open transaction, and the
// attach of a month the import meets next would queue behind that
// session, which waits for the import: the import gives up the wait,
// closes its transaction, makes the month, starts again, and both finish.
func TestImportMonthBusy(t *testing.T) {
	defer func(n int) { chunkRows = n }(chunkRows)
	chunkRows = 4
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	url := server(t)("busy")
	db, err := Open(ctx, url, true)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	watch, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer watch.Close(ctx)
	locker, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer locker.Close(ctx)
	waitFor := func(what, sql string) {
		for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			var ok bool
			if err := watch.QueryRow(ctx, sql).Scan(&ok); err != nil {
				t.Error(err)
				return
			}
			if ok {
				return
			}
			if time.Now().After(deadline) {
				t.Errorf("never saw %s", what)
				return
			}
		}
	}

	var evs []*audit.Event
	for i := range 12 { // eight in May 2032, four in June
		evs = append(evs, &audit.Event{ID: fmt.Sprintf("m%d", i), Source: "test", Time: time.Date(2032, time.Month(5+i/8), 10, i, 0, 0, 0, time.UTC), Action: "Login"})
	}
	locked := make(chan time.Time, 1)
	r := &hookReader{events: evs, hook: func(i int) {
		if i != 8 { // the first June record: the import has stored May's chunks
			return
		}
		waitFor("the import's lock on events", `SELECT EXISTS (SELECT 1 FROM pg_locks WHERE relation = 'events'::regclass AND mode = 'RowExclusiveLock' AND granted)`)
		go func() {
			_, err := locker.Exec(ctx, "BEGIN; LOCK TABLE events IN ACCESS EXCLUSIVE MODE; COMMIT")
			if err != nil {
				t.Error(err)
			}
			locked <- time.Now()
		}()
		waitFor("the exclusive lock queued", `SELECT EXISTS (SELECT 1 FROM pg_locks WHERE relation = 'events'::regclass AND mode = 'AccessExclusiveLock' AND NOT granted)`)
	}}
	res, err := db.Import(ctx, r, store.ImportOptions{Name: "busy.ndjson"})
	done := time.Now()
	if err != nil || res.Inserted != len(evs) {
		t.Fatalf("import: %+v %v", res, err)
	}
	select {
	case at := <-locked:
		if at.After(done) {
			t.Errorf("the exclusive lock was granted only after the import ended")
		}
	case <-ctx.Done():
		t.Fatal("the exclusive lock was never granted")
	}
	if n, err := db.CountEvents(ctx, audit.Filter{}); err != nil || n != int64(len(evs)) {
		t.Fatalf("%d events (%v), want %d", n, err, len(evs))
	}
}

// TestImportRepeatTakesNoSlot: an identity repeated in a later chunk (its
// first record moved to another slot) takes no key slot from a new event
// behind it in the same microsecond: the keys are the cache's.
func TestImportRepeatTakesNoSlot(t *testing.T) {
	defer func(n int) { chunkRows = n }(chunkRows)
	chunkRows = 4
	ctx := context.Background()
	pg, lite := bothStores(t, server(t), "repeatslot")

	when := time.Date(2031, 3, 10, 12, 0, 0, 0, time.UTC)
	k0, _ := store.EventKey(when, "test", "x")
	var same []string
	for i := 0; len(same) < 2; i++ {
		id := fmt.Sprintf("c%d", i)
		if k, _ := store.EventKey(when, "test", id); k == k0 {
			same = append(same, id)
		}
	}
	mk := func(id string, d time.Duration) *audit.Event {
		return &audit.Event{ID: id, Source: "test", Time: when.Add(d), Action: "Login", Actor: id}
	}
	evs := []*audit.Event{
		// chunk 1: x holds k0, A moves to the next slot
		mk("x", 0), mk(same[0], 0), mk("pad1", time.Second), mk("pad2", 2*time.Second),
		// chunk 2: A again (the first record stands), then B, new, on k0
		mk(same[0], 0), mk(same[1], 0), mk("pad3", 3*time.Second), mk("pad4", 4*time.Second),
	}
	for _, st := range []store.Store{pg, lite} {
		if _, err := st.Import(ctx, reader(evs...), store.ImportOptions{Name: "dup.ndjson"}); err != nil {
			t.Fatal(err)
		}
	}
	var inPG, inCache []string
	r, err := pg.pool.Query(ctx, "SELECT id, ext_id FROM events ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	for r.Next() {
		var k int64
		var id string
		if err := r.Scan(&k, &id); err != nil {
			t.Fatal(err)
		}
		inPG = append(inPG, fmt.Sprintf("%d %s", k&store.SlotMask, id))
	}
	keys, got, err := lite.EventsAfter(ctx, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	for i, e := range got {
		inCache = append(inCache, fmt.Sprintf("%d %s", keys[i]&store.SlotMask, e.ID))
	}
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	slices.Sort(inPG)
	slices.Sort(inCache)
	if !slices.Equal(inPG, inCache) || len(inPG) != 7 {
		t.Fatalf("slot and id, stored:\n%s\nthe cache stored:\n%s", strings.Join(inPG, "\n"), strings.Join(inCache, "\n"))
	}
}

// blockReader blocks in Next (a terminal nobody types at) until released.
type blockReader struct{ release chan struct{} }

func (r *blockReader) Next() (*audit.Event, error) {
	<-r.release
	return nil, fmt.Errorf("released")
}

// TestImportCancelledWhileReading: a cancelled import whose input blocks in
// Next (a terminal nobody types at) returns.
func TestImportCancelledWhileReading(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	db, err := Open(context.Background(), server(t)("cancelread"), true)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	r := &blockReader{release: make(chan struct{})}
	defer close(r.release)
	done := make(chan error, 1)
	go func() {
		_, err := db.Import(ctx, r, store.ImportOptions{Name: "-"})
		done <- err
	}()
	time.Sleep(500 * time.Millisecond)
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("import: %v, want the cancellation", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the import did not return 10 s after it was cancelled")
	}
}
