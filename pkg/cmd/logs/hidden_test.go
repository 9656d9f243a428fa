package logs_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/auditctl/auditctl/pkg/cmd/cmdtest"
	"github.com/auditctl/auditctl/pkg/cmdutil"
)

// Flags take the query language's value syntax: a comma ORs, quotes keep a
// comma, as in -q.
func TestFlagValuesMatchQueryValues(t *testing.T) {
	env := cmdtest.New(t)
	fixture(t, env)
	for _, tc := range []struct{ flags, query []string }{
		{[]string{"--action", "DeleteUser,Login"}, []string{"-q", "action:DeleteUser,Login"}},
		{[]string{"--action", "deleteuser, LOGIN"}, []string{"-q", "action:deleteuser,LOGIN"}},
		{[]string{"--status", "failed,ok"}, []string{"-q", "status:failed,ok"}},
		{[]string{"--actor", "alice*,nobody"}, []string{"-q", "actor:alice*,nobody"}},
		{[]string{"--ip", "10.1.0.0/24,10.1.1.1"}, []string{"-q", "ip:10.1.0.0/24,10.1.1.1"}},
		{[]string{"--action", `"DeleteUser"`, "--action", "Login"}, []string{"-q", `action:"DeleteUser",Login`}},
	} {
		byFlags := eventIDs(decodeEvents(t, env.MustRun(append([]string{"logs", "list", "--all", "--limit", "100"}, tc.flags...)...)))
		byQuery := eventIDs(decodeEvents(t, env.MustRun(append([]string{"logs", "list", "--all", "--limit", "100"}, tc.query...)...)))
		if len(byFlags) == 0 || !reflect.DeepEqual(byFlags, byQuery) {
			t.Errorf("%q gave %d events, %q gave %d", tc.flags, len(byFlags), tc.query, len(byQuery))
		}
	}
	if got := decodeEvents(t, env.MustRun("logs", "list", "--all", "--limit", "100", "--action", "DeleteUser,Login")); len(got) != 40 {
		t.Errorf("--action DeleteUser,Login: %d events, want all 40", len(got))
	}
	if code := env.ExitCode("logs", "list", "--action", "a,,b"); code != 2 {
		t.Errorf("--action a,,b: exit %d, want 2", code)
	}
	err := env.Run("logs", "count", "--status", "success,nope")
	if cmdutil.ExitCode(err) != 2 || !strings.Contains(err.Error(), `--status "success,nope": column 9: unknown status "nope"`) {
		t.Errorf("--status success,nope: %v", err)
	}
}

// The README's own search: a phrase matches the same words whatever
// punctuation separates them.
func TestSearchPhraseAcrossPunctuation(t *testing.T) {
	env := cmdtest.New(t)
	env.MustRun("--quiet", "demo")
	count := func(args ...string) string {
		return strings.TrimSpace(env.MustRun(append([]string{"logs", "count", "--all", "-o", "csv"}, args...)...))
	}
	hyphen, space := count("--search", "break-glass"), count("--search", "break glass")
	if hyphen == "0" || hyphen != space {
		t.Fatalf(`--search break-glass: %s events, --search "break glass": %s`, hyphen, space)
	}
	if q := count("-q", `"Break Glass"`); q != hyphen {
		t.Fatalf(`-q '"Break Glass"': %s, want %s`, q, hyphen)
	}
	if n := count("--search", "glass break"); n != "0" {
		t.Fatalf(`--search "glass break": %s, want 0 (words in order)`, n)
	}
	for _, hostile := range []string{`"break glass`, "NEAR(break glass)", "break*", "^break", "description:break", "(break OR", `"`, ")"} {
		if err := env.Run("logs", "count", "--all", "--search", hostile); err != nil {
			t.Errorf("--search %q: %v", hostile, err)
		}
	}
}

func TestPagePastTheEndAndAmbiguousIDs(t *testing.T) {
	env := cmdtest.New(t)
	fixture(t, env)
	for _, args := range [][]string{
		{"logs", "list", "--all", "--limit", "15", "--page", "999"},
		{"logs", "list", "--all", "--limit", "15", "--page", "999", "-o", "json"},
		{"logs", "list", "--all", "--limit", "15", "--page", "4", "--jq", ".[].id"},
	} {
		err := env.Run(args...)
		if cmdutil.ExitCode(err) != 2 || !strings.Contains(err.Error(), "is past the last page (3)") {
			t.Errorf("%q: %v", args, err)
		}
	}
	if out := env.MustRun("logs", "list", "--all", "--limit", "15", "--page", "3", "-o", "json"); len(decodeEvents(t, out)) != 10 {
		t.Errorf("the last page: %s", out)
	}
	// an empty result is one empty page, not an error
	if out := env.MustRun("logs", "list", "--action", "NoSuch", "--page", "1", "-o", "json"); strings.TrimSpace(out) != "[]" {
		t.Errorf("empty page 1: %q", out)
	}
	err := env.Run("logs", "show", "ev-3")
	if cmdutil.ExitCode(err) != 2 || err.Error() != `ambiguous: 10 events start with "ev-3", give more characters: ev-30, ev-31, ev-32, ev-33, ev-34, …` {
		t.Errorf("logs show ev-3: %v", err)
	}
	if err := env.Run("logs", "show", "e"); cmdutil.ExitCode(err) != 2 || !strings.Contains(err.Error(), "ambiguous: 40 events") {
		t.Errorf("logs show e: %v", err)
	}
	if out := env.MustRun("logs", "show", "ev-05", "-o", "json"); !strings.Contains(out, `"id":"ev-05"`) && !strings.Contains(out, `"id": "ev-05"`) {
		t.Errorf("an exact id: %s", out)
	}
	if err := env.Run("logs", "show", "ev-x"); cmdutil.ExitCode(err) != 3 {
		t.Errorf("logs show ev-x: %v", err)
	}
}
