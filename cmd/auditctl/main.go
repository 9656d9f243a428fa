// Command auditctl investigates audit logs and replays privileged sessions.
package main

import (
	"context"
	"os"
	"runtime/pprof"

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
	ctx, stop := cmdutil.SignalContext(context.Background())
	defer stop()
	return root.Run(ctx, cmdutil.New(), os.Args[1:])
}
