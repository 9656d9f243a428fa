// Package samestore_test is the differential test of the two stores: the
// logs commands must print the same over a SQLite cache and a PostgreSQL
// store holding the same events. (A package of its own: it starts a server
// and runs some thousand commands, within its own time budget under -race.)
package samestore_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/auditctl/auditctl/internal/pgtest"
	"github.com/auditctl/auditctl/pkg/cmd/cmdtest"
	"github.com/auditctl/auditctl/pkg/cmdutil"
)

// pgCorpus is the differential corpus: filters given as flags and as -q
// queries (with time windows, sorts and pages), each run by logs list and
// logs count on both stores.
var pgCorpus = [][]string{
	{"--all"}, {"--since", "7d"}, {"--since", "1d"}, {"--since", "30d", "--until", "7d"},
	{"--since", "2026-11-01", "--until", "2026-11-15"}, {"--since", "2026-11-20T10:00:00.000001Z"},
	{"--until", "2026-11-10T00:00:00.5Z", "--all"},
	{"--action", "DeleteUser", "--all"}, {"--action", "deleteuser", "--all"}, {"--action", "delete*", "--all"},
	{"--action", "DeleteUser,CreateUser", "--all"}, {"--action", "USER_LOGIN", "--action", "Login", "--all"},
	{"--action", "*login*", "--all"}, {"--action", "user\\_login*", "--all"}, {"--action", "user_login_attempt", "--since", "3d"},
	{"--actor", "victor.kane@globex.io", "--all"}, {"--actor", "*@acme.com", "--all"}, {"--actor", "VICTOR*", "--all"},
	{"--user", "raj.iyer@initech.net", "--since", "14d"}, {"--actor", "nobody@nowhere", "--all"},
	{"--ip", "192.0.2.17", "--all"}, {"--ip", "192.0.2.0/24", "--all"}, {"--ip", "10.0.0.0/8", "--all"},
	{"--ip", "203.0.113.0/25,198.51.100.0/24", "--all"}, {"--ip", "192.0.2.*", "--all"}, {"--ip", "::/0", "--all"},
	{"--ip", "0.0.0.0/0", "--all"},
	{"--status", "failure", "--all"}, {"--status", "warning,in_progress", "--all"}, {"--status", "bogus", "--all"},
	{"--service", "sso", "--all"}, {"--service", "sess*", "--all"}, {"--service", "SSO", "--since", "10d"},
	{"--category", "User Management", "--all"}, {"--category", "user management", "--all"},
	{"--source", "demo:vault", "--all"}, {"--source", "demo:*", "--all"}, {"--source", "DEMO:VAULT", "--all"},
	{"--source", "demo:kaseya,demo:platform", "--since", "5d"},
	{"--tenant", "62ee8d70505f4b040db759e2", "--all"}, {"--tenant", "62EE8D70505F4B040DB759E2", "--all"},
	{"--target", "JumpCloud LDAP", "--all"}, {"--target", "aws-*", "--all"},
	{"--browser", "*Safari*", "--all"}, {"--browser", "vault-cli*", "--since", "20d"},
	{"--min-duration", "100", "--all"}, {"--max-duration", "50", "--all"}, {"--min-duration", "100", "--max-duration", "500", "--all"},
	{"--search", "login", "--all"}, {"--search", "break glass", "--all"}, {"--search", "bianca.rossi", "--all"},
	{"--search", "succeeded", "--search", "portal", "--all"}, {"--search", "@", "--all"}, {"--search", "globex.io", "--all"},
	{"--search", "england", "--all"}, {"--search", "mfa", "--all"}, {"--search", "push", "--all"},
	{"--search", "portal login", "--all"}, {"--search", "login portal", "--all"}, {"--search", "User-Portal", "--all"},
	{"--search", "\"); DROP TABLE events; --", "--all"}, {"--search", "30d", "--all"}, {"--search", "vault-cli/1.8.4", "--all"},
	{"--search", "Administrator@win-dc-01", "--since", "10d"}, {"--search", "zzzz-nothing", "--all"},
	{"--search", "Café", "--all"}, {"--search", "{", "--all"},
	{"-q", "action:DeleteUser -status:success", "--all"}, {"-q", "action:CreateUser,AttachUserPolicy", "--all"},
	{"-q", "-action:USER_LOGIN", "--since", "3d"}, {"-q", "duration:>500", "--all"}, {"-q", "duration:<10", "--all"},
	{"-q", "\"user portal\"", "--all"}, {"-q", "login -failed", "--all"}, {"-q", "actor:*@initech.net status:failure", "--all"},
	{"-q", "ip:198.51.100.0/24 -service:sso", "--all"}, {"-q", "source:demo:kaseya", "--all"},
	{"-q", "tenant:6265ea02b534c5ab8ee4dec1 action:*login*", "--all"}, {"-q", "category:\"Access & Tokens\"", "--all"},
	{"-q", "duration:>abc", "--all"}, {"-q", "-ip:10.0.0.0/8 -ip:192.0.2.0/24", "--all"},
	{"-q", "rotated credential", "--all"}, {"-q", "-\"succeeded\"", "--since", "2d"}, {"-q", "target:aws-* -target:*prod*", "--all"},
	{"-q", "actor_type:admin", "--all"}, {"-q", "client:cli", "--all"}, {"-q", "error:*", "--all"},
	{"-q", "target_type:credential", "--all"}, {"-q", "workflow_type:session", "--all"}, {"-q", "workflow_type:", "--all"},
	{"-q", "-workflow_type:session", "--since", "10d"}, {"-q", "user_agent:*Mac*", "--all"},
	{"--action", "USER_*", "-q", "-status:success", "--all"},
	{"--all", "--sort", "duration"}, {"--all", "--sort", "-duration"}, {"--all", "--sort", "actor"},
	{"--all", "--sort", "actor,-time"}, {"--all", "--sort", "time"}, {"--all", "--sort", "action"},
	{"--all", "--sort", "ip"}, {"--all", "--sort", "id"}, {"--all", "--sort", "-source,service"},
	{"--all", "--sort", "status,-duration"}, {"--search", "login", "--all", "--sort", "time"},
	{"--all", "--page", "2"}, {"--all", "-L", "5", "--page", "3"}, {"--all", "-L", "300"},
	{"--search", "login", "--all", "--page", "4"}, {"--action", "*login*", "--all", "--sort", "actor", "--page", "2"},
	{"--since", "7d", "--sort", "-duration", "-L", "10", "--page", "7"},
	{"-q", "id:2df621bd*", "--all"}, {"-q", "id:2df621bd-c289-4d1a-9ec8-7a75b23791b1,nope", "--all"},
	{"-q", "-id:*a*", "--since", "2d"}, {"-q", "source:demo:vault,demo:kaseya -action:Login", "--all"},
}

