package policy

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/report"
	"github.com/auditctl/auditctl/pkg/session"
	"github.com/auditctl/auditctl/pkg/store/sqlite"
)

type events []*audit.Event

func (e *events) Next() (*audit.Event, error) {
	if len(*e) == 0 {
		return nil, io.EOF
	}
	ev := (*e)[0]
	*e = (*e)[1:]
	return ev, nil
}

// t0 is a Tuesday.
var t0 = time.Date(2026, 11, 3, 0, 0, 0, 0, time.UTC)

type fixture struct {
	db *sqlite.DB
	n  int
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "audit.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return &fixture{db: db}
}

// add stores an event at t0+at.
func (f *fixture) add(t *testing.T, at time.Duration, action, actor, ip string, st audit.Status) {
	t.Helper()
	f.n++
	evs := events{{ID: fmt.Sprintf("e%03d", f.n), Time: t0.Add(at), Source: "test", Service: "directory", Action: action, Actor: actor, Target: "t-" + actor, IP: ip, Status: st}}
	if _, err := f.db.Import(context.Background(), &evs, sqlite.ImportOptions{Name: "test"}); err != nil {
		t.Fatal(err)
	}
}

// run evaluates the rules (YAML under "rules:") over t0 .. t0+7d, now
// at t0+7d.
func (f *fixture) run(t *testing.T, rules string) (*report.Report, error) {
	t.Helper()
	p, err := Parse("p.yaml", []byte("rules:\n"+rules))
	if err != nil {
		t.Fatal(err)
	}
	ev := &Evaluator{Events: f.db, Sessions: f.db, Now: t0.Add(7 * 24 * time.Hour), Since: t0, MaxEvents: 3}
	r, err := ev.Run(context.Background(), p)
	if r != nil {
		r.Finish(report.SeverityInfo)
	}
	return r, err
}

