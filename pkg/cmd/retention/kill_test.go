package retention_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/auditctl/auditctl/internal/bintest"
	"github.com/auditctl/auditctl/pkg/store/sqlite"
)

// TestKilledAtRandomPoints runs `retention apply --archive` as a real
// process and kills it (SIGKILL: no cleanup of any kind) after a random
// delay, several times, each on a fresh cache. After each kill: the old
// events and the old sessions are all there or all gone, together; a session
// row is never without its recording file; a file of a deleted session is
// gone or journaled for the next run; recent data and files outside the
// recordings directory are untouched; once anything is deleted the archive
// is complete. Then a second run (not killed) finishes the job.
func TestKilledAtRandomPoints(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs it many times")
	}
	bin := bintest.Auditctl(t)
	// the key that signs the deletions' checkpoints, never the user's
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	nOld, nNew, nSess, recBytes := 12000, 1000, 24, 256<<10
	runs := 8
	if raceDetector {
		// the fixture is built in this process: under -race, smaller
		nOld, nNew, runs = 3000, 300, 6
	}
	if s := os.Getenv("RETENTION_KILL_RUNS"); s != "" {
		var n int
		if _, err := fmt.Sscan(s, &n); err == nil && n > 0 {
			runs = n
		}
	}

	// How long an uninterrupted run takes, to spread the kills over it.
	dir := t.TempDir()
	fx := newFixture(t, filepath.Join(dir, "audit.db"), time.Now(), nOld, nNew, nSess, recBytes)
	start := time.Now()
	if out, err := exec.Command(bin, "--db", fx.db, "retention", "apply", "--archive", filepath.Join(dir, "arch"), "-o", "json").CombinedOutput(); err != nil {
		t.Fatalf("uninterrupted run: %v\n%s", err, out)
	}
	full := time.Since(start)
	fx.checkArchive(t, filepath.Join(dir, "arch"))
	t.Logf("an uninterrupted run takes %v", full)

	seen := map[string]int{}
	for i := range runs {
		dir := t.TempDir()
		fx := newFixture(t, filepath.Join(dir, "audit.db"), time.Now(), nOld, nNew, nSess, recBytes)
		arch := filepath.Join(dir, "arch")
		cmd := exec.Command(bin, "--db", fx.db, "--quiet", "retention", "apply", "--archive", arch)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Half the runs are killed at a random moment of the whole run,
		// the others at a random moment after the archive is complete
		// (the deletions: a short window on an idle machine).
		var when string
		if i%2 == 0 {
			delay := time.Duration(rand.Int64N(int64(full) * 3 / 2))
			time.Sleep(delay)
			when = fmt.Sprintf("%v after the start", delay)
		} else {
			t0 := time.Now()
			for time.Since(t0) < 10*time.Second {
				if m, _ := filepath.Glob(filepath.Join(arch, "auditctl-sessions-*")); len(m) > 0 {
					break
				}
				time.Sleep(200 * time.Microsecond)
			}
			delay := time.Duration(rand.Int64N(int64(full) * 2))
			time.Sleep(delay)
			when = fmt.Sprintf("%v after the archive", delay)
		}
		_ = cmd.Process.Kill()
		err := cmd.Wait()
		st := fx.state(t)
		phase := describe(st, nOld, len(fx.oldSess), err == nil)
		seen[phase]++
		t.Logf("run %d: killed %s: %s", i, when, phase)

		// Recent data and the user's own file are never touched.
		if st.newEvents != nNew || st.newSess != len(fx.newSess) || st.newFiles != len(fx.newFiles) || !st.foreign || !st.active {
			t.Fatalf("run %d: recent data touched: %+v", i, st)
		}
		// All or nothing, per kind.
		if st.oldEvents != 0 && st.oldEvents != nOld {
			t.Fatalf("run %d: %d of %d old events left: a half", i, st.oldEvents, nOld)
		}
		if st.oldSess != 0 && st.oldSess != len(fx.oldSess) {
			t.Fatalf("run %d: %d of %d old sessions left: a half", i, st.oldSess, len(fx.oldSess))
		}
		// All or nothing, together: one transaction hides the events and
		// deletes the sessions.
		if (st.oldEvents == 0) != (st.oldSess == 0) {
			t.Fatalf("run %d: %d old events and %d old sessions left: a half", i, st.oldEvents, st.oldSess)
		}
		// No row without its file; a deleted session's file is gone or
		// journaled.
		if st.oldSess > 0 && st.oldFiles != len(fx.oldFiles) {
			t.Fatalf("run %d: old sessions present but %d of %d recordings", i, st.oldFiles, len(fx.oldFiles))
		}
		if st.oldSess == 0 {
			for _, p := range fx.oldFiles {
				if _, err := os.Stat(p); err == nil && !slices.Contains(st.trash, p) {
					t.Fatalf("run %d: %s of a deleted session left and not journaled", i, p)
				}
			}
		}
		// Anything deleted: the archive is complete.
		if st.oldEvents == 0 || st.oldSess == 0 {
			fx.checkArchive(t, arch)
		}

		// The next run finishes the job.
		if out, err := exec.Command(bin, "--db", fx.db, "retention", "apply", "--archive", arch).CombinedOutput(); err != nil {
			t.Fatalf("run %d: the next run: %v\n%s", i, err, out)
		}
		st = fx.state(t)
		if st.oldEvents != 0 || st.oldSess != 0 || st.oldFiles != 0 || len(st.trash) != 0 ||
			st.newEvents != nNew || st.newSess != len(fx.newSess) || !st.foreign || !st.active {
			t.Fatalf("run %d: after the next run: %+v", i, st)
		}
		// The tamper-evident chain holds: each deletion was sealed by a
		// signed checkpoint, whatever the kill interrupted.
		if out, err := exec.Command(bin, "--db", fx.db, "verify", "-o", "json").CombinedOutput(); err != nil {
			t.Fatalf("run %d: verify: %v\n%s", i, err, out)
		}
	}
	t.Logf("states seen after a kill: %v", seen)
}

