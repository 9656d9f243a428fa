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

// NewCmdLogs builds `auditctl logs`.
func NewCmdLogs(f *cmdutil.Factory) *cobra.Command {
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
	cmd.AddCommand(list.NewCmdList(f, nil))
	cmd.AddCommand(show.NewCmdShow(f, nil))
	cmd.AddCommand(count.NewCmdCount(f, nil))
	cmd.AddCommand(export.NewCmdExport(f, nil))
	cmd.AddCommand(tail.NewCmdTail(f, nil))
	return cmd
}
