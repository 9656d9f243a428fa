// Command gendocs writes the Markdown command reference (docs/cli) and the
// man pages from auditctl's cobra tree. It is a program of its own, so that
// the documentation generator is not linked into (and initialized by) every
// auditctl run.
//
//	go run ./internal/gendocs --markdown docs/cli
//	go run ./internal/gendocs --man dist/man
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/auditctl/auditctl/pkg/cmd/root"
	"github.com/auditctl/auditctl/pkg/cmdutil"
	"github.com/spf13/cobra/doc"
)

func main() {
	mdDir := flag.String("markdown", "", "directory for the Markdown reference")
	manDir := flag.String("man", "", "directory for man pages")
	flag.Parse()
	if *mdDir == "" && *manDir == "" {
		fmt.Fprintln(os.Stderr, "gendocs: give --markdown DIR and/or --man DIR")
		os.Exit(2)
	}
	if err := run(*mdDir, *manDir); err != nil {
		fmt.Fprintln(os.Stderr, "gendocs:", err)
		os.Exit(1)
	}
}

func run(mdDir, manDir string) error {
	cmd := root.NewCmdRoot(cmdutil.New())
	cmd.DisableAutoGenTag = true
	cmd.InitDefaultCompletionCmd() // cobra adds it at Execute; the docs need it now
	if mdDir != "" {
		if err := os.MkdirAll(mdDir, 0o755); err != nil {
			return err
		}
		if err := doc.GenMarkdownTree(cmd, mdDir); err != nil {
			return err
		}
	}
	if manDir != "" {
		if err := os.MkdirAll(manDir, 0o755); err != nil {
			return err
		}
		return doc.GenManTree(cmd, &doc.GenManHeader{Title: "AUDITCTL", Section: "1"}, manDir)
	}
	return nil
}
