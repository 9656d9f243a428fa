package report

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/output"
	"github.com/auditctl/auditctl/pkg/sanitize"
)

// hostile is log text that tries every trick against the outputs: a
// terminal escape, a line break that starts a workflow command, the legacy
// command prefix, XML and JSON metacharacters, a bidi override.
const hostile = "eve\x1b]0;pwned\x07\n::add-mask::secret\r\n##[set-output name=x]y <a>&\"'\u202e%0A"

func sample() *Report {
	t0 := time.Date(2026, 11, 7, 3, 12, 0, 0, time.UTC)
	ev := func(id, actor string, d time.Duration) *audit.Event {
		return &audit.Event{ID: id, Time: t0.Add(d), Source: "demo:vault", Action: "DeleteUser", Actor: actor, Target: "bob", IP: "10.0.0.1", Status: audit.StatusSuccess}
	}
	return &Report{
		Tool: "auditctl check", Version: "test",
		Since: t0.Add(-24 * time.Hour), Until: t0.Add(time.Hour),
		Rules: []Result{
			{ID: "pass-rule", Title: "nothing here", Severity: SeverityCritical, File: "policies/a.yaml", Line: 3},
			{ID: "low-rule", Title: "minor", Severity: SeverityLow, File: "policies/a.yaml", Line: 10,
				Violations: []Violation{{Message: "1 match", Count: 1, Events: []*audit.Event{ev("low1", "carol", 0)}}}},
			{ID: "delete-outside-window", Title: "DeleteUser outside the change window", Severity: SeverityHigh, File: "policies/a.yaml", Line: 20,
				Description: "Deletions only Tue 18-20 UTC",
				Violations: []Violation{
					{Message: "DeleteUser by " + hostile, Group: "actor=" + hostile, First: t0, Last: t0.Add(5 * time.Minute), Count: 4,
						Events: []*audit.Event{ev("e1", hostile, 0), ev("e2", "alice", time.Minute)}},
					{Message: "second", Count: 1, First: t0, Last: t0, Events: []*audit.Event{ev("e3", "alice", 2*time.Minute)}},
				},
				Notes: []string{"exception \"legacy\" expired on 2026-10-01; ignored"}},
			{ID: "broken", Title: "broken rule", Severity: SeverityMedium, Error: "field nope unknown"},
			{ID: "skipped", Severity: SeverityInfo, Skipped: "uses fieldref"},
		},
	}
}

func TestFinishOrdersAndCounts(t *testing.T) {
	r := sample()
	r.Finish(SeverityMedium)
	var ids []string
	for _, res := range r.Rules {
		ids = append(ids, res.ID+"="+string(res.Status))
	}
	want := "broken=error delete-outside-window=fail low-rule=warn skipped=skip pass-rule=pass"
	if got := strings.Join(ids, " "); got != want {
		t.Errorf("order: got %s, want %s", got, want)
	}
	s := r.Summary
	if s.Rules != 5 || s.Failed != 1 || s.Warned != 1 || s.Errors != 1 || s.Skipped != 1 || s.Passed != 1 || s.Violations != 3 {
		t.Errorf("summary %+v", s)
	}
}

func TestErrDecidesTheExit(t *testing.T) {
	r := sample()
	r.Finish(SeverityLow)
	if err := r.Err(); audit.ExitCode(err) != 3 || !strings.Contains(err.Error(), "broken") {
		t.Errorf("a rule that could not be evaluated: %v (exit %d), want exit 3 naming it", err, audit.ExitCode(err))
	}
	r = sample()
	r.Rules = r.Rules[:3]
	for _, c := range []struct {
		th   Severity
		want error
	}{{SeverityInfo, ErrViolations}, {SeverityHigh, ErrViolations}, {SeverityCritical, nil}} {
		r.Finish(c.th)
		if err := r.Err(); !errors.Is(err, c.want) || (c.want == nil) != (err == nil) {
			t.Errorf("threshold %s: %v, want %v", c.th, err, c.want)
		}
	}
	r = &Report{Rules: []Result{{ID: "a"}}}
	r.Finish(SeverityInfo)
	if err := r.Err(); err != nil {
		t.Errorf("clean: %v", err)
	}
}

