// Package version implements `auditctl version`.
package version

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/auditctl/auditctl/pkg/cmdutil"
	"github.com/spf13/cobra"
)

// Version and Commit are set at build time by goreleaser
// (-X github.com/auditctl/auditctl/pkg/cmd/version.Version=…).
var (
	Version = "dev"
	Commit  = ""
)

// String is the version line.
func String() string {
	commit := Commit
	if commit == "" {
		if bi, ok := debug.ReadBuildInfo(); ok {
			for _, s := range bi.Settings {
				if s.Key == "vcs.revision" && len(s.Value) >= 12 {
					commit = s.Value[:12]
				}
			}
		}
	}
	s := "auditctl " + Version
	if commit != "" {
		s += " (" + commit + ")"
	}
	return fmt.Sprintf("%s %s/%s %s", s, runtime.GOOS, runtime.GOARCH, runtime.Version())
}

// NewCmdVersion builds `auditctl version`.
func NewCmdVersion(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use:     "version",
		Short:   "Print the version",
		Example: "auditctl version",
		Args:    cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			_, err := fmt.Fprintln(f.IOStreams.Out, String())
			return err
		},
	}
}
