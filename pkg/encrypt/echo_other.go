//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package encrypt

import (
	"os"

	"golang.org/x/term"
)

// echoOff: term.ReadPassword turns echo off for each answer.
func echoOff(int) (func(), error) { return func() {}, nil }

func readSecret(_ *os.File, fd int) ([]byte, error) { return term.ReadPassword(fd) }
