//go:build !windows

package root_test

import (
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"

	"github.com/auditctl/auditctl/internal/agetest"
)

// encEnv is the environment of an auditctl process in these tests: no
// passphrase from outside, a config directory of the test's own.
func encEnv(t *testing.T) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AUDITCTL_PASSPHRASE=") && !strings.HasPrefix(kv, "XDG_CONFIG_HOME=") {
			env = append(env, kv)
		}
	}
	return append(env, "XDG_CONFIG_HOME="+t.TempDir())
}

func seedCache(t *testing.T, bin string) string {
	t.Helper()
	dir := t.TempDir()
	db := filepath.Join(dir, "audit.db")
	nd := filepath.Join(dir, "e.ndjson")
	os.WriteFile(nd, []byte(`{"id":"a1","source":"t","time":"2026-11-20T10:00:00Z","action":"DeleteUser","actor":"ana"}`+"\n"+
		`{"id":"a2","source":"t","time":"2026-11-20T10:01:00Z","action":"Login","actor":"bo"}`+"\n"), 0o600)
	if out, err := exec.Command(bin, "--db", db, "import", nd).CombinedOutput(); err != nil {
		t.Fatalf("import: %v\n%s", err, out)
	}
	return db
}

// TestPassphrasePrompt: --passphrase asks twice on the controlling
// terminal without echo (what is typed never shows), the file decrypts with
// the age CLI and that passphrase; two different answers, and no terminal
// without AUDITCTL_PASSPHRASE, are usage errors that write nothing.
func TestPassphrasePrompt(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no pseudo-terminals")
	}
	agetest.Age(t)
	bin := buildBinary(t)
	db := seedCache(t, bin)
	dir := t.TempDir()
	clear, err := exec.Command(bin, "--db", db, "logs", "export", "--all", "-o", "ndjson").Output()
	if err != nil {
		t.Fatal(err)
	}

	// stdout and stderr are pipes: the prompt is on the terminal only
	out := filepath.Join(dir, "audit.ndjson.age")
	cmd := exec.Command(bin, "--db", db, "logs", "export", "--all", "-O", out, "--passphrase")
	cmd.Env = encEnv(t)
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = io.Discard, &stderr
	tty, err := pty.Start(cmd) // a new session whose controlling terminal is tty
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = nil, nil
	defer tty.Close()
	const secret = "s3cret-Passphrase"
	agetest.Expect(t, tty, "Enter passphrase:")
	io.WriteString(tty, secret+"\r")
	screen := agetest.Expect(t, tty, "Confirm passphrase:")
	io.WriteString(tty, secret+"\r")
	rest := readAll(tty)
	if err := waitFor(t, cmd); err != nil {
		t.Fatalf("export: %v\n%s%s", err, screen, rest)
	}
	if strings.Contains(screen+rest, secret) {
		t.Fatalf("the passphrase was echoed:\n%s%s", screen, rest)
	}
	if got := agetest.DecryptPassphrase(t, out, secret); !bytes.Equal(got, clear) {
		t.Fatalf("decrypted:\n%s\nwant\n%s", got, clear)
	}

	// two different answers
	out2 := filepath.Join(dir, "differ.age")
	cmd = exec.Command(bin, "--db", db, "logs", "export", "--all", "-O", out2, "--passphrase")
	cmd.Env = encEnv(t)
	tty2, err := pty.Start(cmd)
	if err != nil {
		t.Fatal(err)
	}
	defer tty2.Close()
	agetest.Expect(t, tty2, "Enter passphrase:")
	io.WriteString(tty2, "one\r")
	agetest.Expect(t, tty2, "Confirm passphrase:")
	io.WriteString(tty2, "two\r")
	rest = readAll(tty2)
	var ee *exec.ExitError
	if err := waitFor(t, cmd); !errors.As(err, &ee) || ee.ExitCode() != 2 || !strings.Contains(rest, "the two passphrases differ") {
		t.Fatalf("different answers: %v\n%s", err, rest)
	}

	// no controlling terminal (a new session), no AUDITCTL_PASSPHRASE
	cmd = exec.Command(bin, "--db", db, "logs", "export", "--all", "-O", out2, "--passphrase")
	cmd.Env = encEnv(t)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	stderr.Reset()
	cmd.Stderr = &stderr
	if err := cmd.Run(); !errors.As(err, &ee) || ee.ExitCode() != 2 || !strings.Contains(stderr.String(), "no terminal to ask for it on: set AUDITCTL_PASSPHRASE") {
		t.Fatalf("no terminal: %v\n%s", err, stderr.String())
	}
	// with it, no terminal is needed
	cmd = exec.Command(bin, "--db", db, "logs", "export", "--all", "-O", out2, "--passphrase")
	cmd.Env = append(encEnv(t), "AUDITCTL_PASSPHRASE=from-ci-secret")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("AUDITCTL_PASSPHRASE: %v\n%s", err, b)
	}
	if got := agetest.DecryptPassphrase(t, out2, "from-ci-secret"); !bytes.Equal(got, clear) {
		t.Fatal("AUDITCTL_PASSPHRASE round trip")
	}
	if entries, _ := filepath.Glob(filepath.Join(dir, ".*")); len(entries) != 0 {
		t.Fatalf("temporary files left: %v", entries)
	}
}

// TestPassphrasePromptInterrupted: Ctrl-C at the prompt ends the export
// with 130, writes nothing, and gives the terminal its echo back.
func TestPassphrasePromptInterrupted(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no pseudo-terminals")
	}
	bin := buildBinary(t)
	db := seedCache(t, bin)
	dir := t.TempDir()
	cmd := exec.Command(bin, "--db", db, "logs", "export", "--all", "-O", filepath.Join(dir, "x.age"), "--passphrase")
	cmd.Env = encEnv(t)
	tty, err := pty.Start(cmd)
	if err != nil {
		t.Fatal(err)
	}
	defer tty.Close()
	agetest.Expect(t, tty, "Enter passphrase:")
	io.WriteString(tty, "half-typ\x03") // ^C: the terminal sends SIGINT
	rest := readAll(tty)
	var ee *exec.ExitError
	if err := waitFor(t, cmd); !errors.As(err, &ee) || ee.ExitCode() != 130 {
		t.Fatalf("exit %v, want 130\n%s", err, rest)
	}
	if strings.Contains(rest, "half-typ") {
		t.Fatalf("echoed: %q", rest)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("left: %v", entries)
	}
}

// readAll reads a pseudo-terminal until its process closes it.
func readAll(tty *os.File) string {
	var b bytes.Buffer
	tty.SetReadDeadline(time.Now().Add(30 * time.Second))
	io.Copy(&b, tty) // ends with EIO when the child exits
	return strings.ReplaceAll(b.String(), "\r\n", "\n")
}

func waitFor(t *testing.T, cmd *exec.Cmd) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatal("still running after 30 s")
		return nil
	}
}
