package player

import (
	"fmt"
	"github.com/auditctl/auditctl/internal/bintest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// tmux runs the real auditctl binary in a detached tmux server of its own.
type tmux struct {
	t      *testing.T
	socket string
}

func newTmux(t *testing.T, cmd string) *tmux {
	t.Helper()
	if _, err := exec.LookPath("tmux"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("tmux is required in CI")
		}
		t.Skip("tmux not installed")
	}
	tm := &tmux{t: t, socket: fmt.Sprintf("auditctl-player-%d-%d", os.Getpid(), time.Now().UnixNano())}
	t.Cleanup(func() { exec.Command("tmux", "-L", tm.socket, "kill-server").Run() })
	tm.run("-f", "/dev/null", "new-session", "-d", "-x", "120", "-y", "40", cmd)
	return tm
}

func (tm *tmux) run(args ...string) string {
	tm.t.Helper()
	out, err := exec.Command("tmux", append([]string{"-L", tm.socket}, args...)...).CombinedOutput()
	if err != nil {
		tm.t.Fatalf("tmux %v: %v\n%s", args, err, out)
	}
	return string(out)
}

func (tm *tmux) keys(keys ...string) { tm.run(append([]string{"send-keys", "-t", "0"}, keys...)...) }

// quit presses q and waits for the player to exit with status 0.
func (tm *tmux) quit() {
	tm.t.Helper()
	tm.keys("q")
	tm.wait("exit", func(s string) bool { return strings.Contains(s, "PLAYER-EXITED 0") })
}

func (tm *tmux) capture() string { return tm.run("capture-pane", "-p", "-t", "0") }

// wait polls the pane until cond holds.
func (tm *tmux) wait(what string, cond func(screen string) bool) string {
	tm.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	var s string
	for time.Now().Before(deadline) {
		s = tm.capture()
		if cond(s) {
			return s
		}
		time.Sleep(50 * time.Millisecond)
	}
	tm.t.Fatalf("timed out waiting for %s; pane:\n%s", what, s)
	return ""
}

// e2eBinary builds auditctl for a test that runs it in tmux, or skips the
// test (-short, or no tmux outside CI).
func e2eBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the binary")
	}
	if _, err := exec.LookPath("tmux"); err != nil && os.Getenv("CI") != "true" {
		t.Skip("tmux not installed")
	}
	return buildAuditctl(t)
}

func buildAuditctl(t *testing.T) string { return bintest.Auditctl(t) }

func TestEndToEndTmux(t *testing.T) {
	bin := e2eBinary(t)
	rec := shellRecording(t)
	home := t.TempDir()
	cmd := fmt.Sprintf("env HOME=%s XDG_CACHE_HOME=%s XDG_CONFIG_HOME=%s %s sessions play %s; echo PLAYER-EXITED $?; sleep 30",
		home, filepath.Join(home, "cache"), filepath.Join(home, "config"), bin, rec)
	tm := newTmux(t, cmd)

	// Open: the first screen, the header naming the file, the timeline.
	tm.wait("the player", func(s string) bool {
		return strings.Contains(s, "alice@web-01:~$") && strings.Contains(s, "auditctl player · shell.rec · user alice") &&
			strings.Contains(s, "01:40.0")
	})
	// It plays by itself, as asciinema and tsh do: the output of 1.3 s
	// shows and the clock moves without a key; space pauses.
	tm.wait("autoplay", func(s string) bool {
		return strings.Contains(s, "notes.txt  secrets.db") && strings.Contains(s, "▶ ") && !strings.Contains(s, " 00:00.0 /")
	})
	tm.keys("Space")
	s := tm.wait("pause", func(s string) bool { return strings.Contains(s, "❚❚") })
	time.Sleep(300 * time.Millisecond)
	if s2 := tm.capture(); clockOf(s2) != clockOf(s) {
		t.Fatalf("the clock moved while paused: %s then %s", clockOf(s), clockOf(s2))
	}
	// Seek to 50 %: after the clear, the token is gone.
	tm.keys("5")
	tm.wait("50 %", func(s string) bool {
		return strings.Contains(s, "00:50.0 / 01:40.0") && !strings.Contains(s, "TOKEN-4711")
	})
	// Search: jumps back to 8 s, where the token appears.
	tm.keys("/", "TOKEN-4711", "Enter")
	tm.wait("the search", func(s string) bool {
		return strings.Contains(s, "00:08.0 / 01:40.0") && strings.Contains(s, "the TOKEN-4711 is here") &&
			strings.Contains(s, `search "TOKEN-4711": 1 match`)
	})
	// Keystroke panel: keys grouped into words; up from the current row
	// (the Enter at 6.3 s), enter jumps to "cat notes.txt".
	tm.keys("Up", "Enter")
	tm.wait("the keystroke jump", func(s string) bool { return strings.Contains(s, "▶00:05.0 cat notes.txt") })
	// A smaller window: laid out again; the panel gives way to the
	// screen, which is clipped even so.
	tm.run("resize-window", "-t", "0", "-x", "70", "-y", "20")
	tm.wait("the re-layout", func(s string) bool {
		lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
		return strings.Contains(s, "clipped 80x24→70x17") && len(lines) <= 20 && !strings.Contains(s, "Keystrokes")
	})
	// Quit.
	tm.quit()
}

