// Package root builds the auditctl command tree.
package root

import (
	"context"
	"github.com/auditctl/auditctl/pkg/cmd/check"
	dbcmd "github.com/auditctl/auditctl/pkg/cmd/db"
	retentioncmd "github.com/auditctl/auditctl/pkg/cmd/retention"
	"github.com/auditctl/auditctl/pkg/recording"
	"strings"

	"github.com/MakeNowJust/heredoc"
	"github.com/auditctl/auditctl/pkg/cmd/demo"
	"github.com/auditctl/auditctl/pkg/cmd/hunt"
	"github.com/auditctl/auditctl/pkg/cmd/importcmd"
	"github.com/auditctl/auditctl/pkg/cmd/logs"
	"github.com/auditctl/auditctl/pkg/cmd/sessions"
	synccmd "github.com/auditctl/auditctl/pkg/cmd/sync"
	tuicmd "github.com/auditctl/auditctl/pkg/cmd/tui"
	"github.com/auditctl/auditctl/pkg/cmd/verify"
	"github.com/auditctl/auditctl/pkg/cmd/version"
	"github.com/auditctl/auditctl/pkg/cmdutil"
	"github.com/spf13/cobra"
)

// NewCmdRoot builds `auditctl` and every subcommand.
func NewCmdRoot(f *cmdutil.Factory) *cobra.Command {
	cmd := newRoot(f)
	for _, c := range commands {
		cmd.AddCommand(c.build(f, nil))
	}
	finish(cmd, f, true)
	return cmd
}

// commands are auditctl's commands, built on demand: Run builds only the one
// its arguments name, so that a command's start does not pay for building
// the flags, help and completions of the forty others (docs/performance.md,
// "Issue 13: reads and start-up"). TestCommandTable checks that each name
// is what its constructor builds.
var commands = []struct {
	name string
	// build builds the command; rest are the arguments after its name, for
	// a group to build only the command they name (logs)
	build func(f *cmdutil.Factory, rest []string) *cobra.Command
}{
	{"logs", func(f *cmdutil.Factory, rest []string) *cobra.Command {
		name, _ := commandWord(rest)
		return logs.NewCmdLogsFor(f, name)
	}},
	{"sessions", func(f *cmdutil.Factory, _ []string) *cobra.Command { return sessions.NewCmdSessions(f) }},
	{"import", func(f *cmdutil.Factory, _ []string) *cobra.Command { return importcmd.NewCmdImport(f, nil) }},
	{"db", func(f *cmdutil.Factory, _ []string) *cobra.Command { return dbcmd.NewCmdDB(f) }},
	{"demo", func(f *cmdutil.Factory, _ []string) *cobra.Command { return demo.NewCmdDemo(f, nil) }},
	{"sync", func(f *cmdutil.Factory, _ []string) *cobra.Command { return synccmd.NewCmdSync(f, nil) }},
	{"check", func(f *cmdutil.Factory, _ []string) *cobra.Command { return check.NewCmdCheck(f, nil) }},
	{"retention", func(f *cmdutil.Factory, _ []string) *cobra.Command { return retentioncmd.NewCmdRetention(f) }},
	{"hunt", func(f *cmdutil.Factory, _ []string) *cobra.Command { return hunt.NewCmdHunt(f, nil) }},
	{"tui", func(f *cmdutil.Factory, _ []string) *cobra.Command { return tuicmd.NewCmdTUI(f, nil) }},
	{"version", func(f *cmdutil.Factory, _ []string) *cobra.Command { return version.NewCmdVersion(f) }},
	{"verify", func(f *cmdutil.Factory, _ []string) *cobra.Command { return verify.NewCmdVerify(f, nil) }},
}

