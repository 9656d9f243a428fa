// Command auditctl investigates audit logs and replays privileged sessions.
package main

import (
	"context"
	"os"
	"os/signal"
	"runtime/pprof"
	"strings"
	"syscall"

	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/cmd/root"
	"github.com/auditctl/auditctl/pkg/cmdutil"
)

func main() { os.Exit(run()) }

func run() int {
	// AUDITCTL_CPUPROFILE=FILE writes a CPU profile of the run, for
	// docs/performance.md's "where the time goes".
	if path := os.Getenv("AUDITCTL_CPUPROFILE"); path != "" {
		if pf, err := os.Create(path); err == nil {
			defer pf.Close() // after the profile is written (defers run last first)
			if err := pprof.StartCPUProfile(pf); err == nil {
				defer pprof.StopCPUProfile()
			}
		}
	}
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
	f.IOStreams.Flush()
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
