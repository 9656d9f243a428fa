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

// pane runs a command in a detached tmux server of its own.
type pane struct {
	t      *testing.T
	bin    string
	socket string
}

func newPane(t *testing.T, w, h int, cmd string) *pane {
	t.Helper()
	p := &pane{t: t, bin: tmuxtest.Lookup(t), socket: fmt.Sprintf("auditctl-tui-%d-%d", os.Getpid(), time.Now().UnixNano())}
	t.Cleanup(func() { exec.Command(p.bin, "-L", p.socket, "kill-server").Run() })
	p.run("-f", "/dev/null", "new-session", "-d", "-x", fmt.Sprint(w), "-y", fmt.Sprint(h), cmd)
	return p
}

func (p *pane) run(args ...string) string {
	p.t.Helper()
	cmd := exec.Command(p.bin, append([]string{"-L", p.socket}, args...)...)
	cmd.Env = append(os.Environ(), "LC_ALL=C.UTF-8", "TMUX=")
	out, err := cmd.CombinedOutput()
	if err != nil {
		p.t.Fatalf("tmux %v: %v\n%s", args, err, out)
	}
	return string(out)
}

func (p *pane) keys(keys ...string) { p.run(append([]string{"send-keys", "-t", "0"}, keys...)...) }

func (p *pane) wait(what string, cond func(screen string) bool) string {
	p.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	var s string
	for time.Now().Before(deadline) {
		s = p.run("capture-pane", "-p", "-t", "0")
		if cond(s) {
			return s
		}
		time.Sleep(50 * time.Millisecond)
	}
	p.t.Fatalf("timed out waiting for %s; pane:\n%s", what, s)
	return ""
}

// The real binary in tmux, over the demo cache: the overview first, then
// search action:DeleteUser,
// open a detail panel, close it, switch to the sessions, play one and come
// back, quit with exit status 0. Without a
// terminal, the console is a usage error.
func TestEndToEndTmux(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	tmuxtest.Lookup(t)
	bin := bintest.Auditctl(t)
	db := filepath.Join(t.TempDir(), "demo.db")
	if out, err := exec.Command(bin, "--db", db, "--quiet", "demo").CombinedOutput(); err != nil {
		t.Fatalf("demo: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "--db", db, "tui").CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 2 || !strings.Contains(string(out), "needs a terminal") {
		t.Fatalf("without a terminal: %v\n%s", err, out)
	}

	p := newPane(t, 120, 32, fmt.Sprintf("%s --db %s tui; echo TUI-EXITED $?; sleep 30", bin, db))
	p.wait("the overview, the first screen", func(s string) bool {
		return strings.Contains(s, "In the window") && strings.Contains(s, "Top actions") && strings.Contains(s, "no filter · last 7 days")
	})
	p.keys("/", "action:DeleteUser")
	p.wait("the typed query's result", func(s string) bool {
		return strings.Contains(s, "filter: action:DeleteUser") && strings.Contains(s, "DeleteUser")
	})
	p.keys("Enter")
	s := p.wait("the query kept", func(s string) bool { return strings.Contains(s, "enter detail") })
	rows := 0
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, "  user ") && !strings.Contains(l, "DeleteUser") {
			t.Fatalf("a row that is not a DeleteUser:\n%s", s)
		}
		if strings.Contains(l, "DeleteUser  ") {
			rows++
		}
	}
	if rows == 0 {
		t.Fatalf("no DeleteUser rows:\n%s", s)
	}
	p.keys("Down", "Enter")
	p.wait("the detail panel", func(s string) bool {
		return strings.Contains(s, "User information") && strings.Contains(s, "Action:        DeleteUser") && strings.Contains(s, "Event ")
	})
	p.keys("Escape")
	p.wait("the table again", func(s string) bool {
		return strings.Contains(s, "TIME (UTC)") && !strings.Contains(s, "User information")
	})
	// Session History; p plays a session's recording in the player, and
	// q there comes back to the list.
	p.keys("3")
	p.wait("the sessions", func(s string) bool { return strings.Contains(s, "START (UTC)") && strings.Contains(s, "[3 sessions]") })
	for i := 0; ; i++ {
		p.keys("p")
		time.Sleep(300 * time.Millisecond)
		if strings.Contains(p.run("capture-pane", "-p", "-t", "0"), "auditctl player") {
			break
		}
		if i == 10 {
			t.Fatalf("no session with a recording played:\n%s", p.run("capture-pane", "-p", "-t", "0"))
		}
		p.keys("Down")
	}
	p.keys("q")
	p.wait("the list again", func(s string) bool {
		return strings.Contains(s, "START (UTC)") && !strings.Contains(s, "auditctl player")
	})
	p.keys("q")
	p.wait("the exit", func(s string) bool { return strings.Contains(s, "TUI-EXITED 0") })
}