// newRoot is the root command alone, with its persistent flags.
func newRoot(f *cmdutil.Factory) *cobra.Command {
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
			choose another file. Only import, demo, sync, sessions record and
			sessions import create it; every other command fails (exit 5) when
			there is no cache at the path.

			A team shares one PostgreSQL store instead: --db (or AUDITCTL_DB)
			postgres://USER@HOST/DB. import fills it (creating its schema), and
			the logs commands read it with the same output as the cache; the
			other commands work on a cache file only for now (docs/postgres.md).

			Exit codes:
			  0    ok
			  1    a check or --fail-if condition matched (and nothing else)
			  2    usage error, including an unknown command
			  3    input or data error: bad input, no such event or session
			  4    remote error: the API failed or refused
			  5    local failure: no cache at the path, an unreadable or damaged
			       cache, an unwritable output, a full disk
			  6    no data: a --fail-if gate over a window with no events at all
			       (--allow-empty lets it pass)
			  70   internal error: a bug in auditctl, please report it
			  130  interrupted (SIGINT), 143 terminated (SIGTERM): nothing is
			       left half-written
			sessions record exits with the status of the command it recorded.
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
			recording.ResetPins() // a recording's check holds for one command
			if noColor {
				f.IOStreams.SetColorEnabled(false)
			}
			return nil
		},
	}
	cmd.SetVersionTemplate("{{.Version}}\n")
	pf := cmd.PersistentFlags()
	pf.StringVar(&f.DBPath, "db", "", "cache database file, or a postgres://USER@HOST/DB URL of a PostgreSQL store (default: env AUDITCTL_DB, else the platform data directory)")
	pf.StringVarP(&f.Output, "output", "o", "", "output format: table, json, ndjson, csv or yaml (default: table on a terminal, else json)")
	pf.BoolVar(&noColor, "no-color", false, "no colour (also NO_COLOR)")
	pf.BoolVar(&f.Quiet, "quiet", false, "print only results and errors")
	pf.BoolVar(&f.Debug, "debug", false, "print what is done, to stderr")
	cmd.SetFlagErrorFunc(cmdutil.FlagError)
	cmd.SetOut(f.IOStreams.Out)
	cmd.SetErr(f.IOStreams.ErrOut)
	cmd.SetIn(f.IOStreams.In)

	return cmd
}

// finish adds what the root needs once its commands are in: the help
// command, the groups' usage errors and, for a whole tree, the completion
// command and the completions of every flag (only `completion` and
// cobra's hidden __complete use them).
func finish(cmd *cobra.Command, f *cmdutil.Factory, whole bool) {
	if whole {
		cmd.InitDefaultCompletionCmd()
	}
	cmdutil.Groups(cmd)
	if whole {
		cmdutil.RegisterCompletions(cmd, f)
	}
}

// NewCmdFor builds the root with only the command that args name (the
// first word that is not a persistent flag or its value), or the whole tree
// when they name none of them exactly: help, completion, a mistyped or a
// missing command, which list or suggest the others.
func NewCmdFor(f *cmdutil.Factory, args []string) *cobra.Command {
	name, i := commandWord(args)
	for _, c := range commands {
		if c.name == name {
			cmd := newRoot(f)
			cmd.AddCommand(c.build(f, args[i+1:]))
			finish(cmd, f, false)
			return cmd
		}
	}
	return NewCmdRoot(f)
}

// commandWord is the first word of args that is neither a root flag nor a
// root flag's value, and its index ("" when there is none or a flag is
// unknown here).
func commandWord(args []string) (string, int) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			return "", 0
		case !strings.HasPrefix(a, "-") || a == "-":
			return a, i
		case strings.Contains(a, "="):
			// --db=PATH, -o=json: the value is in the word
		case a == "--db" || a == "--output" || a == "-o":
			i++ // the value is the next word
		case a == "--no-color" || a == "--quiet" || a == "--debug":
		case strings.HasPrefix(a, "-o") && !strings.HasPrefix(a, "--"):
			// -ojson
		default:
			return "", 0 // --help, --version, a flag of a command: the whole tree decides
		}
	}
	return "", 0
}

// Run runs auditctl with args as main does and returns the exit code:
// the error, classified (cmdutil.Factory.Finish), is printed to f's
// stderr. ctx is from cmdutil.SignalContext in main.
func Run(ctx context.Context, f *cmdutil.Factory, args []string) int {
	cmd := NewCmdFor(f, args)
	cmd.SetArgs(args)
	err := f.Finish(ctx, cmd.ExecuteContext(ctx))
	cmdutil.PrintError(f.IOStreams.ErrOut, err)
	f.IOStreams.Flush()
	return cmdutil.ExitCode(err)
}
