//go:build unix && !linux && !darwin && !freebsd && !netbsd && !openbsd && !dragonfly

package recorder

import (
	"errors"

	"golang.org/x/sys/unix"
)

func getTermios(int) (*unix.Termios, error) { return nil, errors.New("termios: not supported here") }
