//go:build !unix

package tmuxtest

import "errors"

var errPlatform = errors.New("needs FIFOs and a Unix tmux")

func mkfifo(string) error { return errPlatform }

func checkPlatform() error { return errPlatform }
