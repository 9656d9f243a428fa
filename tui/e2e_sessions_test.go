package tui

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/auditctl/auditctl/internal/bintest"
	"github.com/auditctl/auditctl/internal/tmuxtest"
)

// The real binary in tmux: a session recorded by `auditctl sessions record`
// in one pane (a pty) is live in the console's sessions view in another
// (NO_COLOR: no colour on the screen); w watches it (what the recorded
// command writes after the watch started appears) and q comes back; x
// asks, then terminates it: the recorder ends, the session is terminated
// by the console's user and the TerminateSession event holds the reason.
func TestEndToEndWatchTerminate(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	if runtime.GOOS != "linux" {
		t.Skip("the recorder test runs on linux")
	}
	tmuxtest.Lookup(t)
	bin := bintest.Auditctl(t)
	dir := t.TempDir()
	db := filepath.Join(dir, "audit.db")
	marker := filepath.Join(dir, "go")
	rec := newPane(t, 100, 30, fmt.Sprintf("%s --db %s sessions record --resource e2e-host --user alice --email alice@example.com -- "+
		"sh -c 'echo first-line; while [ ! -e %s ]; do sleep 0.05; done; echo second-line; sleep 120'; echo RECORDER-EXITED $?; sleep 30",
		bin, db, marker))
	rec.wait("the recorded command", func(s string) bool { return strings.Contains(s, "first-line") })
	var id string
	for deadline := time.Now().Add(20 * time.Second); id == "" && time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		out, err := exec.Command(bin, "--db", db, "sessions", "list", "--active", "-o", "json").Output()
		if err != nil {
			continue
		}
		var rows []struct{ ID string }
		json.Unmarshal(out, &rows)
		if len(rows) == 1 {
			id = rows[0].ID
		}
	}
	if id == "" {
		t.Fatal("no active session")
	}

	p := newPane(t, 120, 32, fmt.Sprintf("env NO_COLOR=1 %s --db %s tui; echo TUI-EXITED $?; sleep 30", bin, db))
	p.wait("the overview", func(s string) bool { return strings.Contains(s, "active sessions   1") })
	p.keys("3")
	p.wait("the live session in the list", func(s string) bool {
		return regexp.MustCompile(`(?m)^● .*e2e-host`).MatchString(s) && strings.Contains(s, "1 active (●)")
	})
	colours := regexp.MustCompile(`\x1b\[[0-9;]*(3[0-8]|4[0-8]|9[0-7]|10[0-7])[;m]`)
	if s := p.run("capture-pane", "-p", "-e", "-t", "0"); colours.MatchString(s) {
		t.Errorf("NO_COLOR: a colour on the screen: %q", colours.FindString(s))
	}
	p.keys("w")
	p.wait("the live session in the player", func(s string) bool {
		return strings.Contains(s, "first-line") && strings.Contains(s, "LIVE")
	})
	if err := os.WriteFile(marker, nil, 0o600); err != nil { // the recorded command goes on only now
		t.Fatal(err)
	}
	p.wait("what is written while watching", func(s string) bool { return strings.Contains(s, "second-line") })
	p.keys("q")
	p.wait("the list again", func(s string) bool {
		return strings.Contains(s, "START (UTC)") && strings.Contains(s, "1 active (●)")
	})
	p.keys("x")
	p.wait("the confirmation", func(s string) bool { return strings.Contains(s, "Terminate session "+id) })
	p.keys("Escape")
	p.wait("the confirmation gone", func(s string) bool { return !strings.Contains(s, "Terminate session") })
	if s := rec.run("capture-pane", "-p", "-t", "0"); strings.Contains(s, "RECORDER-EXITED") {
		t.Fatalf("the recorder ended after Esc:\n%s", s)
	}
	p.keys("x")
	p.wait("the confirmation", func(s string) bool { return strings.Contains(s, "Terminate session "+id) })
	p.keys("-l", "left running after hours")
	p.keys("Enter")
	p.wait("the session terminated", func(s string) bool {
		return strings.Contains(s, "0 active (●)") && !regexp.MustCompile(`(?m)^● `).MatchString(s)
	})
	rec.wait("the recorder to end", func(s string) bool { return strings.Contains(s, "RECORDER-EXITED") })
	p.keys("q")
	p.wait("the exit", func(s string) bool { return strings.Contains(s, "TUI-EXITED 0") })

	out, err := exec.Command(bin, "--db", db, "sessions", "show", id, "-o", "json").Output()
	if err != nil {
		t.Fatal(err)
	}
	var shown struct {
		Session struct {
			Status       string
			TerminatedBy string `json:"terminated_by"`
		}
	}
	json.Unmarshal(out, &shown)
	if shown.Session.Status != "terminated" || shown.Session.TerminatedBy == "" {
		t.Errorf("after x: %+v", shown.Session)
	}
	out, err = exec.Command(bin, "--db", db, "logs", "list", "--all", "--action", "TerminateSession", "-o", "json").Output()
	if err != nil {
		t.Fatal(err)
	}
	var evs []struct {
		Actor    string
		TargetID string `json:"target_id"`
		Params   map[string]string
	}
	json.Unmarshal(out, &evs)
	if len(evs) != 1 || evs[0].TargetID != id || evs[0].Actor != shown.Session.TerminatedBy || evs[0].Params["reason"] != "left running after hours" {
		t.Errorf("TerminateSession events: %+v", evs)
	}
}
