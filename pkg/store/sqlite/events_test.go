package sqlite

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

	"github.com/auditctl/auditctl/pkg/audit"
)

// sliceReader yields events, and an *audit.InputError where an entry is nil.
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

func openTest(t *testing.T) *DB {
	t.Helper()
	db, err := Open(context.Background(), filepath.Join(t.TempDir(), "audit.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	db.SetSigner(testSigner(t))
	return db
}

var base = time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)

func ev(i int, action, actor string, status audit.Status) *audit.Event {
	return &audit.Event{
		ID: fmt.Sprintf("e%d", i), Source: "test", Time: base.Add(time.Duration(i) * time.Minute),
		Service: "user", Action: action, Actor: actor, Status: status, IP: fmt.Sprintf("10.0.%d.%d", i%3, i),
		DurationMS:  audit.Ms(int64(i * 10)),
		Description: fmt.Sprintf("%s did %s number %d", actor, action, i),
		Params:      json.RawMessage(fmt.Sprintf(`{"n":%d,"word":"w%d"}`, i, i)),
		Raw:         json.RawMessage(fmt.Sprintf(`{"id":"e%d"}`, i)),
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
		out = append(out, ev(i, action, []string{"alice@example.com", "bob@example.com", "carol@corp.io"}[i%3], status))
	}
	return out
}

func mustImport(t *testing.T, db *DB, events ...*audit.Event) audit.ImportResult {
	t.Helper()
	res, err := db.Import(context.Background(), reader(events...), ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func ids(events []*audit.Event) []string {
	var out []string
	for _, e := range events {
		out = append(out, e.ID)
	}
	return out
}

func TestImportIdempotentAndRoundTrip(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	res := mustImport(t, db, sample()...)
	if res.Inserted != 30 || res.Read != 30 {
		t.Fatalf("first import: %+v", res)
	}
	res = mustImport(t, db, sample()...)
	if res.Inserted != 0 || res.Duplicates() != 30 {
		t.Fatalf("second import: %+v", res)
	}
	n, err := db.CountEvents(ctx, audit.Filter{})
	if err != nil || n != 30 {
		t.Fatalf("count = %d, %v", n, err)
	}
	got, err := db.FindEventByID(ctx, "e7", "")
	if err != nil {
		t.Fatal(err)
	}
	want := sample()[7]
	gj, _ := json.Marshal(got)
	wj, _ := json.Marshal(want)
	if string(gj) != string(wj) {
		t.Fatalf("round trip:\n got %s\nwant %s", gj, wj)
	}
	if _, err := db.FindEventByID(ctx, "nope", ""); audit.ExitCode(err) != 3 {
		t.Fatalf("missing id: %v", err)
	}
}

func TestSameMicrosecondAndSlotCollision(t *testing.T) {
	db := openTest(t)
	// 2000 distinct events in one microsecond must all be stored: more
	// than the 1024 slots is an error, so use 1000 plus re-imports.
	var events []*audit.Event
	for i := 0; i < 1000; i++ {
		events = append(events, &audit.Event{ID: fmt.Sprint(i), Source: "s", Time: base})
	}
	if res := mustImport(t, db, events...); res.Inserted != 1000 {
		t.Fatalf("inserted %d", res.Inserted)
	}
	if res := mustImport(t, db, events...); res.Inserted != 0 {
		t.Fatalf("re-import inserted %d", res.Inserted)
	}
}

func TestAbortedImportWritesNothing(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	mustImport(t, db, sample()[:5]...)
	events := append(sample()[5:10], nil, sample()[10])
	_, err := db.Import(ctx, reader(events...), ImportOptions{})
	var ie *audit.InputError
	if !errors.As(err, &ie) || audit.ExitCode(err) != 3 {
		t.Fatalf("want input error exit 3, got %v", err)
	}
	if n, _ := db.CountEvents(ctx, audit.Filter{}); n != 5 {
		t.Fatalf("after aborted import: %d events, want 5", n)
	}
	res, err := db.Import(ctx, reader(events...), ImportOptions{SkipInvalid: true})
	if err != nil || res.Skipped != 1 || res.Inserted != 6 {
		t.Fatalf("skip-invalid: %+v %v", res, err)
	}
	// An event the store itself rejects also aborts the file.
	bad := ev(99, "X", "y", audit.StatusSuccess)
	bad.Params = json.RawMessage(`{broken`)
	if _, err := db.Import(ctx, reader(ev(98, "X", "y", audit.StatusSuccess), bad), ImportOptions{}); audit.ExitCode(err) != 3 {
		t.Fatalf("invalid params: %v", err)
	}
	if n, _ := db.CountEvents(ctx, audit.Filter{}); n != 11 {
		t.Fatalf("after rejected import: %d", n)
	}
}

func TestFilters(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	mustImport(t, db, sample()...)
	f := func(mod func(*audit.Filter)) audit.Filter {
		var fl audit.Filter
		mod(&fl)
		return fl
	}
	cases := []struct {
		name string
		f    audit.Filter
		want int
	}{
		{"all", audit.Filter{}, 30},
		{"action", f(func(f *audit.Filter) { f.Add(audit.FieldAction, "DeleteUser") }), 6},
		{"action case-insensitive", f(func(f *audit.Filter) { f.Add(audit.FieldAction, "deleteuser") }), 6},
		{"action OR", f(func(f *audit.Filter) { f.Add(audit.FieldAction, "DeleteUser", "Login") }), 30},
		{"action AND status", f(func(f *audit.Filter) {
			f.Add(audit.FieldAction, "DeleteUser")
			f.Add(audit.FieldStatus, "failure")
		}), 2}, // i = 0 and 20
		{"exclude status", f(func(f *audit.Filter) {
			f.Add(audit.FieldAction, "DeleteUser")
			f.AddExclude(audit.FieldStatus, "success")
		}), 2},
		{"wildcard", f(func(f *audit.Filter) { f.Add(audit.FieldActor, "*@example.com") }), 20},
		{"cidr", f(func(f *audit.Filter) { f.Add(audit.FieldIP, "10.0.1.0/24") }), 10},
		{"ip exact", f(func(f *audit.Filter) { f.Add(audit.FieldIP, "10.0.1.4") }), 1},
		{"since", audit.Filter{Since: base.Add(20 * time.Minute)}, 10},
		{"until", audit.Filter{Until: base.Add(20 * time.Minute)}, 20},
		{"until sub-µs", audit.Filter{Until: base.Add(20*time.Minute + 1)}, 21},
		{"duration", audit.Filter{MinDuration: audit.Ms(100), MaxDuration: audit.Ms(200)}, 11},
		{"text", audit.Filter{Text: []string{"carol"}}, 10},
		{"text AND", audit.Filter{Text: []string{"carol", "DeleteUser"}}, 2},
		{"text phrase", audit.Filter{Text: []string{"number 7"}}, 1},
		{"text in params", audit.Filter{Text: []string{"w12"}}, 1},
		{"not text", audit.Filter{NotText: []string{"carol"}}, 20},
		{"text and not text", audit.Filter{Text: []string{"DeleteUser"}, NotText: []string{"carol"}}, 4},
		{"fts syntax is literal", audit.Filter{Text: []string{`" OR * NEAR(`}}, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			n, err := db.CountEvents(ctx, c.f)
			if err != nil {
				t.Fatal(err)
			}
			// Count and list must agree.
			events, total, err := db.FindEvents(ctx, c.f, audit.Page{Limit: 7})
			if err != nil {
				t.Fatal(err)
			}
			if int(n) != c.want || total != c.want {
				t.Fatalf("count %d, total %d, want %d", n, total, c.want)
			}
			if len(events) != min(7, c.want) {
				t.Fatalf("page has %d events", len(events))
			}
			for i := 1; i < len(events); i++ {
				if events[i].Time.After(events[i-1].Time) {
					t.Fatalf("not newest first: %v", ids(events))
				}
			}
		})
	}
}

func TestSortAndPages(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	mustImport(t, db, sample()...)
	var seen []string
	for off := 0; off < 30; off += 7 {
		page, total, err := db.FindEvents(ctx, audit.Filter{}, audit.Page{Limit: 7, Offset: off, Sort: []audit.SortKey{{Field: audit.FieldTime}}})
		if err != nil || total != 30 {
			t.Fatal(total, err)
		}
		seen = append(seen, ids(page)...)
	}
	if len(seen) != 30 || seen[0] != "e0" || seen[29] != "e29" {
		t.Fatalf("oldest-first pages: %v", seen)
	}
	if page, total, err := db.FindEvents(ctx, audit.Filter{}, audit.Page{Limit: 3, NoTotal: true}); err != nil || total != -1 || len(page) != 3 {
		t.Fatalf("NoTotal: %d events, total %d, %v", len(page), total, err)
	}
	page, _, err := db.FindEvents(ctx, audit.Filter{}, audit.Page{Limit: 3, Sort: []audit.SortKey{{Field: audit.FieldDuration, Desc: true}}})
	if err != nil || fmt.Sprint(ids(page)) != "[e29 e28 e27]" {
		t.Fatalf("by duration: %v %v", ids(page), err)
	}
}

func TestCountByAndHistogram(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	mustImport(t, db, sample()...)
	b, err := db.CountBy(ctx, audit.Filter{}, audit.FieldAction, 10)
	if err != nil || len(b) != 2 || b[0].Key != "Login" || b[0].Count != 24 || b[1].Count != 6 {
		t.Fatalf("count by action: %+v %v", b, err)
	}
	h, err := db.Histogram(ctx, audit.Filter{}, 10*time.Minute)
	if err != nil || len(h) != 3 || h[0].Count != 10 || !h[0].Time.Equal(base) {
		t.Fatalf("histogram: %+v %v", h, err)
	}
	// gaps are filled with zero buckets
	h, err = db.Histogram(ctx, audit.Filter{Text: []string{"DeleteUser"}}, 5*time.Minute)
	if err != nil || len(h) != 6 {
		t.Fatalf("histogram with gaps: %+v %v", h, err)
	}
}

func TestReadersWhileImportWrites(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.db")
	ctx := context.Background()
	writer, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer writer.Close()
	mustImport(t, writer, sample()...)
	// a slow writer: a reader that blocks until the readers have run
	release := make(chan struct{})
	var events []*audit.Event
	for i := 100; i < 2100; i++ {
		events = append(events, ev(i, "Login", "dave", audit.StatusSuccess))
	}
	r := &gatedReader{sliceReader: reader(events...), gateAt: 1000, gate: release, reached: make(chan struct{})}
	done := make(chan error)
	go func() {
		_, err := writer.Import(ctx, r, ImportOptions{})
		done <- err
	}()
	<-r.reached
	var wg sync.WaitGroup
	for i := 0; i < 2; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			reader, err := Open(ctx, path)
			if err != nil {
				t.Error(err)
				return
			}
			defer reader.Close()
			n, err := reader.CountEvents(ctx, audit.Filter{})
			if err != nil || n != 30 {
				t.Errorf("reader during import: %d %v", n, err)
			}
		}()
	}
	wg.Wait()
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if n, _ := writer.CountEvents(ctx, audit.Filter{}); n != 2030 {
		t.Fatalf("after import: %d", n)
	}
}

