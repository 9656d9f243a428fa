package db_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/auditctl/auditctl/internal/bintest"
	"github.com/auditctl/auditctl/internal/pgtest"
	"github.com/jackc/pgx/v5"
)

// TestImportKilled kills a real `auditctl import` against PostgreSQL with
// SIGKILL while it streams (COPY under way, input still open) and at
// several moments after its input ended (staging, partitions, the
// inserting transaction): each time readers see the file whole or not at
// all, and the next import stores it once.
func TestImportKilled(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := bintest.Auditctl(t)
	srv := pgtest.Start(t)
	ctx := context.Background()
	url := srv.CreateDB(t, "k")
	const n = 3000
	var b bytes.Buffer
	base := time.Date(2026, 10, 25, 0, 0, 0, 0, time.UTC) // across a month boundary
	for i := range n {
		line, _ := json.Marshal(map[string]any{"id": fmt.Sprintf("k%05d", i), "source": "kill", "action": "Login",
			"time": base.Add(time.Duration(i) * 17 * time.Minute).Format(time.RFC3339), "actor": "alice",
			"description": strings.Repeat("some words ", 20), "params": map[string]any{"i": i}})
		b.Write(line)
		b.WriteByte('\n')
	}
	file := filepath.Join(t.TempDir(), "k.ndjson")
	if err := os.WriteFile(file, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	count := func() int {
		var got int
		cc, err := pgx.Connect(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		defer cc.Close(ctx)
		if err := cc.QueryRow(ctx, "SELECT (SELECT count(*) FROM events) + (SELECT count(*) FROM event_ids) + (SELECT count(*) FROM event_docs)").Scan(&got); err != nil {
			if strings.Contains(err.Error(), "does not exist") {
				return 0
			}
			t.Fatal(err)
		}
		return got
	}
	env := append(os.Environ(), "AUDITCTL_DB="+url)

	// 1: killed while COPY streams (the input is still open).
	imp := exec.Command(bin, "import", "-", "--quiet")
	imp.Env = env
	in, err := imp.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := imp.Start(); err != nil {
		t.Fatal(err)
	}
	in.Write(b.Bytes()[:b.Len()/2])
	time.Sleep(500 * time.Millisecond)
	imp.Process.Signal(syscall.SIGKILL)
	imp.Wait()
	in.Close()
	if got := count(); got != 0 {
		t.Fatalf("after a kill during COPY: %d rows", got)
	}

	// 2: killed at moments after the input ended.
	whole := false
	for _, d := range []time.Duration{50, 150, 300, 600, 1200} {
		imp := exec.Command(bin, "import", file, "--quiet")
		imp.Env = env
		if err := imp.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(d * time.Millisecond)
		imp.Process.Signal(syscall.SIGKILL)
		imp.Wait()
		switch got := count(); got {
		case 0:
		case 3 * n:
			whole = true
		default:
			t.Fatalf("after a kill at %d ms: %d rows, want 0 or %d", d, got, 3*n)
		}
		if whole {
			break
		}
	}
	out, err := exec.Command(bin, "--db", url, "import", file, "-o", "json").CombinedOutput()
	if err != nil {
		t.Fatalf("import after the kills: %v\n%s", err, out)
	}
	if got := count(); got != 3*n {
		t.Fatalf("after the last import: %d rows, want %d", got, 3*n)
	}
}
