package sync_test

import (
	"encoding/json"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/auditctl/auditctl/internal/jcserver"
	"github.com/auditctl/auditctl/pkg/cmd/cmdtest"
)

const key = "cmd-test-key-77aa1c9e"

func setup(t *testing.T) (*cmdtest.Env, *jcserver.Server) {
	t.Helper()
	evs, err := jcserver.Generate(1500, cmdtest.Now.Add(-time.Hour), 20, 3)
	if err != nil {
		t.Fatal(err)
	}
	srv := jcserver.New(key)
	srv.Now = func() time.Time { return cmdtest.Now }
	srv.AddEvents(evs...)
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	t.Setenv("JUMPCLOUD_API_KEY", key)
	t.Setenv("JUMPCLOUD_API_URL", hs.URL)
	t.Setenv("JUMPCLOUD_ORG_ID", "")
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	return cmdtest.New(t), srv
}

// The "done when": sync, then list from the cache; and a live
// query gives what the cache gives. The key appears nowhere.
func TestSyncThenList(t *testing.T) {
	env, srv := setup(t)
	var all []string
	check := func() {
		t.Helper()
		all = append(all, env.Out.String(), env.ErrOut.String())
		for _, s := range all {
			if strings.Contains(s, key) {
				t.Fatalf("the API key is in the output:\n%s", s)
			}
		}
	}
	out := env.MustRun("sync", "jumpcloud", "--since", "30d", "--dry-run", "--debug", "-o", "json")
	check()
	var plan struct {
		Windows []struct{ Count int64 }
		Fetched int64
	}
	if err := json.Unmarshal([]byte(out), &plan); err != nil || len(plan.Windows) != 1 || plan.Fetched != 0 {
		t.Fatalf("dry run: %s (%v)", out, err)
	}
	if _, err := os.Stat(env.DBPath); err == nil {
		t.Fatalf("the dry run created the cache %s", env.DBPath)
	}
	out = env.MustRun("sync", "jumpcloud", "--since", "30d", "--debug", "-o", "json")
	check()
	var res struct{ Fetched, Inserted int }
	if err := json.Unmarshal([]byte(out), &res); err != nil || res.Inserted != len(srv.Events()) {
		t.Fatalf("sync: %s (%v), server has %d", out, err, len(srv.Events()))
	}
	if !strings.Contains(env.ErrOut.String(), "x-api-key: [REDACTED]") {
		t.Fatalf("no debug trace: %s", env.ErrOut)
	}
	out = env.MustRun("sync", "jumpcloud")
	check()
	if !strings.Contains(out, `"inserted":0`) {
		t.Fatalf("second sync: %s", out)
	}
	for _, args := range [][]string{
		{"logs", "list", "--service", "sso", "--since", "30d", "-o", "ndjson", "-L", "40"},
		{"logs", "list", "--status", "failure", "--actor", "*a*", "--since", "30d", "-o", "ndjson", "-L", "40", "--page", "2"},
		{"logs", "count", "--since", "30d", "--by", "action"},
		{"logs", "count", "--since", "30d", "--interval", "1d", "--service", "directory"},
		{"logs", "count", "--since", "30d", "-q", "status:failure service:ldap"},
		{"logs", "export", "--service", "ldap", "--format", "ndjson"},
		{"logs", "show", srv.Events()[42].ID, "-o", "json"},
	} {
		local := env.MustRun(args...)
		remote := env.MustRun(append(args, "--remote", "jumpcloud", "--debug")...)
		check()
		if local != remote || len(local) < 10 {
			t.Fatalf("%v:\ncache:\n%s\nremote:\n%s", args, local, remote)
		}
	}
	if !strings.Contains(strings.Join(all, ""), "applied client-side: actor") {
		t.Fatal("--debug does not say what is client-side")
	}
}

func TestSyncErrors(t *testing.T) {
	env, srv := setup(t)
	if code := env.ExitCode("sync", "cloudtrail"); code != 2 {
		t.Errorf("unknown source: exit %d", code)
	}
	if code := env.ExitCode("sync", "jumpcloud", "--service", "nope"); code != 2 {
		t.Errorf("unknown service: exit %d", code)
	}
	if code := env.ExitCode("sync", "jumpcloud", "--endpoint", "http://example.com"); code != 2 {
		t.Errorf("plain http: exit %d", code)
	}
	if code := env.ExitCode("logs", "list", "--remote", "nope"); code != 2 {
		t.Errorf("unknown remote: exit %d", code)
	}
	srv.Inject(jcserver.Fault401)
	err := env.Run("sync", "jumpcloud", "--debug")
	if err == nil || !strings.Contains(err.Error(), "check JUMPCLOUD_API_KEY") {
		t.Fatalf("401: %v", err)
	}
	srv.Inject(jcserver.Fault403)
	if code := env.ExitCode("logs", "count", "--remote", "jumpcloud"); code != 4 {
		t.Fatalf("403: exit %d", code)
	}
	if strings.Contains(env.ErrOut.String(), key) || strings.Contains(err.Error(), key) {
		t.Fatal("the key is in an error")
	}
}

// A retry during a sync is announced above the progress line, which comes
// back below it; the sync completes.
func TestSyncAnnouncesRetriesAboveProgress(t *testing.T) {
	env, srv := setup(t)
	env.IO.SetStderrTTY(true)
	srv.Inject(jcserver.Fault503)
	env.MustRun("sync", "jumpcloud", "--since", "30d", "-o", "json")
	got := env.ErrOut.String()
	if !strings.Contains(got, "jumpcloud: /events/count failed: 503 Service Unavailable; try 2 of 8 in ") {
		t.Fatalf("no retry notice: %q", got)
	}
	if !strings.HasSuffix(got, "\r\x1b[K") {
		t.Fatalf("the progress line was not cleared at the end: %q", got)
	}
}
