package policy

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/recording"
	"github.com/auditctl/auditctl/pkg/report"
	"github.com/auditctl/auditctl/pkg/sqllex"
)

func TestParseEveryCondition(t *testing.T) {
	src := `rules:
  - id: none-rule
    title: None
    severity: critical
    description: d
    events:
      query: 'action:DeleteUser -status:failure'
    condition: none
    schedule:
      - days: [tue, Thursday]
        from: "18:00"
        to: "20:00"
        tz: Europe/Berlin
      - from: "23:00"
        to: "01:00"
    exceptions:
      - query: actor:svc
        until: 2027-01-01
        reason: ticket 1
  - id: max-rule
    events: {}
    condition: {max: 3}
  - id: threshold-rule
    events: {query: 'status:failure'}
    condition: {threshold: 5, group_by: [actor, ip], window: 10m}
  - id: require-rule
    events: {query: 'action:Backup'}
    condition: {require: 2, every: 24h}
  - id: require-plain
    events: {query: 'action:Backup'}
    condition: require
  - id: sequence-rule
    events: {query: 'service:directory'}
    condition:
      sequence:
        - {query: 'status:failure', count: 5}
        - query: 'status:success'
      group_by: ip
      window: 1h
  - id: sessions-rule
    sessions:
      category: [server, database]
      min_duration: "04:00"
      has_recording: no
      user: alice
    condition: {max: 0}
  - id: queries-rule
    queries:
      category: database
      session_status: [completed, terminated]
      status: [blocked, ERROR]
      statement: /^drop\s/
    condition: {max: 2}
    schedule:
      - {from: "01:00", to: "02:00"}
    exceptions:
      - statement: drop  table scratch
        user: [felix*, ops@example.com]
        reason: clean-up job
  - id: every-query
    queries:
    condition: none
`
	p, err := Parse("p.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Rules) != 9 {
		t.Fatalf("%d rules", len(p.Rules))
	}
	r := p.Rules[0]
	if r.ID != "none-rule" || r.Severity != report.SeverityCritical || r.Line != 2 || r.File != "p.yaml" || r.Condition.Kind != KindNone || len(r.Schedule) != 2 || len(r.Exceptions) != 1 {
		t.Errorf("rule 0: %+v", r)
	}
	if x := r.Exceptions[0]; !x.Until.Equal(time.Date(2027, 1, 2, 0, 0, 0, 0, time.UTC)) || x.Reason != "ticket 1" || x.Line != 17 {
		t.Errorf("exception %+v (a date's whole day is covered)", x)
	}
	if w := r.Schedule[0]; w.From != 18*60 || w.To != 20*60 || len(w.Days) != 2 || w.Days[1] != time.Thursday || w.Location.String() != "Europe/Berlin" {
		t.Errorf("window %+v", w)
	}
	if c := p.Rules[1]; c.Condition.Kind != KindMax || c.Condition.N != 3 || !c.Events || c.Query != "" || c.Severity != report.SeverityMedium || c.Title != "max-rule" {
		t.Errorf("max: %+v", c)
	}
	if c := p.Rules[2].Condition; c.Kind != KindThreshold || c.N != 5 || c.Window != 10*time.Minute || len(c.GroupBy) != 2 || c.GroupBy[1] != audit.FieldIP {
		t.Errorf("threshold: %+v", c)
	}
	if c := p.Rules[3].Condition; c.Kind != KindRequire || c.N != 2 || c.Every != 24*time.Hour {
		t.Errorf("require: %+v", c)
	}
	if c := p.Rules[4].Condition; c.Kind != KindRequire || c.N != 1 || c.Every != 0 {
		t.Errorf("require: %+v", c)
	}
	if c := p.Rules[5].Condition; c.Kind != KindSequence || len(c.Steps) != 2 || c.Steps[0].Count != 5 || c.Steps[1].Count != 1 || c.Window != time.Hour {
		t.Errorf("sequence: %+v", c)
	}
	if s := p.Rules[6].Sessions; s == nil || len(s.Category) != 2 || s.MinDuration != 4*time.Hour || s.HasRecording == nil || *s.HasRecording || s.Users[0] != "alice" {
		t.Errorf("sessions: %+v", s)
	}
	r = p.Rules[7]
	q := r.Queries
	if q == nil || r.Events || r.Sessions != nil || r.Condition.Kind != KindMax || r.Condition.N != 2 || len(r.Schedule) != 1 ||
		len(q.Sessions.Category) != 1 || len(q.Sessions.Status) != 2 || q.Sessions.Status[1] != "terminated" ||
		strings.Join(q.Status, ",") != "blocked,error" || q.Statement != `/^drop\s/` || q.statement == nil {
		t.Errorf("queries: %+v %+v", r, q)
	}
	if x := r.Exceptions[0]; x.Query != "" || x.Queries == nil || len(x.Queries.Sessions.Users) != 2 || x.Queries.Statement != "drop  table scratch" || x.Reason != "clean-up job" {
		t.Errorf("queries exception: %+v", x)
	}
	if q := p.Rules[8].Queries; q == nil || len(q.Status) != 0 || q.statement != nil {
		t.Errorf("queries alone: %+v", q)
	}
}

