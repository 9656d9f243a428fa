package tui

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/auditctl/auditctl/internal/bintest"
	"github.com/auditctl/auditctl/internal/tmuxtest"
)

// The logs view's features in the real binary, in tmux, over the demo
// cache: the filter panel (error state: error), a pivot to the actor and
// Backspace back, y copying a value (OSC 52, into tmux's buffer), an
// export to a file, and the live tail while another auditctl process
// imports events.
func TestEndToEndLogsFeatures(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	tmuxtest.Lookup(t)
	bin := bintest.Auditctl(t)
	dir := t.TempDir()
	db := filepath.Join(dir, "demo.db")
	if out, err := exec.Command(bin, "--db", db, "--quiet", "demo").CombinedOutput(); err != nil {
		t.Fatalf("demo: %v\n%s", err, out)
	}
	cache := filepath.Join(dir, "cache")   // where y writes what the terminal cannot take
	config := filepath.Join(dir, "config") // the signing key of the manifest
	p := newPane(t, 140, 34, fmt.Sprintf("XDG_CONFIG_HOME=%s XDG_CACHE_HOME=%s %s --db %s tui; echo TUI-EXITED $?; sleep 30", config, cache, bin, db))
	p.run("set-option", "-g", "set-clipboard", "on")
	p.wait("the overview", func(s string) bool { return strings.Contains(s, "In the window") })
	p.keys("2")
	p.wait("the logs", func(s string) bool { return strings.Contains(s, "TIME (UTC)") && strings.Contains(s, "Page 1 of") })

	// the filter panel: error state → error
	p.keys("f")
	p.wait("the filter panel", func(s string) bool { return strings.Contains(s, "Error state") })
	p.keys("Down", "Down", "Right", "Right", "Enter")
	s := p.wait("the failures", func(s string) bool {
		return strings.Contains(s, "[f] status:failure") && strings.Contains(s, "filter: status:failure") && !strings.Contains(s, "searching")
	})
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, " 20") && strings.Contains(l, ":") && (strings.Contains(l, " success ") || strings.Contains(l, " in_progress ")) {
			t.Fatalf("a row that is not a failure:\n%s", s)
		}
	}

	// a pivot to the actor, then back
	p.keys("a")
	s = p.wait("the actor pivot", func(s string) bool { return strings.Contains(s, "pivot 1: actor ") && strings.Contains(s, "total)") })
	p.keys("BSpace")
	p.wait("back", func(s string) bool {
		return !strings.Contains(s, "pivot 1:") && strings.Contains(s, "[f] status:failure")
	})

	// y: the ID of the selected event, through OSC 52 into tmux's buffer
	p.keys("y")
	p.wait("the values to copy", func(s string) bool { return strings.Contains(s, "Copy which value?") })
	p.keys("Enter")
	s = p.wait("the copy said", func(s string) bool { return strings.Contains(s, "copied ID (") })
	id := s[strings.Index(s, "to the clipboard: ")+len("to the clipboard: "):]
	id = strings.TrimSpace(strings.SplitN(id, "\n", 2)[0])
	var buf string
	for i := 0; i < 50; i++ {
		if buf = strings.TrimSpace(p.run("show-buffer")); buf == id {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if buf != id {
		t.Errorf("tmux's buffer holds %q, want the ID %q", buf, id)
	}
	// with set-clipboard off, tmux drops OSC 52: y writes the file instead
	p.run("set-option", "-g", "set-clipboard", "off")
	p.keys("y")
	p.wait("the values to copy", func(s string) bool { return strings.Contains(s, "Copy which value?") })
	p.keys("Enter")
	p.wait("the file said", func(s string) bool { return strings.Contains(s, "wrote ID (") && strings.Contains(s, "clipboard.txt") })
	if b, err := os.ReadFile(filepath.Join(cache, "auditctl", "clipboard.txt")); err != nil || string(b) != id {
		t.Errorf("the copy file: %q %v, want the ID %q", b, err, id)
	}

	// export the failures to a file, with its signed manifest
	out := filepath.Join(dir, "failures.csv")
	p.keys("e")
	p.wait("the export form", func(s string) bool { return strings.Contains(s, "Encryption") })
	p.keys("C-u", out, "Down", "Down", "Down", "Right")
	p.wait("the manifest chosen", func(s string) bool { return strings.Contains(s, "signed, beside the file (--manifest)") })
	p.keys("Enter")
	s = p.wait("the export", func(s string) bool { return strings.Contains(s, "exported ") })
	verify := exec.Command(bin, "--db", db, "verify", "--manifest", out+".manifest.json")
	verify.Env = append(os.Environ(), "XDG_CONFIG_HOME="+config)
	if b, err := verify.CombinedOutput(); err != nil || !strings.Contains(string(b), `"status": "pass"`) {
		t.Errorf("verify --manifest of the console's export: %v\n%s", err, b)
	}
	var n int
	if _, err := fmt.Sscanf(s[strings.Index(s, "exported "):], "exported %d events", &n); err != nil || n == 0 {
		t.Fatalf("the notice: %v\n%s", err, s)
	}
	p.keys("Escape")
	p.wait("the table again", func(s string) bool { return strings.Contains(s, "enter detail") && !strings.Contains(s, "Encryption") })
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if lines := strings.Count(string(b), "\n"); lines != n+1 || !strings.Contains(string(b), ",failure,") {
		t.Fatalf("the CSV holds %d lines for %d events", lines, n)
	}

	// the live tail while another process imports
	p.keys("c")
	p.wait("no filter", func(s string) bool { return strings.Contains(s, "no filter") && !strings.Contains(s, "[f]") })
	p.keys("t")
	p.wait("the tail on", func(s string) bool { return strings.Contains(s, "● live") })
	for batch := 0; batch < 2; batch++ {
		f := filepath.Join(dir, fmt.Sprintf("new%d.ndjson", batch))
		var lines []string
		for i := 0; i < 3; i++ {
			lines = append(lines, fmt.Sprintf(`{"id":"tail-%d-%d","time":%q,"source":"e2e","service":"directory","action":"UpdateUser","actor":"tail%d-e2e@example.com","ip":"10.9.9.9","status":"success"}`,
				batch, i, time.Now().UTC().Add(time.Duration(i)*time.Millisecond).Format(time.RFC3339Nano), batch))
		}
		if err := os.WriteFile(f, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command(bin, "--db", db, "--quiet", "import", f).CombinedOutput(); err != nil {
			t.Fatalf("import: %v\n%s", err, out)
		}
		actor := fmt.Sprintf("tail%d-e2e@example.com", batch)
		s = p.wait("the imported events at the top", func(s string) bool { return strings.Count(s, actor) == 3 })
		rows := strings.Split(s, "\n")
		if !strings.Contains(rows[3], actor) {
			t.Fatalf("the new events are not at the top:\n%s", s)
		}
	}
	p.keys("q")
	p.wait("the exit", func(s string) bool { return strings.Contains(s, "TUI-EXITED 0") })
}
