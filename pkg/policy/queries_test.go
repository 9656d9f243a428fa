package policy

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/recording"
	"github.com/auditctl/auditctl/pkg/report"
	"github.com/auditctl/auditctl/pkg/session"
)

// q is a query event of a crafted recording: at seconds into it.
type q struct {
	at            float64
	stmt, message string
}

// writeRecording writes an asciicast v3 recording holding the query
// events (and some output), or raw lines after the header when raw is
// given.
func writeRecording(t *testing.T, path string, qs []q, raw ...string) {
	t.Helper()
	var b bytes.Buffer
	w, err := recording.NewWriter(&b, recording.Header{Width: 80, Height: 24, Timestamp: t0, Command: "psql"}, recording.WriterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range qs {
		at := time.Duration(x.at * float64(time.Second))
		data, err := recording.EncodeQuery(recording.Query{Query: x.stmt, Message: x.message, DurationMS: 1})
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range []recording.Event{{Time: at, Code: "o", Data: "db=> "}, {Time: at, Code: "q", Data: data}} {
			if err := w.WriteEvent(ev); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if len(raw) > 0 {
		out = strings.SplitAfter(out, "\n")[0] + strings.Join(raw, "\n") + "\n"
	}
	if err := os.WriteFile(path, []byte(out), 0o600); err != nil {
		t.Fatal(err)
	}
}

// addSession registers s (started at t0+at) with its recording at path,
// when path is not "", and the recording's SHA-256.
func (f *fixture) addSession(t *testing.T, s session.Session, at time.Duration, path string) {
	t.Helper()
	s.Start = t0.Add(at)
	s.Duration = 10 * time.Minute
	s.End = s.Start.Add(s.Duration)
	if s.Status == "" {
		s.Status = session.StatusCompleted
	}
	if path != "" {
		sum, err := recording.FileSHA256(path)
		if err != nil {
			t.Fatal(err)
		}
		s.HasRecording, s.RecordingPath = true, path
		if s.Status != session.StatusActive {
			s.RecordingSHA256 = sum
		}
	}
	if err := f.db.CreateSession(context.Background(), &s); err != nil {
		t.Fatal(err)
	}
}

// queriesFixture: two recorded database sessions, a recorded server
// session without queries, a database session without a recording.
func queriesFixture(t *testing.T) (*fixture, map[string]string) {
	f := newFixture(t)
	dir := t.TempDir()
	paths := map[string]string{"db1": filepath.Join(dir, "db1.rec"), "db2": filepath.Join(dir, "db2.rec"), "srv": filepath.Join(dir, "srv.rec")}
	writeRecording(t, paths["db1"], []q{
		{1, "SELECT count(*) FROM invoices;", "SELECT 1"},
		{5, "DROP TABLE audit_log;", "blocked by rule DROP TABLE"},
		{9, "SELEC 1;", `ERROR:  syntax error at or near "SELEC"`},
		{12, "DROP/**/TABLE\n scratch_1;", "blocked by rule DROP TABLE"},
	})
	writeRecording(t, paths["db2"], []q{{3, "drop table scratch_2;", "blocked by rule DROP TABLE"}})
	writeRecording(t, paths["srv"], nil)
	f.addSession(t, session.Session{ID: "db1", UserEmail: "felix@example.com", ResourceName: "prod-pg", Category: session.CategoryDatabase, ClientName: "psql 16.4"}, time.Hour, paths["db1"])
	f.addSession(t, session.Session{ID: "db2", UserEmail: "ana@example.com", ResourceName: "staging-pg", Category: session.CategoryDatabase}, 2*time.Hour, paths["db2"])
	f.addSession(t, session.Session{ID: "srv", UserEmail: "ops@example.com", ResourceName: "web-01", Category: session.CategoryServer}, 3*time.Hour, paths["srv"])
	f.addSession(t, session.Session{ID: "db3", UserEmail: "bob@example.com", ResourceName: "prod-pg", Category: session.CategoryDatabase}, 4*time.Hour, "")
	return f, paths
}

// queryList writes a rule's violations as "count[session@offset,…]".
func queryList(res report.Result) string {
	var out []string
	for _, v := range res.Violations {
		var qs []string
		for _, x := range v.Queries {
			qs = append(qs, x.SessionID+"@"+strings.TrimSuffix(strings.TrimSuffix(time.Duration(x.Offset*float64(time.Second)).String(), "0s"), "s"))
		}
		out = append(out, strings.Join(qs, ","))
	}
	return strings.Join(out, " ")
}

func TestQueriesRules(t *testing.T) {
	f, _ := queriesFixture(t)
	r := f.mustRun(t, `
  - id: blocked
    queries: {status: blocked}
    condition: none
  - id: blocked-excused
    queries: {category: database, status: blocked}
    condition: none
    exceptions:
      - {statement: drop table scratch_, resource: 'staging-*', reason: clean-up job}
      - {statement: drop table audit_log, reason: long gone, until: 2026-11-01}
  - id: blocked-in-window
    queries: {status: blocked}
    condition: none
    schedule:
      - {days: [tue], from: "01:00", to: "01:01"}
  - id: max-3
    queries: {status: blocked}
    condition: {max: 3}
  - id: max-2
    queries: {status: blocked}
    condition: {max: 2}
  - id: errors
    queries: {status: error}
    condition: none
  - id: ok-and-error
    queries: {status: [ok, error]}
    condition: none
  - id: statement-regexp
    queries: {statement: '/^drop\s+table\s+audit/'}
    condition: none
  - id: by-user
    queries: {user: 'ana*'}
    condition: none
  - id: terminated-only
    queries: {session_status: terminated}
    condition: none
`)
	got := map[string]report.Result{}
	for _, res := range r.Rules {
		got[res.ID] = res
		if res.Error != "" {
			t.Errorf("%s: %s", res.ID, res.Error)
		}
	}
	for id, want := range map[string]string{
		"blocked":           "db1@5,db1@12,db2@3",
		"blocked-excused":   "db1@5,db1@12",
		"blocked-in-window": "db2@3", // db1's at 01:00:05 and 01:00:12 are in the window
		"max-3":             "",
		"max-2":             "db1@5,db1@12,db2@3",
		"errors":            "db1@9",
		"ok-and-error":      "db1@1,db1@9",
		"statement-regexp":  "db1@5",
		"by-user":           "db2@3",
		"terminated-only":   "",
	} {
		if g := queryList(got[id]); g != want {
			t.Errorf("%s: %s, want %s", id, g, want)
		}
	}
	v := got["blocked"].Violations[0]
	if v.Message != "3 matching queries (none allowed)" || v.Count != 3 || !v.First.Equal(t0.Add(time.Hour+5*time.Second)) || !v.Last.Equal(t0.Add(2*time.Hour+3*time.Second)) {
		t.Errorf("blocked: %+v", v)
	}
	if x := v.Queries[0]; x.User != "felix@example.com" || x.Resource != "prod-pg" || x.Status != "blocked" || x.Statement != "DROP TABLE audit_log;" ||
		x.Message != "blocked by rule DROP TABLE" || !x.Time.Equal(t0.Add(time.Hour+5*time.Second)) || x.Offset != 5 {
		t.Errorf("query %+v", x)
	}
	if m := got["max-2"].Violations[0].Message; m != "3 matching queries, more than the 2 allowed" {
		t.Errorf("max-2: %s", m)
	}
	if m := got["blocked-in-window"].Violations[0].Message; !strings.Contains(m, "1 matching query (none allowed) outside the allowed windows (Tue 01:00-01:01 UTC)") {
		t.Errorf("schedule: %s", m)
	}
	// The session without a recording is named; the expired exception too.
	if n := got["blocked"].Notes; len(n) != 1 || n[0] != "1 matching session has no recording, so no query history to check: db3" {
		t.Errorf("notes: %q", n)
	}
	if n := strings.Join(got["blocked-excused"].Notes, "\n"); !strings.Contains(n, "(long gone) expired at 2026-11-02T00:00:00Z: ignored") {
		t.Errorf("expired exception: %q", n)
	}
	if r.Err() != report.ErrViolations {
		t.Errorf("exit decision: %v", r.Err())
	}
}

// TestQueriesRuleEvidence: a recording changed since it was registered,
// missing or damaged makes the rule an error (exit 3) naming the session;
// the other rules are still reported.
func TestQueriesRuleEvidence(t *testing.T) {
	const rules = `
  - id: blocked
    queries: {status: blocked}
    condition: none
  - id: logins
    events: {query: 'action:Login'}
    condition: none
`
	for _, c := range []struct {
		name   string
		damage func(t *testing.T, paths map[string]string)
		want   []string
		found  string // the violations still reported
	}{
		{"modified", func(t *testing.T, paths map[string]string) {
			writeRecording(t, paths["db2"], []q{{3, "SELECT 1;", "SELECT 1"}}) // the blocked statement erased
		}, []string{"the recording %db2% of session db2 was modified after it was registered: SHA-256 ", ", registered "}, "db1@5,db1@12"},
		{"missing", func(t *testing.T, paths map[string]string) {
			os.Remove(paths["db2"])
		}, []string{"session db2: its recording %db2% is missing"}, "db1@5,db1@12"},
		{"damaged", func(t *testing.T, paths map[string]string) {
			// Registered damaged: the hash matches, the evidence is not whole.
			writeRecording(t, paths["db2"], nil, `[1.0, "q", "{\"query\": 42}"]`, `[2.0, "q", "{\"query\": \"DROP TABLE t;\", \"message\": \"blocked by rule DROP\"}"]`)
		}, []string{"session db2: damaged recording: %db2%:2: field \"data.query\""}, "db1@5,db1@12,db2@3"}, // (v3 times are intervals),
	} {
		t.Run(c.name, func(t *testing.T) {
			f, paths := queriesFixture(t)
			f.add(t, time.Hour, "Login", "a", "", audit.StatusSuccess)
			c.damage(t, paths)
			if c.name == "damaged" { // registered as it is now
				sum, _ := recording.FileSHA256(paths["db2"])
				s, _ := f.db.FindSession(context.Background(), "db2")
				s.RecordingSHA256 = sum
				if err := f.db.UpdateSession(context.Background(), s); err != nil {
					t.Fatal(err)
				}
			}
			r := f.mustRun(t, rules)
			var res report.Result
			for _, x := range r.Rules {
				if x.ID == "blocked" {
					res = x
				}
				if x.ID == "logins" && x.Status != report.StatusFail {
					t.Errorf("the events rule: %s", x.Status)
				}
			}
			if res.Status != report.StatusError {
				t.Fatalf("status %s, error %q", res.Status, res.Error)
			}
			for _, w := range c.want {
				w = strings.ReplaceAll(w, "%db2%", paths["db2"])
				if !strings.Contains(res.Error, w) {
					t.Errorf("error %q lacks %q", res.Error, w)
				}
			}
			// What the readable recordings hold is still reported.
			if queryList(res) != c.found {
				t.Errorf("violations %s", queryList(res))
			}
			if err := r.Err(); audit.ExitCode(err) != 3 || !strings.Contains(err.Error(), "blocked") {
				t.Errorf("exit decision: %v (exit %d)", err, audit.ExitCode(err))
			}
		})
	}
}

// TestQueriesRuleActiveSession: a session still being recorded has no
// hash yet: its recording is read as far as it is written (a last line
// cut mid-write is no error), and a note says it is unverified.
func TestQueriesRuleActiveSession(t *testing.T) {
	f := newFixture(t)
	path := filepath.Join(t.TempDir(), "live.rec")
	writeRecording(t, path, []q{{2, "TRUNCATE orders;", "blocked by rule TRUNCATE"}})
	b, _ := os.ReadFile(path)
	os.WriteFile(path, append(b, `[3.0, "o", "db=`...), 0o600) // the recorder is mid-write
	f.addSession(t, session.Session{ID: "live", Category: session.CategoryDatabase, Status: session.StatusActive}, time.Hour, path)
	r := f.mustRun(t, "  - {id: blocked, queries: {status: blocked}, condition: none}\n")
	res := r.Rules[0]
	if res.Error != "" || queryList(res) != "live@2" || len(res.Notes) != 1 || !strings.Contains(res.Notes[0], "1 recording has no registered SHA-256 yet (still being recorded, or never completed): read as found, unverified: live") {
		t.Errorf("%+v", res)
	}
}

// TestQueriesRuleWithoutSessionStore: without a session store (--remote,
// no cache) a queries rule is an error with the cause's code: exit 5 for
// a missing cache, 3 otherwise; events rules still run.
func TestQueriesRuleWithoutSessionStore(t *testing.T) {
	f := newFixture(t)
	f.add(t, time.Hour, "Login", "a", "", audit.StatusSuccess)
	p, err := Parse("p.yaml", []byte("rules:\n  - {id: blocked, queries: {status: blocked}, condition: none}\n  - {id: unrecorded, sessions: {has_recording: no}, condition: none}\n  - {id: logins, events: {query: 'action:Login'}, condition: {max: 5}}\n"))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		cause error
		exit  int
		want  string
	}{
		{audit.Errorf(audit.ELOCAL, "no cache at /x/audit.db; sessions and queries rules still read the local cache"), 5, "no cache at /x/audit.db"},
		{nil, 3, "need the local cache"},
	} {
		ev := &Evaluator{Events: f.db, NoSessions: c.cause, Now: t0.Add(7 * 24 * time.Hour), Since: t0}
		r, err := ev.Run(context.Background(), p)
		if err != nil {
			t.Fatal(err)
		}
		r.Finish(report.SeverityInfo)
		if s := r.Summary; s.Errors != 2 || s.Passed != 1 {
			t.Errorf("summary %+v", s)
		}
		for _, res := range r.Rules[:2] {
			if !strings.Contains(res.Error, c.want) {
				t.Errorf("%s: %q", res.ID, res.Error)
			}
		}
		err = r.Err()
		if audit.ExitCode(err) != c.exit || !strings.Contains(err.Error(), "2 of 3 rules could not be evaluated: blocked, unrecorded (") || !strings.Contains(err.Error(), c.want) {
			t.Errorf("exit decision: %v (exit %d), want %d", err, audit.ExitCode(err), c.exit)
		}
	}
}
