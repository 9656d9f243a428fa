// Package logs groups the `auditctl logs` commands.
package logs

import (
	"github.com/MakeNowJust/heredoc"
	"github.com/auditctl/auditctl/pkg/cmd/logs/count"
	"github.com/auditctl/auditctl/pkg/cmd/logs/export"
	"github.com/auditctl/auditctl/pkg/cmd/logs/list"
	"github.com/auditctl/auditctl/pkg/cmd/logs/show"
	"github.com/auditctl/auditctl/pkg/cmd/logs/tail"
	"github.com/auditctl/auditctl/pkg/cmdutil"
	"github.com/spf13/cobra"
)

// NewCmdLogs builds `auditctl logs` and all its commands.
func NewCmdLogs(f *cmdutil.Factory) *cobra.Command { return NewCmdLogsFor(f, "") }

// subcommands are the logs commands, built on demand.
var subcommands = []struct {
	name  string
	build func(*cmdutil.Factory) *cobra.Command
}{
	{"list", func(f *cmdutil.Factory) *cobra.Command { return list.NewCmdList(f, nil) }},
	{"show", func(f *cmdutil.Factory) *cobra.Command { return show.NewCmdShow(f, nil) }},
	{"count", func(f *cmdutil.Factory) *cobra.Command { return count.NewCmdCount(f, nil) }},
	{"export", func(f *cmdutil.Factory) *cobra.Command { return export.NewCmdExport(f, nil) }},
	{"tail", func(f *cmdutil.Factory) *cobra.Command { return tail.NewCmdTail(f, nil) }},
}

// NewCmdLogsFor builds `auditctl logs` with only the command named name
// (root.NewCmdFor: `auditctl logs list` builds no other), or with all of
// them when name names none.
func NewCmdLogsFor(f *cmdutil.Factory, name string) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "logs <command>",
		Short: "Query, count and export audit events",
		Long: heredoc.Doc(`
			Investigate audit events: who did what, when, from where. Every
			subcommand takes the same filters (flags, or a query with -q).
		`),
		Example: heredoc.Doc(`
			auditctl logs list --action DeleteUser
			auditctl logs show EVENT_ID
			auditctl logs count --by actor --since 30d
			auditctl logs export --since 90d -O audit.csv
			auditctl logs tail -f --status failure
		`),
	}
	for _, c := range subcommands {
		if c.name == name {
			cmd.AddCommand(c.build(f))
			return cmd
		}
	}
	for _, c := range subcommands {
		cmd.AddCommand(c.build(f))
	}
	return cmd
}
