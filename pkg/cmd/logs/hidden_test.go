package logs_test

import (
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/auditctl/auditctl/internal/jcserver"
	"github.com/auditctl/auditctl/pkg/audit"
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
	// Piped, a page of a large result counts only so far past it.
	if got := decodeEvents(t, env.MustRun("logs", "list", "--all")); len(got) != 50 {
		t.Fatalf("%d events", len(got))
	}
	if want := "auditctl: 50 of 1000+ events shown (page 1 of 20+): --page 2 for the next, --limit N for more per page, or logs export for all\n"; env.ErrOut.String() != want {
		t.Errorf("stderr %q, want %q", env.ErrOut, want)
	}
	env.MustRun("logs", "list", "--all", "--search", "break glass", "--limit", "10", "-o", "ndjson")
	if want := "auditctl: 10 of " + hyphen + " events shown (page 1 of "; !strings.HasPrefix(env.ErrOut.String(), want) {
		t.Errorf("stderr %q, want %q…", env.ErrOut, want)
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

const windowNotice = "auditctl: 11 more events match before the default 7-day window (newest 2026-11-15 06:00 UTC): --since 8d or --all shows them\n"

// The default window says what it hides; a window the user chose does not.
func TestDefaultWindowNotice(t *testing.T) {
	env := cmdtest.New(t)
	fixture(t, env) // 40 events 6 h apart: 29 in the last 7 days, 11 before
	if got := decodeEvents(t, env.MustRun("logs", "list")); len(got) != 29 {
		t.Fatalf("%d events in the window", len(got))
	}
	if env.ErrOut.String() != windowNotice {
		t.Errorf("logs list stderr %q, want %q", env.ErrOut, windowNotice)
	}
	if out := env.MustRun("logs", "count"); strings.TrimSpace(out) != `{"total":29}` || env.ErrOut.String() != windowNotice {
		t.Errorf("logs count: %q, stderr %q", out, env.ErrOut)
	}
	env.IO.SetStdoutTTY(true)
	if out := env.MustRun("logs", "list", "--limit", "100"); !strings.Contains(out, "(29 total)") || env.ErrOut.String() != windowNotice {
		t.Errorf("table: stderr %q", env.ErrOut)
	}
	env.IO.SetStdoutTTY(false)
	env.MustRun("logs", "list", "--action", "DeleteUser")
	if want := "auditctl: 2 more events match before the default 7-day window (newest 2026-11-14 12:00 UTC): --since 8d or --all shows them\n"; env.ErrOut.String() != want {
		t.Errorf("--action DeleteUser: stderr %q, want %q", env.ErrOut, want)
	}
	env.MustRun("logs", "list", "--action", "DeleteUser", "--since", "8d")
	if got := decodeEvents(t, env.Out.String()); len(got) != 10-1 || env.ErrOut.Len() != 0 {
		// --since 8d reaches the newest hidden one (i=32), not i=36
		t.Errorf("--since 8d: %d events, stderr %q", len(got), env.ErrOut)
	}
	for _, args := range [][]string{
		{"logs", "list", "--quiet"},
		{"--quiet", "logs", "count"},
		{"logs", "list", "--all"},
		{"logs", "list", "--since", "3d"},
		{"logs", "list", "--until", "1d"},
		{"logs", "list", "-q", "time:>3d"},
		{"logs", "count", "--all", "--by", "actor"},
		{"logs", "list", "--action", "Login", "--since", "30d"},
		{"logs", "list", "--actor", "bob@example.com", "--action", "DeleteUser"}, // nothing hidden: no notice
	} {
		env.MustRun(args...)
		if env.ErrOut.Len() != 0 {
			t.Errorf("%q: stderr %q, want none", args, env.ErrOut)
		}
	}
}

// The window notice counts the older matches up to
// cmdutil.WindowNoticeCount: a first page costs no more as a store keeps
// months ("1000+ more events"); below the cap it is exact.
func TestDefaultWindowNoticeCapped(t *testing.T) {
	env := cmdtest.New(t)
	path := filepath.Join(t.TempDir(), "old.ndjson")
	var b strings.Builder
	older := cmdutil.WindowNoticeCount + 1
	for i := range older + 1 { // one in the window, the rest before it
		e := audit.Event{ID: fmt.Sprintf("old-%04d", i), Source: "fixture", Action: "Login", Actor: "a@example.com",
			Time: cmdtest.Now.Add(-time.Hour)}
		if i > 0 {
			e.Time = cmdtest.Now.Add(-8*24*time.Hour - time.Duration(i)*time.Minute)
		}
		b.WriteString(mustJSON(e) + "\n")
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	env.MustRun("import", path)
	for _, args := range [][]string{{"logs", "list"}, {"logs", "count"}, {"logs", "count", "--by", "actor"}} {
		env.MustRun(args...)
		if want := "auditctl: 1000+ more events match before the default 7-day window (newest 2026-11-14 11:59 UTC): --since 9d or --all shows them\n"; env.ErrOut.String() != want {
			t.Errorf("%q: stderr %q, want %q", args, env.ErrOut, want)
		}
	}
	// Exact below the cap: the same with the older matches narrowed.
	env.MustRun("logs", "list", "-q", "id:old-000*")
	if want := "auditctl: 9 more events match before the default 7-day window (newest 2026-11-14 11:59 UTC): --since 9d or --all shows them\n"; env.ErrOut.String() != want {
		t.Errorf("narrowed: stderr %q, want %q", env.ErrOut, want)
	}
}

// A page cut short of the total says so on stderr when the output has no
// "Page X of Y" footer (json, ndjson, csv, yaml, --jq).
func TestPageCutNotice(t *testing.T) {
	env := cmdtest.New(t)
	fixture(t, env)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--limit", "15"}, "auditctl: 15 of 40 events shown (page 1 of 3): --page 2 for the next, --limit N for more per page, or logs export for all\n"},
		{[]string{"--limit", "15", "--page", "3", "-o", "ndjson"}, "auditctl: 10 of 40 events shown (page 3 of 3): --limit N for more per page, or logs export for all\n"},
		{[]string{"--limit", "15", "-o", "csv"}, "auditctl: 15 of 40 events shown (page 1 of 3): --page 2 for the next, --limit N for more per page, or logs export for all\n"},
		{[]string{"--limit", "15", "--jq", ".[].id"}, "auditctl: 15 of 40 events shown (page 1 of 3): --page 2 for the next, --limit N for more per page, or logs export for all\n"},
		{[]string{"--limit", "40"}, ""},
		{[]string{"--limit", "15", "--quiet"}, ""},
		{[]string{"--limit", "15", "-o", "table"}, ""}, // the footer says it
	} {
		out := env.MustRun(append([]string{"logs", "list", "--all"}, tc.args...)...)
		if env.ErrOut.String() != tc.want {
			t.Errorf("%q: stderr %q, want %q", tc.args, env.ErrOut, tc.want)
		}
		if slices.Contains(tc.args, "table") && !strings.Contains(out, "Page 1 of 3 (40 total)") {
			t.Errorf("table footer missing:\n%s", out)
		}
	}
}

// --remote jumpcloud has the same default window and says what it hides.
func TestRemoteDefaultWindowNotice(t *testing.T) {
	srv := jcserver.New("k")
	for i := 0; i < 12; i++ {
		ts := cmdtest.Now.Add(-time.Duration(i) * 24 * time.Hour)
		srv.Add(fmt.Appendf(nil, `{"id":"jc%02d","event_type":"user_login_attempt","service":"directory","timestamp":%q,"initiated_by":{"username":"u"},"success":true}`, i, ts.Format(time.RFC3339)))
	}
	hs := httptest.NewServer(srv)
	defer hs.Close()
	t.Setenv("JUMPCLOUD_API_KEY", "k")
	env := cmdtest.New(t)
	out := env.MustRun("logs", "list", "--remote", "jumpcloud", "--endpoint", hs.URL)
	if got := decodeEvents(t, out); len(got) != 8 { // days 0..7, the 7th at the window's start
		t.Errorf("%d events", len(got))
	}
	if want := "auditctl: 4 more events match before the default 7-day window (newest 2026-11-14 12:00 UTC): --since 8d or --all shows them\n"; env.ErrOut.String() != want {
		t.Errorf("stderr %q, want %q", env.ErrOut, want)
	}
}

// An empty result for an exact value that no event has names the closest
// stored values and the wildcard that matches them.
func TestEmptyResultSuggestsStoredValues(t *testing.T) {
	env := cmdtest.New(t)
	fixture(t, env)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"logs", "list", "--all", "--actor", "alice"},
			`auditctl: no event has actor "alice"; did you mean alice@example.com? (alice* matches every actor that starts with "alice")` + "\n"},
		{[]string{"logs", "list", "--all", "-q", "actor:alice"},
			`auditctl: no event has actor "alice"; did you mean alice@example.com? (alice* matches every actor that starts with "alice")` + "\n"},
		{[]string{"logs", "count", "--all", "--actor", "alise@example.com"},
			`auditctl: no event has actor "alise@example.com"; did you mean alice@example.com?` + "\n"},
		{[]string{"logs", "list", "--all", "--actor", "EXAMPLE"},
			`auditctl: no event has actor "EXAMPLE"; did you mean alice@example.com, bob@example.com? (*EXAMPLE* matches every actor that contains "EXAMPLE")` + "\n"},
		{[]string{"logs", "list", "--all", "--actor", "alice@example.com", "--action", "Logn,Nothing"},
			`auditctl: no event has action "Logn"; did you mean Login?` + "\n" + `auditctl: no event has action "Nothing"` + "\n"},
		// values that exist: the other filters emptied the result
		{[]string{"logs", "list", "--all", "--actor", "bob@example.com", "--action", "DeleteUser"}, ""},
		{[]string{"logs", "list", "--all", "--actor", "alice", "--quiet"}, ""},
		{[]string{"logs", "list", "--all", "--actor", "ali*"}, ""},
	} {
		out := env.MustRun(tc.args...)
		if env.ErrOut.String() != tc.want {
			t.Errorf("%q: stderr %q, want %q", tc.args, env.ErrOut, tc.want)
		}
		if !strings.HasPrefix(strings.TrimSpace(out), "[") && !strings.HasPrefix(strings.TrimSpace(out), "{") {
			t.Errorf("%q: stdout %q", tc.args, out)
		}
	}
	// the wildcard suggested finds them
	if got := decodeEvents(t, env.MustRun("logs", "list", "--all", "--actor", "alice*")); len(got) != 20 {
		t.Errorf("alice*: %d events", len(got))
	}
}
