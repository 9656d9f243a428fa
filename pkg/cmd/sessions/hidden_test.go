package sessions_test

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/auditctl/auditctl/pkg/cmd/cmdtest"
	"github.com/auditctl/auditctl/pkg/cmdutil"
	"github.com/auditctl/auditctl/pkg/session"
	"github.com/auditctl/auditctl/pkg/store/sqlite"
)

// sessionFixture registers 30 finished sessions, an hour apart, ids
// sess-00 … sess-29.
func sessionFixture(t *testing.T, env *cmdtest.Env) {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, env.DBPath)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	users := []string{"alice@example.com", "bob@example.com", "nina.kowalski@example.com"}
	cats := []session.Category{session.CategoryServer, session.CategoryDatabase, session.CategoryWebsite}
	for i := 0; i < 30; i++ {
		start := cmdtest.Now.Add(-time.Duration(i+1) * time.Hour)
		s := &session.Session{
			ID: fmt.Sprintf("sess-%02d", i), UserEmail: users[i%3], Category: cats[i%3],
			ResourceName: fmt.Sprintf("res-%d", i%5), Connector: "conn-eu", Protocol: "ssh",
			Start: start, End: start.Add(10 * time.Minute), Duration: 10 * time.Minute, Status: session.StatusCompleted,
		}
		if err := db.CreateSession(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
}

func sessionIDs(t *testing.T, out string) []string {
	t.Helper()
	var rows []struct{ ID string }
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		t.Fatalf("%v: %q", err, out)
	}
	var ids []string
	for _, r := range rows {
		ids = append(ids, r.ID)
	}
	return ids
}

func TestSessionListFlagValueLists(t *testing.T) {
	env := cmdtest.New(t)
	sessionFixture(t, env)
	list := func(args ...string) []string {
		return sessionIDs(t, env.MustRun(append([]string{"sessions", "list", "-o", "json", "--limit", "100"}, args...)...))
	}
	for _, tc := range []struct{ comma, repeated []string }{
		{[]string{"--user", "alice@example.com,BOB@example.com"}, []string{"--user", "alice@example.com", "--user", "bob@example.com"}},
		{[]string{"--category", "server, database"}, []string{"--category", "server", "--category", "database"}},
		{[]string{"--resource", `"res-1",res-2*`}, []string{"--resource", "res-1", "--resource", "res-2*"}},
		{[]string{"--session-id", "sess-01,sess-02"}, []string{"--session-id", "sess-01", "--session-id", "sess-02"}},
	} {
		a, b := list(tc.comma...), list(tc.repeated...)
		if len(a) == 0 || !reflect.DeepEqual(a, b) {
			t.Errorf("%q gave %v, %q gave %v", tc.comma, a, tc.repeated, b)
		}
	}
	if code := env.ExitCode("sessions", "list", "--user", "alice,"); code != 2 {
		t.Errorf("--user alice,: exit %d, want 2", code)
	}
}

func TestSessionPagePastTheEndAndAmbiguousIDs(t *testing.T) {
	env := cmdtest.New(t)
	sessionFixture(t, env)
	err := env.Run("sessions", "list", "--limit", "10", "--page", "4")
	if cmdutil.ExitCode(err) != 2 || err.Error() != "page 4 is past the last page (3)" {
		t.Errorf("--page 4: %v", err)
	}
	err = env.Run("sessions", "show", "sess-1")
	if cmdutil.ExitCode(err) != 2 || err.Error() != `ambiguous: 10 sessions start with "sess-1", give more characters: sess-10, sess-11, sess-12, sess-13, sess-14, …` {
		t.Errorf("sessions show sess-1: %v", err)
	}
	if out := env.MustRun("sessions", "show", "sess-07", "-o", "json"); !strings.Contains(out, "sess-07") {
		t.Errorf("sessions show sess-07: %s", out)
	}
	if err := env.Run("sessions", "show", "nope"); cmdutil.ExitCode(err) != 3 {
		t.Errorf("sessions show nope: %v", err)
	}
}

func TestSessionListPageCutNotice(t *testing.T) {
	env := cmdtest.New(t)
	sessionFixture(t, env)
	if ids := sessionIDs(t, env.MustRun("sessions", "list", "--limit", "10", "--page", "2")); len(ids) != 10 || ids[0] != "sess-10" {
		t.Fatalf("page 2: %v", ids)
	}
	if want := "auditctl: 10 of 30 sessions shown (page 2 of 3): --page 3 for the next, --limit N for more per page\n"; env.ErrOut.String() != want {
		t.Errorf("stderr %q, want %q", env.ErrOut, want)
	}
	for _, args := range [][]string{
		{"sessions", "list", "--limit", "10", "--quiet"},
		{"sessions", "list", "--limit", "30"},
		{"sessions", "list", "--limit", "10", "-o", "table"},
	} {
		out := env.MustRun(args...)
		if env.ErrOut.Len() != 0 {
			t.Errorf("%q: stderr %q", args, env.ErrOut)
		}
		if slices.Contains(args, "table") && !strings.Contains(out, "Page 1 of 3 (30 total)") {
			t.Errorf("no footer:\n%s", out)
		}
	}
}

func TestSessionListEmptySuggests(t *testing.T) {
	env := cmdtest.New(t)
	sessionFixture(t, env)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--user", "nina"}, `auditctl: no session has user "nina"; did you mean nina.kowalski@example.com? (nina* matches every user that starts with "nina")` + "\n"},
		{[]string{"--user", "nina*"}, ""}, // and it lists them
		{[]string{"--resource", "res-9,rse-1"}, `auditctl: no session has resource "res-9"; did you mean res-0, res-1, res-2?` + "\n" + `auditctl: no session has resource "rse-1"` + "\n"},
		{[]string{"--user", "alice@example.com", "--category", "website"}, ""}, // both exist
		{[]string{"--user", "nina", "--quiet"}, ""},
	} {
		env.MustRun(append([]string{"sessions", "list", "-o", "json"}, tc.args...)...)
		if env.ErrOut.String() != tc.want {
			t.Errorf("%q: stderr %q, want %q", tc.args, env.ErrOut, tc.want)
		}
	}
}
