package check_test

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/auditctl/auditctl/pkg/cmd/cmdtest"
	"github.com/auditctl/auditctl/pkg/cmdutil"
)

// setup imports a few events an hour before cmdtest.Now and writes the
// policy files; it returns the env and the files' paths by name.
func setup(t *testing.T, policies map[string]string) (*cmdtest.Env, map[string]string) {
	t.Helper()
	env := cmdtest.New(t)
	dir := t.TempDir()
	var b strings.Builder
	at := cmdtest.Now.Add(-time.Hour)
	for i, e := range []struct{ action, actor, status string }{
		{"DeleteUser", "alice@example.com", "success"},
		{"DeleteUser", "bob@example.com", "failure"},
		{"Login", "carol@example.com", "success"},
		{"UpdateUser", "alice@example.com", "success"},
	} {
		fmt.Fprintf(&b, `{"id":"ev%d","time":%q,"source":"test","service":"directory","action":%q,"actor":%q,"status":%q}`+"\n",
			i, at.Add(time.Duration(i)*time.Minute).Format(time.RFC3339), e.action, e.actor, e.status)
	}
	data := filepath.Join(dir, "events.ndjson")
	if err := os.WriteFile(data, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	env.MustRun("import", data)
	paths := map[string]string{}
	for name, src := range policies {
		paths[name] = filepath.Join(dir, name)
		if err := os.WriteFile(paths[name], []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return env, paths
}

const deletions = `rules:
  - id: no-deletions
    title: No user deletions
    severity: medium
    events:
      query: 'action:DeleteUser status:success'
    condition: none
  - id: no-logins-from-mallory
    severity: critical
    events:
      query: 'actor:mallory*'
    condition: none
`

func TestExitCodes(t *testing.T) {
	env, p := setup(t, map[string]string{
		"deletions.yaml": deletions,
		"clean.yaml":     "rules:\n  - {id: clean, events: {query: 'action:CreateUser'}, condition: none}\n",
		"bad.yaml":       "rules:\n  - id: x\n    events: {query: 'action:DeleteUser'}\n    condition: {max: many}\n",
	})
	for _, c := range []struct {
		args []string
		code int
		out  string // in stdout, or stderr when the run fails
	}{
		{[]string{"check", p["clean.yaml"]}, 0, `"status": "pass"`},
		{[]string{"check", p["deletions.yaml"]}, 1, `"message": "1 matching event (none allowed)"`},
		{[]string{"check", p["deletions.yaml"], "--severity", "high"}, 0, `"status": "warn"`},
		{[]string{"check", p["deletions.yaml"], "--severity", "medium"}, 1, `"status": "fail"`},
		{[]string{"check", p["bad.yaml"]}, 2, p["bad.yaml"] + `:4:22: rules[0].condition.max: want a whole number >= 0, got "many"`},
		{[]string{"check", p["deletions.yaml"], "--severity", "urgent"}, 2, "--severity"},
		{[]string{"check", p["deletions.yaml"], "-o", "csv"}, 2, "check writes a table or json"},
		{[]string{"check"}, 2, "policy file"},
		{[]string{"check", p["deletions.yaml"], "--since", "30d", "--until", "20d"}, 6, "no data: the window"},
		{[]string{"check", p["deletions.yaml"], "--since", "30d", "--until", "20d", "--allow-empty"}, 0, `"summary"`},
		{[]string{"check", p["deletions.yaml"], "--since", "30d", "--junit", filepath.Join(t.TempDir(), "no", "such", "dir", "r.xml")}, 5, "r.xml"},
		{[]string{"check", p["deletions.yaml"], "--remote", "jumpcloud", "--sync", "jumpcloud"}, 2, "not both"},
	} {
		err := env.Run(c.args...)
		code := cmdutil.ExitCode(err)
		text := env.Out.String()
		if code > 1 {
			text = err.Error()
		}
		if code != c.code || !strings.Contains(text, c.out) {
			t.Errorf("%v: exit %d (%v), want %d with %q\nstdout: %s", c.args, code, err, c.code, c.out, env.Out)
		}
	}
	// No cache at the path: exit 5, and none is created.
	missing := filepath.Join(t.TempDir(), "none.db")
	env.Out.Reset()
	if code := env.Main("check", p["clean.yaml"], "--db", missing); code != 5 {
		t.Errorf("no cache: exit %d, want 5: %s", code, env.ErrOut)
	}
	if _, err := os.Stat(missing); err == nil {
		t.Error("check created a cache")
	}
}

func TestReportsWritten(t *testing.T) {
	env, p := setup(t, map[string]string{"deletions.yaml": deletions})
	dir := t.TempDir()
	junit, sarif := filepath.Join(dir, "r.xml"), filepath.Join(dir, "r.sarif")
	if code := env.ExitCode("check", p["deletions.yaml"], "--junit", junit, "--sarif", sarif); code != 1 {
		t.Fatalf("exit %d: %s", code, env.ErrOut)
	}
	x, err := os.ReadFile(junit)
	if err != nil {
		t.Fatal(err)
	}
	var suites struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
		Suite    struct {
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
	if suites.Tests != 2 || suites.Failures != 1 || suites.Suite.Cases[0].Name != "no-deletions: No user deletions" ||
		!strings.Contains(suites.Suite.Cases[0].Failures[0].Text, "ev0 DeleteUser by alice@example.com") {
		t.Errorf("junit: %s", x)
	}
	s, err := os.ReadFile(sarif)
	if err != nil {
		t.Fatal(err)
	}
	var log struct {
		Version string
		Runs    []struct {
			Results []struct {
				RuleID    string
				Locations []struct {
					PhysicalLocation struct {
						ArtifactLocation struct{ URI string }
						Region           struct{ StartLine int }
					}
				}
			}
		}
	}
	if err := json.Unmarshal(s, &log); err != nil {
		t.Fatal(err)
	}
	if log.Version != "2.1.0" || len(log.Runs[0].Results) != 1 || log.Runs[0].Results[0].RuleID != "no-deletions" || log.Runs[0].Results[0].Locations[0].PhysicalLocation.Region.StartLine != 2 {
		t.Errorf("sarif: %s", s)
	}
	// Nothing else is left in the directory (atomic writes).
	if ents, _ := os.ReadDir(dir); len(ents) != 2 {
		t.Errorf("%d files in the report directory", len(ents))
	}
}

func TestTableAndAnnotations(t *testing.T) {
	env, p := setup(t, map[string]string{"deletions.yaml": deletions})
	env.IO.SetStdoutTTY(true)
	t.Setenv("GITHUB_ACTIONS", "true")
	if code := env.ExitCode("check", p["deletions.yaml"]); code != 1 {
		t.Fatalf("exit %d", code)
	}
	out := env.Out.String()
	for _, want := range []string{"FAIL    no-deletions", "1 matching event (none allowed)", "2026-11-22 11:00:00 ev0 DeleteUser by ali", "PASS    no-logins-from-mallory", "1 of 2 rules failed"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	want := "::error file=" + p["deletions.yaml"] + ",line=2,title=no-deletions%3A No user deletions (medium)::1 matching event (none allowed)%0A  2026-11-22 11:00:00Z ev0 DeleteUser by alice@example.com success"
	if got := strings.TrimSpace(env.ErrOut.String()); got != want {
		t.Errorf("annotations:\n got %s\nwant %s", got, want)
	}
	t.Setenv("GITHUB_ACTIONS", "")
	env.ExitCode("check", p["deletions.yaml"])
	if env.ErrOut.Len() != 0 {
		t.Errorf("annotations outside GitHub Actions: %s", env.ErrOut)
	}
}
