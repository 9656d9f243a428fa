package cmdutil

import (
	"fmt"
	"strings"

	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/spf13/cobra"
)

// Groups makes every command under root (root included) that only groups
// subcommands behave as one: run with no arguments it prints its help
// (exit 0); run with an argument that names none of its subcommands it is a
// usage error (exit 2) "unknown command "lst" for "auditctl logs"" that
// suggests the nearest names. Without this, cobra prints the help and exits
// 0 for `auditctl logs lst`, and a mistyped command in a script passes.
// Commands that run something of their own are left alone. `auditctl help
// NAME` for a name that is no command is the same usage error.
func Groups(root *cobra.Command) {
	if !root.HasParent() {
		root.InitDefaultHelpCmd()
		for _, c := range root.Commands() {
			if c.Name() == "help" {
				c.Run, c.RunE = nil, helpRun
			}
		}
	}
	if root.HasSubCommands() && !root.Runnable() {
		root.Args = groupArgs
		root.RunE = func(cmd *cobra.Command, args []string) error { return cmd.Help() }
	}
	for _, c := range root.Commands() {
		Groups(c)
	}
}

// FlagError is the usage error for a flag that cmd cannot parse. When cmd
// is a group and a word before the flag names none of its commands
// (`auditctl logs lst --all`), the mistyped command is the error to report.
func FlagError(cmd *cobra.Command, err error) error {
	if cmd.HasSubCommands() {
		if args := cmd.Flags().Args(); len(args) > 0 {
			return UnknownCommand(cmd, args[0])
		}
	}
	return UsageError(err)
}

func groupArgs(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	return UnknownCommand(cmd, args[0])
}

// UnknownCommand is the usage error for arg given to cmd as a subcommand
// that cmd does not have, with the nearest subcommands as a hint.
func UnknownCommand(cmd *cobra.Command, arg string) error {
	if cmd.SuggestionsMinimumDistance <= 0 {
		cmd.SuggestionsMinimumDistance = 2 // cobra's own default
	}
	var hint strings.Builder
	if s := cmd.SuggestionsFor(arg); len(s) > 0 {
		hint.WriteString("\nDid you mean this?\n")
		for _, name := range s {
			fmt.Fprintf(&hint, "    %s\n", name)
		}
	}
	fmt.Fprintf(&hint, "\nRun '%s --help' for its commands.\n", cmd.CommandPath())
	return &hintError{
		err:  audit.Errorf(audit.EUSAGE, "unknown command %q for %q", arg, cmd.CommandPath()),
		hint: hint.String(),
	}
}

// hintError is an error with lines for the reader printed below it (see
// PrintError).
type hintError struct {
	err  error
	hint string
}

func (e *hintError) Error() string { return e.err.Error() }
func (e *hintError) Unwrap() error { return e.err }
func (e *hintError) Hint() string  { return e.hint }

// helpRun is `auditctl help [command]`.
func helpRun(cmd *cobra.Command, args []string) error {
	target, rest, err := cmd.Root().Find(args)
	if err != nil || target == nil {
		return UnknownCommand(cmd.Root(), args[0])
	}
	if len(rest) > 0 {
		return UnknownCommand(target, rest[0])
	}
	target.InitDefaultHelpFlag()
	target.InitDefaultVersionFlag()
	return target.Help()
}
