package check_test

import (
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/auditctl/auditctl/pkg/cmd/cmdtest"
)

// repo is the repository's root, from this package.
var repo = filepath.Join("..", "..", "..")

// snippet is the commands of one CI snippet of docs/compliance.md.
type snippet struct {
	name     string
	commands []string
}

var (
	yamlBlock = regexp.MustCompile("(?s)```yaml\n(.*?)```")
	ciCommand = regexp.MustCompile(`(?m)^\s*-\s*(?:run:\s*)?(auditctl .*)$`)
	docRow    = regexp.MustCompile("(?m)^\\| `([a-z0-9-]+)` \\| (info|low|medium|high|critical) \\| (pass|fail|warn) \\|$")
)

// ciSnippets reads the CI snippets (the first yaml block under each
// heading) and their auditctl command lines.
func ciSnippets(t *testing.T, doc string) []snippet {
	var out []snippet
	for _, h := range []string{"## GitHub Actions", "## GitLab CI"} {
		i := strings.Index(doc, h)
		if i < 0 {
			t.Fatalf("docs/compliance.md has no %q section", h)
		}
		m := yamlBlock.FindStringSubmatch(doc[i:])
		if m == nil {
			t.Fatalf("%s: no yaml block", h)
		}
		s := snippet{name: h}
		for _, c := range ciCommand.FindAllStringSubmatch(m[1], -1) {
			s.commands = append(s.commands, c[1])
		}
		if len(s.commands) < 2 {
			t.Fatalf("%s: %d auditctl commands", h, len(s.commands))
		}
		out = append(out, s)
	}
	return out
}

// TestDocsSnippetsRun runs the CI snippets of docs/compliance.md as written
// (demo data, the example policies, the flags, the redirect) and checks the
// results against the docs' table of results, the JUnit and SARIF files
// they write, and the exit codes a CI job sees.
func TestDocsSnippetsRun(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(repo, "docs", "compliance.md"))
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	want := map[string]string{}
	for _, m := range docRow.FindAllStringSubmatch(doc, -1) {
		want[m[1]] = m[3]
	}
	if len(want) < 10 {
		t.Fatalf("the docs' table of results has %d rows", len(want))
	}
	docs, err := filepath.Abs(filepath.Join(repo, "docs"))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range ciSnippets(t, doc) {
		t.Run(strings.TrimPrefix(s.name, "## "), func(t *testing.T) {
			// The job's checkout: docs/ of this repository, a fresh cache.
			work := t.TempDir()
			if err := os.Symlink(docs, filepath.Join(work, "docs")); err != nil {
				t.Fatal(err)
			}
			t.Chdir(work)
			t.Setenv("AUDITCTL_DB", filepath.Join(work, "audit.db"))
			t.Setenv("GITHUB_ACTIONS", "")
			env := cmdtest.New(t)
			var report []byte
			for _, line := range s.commands {
				args, redirect := shellSplit(t, line)
				if args[1] == "demo" {
					// The same demo command in every snippet: run once.
					demoCache(t, os.Getenv("AUDITCTL_DB"), args[1:]...)
					continue
				}
				code := env.Main(args[1:]...)
				wantCode := 0
				if args[1] == "check" {
					wantCode = 1 // the demo's password spray fails the job
				}
				if code != wantCode {
					t.Fatalf("%s: exit %d, want %d\nstderr: %s", line, code, wantCode, env.ErrOut)
				}
				if redirect != "" {
					if err := os.WriteFile(redirect, env.Out.Bytes(), 0o644); err != nil {
						t.Fatal(err)
					}
				}
				if args[1] == "check" {
					report = env.Out.Bytes()
				}
			}
			x, err := os.ReadFile(filepath.Join(work, "check.xml"))
			if err != nil {
				t.Fatal(err)
			}
			var junit struct {
				Tests    int `xml:"tests,attr"`
				Failures int `xml:"failures,attr"`
			}
			if err := xml.Unmarshal(x, &junit); err != nil || junit.Tests != len(want) || junit.Failures != count(want, "fail") {
				t.Errorf("check.xml: %+v %v", junit, err)
			}
			if strings.Contains(s.name, "GitHub") {
				if _, err := os.Stat(filepath.Join(work, "check.sarif")); err != nil {
					t.Error(err)
				}
				return
			}
			// GitLab keeps the JSON report: its statuses are the docs' table.
			var r struct {
				Rules []struct{ ID, Status string }
			}
			if err := json.Unmarshal(report, &r); err != nil {
				t.Fatal(err)
			}
			got := map[string]string{}
			for _, rule := range r.Rules {
				got[rule.ID] = rule.Status
			}
			for id, st := range want {
				if got[id] != st {
					t.Errorf("rule %s: %q on the demo data, the docs say %q", id, got[id], st)
				}
			}
			if len(got) != len(want) {
				t.Errorf("%d rules ran, the docs list %d", len(got), len(want))
			}
		})
	}
}

func count(m map[string]string, v string) int {
	n := 0
	for _, x := range m {
		if x == v {
			n++
		}
	}
	return n
}

// shellSplit splits a snippet's command line as a shell would for the
// forms the docs use: words, globs (expanded), one "> FILE" redirect.
func shellSplit(t *testing.T, line string) (args []string, redirect string) {
	t.Helper()
	if strings.ContainsAny(line, `"'$|&;`+"`") {
		t.Fatalf("%q: the snippet uses shell syntax this test does not run", line)
	}
	words := strings.Fields(line)
	for i := 0; i < len(words); i++ {
		w := words[i]
		switch {
		case w == ">" && i+1 < len(words):
			redirect = words[i+1]
			i++
		case strings.Contains(w, "*"):
			m, err := filepath.Glob(w)
			if err != nil || len(m) == 0 {
				t.Fatalf("%q: %s matches nothing", line, w)
			}
			args = append(args, m...)
		default:
			args = append(args, w)
		}
	}
	return args, redirect
}

// TestCloudTrailPolicyOnSharedData: the CloudTrail rule of the examples
// fails over the shared attack simulation, which deletes a trail and stops
// logging.
func TestCloudTrailPolicyOnSharedData(t *testing.T) {
	data := filepath.Join(repo, "..", "shared", "data", "cloudtrail", "invictus-aws")
	if _, err := os.Stat(data); err != nil {
		t.Skip("no shared CloudTrail data")
	}
	env := cmdtest.New(t)
	env.MustRun("import", data)
	err := env.Run("check", filepath.Join(repo, "docs", "examples", "policies", "cloud.yaml"), "--since", "2023-07-10", "--until", "2023-07-11", "--severity", "critical")
	if err == nil || !strings.Contains(env.Out.String(), `"id": "cloudtrail-trail-deleted"`) {
		t.Fatalf("want a failure: %v\n%s", err, env.Out)
	}
	var r struct {
		Rules []struct {
			ID, Status string
			Violations []struct {
				Count  int
				Events []struct{ Action string }
			}
		}
	}
	if err := json.Unmarshal(env.Out.Bytes(), &r); err != nil {
		t.Fatal(err)
	}
	for _, rule := range r.Rules {
		if rule.ID == "cloudtrail-trail-deleted" && (rule.Status != "fail" || rule.Violations[0].Count != 5 || rule.Violations[0].Events[0].Action != "DeleteTrail") {
			t.Errorf("%+v", rule)
		}
		if rule.ID == "audit-log-export-daily" && rule.Status != "warn" {
			t.Errorf("%+v: below --severity critical", rule)
		}
	}
}
