package sync_test

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"

	"github.com/auditctl/auditctl/internal/pgtest"
	"github.com/auditctl/auditctl/pkg/cmd/cmdtest"
	"github.com/auditctl/auditctl/pkg/store/postgres"
	"github.com/jackc/pgx/v5"
)

// storedIDs counts how many times each event id is in the team store.
func storedIDs(t *testing.T, url string) map[string]int {
	t.Helper()
	ctx := context.Background()
	c, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	rows, err := c.Query(ctx, "SELECT ext_id, count(*) FROM events GROUP BY ext_id")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for rows.Next() {
		var id string
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			t.Fatal(err)
		}
		seen[id] = n
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return seen
}

// TestSyncIntoPostgres: sync jumpcloud into a team store: the plan of a
// first sync creates nothing; a sync stores every event once and records
// the state, so the next one fetches only the overlap and adds nothing; two
// syncs at once store each event once; and the team store answers as a
// cache synced from the same server.
func TestSyncIntoPostgres(t *testing.T) {
	srv := pgtest.Start(t)
	lite, jc := setup(t)
	pg := cmdtest.New(t)
	pg.DBPath = srv.CreateDB(t, "team")

	out := pg.MustRun("sync", "jumpcloud", "--since", "30d", "--dry-run", "-o", "json")
	if !strings.Contains(out, `"windows":[{`) {
		t.Fatalf("dry run: %s", out)
	}
	if err := pg.Run("logs", "count", "--all"); err == nil || !strings.Contains(err.Error(), "no auditctl store") {
		t.Fatalf("the dry run made the schema: %v", err)
	}
	out = pg.MustRun("sync", "jumpcloud", "--since", "30d", "--slice-events", "200", "--page-limit", "100", "-o", "json")
	var res struct{ Fetched, Inserted int }
	if err := json.Unmarshal([]byte(out), &res); err != nil || res.Inserted != len(jc.Events()) {
		t.Fatalf("sync: %s (%v), the server has %d", out, err, len(jc.Events()))
	}
	ctx := context.Background()
	db, err := postgres.Open(ctx, pg.DBPath, false)
	if err != nil {
		t.Fatal(err)
	}
	states, err := db.SyncStates(ctx, "jumpcloud")
	db.Close()
	if err != nil || len(states) != 1 || states[0].Service != "all" || states[0].Until.IsZero() {
		t.Fatalf("sync state: %+v %v", states, err)
	}
	out = pg.MustRun("sync", "jumpcloud", "-o", "json")
	if err := json.Unmarshal([]byte(out), &res); err != nil || res.Inserted != 0 || res.Fetched >= len(jc.Events()) {
		t.Fatalf("second sync (from the state): %s", out)
	}

	// Two syncs at once, each from the beginning, into a second store.
	url2 := srv.CreateDB(t, "team2")
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range errs {
		env := cmdtest.New(t)
		env.DBPath = url2
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = env.Run("sync", "jumpcloud", "--since", "30d", "--slice-events", "200", "--page-limit", "100", "--quiet")
		}()
	}
	wg.Wait()
	if errs[0] != nil || errs[1] != nil {
		t.Fatalf("concurrent syncs: %v, %v", errs[0], errs[1])
	}
	seen := storedIDs(t, url2)
	if len(seen) != len(jc.Events()) {
		t.Fatalf("two syncs at once stored %d events, the server has %d", len(seen), len(jc.Events()))
	}
	for id, n := range seen {
		if n != 1 {
			t.Fatalf("%s stored %d times", id, n)
		}
	}

	// The same answers as a cache synced from the same server.
	lite.MustRun("sync", "jumpcloud", "--since", "30d", "--quiet")
	for _, args := range [][]string{
		{"logs", "list", "--service", "sso", "--since", "30d", "-o", "ndjson", "-L", "40"},
		{"logs", "count", "--since", "30d", "--by", "action", "-o", "json"},
		{"logs", "count", "--since", "30d", "--interval", "1d", "--service", "directory"},
		{"logs", "export", "--service", "ldap", "--format", "ndjson"},
		{"logs", "show", jc.Events()[42].ID, "-o", "json"},
	} {
		a, b := lite.MustRun(args...), pg.MustRun(args...)
		if a != b || len(a) < 10 {
			t.Errorf("%v:\ncache:\n%.500s\nteam store:\n%.500s", args, a, b)
		}
	}
}

// A sync into a team store killed with SIGKILL at random moments, then
// run again, ends with exactly the server's events.
func TestSyncKilledResumesPostgres(t *testing.T) {
	url := pgtest.Start(t).CreateDB(t, "killed")
	syncKilledResumes(t, url, func() map[string]int { return storedIDs(t, url) })
}
