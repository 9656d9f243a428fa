//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package encrypt

import (
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// echoOff turns the terminal's echo off, keeping line editing and signals
// (Ctrl-C still interrupts), until restore.
func echoOff(fd int) (restore func(), err error) {
	old, err := unix.IoctlGetTermios(fd, ioctlGetTermios)
	if err != nil {
		return nil, err
	}
	t := *old
	t.Lflag &^= unix.ECHO
	t.Lflag |= unix.ICANON | unix.ISIG
	t.Iflag |= unix.ICRNL
	if err := unix.IoctlSetTermios(fd, ioctlSetTermios, &t); err != nil {
		return nil, err
	}
	return func() { _ = unix.IoctlSetTermios(fd, ioctlSetTermios, old) }, nil
}

// readSecret reads one line from the terminal, echo already off.
func readSecret(tty *os.File, _ int) ([]byte, error) {
	var line []byte
	var b [1]byte
	for {
		n, err := tty.Read(b[:])
		if n == 1 {
			switch b[0] {
			case '\n':
				return line, nil
			case '\r':
			default:
				line = append(line, b[0])
			}
		}
		if err != nil {
			if err == io.EOF && len(line) > 0 {
				return line, nil
			}
			return nil, err
		}
	}
}
