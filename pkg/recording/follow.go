package recording

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"time"
)

// FollowPoll is how often a followed recording is checked for new data.
// Events written by a live recorder reach the follower within this delay.
var FollowPoll = 50 * time.Millisecond

// Follow opens the recording at path, which a live recorder may still be
// writing, and returns a Reader whose Next waits for events that have not
// been written yet instead of reporting the end: a half-written last line
// is waited for, never reported as broken. The Reader ends (io.EOF) when
// ctx is done, when an "x" (exit) event has been read, or when done
// reports true with no new data after it (the session ended without an
// exit event: the recorder died). done may be nil.
func Follow(ctx context.Context, path string, opt Options, done func() bool) (*Reader, error) {
	f, err := OpenFile(path)
	if err != nil {
		return nil, err
	}
	// Wait for the header line: a recorder writes it first, at once.
	head := make([]byte, 64<<10)
	for {
		n, err := f.ReadAt(head, 0)
		if bytes.IndexByte(head[:n], '\n') >= 0 || n == len(head) {
			break
		}
		if err != nil && !errors.Is(err, io.EOF) {
			f.Close()
			return nil, err
		}
		if ctx.Err() != nil || (done != nil && done()) {
			break // read what there is: an empty or headless file is an error below
		}
		select {
		case <-ctx.Done():
		case <-time.After(FollowPoll):
		}
	}
	t := &tail{ctx: ctx, f: f, done: done, sniffing: true}
	r, err := newReader(path, t, opt, nil)
	if err != nil {
		f.Close()
		return nil, err
	}
	t.sniffing = false
	r.closers = append(r.closers, f)
	r.follow = t
	return r, nil
}

// tail is an io.Reader over a growing file: at the end it polls for more.
type tail struct {
	ctx    context.Context
	f      *os.File
	done   func() bool
	exited bool // an "x" event was read: what follows is the end
	// sniffing: the format is being detected; the end of the data so far
	// is reported as the end rather than waited on.
	sniffing bool
}

func (t *tail) Read(p []byte) (int, error) {
	for {
		n, err := t.f.Read(p)
		if n > 0 {
			return n, nil
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return 0, err
		}
		if t.exited || t.sniffing || t.ctx.Err() != nil {
			return 0, io.EOF
		}
		if t.done != nil && t.done() {
			// One more read: data written just before the session ended.
			if n, err := t.f.Read(p); n > 0 {
				return n, nil
			} else if err != nil && !errors.Is(err, io.EOF) {
				return 0, err
			}
			return 0, io.EOF
		}
		select {
		case <-t.ctx.Done():
			return 0, io.EOF
		case <-time.After(FollowPoll):
		}
	}
}
