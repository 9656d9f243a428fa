//go:build unix

package importcmd_test

import (
	"bytes"
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/auditctl/auditctl/internal/bintest"
	"github.com/auditctl/auditctl/pkg/store/sqlite"
)

// TestSlicedImportKilled: a real `auditctl import -` whose input pauses
// after 3,000 events has committed them in slices, hidden. Meanwhile
// another import runs to the end (it does not wait for the first file),
// and readers see neither half of the first. kill -9 then leaves nothing
// visible, and the next import deletes the dead import's rows.
func TestSlicedImportKilled(t *testing.T) {
	t.Parallel()
	bin := bintest.Auditctl(t)
	dir := t.TempDir()
	db := filepath.Join(dir, "audit.db")
	run := func(args ...string) string {
		t.Helper()
		out, err := exec.Command(bin, append([]string{"--db", db}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("auditctl %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	total := func() string {
		t.Helper()
		return strings.TrimSpace(run("logs", "count", "--all", "-q", "action:Login"))
	}
	run("import", writeFile(t, dir, "seed.ndjson", ndjson("seed", 0, 10)))

	big := exec.Command(bin, "--db", db, "import", "-")
	in, err := big.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	big.Stderr = &stderr
	if err := big.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- big.Wait() }()
	defer big.Process.Kill()
	if _, err := in.Write(ndjson("big", 0, 3000)); err != nil {
		t.Fatal(err)
	}
	// the input pauses (a slow pipe): the import commits what it has, hidden
	cache, err := sqlite.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer cache.Close()
	unpublished := func() (n int) {
		t.Helper()
		if err := cache.SQL().QueryRow("SELECT count(*) FROM unpublished").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	for deadline := time.Now().Add(60 * time.Second); unpublished() < 2000; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the import committed %d rows in slices; stderr:\n%s", unpublished(), stderr.String())
		}
	}
	if got := total(); got != `{"total":10}` {
		t.Fatalf("readers see %s events during the import, want the 10 published", got)
	}
	// the counts per hour leave the hidden rows out, at every step
	hours := func(when string) {
		t.Helper()
		if err := cache.CheckHourCounts(context.Background()); err != nil {
			t.Fatalf("%s: %v", when, err)
		}
	}
	hours("during the import")
	// a second writer runs to its end while the first is still at work
	run("import", writeFile(t, dir, "small.ndjson", ndjson("small", 0, 5)))
	select {
	case err := <-done:
		t.Fatalf("the first import ended: %v\n%s", err, stderr.String())
	default:
	}
	if got := total(); got != `{"total":15}` {
		t.Fatalf("after the second import: %s", got)
	}
	hours("after the second import")
	// the tamper-evident chain holds meanwhile: the hidden rows are left out
	if out := run("verify", "-o", "json"); !strings.Contains(out, `"events": 15,`) || strings.Contains(out, `"unpublished": 0,`) {
		t.Fatalf("verify during the import:\n%s", out)
	}

	big.Process.Signal(syscall.SIGKILL)
	<-done
	if got := total(); got != `{"total":15}` {
		t.Fatalf("after kill -9: readers see %s", got)
	}
	if unpublished() == 0 {
		t.Fatal("the killed import's rows are gone already: the test proves nothing")
	}
	hours("after kill -9")
	run("verify")
	run("import", writeFile(t, dir, "next.ndjson", ndjson("next", 0, 5)))
	var stored int
	cache.SQL().QueryRow("SELECT count(*) FROM events").Scan(&stored)
	if n := unpublished(); n != 0 || stored != 20 {
		t.Fatalf("after the next import: %d unpublished, %d stored, want 0 and 20", n, stored)
	}
	hours("after the next import")
	if got := total(); got != `{"total":20}` {
		t.Fatalf("after the next import: %s", got)
	}
	run("verify")
}
