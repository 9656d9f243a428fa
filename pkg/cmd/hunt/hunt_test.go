package hunt_test

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/auditctl/auditctl/internal/jcserver"
	"github.com/auditctl/auditctl/pkg/cmd/cmdtest"
	"github.com/auditctl/auditctl/pkg/cmdutil"
)

const (
	sharedRules = "../../../../shared/data/sigma/aws-cloudtrail"
	sharedTrail = "../../../../shared/data/cloudtrail/invictus-aws"
)

func needShared(t *testing.T) {
	t.Helper()
	for _, d := range []string{sharedRules, sharedTrail} {
		if _, err := os.Stat(d); err != nil {
			t.Skipf("shared data absent: %v", err)
		}
	}
}

type jsonReport struct {
	Tool  string
	Rules []struct {
		ID, Title, Status, Error, Skipped, File string
		Line                                    int
		Severity                                string
		Violations                              []struct {
			Group  string
			Count  int64
			Events []struct{ ID, Source string }
		}
	}
	Summary struct{ Rules, Passed, Failed, Warned, Errors, Skipped int }
}

func parse(t *testing.T, out string) jsonReport {
	t.Helper()
	var r jsonReport
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("not a JSON report: %v\n%s", err, out)
	}
	return r
}

// run returns the exit code and the error message main would print.
func run(env *cmdtest.Env, args ...string) (int, string) {
	err := env.Run(args...)
	if err == nil {
		return 0, ""
	}
	return cmdutil.ExitCode(err), err.Error()
}

