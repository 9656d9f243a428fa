package cmdutil

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/auditctl/auditctl/pkg/shellword"
)

// Invocation is how to run auditctl again the way the user ran it, for
// hints that print commands: "go run ./cmd/auditctl" when arg0 (os.Args[0])
// is a binary `go run` built in its temporary go-build directory, the path
// as typed when it names a file (./auditctl), else "auditctl" (found on
// PATH). A --db the user gave is kept, so that the hint reads the same
// cache.
func Invocation(arg0, dbPath string) string {
	cmd := "auditctl"
	switch {
	case builtByGoRun(arg0):
		cmd = "go run ./cmd/auditctl"
	case strings.ContainsRune(arg0, '/') || strings.ContainsRune(arg0, filepath.Separator):
		cmd = ShellQuote(arg0)
	}
	if dbPath != "" {
		cmd += " --db " + ShellQuote(dbPath)
	}
	return cmd
}

// builtByGoRun reports whether path lies in a go-build work directory
// (GOTMPDIR or the system temporary directory, as $WORK/b001/exe/NAME).
func builtByGoRun(path string) bool {
	if path == "" {
		return false
	}
	for _, part := range strings.Split(filepath.ToSlash(filepath.Dir(path)), "/") {
		if strings.HasPrefix(part, "go-build") {
			return true
		}
	}
	for _, tmp := range []string{os.Getenv("GOTMPDIR"), os.TempDir()} {
		if tmp == "" {
			continue
		}
		if rel, err := filepath.Rel(tmp, path); err == nil && !strings.HasPrefix(rel, "..") &&
			filepath.Base(filepath.Dir(path)) == "exe" {
			return true
		}
	}
	return false
}

// ShellQuote returns s as one POSIX shell word (shellword.Quote).
func ShellQuote(s string) string { return shellword.Quote(s) }
