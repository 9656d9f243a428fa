package root_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/auditctl/auditctl/internal/jcserver"
)

// buildBinary is in tables_test.go.

// testRecipient is an age public key (age's own documentation's).
const testRecipient = "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p"

// TestSignals drives the real binary: SIGINT ends a run with 130 and
// SIGTERM with 143, with nothing half-written: an import rolls back (the
// cache holds what it held), an export leaves no -O file and no temporary
// file, a followed tail stops.
func TestSignals(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no SIGINT/SIGTERM to send on Windows")
	}
	bin := buildBinary(t)
	dir := t.TempDir()
	db := filepath.Join(dir, "audit.db")
	events := func(prefix string, n int) []byte {
		var b bytes.Buffer
		for i := range n {
			fmt.Fprintf(&b, `{"id":"%s-%d","source":"sig","time":"2026-11-20T10:%02d:%02dZ","action":"Login","actor":"u%d"}`+"\n", prefix, i, i/60%60, i%60, i)
		}
		return b.Bytes()
	}
	seed := filepath.Join(dir, "seed.ndjson")
	os.WriteFile(seed, events("seed", 10), 0o600)
	if out, err := exec.Command(bin, "--db", db, "import", seed).CombinedOutput(); err != nil {
		t.Fatalf("import: %v\n%s", err, out)
	}
	count := func() string {
		out, err := exec.Command(bin, "--db", db, "logs", "count", "--all", "-o", "json").Output()
		if err != nil {
			t.Fatalf("count: %v", err)
		}
		return strings.TrimSpace(string(out))
	}
	before := count()
	if before != `{"total":10}` {
		t.Fatalf("seed count %s", before)
	}

	// a remote that answers slowly: the export is still waiting when the
	// signal comes
	srv := jcserver.New("k")
	srv.Add(fmt.Appendf(nil, `{"id":"jc1","event_type":"user_login_attempt","service":"directory","timestamp":"2026-11-20T10:00:00Z","initiated_by":{"username":"u"},"success":true}`))
	srv.Latency = 20 * time.Second
	hs := httptest.NewServer(srv)
	defer hs.Close()

	for _, tt := range []struct {
		name   string
		sig    syscall.Signal
		code   int
		args   []string
		stdin  bool // feed events on stdin and keep it open
		output string
		follow bool // stops cleanly: no message
	}{
		{"import SIGINT", syscall.SIGINT, 130, []string{"import", "-"}, true, "", false},
		{"import SIGTERM", syscall.SIGTERM, 143, []string{"import", "-"}, true, "", false},
		{"export SIGINT", syscall.SIGINT, 130, []string{"logs", "export", "--remote", "jumpcloud", "--endpoint", hs.URL, "--since", "30d"}, false, "out.csv", false},
		{"export SIGTERM", syscall.SIGTERM, 143, []string{"logs", "export", "--remote", "jumpcloud", "--endpoint", hs.URL, "--since", "30d"}, false, "out.ndjson", false},
		{"encrypted export SIGINT", syscall.SIGINT, 130, []string{"logs", "export", "--remote", "jumpcloud", "--endpoint", hs.URL, "--since", "30d", "--encrypt-to", testRecipient}, false, "out.csv.age", false},
		{"encrypted export SIGTERM", syscall.SIGTERM, 143, []string{"logs", "export", "--remote", "jumpcloud", "--endpoint", hs.URL, "--since", "30d", "--armor", "--encrypt-to", testRecipient}, false, "out.ndjson.age", false},
		{"tail -f SIGINT", syscall.SIGINT, 130, []string{"logs", "tail", "-f", "--interval", "100ms"}, false, "", true},
		{"tail -f SIGTERM", syscall.SIGTERM, 143, []string{"logs", "tail", "-f", "--interval", "100ms"}, false, "", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			outDir := t.TempDir()
			args := append([]string{"--db", db}, tt.args...)
			if tt.output != "" {
				args = append(args, "-O", filepath.Join(outDir, tt.output))
			}
			cmd := exec.Command(bin, args...)
			cmd.Env = append(os.Environ(), "JUMPCLOUD_API_KEY=k")
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			var stdin io.WriteCloser
			if tt.stdin {
				var err error
				if stdin, err = cmd.StdinPipe(); err != nil {
					t.Fatal(err)
				}
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			if tt.stdin {
				// half an import: events written, the input not ended
				if _, err := stdin.Write(events("half", 5000)); err != nil {
					t.Fatal(err)
				}
			}
			time.Sleep(1500 * time.Millisecond) // running, and waiting: on stdin, on the API, on new events
			if err := cmd.Process.Signal(tt.sig); err != nil {
				t.Fatal(err)
			}
			if tt.stdin {
				// the input stalls, never ends: the signal alone stops the import
				defer stdin.Close()
			}
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			var err error
			select {
			case err = <-done:
			case <-time.After(30 * time.Second):
				cmd.Process.Kill()
				t.Fatalf("still running 30 s after %v; stderr:\n%s", tt.sig, stderr.String())
			}
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != tt.code {
				t.Errorf("%v: exit %v, want %d; stderr:\n%s", tt.sig, err, tt.code, stderr.String())
			}
			msg := map[syscall.Signal]string{syscall.SIGINT: "auditctl: interrupted (SIGINT)", syscall.SIGTERM: "auditctl: terminated (SIGTERM)"}[tt.sig]
			if said := strings.Contains(stderr.String(), msg); said == tt.follow {
				t.Errorf("stderr (want %q unless the command stopped cleanly):\n%s", msg, stderr.String())
			}
			if entries, _ := os.ReadDir(outDir); len(entries) != 0 {
				t.Errorf("left in the output directory: %v", entries)
			}
			if got := count(); got != before {
				t.Errorf("cache holds %s after the signal, held %s", got, before)
			}
			// the writers' lock files stay (docs/cache.md, "Import")
			entries, _ := filepath.Glob(filepath.Join(dir, ".audit.db*"))
			entries = slices.DeleteFunc(entries, func(p string) bool {
				return filepath.Base(p) == ".audit.db.ingest" || filepath.Base(p) == ".audit.db.ingest-wait"
			})
			if len(entries) != 0 {
				t.Errorf("temporary files left beside the cache: %v", entries)
			}
		})
	}
}