// TestKilledAtEachStep kills `retention apply --archive` at each point
// between its steps (the process stops there on a test-only variable and
// is killed with SIGKILL): after the archive; inside the transaction that
// hides the events and deletes the sessions, before its commit; after the
// commit, before the recording files' removal. Each leaves a state the checks of TestKilledAtRandomPoints
// accept, and the next run finishes the job.
func TestKilledAtEachStep(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := bintest.Auditctl(t)
	// the key that signs the deletions' checkpoints, never the user's
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	for _, c := range []struct{ point, want string }{
		{"archived", "events kept, sessions kept"},
		{"in-transaction", "events kept, sessions kept"},
		{"deleted", "events deleted, sessions deleted, files journaled"},
	} {
		t.Run(c.point, func(t *testing.T) {
			dir := t.TempDir()
			fx := newFixture(t, filepath.Join(dir, "audit.db"), time.Now(), 500, 100, 8, 1000)
			arch, mark := filepath.Join(dir, "arch"), filepath.Join(dir, "stopped")
			cmd := exec.Command(bin, "--db", fx.db, "retention", "apply", "--archive", arch)
			cmd.Env = append(os.Environ(), "AUDITCTL_TEST_RETENTION_STOP="+c.point+"="+mark)
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			for t0 := time.Now(); ; time.Sleep(5 * time.Millisecond) {
				if _, err := os.Stat(mark); err == nil {
					break
				}
				if time.Since(t0) > 30*time.Second {
					cmd.Process.Kill()
					t.Fatal("the run never reached", c.point)
				}
			}
			cmd.Process.Kill()
			cmd.Wait()
			st := fx.state(t)
			if got := describe(st, 500, len(fx.oldSess), false); got != c.want {
				t.Fatalf("killed at %s: %s, want %s (%+v)", c.point, got, c.want, st)
			}
			if st.oldSess == 0 && (st.oldFiles != len(fx.oldFiles) || len(st.trash) != len(fx.oldFiles)) {
				t.Fatalf("killed at %s: files %d, journal %v", c.point, st.oldFiles, st.trash)
			}
			fx.checkArchive(t, arch)
			if st.newEvents != 100 || st.newSess != len(fx.newSess) || st.newFiles != len(fx.newFiles) || !st.foreign || !st.active {
				t.Fatalf("recent data touched: %+v", st)
			}
			out, err := exec.Command(bin, "--db", fx.db, "retention", "apply").CombinedOutput()
			if err != nil {
				t.Fatalf("next run: %v\n%s", err, out)
			}
			st = fx.state(t)
			if st.oldEvents != 0 || st.oldSess != 0 || st.oldFiles != 0 || len(st.trash) != 0 || !st.foreign {
				t.Fatalf("after the next run: %+v\n%s", st, out)
			}
			if out, err := exec.Command(bin, "--db", fx.db, "verify", "-o", "json").CombinedOutput(); err != nil {
				t.Fatalf("verify: %v\n%s", err, out)
			}
		})
	}
}

