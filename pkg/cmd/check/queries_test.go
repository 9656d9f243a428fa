package check_test

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/auditctl/auditctl/pkg/cmd/cmdtest"
	"github.com/auditctl/auditctl/pkg/cmdutil"
	"github.com/auditctl/auditctl/pkg/recording"
)

const blockedPolicy = `rules:
  - id: blocked-database-queries
    title: Blocked database statements
    severity: high
    queries:
      category: database
      status: blocked
    condition: none
  - id: failed-statements
    severity: low
    queries: {status: error, statement: '/^selec\b/'}
    condition: none
  - id: excused-drop
    severity: high
    queries: {status: blocked}
    condition: none
    exceptions:
      - {statement: drop table audit_log, user: 'felix.*', reason: restore drill (CHG-7)}
`

// TestQueriesRuleOnDemo: the demo's blocked DROP TABLE fails the rule, in
// every output: JSON, the table, JUnit, SARIF and the annotations.
func TestQueriesRuleOnDemo(t *testing.T) {
	env := cmdtest.New(t)
	demoCache(t, env.DBPath, "demo", "--quiet")
	dir := t.TempDir()
	policy := filepath.Join(dir, "queries.yaml")
	if err := os.WriteFile(policy, []byte(blockedPolicy), 0o644); err != nil {
		t.Fatal(err)
	}
	junit, sarif := filepath.Join(dir, "r.xml"), filepath.Join(dir, "r.sarif")
	t.Setenv("GITHUB_ACTIONS", "true")
	err := env.Run("check", policy, "--since", "30d", "-o", "json", "--junit", junit, "--sarif", sarif)
	if code := cmdutil.ExitCode(err); code != 1 {
		t.Fatalf("exit %d (%v)\n%s", code, err, env.ErrOut)
	}
	var rep struct {
		Rules []struct {
			ID, Status string
			Notes      []string
			Violations []struct {
				Message string
				Count   int
				Queries []struct {
					SessionID string `json:"session_id"`
					User      string
					Resource  string
					Time      time.Time
					Offset    float64
					Status    string
					Statement string
					Message   string
				}
			}
		}
	}
	if err := json.Unmarshal(env.Out.Bytes(), &rep); err != nil {
		t.Fatal(err)
	}
	byID := map[string]int{}
	for i, r := range rep.Rules {
		byID[r.ID] = i
	}
	blocked := rep.Rules[byID["blocked-database-queries"]]
	if blocked.Status != "fail" || len(blocked.Violations) != 1 || blocked.Violations[0].Message != "1 matching query (none allowed)" {
		t.Fatalf("blocked: %+v", blocked)
	}
	q := blocked.Violations[0].Queries[0]
	if q.SessionID != "demo-db-0001" || q.User != "felix.wagner@acme.com" || q.Resource != "prod-postgres-main" || q.Status != "blocked" ||
		q.Statement != "DROP TABLE audit_log;" || q.Message != "blocked by rule DROP TABLE" || q.Offset <= 0 || !q.Time.Before(cmdtest.Now) {
		t.Errorf("query %+v", q)
	}
	if len(blocked.Notes) != 1 || !strings.Contains(blocked.Notes[0], "matching sessions have no recording, so no query history to check: demo-hist-") {
		t.Errorf("notes %q", blocked.Notes)
	}
	failed := rep.Rules[byID["failed-statements"]]
	if failed.Status != "fail" || failed.Violations[0].Queries[0].Statement != "SELEC * FROM users LIMIT 5;" {
		t.Errorf("failed statements: %+v", failed)
	}
	if r := rep.Rules[byID["excused-drop"]]; r.Status != "pass" {
		t.Errorf("excused: %+v", r)
	}

	// The annotations (stderr) name the session, the user, the statement
	// and the message.
	ann := env.ErrOut.String()
	if !strings.Contains(ann, "::error file="+policy+",line=2,title=blocked-database-queries%3A Blocked database statements (high)::1 matching query (none allowed)%0A  ") ||
		!strings.Contains(ann, "demo-db-0001 by felix.wagner@acme.com on prod-postgres-main blocked: DROP TABLE audit_log; (blocked by rule DROP TABLE)") {
		t.Errorf("annotations:\n%s", ann)
	}
	// JUnit: the failure lists the query.
	x, err := os.ReadFile(junit)
	if err != nil {
		t.Fatal(err)
	}
	var suites struct {
		Suite struct {
			Cases []struct {
				Name     string `xml:"name,attr"`
				Failures []struct {
					Message string `xml:"message,attr"`
					Text    string `xml:",chardata"`
				} `xml:"failure"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(x, &suites); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, c := range suites.Suite.Cases {
		if strings.HasPrefix(c.Name, "blocked-database-queries:") {
			found = len(c.Failures) == 1 && strings.Contains(c.Failures[0].Text, "demo-db-0001 by felix.wagner@acme.com on prod-postgres-main blocked: DROP TABLE audit_log; (blocked by rule DROP TABLE)")
		}
	}
	if !found {
		t.Errorf("junit:\n%s", x)
	}
	// SARIF: a result at the rule, naming the session and the time.
	s, err := os.ReadFile(sarif)
	if err != nil {
		t.Fatal(err)
	}
	var log struct {
		Runs []struct {
			Results []struct {
				RuleID     string
				Message    struct{ Text string }
				Properties struct {
					Count int
					IDs   []string `json:"ids"`
				}
			}
		}
	}
	if err := json.Unmarshal(s, &log); err != nil {
		t.Fatal(err)
	}
	found = false
	for _, r := range log.Runs[0].Results {
		if r.RuleID == "blocked-database-queries" {
			found = r.Properties.Count == 1 && len(r.Properties.IDs) == 1 && strings.HasPrefix(r.Properties.IDs[0], "demo-db-0001@") &&
				strings.HasPrefix(r.Message.Text, "1 matching query (none allowed) (queries (session@time): demo-db-0001@")
		}
	}
	if !found {
		t.Errorf("sarif:\n%s", s)
	}

	// The table on a terminal.
	t.Setenv("GITHUB_ACTIONS", "")
	env.IO.SetStdoutTTY(true)
	env.IO.SetTerminalWidth(250)
	env.ExitCode("check", policy, "--since", "30d")
	for _, want := range []string{"FAIL    blocked-database-queries", "demo-db-0001 by felix.wagner@acme.com on prod-postgres-main blocked: DROP TABLE audit_log; (blocked by", "note: blocked-database-queries: "} {
		if !strings.Contains(env.Out.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, env.Out)
		}
	}
}

// TestQueriesRuleModifiedRecording: a recording changed after it was
// registered makes the rule an error naming both hashes (exit 3); the
// recording as registered fails the rule (exit 1).
func TestQueriesRuleModifiedRecording(t *testing.T) {
	env := cmdtest.New(t)
	dir := t.TempDir()
	rec := filepath.Join(dir, "db.rec")
	write := func(stmt, message string) {
		var b bytes.Buffer
		w, err := recording.NewWriter(&b, recording.Header{Width: 80, Height: 24, Timestamp: cmdtest.Now.Add(-time.Hour), Command: "psql",
			Audit: json.RawMessage(`{"id":"db-1","user_email":"mallory@example.com","category":"database","status":"completed"}`)}, recording.WriterOptions{})
		if err != nil {
			t.Fatal(err)
		}
		data, _ := recording.EncodeQuery(recording.Query{Query: stmt, Message: message})
		for _, ev := range []recording.Event{{Time: time.Second, Code: "q", Data: data}, {Time: 2 * time.Second, Code: "x", Data: "0"}} {
			if err := w.WriteEvent(ev); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(rec, b.Bytes(), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("DROP TABLE payroll;", "blocked by rule DROP TABLE")
	env.MustRun("sessions", "import", rec)
	policy := filepath.Join(dir, "p.yaml")
	if err := os.WriteFile(policy, []byte("rules:\n  - {id: blocked, queries: {status: blocked}, condition: none}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	err := env.Run("check", policy, "--since", "24h")
	if code := cmdutil.ExitCode(err); code != 1 || !strings.Contains(env.Out.String(), "DROP TABLE payroll;") {
		t.Fatalf("as registered: exit %d (%v)\n%s", code, err, env.Out)
	}
	// The blocked statement erased from the evidence afterwards.
	write("SELECT 1;", "SELECT 1")
	err = env.Run("check", policy, "--since", "24h")
	out := env.Out.String()
	if code := cmdutil.ExitCode(err); code != 3 || !strings.Contains(err.Error(), "1 of 1 rules could not be evaluated: blocked (1 recording could not be checked: the recording "+rec+" of session db-1 was modified after it was registered: SHA-256 ") ||
		!strings.Contains(out, `"status": "error"`) || !strings.Contains(out, ", registered ") {
		t.Errorf("modified: exit %d (%v)\n%s", code, err, out)
	}
	// Gone: an error too.
	os.Remove(rec)
	err = env.Run("check", policy, "--since", "24h")
	if code := cmdutil.ExitCode(err); code != 3 || !strings.Contains(err.Error(), "session db-1: its recording "+rec+" is missing") {
		t.Errorf("missing: exit %d (%v)", code, err)
	}
}

// TestRemoteWithoutCache: with --remote and no cache, the events rules are
// evaluated against the API and reported, each sessions and queries rule
// is an error naming the missing cache, and the run exits 5.
func TestRemoteWithoutCache(t *testing.T) {
	remoteServer(t, 200, 2, 3)
	policy := filepath.Join(t.TempDir(), "p.yaml")
	if err := os.WriteFile(policy, []byte(`rules:
  - {id: logins, events: {query: 'action:user_login_attempt'}, condition: {max: 100000}}
  - {id: blocked, queries: {status: blocked}, condition: none}
  - {id: unrecorded, sessions: {has_recording: no}, condition: none}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	env := cmdtest.New(t)
	err := env.Run("check", policy, "--since", "2d", "--remote", "jumpcloud", "-o", "json")
	if code := cmdutil.ExitCode(err); code != 5 || !strings.Contains(err.Error(), "2 of 3 rules could not be evaluated: blocked, unrecorded (no cache at "+env.DBPath+"; with --remote jumpcloud, sessions and queries rules still read the local cache") {
		t.Fatalf("exit %d (%v)\n%s", code, err, env.Out)
	}
	got := summary(t, env.Out.Bytes())
	if got["logins"].Status != "pass" || got["blocked"].Status != "error" || !strings.HasPrefix(got["blocked"].Error, "no cache at "+env.DBPath) || got["unrecorded"].Error != got["blocked"].Error {
		t.Errorf("%+v", got)
	}
	if _, err := os.Stat(env.DBPath); err == nil {
		t.Error("--remote created a cache")
	}
	// With a cache, they read it.
	demoCache(t, env.DBPath, "demo", "--quiet")
	err = env.Run("check", policy, "--since", "2d", "--remote", "jumpcloud", "-o", "json")
	got = summary(t, env.Out.Bytes())
	if code := cmdutil.ExitCode(err); code != 1 || got["blocked"].Status != "fail" || got["logins"].Status != "pass" {
		t.Errorf("with a cache: exit %d (%v) %+v", code, err, got)
	}
}
