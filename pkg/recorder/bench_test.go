//go:build unix

package recorder

import (
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/creack/pty"

	"github.com/auditctl/auditctl/pkg/session"
)

// BenchmarkRecorderCat compares the throughput of `cat FILE` into a
// terminal directly, through a bare relay (a second pseudo-terminal, the
// floor for any recorder) and through the recorder (target: recorded ≥
// 0.8× direct; bench/recorder.sh does the same with the binary on 500 MB).
func BenchmarkRecorderCat(b *testing.B) {
	const size = 64 << 20
	file := filepath.Join(b.TempDir(), "data.txt")
	line := bytes.Repeat([]byte("0123456789abcdefghijklmnopqrstuvwxyz "), 3)
	var buf bytes.Buffer
	for buf.Len() < size {
		buf.Write(line)
		buf.WriteByte('\n')
	}
	if err := os.WriteFile(file, buf.Bytes(), 0o600); err != nil {
		b.Fatal(err)
	}
	// drainPTY returns a terminal whose output is read and discarded, and
	// a function that waits until its writers closed it.
	drainPTY := func(b *testing.B) (*os.File, func()) {
		master, slave, err := pty.Open()
		if err != nil {
			b.Fatal(err)
		}
		done := make(chan struct{})
		go func() {
			io.Copy(io.Discard, master)
			close(done)
		}()
		return slave, func() {
			slave.Close()
			<-done
			master.Close()
		}
	}
	b.Run("direct", func(b *testing.B) {
		b.SetBytes(size)
		for i := 0; i < b.N; i++ {
			slave, wait := drainPTY(b)
			cmd := exec.Command("cat", file)
			cmd.Stdout = slave
			if err := cmd.Run(); err != nil {
				b.Fatal(err)
			}
			wait()
		}
	})
	// The floor: a second pseudo-terminal copied through, nothing recorded.
	b.Run("relay", func(b *testing.B) {
		b.SetBytes(size)
		for i := 0; i < b.N; i++ {
			slave, wait := drainPTY(b)
			cmd := exec.Command("cat", file)
			ptmx, err := pty.Start(cmd)
			if err != nil {
				b.Fatal(err)
			}
			io.Copy(slave, ptmx) // ends with EIO when cat is gone
			ptmx.Close()
			if err := cmd.Wait(); err != nil {
				b.Fatal(err)
			}
			wait()
		}
	})
	b.Run("recorded", func(b *testing.B) {
		b.SetBytes(size)
		dir := b.TempDir()
		for i := 0; i < b.N; i++ {
			slave, wait := drainPTY(b)
			_, err := Record(context.Background(), Options{
				Command: []string{"cat", file}, Session: session.Session{ID: "bench-" + strconv.Itoa(i)},
				Dir: dir, Stdin: slave, Stdout: slave, Env: testEnv(),
			})
			if err != nil {
				b.Fatal(err)
			}
			wait()
		}
	})
}