func write(t *testing.T, dir, name, text string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestHuntShared: the 57 SigmaHQ CloudTrail rules over the shared CloudTrail
// data, with every report, exit 1; at a threshold above every matching
// rule, exit 0.
func TestHuntShared(t *testing.T) {
	needShared(t)
	env := cmdtest.New(t)
	env.MustRun("import", sharedTrail)
	dir := t.TempDir()
	junit, sarif := filepath.Join(dir, "h.xml"), filepath.Join(dir, "h.sarif")
	if code := env.ExitCode("hunt", "--sigma", sharedRules, "-o", "json", "--junit", junit, "--sarif", sarif); code != 1 {
		t.Fatalf("exit %d, want 1; stderr %s", code, env.ErrOut)
	}
	r := parse(t, env.Out.String())
	if r.Tool != "auditctl hunt" || r.Summary.Rules != 57 || r.Summary.Failed != 7 || r.Summary.Errors != 0 || r.Summary.Passed != 50 {
		t.Errorf("summary %+v", r.Summary)
	}
	counts := map[string]int64{}
	for _, res := range r.Rules {
		if len(res.Violations) > 0 {
			counts[res.Title] = res.Violations[0].Count
			if len(res.Violations[0].Events) == 0 || res.Violations[0].Events[0].Source != "cloudtrail" {
				t.Errorf("%s: events %+v", res.Title, res.Violations[0].Events)
			}
		}
		if !strings.HasSuffix(res.File, ".yml") || res.Line != 1 {
			t.Errorf("%s: located at %s:%d", res.ID, res.File, res.Line)
		}
	}
	if counts["AWS CloudTrail Important Change"] != 5 || counts["AWS STS AssumeRole Misuse"] != 70 {
		t.Errorf("counts %v", counts)
	}
	if env.ErrOut.Len() != 0 {
		t.Errorf("stderr %q: nothing but annotations goes there", env.ErrOut)
	}
	b, err := os.ReadFile(junit)
	var suites struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
	}
	if err != nil || xml.Unmarshal(b, &suites) != nil || suites.Tests != 57 || suites.Failures != 7 {
		t.Errorf("junit: %v %+v", err, suites)
	}
	b, err = os.ReadFile(sarif)
	var log struct {
		Version string
		Runs    []struct{ Results []struct{ RuleID string } }
	}
	if err != nil || json.Unmarshal(b, &log) != nil || log.Version != "2.1.0" || len(log.Runs) != 1 || len(log.Runs[0].Results) != 7 {
		t.Errorf("sarif: %v %+v", err, log)
	}

	// The same without pushdown: the same report.
	want := env.Out.String()
	env.ExitCode("hunt", "--sigma", sharedRules, "-o", "json", "--no-pushdown")
	if env.Out.String() != want {
		t.Error("--no-pushdown reports differently")
	}

	// Only critical rules fail: none of those matched.
	if code := env.ExitCode("hunt", "--sigma", sharedRules, "--severity", "critical", "-o", "json"); code != 0 {
		t.Errorf("--severity critical: exit %d; %s", code, env.ErrOut)
	}
	// A window without the attack: no match, but data? The shared data is of
	// 2023-07-10: a window in 2024 holds none: exit 6, unless --allow-empty.
	if code, msg := run(env, "hunt", "--sigma", sharedRules, "--since", "2024-01-01", "-o", "json"); code != 6 || !strings.Contains(msg, "no data: the window time>=2024-01-01T00:00:00Z holds no events of source [cloudtrail]") {
		t.Errorf("empty window: exit %d; %s", code, msg)
	}
	if code := env.ExitCode("hunt", "--sigma", sharedRules, "--since", "2024-01-01", "--allow-empty", "-o", "json"); code != 0 {
		t.Errorf("--allow-empty: exit %d; %s", code, env.ErrOut)
	}
	// An aggregation: one violation per group over the threshold.
	agg := write(t, dir, "agg.yml", "title: trail tampering\nlogsource: {product: aws, service: cloudtrail}\ndetection:\n  s:\n    eventName: [StopLogging, DeleteTrail, CreateRoute]\n  timeframe: 1h\n  condition: s | count() by eventName > 2\n")
	if code := env.ExitCode("hunt", "--sigma", agg, "-o", "json"); code != 1 {
		t.Fatalf("aggregation: exit %d", code)
	}
	var groups []string
	for _, v := range parse(t, env.Out.String()).Rules[0].Violations {
		groups = append(groups, fmt.Sprintf("%s %d %d", v.Group, v.Count, len(v.Events)))
	}
	if got := strings.Join(groups, "; "); got != "eventName=CreateRoute 4 4; eventName=StopLogging 3 3" {
		t.Errorf("aggregation groups: %s", got)
	}
	// An unwritable report file: exit 5, nothing on stdout.
	if code, msg := run(env, "hunt", "--sigma", sharedRules, "-o", "json", "--junit", filepath.Join(dir, "no", "such", "dir.xml")); code != 5 || env.Out.Len() != 0 {
		t.Errorf("unwritable --junit: exit %d (%s), %d bytes out", code, msg, env.Out.Len())
	}
	// The table, and GitHub annotations on stderr.
	t.Setenv("GITHUB_ACTIONS", "true")
	if code := env.ExitCode("hunt", "--sigma", filepath.Join(sharedRules, "aws_cloudtrail_disable_logging.yml"), "-o", "table"); code != 1 {
		t.Fatalf("table: exit %d", code)
	}
	if out := env.Out.String(); !strings.Contains(out, "FAIL") || !strings.Contains(out, "5 events match: AWS CloudTrail Important Change") || !strings.Contains(out, "1 of 1 rules failed") {
		t.Errorf("table:\n%s", out)
	}
	if e := env.ErrOut.String(); !strings.Contains(e, "::error file=") || !strings.Contains(e, "aws_cloudtrail_disable_logging.yml,line=1") {
		t.Errorf("annotations:\n%s", e)
	}
}

