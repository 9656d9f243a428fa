package jumpcloud_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/auditctl/auditctl/internal/jcserver"
	"github.com/auditctl/auditctl/pkg/audit"
	synccmd "github.com/auditctl/auditctl/pkg/cmd/sync"
	"github.com/auditctl/auditctl/pkg/importer"
	"github.com/auditctl/auditctl/pkg/source/jumpcloud"
	"github.com/auditctl/auditctl/pkg/store/sqlite"
)

const testKey = "jc-test-key-5f2b9c0d1e"

// t0 anchors the generated data: events fall in the 30 days before it.
var t0 = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)

var (
	genOnce sync.Once
	genEvs  []*jcserver.Event
)

// seeded returns a server with about 2,500 generated events (shared
// generation; each test gets its own server).
func seeded(t *testing.T) (*jcserver.Server, *httptest.Server) {
	t.Helper()
	genOnce.Do(func() {
		var err error
		genEvs, err = jcserver.Generate(2500, t0, 30, 1)
		if err != nil {
			panic(err)
		}
	})
	srv := jcserver.New(testKey)
	srv.Now = func() time.Time { return t0.Add(2 * time.Hour) } // for a request without end_time
	srv.AddEvents(genEvs...)
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	return srv, hs
}

func client(t *testing.T, url string) *jumpcloud.Client {
	t.Helper()
	c, err := jumpcloud.NewClient(jumpcloud.Settings{APIKey: testKey, Endpoint: url, RequestTimeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	c.Backoff, c.MaxBackoff = time.Millisecond, 5*time.Millisecond
	return c
}

func openDB(t testing.TB) *sqlite.DB {
	t.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "audit.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func opts(now time.Time) jumpcloud.SyncOptions {
	return jumpcloud.SyncOptions{Since: 31 * 24 * time.Hour, Now: func() time.Time { return now },
		SliceEvents: 600, Concurrency: 4, PageLimit: 150, FlushEvents: 400}
}

// cached returns the ids of the jumpcloud events in the cache, with a check
// that none is stored twice.
func cached(t *testing.T, db *sqlite.DB) map[string]bool {
	t.Helper()
	ids := map[string]bool{}
	var f audit.Filter
	f.Add(audit.FieldSource, "jumpcloud")
	err := db.EachEvent(context.Background(), f, audit.Page{}, func(e *audit.Event) error {
		if ids[e.ID] {
			t.Errorf("event %s stored twice", e.ID)
		}
		ids[e.ID] = true
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

// sameAsServer checks the cache holds exactly the server's events with a
// time in [from, until).
func sameAsServer(t *testing.T, db *sqlite.DB, srv *jcserver.Server, from, until time.Time) {
	t.Helper()
	ids := cached(t, db)
	want := 0
	for _, e := range srv.Events() {
		if e.Time.Before(from) || !e.Time.Before(until) {
			continue
		}
		want++
		if !ids[e.ID] {
			t.Fatalf("event %s at %s is on the server, not in the cache", e.ID, e.Time)
		}
	}
	if len(ids) != want {
		t.Fatalf("cache holds %d events, server %d", len(ids), want)
	}
}

func TestFullSyncEqualsServer(t *testing.T) {
	srv, hs := seeded(t)
	db := openDB(t)
	c := client(t, hs.URL)
	now := t0.Add(5 * time.Minute)
	res, err := jumpcloud.Sync(context.Background(), c, synccmd.Store(db), opts(now))
	if err != nil {
		t.Fatal(err)
	}
	n := len(srv.Events())
	if res.Fetched != int64(n) || res.Inserted != int64(n) {
		t.Fatalf("fetched %d, inserted %d, server has %d", res.Fetched, res.Inserted, n)
	}
	if len(res.Windows) != 1 || res.Windows[0].Slices < 4 {
		t.Fatalf("want one window split in several slices, got %+v", res.Windows)
	}
	sameAsServer(t, db, srv, time.Time{}, now)
	// Every event is stored as the importer maps the raw document.
	var m = jcMapper()
	for _, e := range srv.Events()[:200] {
		got, err := db.FindEventByID(context.Background(), e.ID, "jumpcloud")
		if err != nil {
			t.Fatal(err)
		}
		want, err := m(e.Raw)
		if err != nil {
			t.Fatal(err)
		}
		gj, _ := json.Marshal(got)
		wj, _ := json.Marshal(want)
		if !bytes.Equal(gj, wj) {
			t.Fatalf("event %s stored as\n%s\nwant\n%s", e.ID, gj, wj)
		}
	}
	// A second run fetches only the overlap and adds nothing.
	res, err = jumpcloud.Sync(context.Background(), c, synccmd.Store(db), opts(now.Add(time.Minute)))
	if err != nil {
		t.Fatal(err)
	}
	if res.Inserted != 0 || res.Fetched >= int64(n)/10 {
		t.Fatalf("second run: %+v", res)
	}
	st, ok, err := db.SyncState(context.Background(), "jumpcloud", "", "all")
	if err != nil || !ok || !st.Until.Equal(now.Add(time.Minute-2*time.Minute)) {
		t.Fatalf("state %+v %v %v", st, ok, err)
	}
}

// Interrupted runs, at random points and by faults, never lose an event
// below the recorded state, and a last run converges with no duplicates.
func TestSyncInterruptedConverges(t *testing.T) {
	srv, hs := seeded(t)
	srv.SlowDelay = 3 * time.Second
	db := openDB(t)
	c := client(t, hs.URL)
	c.SetTimeout(300 * time.Millisecond)
	c.MaxAttempts = 2
	now := t0.Add(5 * time.Minute)
	rng := rand.New(rand.NewPCG(42, 1))
	interrupted := 0
	for run := 0; run < 8; run++ {
		ctx, cancel := context.WithCancel(context.Background())
		o := opts(now)
		stopAt := int64(rng.IntN(len(genEvs)))
		o.Progress = func(fetched, total int64) {
			if fetched >= stopAt {
				cancel()
			}
		}
		if run%3 == 2 {
			srv.Chaos(0.3, uint64(run))
		} else {
			srv.Chaos(0, 0)
		}
		_, err := jumpcloud.Sync(ctx, c, synccmd.Store(db), o)
		cancel()
		if err != nil {
			interrupted++
		}
		// What the state says is stored is stored.
		st, ok, err := db.SyncState(context.Background(), "jumpcloud", "", "all")
		if err != nil {
			t.Fatal(err)
		}
		ids := cached(t, db)
		if ok {
			for _, e := range srv.Events() {
				if !e.Time.Before(st.From) && e.Time.Before(st.Until) && !ids[e.ID] {
					t.Fatalf("run %d: event %s at %s is inside the recorded state [%s, %s) but not stored", run, e.ID, e.Time, st.From, st.Until)
				}
			}
		}
	}
	if interrupted == 0 {
		t.Fatal("no run was interrupted: the test tests nothing")
	}
	srv.Chaos(0, 0)
	if _, err := jumpcloud.Sync(context.Background(), c, synccmd.Store(db), opts(now)); err != nil {
		t.Fatal(err)
	}
	sameAsServer(t, db, srv, time.Time{}, now)
}

// Events that arrive late, behind the lag buffer, are picked up by the
// next run through the overlap; events newer than now − lag wait for it.
func TestSyncLateEvents(t *testing.T) {
	srv, hs := seeded(t)
	db := openDB(t)
	c := client(t, hs.URL)
	now := t0.Add(time.Hour)
	if _, err := jumpcloud.Sync(context.Background(), c, synccmd.Store(db), opts(now)); err != nil {
		t.Fatal(err)
	}
	end := now.Add(-2 * time.Minute)
	mk := func(id string, ts time.Time) []byte {
		return fmt.Appendf(nil, `{"id":%q,"event_type":"user_login_attempt","service":"directory","organization":"o1","timestamp":%q,"initiated_by":{"type":"user","username":"late.user"},"success":true}`,
			id, ts.Format(time.RFC3339Nano))
	}
	late := mk("late00000000000000000001", end.Add(-5*time.Minute))   // arrived after the run, inside its window
	recent := mk("late00000000000000000002", end.Add(30*time.Second)) // inside the lag buffer of the first run
	fresh := mk("late00000000000000000003", now.Add(-time.Second))    // inside the lag buffer of the next run too
	if err := srv.Add(late, recent, fresh); err != nil {
		t.Fatal(err)
	}
	ids := cached(t, db)
	if ids["late00000000000000000002"] {
		t.Fatal("an event inside the lag buffer was synced")
	}
	if _, err := jumpcloud.Sync(context.Background(), c, synccmd.Store(db), opts(now.Add(10*time.Minute))); err != nil {
		t.Fatal(err)
	}
	ids = cached(t, db)
	for _, id := range []string{"late00000000000000000001", "late00000000000000000002", "late00000000000000000003"} {
		if !ids[id] {
			t.Errorf("late event %s not picked up", id)
		}
	}
	sameAsServer(t, db, srv, time.Time{}, now.Add(8*time.Minute))
}

// A larger --since on a later run fills the gap before the first.
func TestSyncBackfill(t *testing.T) {
	srv, hs := seeded(t)
	db := openDB(t)
	c := client(t, hs.URL)
	now := t0.Add(5 * time.Minute)
	o := opts(now)
	o.Since = 7 * 24 * time.Hour
	if _, err := jumpcloud.Sync(context.Background(), c, synccmd.Store(db), o); err != nil {
		t.Fatal(err)
	}
	sameAsServer(t, db, srv, now.Add(-7*24*time.Hour), now)
	o.Since = 20 * 24 * time.Hour
	res, err := jumpcloud.Sync(context.Background(), c, synccmd.Store(db), o)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Windows) != 2 || !res.Windows[0].Backfill {
		t.Fatalf("want a backfill and a forward window, got %+v", res.Windows)
	}
	sameAsServer(t, db, srv, now.Add(-20*24*time.Hour), now)
}

func TestSyncPerServiceAndOrg(t *testing.T) {
	srv, hs := seeded(t)
	db := openDB(t)
	c := client(t, hs.URL)
	org := srv.Events()[0].Org
	now := t0.Add(5 * time.Minute)
	o := opts(now)
	o.Services = []string{"sso,ldap"}
	o.Orgs = []string{org}
	res, err := jumpcloud.Sync(context.Background(), c, synccmd.Store(db), o)
	if err != nil {
		t.Fatal(err)
	}
	want := 0
	for _, e := range srv.Events() {
		if e.Org == org && (e.Service == "sso" || e.Service == "ldap") {
			want++
		}
	}
	if want == 0 || res.Inserted != int64(want) || len(cached(t, db)) != want {
		t.Fatalf("inserted %d, want %d", res.Inserted, want)
	}
	for _, svc := range []string{"sso", "ldap"} {
		if _, ok, _ := db.SyncState(context.Background(), "jumpcloud", org, svc); !ok {
			t.Errorf("no state for %s", svc)
		}
	}
}

func TestSyncDryRun(t *testing.T) {
	_, hs := seeded(t)
	db := openDB(t)
	o := opts(t0)
	o.DryRun = true
	res, err := jumpcloud.Sync(context.Background(), client(t, hs.URL), synccmd.Store(db), o)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Windows) != 1 || res.Windows[0].Count == 0 || res.Fetched != 0 || len(cached(t, db)) != 0 {
		t.Fatalf("dry run: %+v", res)
	}
}

// Faults: 429 with Retry-After, 503 bursts, 500, a reset mid-page, a slow
// page past the timeout and a cut-short body are retried; the result is
// complete.
func TestSyncRetriesFaults(t *testing.T) {
	srv, hs := seeded(t)
	srv.SlowDelay = 5 * time.Second
	srv.RetryAfter = "1"
	db := openDB(t)
	c := client(t, hs.URL)
	c.SetTimeout(300 * time.Millisecond)
	c.MaxAttempts = 12
	var trace bytes.Buffer
	c.Debug = &syncWriter{w: &trace}
	srv.Inject(jcserver.Fault429, jcserver.Fault503, jcserver.Fault503, jcserver.Fault503, jcserver.FaultReset,
		jcserver.FaultSlow, jcserver.FaultBadJSON, jcserver.Fault500)
	now := t0.Add(5 * time.Minute)
	o := opts(now)
	o.Concurrency = 1
	if _, err := jumpcloud.Sync(context.Background(), c, synccmd.Store(db), o); err != nil {
		t.Fatal(err)
	}
	sameAsServer(t, db, srv, time.Time{}, now)
	tr := trace.String()
	for _, want := range []string{"in 1s: 429 Too Many Requests", "503 Service Unavailable", "500 Internal Server Error", "deadline exceeded", "response:"} {
		if !strings.Contains(tr, want) {
			t.Errorf("trace lacks %q:\n%s", want, tr)
		}
	}
	if strings.Contains(tr, testKey) {
		t.Fatal("the key is in the debug trace")
	}
}

func TestUnauthorizedIsClearAndNotRetried(t *testing.T) {
	srv, hs := seeded(t)
	db := openDB(t)
	bad, err := jumpcloud.NewClient(jumpcloud.Settings{APIKey: "wrong-key", Endpoint: hs.URL})
	if err != nil {
		t.Fatal(err)
	}
	_, err = jumpcloud.Sync(context.Background(), bad, synccmd.Store(db), opts(t0))
	if err == nil || !strings.Contains(err.Error(), "check JUMPCLOUD_API_KEY") || audit.ExitCode(err) != 4 {
		t.Fatalf("err = %v (exit %d)", err, audit.ExitCode(err))
	}
	if srv.Requests() != 1 {
		t.Fatalf("a 401 was retried: %d requests", srv.Requests())
	}
}

func TestGivesUpAfterAttempts(t *testing.T) {
	srv, hs := seeded(t)
	c := client(t, hs.URL)
	c.MaxAttempts = 3
	srv.Inject(jcserver.Fault503, jcserver.Fault503, jcserver.Fault503, jcserver.Fault503)
	_, err := c.Count(context.Background(), "", jumpcloud.Request{Service: []string{"all"}, StartTime: t0.Add(-time.Hour)})
	if err == nil || audit.ExitCode(err) != 4 || !strings.Contains(err.Error(), "after 3 attempts") {
		t.Fatalf("err = %v", err)
	}
	if srv.Requests() != 3 {
		t.Fatalf("%d requests, want 3", srv.Requests())
	}
}

// The key never appears in an error, even when the server echoes it.
func TestKeyRedactedFromErrors(t *testing.T) {
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `{"message":"bad key %s"}`, r.Header.Get("x-api-key"))
	}))
	defer hs.Close()
	var trace bytes.Buffer
	c := client(t, hs.URL)
	c.Debug = &trace
	_, err := c.Count(context.Background(), "", jumpcloud.Request{Service: []string{"all"}, StartTime: t0})
	if err == nil || strings.Contains(err.Error(), testKey) || strings.Contains(trace.String(), testKey) {
		t.Fatalf("err = %v\ntrace: %s", err, trace.String())
	}
	if !strings.Contains(err.Error(), "[REDACTED]") {
		t.Fatalf("err = %v", err)
	}
}

func TestCancelStopsRetries(t *testing.T) {
	srv, hs := seeded(t)
	c := client(t, hs.URL)
	c.Backoff, c.MaxBackoff = time.Hour, time.Hour
	srv.Inject(jcserver.Fault503)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := c.Count(ctx, "", jumpcloud.Request{Service: []string{"all"}, StartTime: t0.Add(-time.Hour)})
		done <- err
	}()
	for srv.Requests() == 0 {
		time.Sleep(time.Millisecond)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
}

type syncWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

func sortedIDs(evs []*audit.Event) []string {
	var ids []string
	for _, e := range evs {
		ids = append(ids, e.ID)
	}
	slices.Sort(ids)
	return ids
}

func jcMapper() func([]byte) (*audit.Event, error) {
	m := &importer.DIMapper{}
	return func(raw []byte) (*audit.Event, error) { return m.Map(bytes.Clone(raw)) }
}
