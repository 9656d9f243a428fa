// Package root builds the auditctl command tree.
package root

import (
	"github.com/MakeNowJust/heredoc"
	"github.com/auditctl/auditctl/pkg/cmd/demo"
	"github.com/auditctl/auditctl/pkg/cmd/importcmd"
	"github.com/auditctl/auditctl/pkg/cmd/logs"
	"github.com/auditctl/auditctl/pkg/cmd/sessions"
	synccmd "github.com/auditctl/auditctl/pkg/cmd/sync"
	"github.com/auditctl/auditctl/pkg/cmd/version"
	"github.com/auditctl/auditctl/pkg/cmdutil"
	"github.com/spf13/cobra"
)

// NewCmdRoot builds `auditctl` and every subcommand.
func NewCmdRoot(f *cmdutil.Factory) *cobra.Command {
	var noColor bool
	cmd := &cobra.Command{
		Use:   "auditctl <command>",
		Short: "Investigate audit logs and replay privileged sessions",
		Long: heredoc.Doc(`
			auditctl answers "who did what, when, from where" over audit logs, from
			a local SQLite cache that you fill with 'import' (or 'demo'), and
			replays recorded terminal and database sessions.

			The cache lives in the platform data directory
			(~/.local/share/auditctl/audit.db on Linux); --db or AUDITCTL_DB
			choose another file.

			Exit codes: 0 ok, 1 a check or --fail-if condition matched (or an
			internal error), 2 usage error, 3 input or data error, 4 remote error.
		`),
		Example: heredoc.Doc(`
			auditctl demo
			auditctl logs list --action DeleteUser
			auditctl logs list -q 'action:DeleteUser -status:success'
			auditctl import ./cloudtrail/
		`),
		SilenceErrors: true,
		SilenceUsage:  true,
		Version:       version.String(),
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			if noColor {
				f.IOStreams.SetColorEnabled(false)
			}
			return nil
		},
	}
	cmd.SetVersionTemplate("{{.Version}}\n")
	pf := cmd.PersistentFlags()
	pf.StringVar(&f.DBPath, "db", "", "cache database file (default: env AUDITCTL_DB, else the platform data directory)")
	pf.StringVarP(&f.Output, "output", "o", "", "output format: table, json, ndjson, csv or yaml (default: table on a terminal, else json)")
	pf.BoolVar(&noColor, "no-color", false, "no colour (also NO_COLOR)")
	pf.BoolVar(&f.Quiet, "quiet", false, "print only results and errors")
	pf.BoolVar(&f.Debug, "debug", false, "print what is done, to stderr")
	cmd.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return cmdutil.UsageError(err)
	})
	cmd.SetOut(f.IOStreams.Out)
	cmd.SetErr(f.IOStreams.ErrOut)
	cmd.SetIn(f.IOStreams.In)

	cmd.AddCommand(logs.NewCmdLogs(f))
	cmd.AddCommand(sessions.NewCmdSessions(f))
	cmd.AddCommand(importcmd.NewCmdImport(f, nil))
	cmd.AddCommand(demo.NewCmdDemo(f, nil))
	cmd.AddCommand(synccmd.NewCmdSync(f, nil))
	cmd.AddCommand(version.NewCmdVersion(f))
	return cmd
}
