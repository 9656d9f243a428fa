package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/auditctl/auditctl/internal/pgtest"
	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/store"
	"github.com/auditctl/auditctl/pkg/store/sqlite"
)

type sliceReader struct {
	events []*audit.Event
	i      int
}

func (r *sliceReader) Next() (*audit.Event, error) {
	if r.i >= len(r.events) {
		return nil, io.EOF
	}
	e := r.events[r.i]
	r.i++
	if e == nil {
		return nil, &audit.InputError{File: "t.ndjson", Line: r.i, Field: "time", Err: errors.New("bad time")}
	}
	return e, nil
}

func reader(events ...*audit.Event) *sliceReader { return &sliceReader{events: events} }

var base = time.Date(2026, 11, 30, 23, 50, 0, 0, time.UTC) // ten minutes before a month ends

func ev(i int, action, actor string, status audit.Status) *audit.Event {
	return &audit.Event{
		ID: fmt.Sprintf("e%d", i), Source: "test", Time: base.Add(time.Duration(i) * time.Minute),
		Service: "user", Action: action, Actor: actor, Status: status, IP: fmt.Sprintf("10.0.%d.%d", i%3, i),
		DurationMS:  audit.Ms(int64(i * 10)),
		Description: fmt.Sprintf("%s did %s number %d (break-glass)", actor, action, i),
		Params:      json.RawMessage(fmt.Sprintf(`{"n":%d,"word":"w%d","b":"Café"}`, i, i)),
		Raw:         json.RawMessage(fmt.Sprintf(`{"id":"e%d", "z": 1,"a":2}`, i)),
	}
}

func sample() []*audit.Event {
	var out []*audit.Event
	for i := 0; i < 30; i++ {
		action, status := "Login", audit.StatusSuccess
		if i%5 == 0 {
			action = "DeleteUser"
		}
		if i%4 == 0 {
			status = audit.StatusFailure
		}
		out = append(out, ev(i, action, []string{"alice@example.com", "Bob@example.com", "carol@corp.io"}[i%3], status))
	}
	return out
}

// server starts one PostgreSQL for the test; newURL makes a database on
// it and returns its URL.
func server(t *testing.T) func(name string) string {
	srv := pgtest.Start(t)
	return func(name string) string { return srv.CreateDB(t, name) }
}

