// Package sessions groups the `auditctl sessions` commands.
package sessions

import (
	"github.com/MakeNowJust/heredoc"
	"github.com/spf13/cobra"

	"github.com/auditctl/auditctl/pkg/cmd/sessions/cat"
	"github.com/auditctl/auditctl/pkg/cmd/sessions/convert"
	"github.com/auditctl/auditctl/pkg/cmd/sessions/export"
	"github.com/auditctl/auditctl/pkg/cmd/sessions/importcmd"
	"github.com/auditctl/auditctl/pkg/cmd/sessions/info"
	"github.com/auditctl/auditctl/pkg/cmd/sessions/keystrokes"
	"github.com/auditctl/auditctl/pkg/cmd/sessions/list"
	"github.com/auditctl/auditctl/pkg/cmd/sessions/play"
	"github.com/auditctl/auditctl/pkg/cmd/sessions/queries"
	"github.com/auditctl/auditctl/pkg/cmd/sessions/record"
	"github.com/auditctl/auditctl/pkg/cmd/sessions/show"
	"github.com/auditctl/auditctl/pkg/cmd/sessions/terminate"
	"github.com/auditctl/auditctl/pkg/cmd/sessions/watch"
	"github.com/auditctl/auditctl/pkg/cmdutil"
)

// NewCmdSessions builds `auditctl sessions`.
func NewCmdSessions(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "sessions <command>",
		Short: "Replay and inspect recorded terminal and database sessions",
		Long: heredoc.Doc(`
			Session History: list the privileged access sessions in the cache
			(recorded with 'sessions record' or registered with 'sessions
			import'), show one with its files and the user's audit events.

			Work with session recordings: print the screen at any moment, the
			whole session as text, the keys typed, the database queries run, or
			describe a recording; convert between formats. Every command that
			takes a recording FILE also takes the ID of a session in the cache.

			Recordings are read in every common format, detected by content:
			asciicast v1, v2 and v3 (auditctl's .rec is asciicast v3 with
			session metadata and query events), ttyrec, and util-linux script
			timing files (with --log-out / --log-in / --log-io); gzip and zstd
			compressed files are read as they are.
		`),
		Example: heredoc.Doc(`
			auditctl sessions list --since 7d --category database
			auditctl sessions show 3f2a9c1e
			auditctl sessions import ./recordings/*.rec
			auditctl sessions info session.rec
			auditctl sessions play session.rec --no-tui --at 50%
			auditctl sessions cat session.rec | grep sudo
			auditctl sessions keystrokes session.rec --commands
			auditctl sessions queries db-session.rec -o csv
			auditctl sessions convert old.ttyrec -O new.rec
			auditctl sessions export 3f2a9c1e -O session.rec.age --encrypt-to-file auditors.txt
		`),
	}
	cmd.AddCommand(list.NewCmdList(f, nil))
	cmd.AddCommand(show.NewCmdShow(f, nil))
	cmd.AddCommand(importcmd.NewCmdImport(f, nil))
	cmd.AddCommand(record.NewCmdRecord(f, nil))
	cmd.AddCommand(terminate.NewCmdTerminate(f, nil))
	cmd.AddCommand(watch.NewCmdWatch(f, nil))
	cmd.AddCommand(play.NewCmdPlay(f, nil))
	cmd.AddCommand(cat.NewCmdCat(f, nil))
	cmd.AddCommand(keystrokes.NewCmdKeystrokes(f, nil))
	cmd.AddCommand(queries.NewCmdQueries(f, nil))
	cmd.AddCommand(info.NewCmdInfo(f, nil))
	cmd.AddCommand(convert.NewCmdConvert(f, nil))
	cmd.AddCommand(export.NewCmdExport(f, nil))
	return cmd
}
