package cmdutil

import (
	"context"
	"io"
)

// ContextReader returns a reader of r that gives up when ctx is done, even
// while a Read is blocked (standard input from a pipe that stalls): the
// blocked Read is left to its goroutine, and Read returns ctx.Err(). For
// reading standard input in commands that a signal must be able to stop.
func ContextReader(ctx context.Context, r io.Reader) io.Reader {
	return &ctxReader{ctx: ctx, r: r, res: make(chan readResult, 1)}
}

type readResult struct {
	n   int
	err error
}

type ctxReader struct {
	ctx context.Context
	r   io.Reader
	buf []byte
	res chan readResult
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	if cap(c.buf) < len(p) {
		c.buf = make([]byte, len(p))
	}
	buf := c.buf[:len(p)]
	go func() {
		n, err := c.r.Read(buf)
		c.res <- readResult{n, err}
	}()
	select {
	case <-c.ctx.Done():
		// The goroutine may still write into buf: never use it again.
		c.buf = nil
		return 0, c.ctx.Err()
	case rr := <-c.res:
		return copy(p, buf[:rr.n]), rr.err
	}
}
