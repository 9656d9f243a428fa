package recording

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// TestTtyplayOracle checks the ttyrec reader against ttyrec's own player:
// `ttyplay -n` (no waiting) prints the frames' data, which must equal our
// events' data concatenated.
func TestTtyplayOracle(t *testing.T) {
	if _, err := exec.LookPath("ttyplay"); err != nil {
		t.Skipf("ttyplay (Debian package ttyrec) is not installed: %v", err)
	}
	dir := t.TempDir()
	hand := filepath.Join(dir, "hand.ttyrec")
	if err := os.WriteFile(hand, handTtyrec(), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{filepath.Join("testdata", "ttyrec", "real.ttyrec"), hand} {
		r, err := Open(path, Options{})
		if err != nil {
			t.Fatal(err)
		}
		evs, err := readReader(r)
		r.Close()
		if err != nil {
			t.Fatal(err)
		}
		var want []byte
		for _, e := range evs {
			want = append(want, e.Data...)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		out, err := exec.CommandContext(ctx, "ttyplay", "-n", path).Output()
		cancel()
		if err != nil {
			t.Fatalf("ttyplay %s: %v", path, err)
		}
		if string(out) != string(want) {
			t.Errorf("%s: ttyplay %q, we read %q", path, out, want)
		}
	}
}
