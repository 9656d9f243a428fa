package sessions_test

import (
	"strings"
	"testing"

	"github.com/auditctl/auditctl/pkg/cmd/cmdtest"
	"github.com/auditctl/auditctl/pkg/cmdutil"
)

// TestLocalOnlyCommandsOnPostgres: the commands that work on this
// machine's cache by nature (a recorder's lock, process and file) refuse a
// PostgreSQL store with exit 2 and say why, before connecting to it (the
// URL here names no server).
func TestLocalOnlyCommandsOnPostgres(t *testing.T) {
	env := cmdtest.New(t)
	env.DBPath = "postgres://alice:secret@127.0.0.1:1/audit"
	for _, args := range [][]string{
		{"sessions", "record", "--", "true"},
		{"sessions", "terminate", "demo-srv-0001"},
		{"sessions", "watch", "demo-srv-0001", "--no-tui"},
	} {
		err := env.Run(args...)
		if code := cmdutil.ExitCode(err); code != 2 || !strings.Contains(err.Error(), args[0]+" "+args[1]+" works with a cache file only") ||
			strings.Contains(err.Error(), "secret") {
			t.Errorf("%v: exit %d, %v", args, code, err)
		}
	}
}
