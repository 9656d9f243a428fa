// Command ptyrelay is the floor for bench/recorder.sh: the least any
// terminal recorder does. It runs COMMAND in a new pseudo-terminal and
// copies its output to standard output, with the user's terminal in raw
// mode, and records nothing. The gap between COMMAND run directly and
// through ptyrelay is the cost of the second pseudo-terminal itself; the
// gap between ptyrelay and `auditctl sessions record` is the recorder's.
//
//	go run ./bench/ptyrelay -- cat FILE
package main

import (
	"fmt"
	"io"
	"os"
	"os/exec"

	"github.com/creack/pty"
	"golang.org/x/term"
)

func main() {
	args := os.Args[1:]
	if len(args) > 0 && args[0] == "--" {
		args = args[1:]
	}
	if len(args) == 0 {
		fmt.Fprintln(os.Stderr, "usage: ptyrelay [--] COMMAND [ARG...]")
		os.Exit(2)
	}
	cmd := exec.Command(args[0], args[1:]...)
	ptmx, err := pty.Start(cmd)
	if err != nil {
		fmt.Fprintln(os.Stderr, "ptyrelay:", err)
		os.Exit(1)
	}
	if term.IsTerminal(0) {
		if old, err := term.MakeRaw(0); err == nil {
			defer term.Restore(0, old)
		}
	}
	io.Copy(os.Stdout, ptmx) // ends with EIO once COMMAND's side is closed
	if err := cmd.Wait(); err != nil {
		fmt.Fprintln(os.Stderr, "ptyrelay:", err)
		os.Exit(1)
	}
}
