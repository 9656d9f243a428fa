package root_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/auditctl/auditctl/player/vt"
	"github.com/creack/pty"
)

// The real binary importing a folder of 35 files with stderr on a
// terminal of 80 and of 40 columns: the progress line is drawn (through
// the terminal chokepoint's control path), never wraps, and leaves nothing
// behind; the screen ends with one summary line.
func TestImportProgressOnATerminal(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildBinary(t)
	dir := filepath.Join(t.TempDir(), strings.Repeat("a-long-folder-name-", 5))
	os.MkdirAll(dir, 0o700)
	for i := range 35 {
		var b bytes.Buffer
		for j := range 500 {
			fmt.Fprintf(&b, `{"id":"f%d-%d","time":"2026-11-20T10:%02d:%02dZ","source":"p","action":"Login","actor":"u%d"}`+"\n", i, j, j/60%60, j%60, j)
		}
		os.WriteFile(filepath.Join(dir, fmt.Sprintf("part-%02d.ndjson", i)), b.Bytes(), 0o600)
	}
	for _, cols := range []int{80, 40} {
		db := filepath.Join(t.TempDir(), "audit.db")
		cmd := exec.Command(bin, "--db", db, "import", dir)
		cmd.Env = append(os.Environ(), "NO_COLOR=1")
		f, err := pty.StartWithSize(cmd, &pty.Winsize{Cols: uint16(cols), Rows: 24})
		if err != nil {
			t.Fatal(err)
		}
		var raw bytes.Buffer
		if _, err := io.Copy(&raw, f); err != nil && !errors.Is(err, syscall.EIO) {
			t.Fatal(err)
		}
		f.Close()
		if err := cmd.Wait(); err != nil {
			t.Fatalf("%d columns: %v\n%q", cols, err, raw.String())
		}
		if n := strings.Count(raw.String(), "\r\x1b[K"); n < 2 {
			t.Errorf("%d columns: %d line erasures: the progress line was not drawn and cleared:\n%q", cols, n, raw.String())
		}
		term := vt.New(cols, 24)
		term.Write(raw.Bytes()) // the pty already turned LF into CR LF
		screen := strings.TrimSpace(term.Text())
		want := "imported 35 files: 17500 new events, 0 already stored ("
		if cols < len(want) {
			want = want[:cols]
		}
		lines := strings.Split(screen, "\n")
		if !strings.HasPrefix(screen, want) || len(lines) > 2 {
			t.Errorf("%d columns: the screen after the run:\n%s\nwant only the summary %q…", cols, screen, want)
		}
	}
}
