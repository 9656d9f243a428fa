//go:build unix

package recorder

import (
	"errors"
	"io"
	"syscall"

	"golang.org/x/sys/unix"
)

var errCanceled = errors.New("input canceled")

// fdReader reads a file descriptor (the user's terminal, or a pipe) in a
// way that can be interrupted: it polls the descriptor together with a
// wake-up pipe, so that Cancel ends a Read blocked on a terminal nobody
// types on. The descriptor's own flags are left alone (setting O_NONBLOCK
// on a terminal would change it for the user's shell too).
type fdReader struct {
	fd           int
	wakeR, wakeW int
}

func newFDReader(fd int) (*fdReader, error) {
	var p [2]int
	if err := syscall.Pipe(p[:]); err != nil {
		return nil, err
	}
	syscall.CloseOnExec(p[0])
	syscall.CloseOnExec(p[1])
	return &fdReader{fd: fd, wakeR: p[0], wakeW: p[1]}, nil
}

func (r *fdReader) Read(b []byte) (int, error) {
	for {
		fds := []unix.PollFd{{Fd: int32(r.fd), Events: unix.POLLIN}, {Fd: int32(r.wakeR), Events: unix.POLLIN}}
		if _, err := unix.Poll(fds, -1); err != nil {
			if errors.Is(err, syscall.EINTR) {
				continue
			}
			return 0, err
		}
		if fds[1].Revents != 0 {
			return 0, errCanceled
		}
		if fds[0].Revents&unix.POLLNVAL != 0 {
			return 0, errors.New("input: invalid descriptor")
		}
		if fds[0].Revents == 0 {
			continue
		}
		n, err := syscall.Read(r.fd, b)
		switch {
		case errors.Is(err, syscall.EINTR), errors.Is(err, syscall.EAGAIN):
			continue
		case errors.Is(err, syscall.EIO):
			return 0, io.EOF // a terminal that went away
		case err != nil:
			return 0, err
		case n == 0:
			return 0, io.EOF
		}
		return n, nil
	}
}

// Cancel makes a blocked Read (and every later one) return errCanceled.
func (r *fdReader) Cancel() { _, _ = syscall.Write(r.wakeW, []byte{0}) }

// Close releases the wake-up pipe (after the reader has returned).
func (r *fdReader) Close() {
	syscall.Close(r.wakeR)
	syscall.Close(r.wakeW)
}
