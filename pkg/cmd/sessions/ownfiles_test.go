package sessions_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/cmd/cmdtest"
	"github.com/auditctl/auditctl/pkg/recording"
	"github.com/auditctl/auditctl/pkg/session"
	"github.com/auditctl/auditctl/pkg/store/sqlite"
)

// A recording changed after it was registered is not read as the evidence:
// every command that reads a session's recording by ID (play --no-tui, cat,
// keystrokes, queries, info, convert) refuses it with exit 3 naming both
// SHA-256s, unless --allow-modified, which reads it and warns on stderr.
func TestModifiedRecordingRefused(t *testing.T) {
	env := cmdtest.New(t)
	dir := t.TempDir()
	path := writeCast(t, dir, "evidence.cast", true, `[1, "o", "rm -rf /srv\r\n"]`, `[1.5, "i", "ls\r"]`)
	env.MustRun("sessions", "import", path)
	id := strings.TrimSpace(env.Out.String())
	registered, _ := recording.FileSHA256(path)

	// Unchanged: read as it is.
	env.MustRun("sessions", "cat", id)
	if !strings.Contains(env.Out.String(), "rm -rf /srv") {
		t.Fatalf("cat: %q", env.Out)
	}

	// Edited: the incriminating line is gone.
	writeCast(t, dir, "evidence.cast", true, `[1, "o", "ls\r\n"]`, `[1.5, "i", "ls\r"]`)
	edited, _ := recording.FileSHA256(path)
	commands := [][]string{
		{"sessions", "play", id, "--no-tui"},
		{"sessions", "cat", id},
		{"sessions", "keystrokes", id},
		{"sessions", "queries", id},
		{"sessions", "info", id},
		{"sessions", "convert", id, "-O", filepath.Join(dir, "out.cast")},
		{"sessions", "watch", id, "--no-tui"},
	}
	for _, args := range commands {
		err := env.Run(args...)
		if code := cmdtestExit(err); code != 3 || !strings.Contains(err.Error(), registered) || !strings.Contains(err.Error(), edited) {
			t.Errorf("%v: exit %d: %v", args, code, err)
		}
		if env.Out.Len() != 0 {
			t.Errorf("%v printed %q", args, env.Out)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "out.cast")); err == nil {
		t.Error("convert wrote the modified recording")
	}
	for _, args := range commands {
		args = append(args, "--allow-modified")
		if err := env.Run(args...); err != nil {
			t.Errorf("%v: %v", args, err)
			continue
		}
		if !strings.Contains(env.ErrOut.String(), "warning: the recording "+path+" of session "+id+" was modified after it was registered") {
			t.Errorf("%v: no warning on stderr: %q", args, env.ErrOut)
		}
	}
	// --quiet drops the warning, not the check.
	if code := env.ExitCode("--quiet", "sessions", "cat", id); code != 3 {
		t.Errorf("--quiet cat: exit %d", code)
	}
	env.MustRun("--quiet", "sessions", "cat", id, "--allow-modified")
	if env.ErrOut.Len() != 0 {
		t.Errorf("--quiet: stderr %q", env.ErrOut)
	}
	// The file itself, by path, is read as a file.
	env.MustRun("sessions", "cat", path)
}

// An argument is a session ID when a session matches; a file in the working
// directory named like it does not shadow the session (./NAME reads the
// file), and a name that matches no session is a file. --debug says which.
func TestSessionIDNotShadowedByFile(t *testing.T) {
	env := cmdtest.New(t)
	dir := t.TempDir()
	path := writeCast(t, dir, "real.cast", true, `[1, "o", "the real session"]`)
	env.MustRun("sessions", "import", path)
	id := strings.TrimSpace(env.Out.String())

	cwd := t.TempDir()
	t.Chdir(cwd)
	writeCast(t, cwd, id, true, `[1, "o", "a decoy"]`)
	writeCast(t, cwd, "plain.cast", true, `[1, "o", "a plain file"]`)

	for _, arg := range []string{id, id[:8]} {
		env.MustRun("--debug", "sessions", "cat", arg)
		if out := env.Out.String(); !strings.Contains(out, "the real session") || strings.Contains(out, "decoy") {
			t.Errorf("cat %s read %q", arg, out)
		}
		if !strings.Contains(env.ErrOut.String(), "debug: "+arg+": session "+id) {
			t.Errorf("cat %s: --debug said %q", arg, env.ErrOut)
		}
	}
	env.MustRun("--debug", "sessions", "cat", id)
	if !strings.Contains(env.ErrOut.String(), "a file of that name is in the working directory: ./"+id+" reads it") {
		t.Errorf("--debug does not name the shadowed file: %q", env.ErrOut)
	}
	env.MustRun("--debug", "sessions", "cat", "./"+id)
	if !strings.Contains(env.Out.String(), "decoy") || !strings.Contains(env.ErrOut.String(), "a path (it holds a slash)") {
		t.Errorf("./ID: %q %q", env.Out, env.ErrOut)
	}
	env.MustRun("--debug", "sessions", "cat", "plain.cast")
	if !strings.Contains(env.Out.String(), "a plain file") || !strings.Contains(env.ErrOut.String(), "plain.cast: a file (no session matches") {
		t.Errorf("plain.cast: %q %q", env.Out, env.ErrOut)
	}
	// Neither a session nor a file.
	if code := env.ExitCode("sessions", "cat", "nothing-here"); code != 3 {
		t.Errorf("unknown: exit %d", code)
	}
}

// sessions show's hint for the events it leaves out is a command line whose
// values are each one shell word: a POSIX shell reads the user name back as
// it is, whatever it holds (quotes, ;, spaces, $).
func TestShowHintIsShellQuoted(t *testing.T) {
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh")
	}
	env := cmdtest.New(t)
	ctx := context.Background()
	db, err := sqlite.Open(ctx, env.DBPath)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	user := `o'brien; touch /tmp/pwned $HOME`
	start := cmdtest.Now.Add(-time.Hour)
	s := &session.Session{ID: "q1", UserName: user, Start: start, End: start.Add(10 * time.Minute), Duration: 10 * time.Minute,
		Status: session.StatusCompleted, Category: session.CategoryServer}
	if err := db.CreateSession(ctx, s); err != nil {
		t.Fatal(err)
	}
	var evs []*audit.Event
	for i := range 3 {
		evs = append(evs, &audit.Event{ID: fmt.Sprintf("e%d", i), Source: "test", Time: start.Add(time.Duration(i+1) * time.Minute),
			Service: "s", Action: "Act", Actor: user, Status: audit.StatusSuccess})
	}
	if err := db.AddEvents(ctx, evs...); err != nil {
		t.Fatal(err)
	}
	out := env.MustRun("sessions", "show", "q1", "-o", "table", "--events", "1")
	i := strings.Index(out, "(2 more: ")
	if i < 0 {
		t.Fatalf("no hint:\n%s", out)
	}
	hint := strings.TrimSuffix(strings.TrimSpace(out[i+len("(2 more: "):]), ")")
	words, err := exec.Command("sh", "-c", `printf '%s\n' `+hint).Output()
	if err != nil {
		t.Fatalf("sh: %v (hint %s)", err, hint)
	}
	lines := strings.Split(strings.TrimSuffix(string(words), "\n"), "\n")
	found := false
	for j, w := range lines {
		if w == "--actor" && j+1 < len(lines) {
			found = lines[j+1] == user
		}
	}
	if !found {
		t.Errorf("the shell reads the hint %s as %q", hint, lines)
	}
}
