package encrypt

import (
	"context"
	"fmt"
	"os"

	"golang.org/x/term"

	"github.com/auditctl/auditctl/pkg/audit"
)

// AskTerminal asks for a new passphrase on the controlling terminal
// (/dev/tty, as age does, so that stdin and stdout stay the data's), twice
// and without echo. Without a terminal it is a usage error pointing to
// AUDITCTL_PASSPHRASE. SIGINT while it waits (ctx cancelled) gives the
// terminal its echo back and returns at once.
func AskTerminal(ctx context.Context) (string, error) {
	tty, err := os.OpenFile("/dev/tty", os.O_RDWR, 0)
	if err != nil || !term.IsTerminal(int(tty.Fd())) {
		if tty != nil {
			tty.Close()
		}
		return "", audit.Errorf(audit.EUSAGE, "--passphrase: no terminal to ask for it on: set %s (in CI, from a secret), or use --encrypt-to", EnvPassphrase)
	}
	defer tty.Close()
	fd := int(tty.Fd())
	state, err := term.GetState(fd)
	if err != nil {
		return "", audit.Errorf(audit.EUSAGE, "--passphrase: %v", err)
	}
	type answer struct {
		p   string
		err error
	}
	ch := make(chan answer, 1)
	// Echo goes off before the first prompt is written and comes back
	// after the last answer: a passphrase typed ahead of a prompt is never
	// shown (term.ReadPassword turns echo off only once it reads).
	restore, err := echoOff(fd)
	if err != nil {
		return "", audit.Errorf(audit.EUSAGE, "--passphrase: %v", err)
	}
	defer restore()
	go func() {
		var a answer
		// The prompts are our own fixed text, written to the terminal
		// the passphrase is typed on.
		fmt.Fprint(tty, "Enter passphrase: ")
		p1, err := readSecret(tty, fd)
		fmt.Fprint(tty, "\r\n")
		if err != nil {
			a.err = err
			ch <- a
			return
		}
		fmt.Fprint(tty, "Confirm passphrase: ")
		p2, err := readSecret(tty, fd)
		fmt.Fprint(tty, "\r\n")
		a.p, a.err = string(p1), err
		if err == nil && string(p1) != string(p2) {
			a.err = audit.Errorf(audit.EUSAGE, "--passphrase: the two passphrases differ")
		}
		ch <- a
	}()
	select {
	case a := <-ch:
		if a.err != nil {
			if _, ok := a.err.(*audit.Error); ok {
				return "", a.err
			}
			return "", audit.Errorf(audit.EUSAGE, "--passphrase: reading the terminal: %v", a.err)
		}
		return a.p, nil
	case <-ctx.Done():
		term.Restore(fd, state)
		fmt.Fprint(tty, "\r\n")
		return "", context.Cause(ctx)
	}
}
