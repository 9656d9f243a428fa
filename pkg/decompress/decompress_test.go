package decompress

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

type zeros struct{ n int64 }

func (z *zeros) Read(p []byte) (int, error) {
	if z.n <= 0 {
		return 0, io.EOF
	}
	p = p[:min(int64(len(p)), z.n)]
	clear(p)
	z.n -= int64(len(p))
	return len(p), nil
}

func compress(t *testing.T, kind Kind, n int64, opts ...zstd.EOption) []byte {
	var b bytes.Buffer
	var w io.WriteCloser
	if kind == Gzip {
		w, _ = gzip.NewWriterLevel(&b, gzip.BestSpeed)
	} else {
		w, _ = zstd.NewWriter(&b, append([]zstd.EOption{zstd.WithEncoderConcurrency(1)}, opts...)...)
	}
	if _, err := io.Copy(w, &zeros{n}); err != nil {
		t.Fatal(err)
	}
	w.Close()
	return b.Bytes()
}

// The bounds are on the window, not on the length: a stream larger than
// the window decodes whole.
func TestLongStreamsDecode(t *testing.T) {
	const n = MaxZstdWindow + 32<<20
	for _, kind := range []Kind{Gzip, Zstd} {
		data := compress(t, kind, n)
		r, c, k, err := Reader(bufio.NewReader(bytes.NewReader(data)), 64<<10)
		if err != nil || k != kind {
			t.Fatalf("%s: %v %q", kind, err, k)
		}
		got, err := io.Copy(io.Discard, r)
		c.Close()
		if err != nil || got != n {
			t.Errorf("%s: %d bytes, %v; want %d", kind, got, err, int64(n))
		}
	}
	// Not compressed: the reader itself.
	br := bufio.NewReader(strings.NewReader("plain"))
	if r, c, k, err := Reader(br, 4096); r != br || c != nil || k != None || err != nil {
		t.Errorf("plain: %v %v %q %v", r, c, k, err)
	}
}

// A window over the maximum is refused with a message that says so; a
// stream cut short is a truncated file (io.ErrUnexpectedEOF).
func TestRefusals(t *testing.T) {
	data := compress(t, Zstd, 1<<20, zstd.WithWindowSize(1<<29))
	r, c, _, err := Reader(bufio.NewReader(bytes.NewReader(data)), 64<<10)
	if err == nil {
		_, err = io.Copy(io.Discard, r)
		c.Close()
	}
	if err == nil || !strings.Contains(err.Error(), "window is larger than the 128 MiB accepted") {
		t.Errorf("1 GiB window: %v", err)
	}
	for _, kind := range []Kind{Gzip, Zstd} {
		data := compress(t, kind, 4<<20)
		data = data[:len(data)*2/3]
		r, c, _, err := Reader(bufio.NewReader(bytes.NewReader(data)), 64<<10)
		if err == nil {
			_, err = io.Copy(io.Discard, r)
			c.Close()
		}
		if !errors.Is(err, io.ErrUnexpectedEOF) || !strings.Contains(err.Error(), "truncated") {
			t.Errorf("%s cut short: %v", kind, err)
		}
	}
}
