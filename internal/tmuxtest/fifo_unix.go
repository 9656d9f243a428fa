//go:build unix

package tmuxtest

import "syscall"

func mkfifo(path string) error { return syscall.Mkfifo(path, 0o600) }

func checkPlatform() error { return nil }
