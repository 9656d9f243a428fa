package root_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/auditctl/auditctl/pkg/cmd/cmdtest"
)

// complete runs `auditctl __complete ARGS…` on env's cache and returns the
// values offered (descriptions dropped) and the directive line.
func complete(t *testing.T, env *cmdtest.Env, args ...string) ([]string, string) {
	t.Helper()
	out := env.MustRun(append([]string{"__complete"}, args...)...)
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	directive := lines[len(lines)-1]
	var values []string
	for _, l := range lines[:len(lines)-1] {
		v, _, _ := strings.Cut(l, "\t")
		values = append(values, v)
	}
	return values, directive
}

// Flag values complete from fixed lists, from the cache (distinct stored
// values, by prefix) and ids complete from the cache; through the real
// command tree, as a shell asks.
func TestCompletion(t *testing.T) {
	env := cmdtest.New(t)
	env.MustRun("demo", "--events", "2000")
	hostile := filepath.Join(t.TempDir(), "hostile.ndjson")
	os.WriteFile(hostile, []byte(`{"id":"h1","time":"2026-11-20T10:00:00Z","source":"test","service":"svc\u001b]0;pwn\u0007","action":"Delete\nrm -rf ~","actor":"x"}`+"\n"), 0o600)
	env.MustRun("import", hostile)

	has := func(args []string, want ...string) {
		t.Helper()
		got, _ := complete(t, env, args...)
		for _, w := range want {
			if !slices.Contains(got, w) {
				t.Errorf("%v: %v lacks %q", args, got, w)
			}
		}
	}
	only := func(args []string, pred func(string) bool, what string) {
		t.Helper()
		got, _ := complete(t, env, args...)
		if len(got) == 0 {
			t.Errorf("%v: nothing offered", args)
		}
		for _, v := range got {
			if !pred(v) {
				t.Errorf("%v: %q is not %s", args, v, what)
			}
		}
	}
	has([]string{"logs", "count", "--by", ""}, "actor", "action", "service", "ip", "tenant")
	has([]string{"logs", "list", "-o", ""}, "table", "json", "ndjson", "csv", "yaml")
	has([]string{"sessions", "list", "--output", "y"}, "yaml")
	has([]string{"logs", "export", "--format", ""}, "csv", "json", "ndjson")
	has([]string{"logs", "list", "--status", ""}, "success", "failure", "warning", "in_progress")
	has([]string{"sessions", "list", "--status", ""}, "active", "completed", "terminated", "stale")
	has([]string{"sessions", "list", "--category", ""}, "server", "database", "website")
	has([]string{"logs", "list", "--sort=-dur"}, "-duration_ms")
	has([]string{"logs", "list", "--sort", "actor,-ti"}, "actor,-time")
	has([]string{"logs", "list", "--columns", "time,act"}, "time,action", "time,actor")
	has([]string{"logs", "list", "--tz", "Europe/"}, "Europe/Berlin")
	// from the cache: distinct stored values, by prefix, any case
	has([]string{"logs", "list", "--action", "del"}, "DeleteUser")
	only([]string{"logs", "list", "--action", "Del"}, func(v string) bool { return strings.HasPrefix(v, "Del") }, "a Del… action")
	has([]string{"logs", "count", "--service", ""}, "directory", "sso")
	has([]string{"logs", "list", "--source", "demo:"}, "demo:jumpcloud", "demo:vault")
	// a stored value with control characters is never offered
	for _, args := range [][]string{{"logs", "list", "--service", "svc"}, {"logs", "list", "--action", "Delete"}} {
		got, _ := complete(t, env, args...)
		for _, v := range got {
			if strings.ContainsAny(v, "\x1b\x07\n") {
				t.Errorf("%v offered %q", args, v)
			}
		}
	}

	// ids: events for logs show, sessions for the sessions commands
	var ev []struct{ ID string }
	if err := json.Unmarshal([]byte(env.MustRun("logs", "list", "--all", "--limit", "1", "-o", "json")), &ev); err != nil || len(ev) != 1 {
		t.Fatalf("%v %v", ev, err)
	}
	id := ev[0].ID
	has([]string{"logs", "show", id[:4]}, id)
	only([]string{"logs", "show", id[:4]}, func(v string) bool { return strings.HasPrefix(v, id[:4]) }, "an id starting with "+id[:4])
	out := env.MustRun("__complete", "logs", "show", id)
	if !strings.Contains(out, id+"\t2026-") {
		t.Errorf("event ids are described by time, action, actor: %q", out)
	}
	has([]string{"sessions", "show", "demo-"}, "demo-srv-0001", "demo-db-0001")
	has([]string{"sessions", "play", "demo-db"}, "demo-db-0001")
	if _, d := complete(t, env, "sessions", "play", "demo-db"); d != ":0" {
		t.Errorf("sessions play also completes files: directive %s", d)
	}
	if got, d := complete(t, env, "sessions", "show", "demo-srv-0001", ""); len(got) != 0 || d != ":4" {
		t.Errorf("a second argument: %v %s", got, d)
	}
}

// Completing against a cache that does not exist offers nothing and
// creates nothing.
func TestCompletionNeverCreatesACache(t *testing.T) {
	env := cmdtest.New(t)
	env.DBPath = filepath.Join(t.TempDir(), "none", "audit.db")
	for _, args := range [][]string{
		{"logs", "list", "--action", ""},
		{"logs", "show", ""},
		{"sessions", "show", ""},
	} {
		got, _ := complete(t, env, args...)
		if len(got) != 0 {
			t.Errorf("%v: %v", args, got)
		}
	}
	if _, err := os.Stat(filepath.Dir(env.DBPath)); !os.IsNotExist(err) {
		t.Fatalf("completion created %s (%v)", filepath.Dir(env.DBPath), err)
	}
}
