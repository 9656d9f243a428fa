package check_test

import (
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/auditctl/auditctl/internal/jcserver"
	"github.com/auditctl/auditctl/internal/pgtest"
	"github.com/auditctl/auditctl/pkg/cmd/cmdtest"
	"github.com/auditctl/auditctl/pkg/cmdutil"
)

const remoteKey = "check-remote-test-key-8d1f"

// remotePolicy has a rule of every condition that events take, with an
// exception and a schedule, over Directory Insights event types.
const remotePolicy = `rules:
  - id: admin-failures
    severity: high
    events: {query: 'action:admin_login_attempt status:failure'}
    condition: none
  - id: few-logins
    events: {query: 'action:user_login_attempt'}
    condition: {max: 10}
  - id: failure-bursts
    events: {query: 'status:failure'}
    condition: {threshold: 2, group_by: actor, window: 6h}
  - id: failure-bursts-two-fields
    events: {query: 'status:failure'}
    condition: {threshold: 2, group_by: [actor, service], window: 6h}
  - id: daily-sso
    events: {query: 'service:sso'}
    condition: {require: 100, every: 24h}
  - id: fail-then-succeed
    events: {query: 'service:directory'}
    condition:
      sequence:
        - query: 'status:failure'
        - query: 'status:success'
      group_by: actor
      window: 2h
  - id: lockouts-outside-hours
    events: {query: 'action:user_lockout,user_update'}
    condition: none
    schedule:
      - {from: "09:00", to: "17:00"}
    exceptions:
      - {query: 'actor:a*', reason: test exception}
`

// ruleSummary is one rule of a report, as compared.
type ruleSummary struct {
	ID, Status, Error string
	Violations        []struct {
		Message, Group string
		First, Last    time.Time
		Count          int
		Events         []struct{ ID string }
	}
}

// summary is what must be equal between the cache and the live API: each
// rule's status and violations (message, group, span, count, event ids).
func summary(t *testing.T, out []byte) map[string]ruleSummary {
	t.Helper()
	var r struct{ Rules []ruleSummary }
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	m := map[string]ruleSummary{}
	for _, rule := range r.Rules {
		m[rule.ID] = rule
	}
	return m
}

// remoteServer serves n generated Directory Insights events over the last
// days (seed picks them) at the tests' fixed clock, and points the
// commands of the test at it (no GitHub annotations).
func remoteServer(t *testing.T, n, days int, seed int64) *jcserver.Server {
	t.Helper()
	evs, err := jcserver.Generate(n, cmdtest.Now, days, seed)
	if err != nil {
		t.Fatal(err)
	}
	srv := jcserver.New(remoteKey)
	srv.Now = func() time.Time { return cmdtest.Now }
	srv.AddEvents(evs...)
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	t.Setenv("JUMPCLOUD_API_KEY", remoteKey)
	t.Setenv("JUMPCLOUD_API_URL", hs.URL)
	t.Setenv("JUMPCLOUD_ORG_ID", "")
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	t.Setenv("GITHUB_ACTIONS", "")
	return srv
}

// TestRemoteEqualsSyncedCache: `check --remote jumpcloud` against the local
// Directory Insights server gives the report `check` gives on a cache
// synced from it, and so does `check --sync jumpcloud` on a fresh cache;
// the remote run asks the API for counts, not every event.
func TestRemoteEqualsSyncedCache(t *testing.T) {
	srv := remoteServer(t, 3000, 5, 7)
	policy := filepath.Join(t.TempDir(), "policy.yaml")
	if err := os.WriteFile(policy, []byte(remotePolicy), 0o644); err != nil {
		t.Fatal(err)
	}
	check := []string{"check", policy, "--since", "4d", "-o", "json"}

	env := cmdtest.New(t)
	before := srv.Requests()
	err := env.Run(append(check, "--remote", "jumpcloud")...)
	if code := cmdutil.ExitCode(err); code != 1 {
		t.Fatalf("--remote: exit %d (%v)\n%s", code, err, env.Out)
	}
	remote := summary(t, env.Out.Bytes())
	if _, err := os.Stat(env.DBPath); err == nil {
		t.Error("--remote created a cache")
	}
	remoteRequests := srv.Requests() - before
	if srv.Served("/events/count") == 0 {
		t.Error("--remote never asked the API for a count")
	}

	env.MustRun("sync", "jumpcloud", "--since", "4d", "--lag", "0s")
	err = env.Run(check...)
	if code := cmdutil.ExitCode(err); code != 1 {
		t.Fatalf("cache: exit %d (%v)", code, err)
	}
	local := summary(t, env.Out.Bytes())
	if !reflect.DeepEqual(remote, local) {
		for id := range local {
			if !reflect.DeepEqual(remote[id], local[id]) {
				t.Errorf("rule %s:\nremote %+v\ncache  %+v", id, remote[id], local[id])
			}
		}
	}
	failed := 0
	for id, r := range local {
		if r.Status == "fail" {
			failed++
		}
		t.Logf("%s: %s, %d violations", id, r.Status, len(r.Violations))
	}
	if failed < 4 {
		t.Errorf("only %d rules fail: the test data does not exercise the conditions", failed)
	}

	// --sync on a fresh cache: the same report.
	fresh := cmdtest.New(t)
	err = fresh.Run(append(check, "--sync", "jumpcloud")...)
	if code := cmdutil.ExitCode(err); code != 1 {
		t.Fatalf("--sync: exit %d (%v)\n%s", code, err, fresh.ErrOut)
	}
	if synced := summary(t, fresh.Out.Bytes()); !reflect.DeepEqual(synced, local) {
		t.Errorf("--sync differs from the synced cache")
	}
	t.Logf("--remote: %d API requests for %d rules", remoteRequests, strings.Count(remotePolicy, "- id:"))

	// --sync into a fresh PostgreSQL team store: the same report.
	team := cmdtest.New(t)
	team.DBPath = pgtest.Start(t).CreateDB(t, "team")
	err = team.Run(append(check, "--sync", "jumpcloud")...)
	if code := cmdutil.ExitCode(err); code != 1 {
		t.Fatalf("--sync into a team store: exit %d (%v)\n%s", code, err, team.ErrOut)
	}
	if synced := summary(t, team.Out.Bytes()); !reflect.DeepEqual(synced, local) {
		t.Errorf("--sync into a team store differs from the synced cache")
	}
}
