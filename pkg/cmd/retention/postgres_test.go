package retention_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/auditctl/auditctl/internal/bintest"
	"github.com/auditctl/auditctl/internal/pgtest"
	"github.com/auditctl/auditctl/pkg/cmd/cmdtest"
	"github.com/auditctl/auditctl/pkg/cmdutil"
	"github.com/auditctl/auditctl/pkg/store"
	"github.com/jackc/pgx/v5"
)

// teamEvents writes an NDJSON file of events every 11 hours over the 200
// days before now, and returns it with their times.
func teamEvents(t *testing.T, now time.Time) (string, []time.Time) {
	var b bytes.Buffer
	var times []time.Time
	for i := 0; ; i++ {
		ts := now.Add(-200*24*time.Hour + 5*time.Hour + time.Duration(i)*11*time.Hour + 1500*time.Microsecond) // none within 5 h of a 90-day cutoff
		if ts.After(now.Add(-time.Hour)) {
			break
		}
		times = append(times, ts)
		fmt.Fprintf(&b, `{"id":"r%d","source":"team","time":%q,"action":"Login","actor":"u%d@example.com","raw":{"i":%d}}`+"\n",
			i, ts.UTC().Format(time.RFC3339Nano), i%7, i)
	}
	p := filepath.Join(t.TempDir(), "events.ndjson")
	if err := os.WriteFile(p, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return p, times
}

// teamStore starts a server with a store made by db init and three login
// roles (importer, alice the reader, boss the admin); url names one.
func teamStore(t *testing.T) (url func(user string) string, su *pgx.Conn) {
	srv := pgtest.Start(t)
	ctx := context.Background()
	suURL := srv.CreateDB(t, "team")
	url = func(user string) string { return srv.URL(user, "team") }
	env := cmdtest.New(t)
	env.MustRun("db", "init", suURL, "--quiet")
	su, err := pgx.Connect(ctx, suURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { su.Close(context.Background()) })
	for _, s := range []string{"CREATE ROLE importer LOGIN IN ROLE auditctl_ingest", "CREATE ROLE alice LOGIN IN ROLE auditctl_reader",
		"CREATE ROLE boss LOGIN IN ROLE auditctl_admin"} {
		if _, err := su.Exec(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	return url, su
}

func gunzip(t *testing.T, path string) string {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestPostgresRetention: retention status and apply on a team store print
// what they print over a cache holding the same events, write the same
// archive, drop the old months whole and leave a chain that verifies; the
// ingest and reader roles are refused (exit 4) before anything is written.
func TestPostgresRetention(t *testing.T) {
	url, su := teamStore(t)
	ctx := context.Background()
	file, times := teamEvents(t, cmdtest.Now)
	// Sessions: two that started two years ago (expired), one last week.
	recDir := t.TempDir()
	var recs []string
	for i, start := range []time.Time{cmdtest.Now.AddDate(-2, 0, 0), cmdtest.Now.AddDate(-2, 0, 1), cmdtest.Now.AddDate(0, 0, -7)} {
		p := filepath.Join(recDir, fmt.Sprintf("s%d.cast", i))
		body := fmt.Sprintf(`{"version":2,"width":80,"height":24,"timestamp":%d}`+"\n"+`[1, "o", "session %d"]`+"\n", start.Unix(), i)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		recs = append(recs, p)
	}
	lite := cmdtest.New(t)
	lite.MustRun("import", file, "--quiet")
	lite.MustRun(append([]string{"sessions", "import", "--quiet"}, recs...)...)
	pg := cmdtest.New(t)
	pg.ConfigPath = lite.ConfigPath // one signing key: the same trusted key in verify
	pg.DBPath = url("importer")
	pg.MustRun("import", file, "--quiet")
	pg.MustRun(append([]string{"sessions", "import", "--quiet"}, recs...)...)

	// Refused roles: exit 4, no archive, nothing deleted.
	for _, user := range []string{"importer", "alice"} {
		pg.DBPath = url(user)
		arch := filepath.Join(t.TempDir(), "arch")
		err := pg.Run("retention", "apply", "--archive", arch)
		if code := cmdutil.ExitCode(err); code != 4 || !strings.Contains(fmt.Sprint(err), "admin role") {
			t.Errorf("retention apply as %s: exit %d %v", user, code, err)
		}
		if _, err := os.Stat(arch); err == nil {
			t.Errorf("retention apply as %s wrote an archive", user)
		}
	}
	// status needs only to read.
	pg.DBPath = url("alice")
	a, b := lite.MustRun("retention", "status", "-o", "json"), pg.MustRun("retention", "status", "-o", "json")
	if a != b {
		t.Fatalf("retention status:\ncache:    %s\npostgres: %s", a, b)
	}
	if a, b := lite.MustRun("retention", "status", "--logs", "30d"), pg.MustRun("retention", "status", "--logs", "30d"); a != b {
		t.Fatalf("retention status --logs 30d:\ncache:\n%s\npostgres:\n%s", a, b)
	}

	pg.DBPath = url("boss")
	archLite, archPG := filepath.Join(t.TempDir(), "arch"), filepath.Join(t.TempDir(), "arch")
	a = lite.MustRun("retention", "apply", "--archive", archLite, "-o", "json")
	b = pg.MustRun("retention", "apply", "--archive", archPG, "-o", "json")
	var ra, rb map[string]any
	if err := json.Unmarshal([]byte(a), &ra); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(b), &rb); err != nil {
		t.Fatal(err)
	}
	dropped, _ := rb["dropped_partitions"].([]any)
	edge, _ := rb["edge_partition"].(string)
	delete(rb, "dropped_partitions")
	delete(rb, "edge_partition")
	for _, r := range []map[string]any{ra, rb} {
		if arch, ok := r["archive"].(map[string]any); ok {
			arch["events"] = filepath.Base(fmt.Sprint(arch["events"]))
			arch["sessions"] = filepath.Base(fmt.Sprint(arch["sessions"]))
		}
	}
	ja, _ := json.Marshal(ra)
	jb, _ := json.Marshal(rb)
	if string(ja) != string(jb) {
		t.Fatalf("retention apply:\ncache:    %s\npostgres: %s", ja, jb)
	}
	cutoff := cmdtest.Now.Add(-90 * 24 * time.Hour).Truncate(time.Second)
	var whole []string
	for m := time.Date(times[0].Year(), times[0].Month(), 1, 0, 0, 0, 0, time.UTC); !m.AddDate(0, 1, 0).After(cutoff); m = m.AddDate(0, 1, 0) {
		whole = append(whole, fmt.Sprintf("events_p%04d%02d", m.Year(), int(m.Month())))
	}
	if fmt.Sprint(dropped) != fmt.Sprint(whole) || edge != fmt.Sprintf("events_p%04d%02d", cutoff.Year(), int(cutoff.Month())) {
		t.Fatalf("dropped %v and the edge %q, want %v and %s", dropped, edge, whole, cutoff.Format("200601"))
	}
	// The same archive, byte for byte once decompressed.
	ma, _ := filepath.Glob(filepath.Join(archLite, "auditctl-events-*.ndjson.gz"))
	mb, _ := filepath.Glob(filepath.Join(archPG, "auditctl-events-*.ndjson.gz"))
	if len(ma) != 1 || len(mb) != 1 {
		t.Fatalf("archives %v %v", ma, mb)
	}
	if x, y := gunzip(t, ma[0]), gunzip(t, mb[0]); x != y || x == "" {
		t.Fatalf("the archives differ: %d and %d bytes", len(x), len(y))
	}
	var left int64
	if err := su.QueryRow(ctx, "SELECT count(*) FROM events WHERE id < $1", store.KeyFloor(cutoff)).Scan(&left); err != nil || left != 0 {
		t.Fatalf("events before the cutoff: %d %v", left, err)
	}
	// The expired sessions went, the recent one stayed; their recording
	// files (registered where they lay) are the user's, on both stores.
	if out := pg.MustRun("sessions", "list", "-o", "json"); strings.Count(out, `"id"`) != 1 {
		t.Errorf("sessions after retention: %s", out)
	}
	if !strings.Contains(a, `"session_count":2`) && !strings.Contains(a, `"session_count": 2`) {
		t.Errorf("the archive holds no 2 sessions: %s", a)
	}
	for _, p := range recs {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("a recording file was removed: %v", err)
		}
	}
	// verify: the checkpoint is signed with the trusted key, as the
	// cache's is; the same report but for links and batch ids.
	lite.MustRun("verify")
	out := pg.MustRun("verify")
	if !strings.Contains(out, "checkpoints signed by the trusted key") {
		t.Errorf("verify after retention:\n%s", out)
	}
	// verify --recordings hashes the remaining session's file, and finds
	// it changed.
	if out := pg.MustRun("verify", "--recordings", "-o", "json"); !strings.Contains(out, `"recordings": 1`) {
		t.Errorf("verify --recordings:\n%s", out)
	}
	if err := os.WriteFile(recs[2], []byte("changed\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := pg.Run("verify", "--recordings"); cmdutil.ExitCode(err) != 1 || !strings.Contains(pg.Out.String(), "has SHA-256") {
		t.Errorf("verify --recordings over a changed file: exit %d\n%s", cmdutil.ExitCode(err), pg.Out)
	}
	// The archive imports back, sealed anew.
	pg.MustRun("import", mb[0], "--quiet")
	pg.MustRun("verify")
}

// TestPostgresRetentionKilled kills a real `retention apply --archive` on a
// team store at each step (before, inside and after its transaction) and
// at random moments: every old month is all there or all gone, verify
// passes, and the next run finishes.
func TestPostgresRetentionKilled(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := bintest.Auditctl(t)
	url, su := teamStore(t)
	ctx := context.Background()
	t.Setenv("XDG_CONFIG_HOME", t.TempDir()) // the key the runs sign and verify with
	file, times := teamEvents(t, time.Now())
	cutoff := time.Now().Add(-90 * 24 * time.Hour)
	// two sessions past the 1-year period, one recent
	var recs []string
	for i, start := range []time.Time{time.Now().AddDate(-2, 0, 0), time.Now().AddDate(-2, 0, 1), time.Now().AddDate(0, 0, -7)} {
		p := filepath.Join(t.TempDir(), fmt.Sprintf("s%d.cast", i))
		body := fmt.Sprintf(`{"version":2,"width":80,"height":24,"timestamp":%d}`+"\n"+`[1, "o", "session %d"]`+"\n", start.Unix(), i)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		recs = append(recs, p)
	}
	sessions := func() int64 {
		var n int64
		if err := su.QueryRow(ctx, "SELECT count(*) FROM sessions").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	var old int64
	for _, ts := range times {
		if ts.Before(cutoff) {
			old++
		}
	}
	// state counts the events before the cutoff per month, and all.
	state := func() (perMonth map[string]int64, all int64) {
		perMonth = map[string]int64{}
		rows, err := su.Query(ctx, "SELECT to_char(to_timestamp(time_ns / 1e9) AT TIME ZONE 'UTC', 'YYYYMM'), count(*) FROM events WHERE id < $1 GROUP BY 1",
			store.KeyFloor(cutoff.Add(-time.Hour)))
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var m string
			var n int64
			if err := rows.Scan(&m, &n); err != nil {
				t.Fatal(err)
			}
			perMonth[m] = n
		}
		rows.Close()
		if err := su.QueryRow(ctx, "SELECT count(*) FROM events").Scan(&all); err != nil {
			t.Fatal(err)
		}
		return perMonth, all
	}
	reset := func() map[string]int64 {
		if _, err := su.Exec(ctx, "DELETE FROM events; DELETE FROM event_docs; DELETE FROM event_ids; DELETE FROM chain_rows; DELETE FROM chain; DELETE FROM sessions"); err != nil {
			t.Fatal(err)
		}
		// by the binary: quicker than in this process under -race
		for _, args := range [][]string{{"import", file}, append([]string{"sessions", "import"}, recs...)} {
			if out, err := exec.Command(bin, append([]string{"--db", url("importer"), "--quiet"}, args...)...).CombinedOutput(); err != nil {
				t.Fatalf("%v: %v\n%s", args, err, out)
			}
		}
		m, _ := state()
		return m
	}
	type run struct {
		point string // a failpoint, or "" for a random moment
		gone  bool   // what the kill must leave: all gone (else all there)
	}
	runs := []run{{"archived", false}, {"in-transaction", false}, {"pg-sessions", false}, {"pg-sealed", false}, {"pg-rows", false},
		{"pg-detached", false}, {"pg-edge", false}, {"pg-commit", false}, {"deleted", true}, {"", false}, {"", false}, {"", false}}
	if raceDetector {
		// CI's budget under -race: the steps inside the transaction, and
		// after it
		runs = []run{{"pg-detached", false}, {"deleted", true}}
	}
	for _, r := range runs {
		name := r.point
		if name == "" {
			name = "random"
		}
		t.Run(name, func(t *testing.T) {
			before := reset()
			dir := t.TempDir()
			arch, mark := filepath.Join(dir, "arch"), filepath.Join(dir, "stopped")
			cmd := exec.Command(bin, "--db", url("boss"), "--quiet", "retention", "apply", "--archive", arch)
			if r.point != "" {
				cmd.Env = append(os.Environ(), "AUDITCTL_TEST_RETENTION_STOP="+r.point+"="+mark)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			if r.point != "" {
				for t0 := time.Now(); ; time.Sleep(5 * time.Millisecond) {
					if _, err := os.Stat(mark); err == nil {
						break
					}
					if time.Since(t0) > 60*time.Second {
						cmd.Process.Kill()
						t.Fatal("the run never reached", r.point)
					}
				}
			} else {
				time.Sleep(time.Duration(rand.Int64N(int64(400 * time.Millisecond))))
			}
			cmd.Process.Kill()
			cmd.Wait()
			// The server ends the killed run's transaction when it sees the
			// connection gone; verify waits for its locks.
			after, _ := state()
			gone := len(after) == 0
			for m, n := range before {
				if after[m] != 0 && after[m] != n {
					t.Fatalf("killed at %s: month %s holds %d of its %d old events", name, m, after[m], n)
				}
				if (after[m] == 0) != gone {
					t.Fatalf("killed at %s: some old months gone, others there: %v of %v", name, after, before)
				}
			}
			if r.point != "" && gone != r.gone {
				t.Fatalf("killed at %s: old events gone %v, want %v", name, gone, r.gone)
			}
			// The old sessions go with the old events, in the same
			// transaction.
			if n := sessions(); (gone && n != 1) || (!gone && n != 3) {
				t.Fatalf("killed at %s: old events gone %v, %d sessions", name, gone, n)
			}
			if out, err := exec.Command(bin, "--db", url("boss"), "verify").CombinedOutput(); err != nil {
				t.Fatalf("verify after the kill at %s: %v\n%s", name, err, out)
			}
			if out, err := exec.Command(bin, "--db", url("boss"), "retention", "apply").CombinedOutput(); err != nil {
				t.Fatalf("next run: %v\n%s", err, out)
			}
			if after, all := state(); len(after) != 0 || all != int64(len(times))-old || sessions() != 1 {
				t.Fatalf("after the next run: %v, %d events, want %d", after, all, int64(len(times))-old)
			}
			if out, err := exec.Command(bin, "--db", url("boss"), "verify").CombinedOutput(); err != nil {
				t.Fatalf("verify after the next run: %v\n%s", err, out)
			}
		})
	}
}
