//go:build unix

package pgtest

import (
	"os/exec"
	"syscall"
)

// apply makes cmd run as a.
func (a *account) apply(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(a.uid), Gid: uint32(a.gid), NoSetGroups: true}}
}
