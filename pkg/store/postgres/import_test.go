package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
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

// TestImportBatchEdges imports counts of events around the read-ahead's
// batch size (256): the input may end right after a batch was handed over
// (an empty last batch), and records skipped as invalid may fill batches.
func TestImportBatchEdges(t *testing.T) {
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