func TestParseSeverity(t *testing.T) {
	for i, n := range SeverityNames() {
		s, err := ParseSeverity(strings.ToUpper(n))
		if err != nil || int(s) != i || s.String() != n {
			t.Errorf("%s: %v %v", n, s, err)
		}
	}
	if s, _ := ParseSeverity("informational"); s != SeverityInfo {
		t.Error("informational")
	}
	if _, err := ParseSeverity("urgent"); audit.ExitCode(err) != 2 || !strings.Contains(err.Error(), "critical") {
		t.Errorf("urgent: %v", err)
	}
}

func TestJSONRoundTrips(t *testing.T) {
	r := sample()
	r.Finish(SeverityMedium)
	var buf bytes.Buffer
	if err := WriteJSON(&buf, r); err != nil {
		t.Fatal(err)
	}
	if !sanitize.IsClean(strings.ReplaceAll(buf.String(), "\n", "")) {
		t.Error("JSON output holds terminal controls")
	}
	var back Report
	if err := json.Unmarshal(buf.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if back.Rules[1].Violations[0].Events[0].Actor != hostile || back.Rules[1].Severity != SeverityHigh || back.Threshold != SeverityMedium {
		t.Errorf("round trip lost data: %+v", back.Rules[1])
	}
	if back.Rules[4].Violations == nil || back.Summary.Failed != 1 {
		t.Error("violations of a passing rule must be [] and the summary present")
	}
}

func TestTable(t *testing.T) {
	r := sample()
	r.Finish(SeverityMedium)
	var buf bytes.Buffer
	if err := WriteTable(&buf, r, output.Options{Width: 100}); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{"STATUS", "RULE", "SEVERITY", "VIOLATIONS", "FIRST OFFENDING EVENTS", "FAIL", "delete-outside-window", "high", "2026-11-07 03:12:00Z e1 DeleteUser by eve", "note: delete-outside-window: exception", "1 of 5 rules failed (3 violations in all) at severity medium or above"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	for _, l := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		if !sanitize.IsClean(l) {
			t.Errorf("unsafe line %q", l)
		}
	}
}

// TestJUnitStructure parses the XML back and checks what the JUnit schema
// (Jenkins junit-10.xsd) requires: testsuites > testsuite[name, tests] >
// testcase[name, classname], failure[message]/error/skipped, counts that
// add up.
func TestJUnitStructure(t *testing.T) {
	r := sample()
	r.Finish(SeverityMedium)
	var buf bytes.Buffer
	if err := WriteJUnit(&buf, r); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(buf.String(), "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites ") {
		t.Errorf("header: %.80q", buf.String())
	}
	if strings.ContainsAny(buf.String(), "\x1b\x07\r\u202e") {
		t.Error("control characters in the XML")
	}
	var doc struct {
		XMLName  xml.Name `xml:"testsuites"`
		Tests    int      `xml:"tests,attr"`
		Failures int      `xml:"failures,attr"`
		Errors   int      `xml:"errors,attr"`
		Suites   []struct {
			Name     string `xml:"name,attr"`
			Tests    int    `xml:"tests,attr"`
			Failures int    `xml:"failures,attr"`
			Errors   int    `xml:"errors,attr"`
			Skipped  int    `xml:"skipped,attr"`
			Cases    []struct {
				Name      string `xml:"name,attr"`
				Classname string `xml:"classname,attr"`
				Failures  []struct {
					Message string `xml:"message,attr"`
					Type    string `xml:"type,attr"`
					Text    string `xml:",chardata"`
				} `xml:"failure"`
				Errors []struct {
					Message string `xml:"message,attr"`
				} `xml:"error"`
				Skipped *struct {
					Message string `xml:"message,attr"`
				} `xml:"skipped"`
				SystemOut string `xml:"system-out"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	dec := xml.NewDecoder(bytes.NewReader(buf.Bytes()))
	dec.Strict = true
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("not well-formed XML: %v\n%s", err, buf.String())
	}
	if len(doc.Suites) != 1 {
		t.Fatalf("%d suites", len(doc.Suites))
	}
	s := doc.Suites[0]
	if s.Name == "" || s.Tests != 5 || len(s.Cases) != 5 || s.Failures != 1 || s.Errors != 1 || s.Skipped != 1 || doc.Tests != 5 || doc.Failures != 1 || doc.Errors != 1 {
		t.Errorf("counts: %+v", doc)
	}
	failures, errs, skipped := 0, 0, 0
	for _, c := range s.Cases {
		if c.Name == "" || c.Classname == "" {
			t.Errorf("testcase without name or classname: %+v", c)
		}
		for _, f := range c.Failures {
			if f.Message == "" {
				t.Error("failure without message")
			}
		}
		if len(c.Failures) > 0 {
			failures++
			if len(c.Failures) != 2 || c.Failures[0].Type != "high" || !strings.Contains(c.Failures[0].Text, "2026-11-07 03:12:00Z e1 DeleteUser") || !strings.Contains(c.Failures[0].Text, "span: 2026-11-07T03:12:00Z .. 2026-11-07T03:17:00Z") || !strings.Contains(c.Failures[0].Text, "… 2 more") {
				t.Errorf("failures of %s: %+v", c.Name, c.Failures)
			}
			if !strings.Contains(c.Failures[0].Message, `eve\x1b]0;pwned\x07\n::add-mask::secret\r\n##[set-output`) {
				t.Errorf("untrusted text should be kept visible but inert: %q", c.Failures[0].Message)
			}
		}
		errs += len(c.Errors)
		if c.Skipped != nil {
			skipped++
		}
		if strings.HasPrefix(c.Name, "low-rule") && !strings.Contains(c.SystemOut, "below the severity threshold medium") {
			t.Errorf("below-threshold violations belong in system-out: %+v", c)
		}
	}
	if failures != 1 || errs != 1 || skipped != 1 {
		t.Errorf("cases: %d failed, %d errors, %d skipped", failures, errs, skipped)
	}
}