// TestQueryFilterMatch: status and statement, the statement in the
// normal form of the session's client, as the recorder's deny rules.
func TestQueryFilterMatch(t *testing.T) {
	p, err := Parse("p.yaml", []byte(`rules:
  - {id: a, queries: {status: blocked, statement: drop table}, condition: none}
  - {id: b, queries: {statement: '/^\s*truncate\b/'}, condition: none}
`))
	if err != nil {
		t.Fatal(err)
	}
	a, b := p.Rules[0].Queries, p.Rules[1].Queries
	q := func(stmt, status string) recording.QueryEvent {
		return recording.QueryEvent{Query: recording.Query{Query: stmt}, Status: status}
	}
	for _, c := range []struct {
		f    *QueryFilter
		q    recording.QueryEvent
		want bool
	}{
		{a, q("DROP TABLE t;", "blocked"), true},
		{a, q("DROP TABLE t;", "ok"), false},
		{a, q("DrOp/**/\n\tTaBlE t;", "blocked"), true},
		{a, q("drop -- hidden\n table t;", "blocked"), true},
		{a, q("DROP INDEX i;", "blocked"), false},
		{b, q("  TRUNCATE orders;", "ok"), true},
		{b, q("select 'truncate';", "error"), false},
	} {
		if got := c.f.Match(sqllex.Postgres, c.q); got != c.want {
			t.Errorf("%+v matches %q (%s): %v", c.f, c.q.Query.Query, c.q.Status, got)
		}
	}
}

func TestWindowContains(t *testing.T) {
	tue := Window{Days: []time.Weekday{time.Tuesday}, From: 18 * 60, To: 20 * 60, Location: time.UTC}
	night := Window{Days: []time.Weekday{time.Friday}, From: 23 * 60, To: 60, Location: time.UTC}
	berlin, _ := time.LoadLocation("Europe/Berlin")
	tueBerlin := Window{Days: []time.Weekday{time.Tuesday}, From: 18 * 60, To: 20 * 60, Location: berlin}
	at := func(s string) time.Time { t, _ := time.Parse(time.RFC3339, s); return t }
	for _, c := range []struct {
		w    Window
		t    string
		want bool
	}{
		{tue, "2026-11-03T18:00:00Z", true}, // a Tuesday
		{tue, "2026-11-03T19:59:59Z", true},
		{tue, "2026-11-03T20:00:00Z", false},
		{tue, "2026-11-03T17:59:59Z", false},
		{tue, "2026-11-04T18:30:00Z", false},  // Wednesday
		{night, "2026-11-06T23:30:00Z", true}, // Friday night
		{night, "2026-11-07T00:30:00Z", true}, // after midnight: still Friday's window
		{night, "2026-11-07T01:00:00Z", false},
		{night, "2026-11-07T23:30:00Z", false},    // Saturday night
		{tueBerlin, "2026-11-03T17:30:00Z", true}, // 18:30 in Berlin (CET)
		{tueBerlin, "2026-11-03T19:30:00Z", false},
	} {
		if got := c.w.Contains(at(c.t)); got != c.want {
			t.Errorf("%s contains %s: %v, want %v", c.w, c.t, got, c.want)
		}
	}
}

