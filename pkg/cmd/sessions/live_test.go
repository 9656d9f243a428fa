package sessions_test

import (
	"bytes"
	"context"
	"encoding/json"
	"github.com/auditctl/auditctl/internal/bintest"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// buildBinary is the auditctl binary of this checkout.
func buildBinary(t *testing.T) string { return bintest.Auditctl(t) }

// TestRecordListTerminate drives the real binary: a session recorded in
// one process is listed as active by another and terminated by a third,
// which also writes the TerminateSession audit event.
func TestRecordListTerminate(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("pseudo-terminal recorder test runs on linux")
	}
	bin := buildBinary(t)
	db := filepath.Join(t.TempDir(), "audit.db")
	run := func(args ...string) string {
		t.Helper()
		out, err := exec.Command(bin, append([]string{"--db", db}, args...)...).Output()
		if err != nil {
			t.Fatalf("auditctl %v: %v", args, err)
		}
		return string(out)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	rec := exec.CommandContext(ctx, bin, "--db", db, "sessions", "record", "--resource", "bastion-1",
		"--user", "alice", "--email", "alice@example.com", "--", "sh", "-c", "echo started; sleep 1; echo live-line; sleep 30")
	rec.Stdin = strings.NewReader("")
	var stderr bytes.Buffer
	rec.Stderr = &stderr
	if err := rec.Start(); err != nil {
		t.Fatal(err)
	}
	var id string
	for deadline := time.Now().Add(20 * time.Second); id == "" && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if _, err := os.Stat(db); err != nil {
			continue
		}
		var rows []struct{ ID, Status string }
		json.Unmarshal([]byte(run("sessions", "list", "--active", "-o", "json")), &rows)
		if len(rows) == 1 && rows[0].Status == "active" {
			id = rows[0].ID
		}
	}
	if id == "" {
		t.Fatalf("no active session appeared; recorder stderr:\n%s", stderr.String())
	}
	// A watcher in another process sees the output while it happens.
	watch := exec.CommandContext(ctx, bin, "--db", db, "sessions", "watch", id, "--no-tui")
	pipe, err := watch.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := watch.Start(); err != nil {
		t.Fatal(err)
	}
	seen := make(chan string, 1)
	go func() {
		var all []byte
		buf := make([]byte, 4096)
		for {
			n, err := pipe.Read(buf)
			all = append(all, buf[:n]...)
			if strings.Contains(string(all), "live-line") {
				seen <- string(all)
				io.Copy(io.Discard, pipe)
				return
			}
			if err != nil {
				seen <- string(all)
				return
			}
		}
	}()
	var watched string
	select {
	case watched = <-seen:
	case <-ctx.Done():
	}
	if !strings.Contains(watched, "started") || !strings.Contains(watched, "live-line") {
		t.Fatalf("watch --no-tui saw %q while the session ran", watched)
	}
	run("sessions", "terminate", id, "--by", "kara", "--reason", "test")
	if err := watch.Wait(); err != nil {
		t.Errorf("watch after the session ended: %v", err)
	}
	if err := rec.Wait(); err == nil {
		t.Log("recorder exited 0 after termination")
	}
	var s struct {
		Session struct {
			Status       string
			TerminatedBy string `json:"terminated_by"`
			SHA          string `json:"recording_sha256"`
		}
	}
	if err := json.Unmarshal([]byte(run("sessions", "show", id, "-o", "json")), &s); err != nil {
		t.Fatal(err)
	}
	if s.Session.Status != "terminated" || s.Session.TerminatedBy != "kara" {
		t.Errorf("after terminate: %+v", s.Session)
	}
	if out := run("sessions", "cat", id); !strings.Contains(out, "started") {
		t.Errorf("recording of the terminated session:\n%s", out)
	}
	var evs []struct {
		Action, Actor string
		TargetID      string `json:"target_id"`
	}
	json.Unmarshal([]byte(run("logs", "list", "--all", "--action", "TerminateSession", "-o", "json")), &evs)
	if len(evs) != 1 || evs[0].Actor != "kara" || evs[0].TargetID != id {
		t.Errorf("TerminateSession events: %+v", evs)
	}
}

// TestWatchInteractive runs `sessions watch` in a tmux pane while another
// process records: output written after the watch started appears in the
// player.
func TestWatchInteractive(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("pseudo-terminal recorder test runs on linux")
	}
	if _, err := exec.LookPath("tmux"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("tmux is not installed (CI=true)")
		}
		t.Skip("tmux is not installed")
	}
	bin := buildBinary(t)
	dir := t.TempDir()
	db := filepath.Join(dir, "audit.db")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	marker := filepath.Join(dir, "go")
	rec := exec.CommandContext(ctx, bin, "--db", db, "sessions", "record", "--resource", "web-1", "--",
		"sh", "-c", "echo first-line; while [ ! -e "+marker+" ]; do sleep 0.05; done; echo second-line; sleep 30")
	rec.Stdin = strings.NewReader("")
	if err := rec.Start(); err != nil {
		t.Fatal(err)
	}
	defer rec.Process.Kill()
	var id string
	for deadline := time.Now().Add(20 * time.Second); id == "" && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
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
	sock := filepath.Join(dir, "tmux.sock")
	tmux := func(args ...string) string {
		out, _ := exec.Command("tmux", append([]string{"-S", sock, "-f", "/dev/null"}, args...)...).CombinedOutput()
		return string(out)
	}
	t.Cleanup(func() { tmux("kill-server") })
	tmux("new-session", "-d", "-x", "120", "-y", "40", bin+" --db "+db+" sessions watch "+id)
	waitFor := func(text string) {
		t.Helper()
		for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
			if strings.Contains(tmux("capture-pane", "-p"), text) {
				return
			}
		}
		t.Fatalf("%q never appeared:\n%s", text, tmux("capture-pane", "-p"))
	}
	waitFor("first-line")
	os.WriteFile(marker, nil, 0o600) // the recorded command goes on only now
	waitFor("second-line")
	if !strings.Contains(tmux("capture-pane", "-p"), "LIVE") {
		t.Errorf("no live indicator:\n%s", tmux("capture-pane", "-p"))
	}
	tmux("send-keys", "q")
	exec.Command(bin, "--db", db, "sessions", "terminate", id).Run()
}
