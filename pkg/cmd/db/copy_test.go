package db_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/auditctl/auditctl/internal/bintest"
	"github.com/auditctl/auditctl/internal/pgtest"
	"github.com/auditctl/auditctl/pkg/cmd/cmdtest"
	"github.com/auditctl/auditctl/pkg/cmdutil"
	"github.com/auditctl/auditctl/pkg/session"
	"github.com/auditctl/auditctl/pkg/store"
	"github.com/auditctl/auditctl/pkg/store/postgres"
	"github.com/auditctl/auditctl/pkg/store/sqlite"
	"github.com/auditctl/auditctl/pkg/store/storecopy"
	"github.com/jackc/pgx/v5"
)

// copyFixture is a cache made by demo (events, plus three events whose key
// slots collide), with a sync state and an active session besides the
// demo's: what db copy moves.
func copyFixture(t *testing.T, events int) *cmdtest.Env {
	t.Helper()
	lite := cmdtest.New(t)
	lite.MustRun("demo", "--events", fmt.Sprint(events), "--quiet")
	// Three events of one microsecond whose natural key slots collide (a
	// and b: slot s, c: slot s+1), imported in that order: the cache keys
	// them s, s+1, s+2. A copy that computed keys afresh would give b the
	// slot after c's.
	ts := cmdtest.Now.Add(-30 * time.Hour).Truncate(time.Microsecond)
	slot := func(id string) int64 {
		k, err := store.EventKey(ts, "collide", id)
		if err != nil {
			t.Fatal(err)
		}
		return k & store.SlotMask
	}
	bySlot := map[int64][]string{}
	var a, b, c string
	for i := 0; a == ""; i++ {
		id := fmt.Sprintf("c%d", i)
		sl := slot(id)
		bySlot[sl] = append(bySlot[sl], id)
		if ids := bySlot[sl]; len(ids) >= 2 && sl < store.SlotMask-1 && len(bySlot[sl+1]) > 0 {
			a, b, c = ids[0], ids[1], bySlot[sl+1][0]
		}
		if len(bySlot[sl-1]) >= 2 && sl > 0 {
			a, b, c = bySlot[sl-1][0], bySlot[sl-1][1], id
		}
	}
	var nd strings.Builder
	for _, id := range []string{a, b, c} {
		fmt.Fprintf(&nd, `{"id":%q,"source":"collide","time":%q,"action":"Login","actor":"ana"}`+"\n", id, ts.Format(time.RFC3339Nano))
	}
	file := filepath.Join(t.TempDir(), "collide.ndjson")
	if err := os.WriteFile(file, []byte(nd.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	lite.MustRun("import", file, "--quiet")
	ctx := context.Background()
	db, err := sqlite.OpenExisting(ctx, lite.DBPath)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.ExtendSyncState(ctx, store.SyncState{Source: "jumpcloud", Org: "o1", Service: "all",
		From: cmdtest.Now.Add(-72 * time.Hour), Until: cmdtest.Now.Add(-time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateSession(ctx, &session.Session{ID: "live-0001", UserName: "ana", Start: cmdtest.Now.Add(-time.Minute),
		Status: session.StatusActive, RecorderPID: 1}); err != nil {
		t.Fatal(err)
	}
	return lite
}

// cacheRows are the cache's event rows as "key source id", sorted.
func cacheRows(t *testing.T, path string) []string {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query("SELECT id, source, ext_id FROM events ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var k int64
		var s, id string
		if err := rows.Scan(&k, &s, &id); err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprintf("%d %s %s", k, s, id))
	}
	return out
}

// teamRows are the team store's event rows as "key source id" (sorted),
// with every identity in event_ids and every document row checked once.
func teamRows(t *testing.T, url string) []string {
	t.Helper()
	ctx := context.Background()
	c, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	var ids, docs int
	if err := c.QueryRow(ctx, "SELECT (SELECT count(*) FROM event_ids), (SELECT count(*) FROM event_docs)").Scan(&ids, &docs); err != nil {
		if strings.Contains(err.Error(), "does not exist") {
			return nil
		}
		t.Fatal(err)
	}
	rows, err := c.Query(ctx, "SELECT id, source, ext_id FROM events ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for rows.Next() {
		var k int64
		var s, id string
		if err := rows.Scan(&k, &s, &id); err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprintf("%d %s %s", k, s, id))
	}
	rows.Close()
	if ids != len(out) || docs != len(out) {
		t.Fatalf("team store: %d events, %d identities, %d documents", len(out), ids, docs)
	}
	return out
}

type copyResult struct {
	Events, EventsNew                     int64
	Resumed                               bool
	Sessions, SessionsNew, SessionsActive int
	SyncStreams                           int
}

func (r *copyResult) UnmarshalJSON(b []byte) error {
	var v struct {
		Events         int64 `json:"events"`
		EventsNew      int64 `json:"events_new"`
		Resumed        bool  `json:"resumed"`
		Sessions       int   `json:"sessions"`
		SessionsNew    int   `json:"sessions_new"`
		SessionsActive int   `json:"sessions_active_skipped"`
		SyncStreams    int   `json:"sync_streams"`
	}
	err := json.Unmarshal(b, &v)
	*r = copyResult{v.Events, v.EventsNew, v.Resumed, v.Sessions, v.SessionsNew, v.SessionsActive, v.SyncStreams}
	return err
}

// TestDBCopy: a cache copied into a team store arrives whole, each event
// with its key, and the team store then answers as the cache does; a copy
// run again copies nothing twice, even when its progress is forgotten; a
// copy stopped after some slices resumes and finishes with each row once.
func TestDBCopy(t *testing.T) {
	srv := pgtest.Start(t)
	events, slice := 1500, 200
	if raceDetector {
		events, slice = 400, 100
	}
	total := int64(events + 3)
	lite := copyFixture(t, events)
	url := srv.CreateDB(t, "team")
	pg := cmdtest.New(t)
	pg.DBPath = url

	// Usage errors, and no cache at --from.
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"db", "copy", "--to", url}, 2, "needs --from"},
		{[]string{"db", "copy", "--from", url, "--to", url}, 2, "not a URL"},
		{[]string{"db", "copy", "--from", lite.DBPath, "--to", lite.DBPath}, 2, "not a postgres://"},
		{[]string{"db", "copy", "--from", filepath.Join(t.TempDir(), "none.db"), "--to", url}, 5, "no cache at"},
		{[]string{"db", "copy", "--from", lite.DBPath, "--to", url, "extra"}, 2, ""},
	} {
		err := pg.Run(c.args...)
		if code := cmdutil.ExitCode(err); code != c.code || !strings.Contains(fmt.Sprint(err), c.want) {
			t.Errorf("%v: exit %d %v, want %d %q", c.args, code, err, c.code, c.want)
		}
	}

	var res copyResult
	out := pg.MustRun("db", "copy", "--from", lite.DBPath, "--slice-events", "400", "-o", "json")
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	if res.Events != total || res.EventsNew != total || res.Resumed || res.SessionsActive != 1 || res.Sessions < 3 ||
		res.SessionsNew != res.Sessions || res.SyncStreams != 1 {
		t.Fatalf("first copy: %s", out)
	}
	want := cacheRows(t, lite.DBPath)
	if got := teamRows(t, url); !slices.Equal(got, want) {
		t.Fatalf("the team store's rows (key source id) differ from the cache's: %d against %d", len(got), len(want))
	}
	// The team store answers as the cache does, and its chain holds.
	for _, args := range [][]string{
		{"logs", "export", "-o", "ndjson"},
		{"logs", "count", "--by", "action", "--all", "-o", "json"},
		{"sessions", "list", "-o", "json", "--status", "completed"},
	} {
		if a, b := lite.MustRun(args...), pg.MustRun(args...); a != b || len(a) < 100 {
			t.Errorf("%v: the team store differs from the cache (%d and %d bytes)", args, len(a), len(b))
		}
	}
	if err := pg.Run("verify", "-o", "json"); err != nil {
		t.Errorf("verify after the copy: %v\n%s", err, pg.Out)
	}
	// Each copied session is sealed in the team store's chain as it
	// arrives: verify covers them.
	var vr struct {
		Chain struct{ Events, Sessions int64 }
	}
	if err := json.Unmarshal(pg.Out.Bytes(), &vr); err != nil || vr.Chain.Events != total || vr.Chain.Sessions != int64(res.Sessions) {
		t.Errorf("verify after the copy covered %+v (%v), want %d events and %d sessions", vr.Chain, err, total, res.Sessions)
	}
	ctx := context.Background()
	to, err := postgres.Open(ctx, url, false)
	if err != nil {
		t.Fatal(err)
	}
	st, ok, err := to.SyncState(ctx, "jumpcloud", "o1", "all")
	to.Close()
	if !ok || err != nil || !st.Until.Equal(cmdtest.Now.Add(-time.Hour)) {
		t.Errorf("sync state in the team store: %+v %v %v", st, ok, err)
	}

	// Again: it resumes at the end and copies nothing.
	out = pg.MustRun("db", "copy", "--from", lite.DBPath, "-o", "json")
	if err := json.Unmarshal([]byte(out), &res); err != nil || res.EventsNew != 0 || !res.Resumed || res.SessionsNew != 0 {
		t.Fatalf("second copy: %s", out)
	}
	// Its progress forgotten: it reads everything again and adds nothing.
	c, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Exec(ctx, "DELETE FROM copy_state"); err != nil {
		t.Fatal(err)
	}
	c.Close(ctx)
	out = pg.MustRun("db", "copy", "--from", lite.DBPath, "--slice-events", "700", "-o", "json")
	if err := json.Unmarshal([]byte(out), &res); err != nil || res.Events != total || res.EventsNew != 0 || res.SessionsNew != 0 {
		t.Fatalf("copy with its progress forgotten: %s", out)
	}
	if got := teamRows(t, url); !slices.Equal(got, want) {
		t.Fatalf("after copying again: %d rows, want %d", len(got), len(want))
	}
	if out := pg.MustRun("db", "copy", "--from", lite.DBPath); !strings.Contains(out, "events      0 read, 0 new") {
		t.Errorf("table output: %s", out)
	}

	// Stopped after two slices (as Ctrl-C stops it), then resumed.
	url2 := srv.CreateDB(t, "stopped")
	from, err := sqlite.OpenExisting(ctx, lite.DBPath)
	if err != nil {
		t.Fatal(err)
	}
	defer from.Close()
	to2, err := postgres.Open(ctx, url2, true)
	if err != nil {
		t.Fatal(err)
	}
	defer to2.Close()
	cctx, cancel := context.WithCancel(ctx)
	_, err = storecopy.Copy(cctx, from, to2, storecopy.Options{Origin: lite.DBPath, Slice: slice, AfterSlice: func(n int) {
		if n == 1 {
			cancel()
		}
	}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("stopped copy: %v", err)
	}
	if got := teamRows(t, url2); len(got) != 2*slice {
		t.Fatalf("a copy stopped after two slices of %d left %d events", slice, len(got))
	}
	r, err := storecopy.Copy(ctx, from, to2, storecopy.Options{Origin: lite.DBPath, Slice: slice})
	if err != nil || !r.Resumed || r.Events != total-int64(2*slice) || r.EventsNew != r.Events {
		t.Fatalf("resumed copy: %+v %v", r, err)
	}
	if got := teamRows(t, url2); !slices.Equal(got, want) {
		t.Fatalf("after the resumed copy: %d rows, want %d", len(got), len(want))
	}
}

// TestDBCopyKilled interrupts a real `auditctl db copy` with SIGINT (exit
// 130) and with SIGKILL at moments the copy has made progress, then runs it
// to the end: the team store holds each of the cache's events once, with
// its key.
func TestDBCopyKilled(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := bintest.Auditctl(t)
	srv := pgtest.Start(t)
	events := 3000
	if raceDetector {
		events = 1000 // a slower binary: fewer slices of 100 still span three interruptions
	}
	lite := copyFixture(t, events)
	url := srv.CreateDB(t, "killed")
	want := cacheRows(t, lite.DBPath)
	ctx := context.Background()
	lastKey := func() string {
		c, err := pgx.Connect(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close(ctx)
		var k string
		if err := c.QueryRow(ctx, "SELECT last_key FROM copy_state WHERE kind = 'events'").Scan(&k); err != nil {
			return ""
		}
		return k
	}
	env := append(os.Environ(), "XDG_CONFIG_HOME="+t.TempDir())
	args := []string{"db", "copy", "--from", lite.DBPath, "--to", url, "--slice-events", "100", "--quiet"}
	interrupted := 0
	for i, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGKILL, syscall.SIGKILL} {
		before := lastKey()
		cmd := exec.Command(bin, args...)
		cmd.Env = env
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		var err error
	wait:
		for {
			select {
			case err = <-exited:
				break wait
			default:
			}
			if k := lastKey(); k != before && k != "" {
				// one slice more each time, so each kill lands elsewhere
				time.Sleep(time.Duration(i*40) * time.Millisecond)
				cmd.Process.Signal(sig)
				err = <-exited
				interrupted++
				break
			}
			time.Sleep(5 * time.Millisecond) // polling the server, not a correctness delay
		}
		var ee *exec.ExitError
		if sig == syscall.SIGINT && errors.As(err, &ee) && ee.ExitCode() != 130 {
			t.Errorf("db copy after SIGINT: exit %d, want 130", ee.ExitCode())
		}
		if got := teamRows(t, url); len(got) > len(want) {
			t.Fatalf("after interruption %d: %d events, the cache has %d", i, len(got), len(want))
		}
	}
	if interrupted == 0 {
		t.Fatal("no copy was interrupted: the test tests nothing")
	}
	out, err := exec.Command(bin, append(args[:len(args)-1], "-o", "json")...).CombinedOutput()
	if err != nil {
		t.Fatalf("the last copy: %v\n%s", err, out)
	}
	var res copyResult
	if err := json.Unmarshal(out, &res); err != nil || !res.Resumed {
		t.Fatalf("the last copy: %s %v", out, err)
	}
	if got := teamRows(t, url); !slices.Equal(got, want) {
		t.Fatalf("after %d interruptions and a last copy: %d events (key source id), the cache has %d", interrupted, len(got), len(want))
	}
}
