// Package decompress opens gzip and zstd input transparently, with bounded
// memory: the importer and the recording reader both read through it.
//
// gzip's window is 32 KiB by its format. A zstd frame names its own window
// (the history the decoder keeps), up to terabytes: frames whose window is
// larger than MaxZstdWindow are refused, so a hostile file cannot make the
// decoder allocate more. Line and record sizes are the readers' to bound.
package decompress

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// MaxZstdWindow is the largest zstd window accepted: 128 MiB, what
// `zstd --long=27` and `--ultra -22` use (the ordinary levels use 8 MiB at
// most).
const MaxZstdWindow = 1 << 27

// maxZstdWindow is MaxZstdWindow, a variable so that tests can lower it.
var maxZstdWindow uint64 = MaxZstdWindow

// Kind names a compression.
type Kind string

// The kinds Reader recognizes; None for input that is not compressed.
const (
	None Kind = ""
	Gzip Kind = "gzip"
	Zstd Kind = "zstd"
)

// Reader returns br itself when its content does not start with the gzip or
// zstd magic bytes, else a buffered reader of the decompressed content and
// the decoder to Close. Read errors of the decompressed stream are worded
// for users (see Err).
func Reader(br *bufio.Reader, size int) (*bufio.Reader, io.Closer, Kind, error) {
	magic, _ := br.Peek(4)
	switch {
	case len(magic) >= 2 && magic[0] == 0x1f && magic[1] == 0x8b:
		gz, err := gzip.NewReader(br)
		if err != nil {
			return nil, nil, Gzip, fmt.Errorf("gzip: %w", err)
		}
		return bufio.NewReaderSize(errReader{gz, Gzip}, size), gz, Gzip, nil
	case bytes.Equal(magic, []byte{0x28, 0xb5, 0x2f, 0xfd}):
		zr, err := zstd.NewReader(br,
			zstd.WithDecoderConcurrency(1),
			zstd.WithDecoderLowmem(true),
			zstd.WithDecoderMaxWindow(maxZstdWindow),
			zstd.WithDecoderMaxMemory(maxZstdWindow))
		if err != nil {
			return nil, nil, Zstd, fmt.Errorf("zstd: %w", err)
		}
		return bufio.NewReaderSize(errReader{zr, Zstd}, size), zstdCloser{zr}, Zstd, nil
	}
	return br, nil, None, nil
}

type zstdCloser struct{ d *zstd.Decoder }

func (z zstdCloser) Close() error { z.d.Close(); return nil }

// errReader words the decoder's errors.
type errReader struct {
	r    io.Reader
	kind Kind
}

func (e errReader) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err != nil && err != io.EOF {
		err = Err(e.kind, err)
	}
	return n, err
}

// Err words an error of a decoder of kind k. A stream cut short stays an
// io.ErrUnexpectedEOF (errors.Is), worded as a truncated file.
func Err(k Kind, err error) error {
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF):
		return &truncated{k}
	case errors.Is(err, zstd.ErrWindowSizeExceeded), errors.Is(err, zstd.ErrDecoderSizeExceeded):
		return fmt.Errorf("zstd: the stream's window is larger than the %d MiB accepted (recompress without --long or --ultra): %w", maxZstdWindow>>20, err)
	}
	return fmt.Errorf("%s: %w", k, err)
}

type truncated struct{ k Kind }

func (t *truncated) Error() string {
	return fmt.Sprintf("%s: the compressed stream ends early: the file is truncated", t.k)
}
func (t *truncated) Unwrap() error { return io.ErrUnexpectedEOF }