// TestPostgresSameOutput runs the logs commands over the demo data on a
// SQLite cache and on a PostgreSQL store (filled by import from the
// cache's export) and requires the same stdout, stderr and exit code for
// every query of the corpus.
func TestPostgresSameOutput(t *testing.T) {
	if len(pgCorpus) < 100 {
		t.Fatalf("the corpus holds %d queries, want at least 100", len(pgCorpus))
	}
	srv := pgtest.Start(t)
	pgURL := srv.CreateDB(t, "audit")

	events := 3000
	if raceDetector {
		events = 1000
	}
	lite := cmdtest.New(t)
	lite.MustRun("demo", "--events", fmt.Sprint(events), "--quiet")
	dump := filepath.Join(t.TempDir(), "demo.ndjson")
	lite.MustRun("logs", "export", "-o", "ndjson", "-O", dump, "--quiet")

	pg := cmdtest.New(t)
	pg.DBPath = pgURL
	pg.MustRun("import", dump, "--quiet")
	pg.MustRun("import", dump, "--quiet") // again: nothing new

	run := func(env *cmdtest.Env, args []string) result {
		err := env.Run(args...)
		// a hint names the store it read (--db): the same word for both
		norm := strings.NewReplacer(cmdutil.ShellQuote(env.DBPath), "DB", env.DBPath, "DB").Replace
		return result{cmdutil.ExitCode(err), norm(env.Out.String()), norm(env.ErrOut.String() + fmt.Sprint(err))}
	}
	same := func(args ...string) result {
		t.Helper()
		a, b := run(lite, args), run(pg, args)
		if a != b {
			t.Errorf("auditctl %s:\nsqlite:   exit %d, stdout %d bytes %.600q\n  stderr %q\npostgres: exit %d, stdout %d bytes %.600q\n  stderr %q",
				strings.Join(args, " "), a.code, len(a.out), a.out, a.errOut, b.code, len(b.out), b.out, b.errOut)
		}
		return a
	}
	groups := []string{"actor", "action", "ip", "source", "status", "service", "tenant", "target", "workflow_type", "id"}
	for i, q := range pgCorpus {
		same(append([]string{"logs", "list", "-o", "json", "-L", "20"}, q...)...)
		if !strings.Contains(strings.Join(q, " "), "--sort") && !strings.Contains(strings.Join(q, " "), "--page") {
			same(append([]string{"logs", "count"}, q...)...)
			if !raceDetector || i%3 == 0 {
				same(append([]string{"logs", "count", "--by", groups[i%len(groups)], "--top", "15", "-o", "json"}, q...)...)
			}
		}
		if raceDetector && i%20 >= 10 {
			continue
		}
		switch i % 10 {
		case 0:
			same(append([]string{"logs", "count", "--interval", "1d", "-o", "csv"}, q...)...)
		case 3:
			same(append([]string{"logs", "list", "-o", "csv", "-L", "7"}, q...)...)
		case 5:
			same(append([]string{"logs", "count", "--interval", "6h", "-o", "json"}, q...)...)
		case 7:
			same(append([]string{"logs", "list", "-o", "table", "--wide", "-L", "5"}, q...)...)
		}
	}
	// Export: whole and filtered, every format.
	all := same("logs", "export", "-o", "ndjson")
	if strings.Count(all.out, "\n") != events {
		t.Fatalf("export holds %d events, want %d", strings.Count(all.out, "\n"), events)
	}
	same("logs", "export", "--format", "csv", "--action", "*login*")
	same("logs", "export", "-o", "json", "--search", "portal", "--since", "7d")
	same("logs", "export", "-o", "ndjson", "--sort", "-duration", "--status", "failure")
	// Show: ids from the list, a prefix, an ambiguous prefix, none.
	var page []struct {
		ID, Source string
	}
	if err := json.Unmarshal([]byte(same("logs", "list", "-o", "json", "--all", "-L", "8", "--sort", "duration").out), &page); err != nil || len(page) == 0 {
		t.Fatalf("list: %v", err)
	}
	for _, e := range page {
		same("logs", "show", e.ID, "-o", "json")
		same("logs", "show", e.ID)
		same("logs", "show", e.ID[:len(e.ID)-3], "--source", e.Source, "-o", "json")
	}
	same("logs", "tail", "-n", "5", "-o", "json")
	same("logs", "tail", "-n", "3", "--action", "*login*", "-o", "ndjson")
	// check and hunt read through the same EventService.
	for _, pol := range []string{"authentication.yaml", "change-management.yaml", "cloud.yaml"} {
		if r := same("check", filepath.Join("..", "..", "..", "..", "docs", "examples", "policies", pol), "-o", "json"); !strings.Contains(r.out, "\"rules\"") {
			t.Errorf("check %s: exit %d %.300s %s", pol, r.code, r.out, r.errOut)
		}
	}
	// Session History: the demo's sessions copied into the team store by
	// db copy (their recordings stay where demo wrote them); its events are
	// there already (imported above), so none is new.
	if out := pg.MustRun("db", "copy", "--from", lite.DBPath, "-o", "json", "--quiet"); !strings.Contains(out, `"events_new": 0,`) || strings.Contains(out, `"sessions_new": 0,`) {
		t.Fatalf("db copy: %s", out)
	}
	if r := same("check", filepath.Join("..", "..", "..", "..", "docs", "examples", "policies", "sessions.yaml"), "-o", "json"); !strings.Contains(r.out, "\"rules\"") {
		t.Errorf("check sessions.yaml: exit %d %.400s %s", r.code, r.out, r.errOut)
	}
	sessionsSame(t, same)
	rule := filepath.Join(t.TempDir(), "rule.yml")
	if err := os.WriteFile(rule, []byte(`title: Deletions by people
id: 5d6e1c1e-0000-4000-8000-000000000001
logsource: {product: auditctl}
detection:
  selection:
    action|contains: delete
  filter:
    actor|endswith: '@acme.com'
  condition: selection and not filter
level: medium
`), 0o600); err != nil {
		t.Fatal(err)
	}
	if r := same("hunt", "--sigma", rule, "--all", "-o", "json"); r.code != 1 || !strings.Contains(r.out, "Deletions by people") {
		t.Errorf("hunt: exit %d %.300s %s", r.code, r.out, r.errOut)
	}
	same("logs", "show", "1")
	same("logs", "show", "no-such-event")
	same("logs", "show", "")
}

// result is what a command did: exit code, stdout, stderr (and error).
type result struct {
	code        int
	out, errOut string
}
