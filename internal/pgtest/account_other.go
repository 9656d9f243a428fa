//go:build !unix

package pgtest

import "os/exec"

// apply does nothing: Start skips where there are no Unix credentials.
func (a *account) apply(cmd *exec.Cmd) {}