type gatedReader struct {
	*sliceReader
	gateAt  int
	gate    chan struct{}
	reached chan struct{}
	once    sync.Once
}

func (g *gatedReader) Next() (*audit.Event, error) {
	if g.reached == nil {
		panic("use newGated")
	}
	if g.i == g.gateAt {
		g.once.Do(func() { close(g.reached); <-g.gate })
	}
	return g.sliceReader.Next()
}

func TestDeleteEvents(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	mustImport(t, db, sample()...)
	var f audit.Filter
	f.Add(audit.FieldActor, "carol@corp.io")
	n, err := db.DeleteEvents(ctx, f)
	if err != nil || n != 10 {
		t.Fatalf("deleted %d, %v", n, err)
	}
	if left, _ := db.CountEvents(ctx, audit.Filter{}); left != 20 {
		t.Fatalf("left %d", left)
	}
	// the full-text index forgot them too
	if hits, _ := db.CountEvents(ctx, audit.Filter{Text: []string{"carol"}}); hits != 0 {
		t.Fatalf("fts still finds %d deleted events", hits)
	}
	// and they can be imported again
	if res := mustImport(t, db, sample()...); res.Inserted != 10 {
		t.Fatalf("re-import after delete: %+v", res)
	}
}

func TestFindEventByIDPrefixAndSources(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	a := ev(1, "X", "y", audit.StatusSuccess)
	a.ID = "6f1c2a9e-6d0b-4f57-9a51-2f1f0c7d1a10"
	b := ev(2, "X", "y", audit.StatusSuccess)
	b.ID = "6f1c2a9e-ffff-4f57-9a51-2f1f0c7d1a10"
	c := ev(3, "X", "y", audit.StatusSuccess)
	c.ID, c.Source = a.ID, "other" // the same id in another source
	d := ev(4, "X", "y", audit.StatusSuccess)
	d.ID = "star*id"
	mustImport(t, db, a, b, c, d)

	if e, err := db.FindEventByID(ctx, "6f1c2a9e-6d0b", "test"); err != nil || e.ID != a.ID {
		t.Fatalf("unique prefix: %v %v", e, err)
	}
	want := `ambiguous: 3 events start with "6f1c2a9e", give more characters: ` + a.ID + ", " + b.ID
	if _, err := db.FindEventByID(ctx, "6f1c2a9e", ""); audit.ExitCode(err) != 2 || err.Error() != want {
		t.Fatalf("ambiguous prefix: %v", err)
	}
	if _, err := db.FindEventByID(ctx, a.ID, ""); err == nil || !strings.Contains(err.Error(), "--source") {
		t.Fatalf("id in two sources: %v", err)
	}
	if e, err := db.FindEventByID(ctx, a.ID, "other"); err != nil || e.Source != "other" {
		t.Fatalf("with --source: %v %v", e, err)
	}
	if _, err := db.FindEventByID(ctx, "6", ""); audit.ExitCode(err) != 2 || !strings.Contains(err.Error(), "ambiguous: 3 events start with \"6\"") {
		t.Fatalf("a one-character prefix: %v", err)
	}
	if e, err := db.FindEventByID(ctx, "6f1c2a9e-f", ""); err != nil || e.ID != b.ID {
		t.Fatalf("unique prefix: %v %v", e, err)
	}
	if e, err := db.FindEventByID(ctx, "st", ""); err != nil || e.ID != d.ID {
		t.Fatalf("short unique prefix: %v %v", e, err)
	}
	if _, err := db.FindEventByID(ctx, "star*", ""); audit.ExitCode(err) != 0 {
		t.Fatalf("* is not a wildcard in an id: %v", err)
	}
	if _, err := db.FindEventByID(ctx, "s*", ""); audit.ExitCode(err) != 3 {
		t.Fatalf("s*: %v", err)
	}
}

func TestMigrationTwoFillsSources(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.db")
	ctx := context.Background()
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	mustImport(t, db, sample()...)
	// back to a cache as migration 1 left it
	if _, err := db.SQL().ExecContext(ctx, "DROP TABLE sources; DROP TABLE sessions; DROP TABLE unpublished; DROP TABLE chain; DROP TABLE chain_rows; DROP TABLE event_hours; PRAGMA user_version = 1"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	db, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if e, err := db.FindEventByID(ctx, "e7", ""); err != nil || e.ID != "e7" {
		t.Fatalf("after migration 2: %v %v", e, err)
	}
	var v int
	db.SQL().QueryRowContext(ctx, "PRAGMA user_version").Scan(&v)
	if v != len(migrations) {
		t.Fatalf("user_version %d", v)
	}
}

func TestNewerSchemaIsRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.db")
	ctx := context.Background()
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	db.SQL().ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", len(migrations)+1))
	db.Close()
	if _, err := Open(ctx, path); err == nil || !strings.Contains(err.Error(), "upgrade auditctl") {
		t.Fatalf("newer cache opened: %v", err)
	}
}
