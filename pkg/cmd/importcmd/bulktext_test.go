//go:build unix

package importcmd_test

import (
	"bytes"
	"context"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/auditctl/auditctl/internal/bintest"
	"github.com/auditctl/auditctl/pkg/store/sqlite"
)

// TestBulkImportKilledAtRandomPoints kills a real `auditctl import` of a
// file into an empty cache (the path that builds its text index apart, in a
// scratch file beside the cache, and copies it in the publishing
// transaction) with SIGKILL at random moments, from its start to past its
// end. After each kill, readers see the whole file or nothing of it, and
// search finds exactly the events they see; the same import run again then
// stores the file once, its index sound and complete, no scratch file left,
// and the chain verifies.
//
// The input goes through the import's standard input with a pause longer
// than a write slice after its first half, so that the import outlasts its
// first slice (and builds its index apart) however fast the machine is.
func TestBulkImportKilledAtRandomPoints(t *testing.T) {
	t.Parallel()
	bin := bintest.Auditctl(t)
	const n = 20000
	data := ndjson("big", 0, n)
	file := writeFile(t, t.TempDir(), "big.ndjson", data)
	half := bytes.IndexByte(data[len(data)/2:], '\n') + len(data)/2 + 1
	// start runs `import -` into db, fed the first half, a pause of a
	// second (more than a slice), then the rest.
	start := func(db string) (*exec.Cmd, error) {
		cmd := exec.Command(bin, "--db", db, "--quiet", "import", "-")
		in, err := cmd.StdinPipe()
		if err != nil {
			return nil, err
		}
		if err := cmd.Start(); err != nil {
			return nil, err
		}
		go func() {
			defer in.Close()
			if _, err := in.Write(data[:half]); err != nil {
				return // killed
			}
			time.Sleep(time.Second)
			in.Write(data[half:])
		}()
		return cmd, nil
	}
	run := func(db string, args ...string) string {
		t.Helper()
		out, err := exec.Command(bin, append([]string{"--db", db}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("auditctl %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return strings.TrimSpace(string(out))
	}
	want := func(k int) string { return `{"total":` + strconv.Itoa(k) + `}` }
	// one run to the end, for how long an import takes here
	// (which must build its index apart: the scratch file appears)
	dir := t.TempDir()
	began := time.Now()
	first, err := start(filepath.Join(dir, "audit.db"))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- first.Wait() }()
	scratch := false
	for waiting := true; waiting; {
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
			waiting = false
		case <-time.After(5 * time.Millisecond):
			if m, _ := filepath.Glob(filepath.Join(dir, ".audit.db.text-*")); len(m) > 0 {
				scratch = true
			}
		}
	}
	full := time.Since(began)
	if !scratch {
		t.Fatalf("the import (%v) did not build its text index apart: the test proves nothing", full)
	}
	if got := run(filepath.Join(dir, "audit.db"), "logs", "count", "--all", "-q", "login"); got != want(n) {
		t.Fatalf("search after a whole import: %s", got)
	}

	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 13))
	killedBeforeEnd := 0
	kills := 6
	if raceDetector {
		kills = 3 // CI's budget under -race (the binary itself is not race-built)
	}
	// The first run is killed at the point where the import has dropped
	// the secondary indexes of events, to build them after its rows
	// (pkg/store/sqlite/bulkindex.go); the others at random.
	for i := 0; i < kills; i++ {
		dir := t.TempDir()
		db := filepath.Join(dir, "audit.db")
		cmd, err := start(db)
		if err != nil {
			t.Fatal(err)
		}
		var at time.Duration
		if i == 0 {
			at = waitIndexesDropped(t, db)
		} else {
			at = time.Duration(rng.Int64N(int64(full + full/5)))
			time.Sleep(at)
		}
		cmd.Process.Signal(syscall.SIGKILL)
		if err := cmd.Wait(); err != nil {
			killedBeforeEnd++
		} else if i == 0 {
			t.Fatal("the import killed with its indexes dropped ended first")
		}
		if _, err := os.Stat(db); err != nil {
			continue // killed before the cache was made
		}
		all := run(db, "logs", "count", "--all")
		found := run(db, "logs", "count", "--all", "-q", "login")
		// the counts per hour hold what readers see: all or nothing
		if cache, err := sqlite.OpenExisting(context.Background(), db); err != nil {
			t.Fatal(err)
		} else {
			err := cache.CheckHourCounts(context.Background())
			cache.Close()
			if err != nil {
				t.Fatalf("kill at %v: %v", at, err)
			}
		}
		if all != want(0) && all != want(n) {
			t.Fatalf("kill at %v: readers see %s, want all or nothing", at, all)
		}
		if found != all {
			t.Fatalf("kill at %v: search finds %s of %s", at, found, all)
		}
		// a read that names an index (the window count: the status
		// index), whether the indexes are there or not
		if got := run(db, "logs", "count", "--since", "3650d"); got != all {
			t.Fatalf("kill at %v: the window count is %s of %s", at, got, all)
		}
		// the same file again: stored once, indexed once
		run(db, "--quiet", "import", file)
		if got := run(db, "logs", "count", "--all", "-q", "login"); got != want(n) {
			t.Fatalf("kill at %v, import again: search %s", at, got)
		}
		if got := run(db, "logs", "count", "--all", "-q", "big-0042"); got != want(1) {
			t.Fatalf("kill at %v, import again: one event's search %s", at, got)
		}
		if left, _ := filepath.Glob(filepath.Join(dir, ".audit.db.text-*")); len(left) != 0 {
			t.Fatalf("kill at %v: scratch files left after the next import: %v", at, left)
		}
		cache, err := sqlite.Open(context.Background(), db)
		if err != nil {
			t.Fatal(err)
		}
		var docs, rows, hidden, indexes int
		var check string
		qerr := cache.SQL().QueryRow(`SELECT (SELECT count(*) FROM events_fts_docsize), (SELECT count(*) FROM events),
			(SELECT count(*) FROM unpublished), (SELECT count(*) FROM sqlite_master WHERE type = 'index' AND tbl_name = 'events')`).Scan(&docs, &rows, &hidden, &indexes)
		_, ierr := cache.SQL().Exec("INSERT INTO events_fts(events_fts) VALUES ('integrity-check')")
		if qerr == nil {
			qerr = cache.SQL().QueryRow("PRAGMA integrity_check").Scan(&check)
		}
		herr := cache.CheckHourCounts(context.Background())
		cache.Close()
		if herr != nil {
			t.Fatalf("kill at %v, import again: %v", at, herr)
		}
		if qerr != nil || ierr != nil || docs != n || rows != n || hidden != 0 || check != "ok" {
			t.Fatalf("kill at %v: %d index entries, %d rows, %d hidden (%v, integrity-check %v, %s)", at, docs, rows, hidden, qerr, ierr, check)
		}
		if indexes != 6 { // the unique key and the five the bulk path drops
			t.Fatalf("kill at %v, import again: events has %d indexes", at, indexes)
		}
		run(db, "verify")
	}
	if killedBeforeEnd == 0 {
		t.Fatal("no run was killed before its end: the test proves nothing")
	}
}

// waitIndexesDropped waits until the import into db has dropped the
// secondary indexes of events (committed), and returns how long that took.
func waitIndexesDropped(t *testing.T, db string) time.Duration {
	t.Helper()
	start := time.Now()
	for time.Since(start) < time.Minute {
		if _, err := os.Stat(db); err == nil {
			cache, err := sqlite.OpenExisting(context.Background(), db)
			if err == nil {
				var left int
				err = cache.SQL().QueryRow("SELECT count(*) FROM sqlite_master WHERE name = 'events_action'").Scan(&left)
				cache.Close()
				if err == nil && left == 0 {
					return time.Since(start)
				}
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatal("the import never dropped its indexes")
	return 0
}