// TestSARIFStructure checks the SARIF log against the required properties
// of sarif-schema-2.1.0.json: version "2.1.0", runs[].tool.driver.name,
// results[].message.text, ruleId/ruleIndex pointing at a driver rule,
// levels from the schema's enum, locations with an artifactLocation.uri
// and a startLine >= 1.
func TestSARIFStructure(t *testing.T) {
	r := sample()
	r.Finish(SeverityMedium)
	var buf bytes.Buffer
	if err := WriteSARIF(&buf, r); err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc["version"] != "2.1.0" || doc["$schema"] != SARIFSchema {
		t.Errorf("version/$schema: %v %v", doc["version"], doc["$schema"])
	}
	runs := doc["runs"].([]any)
	if len(runs) != 1 {
		t.Fatalf("%d runs", len(runs))
	}
	run := runs[0].(map[string]any)
	driver := run["tool"].(map[string]any)["driver"].(map[string]any)
	if driver["name"] != "auditctl" {
		t.Errorf("driver name %v", driver["name"])
	}
	rules := driver["rules"].([]any)
	if len(rules) != 5 {
		t.Fatalf("%d rules", len(rules))
	}
	levels := map[string]bool{"none": true, "note": true, "warning": true, "error": true}
	for _, x := range rules {
		rule := x.(map[string]any)
		if rule["id"] == "" {
			t.Error("rule without id")
		}
		if !levels[rule["defaultConfiguration"].(map[string]any)["level"].(string)] {
			t.Errorf("bad level %v", rule)
		}
	}
	inv := run["invocations"].([]any)[0].(map[string]any)
	if inv["executionSuccessful"] != false || len(inv["toolExecutionNotifications"].([]any)) != 1 {
		t.Errorf("invocation: %v", inv)
	}
	results := run["results"].([]any)
	if len(results) != 3 {
		t.Fatalf("%d results, want 3 (2 failing + 1 below the threshold)", len(results))
	}
	for _, x := range results {
		res := x.(map[string]any)
		idx := int(res["ruleIndex"].(float64))
		if rules[idx].(map[string]any)["id"] != res["ruleId"] {
			t.Errorf("ruleIndex %d does not point at %v", idx, res["ruleId"])
		}
		if !levels[res["level"].(string)] || res["message"].(map[string]any)["text"] == "" {
			t.Errorf("result %v", res)
		}
		loc := res["locations"].([]any)[0].(map[string]any)["physicalLocation"].(map[string]any)
		if loc["artifactLocation"].(map[string]any)["uri"] != "policies/a.yaml" || loc["region"].(map[string]any)["startLine"].(float64) < 1 {
			t.Errorf("location %v", loc)
		}
		if len(res["partialFingerprints"].(map[string]any)) == 0 {
			t.Error("no fingerprint")
		}
	}
	first := results[0].(map[string]any)
	if first["level"] != "error" || first["properties"].(map[string]any)["group"] != "actor="+hostile {
		t.Errorf("first result %v", first)
	}
}