// TestHuntBrokenRules: a rule that cannot be evaluated is reported with its
// place, the others still run, and the exit is 3 even when some matched.
func TestHuntBrokenRules(t *testing.T) {
	needShared(t)
	env := cmdtest.New(t)
	env.MustRun("import", sharedTrail)
	dir := t.TempDir()
	write(t, dir, "a_broken.yml", "title: broken\nlogsource: {product: aws, service: cloudtrail}\ndetection:\n  s:\n    eventName|base64offset|contains: x\n  condition: s\n")
	write(t, dir, "b_windows.yml", "title: win\nlogsource: {product: windows, category: process_creation}\ndetection:\n  s:\n    Image|endswith: '\\cmd.exe'\n  condition: s\n")
	write(t, dir, "c_ok.yml", "title: stop logging\nid: stop\nlevel: high\nlogsource: {product: aws, service: cloudtrail}\ndetection:\n  s:\n    eventName: StopLogging\n  condition: s\n")
	code, msg := run(env, "hunt", "--sigma", dir, "-o", "json")
	if code != 3 {
		t.Fatalf("exit %d, want 3; %s", code, msg)
	}
	r := parse(t, env.Out.String())
	byTitle := map[string]string{}
	for _, res := range r.Rules {
		byTitle[res.Title] = res.Status + " " + res.Error + res.Skipped
	}
	if s := byTitle["broken"]; !strings.HasPrefix(s, "error line 5, column 5: s: eventName: modifier \"base64offset\" is not supported") {
		t.Errorf("broken: %q", s)
	}
	if s := byTitle["win"]; !strings.HasPrefix(s, "skip logsource product windows") {
		t.Errorf("windows: %q", s)
	}
	if s := byTitle["stop logging"]; s != "fail " {
		t.Errorf("ok rule: %q", s)
	}
	if !strings.Contains(msg, "1 of 3 rules could not be evaluated: a_broken.yml") {
		t.Errorf("error: %s", msg)
	}
}

// TestHuntUsage: usage errors exit 2; no cache is exit 5 and creates none.
func TestHuntUsage(t *testing.T) {
	env := cmdtest.New(t)
	dir := t.TempDir()
	rule := write(t, dir, "r.yml", "title: r\nlogsource: {product: auditctl}\ndetection:\n  s:\n    action: DeleteUser\n  condition: s\n")
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"hunt"}, 2, "hunt needs --sigma"},
		{[]string{"hunt", "--sigma", filepath.Join(dir, "nope")}, 2, "no such file"},
		{[]string{"hunt", "--sigma", t.TempDir()}, 2, "no .yml or .yaml"},
		{[]string{"hunt", "--sigma", rule, "-o", "csv"}, 2, "table or json"},
		{[]string{"hunt", "--sigma", rule, "--severity", "urgent"}, 2, "unknown severity"},
		{[]string{"hunt", "--sigma", rule, "--since", "yesterday-ish"}, 2, "--since"},
		{[]string{"hunt", "--sigma", rule, "--all", "--since", "7d"}, 2, "not with --since"},
		{[]string{"hunt", "--sigma", rule}, 5, "no cache"},
	} {
		err := env.Run(c.args...)
		if code := env.ExitCode(c.args...); code != c.code || err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: exit %d, %v; want %d, %q", c.args, code, err, c.code, c.want)
		}
	}
	if _, err := os.Stat(env.DBPath); !os.IsNotExist(err) {
		t.Errorf("hunt created a cache: %v", err)
	}
}

// TestHuntNormalized: a rule on the normalized fields over events of our
// own format finds what logs count finds for the same filter.
func TestHuntNormalized(t *testing.T) {
	env := cmdtest.New(t)
	var b strings.Builder
	for i := range 60 {
		action := []string{"DeleteUser", "CreateUser", "USER_LOGIN"}[i%3]
		fmt.Fprintf(&b, `{"id":"e%d","time":"2026-11-2%dT10:00:00Z","source":"file:x","action":%q,"actor":"u%d@example.com","params":{"reason":"r%d"}}`+"\n", i, i%3, action, i%5, i%4)
	}
	in := write(t, t.TempDir(), "events.ndjson", b.String())
	env.MustRun("import", in)
	dir := t.TempDir()
	write(t, dir, "del.yml", "title: deletions\nid: del\nlogsource: {product: auditctl}\ndetection:\n  s:\n    action: DeleteUser\n    params.reason: [r1, r2]\n  f:\n    actor|startswith: U0\n  condition: s and not f\n")
	if code := env.ExitCode("hunt", "--sigma", dir, "-o", "json"); code != 1 {
		t.Fatalf("exit %d; %s", code, env.ErrOut)
	}
	r := parse(t, env.Out.String())
	n := r.Rules[0].Violations[0].Count
	env.MustRun("logs", "count", "--all", "-q", `action:DeleteUser -actor:u0* "r1"`, "-o", "json")
	var c1 struct{ Total int64 }
	json.Unmarshal(env.Out.Bytes(), &c1)
	env.MustRun("logs", "count", "--all", "-q", `action:DeleteUser -actor:u0* "r2"`, "-o", "json")
	var c2 struct{ Total int64 }
	json.Unmarshal(env.Out.Bytes(), &c2)
	if n == 0 || n != c1.Total+c2.Total {
		t.Errorf("hunt found %d, logs count %d + %d", n, c1.Total, c2.Total)
	}
}

