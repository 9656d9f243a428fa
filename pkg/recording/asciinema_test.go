package recording

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// needTool skips the test when name is not installed, unless CI=true: then
// it fails (.ci/run installs it).
func needTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not installed (CI=true): %v", name, err)
		}
		t.Skipf("%s is not installed: %v", name, err)
	}
	return p
}

// inPty runs the shell command cmd under util-linux script, which gives it
// a pseudo-terminal (asciinema cat and play open /dev/tty).
func inPty(t *testing.T, cmd string) ([]byte, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c := exec.CommandContext(ctx, "script", "-qec", cmd, "/dev/null")
	c.Env = append(os.Environ(), "LC_ALL=C.UTF-8", "PYTHONIOENCODING=utf-8", "TERM=xterm-256color")
	c.Stdin = nil
	return c.CombinedOutput()
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// TestAsciinemaAccepts converts every shared recording and fixture to v2
// with the Writer and checks that Debian's asciinema 2.2.0 cats exactly
// the output stream (byte for byte; bytes that are not UTF-8 are U+FFFD
// as the Writer documents), and plays it to the end: exit status 0 and the
// same bytes written to the terminal.
func TestAsciinemaAccepts(t *testing.T) {
	needTool(t, "asciinema")
	needTool(t, "script")
	if v, err := exec.Command("asciinema", "--version").CombinedOutput(); err == nil {
		t.Logf("using %s", bytes.TrimSpace(v))
	}
	dir := t.TempDir()
	for _, f := range allFixtures(t) {
		t.Run(f.name, func(t *testing.T) {
			t.Parallel()
			hdr, evs := readFixture(t, f)
			var want []byte
			for _, e := range evs {
				if e.Code == "o" {
					want = append(want, e.Data...)
				}
			}
			// The Writer's UTF-8 rule on the whole stream.
			enc := appendJSONString(nil, string(want))
			var wantText string
			decodeOK := false
			if s, ok := decodeString(enc); ok {
				wantText, decodeOK = s, true
			}
			if !decodeOK {
				t.Fatal("cannot decode the expected text")
			}
			cast := filepath.Join(dir, strings.ReplaceAll(f.name, "/", "_")+".v2.cast")
			if err := os.WriteFile(cast, writeAll(t, hdr, evs, WriterOptions{Version: 2}), 0o600); err != nil {
				t.Fatal(err)
			}
			catOut := cast + ".cat"
			if out, err := inPty(t, "asciinema cat "+shellQuote(cast)+" > "+shellQuote(catOut)); err != nil {
				t.Fatalf("asciinema cat: %v\n%s", err, out)
			}
			got, err := os.ReadFile(catOut)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != wantText {
				t.Errorf("asciinema cat differs from the output events (%d vs %d bytes)\n got %.300q\nwant %.300q", len(got), len(wantText), got, wantText)
			}
			// play exits 0 even when it stops on a line it cannot parse
			// (it catches every exception): check what it wrote too.
			playOut := cast + ".play"
			if out, err := inPty(t, "asciinema play -i 0.01 -s 1000 "+shellQuote(cast)+" > "+shellQuote(playOut)); err != nil {
				t.Errorf("asciinema play: %v\n%s", err, out)
			}
			if got, err := os.ReadFile(playOut); err != nil || string(got) != wantText {
				t.Errorf("asciinema play output differs from the output events (%d vs %d bytes, %v)", len(got), len(wantText), err)
			}
		})
	}
}