func TestPostgresStore(t *testing.T) {
	newURL := server(t)
	ctx := context.Background()

	t.Run("read before any import", func(t *testing.T) {
		_, err := Open(ctx, newURL("empty"), false)
		var ae *audit.Error
		if !errors.As(err, &ae) || ae.Code != audit.ELOCAL {
			t.Fatalf("open of a database without the schema: %v, want ELOCAL", err)
		}
	})

	t.Run("newer schema refused", func(t *testing.T) {
		url := newURL("newer")
		db, err := Open(ctx, url, true)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.pool.Exec(ctx, "UPDATE auditctl_schema SET version = 99"); err != nil {
			t.Fatal(err)
		}
		db.Close()
		_, err = Open(ctx, url, false)
		var ae *audit.Error
		if !errors.As(err, &ae) || ae.Code != audit.ELOCAL || !strings.Contains(err.Error(), "schema version 99 is newer") {
			t.Fatalf("newer schema: %v", err)
		}
	})

	t.Run("import is idempotent and agrees with SQLite", func(t *testing.T) {
		db, err := Open(ctx, newURL("agree"), true)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		lite, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "audit.db"))
		if err != nil {
			t.Fatal(err)
		}
		defer lite.Close()
		evs := sample()
		// a duplicate within the file, and a different event in the same
		// microsecond and slot as another (forced below)
		evs = append(evs, ev(3, "Login", "x", audit.StatusSuccess))
		for _, s := range []store.Store{db, lite} {
			res, err := s.Import(ctx, reader(evs...), store.ImportOptions{Name: "t"})
			if err != nil || res.Inserted != 30 || res.Read != 31 {
				t.Fatalf("%T import: %+v %v", s, res, err)
			}
			res, err = s.Import(ctx, reader(evs...), store.ImportOptions{Name: "t"})
			if err != nil || res.Inserted != 0 {
				t.Fatalf("%T import again: %+v %v", s, res, err)
			}
		}
		var parts int
		if err := db.pool.QueryRow(ctx, "SELECT count(*) FROM pg_inherits WHERE inhparent = 'events'::regclass").Scan(&parts); err != nil || parts < 2 {
			t.Fatalf("partitions: %d %v", parts, err)
		}
		filters := []audit.Filter{
			{}, {Include: map[audit.Field][]string{audit.FieldActor: {"bob@EXAMPLE.com"}}},
			{Include: map[audit.Field][]string{audit.FieldActor: {"*@example.COM"}}},
			{Include: map[audit.Field][]string{audit.FieldIP: {"10.0.1.0/24"}}},
			{Exclude: map[audit.Field][]string{audit.FieldAction: {"login"}}},
			{Include: map[audit.Field][]string{audit.FieldID: {"e1", "e22"}}},
			{Text: []string{"cafe"}}, {Text: []string{"break glass"}}, {Text: []string{"did login"}},
			{Text: []string{"glass break"}}, {NotText: []string{"number 2"}}, {Text: []string{"("}},
			{Since: base.Add(10 * time.Minute), Until: base.Add(20*time.Minute + time.Nanosecond)},
		}
		for i, f := range filters {
			a, ta, err := db.FindEvents(ctx, f, audit.Page{Limit: 7})
			if err != nil {
				t.Fatalf("filter %d: %v", i, err)
			}
			b, tb, err := lite.FindEvents(ctx, f, audit.Page{Limit: 7})
			if err != nil {
				t.Fatal(err)
			}
			ja, _ := json.Marshal(a)
			jb, _ := json.Marshal(b)
			if ta != tb || string(ja) != string(jb) {
				t.Errorf("filter %d (%+v): postgres %d %s\nsqlite %d %s", i, f, ta, ja, tb, jb)
			}
			ba, na, err := db.CountByTotal(ctx, f, audit.FieldActor, 0)
			if err != nil {
				t.Fatal(err)
			}
			bb, nb, _ := lite.CountByTotal(ctx, f, audit.FieldActor, 0)
			if fmt.Sprint(ba, na) != fmt.Sprint(bb, nb) {
				t.Errorf("filter %d count by: %v %d, sqlite %v %d", i, ba, na, bb, nb)
			}
		}
		e, err := db.FindEventByID(ctx, "e2", "")
		if err != nil || e.ID != "e2" {
			t.Fatalf("show e2: %v %v", e, err)
		}
		for _, id := range []string{"e", "e1", "zz"} {
			a, erra := db.FindEventByID(ctx, id, "")
			b, errb := lite.FindEventByID(ctx, id, "")
			ja, _ := json.Marshal(a)
			jb, _ := json.Marshal(b)
			if string(ja) != string(jb) || fmt.Sprint(erra) != fmt.Sprint(errb) {
				t.Errorf("show %s: postgres %v %v, sqlite %v %v", id, a, erra, b, errb)
			}
		}
	})

	t.Run("slot collisions", func(t *testing.T) {
		db, err := Open(ctx, newURL("slots"), true)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		// Find two ids with the same slot.
		at := base.Add(time.Hour)
		k0, _ := store.EventKey(at, "s", "a0")
		var other string
		for i := 1; other == ""; i++ {
			id := fmt.Sprintf("a%d", i)
			if k, _ := store.EventKey(at, "s", id); k == k0 {
				other = id
			}
		}
		one := &audit.Event{ID: "a0", Source: "s", Time: at}
		two := &audit.Event{ID: other, Source: "s", Time: at}
		if res, err := db.Import(ctx, reader(one), store.ImportOptions{}); err != nil || res.Inserted != 1 {
			t.Fatal(res, err)
		}
		if res, err := db.Import(ctx, reader(two, one), store.ImportOptions{}); err != nil || res.Inserted != 1 {
			t.Fatal(res, err)
		}
		three := &audit.Event{ID: "b", Source: "t", Time: at}
		k3, _ := store.EventKey(at, "t", "b")
		four := &audit.Event{ID: "c", Source: "t", Time: at}
		for i := 0; ; i++ {
			four.ID = fmt.Sprintf("c%d", i)
			if k, _ := store.EventKey(at, "t", four.ID); k == k3 {
				break
			}
		}
		if res, err := db.Import(ctx, reader(three, four), store.ImportOptions{}); err != nil || res.Inserted != 2 {
			t.Fatal(res, err)
		}
		n, err := db.CountEvents(ctx, audit.Filter{})
		if err != nil || n != 4 {
			t.Fatalf("count %d %v", n, err)
		}
	})

	t.Run("concurrent importers across a partition boundary", func(t *testing.T) {
		url := newURL("concurrent")
		evs := sample() // 10 minutes in November, 20 in December
		var wg sync.WaitGroup
		results := make([]audit.ImportResult, 4)
		errs := make([]error, 4)
		for i := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				db, err := Open(ctx, url, true)
				if err != nil {
					errs[i] = err
					return
				}
				defer db.Close()
				// each importer its own order
				own := append([]*audit.Event(nil), evs[i*5:]...)
				own = append(own, evs[:i*5]...)
				results[i], errs[i] = db.Import(ctx, reader(own...), store.ImportOptions{})
			}()
		}
		wg.Wait()
		total := 0
		for i := range 4 {
			if errs[i] != nil {
				t.Fatalf("importer %d: %v", i, errs[i])
			}
			total += results[i].Inserted
		}
		if total != 30 {
			t.Fatalf("the importers stored %d events in all, want 30", total)
		}
		db, err := Open(ctx, url, false)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if n, err := db.CountEvents(ctx, audit.Filter{}); err != nil || n != 30 {
			t.Fatalf("count %d %v", n, err)
		}
	})

	t.Run("a bad record stores nothing", func(t *testing.T) {
		db, err := Open(ctx, newURL("bad"), true)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		evs := sample()
		evs[7].Actor = "nul\x00byte"
		_, err = db.Import(ctx, reader(evs...), store.ImportOptions{Name: "f.ndjson"})
		var ie *audit.InputError
		if !errors.As(err, &ie) || ie.Field != "actor" {
			t.Fatalf("import: %v", err)
		}
		if n, _ := db.CountEvents(ctx, audit.Filter{}); n != 0 {
			t.Fatalf("%d events stored from a file that failed", n)
		}
		res, err := db.Import(ctx, reader(evs...), store.ImportOptions{Name: "f.ndjson", SkipInvalid: true})
		if err != nil || res.Skipped != 1 || res.Inserted != 29 {
			t.Fatalf("skip invalid: %+v %v", res, err)
		}
	})
}

func TestRebind(t *testing.T) {
	for in, want := range map[string]string{
		"a = ?": "a = $1",
		`lower(x) LIKE ? ESCAPE '\' AND y IN (?,?)`:        `lower(x) LIKE $1 ESCAPE '\' AND y IN ($2,$3)`,
		"'?' = ? AND ?::tsquery" + strings.Repeat(" ?", 9): "'?' = $1 AND $2::tsquery $3 $4 $5 $6 $7 $8 $9 $10 $11",
	} {
		if got := rebind(in); got != want {
			t.Errorf("rebind(%q) = %q, want %q", in, got, want)
		}
	}
}