// describe names the state a kill left.
func describe(st state, nOld, nOldSess int, finished bool) string {
	if finished {
		return "finished before the kill"
	}
	ev := map[bool]string{true: "events kept", false: "events deleted"}[st.oldEvents == nOld]
	se := map[bool]string{true: "sessions kept", false: "sessions deleted"}[st.oldSess == nOldSess]
	files := ""
	if st.oldSess == 0 && len(st.trash) > 0 {
		files = ", files journaled"
	}
	return ev + ", " + se + files
}

// TestImportWhileRetentionDeletes imports, with a real `auditctl import`,
// the very file whose old events a real `retention apply` is deleting: the
// run is stopped after the commit that hides them, before it deletes them
// (failpoint "hidden": it holds the ingest lock, so the import is a guest).
// The import used to fail ("seal adopted row …: EOF"); it stores the file
// whole, the old events anew, as if it had run after the retention run.
// The chain verifies and the counts per hour hold, with the retention run
// stopped, after it is killed, and after the next run deletes the old
// events again.
func TestImportWhileRetentionDeletes(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := bintest.Auditctl(t)
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	dir := t.TempDir()
	fx := newFixture(t, filepath.Join(dir, "audit.db"), time.Now(), 500, 100, 4, 1000)
	file := filepath.Join(dir, "events.ndjson")
	if err := os.WriteFile(file, fx.ndjson, 0o600); err != nil {
		t.Fatal(err)
	}
	mark := filepath.Join(dir, "stopped")
	cmd := exec.Command(bin, "--db", fx.db, "--quiet", "retention", "apply")
	cmd.Env = append(os.Environ(), "AUDITCTL_TEST_RETENTION_STOP=hidden="+mark)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	for t0 := time.Now(); ; time.Sleep(5 * time.Millisecond) {
		if _, err := os.Stat(mark); err == nil {
			break
		}
		if time.Since(t0) > 30*time.Second {
			t.Fatal("the run never reached the point after hiding")
		}
	}
	if st := fx.state(t); st.oldEvents != 0 || st.newEvents != 100 {
		t.Fatalf("retention hid the old events, yet readers see %+v", st)
	}
	check := func(when string, old int) {
		t.Helper()
		if st := fx.state(t); st.oldEvents != old || st.newEvents != 100 {
			t.Fatalf("%s: readers see %d old and %d new events, want %d and 100", when, st.oldEvents, st.newEvents, old)
		}
		if out, err := exec.Command(bin, "--db", fx.db, "verify").CombinedOutput(); err != nil {
			t.Fatalf("%s: verify: %v\n%s", when, err, out)
		}
		db, err := sqlite.OpenExisting(context.Background(), fx.db)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if err := db.CheckHourCounts(context.Background()); err != nil {
			t.Fatalf("%s: %v", when, err)
		}
	}
	out, err := exec.Command(bin, "--db", fx.db, "import", "-o", "json", file).CombinedOutput()
	if err != nil {
		t.Fatalf("import while retention deletes: %v\n%s", err, out)
	}
	var res []struct{ Read, Inserted int }
	if err := json.Unmarshal(out, &res); err != nil || len(res) != 1 || res[0].Read != 600 || res[0].Inserted != 500 {
		t.Fatalf("import: %v, want 600 read and the 500 old ones stored anew:\n%s", err, out)
	}
	check("after the import, retention stopped", 500)
	cmd.Process.Kill()
	cmd.Wait()
	check("retention killed", 500)
	if out, err := exec.Command(bin, "--db", fx.db, "retention", "apply").CombinedOutput(); err != nil {
		t.Fatalf("next run: %v\n%s", err, out)
	}
	check("after the next run", 0)
}