// clockOf returns the position shown in the timeline ("00:01.3").
func clockOf(screen string) string {
	for _, l := range strings.Split(screen, "\n") {
		if i := strings.Index(l, " / "); i >= 7 && (strings.Contains(l, "▶") || strings.Contains(l, "❚❚")) {
			return l[i-7 : i]
		}
	}
	return ""
}

// playerCmd is the shell command that runs the player in a pane, then says
// how it exited.
func playerCmd(t *testing.T, bin string, args string) string {
	home := t.TempDir()
	return fmt.Sprintf("env HOME=%s XDG_CACHE_HOME=%s XDG_CONFIG_HOME=%s %s sessions play %s; echo PLAYER-EXITED $?; sleep 30",
		home, filepath.Join(home, "cache"), filepath.Join(home, "config"), bin, args)
}

// TestEndToEndPausedAndPanels: --paused opens the player paused; the
// panel hides itself beside a recording it would clip, and p shows and
// hides it.
func TestEndToEndPausedAndPanels(t *testing.T) {
	bin := e2eBinary(t)
	tm := newTmux(t, playerCmd(t, bin, shellRecording(t)+" --paused"))
	tm.wait("the player", func(s string) bool {
		return strings.Contains(s, "❚❚ 00:00.0 / 01:40.0") && strings.Contains(s, "Keystrokes (7)")
	})
	time.Sleep(1500 * time.Millisecond) // the first output is at 1.3 s
	if s2 := tm.capture(); !strings.Contains(s2, "❚❚ 00:00.0 / 01:40.0") || strings.Contains(s2, "secrets.db") {
		t.Fatalf("--paused played:\n%s", s2)
	}
	// p hides the panel and says so; p shows it again.
	tm.keys("p")
	tm.wait("the panel hidden", func(s string) bool {
		return !strings.Contains(s, "Keystrokes") && strings.Contains(s, "panels hidden (p shows them)")
	})
	tm.keys("p")
	tm.wait("the panel shown", func(s string) bool { return strings.Contains(s, "Keystrokes (7)") })
	// 100 columns: the 80-column screen and the panel do not both fit; the
	// panel hides itself and the screen is whole.
	tm.run("resize-window", "-t", "0", "-x", "100", "-y", "30")
	tm.wait("the automatic layout", func(s string) bool {
		return !strings.Contains(s, "Keystrokes") && !strings.Contains(s, "clipped") && strings.Contains(s, "alice@web-01:~$")
	})
	tm.quit()
}

