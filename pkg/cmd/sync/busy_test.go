//go:build unix

package sync_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/auditctl/auditctl/internal/jcserver"
	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/store/sqlite"
)

// TestSyncDuringImport: a real `auditctl import -` has written part of its
// input in slices and waits for more; a real `auditctl sync jumpcloud`
// started meanwhile runs to its end without waiting for the import, and
// both sets of events are stored once the import ends. The sync must not
// wait for the import here: the import ends only after the sync does.
func TestSyncDuringImport(t *testing.T) {
	evs, err := jcserver.Generate(400, time.Now().UTC().Add(-time.Hour).Truncate(time.Millisecond), 20, 5)
	if err != nil {
		t.Fatal(err)
	}
	srv := jcserver.New(key)
	srv.AddEvents(evs...)
	hs := httptest.NewServer(srv)
	defer hs.Close()
	dbPath := filepath.Join(t.TempDir(), "audit.db")
	child := func(args ...string) *exec.Cmd {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), "JUMPCLOUD_API_KEY="+key, "JUMPCLOUD_API_URL="+hs.URL, "XDG_CONFIG_HOME="+t.TempDir(),
			"AUDITCTL_TEST_CHILD="+strings.Join(append([]string{"--db", dbPath}, args...), "\n"))
		return cmd
	}

	imp := child("import", "-")
	in, err := imp.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	var impErr bytes.Buffer
	imp.Stderr = &impErr
	if err := imp.Start(); err != nil {
		t.Fatal(err)
	}
	defer imp.Process.Kill()
	impDone := make(chan error, 1)
	go func() { impDone <- imp.Wait() }()
	var lines bytes.Buffer
	for i := 0; i < 3000; i++ {
		fmt.Fprintf(&lines, `{"id":"file-%05d","time":"2026-11-%02dT%02d:%02d:00Z","source":"test","action":"Login","actor":"u%d"}`+"\n", i, 1+i%28, i%24, i%60, i%9)
	}
	if _, err := in.Write(lines.Bytes()); err != nil {
		t.Fatal(err)
	}
	// wait until the import has committed a slice (its input now idle)
	deadline := time.Now().Add(60 * time.Second)
	for {
		db, err := sqlite.Open(context.Background(), dbPath)
		if err == nil {
			var n int
			db.SQL().QueryRow("SELECT count(*) FROM unpublished").Scan(&n)
			db.Close()
			if n > 0 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the import committed no slice:\n%s", impErr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}

	// Slices of 20 events: each one stored in one transaction between the
	// import's slices, even under the race detector. (A flush too large
	// for one slice waits for the import to end: docs/architecture.md.)
	syncCmd := child("sync", "jumpcloud", "--since", "30d", "--slice-events", "20", "--page-limit", "20", "-o", "json")
	stop := time.AfterFunc(3*time.Minute, func() { syncCmd.Process.Kill() }) // waiting for the import: fail, not hang
	out, err := syncCmd.CombinedOutput()
	stop.Stop()
	if err != nil {
		t.Fatalf("sync during the import: %v\n%s", err, out)
	}
	select {
	case err := <-impDone:
		t.Fatalf("the import ended before the sync (the test proves nothing): %v\n%s", err, impErr.String())
	default:
	}
	in.Close()
	if err := <-impDone; err != nil {
		t.Fatalf("import: %v\n%s", err, impErr.String())
	}
	db, err := sqlite.Open(context.Background(), dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var file, synced audit.Filter
	file.Add(audit.FieldSource, "test")
	synced.Add(audit.FieldSource, "jumpcloud")
	for _, c := range []struct {
		f    audit.Filter
		want int64
	}{{file, 3000}, {synced, int64(len(evs))}} {
		if n, err := db.CountEvents(context.Background(), c.f); err != nil || n != c.want {
			t.Errorf("%v: %d events, want %d (%v)", c.f.Include, n, c.want, err)
		}
	}
}