func TestGitHubAnnotationsCannotBeInjected(t *testing.T) {
	r := sample()
	r.Finish(SeverityMedium)
	var buf bytes.Buffer
	if err := WriteGitHub(&buf, r); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if len(lines) != 4 { // 2 errors for the failing rule, 1 warning, 1 error for the broken rule
		t.Fatalf("%d lines:\n%s", len(lines), buf.String())
	}
	for _, l := range lines {
		if !strings.HasPrefix(l, "::error ") && !strings.HasPrefix(l, "::warning ") {
			t.Errorf("line is not one annotation: %q", l)
		}
		if strings.ContainsAny(l, "\r\x1b\x07\u202e") || strings.Contains(l, "##[") {
			t.Errorf("unsafe line %q", l)
		}
		// The runner splits the command at the first "::" after the
		// command name: the properties must hold none.
		rest := l[2:]
		end := strings.Index(rest, "::")
		props := rest[:end]
		if strings.Count(props, "title=") != 1 {
			t.Errorf("properties %q", props)
		}
	}
	want := "::error file=policies/a.yaml,line=20,title=delete-outside-window%3A DeleteUser outside the change window (high)::DeleteUser by eve"
	if !strings.HasPrefix(lines[1], want) {
		t.Errorf("got  %s\nwant %s…", lines[1], want)
	}
	if !strings.Contains(lines[1], `\n::add-mask::secret\r\n# #[set-output`) || !strings.Contains(lines[1], "%0A  2026-11-07 03:12:00Z e1 DeleteUser by eve") || !strings.Contains(lines[1], "%250A") {
		t.Errorf("message not escaped as expected: %s", lines[1])
	}
	if !GitHubActions(func(string) string { return "true" }) || GitHubActions(func(string) string { return "1" }) {
		t.Error("GitHubActions")
	}
}

func TestGitHubAnnotationsCapped(t *testing.T) {
	r := &Report{Rules: []Result{{ID: "many", Severity: SeverityHigh}}}
	for range MaxAnnotations + 7 {
		r.Rules[0].Violations = append(r.Rules[0].Violations, Violation{Message: "m", Count: 1})
	}
	r.Finish(SeverityInfo)
	var buf bytes.Buffer
	if err := WriteGitHub(&buf, r); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if len(lines) != MaxAnnotations+1 || !strings.HasPrefix(lines[MaxAnnotations], "::notice title=auditctl::7 more annotations") {
		t.Errorf("%d lines, last %q", len(lines), lines[len(lines)-1])
	}
}

func TestFileURI(t *testing.T) {
	for in, want := range map[string]string{"./a b.yaml": "a%20b.yaml", "/etc/p.yaml": "file:///etc/p.yaml", "c:x.yaml": "c%3Ax.yaml", "d/é.yml": "d/%C3%A9.yml"} {
		if got := fileURI(in); got != want {
			t.Errorf("%s: %s, want %s", in, got, want)
		}
	}
}
