// Command genrec writes a synthetic session recording (asciicast v3, .rec)
// of about the given size for the benchmarks: the mixed terminal stream of
// internal/termgen (colored ls, top and vim-like alternate-screen redraws,
// scroll regions, CJK, line drawing, long wrapping lines; ~1 escape
// sequence per 25 bytes), cut into output events of 1 byte to 4 KiB, with
// typed input, a few resizes and markers.
//
//	go run ./bench/genrec -size 1G -o /dev/shm/big.rec
package main

import (
	"bufio"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/auditctl/auditctl/internal/termgen"
	"github.com/auditctl/auditctl/pkg/recording"
)

func main() {
	size := flag.String("size", "100M", "approximate size of the output stream (K, M, G suffixes)")
	out := flag.String("o", "", "output file (required)")
	seed := flag.Uint64("seed", 1, "random seed")
	flag.Parse()
	n, err := parseSize(*size)
	if err != nil || *out == "" {
		fmt.Fprintln(os.Stderr, "usage: genrec -size 1G -o FILE")
		os.Exit(2)
	}
	if err := run(*out, n, *seed); err != nil {
		fmt.Fprintln(os.Stderr, "genrec:", err)
		os.Exit(1)
	}
}

// countingWriter counts the bytes written to the file, so that -size is
// the size of the recording rather than of its output stream.
type countingWriter struct {
	w *os.File
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

func parseSize(s string) (int64, error) {
	mult := int64(1)
	switch {
	case strings.HasSuffix(s, "K"):
		mult, s = 1<<10, strings.TrimSuffix(s, "K")
	case strings.HasSuffix(s, "M"):
		mult, s = 1<<20, strings.TrimSuffix(s, "M")
	case strings.HasSuffix(s, "G"):
		mult, s = 1<<30, strings.TrimSuffix(s, "G")
	}
	v, err := strconv.ParseInt(s, 10, 64)
	return v * mult, err
}

func run(path string, size int64, seed uint64) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	cw := &countingWriter{w: f}
	bw := bufio.NewWriterSize(cw, 1<<20)
	hdr := recording.Header{Width: 80, Height: 24, Timestamp: time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC),
		Title: "genrec", Command: "bash"}
	w, err := recording.NewWriter(bw, hdr, recording.WriterOptions{Version: 3})
	if err != nil {
		return err
	}
	r := rand.New(rand.NewPCG(seed, 99))
	var at time.Duration
	const block = 1 << 20 // a new seed per MiB, so the stream never repeats
	for i := uint64(0); cw.n+int64(bw.Buffered()) < size; i++ {
		data := termgen.Mixed(block, seed+i)
		for len(data) > 0 {
			k := min(len(data), 1+r.IntN(4096))
			at += time.Duration(r.IntN(20_000)) * time.Microsecond
			if err := w.WriteEvent(recording.Event{Time: at, Code: "o", Data: string(data[:k])}); err != nil {
				return err
			}
			data = data[k:]
			switch r.IntN(500) {
			case 0:
				w.WriteEvent(recording.Event{Time: at, Code: "i", Data: "ls -la\r"})
			case 1:
				w.WriteEvent(recording.Event{Time: at, Code: "m", Data: "marker"})
			case 2:
				// A resize and back: the generated stream assumes 80x24.
				w.WriteEvent(recording.Event{Time: at, Code: "r", Data: "100x30"})
				w.WriteEvent(recording.Event{Time: at, Code: "r", Data: "80x24"})
			}
		}
	}
	w.WriteEvent(recording.Event{Time: at, Code: "x", Data: "0"})
	if err := w.Close(); err != nil {
		return err
	}
	return bw.Flush()
}
