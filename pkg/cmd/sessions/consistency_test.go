package sessions_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/auditctl/auditctl/pkg/cmd/cmdtest"
	"github.com/auditctl/auditctl/pkg/session"
)

// --jq works wherever -o json does, on every sessions command, over the
// same document; --all is accepted by sessions list; a --cols or --rows
// beyond the limit says the limit (exit 2) on every command that reads a
// recording.
func TestSessionsConsistency(t *testing.T) {
	env := cmdtest.New(t)
	dir := t.TempDir()
	rec := filepath.Join(dir, "db.rec")
	writeAuditRec(t, rec, session.Session{ID: "c0000000-0000-4000-8000-000000000001", UserName: "ann", Category: session.CategoryDatabase, Start: cmdtest.Now.Add(-3600e9)},
		[]ev{{1, "i", "select 1;\r"}, {2, "q", `{"query":"select 1;","message":"ERROR: no","duration_ms":1,"rows":0}`}, {3, "x", "0"}})
	env.MustRun("sessions", "import", rec)

	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"list", "--all"}, "c0000000-0000-4000-8000-000000000001\n"},
		{[]string{"show", "c0000000"}, "0\n"},
		{[]string{"info", rec}, "3\n"},
		{[]string{"keystrokes", rec}, "select 1;\n"},
		{[]string{"keystrokes", rec, "--commands"}, "select 1;\n"},
		{[]string{"queries", rec, "--status", "error"}, "ERROR: no\n"},
	} {
		jq := map[string]string{"list": ".[].id", "show": ".files.exit_status", "info": ".duration",
			"keystrokes": ".[0].keys", "queries": ".[].message"}[c.args[0]]
		if len(c.args) > 2 && c.args[2] == "--commands" {
			jq = ".[0].command"
		}
		for _, o := range []string{"json", "table"} {
			args := append(append([]string{"sessions"}, c.args...), "--jq", jq, "-o", o)
			if out := env.MustRun(args...); out != c.want {
				t.Errorf("%v: %q, want %q", args, out, c.want)
			}
		}
		if code := env.ExitCode(append(append([]string{"sessions"}, c.args...), "--jq", ".[")...); code != 2 {
			t.Errorf("%v: bad --jq exit %d", c.args, code)
		}
	}

	for _, args := range [][]string{
		{"play", rec, "--no-tui"}, {"cat", rec}, {"keystrokes", rec}, {"queries", rec}, {"info", rec},
		{"convert", rec, "-O", filepath.Join(dir, "out.rec")}, {"import", rec},
	} {
		full := append(append([]string{"sessions"}, args...), "--cols", "100000")
		err := env.Run(full...)
		if code := cmdtestExit(err); code != 2 || !strings.Contains(err.Error(), "--cols 100000 is too large: the most is 10000") {
			t.Errorf("%v: exit %d, %v", full, code, err)
		}
	}
}
