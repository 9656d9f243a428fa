package logs_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/olekukonko/tablewriter/pkg/twwidth"

	"github.com/auditctl/auditctl/pkg/cmd/cmdtest"
)

// The command tree on a terminal of a given width: every table and tail
// line fits, whatever the width (the real binary in a pty is
// pkg/cmd/root's TestTablesAt80Columns).
func TestTablesFitTheTerminal(t *testing.T) {
	env := cmdtest.New(t)
	fixture(t, env)
	env.IO.SetStdoutTTY(true)
	for _, width := range []int{40, 60, 80, 120} {
		env.IO.SetTerminalWidth(width)
		for _, args := range [][]string{
			{"logs", "list", "--all"},
			{"logs", "list", "--all", "--columns", "time,actor,description,params"},
			{"logs", "count", "--by", "actor", "--all"},
			{"logs", "count", "--interval", "1d"},
			{"logs", "tail", "-n", "10"},
		} {
			out := env.MustRun(args...)
			for _, l := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
				if n := twwidth.Width(l); n > width {
					t.Errorf("%v at %d columns: a line of %d: %q", args, width, n, l)
				}
			}
		}
	}
	// --wide lifts the limit.
	env.IO.SetTerminalWidth(60)
	if out := env.MustRun("logs", "list", "--all", "--wide"); !strings.Contains(out, "Mozilla/5.0 Firefox/131.0") {
		t.Errorf("--wide cut the browser:\n%s", out)
	}
}

// --interval 1d fills the whole default window (7 days back from now),
// labels days as dates and names the zone.
func TestHistogramFillsTheWindow(t *testing.T) {
	env := cmdtest.New(t)
	fixture(t, env)
	env.IO.SetStdoutTTY(true)
	out := env.MustRun("logs", "count", "--interval", "1d", "--action", "NoSuchAction")
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if lines[0] != "TIME (UTC)  COUNT" || len(lines) != 9 {
		t.Fatalf("empty window: %q", lines)
	}
	day := regexp.MustCompile(`^2026-11-(1[5-9]|2[0-2])\s+0$`)
	for _, l := range lines[1:] {
		if !day.MatchString(l) {
			t.Errorf("row %q", l)
		}
	}
	out = env.MustRun("logs", "count", "--interval", "1h", "--since", "3h", "--tz", "Asia/Kolkata")
	if !strings.HasPrefix(out, "TIME (Asia/Kolkata)") || !strings.Contains(out, "2026-11-22 14:30") {
		t.Errorf("hours in Kolkata:\n%s", out)
	}
}
