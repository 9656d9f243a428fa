package cmdutil

import (
	"io"
	"strings"
	"testing"
)

func TestProgressOnlyOnATerminal(t *testing.T) {
	io1, _, _, errOut := Test()
	p := io1.NewProgress("events.ndjson", 1000)
	io.Copy(io.Discard, p.Reader(strings.NewReader(strings.Repeat("x", 500))))
	p.Items(4096)
	p.Done()
	if errOut.Len() != 0 {
		t.Fatalf("progress written to a pipe: %q", errOut)
	}

	io2, _, _, errOut := Test()
	io2.SetStderrTTY(true)
	p = io2.NewProgress("evil\x1b]0;title\x07.ndjson", 1000)
	io.Copy(io.Discard, p.Reader(strings.NewReader(strings.Repeat("x", 500))))
	p.Items(4096)
	p.Done()
	out := errOut.String()
	if !strings.Contains(out, "50%") || !strings.Contains(out, "4096 records") {
		t.Fatalf("no progress line: %q", out)
	}
	if strings.Contains(out, "\x07") || strings.Contains(out, "\x1b]0") {
		t.Fatalf("file name reached the terminal raw: %q", out)
	}
}
