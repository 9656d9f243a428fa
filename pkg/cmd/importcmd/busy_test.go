package importcmd_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/auditctl/auditctl/internal/bintest"
)

// TestImportWaitsForWriter: another process holds the cache's write lock
// for longer than SQLite's 15 s busy timeout. A second writer (a real
// `auditctl import` process) says once that it waits, and imports once the
// lock is free, instead of failing with "database is locked".
func TestImportWaitsForWriter(t *testing.T) {
	if testing.Short() {
		t.Skip("holds the cache for 16 s")
	}
	t.Parallel()
	bin := bintest.Auditctl(t)
	dir := t.TempDir()
	db := filepath.Join(dir, "audit.db")
	path := writeFile(t, dir, "events.ndjson", ndjson("wait", 0, 200))
	release := bintest.HoldWriteLock(t, db)
	imp := exec.Command(bin, "--db", db, "import", path)
	var stderr bytes.Buffer
	imp.Stderr = &stderr
	if err := imp.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- imp.Wait() }()
	select {
	case err := <-done:
		t.Fatalf("import ended while the cache was locked: %v\n%s", err, stderr.String())
	case <-time.After(16 * time.Second):
	}
	release()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("import: %v\n%s", err, stderr.String())
		}
	case <-time.After(30 * time.Second):
		imp.Process.Kill()
		t.Fatalf("import did not finish once the cache was free:\n%s", stderr.String())
	}
	if n := strings.Count(stderr.String(), "waiting for another auditctl writer to finish"); n != 1 {
		t.Errorf("want the wait said once on stderr, got %d:\n%s", n, stderr.String())
	}
	out, err := exec.Command(bin, "--db", db, "logs", "count", "--all", "-o", "json").Output()
	if err != nil || !strings.Contains(string(out), `"total":200`) {
		t.Errorf("logs count after the import: %s %v", out, err)
	}
	// --quiet silences the notice.
	release2 := bintest.HoldWriteLock(t, db)
	imp = exec.Command(bin, "--db", db, "--quiet", "import", writeFile(t, dir, "more.ndjson", ndjson("more", 0, 10)))
	stderr.Reset()
	imp.Stderr = &stderr
	if err := imp.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * time.Second)
	release2()
	if err := imp.Wait(); err != nil {
		t.Fatalf("import --quiet: %v\n%s", err, stderr.String())
	}
	if strings.Contains(stderr.String(), "waiting") {
		t.Errorf("--quiet import said: %s", stderr.String())
	}
}

// TestCountDuringImports: `logs count --by` in one process while another
// imports file after file (a commit each): every count's total is the sum
// of its groups.
func TestCountDuringImports(t *testing.T) {
	t.Parallel()
	bin := bintest.Auditctl(t)
	dir := t.TempDir()
	db := filepath.Join(dir, "audit.db")
	for i := 0; i < 40; i++ {
		writeFile(t, dir, fmt.Sprintf("in-%02d.ndjson", i), ndjson(fmt.Sprintf("f%02d", i), 0, 500))
	}
	if out, err := exec.Command(bin, "--db", db, "import", writeFile(t, dir, "first.ndjson", ndjson("first", 0, 10))).CombinedOutput(); err != nil {
		t.Fatalf("import: %v\n%s", err, out)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "in-*.ndjson"))
	imp := exec.Command(bin, append([]string{"--db", db, "--quiet", "import"}, files...)...)
	if err := imp.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- imp.Wait() }()
	counts := 0
	for running := true; running; counts++ {
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("import: %v", err)
			}
			running = false
		default:
		}
		out, err := exec.Command(bin, "--db", db, "logs", "count", "--all", "--by", "actor", "-o", "json").Output()
		if err != nil {
			t.Fatalf("logs count --by: %v", err)
		}
		var doc struct {
			Total   int64
			Buckets []struct{ Count int64 }
		}
		if err := json.Unmarshal(out, &doc); err != nil {
			t.Fatalf("%v: %s", err, out)
		}
		var sum int64
		for _, b := range doc.Buckets {
			sum += b.Count
		}
		if sum != doc.Total {
			t.Fatalf("count %d during the import: total %d, the groups sum to %d", counts, doc.Total, sum)
		}
	}
	t.Logf("%d counts during the import", counts)
}

// TestTwoImportsAtOnce: two real import processes of different files
// started together on one cache: the second waits for the first, neither
// fails, and every event of both is stored.
func TestTwoImportsAtOnce(t *testing.T) {
	t.Parallel()
	bin := bintest.Auditctl(t)
	dir := t.TempDir()
	db := filepath.Join(dir, "audit.db")
	if out, err := exec.Command(bin, "--db", db, "import", writeFile(t, dir, "seed.ndjson", ndjson("seed", 0, 1))).CombinedOutput(); err != nil {
		t.Fatalf("import: %v\n%s", err, out)
	}
	var cmds []*exec.Cmd
	var errs []*bytes.Buffer
	for _, name := range []string{"a", "b"} {
		c := exec.Command(bin, "--db", db, "import", writeFile(t, dir, name+".ndjson", ndjson(name, 0, 30000)))
		var e bytes.Buffer
		c.Stderr = &e
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		cmds, errs = append(cmds, c), append(errs, &e)
	}
	for i, c := range cmds {
		if err := c.Wait(); err != nil {
			t.Fatalf("import %d: %v\n%s", i, err, errs[i])
		}
	}
	out, err := exec.Command(bin, "--db", db, "logs", "count", "--all", "-o", "json").Output()
	if err != nil || !strings.Contains(string(out), `"total":60001`) {
		t.Errorf("logs count after two imports: %s %v", out, err)
	}
}
