// Package gendocs implements the hidden `auditctl gen-docs` command that
// writes the Markdown command reference (docs/cli) and man pages from the
// cobra tree.
package gendocs

import (
	"os"

	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/cmdutil"
	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"
)

// NewCmdGenDocs builds the command over the root command.
func NewCmdGenDocs(root *cobra.Command) *cobra.Command {
	var mdDir, manDir string
	cmd := &cobra.Command{
		Use:     "gen-docs",
		Short:   "Write the command reference (Markdown) and man pages",
		Hidden:  true,
		Example: "auditctl gen-docs --markdown docs/cli --man dist/man",
		Args:    cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if mdDir == "" && manDir == "" {
				return audit.Errorf(audit.EUSAGE, "give --markdown DIR and/or --man DIR")
			}
			root.DisableAutoGenTag = true
			if mdDir != "" {
				if err := os.MkdirAll(mdDir, 0o755); err != nil {
					return err
				}
				if err := doc.GenMarkdownTree(root, mdDir); err != nil {
					return err
				}
			}
			if manDir != "" {
				if err := os.MkdirAll(manDir, 0o755); err != nil {
					return err
				}
				return doc.GenManTree(root, &doc.GenManHeader{Title: "AUDITCTL", Section: "1"}, manDir)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&mdDir, "markdown", "", "directory for the Markdown reference")
	cmd.Flags().StringVar(&manDir, "man", "", "directory for man pages")
	return cmd
}
