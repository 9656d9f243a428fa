package tui

import (
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
	"github.com/auditctl/auditctl/internal/tmuxtest"
	"github.com/jackc/pgx/v5"
)

// The console on a PostgreSQL store, in tmux: the logs view, and its live
// tail woken by the import's notification (LISTEN/NOTIFY): the console
// listens, does not poll while nothing happens, and shows an event that
// another auditctl process imports within seconds.
func TestEndToEndPostgresLiveTail(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	tmuxtest.Lookup(t)
	bin := bintest.Auditctl(t)
	srv := pgtest.Start(t)
	url := srv.CreateDB(t, "live")
	ctx := context.Background()
	c, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	dir := t.TempDir()
	now := time.Now().UTC()
	importFile := func(name, actor string, n int, from time.Time) {
		t.Helper()
		var b strings.Builder
		for i := 0; i < n; i++ {
			fmt.Fprintf(&b, `{"id":"%s%d","source":"live","time":%q,"action":"Login","actor":%q}`+"\n", name, i, from.Add(time.Duration(i)*time.Second).Format(time.RFC3339), actor)
		}
		p := filepath.Join(dir, name+".ndjson")
		if err := os.WriteFile(p, []byte(b.String()), 0o600); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command(bin, "--db", url, "--quiet", "import", p).CombinedOutput(); err != nil {
			t.Fatalf("import: %v\n%s", err, out)
		}
	}
	importFile("old", "alice", 20, now.Add(-time.Hour))

	p := newPane(t, 140, 30, fmt.Sprintf("%s --db '%s' tui; echo TUI-EXITED $?; sleep 30", bin, url))
	p.wait("the overview", func(s string) bool { return strings.Contains(s, "In the window") })
	p.keys("2")
	p.wait("the logs", func(s string) bool { return strings.Contains(s, "TIME (UTC)") && strings.Contains(s, "alice") })
	p.keys("t")
	p.wait("the live tail", func(s string) bool { return strings.Contains(s, "live tail on") })

	var listeners int
	if err := c.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity WHERE datname = 'live' AND query LIKE 'LISTEN%'`).Scan(&listeners); err != nil || listeners != 1 {
		t.Fatalf("the console's LISTEN connections: %d %v, want 1", listeners, err)
	}
	// Idle, the console does not poll (the default without a signal is
	// one read a second): 4 s after the tail started, none of its
	// connections but the listener has run a statement for 2.5 s.
	time.Sleep(4 * time.Second)
	var idle float64
	if err := c.QueryRow(ctx, `SELECT extract(epoch FROM now() - max(query_start)) FROM pg_stat_activity
		WHERE datname = 'live' AND application_name = 'auditctl' AND query NOT LIKE 'LISTEN%'`).Scan(&idle); err != nil {
		t.Fatal(err)
	}
	if idle < 2.5 {
		t.Errorf("the idle console's last statement ran %.1f s ago: it polls", idle)
	}

	start := time.Now()
	importFile("pushed", "pusher", 1, now)
	deadline := time.Now().Add(10 * time.Second)
	for {
		s := p.run("capture-pane", "-p", "-t", "0")
		if strings.Contains(s, "pusher") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the imported event is not on screen 10 s after its import (the fallback poll is 1 min):\n%s", s)
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("on screen %s after the import started", time.Since(start))
	// Session History on the team store: a session imported there.
	cast := filepath.Join(dir, "demo.cast")
	if err := os.WriteFile(cast, []byte(`{"version": 2, "width": 80, "height": 24, "timestamp": 1764500000}`+"\n"+`[0.5, "o", "hello from the team store\r\n"]`+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(bin, "--db", url, "--quiet", "sessions", "import", cast).CombinedOutput(); err != nil {
		t.Fatalf("sessions import: %v\n%s", err, out)
	}
	p.keys("3")
	p.wait("the sessions", func(s string) bool {
		return strings.Contains(s, "(1 total) · 0 active") && strings.Contains(s, "rec-") && strings.Contains(s, "team store postgres://")
	})
	p.keys("p")
	p.wait("the recording played", func(s string) bool { return strings.Contains(s, "hello from the team store") })
	p.keys("q")
	p.wait("back in the list", func(s string) bool { return strings.Contains(s, "(1 total) · 0 active") })
	p.keys("q")
	p.wait("the exit", func(s string) bool { return strings.Contains(s, "TUI-EXITED 0") })
}