func TestEndToEndDatabaseAndNoTerminal(t *testing.T) {
	bin := e2eBinary(t)
	rec := dbRecording(t)
	home := t.TempDir()
	env := fmt.Sprintf("env HOME=%s XDG_CACHE_HOME=%s XDG_CONFIG_HOME=%s", home, filepath.Join(home, "cache"), filepath.Join(home, "config"))

	// Without a terminal: a usage error that points at --no-tui.
	cmd := exec.Command(bin, "sessions", "play", rec)
	cmd.Env = append(os.Environ(), "HOME="+home, "XDG_CACHE_HOME="+filepath.Join(home, "cache"), "XDG_CONFIG_HOME="+filepath.Join(home, "config"))
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 2 || !strings.Contains(string(out), "--no-tui") {
		t.Fatalf("without a terminal: %v\n%s", err, out)
	}

	// --at opens the player there; the query panel shows the queries.
	tm := newTmux(t, fmt.Sprintf("%s %s sessions play %s --at 75%%; echo PLAYER-EXITED $?; sleep 30", env, bin, rec))
	tm.wait("the player at 75 %", func(s string) bool {
		return strings.Contains(s, "00:22.5 / 00:30.0") && strings.Contains(s, "Queries (3), 1 blocked") &&
			strings.Contains(s, "BLOCKED") && strings.Contains(s, "blocked by rule 'DROP TABLE'")
	})
	// Focus the queries, go up to the failed one, jump there.
	tm.keys("Tab", "Up", "Enter")
	tm.wait("the query jump", func(s string) bool {
		return strings.Contains(s, "00:11.0 / 00:30.0") && !strings.Contains(s, "auditctl: blocked")
	})
	tm.quit()
}

// TestEndToEndDamaged: the real binary on damaged recordings: a bad line
// near the start of a 38-minute recording (the whole recording plays, the
// bad line is marked), and a file cut mid-line (the readable part against
// the whole, where it breaks, and a seek past it says so).
func TestEndToEndDamaged(t *testing.T) {
	bin := e2eBinary(t)

	tm := newTmux(t, playerCmd(t, bin, longDamaged(t, false, true)+" --paused"))
	tm.wait("a bad line skipped", func(s string) bool {
		return strings.Contains(s, "❚❚ 00:00.0 / 38:41.5") && strings.Contains(s, "✗00:02.0 line 7 skipped") &&
			strings.Contains(s, "damaged: 1 bad line skipped: line 7, at 00:02.0")
	})
	tm.keys("G")
	tm.wait("the end, past the bad line", func(s string) bool {
		return strings.Contains(s, "38:41.5 / 38:41.5") && strings.Contains(s, "the end") &&
			strings.Contains(s, "this screen may miss events")
	})
	tm.quit()

	tm = newTmux(t, playerCmd(t, bin, longDamaged(t, true, true)))
	tm.wait("a truncated file", func(s string) bool {
		return strings.Contains(s, "/ 38:41.5") && strings.Contains(s, "✗ readable to 20:00.0") && strings.Contains(s, "╌") &&
			strings.Contains(s, "✗20:00.0 breaks: line 12") &&
			strings.Contains(s, "damaged: unreadable from line 12 on, after 20:00.0 of 38:41.5")
	})
	tm.keys("9")
	tm.wait("a seek past the break", func(s string) bool {
		return strings.Contains(s, "20:00.0 / 38:41.5") && strings.Contains(s, "uid=0(root)") &&
			strings.Contains(s, "34:49.3 lies past the damage: the recording is unreadable after 20:00.0 (line 12)")
	})
	tm.quit()
}

// TestEndToEndHostile plays the hostile recording with the real binary in
// tmux: its title, clipboard, hyperlink and screen-clearing sequences do
// not reach the terminal (tmux's pane title stays, the header shows the
// text escaped), and the player still quits cleanly.
func TestEndToEndHostile(t *testing.T) {
	bin := e2eBinary(t)
	rec := hostileRecording(t)
	tm := newTmux(t, playerCmd(t, bin, "'"+rec+"'"))
	tm.run("select-pane", "-t", "0", "-T", "untouched")
	s := tm.wait("the player", func(s string) bool {
		return strings.Contains(s, `auditctl player · evil\x1b]0;t\x07\u202e\x9b\xff.rec`) && strings.Contains(s, "Queries (18)")
	})
	tm.keys("G")
	s = tm.wait("the end", func(s string) bool { return strings.Contains(s, "❚❚") && strings.Contains(s, "pwned") })
	if title := strings.TrimSpace(tm.run("display-message", "-p", "-t", "0", "#{pane_title}")); title != "untouched" {
		t.Fatalf("the recording set the pane title to %q:\n%s", title, s)
	}
	tm.quit()
}
