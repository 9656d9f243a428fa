package root

import (
	"testing"

	"github.com/auditctl/auditctl/pkg/cmdutil"
	"github.com/spf13/cobra"
)

// walk calls fn for cmd and every command below it.
func walk(cmd *cobra.Command, fn func(*cobra.Command)) {
	fn(cmd)
	for _, c := range cmd.Commands() {
		walk(c, fn)
	}
}

// TestFlagsAreConsistent checks the flags that must go together on every
// command: a command that filters (takes --since) takes --all. (sync's
// --since is where a sync starts, not a filter.)
func TestFlagsAreConsistent(t *testing.T) {
	io, _, _, _ := cmdutil.Test()
	root := NewCmdRoot(&cmdutil.Factory{IOStreams: io})
	walk(root, func(c *cobra.Command) {
		fl := c.Flags()
		if fl.Lookup("since") != nil && fl.Lookup("all") == nil && c.Parent().Name() != "sync" && c.Name() != "sync" {
			t.Errorf("%s filters by time (--since) but takes no --all", c.CommandPath())
		}
	})
}
