// Command auditctl investigates audit logs and replays privileged sessions.
package main

import (
	"context"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/cmd/root"
	"github.com/auditctl/auditctl/pkg/cmdutil"
)

func main() { os.Exit(run()) }

func run() int {
	f := cmdutil.New()
	cmd := root.NewCmdRoot(f)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := cmd.ExecuteContext(ctx)
	if cerr := f.Close(); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil && audit.ErrorCode(err) == audit.EINTERNAL && isCobraUsage(err) {
		err = cmdutil.UsageError(err)
	}
	cmdutil.PrintError(f.IOStreams.ErrOut, err)
	return cmdutil.ExitCode(err)
}

// isCobraUsage recognizes the errors cobra itself returns for a command
// line it cannot parse.
func isCobraUsage(err error) bool {
	msg := err.Error()
	for _, p := range []string{"unknown command", "unknown flag", "unknown shorthand", "invalid argument", "accepts ", "requires ", "flag needs"} {
		if strings.HasPrefix(msg, p) {
			return true
		}
	}
	return false
}