// TestHuntRemote: --remote jumpcloud against the local Directory Insights
// server finds what the same rules find in a cache synced from it.
func TestHuntRemote(t *testing.T) {
	const key = "hunt-test-key-8d1f"
	evs, err := jcserver.Generate(300, cmdtest.Now.Add(-time.Hour), 5, 7)
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

	// The two most common event types, and one rule on a nested field.
	types := map[string]int{}
	for _, e := range evs {
		if et, _ := e.Doc()["event_type"].(string); et != "" {
			types[et]++
		}
	}
	var names []string
	for k := range types {
		names = append(names, k)
	}
	sort.Slice(names, func(i, j int) bool {
		return types[names[i]] > types[names[j]] || (types[names[i]] == types[names[j]] && names[i] < names[j])
	})
	if len(names) < 2 {
		t.Fatalf("event types %v", types)
	}
	dir := t.TempDir()
	write(t, dir, "a.yml", "title: a\nid: a\nlogsource: {product: jumpcloud, service: directory_insights}\ndetection:\n  s:\n    event_type: "+names[0]+"\n  condition: s\n")
	write(t, dir, "b.yml", "title: b\nid: b\nlogsource: {product: jumpcloud}\ndetection:\n  s:\n    event_type: "+names[1]+"\n    initiated_by.type|exists: true\n  f:\n    success: 'false'\n  condition: s and not f\n")

	// c pushes a phrase down to the cache's full-text index; live, the
	// API's full text is not the same, so c reads every event there.
	write(t, dir, "c.yml", "title: c\nid: c\nlogsource: {product: jumpcloud}\ndetection:\n  s:\n    initiated_by.username|startswith: 'omar.'\n  condition: s\n")

	env := cmdtest.New(t)
	ids := func() map[string][]string {
		r := parse(t, env.Out.String())
		out := map[string][]string{}
		for _, res := range r.Rules {
			if res.Error != "" {
				t.Fatalf("%s: %s", res.ID, res.Error)
			}
			for _, v := range res.Violations {
				for _, e := range v.Events {
					out[res.ID] = append(out[res.ID], e.ID)
				}
			}
		}
		return out
	}
	if code := env.ExitCode("hunt", "--sigma", dir, "--remote", "jumpcloud", "--since", "30d", "--max-events", "1000", "-o", "json"); code != 1 {
		t.Fatalf("remote: exit %d; %s", code, env.ErrOut)
	}
	remote := ids()
	if len(remote["a"]) != types[names[0]] {
		t.Errorf("remote: rule a found %d, the server holds %d %s", len(remote["a"]), types[names[0]], names[0])
	}
	env.MustRun("--quiet", "sync", "jumpcloud", "--since", "30d")
	if code := env.ExitCode("hunt", "--sigma", dir, "--since", "30d", "--max-events", "1000", "-o", "json"); code != 1 {
		t.Fatalf("cache: exit %d; %s", code, env.ErrOut)
	}
	cached := ids()
	if len(remote["a"]) == 0 || len(remote["b"]) == 0 || len(remote["c"]) == 0 {
		t.Errorf("remote: a %d, b %d, c %d matches: the comparison is vacuous", len(remote["a"]), len(remote["b"]), len(remote["c"]))
	}
	for _, id := range []string{"a", "b", "c"} {
		if !slices.Equal(remote[id], cached[id]) {
			t.Errorf("rule %s: remote %d events, cache %d", id, len(remote[id]), len(cached[id]))
		}
	}
}