func (f *fixture) mustRun(t *testing.T, rules string) *report.Report {
	t.Helper()
	r, err := f.run(t, rules)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func violations(r report.Result) string {
	var s []string
	for _, v := range r.Violations {
		var ids []string
		for _, e := range v.Events {
			ids = append(ids, e.ID)
		}
		s = append(s, fmt.Sprintf("%s[%d:%s]", v.Group, v.Count, strings.Join(ids, ",")))
	}
	return strings.Join(s, " ")
}

func TestNoneAndMax(t *testing.T) {
	f := newFixture(t)
	h := time.Hour
	f.add(t, 1*h, "DeleteUser", "alice", "10.0.0.1", audit.StatusSuccess)
	f.add(t, 2*h, "DeleteUser", "bob", "10.0.0.2", audit.StatusFailure)
	f.add(t, 3*h, "DeleteUser", "carol", "10.0.0.3", audit.StatusSuccess)
	f.add(t, 4*h, "Login", "alice", "10.0.0.1", audit.StatusSuccess)
	r := f.mustRun(t, `
  - id: none
    events: {query: 'action:DeleteUser status:success'}
    condition: none
  - id: max-ok
    events: {query: 'action:DeleteUser'}
    condition: {max: 3}
  - id: max-over
    events: {query: 'action:DeleteUser'}
    condition: {max: 2}
  - id: none-clean
    events: {query: 'action:CreateUser'}
    condition: none
`)
	got := map[string]report.Result{}
	for _, res := range r.Rules {
		got[res.ID] = res
	}
	if v := violations(got["none"]); v != "[2:e001,e003]" {
		t.Errorf("none: %s", v)
	}
	if vs := got["none"].Violations; vs[0].First != t0.Add(h) || vs[0].Last != t0.Add(3*h) || vs[0].Message != "2 matching events (none allowed)" {
		t.Errorf("none: %+v", vs[0])
	}
	if got["max-ok"].Status != report.StatusPass || got["none-clean"].Status != report.StatusPass {
		t.Error("max-ok and none-clean must pass")
	}
	if v := got["max-over"].Violations; len(v) != 1 || v[0].Count != 3 || v[0].Message != "3 matching events, more than the 2 allowed" {
		t.Errorf("max-over: %+v", v)
	}
	if err := r.Err(); err != report.ErrViolations {
		t.Errorf("Err: %v", err)
	}
}

func TestExceptionsAndSchedule(t *testing.T) {
	f := newFixture(t)
	h := time.Hour
	f.add(t, 18*h+30*time.Minute, "DeleteUser", "alice", "", audit.StatusSuccess) // Tue 18:30: in the window
	f.add(t, 21*h, "DeleteUser", "alice", "", audit.StatusSuccess)                // Tue 21:00: outside
	f.add(t, 24*h+19*h, "DeleteUser", "bob", "", audit.StatusSuccess)             // Wed 19:00: outside
	f.add(t, 30*h, "DeleteUser", "svc-offboard", "", audit.StatusSuccess)         // excused
	f.add(t, 31*h, "DeleteUser", "legacy", "", audit.StatusSuccess)               // its exception expired
	r := f.mustRun(t, `
  - id: window
    events: {query: 'action:DeleteUser'}
    condition: none
    schedule:
      - {days: [tue], from: "18:00", to: "20:00", tz: UTC}
    exceptions:
      - {query: 'actor:svc-*', until: 2027-01-01, reason: offboarding job}
      - {query: 'actor:legacy', until: 2026-11-05, reason: old sync}
`)
	res := r.Rules[0]
	if v := violations(res); v != "[3:e002,e005,e003]" {
		t.Errorf("violations %s, want alice at 21:00, legacy, bob", v)
	}
	if len(res.Notes) != 1 || !strings.Contains(res.Notes[0], "(old sync) expired at 2026-11-06T00:00:00Z: ignored") {
		t.Errorf("notes %q", res.Notes)
	}
	if !strings.Contains(res.Violations[0].Message, "outside the allowed windows (Tue 18:00-20:00 UTC)") {
		t.Errorf("message %q", res.Violations[0].Message)
	}
	// max with exceptions counts only what is not excused.
	r = f.mustRun(t, `
  - id: max
    events: {query: 'action:DeleteUser'}
    condition: {max: 3}
    exceptions:
      - {query: 'actor:svc-*', reason: offboarding job}
      - {query: 'actor:bob', reason: bob}
`)
	if r.Rules[0].Status != report.StatusPass {
		t.Errorf("max 3 of 3 unexcused: %s", violations(r.Rules[0]))
	}
}

func TestThresholdSlidingWindow(t *testing.T) {
	f := newFixture(t)
	m := time.Minute
	// alice: 3 failures within 4 minutes, then 3 more 30 minutes later (two bursts).
	for _, at := range []time.Duration{0, 2 * m, 4 * m, 34 * m, 35 * m, 36 * m} {
		f.add(t, at, "Login", "alice", "10.0.0.1", audit.StatusFailure)
	}
	// bob: 3 failures but 6 minutes apart: never more than 2 in 10 minutes.
	for _, at := range []time.Duration{0, 6 * m, 12 * m} {
		f.add(t, at, "Login", "bob", "10.0.0.2", audit.StatusFailure)
	}
	// carol: 4 in 5 minutes, one a success (not counted).
	for i, at := range []time.Duration{60 * m, 61 * m, 62 * m, 63 * m} {
		st := audit.StatusFailure
		if i == 1 {
			st = audit.StatusSuccess
		}
		f.add(t, at, "Login", "carol", "10.0.0.3", st)
	}
	rules := `
  - id: burst
    events: {query: 'action:Login status:failure'}
    condition: {threshold: 2, group_by: actor, window: 10m}
`
	r := f.mustRun(t, rules)
	res := r.Rules[0]
	if v := violations(res); v != "actor=alice[3:e001,e002,e003] actor=alice[3:e004,e005,e006] actor=carol[3:e010,e012,e013]" {
		t.Errorf("bursts: %s", v)
	}
	v := res.Violations[0]
	if v.First != t0 || v.Last != t0.Add(4*m) || v.Message != "actor=alice: 3 matching events within 10m (more than 2), 2026-11-03T00:00:00Z .. 2026-11-03T00:04:00Z" {
		t.Errorf("first burst %+v", v)
	}
	// Two fields: the same without the grouped-count prefilter.
	r = f.mustRun(t, strings.ReplaceAll(rules, "group_by: actor", "group_by: [actor, ip]"))
	if v := violations(r.Rules[0]); v != "actor=alice ip=10.0.0.1[3:e001,e002,e003] actor=alice ip=10.0.0.1[3:e004,e005,e006] actor=carol ip=10.0.0.3[3:e010,e012,e013]" {
		t.Errorf("two fields: %s", v)
	}
	// A long burst is one violation, counting every event in it.
	r = f.mustRun(t, strings.ReplaceAll(rules, "window: 10m", "window: 40m"))
	if v := violations(r.Rules[0]); v != "actor=alice[6:e001,e002,e003] actor=bob[3:e007,e008,e009] actor=carol[3:e010,e012,e013]" {
		t.Errorf("40m: %s", v)
	}
}

func TestRequire(t *testing.T) {
	f := newFixture(t)
	d := 24 * time.Hour
	for _, day := range []int{0, 1, 3, 4, 5, 6} { // day 2 has none
		f.add(t, time.Duration(day)*d+time.Hour, "BackupReport", "backup", "", audit.StatusSuccess)
	}
	f.add(t, 5*d+2*time.Hour, "BackupReport", "backup", "", audit.StatusSuccess)
	r := f.mustRun(t, `
  - id: daily
    events: {query: 'action:BackupReport'}
    condition: {require: 1, every: 24h}
  - id: twice-daily
    events: {query: 'action:BackupReport'}
    condition: {require: 2, every: 24h}
  - id: weekly
    events: {query: 'action:BackupReport'}
    condition: require
  - id: never
    events: {query: 'action:AccessReview'}
    condition: require
`)
	got := map[string]report.Result{}
	for _, res := range r.Rules {
		got[res.ID] = res
	}
	if vs := got["daily"].Violations; len(vs) != 1 || vs[0].First != t0.Add(2*d) || vs[0].Last != t0.Add(3*d) || vs[0].Count != 0 {
		t.Errorf("daily: %+v", vs)
	}
	if vs := got["twice-daily"].Violations; len(vs) != 6 {
		t.Errorf("twice-daily: %d violations, want 6 (all days but day 5)", len(vs))
	}
	if got["weekly"].Status != report.StatusPass || got["never"].Status != report.StatusFail {
		t.Errorf("weekly %s, never %s", got["weekly"].Status, got["never"].Status)
	}
}

func TestSequence(t *testing.T) {
	f := newFixture(t)
	m := time.Minute
	// 1.2.3.4: 3 failures then a success within the hour: a violation.
	for i := range 3 {
		f.add(t, time.Duration(i)*m, "Login", fmt.Sprintf("u%d", i), "1.2.3.4", audit.StatusFailure)
	}
	f.add(t, 20*m, "Login", "u9", "1.2.3.4", audit.StatusSuccess)
	// 5.6.7.8: only 2 failures before its success.
	f.add(t, 0, "Login", "x", "5.6.7.8", audit.StatusFailure)
	f.add(t, m, "Login", "x", "5.6.7.8", audit.StatusFailure)
	f.add(t, 2*m, "Login", "x", "5.6.7.8", audit.StatusSuccess)
	// 9.9.9.9: 3 failures, the success 2 hours later: too late.
	for i := range 3 {
		f.add(t, time.Duration(i)*m, "Login", "y", "9.9.9.9", audit.StatusFailure)
	}
	f.add(t, 2*time.Hour, "Login", "y", "9.9.9.9", audit.StatusSuccess)
	// A success before the failures is not the sequence.
	f.add(t, 0, "Login", "z", "7.7.7.7", audit.StatusSuccess)
	for i := range 3 {
		f.add(t, time.Duration(i+1)*m, "Login", "z", "7.7.7.7", audit.StatusFailure)
	}
	rules := `
  - id: spray
    events: {query: 'action:Login'}
    condition:
      sequence:
        - {query: 'status:failure', count: 3}
        - query: 'status:success'
      group_by: ip
      window: 1h
`
	r := f.mustRun(t, rules)
	if v := violations(r.Rules[0]); v != "ip=1.2.3.4[4:e001,e002,e003]" {
		t.Errorf("sequence: %s", v)
	}
	if v := r.Rules[0].Violations[0]; v.First != t0 || v.Last != t0.Add(20*m) || !strings.Contains(v.Message, "status:failure (3×) then status:success within 1h") {
		t.Errorf("sequence %+v", v)
	}
	r = f.mustRun(t, strings.ReplaceAll(rules, "group_by: ip", "group_by: [ip, service]"))
	if v := violations(r.Rules[0]); v != "ip=1.2.3.4 service=directory[4:e001,e002,e003]" {
		t.Errorf("sequence, two fields: %s", v)
	}
}

func TestSessionsRules(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	for i, s := range []session.Session{
		{ID: "s1", UserEmail: "a@x", Category: session.CategoryServer, Start: t0.Add(time.Hour), Duration: 5 * time.Hour, Status: session.StatusCompleted, HasRecording: true},
		{ID: "s2", UserEmail: "b@x", Category: session.CategoryDatabase, Start: t0.Add(2 * time.Hour), Duration: time.Hour, Status: session.StatusCompleted},
		{ID: "s3", UserEmail: "c@x", Category: session.CategoryWebsite, Start: t0.Add(3 * time.Hour), Duration: 6 * time.Hour, Status: session.StatusCompleted},
	} {
		s.End = s.Start.Add(s.Duration)
		if err := f.db.CreateSession(ctx, &s); err != nil {
			t.Fatal(i, err)
		}
	}
	f.add(t, time.Hour, "Login", "a", "", audit.StatusSuccess)
	r := f.mustRun(t, `
  - id: long
    sessions: {category: [server, database], min_duration: "04:00"}
    condition: none
  - id: unrecorded
    sessions: {category: [server, database], has_recording: no}
    condition: none
  - id: few
    sessions: {}
    condition: {max: 3}
`)
	got := map[string]report.Result{}
	for _, res := range r.Rules {
		got[res.ID] = res
	}
	if v := got["long"].Violations; len(v) != 1 || len(v[0].Sessions) != 1 || v[0].Sessions[0].ID != "s1" {
		t.Errorf("long: %+v", v)
	}
	if v := got["unrecorded"].Violations; len(v) != 1 || v[0].Sessions[0].ID != "s2" || v[0].Message != "1 matching session (none allowed)" {
		t.Errorf("unrecorded: %+v", v)
	}
	if got["few"].Status != report.StatusPass {
		t.Errorf("few: %s", got["few"].Status)
	}
}

// TestNoData: a window without events is audit.ENODATA (exit 6), unless
// AllowEmpty; a window with data where no rule matches passes.
func TestNoData(t *testing.T) {
	f := newFixture(t)
	f.add(t, -time.Hour, "Login", "a", "", audit.StatusSuccess) // before the window
	_, err := f.run(t, "  - {id: x, events: {query: 'action:DeleteUser'}, condition: none}\n")
	if audit.ExitCode(err) != 6 || !strings.Contains(err.Error(), "holds no events at all") {
		t.Errorf("empty window: %v", err)
	}
	p, _ := Parse("p.yaml", []byte("rules:\n  - {id: x, events: {query: 'action:DeleteUser'}, condition: none}\n"))
	ev := &Evaluator{Events: f.db, Now: t0.Add(time.Hour), Since: t0, AllowEmpty: true}
	r, err := ev.Run(context.Background(), p)
	if err != nil || len(r.Rules) != 1 {
		t.Errorf("--allow-empty: %v", err)
	}
	f.add(t, time.Hour, "Login", "a", "", audit.StatusSuccess)
	r, err = f.run(t, "  - {id: x, events: {query: 'action:DeleteUser'}, condition: none}\n")
	if err != nil || r.Err() != nil {
		t.Errorf("clean window: %v %v", err, r.Err())
	}
	// Sessions rules need sessions in the window.
	_, err = f.run(t, "  - {id: s, sessions: {}, condition: none}\n")
	if audit.ExitCode(err) != 6 || !strings.Contains(err.Error(), "no sessions") {
		t.Errorf("no sessions: %v", err)
	}
}

// streamingOnly is the cache without ScanMany: every threshold and
// sequence streams its matches by its own query, after the candidate
// groups are asked of the store.
type streamingOnly struct {
	audit.EventService
	audit.BriefStreamer
	audit.MultiCounter
}

// TestSharedPassEqualsStreaming: a policy whose thresholds and sequences
// are fed from the shared pass (ScanMany) reports what the same policy
// reports when each rule reads its own matches.
func TestSharedPassEqualsStreaming(t *testing.T) {
	f := newFixture(t)
	actors := []string{"alice", "Alice", "bob", "carol", "dave"}
	ips := []string{"10.0.0.1", "10.0.0.2", "192.168.1.9", "10.1.0.1"}
	actions := []string{"Login", "CreateUser", "GrantAdmin", "DeleteUser"}
	var evs events
	for i := 0; i < 600; i++ {
		st := audit.StatusSuccess
		if i%3 != 0 {
			st = audit.StatusFailure
		}
		at := time.Duration(i*i%(7*24*60)) * time.Minute
		a := actors[(i*7)%len(actors)]
		evs = append(evs, &audit.Event{ID: fmt.Sprintf("g%04d", i), Time: t0.Add(at), Source: "test", Service: "directory",
			Action: actions[(i/2)%len(actions)], Actor: a, Target: "t-" + a, IP: ips[(i*5)%len(ips)], Status: st, Tenant: []string{"acme", "beta"}[i%2]})
	}
	if _, err := f.db.Import(context.Background(), &evs, sqlite.ImportOptions{Name: "test"}); err != nil {
		t.Fatal(err)
	}
	p, err := Parse("p.yaml", []byte(`rules:
  - id: burst-actor
    events: {query: 'status:failure'}
    condition: {threshold: 3, group_by: actor, window: 30m}
  - id: burst-ip-tenant
    events: {query: 'ip:10.0.0.0/8 tenant:acme'}
    condition: {threshold: 2, group_by: [ip, actor], window: 2h}
  - id: burst-excused
    events: {query: 'status:failure'}
    condition: {threshold: 2, group_by: ip, window: 1h}
    exceptions:
      - {query: 'actor:bob', reason: known}
  - id: seq
    events: {query: 'tenant:*'}
    condition:
      sequence:
        - {query: 'status:failure', count: 2}
        - {query: 'status:success'}
      group_by: actor
      window: 1h
  - id: seq-create-grant
    events: {query: 'service:directory'}
    condition:
      sequence:
        - {query: 'action:CreateUser'}
        - {query: 'action:GrantAdmin'}
      group_by: target
      window: 3h
  - id: none-unindexed
    events: {query: 'ip:192.168.*'}
    condition: {max: 5}
  - id: require-daily
    events: {query: 'tenant:beta status:success'}
    condition: {require: 1, every: 24h}
`))
	if err != nil {
		t.Fatal(err)
	}
	run := func(svc audit.EventService) string {
		ev := &Evaluator{Events: svc, Now: t0.Add(7 * 24 * time.Hour), Since: t0, MaxEvents: 3}
		r, err := ev.Run(context.Background(), p)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, res := range r.Rules {
			out = append(out, fmt.Sprintf("%s: %s %q %q", res.ID, violations(res), res.Error, res.Notes))
		}
		return strings.Join(out, "\n")
	}
	shared := run(f.db)
	streamed := run(streamingOnly{f.db, f.db, f.db})
	if shared != streamed {
		t.Errorf("shared pass:\n%s\nstreaming:\n%s", shared, streamed)
	}
	if n := strings.Count(shared, "["); n < 6 {
		t.Errorf("only %d violations: the data does not exercise the rules\n%s", n, shared)
	}
}