// TestParseErrors: every mistake is exit 2 with file:line:column and what
// was expected.
func TestParseErrors(t *testing.T) {
	for _, c := range []struct{ src, want string }{
		{"", "p.yaml: empty policy"},
		{"rules: [", "p.yaml:1: not valid YAML"},
		{"- a\n- b\n", "p.yaml:1:1: want a mapping with a list of rules under \"rules\""},
		{"rule:\n  - id: x\n", `p.yaml:1:1: the policy: unknown key "rule" (want one of: rules)`},
		{"rules: []\n", "p.yaml:1:8: rules: want a list of rules"},
		{"rules:\n  - id: x\n    condition: none\n    events: {}\n    sevrity: high\n", `p.yaml:5:5: rules[0]: unknown key "sevrity" (want one of: condition, description, events, exceptions, id, queries, schedule, sessions, severity, title)`},
		{"rules:\n  - id: x\n    events: {}\n", `p.yaml:2:5: rules[0]: missing "condition"`},
		{"rules:\n  - condition: none\n    events: {}\n", `p.yaml:2:5: rules[0]: missing "id"`},
		{"rules:\n  - id: a b\n    condition: none\n    events: {}\n", `p.yaml:2:9: rules[0].id: "a b": want letters`},
		{"rules:\n  - id: x\n    condition: none\n", `p.yaml:2:5: rules[0] (x): want exactly one of "events", "sessions" and "queries"`},
		{"rules:\n  - id: x\n    condition: none\n    events: {}\n    queries: {}\n", `p.yaml:2:5: rules[0] (x): want exactly one of "events", "sessions" and "queries"`},
		{"rules:\n  - id: x\n    severity: urgent\n    condition: none\n    events: {}\n", `p.yaml:3:15: rules[0].severity: "urgent": want one of info, low, medium, high, critical`},
		{"rules:\n  - id: x\n    condition: nothing\n    events: {}\n", `p.yaml:3:16: rules[0].condition: "nothing": want none, {max: N}`},
		{"rules:\n  - id: x\n    condition: {max: -1}\n    events: {}\n", `p.yaml:3:22: rules[0].condition.max: want a whole number >= 0, got "-1"`},
		{"rules:\n  - id: x\n    condition: {max: 1, threshold: 2}\n    events: {}\n", "p.yaml:3:16: rules[0].condition: want exactly one of max, threshold, require and sequence"},
		{"rules:\n  - id: x\n    condition: {threshold: 2, window: 1h}\n    events: {}\n", `p.yaml:3:16: rules[0].condition: threshold needs "group_by"`},
		{"rules:\n  - id: x\n    condition: {threshold: 2, group_by: actor, window: soon}\n    events: {}\n", `p.yaml:3:56: rules[0].condition.window: want a duration such as 10m`},
		{"rules:\n  - id: x\n    condition: {threshold: 2, group_by: colour, window: 1h}\n    events: {}\n", `p.yaml:3:41: rules[0].condition.group_by: "colour": want one of source, service`},
		{"rules:\n  - id: x\n    condition: {max: 2, window: 1h}\n    events: {}\n", `p.yaml:3:33: rules[0].condition: "window" does not apply to max`},
		{"rules:\n  - id: x\n    condition: {sequence: [{query: a}], group_by: ip, window: 1h}\n    events: {}\n", "p.yaml:3:27: rules[0].condition.sequence: want a list of at least two steps"},
		{"rules:\n  - id: x\n    condition: none\n    events:\n      query: 'action:DeleteUser status:maybe'\n", `p.yaml:5:40: rules[0].events.query: unknown status "maybe"`},
		{"rules:\n  - id: x\n    condition: none\n    events:\n      query: 'action:DeleteUser time:>=yesterday-ish'\n", `p.yaml:5:40: rules[0].events.query: invalid time "yesterday-ish"`},
		{"rules:\n  - id: x\n    condition: none\n    events:\n      query: 'action:DeleteUser'\n      quey: x\n", `p.yaml:6:7: rules[0].events: unknown key "quey" (want one of: query)`},
		{"rules:\n  - id: x\n    condition: none\n    events: {}\n    exceptions:\n      - query: actor:a\n        until: 2027-01-01\n", `p.yaml:6:9: rules[0].exceptions[0]: missing "reason"`},
		{"rules:\n  - id: x\n    condition: none\n    events: {}\n    exceptions:\n      - query: actor:a\n        until: next year\n        reason: r\n", `p.yaml:7:16: rules[0].exceptions[0].until: "next year": want a date`},
		{"rules:\n  - id: x\n    condition: none\n    events: {}\n    schedule:\n      - from: \"25:00\"\n        to: \"20:00\"\n", `p.yaml:6:15: rules[0].schedule[0].from: "25:00": want a time of day, "HH:MM" (quoted`},
		{"rules:\n  - id: x\n    condition: none\n    events: {}\n    schedule:\n      - days: [someday]\n        from: \"18:00\"\n        to: \"20:00\"\n", `p.yaml:6:15: rules[0].schedule[0].days: "someday": want mon`},
		{"rules:\n  - id: x\n    condition: none\n    events: {}\n    schedule:\n      - from: \"18:00\"\n        to: \"20:00\"\n        tz: Mars/Olympus\n", `p.yaml:8:13: rules[0].schedule[0].tz: "Mars/Olympus": want a time zone name`},
		{"rules:\n  - id: x\n    condition: {threshold: 1, group_by: actor, window: 1h}\n    sessions: {user: a}\n", "p.yaml:3:16: rules[0].condition: a sessions rule takes none, max or require"},
		{"rules:\n  - id: x\n    condition: none\n    sessions: {colour: red}\n", `p.yaml:4:16: rules[0].sessions: unknown key "colour" (want one of: category, connected_from, connector, has_recording, max_duration, min_duration, protocol, resource, resource_id, search, server_os, session_id, status, user)`},
		{"rules:\n  - id: x\n    condition: none\n    sessions: {min_duration: forever}\n", `p.yaml:4:30: rules[0].sessions.min_duration: "forever": want "HH:MM"`},
		{"rules:\n  - id: x\n    condition: none\n    sessions: {user: a}\n    exceptions:\n      - {query: 'actor:a', reason: r}\n", "p.yaml:6:7: rules[0].exceptions: exceptions excuse events or queries; narrow a sessions rule with its filters"},
		{"rules:\n  - id: x\n    condition: none\n    sessions: {user: a}\n    schedule:\n      - {from: \"01:00\", to: \"02:00\"}\n", "p.yaml:3:16: rules[0].condition: a schedule excuses events or queries by their time"},
		// queries rules
		{"rules:\n  - id: x\n    condition: {threshold: 1, group_by: actor, window: 1h}\n    queries: {status: blocked}\n", "p.yaml:3:16: rules[0].condition: a queries rule takes none or max"},
		{"rules:\n  - id: x\n    condition: require\n    queries: {status: blocked}\n", "p.yaml:3:16: rules[0].condition: a queries rule takes none or max"},
		{"rules:\n  - id: x\n    condition: none\n    queries: {status: refused}\n", `p.yaml:4:23: rules[0].queries.status: "refused": want blocked, error or ok (the status of a query; session_status is the session's)`},
		{"rules:\n  - id: x\n    condition: none\n    queries: {session_status: blocked}\n", `p.yaml:4:31: rules[0].queries.session_status: "blocked": want active, completed, terminated or stale`},
		{"rules:\n  - id: x\n    condition: none\n    queries: {statement: '/drop (table/'}\n", `p.yaml:4:26: rules[0].queries.statement: "/drop (table/": error parsing regexp`},
		{"rules:\n  - id: x\n    condition: none\n    queries: {statement: '-- nothing'}\n", `p.yaml:4:26: rules[0].queries.statement: "-- nothing": nothing but comments`},
		{"rules:\n  - id: x\n    condition: none\n    queries: {statment: drop}\n", `p.yaml:4:15: rules[0].queries: unknown key "statment" (want one of: category, connected_from, connector, has_recording, max_duration, min_duration, protocol, resource, resource_id, search, server_os, session_id, session_status, statement, status, user)`},
		{"rules:\n  - id: x\n    condition: none\n    queries: {min_duration: 2h, max_duration: 1h}\n", "p.yaml:4:14: rules[0].queries: min_duration is longer than max_duration"},
		{"rules:\n  - id: x\n    condition: none\n    queries: {status: blocked}\n    exceptions:\n      - {query: 'actor:a', reason: r}\n", `p.yaml:6:10: rules[0].exceptions[0]: unknown key "query" (want one of: category`},
		{"rules:\n  - id: x\n    condition: none\n    queries: {status: blocked}\n    exceptions:\n      - {until: 2027-01-01, reason: r}\n", "p.yaml:6:9: rules[0].exceptions[0]: say which queries it excuses (one or more of: category, connected_from"},
		{"rules:\n  - id: x\n    condition: none\n    queries: {status: blocked}\n    exceptions:\n      - {user: a}\n", `p.yaml:6:9: rules[0].exceptions[0]: missing "reason"`},
		{"rules:\n  - id: x\n    condition: none\n    queries: {status: blocked}\n    exceptions: {user: a}\n", "p.yaml:5:17: rules[0].exceptions: want a list of exceptions (- statement: …, user: …, until: …, reason: …)"},
		{"rules:\n  - id: x\n    condition: require\n    events: {}\n    schedule:\n      - {from: \"01:00\", to: \"02:00\"}\n", "p.yaml:3:16: rules[0].condition: require takes no exceptions or schedule"},
		{"rules:\n  - id: x\n    condition: none\n    events: {}\n  - id: x\n    condition: none\n    events: {}\n", `p.yaml:5:5: rule id "x" is already used at line 2`},
		{"rules:\n  - id: x\n    id: y\n    condition: none\n    events: {}\n", `p.yaml:3:5: rules[0]: key "id" given twice`},
		{"rules:\n  - id: x\n    condition: none\n    events: {}\n---\nrules: []\n", "p.yaml:5:1: a second YAML document"},
	} {
		_, err := Parse("p.yaml", []byte(c.src))
		if err == nil {
			t.Errorf("%q: no error, want %s", c.src, c.want)
			continue
		}
		if !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("%q:\n got %s\nwant %s…", c.src, err, c.want)
		}
		if audit.ExitCode(err) != 2 {
			t.Errorf("%q: exit %d, want 2", c.src, audit.ExitCode(err))
		}
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "a.yaml")
	b := filepath.Join(dir, "b.yaml")
	os.WriteFile(a, []byte("rules:\n  - id: x\n    condition: none\n    events: {}\n"), 0o644)
	os.WriteFile(b, []byte("rules:\n  - id: y\n    condition: none\n    events: {}\n  - id: x\n    condition: none\n    events: {}\n"), 0o644)
	if _, err := Load(a); err != nil {
		t.Fatal(err)
	}
	_, err := Load(a, b)
	if err == nil || err.Error() != b+`:5:5: rule id "x" is already used at `+a+":2:5" || audit.ExitCode(err) != 2 {
		t.Errorf("duplicate across files: %v", err)
	}
	_, err = Load(filepath.Join(dir, "missing.yaml"))
	if err == nil || !strings.Contains(err.Error(), "missing.yaml: no such file") || audit.ExitCode(err) != 2 {
		t.Errorf("missing: %v", err)
	}
}

