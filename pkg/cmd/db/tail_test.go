package db_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/auditctl/auditctl/internal/bintest"
	"github.com/auditctl/auditctl/internal/pgtest"
	"github.com/jackc/pgx/v5"
)

// TestTailFollowsNotify runs a real `logs tail -f` on PostgreSQL with its
// fallback poll at one minute, and imports events from other processes:
// each is printed within seconds, so by the import's notification, not by
// a poll; also after the tail's listening connection was killed (the
// notification of that import is lost: the reconnection wakes the tail).
func TestTailFollowsNotify(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := bintest.Auditctl(t)
	srv := pgtest.Start(t)
	url := srv.CreateDB(t, "live")
	ctx := context.Background()
	c, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	env := append(os.Environ(), "AUDITCTL_DB="+url)
	dir := t.TempDir()
	now := time.Now().UTC()
	importOne := func(id string, at time.Time) {
		t.Helper()
		p := filepath.Join(dir, id+".ndjson")
		line := fmt.Sprintf(`{"id":%q,"source":"live","time":%q,"action":"Login","actor":"alice"}`+"\n", id, at.Format(time.RFC3339Nano))
		if err := os.WriteFile(p, []byte(line), 0o600); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(bin, "import", "--quiet", p)
		cmd.Env = env
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("import %s: %v\n%s", id, err, out)
		}
	}
	importOne("first", now.Add(-time.Hour))

	tail := exec.Command(bin, "logs", "tail", "-f", "-n", "1", "--interval", "1m", "-o", "ndjson")
	tail.Env = env
	stdout, err := tail.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	tail.Stderr = &stderr
	if err := tail.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		tail.Process.Kill()
		tail.Wait()
	}()
	lines := make(chan string, 10)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	next := func(want string, within time.Duration) time.Duration {
		t.Helper()
		start := time.Now()
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("tail ended: %s", stderr.String())
			}
			if !strings.Contains(l, `"`+want+`"`) {
				t.Fatalf("tail printed %s, want %s", l, want)
			}
		case <-time.After(within):
			t.Fatalf("tail did not print %s within %s (its fallback poll is 1m): %s", want, within, stderr.String())
		}
		return time.Since(start)
	}
	next("first", 30*time.Second) // the tail listens from here on

	// Each import is printed well before the minute of the fallback poll.
	const bound = 15 * time.Second
	for i := range 3 {
		id := fmt.Sprintf("new%d", i)
		importOne(id, now.Add(time.Duration(i)*time.Second))
		took := next(id, bound)
		t.Logf("%s printed %s after its import ended", id, took)
	}

	// The listening connection dies: an import meanwhile is not notified
	// to the tail, whose reconnection makes it look.
	var killed int
	if err := c.QueryRow(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE datname = 'live' AND query LIKE 'LISTEN%'`).Scan(&killed); err != nil || killed != 1 {
		t.Fatalf("terminate the listener: %d %v", killed, err)
	}
	importOne("afterdrop", now.Add(10*time.Second))
	next("afterdrop", bound)
	importOne("again", now.Add(11*time.Second))
	next("again", bound)
}
