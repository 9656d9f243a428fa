package sigma

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/auditctl/auditctl/internal/ctgen"
	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/importer"
	"github.com/auditctl/auditctl/pkg/store/sqlite"
)

const (
	sharedRules = "../../../shared/data/sigma/aws-cloudtrail"
	sharedTrail = "../../../shared/data/cloudtrail/invictus-aws"
)

func needShared(t testing.TB) {
	t.Helper()
	for _, d := range []string{sharedRules, sharedTrail} {
		if _, err := os.Stat(d); err != nil {
			t.Skipf("shared data absent: %v", err)
		}
	}
}

// newCache imports the named inputs (files, or name -> content) into a new
// cache.
func newCache(t testing.TB, inputs map[string][]byte) *sqlite.DB {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "audit.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	names := make([]string, 0, len(inputs))
	for n := range inputs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		r, _, err := importer.Open(n, bytes.NewReader(inputs[n]), importer.FormatAuto)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Import(ctx, r, sqlite.ImportOptions{Name: n}); err != nil {
			t.Fatalf("import %s: %v", n, err)
		}
	}
	return db
}

func sharedInputs(t testing.TB) map[string][]byte {
	files, _ := filepath.Glob(filepath.Join(sharedTrail, "*.json"))
	in := map[string][]byte{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		in[filepath.Base(f)] = b
	}
	return in
}

// matches runs a hunt and returns "rule id|source|event id" of every match.
func matches(t testing.TB, svc audit.EventService, rules []*Rule, opt Options) ([]string, []Result, Stats) {
	t.Helper()
	var got []string
	opt.OnMatch = func(r *Rule, e *audit.Event) { got = append(got, r.ID+"|"+e.Source+"|"+e.ID) }
	res, st, err := Run(context.Background(), svc, rules, opt)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		if r.Err != nil {
			t.Errorf("%s: %v", r.Rule.ID, r.Err)
		}
	}
	sort.Strings(got)
	return got, res, st
}

func comparePushdown(t *testing.T, db *sqlite.DB, rules []*Rule) (map[string]int, Stats, Stats) {
	t.Helper()
	fast, res, stFast := matches(t, db, rules, Options{})
	slow, _, stSlow := matches(t, db, rules, Options{NoPushdown: true})
	if !slices.Equal(fast, slow) {
		t.Errorf("pushdown found %d matches, brute force %d", len(fast), len(slow))
		for _, m := range fast {
			if !slices.Contains(slow, m) {
				t.Errorf("only with pushdown: %s", m)
			}
		}
		for _, m := range slow {
			if !slices.Contains(fast, m) {
				t.Errorf("only without pushdown: %s", m)
			}
		}
	}
	per := map[string]int{}
	for _, r := range res {
		per[r.Rule.Title] = int(r.Count)
		if int(r.Count) < len(r.Events) || (r.Count > 0 && len(r.Events) == 0) {
			t.Errorf("%s: count %d, %d events kept", r.Rule.ID, r.Count, len(r.Events))
		}
	}
	return per, stFast, stSlow
}

// TestSharedRulesLoad: the 57 SigmaHQ CloudTrail rules all load, and each
// pushes something down (the IMDS rule, a regular expression on
// userIdentity.arn, through the full-text index).
func TestSharedRulesLoad(t *testing.T) {
	needShared(t)
	rules, err := Load([]string{sharedRules, filepath.Join(sharedRules, "aws_root_account_usage.yml")})
	if err != nil {
		t.Fatal(err)
	}
	if len(rules) != 57 {
		t.Fatalf("%d rules, want 57 (a file named again is read once)", len(rules))
	}
	var scans []string
	for _, r := range rules {
		if !r.Usable() {
			t.Errorf("%s (%s): %v %s", r.File, r.Title, r.Err, r.Skip)
		}
		if r.Schema != SchemaCloudTrail {
			t.Errorf("%s: schema %s", r.File, r.Schema)
		}
		if len(r.terms) == 0 {
			scans = append(scans, filepath.Base(r.File))
		}
	}
	if len(scans) > 0 {
		t.Errorf("rules without pushdown: %v", scans)
	}
}

// TestPushdownEqualsBruteForceShared: over the shared CloudTrail data, the
// pushed-down hunt finds exactly what sigma-go finds evaluating every rule
// on every event.
func TestPushdownEqualsBruteForceShared(t *testing.T) {
	needShared(t)
	db := newCache(t, sharedInputs(t))
	rules, err := Load([]string{sharedRules})
	if err != nil {
		t.Fatal(err)
	}
	per, fast, slow := comparePushdown(t, db, rules)
	// What the attack simulation holds (counted with jq over the files:
	// StopLogging and DeleteTrail 5, AssumedRole identities 70…); every
	// other rule finds nothing.
	want := map[string]int{
		"AWS Bucket Deleted": 1, "AWS CloudTrail Important Change": 5, "AWS STS AssumeRole Misuse": 70,
		"AWS VPC Flow Logs Deleted": 1, "New Network Route Added": 4, "Potential Bucket Enumeration on AWS": 1,
		"Potential Malicious Usage of CloudTrail System Manager": 1,
	}
	for title, n := range per {
		if n != want[title] {
			t.Errorf("%s: %d matches, want %d", title, n, want[title])
		}
	}
	if fast.Evaluated >= slow.Evaluated {
		t.Errorf("pushdown evaluated %d events, brute force %d", fast.Evaluated, slow.Evaluated)
	}
	t.Logf("evaluations: %d with pushdown, %d without", fast.Evaluated, slow.Evaluated)
}

// TestPushdownEqualsBruteForceGenerated: the same over generated records
// changed toward every rule (matches and near misses).
func TestPushdownEqualsBruteForceGenerated(t *testing.T) {
	needShared(t)
	tpl, err := ctgen.LoadTemplates(sharedTrail)
	if err != nil {
		t.Fatal(err)
	}
	for _, seed := range []uint64{1, 2} {
		var buf bytes.Buffer
		if err := ctgen.Write(&buf, ctgen.Options{N: 1500, Seed: seed, Mutate: 0.7, Templates: tpl}); err != nil {
			t.Fatal(err)
		}
		db := newCache(t, map[string][]byte{"gen.ndjson": buf.Bytes()})
		rules, err := Load([]string{sharedRules})
		if err != nil {
			t.Fatal(err)
		}
		per, _, _ := comparePushdown(t, db, rules)
		hit := 0
		var none []string
		for title, n := range per {
			if n > 0 {
				hit++
			} else {
				none = append(none, title)
			}
		}
		sort.Strings(none)
		if hit < 45 {
			t.Errorf("seed %d: only %d of 57 rules matched something; none: %s", seed, hit, strings.Join(none, "; "))
		}
		t.Logf("seed %d: %d rules matched; none: %s", seed, hit, strings.Join(none, "; "))
	}
}