// FuzzParse: any input gives a policy or an *Error (exit 2) naming the
// file, never a panic; a parsed policy's rules are complete.
func FuzzParse(f *testing.F) {
	for _, name := range []string{"change-management.yaml", "authentication.yaml", "sessions.yaml", "cloud.yaml"} {
		if b, err := os.ReadFile(filepath.Join("..", "..", "docs", "examples", "policies", name)); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := Parse("f.yaml", b)
		if err != nil {
			if audit.ExitCode(err) != 2 || !strings.HasPrefix(err.Error(), "f.yaml") {
				t.Fatalf("error %v (exit %d)", err, audit.ExitCode(err))
			}
			return
		}
		for _, r := range p.Rules {
			if r.ID == "" || r.Condition.Kind == "" || btoi(r.Events)+btoi(r.Sessions != nil)+btoi(r.Queries != nil) != 1 || r.Line < 1 {
				t.Fatalf("incomplete rule %+v", r)
			}
			for _, x := range r.Exceptions {
				if (r.Queries != nil) != (x.Queries != nil) || (x.Query == "") == (x.Queries == nil) || x.Reason == "" {
					t.Fatalf("exception of the wrong kind %+v in %+v", x, r)
				}
			}
			if q := r.Queries; q != nil && (q.Statement == "") != (q.statement == nil) {
				t.Fatalf("statement not compiled: %+v", q)
			}
		}
	})
}

// TestDocsPolicySnippets: every policy snippet of docs/compliance.md (a
// yaml block holding rules) parses as written.
func TestDocsPolicySnippets(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "docs", "compliance.md"))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, block := range strings.Split(string(b), "```yaml\n")[1:] {
		src, _, _ := strings.Cut(block, "```")
		if !strings.Contains(src, "- id:") {
			continue // a CI snippet
		}
		if !strings.HasPrefix(src, "rules:") {
			src = "rules:\n" + src
		}
		n++
		if _, err := Parse("compliance.md", []byte(src)); err != nil {
			t.Errorf("%v\n%s", err, src)
		}
	}
	if n < 2 {
		t.Errorf("%d policy snippets in docs/compliance.md", n)
	}
}
