package verify_test

import (
	"database/sql"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/auditctl/auditctl/pkg/cmd/cmdtest"
	"github.com/auditctl/auditctl/pkg/cmdutil"
	_ "modernc.org/sqlite"
)

type result struct {
	Rules []struct {
		ID         string
		Status     string
		Violations []struct{ Message, Group string }
		Notes      []string
	}
	Chain *struct {
		Records, Checkpoints, Events, Sessions, Recordings int64
		Head                                               string
		TrustedKey                                         string `json:"trusted_key"`
	}
}

func verifyJSON(t *testing.T, env *cmdtest.Env, wantCode int, args ...string) result {
	t.Helper()
	code := env.ExitCode(append([]string{"verify", "-o", "json"}, args...)...)
	if code != wantCode {
		t.Fatalf("verify %v: exit %d, want %d\nstdout: %s\nstderr: %s", args, code, wantCode, env.Out, env.ErrOut)
	}
	var r result
	if err := json.Unmarshal(env.Out.Bytes(), &r); err != nil {
		t.Fatalf("verify -o json: %v\n%s", err, env.Out)
	}
	return r
}

// messages lists the violations as "rule: message" lines.
func (r result) messages() string {
	var b strings.Builder
	for _, rule := range r.Rules {
		for _, v := range rule.Violations {
			b.WriteString(rule.ID + ": " + v.Message + "\n")
		}
	}
	return b.String()
}

// run returns the exit code and the error message of a command.
func run(env *cmdtest.Env, args ...string) (int, string) {
	err := env.Run(args...)
	if err == nil {
		return 0, ""
	}
	return cmdutil.ExitCode(err), err.Error()
}

// edit runs SQL on the cache file behind auditctl's back.
func edit(t *testing.T, env *cmdtest.Env, stmts ...string) {
	t.Helper()
	db, err := sql.Open("sqlite", env.DBPath)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

func TestVerifyDemoThenTamper(t *testing.T) {
	env := cmdtest.New(t)
	env.MustRun("demo", "--events", "3000")
	r := verifyJSON(t, env, 0)
	if r.Chain == nil || r.Chain.Events != 3000 || r.Chain.Sessions == 0 || len(r.Chain.Head) != 64 {
		t.Fatalf("chain summary %+v", r.Chain)
	}
	// demo again replaces its data: a legitimate, signed deletion
	env.MustRun("demo", "--events", "3000")
	if _, err := os.Stat(filepath.Join(filepath.Dir(env.ConfigPath), "chain.key")); err != nil {
		t.Fatalf("signing key not created beside the config file: %v", err)
	}
	r = verifyJSON(t, env, 0)
	if r.Chain.Checkpoints != 1 || r.Chain.TrustedKey == "" {
		t.Fatalf("chain summary after a legitimate deletion %+v", r.Chain)
	}
	var id, victim string
	db, _ := sql.Open("sqlite", env.DBPath)
	db.QueryRow("SELECT ext_id FROM events ORDER BY id LIMIT 1 OFFSET 10").Scan(&id)
	db.QueryRow("SELECT ext_id FROM events ORDER BY id LIMIT 1 OFFSET 20").Scan(&victim)
	db.Close()
	edit(t, env,
		"UPDATE events SET actor = 'someone-else' WHERE ext_id = '"+id+"'",
		"DELETE FROM events WHERE ext_id = '"+victim+"'",
		"INSERT INTO events (id, source, ext_id, time_ns) VALUES (42, 'demo:forged', 'forged-1', 1)")
	r = verifyJSON(t, env, 1)
	got := r.messages()
	for _, want := range []string{"events: changed: demo", "/" + id + " (key ", "events: deleted: key ", "events: inserted: demo:forged/forged-1"} {
		if !strings.Contains(got, want) {
			t.Errorf("want %q in:\n%s", want, got)
		}
	}
	// the table names them too
	if code := env.ExitCode("verify", "-o", "table"); code != 1 || !strings.Contains(env.Out.String(), "FAIL") || !strings.Contains(env.Out.String(), "forged-1") {
		t.Fatalf("table: exit %d\n%s", code, env.Out)
	}
}

func TestVerifyExitCodes(t *testing.T) {
	env := cmdtest.New(t)
	if code, msg := run(env, "verify"); code != 5 || !strings.Contains(msg, "no cache") {
		t.Fatalf("no cache: exit %d, %s", code, msg)
	}
	empty := filepath.Join(t.TempDir(), "empty.ndjson")
	os.WriteFile(empty, nil, 0o600)
	env.MustRun("import", empty)
	if code, msg := run(env, "verify"); code != 6 || !strings.Contains(msg, "nothing to verify") {
		t.Fatalf("empty cache: exit %d, %s", code, msg)
	}
	verifyJSON(t, env, 0, "--allow-empty")
	os.WriteFile(env.DBPath, []byte("not a database, not at all, but long enough to look like a file header"), 0o600)
	if code := env.ExitCode("verify"); code != 5 {
		t.Fatalf("damaged cache: exit %d, %s", code, env.ErrOut)
	}
	if code := env.ExitCode("verify", "-o", "csv"); code != 2 {
		t.Fatalf("-o csv: exit %d", code)
	}
}

func TestVerifyCheckpointSignedByAnotherKey(t *testing.T) {
	env := cmdtest.New(t)
	env.MustRun("demo", "--events", "500")
	env.MustRun("demo", "--events", "500") // a checkpoint signed with the key of env
	mine := filepath.Join(filepath.Dir(env.ConfigPath), "chain.pub")
	verifyJSON(t, env, 0, "--public-key", mine)
	// An auditor's key that did not sign it
	other := cmdtest.New(t)
	other.MustRun("demo", "--events", "500")
	other.MustRun("demo", "--events", "500")
	theirs := filepath.Join(filepath.Dir(other.ConfigPath), "chain.pub")
	r := verifyJSON(t, env, 1, "--public-key", theirs)
	if !strings.Contains(r.messages(), "chain: broken: record") || !strings.Contains(r.messages(), "not by the trusted key") {
		t.Fatalf("%s", r.messages())
	}
}

func TestVerifyRecordings(t *testing.T) {
	env := cmdtest.New(t)
	env.MustRun("demo", "--events", "200")
	r := verifyJSON(t, env, 0, "--recordings")
	if r.Chain.Recordings == 0 {
		t.Fatalf("no recording checked: %+v", r.Chain)
	}
	var path, id string
	db, _ := sql.Open("sqlite", env.DBPath)
	db.QueryRow("SELECT id, recording_path FROM sessions WHERE recording_sha256 <> '' LIMIT 1").Scan(&id, &path)
	db.Close()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("\n")
	f.Close()
	verifyJSON(t, env, 0) // the rows hold
	r = verifyJSON(t, env, 1, "--recordings")
	if !strings.Contains(r.messages(), "recordings: changed: "+id) {
		t.Fatalf("%s", r.messages())
	}
}

func TestManifestRoundTrip(t *testing.T) {
	env := cmdtest.New(t)
	env.MustRun("demo", "--events", "1000")
	out := filepath.Join(t.TempDir(), "deletions.ndjson")
	env.MustRun("logs", "export", "--action", "DeleteUser", "--since", "30d", "-O", out, "--manifest")
	mpath := out + ".manifest.json"
	var m struct {
		File, SHA256 string
		Events       int64
		Filter       struct{ Args []string }
		Chain        struct{ Seq int64 }
	}
	b, err := os.ReadFile(mpath)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	if m.File != "deletions.ndjson" || m.Events == 0 || m.Chain.Seq == 0 || strings.Join(m.Filter.Args, " ") != "--action=DeleteUser --since=30d" {
		t.Fatalf("manifest %s", b)
	}
	r := verifyJSON(t, env, 0, "--manifest", mpath)
	if !strings.Contains(strings.Join(r.Rules[0].Notes, "\n"), "still holds the chain head") {
		t.Fatalf("notes %v", r.Rules[0].Notes)
	}
	// The docs' sha256sum line checks the file alone.
	if _, err := exec.LookPath("sha256sum"); err == nil {
		cmd := exec.Command("sha256sum", "-c", "-")
		cmd.Dir = filepath.Dir(out)
		cmd.Stdin = strings.NewReader(m.SHA256 + "  " + m.File + "\n")
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("sha256sum -c: %v\n%s", err, b)
		}
	}
	// A changed manifest (one event fewer) no longer matches its signature.
	os.WriteFile(mpath, []byte(strings.Replace(string(b), `"events": `, `"events": 1`, 1)), 0o600)
	r = verifyJSON(t, env, 1, "--manifest", mpath)
	if !strings.Contains(r.messages(), "signature: the signature does not match") {
		t.Fatalf("%s", r.messages())
	}
	os.WriteFile(mpath, b, 0o600)
	// A changed file
	os.WriteFile(out, []byte("{}\n"), 0o600)
	r = verifyJSON(t, env, 1, "--manifest", mpath)
	if !strings.Contains(r.messages(), "deletions.ndjson changed: sha256") {
		t.Fatalf("%s", r.messages())
	}
	// A manifest that is not one: exit 3 with the line and column
	os.WriteFile(mpath, []byte("{\n  \"version\": 1,\n  \"file\": 7\n}\n"), 0o600)
	if code, msg := run(env, "verify", "--manifest", mpath); code != 3 || !strings.Contains(msg, "line 3") {
		t.Fatalf("bad manifest: exit %d, %s", code, msg)
	}
	if code := env.ExitCode("logs", "export", "--manifest"); code != 2 {
		t.Fatalf("--manifest to stdout: exit %d", code)
	}
}

// --junit and --sarif write the same rules as the output, as check's do:
// each rule a test case, a changed row a failure and a SARIF result; an
// unwritable report file is exit 5 and leaves nothing behind.
func TestVerifyReportFiles(t *testing.T) {
	env := cmdtest.New(t)
	env.MustRun("demo", "--events", "500")
	dir := t.TempDir()
	junit, sarif := filepath.Join(dir, "verify.xml"), filepath.Join(dir, "verify.sarif")
	verifyJSON(t, env, 0, "--junit", junit, "--sarif", sarif)
	x, err := os.ReadFile(junit)
	if err != nil || !strings.Contains(string(x), `<testcase name="events`) || strings.Contains(string(x), "<failure") {
		t.Fatalf("junit of a cache that holds: %v\n%s", err, x)
	}
	edit(t, env, "UPDATE events SET actor = 'someone-else' WHERE id = (SELECT id FROM events ORDER BY id LIMIT 1 OFFSET 7)")
	verifyJSON(t, env, 1, "--junit", junit, "--sarif", sarif)
	x, _ = os.ReadFile(junit)
	if !strings.Contains(string(x), "<failure") || !strings.Contains(string(x), "changed") {
		t.Fatalf("junit of a changed row:\n%s", x)
	}
	var s struct {
		Runs []struct {
			Results []struct {
				RuleID  string `json:"ruleId"`
				Message struct{ Text string }
			}
		}
	}
	b, _ := os.ReadFile(sarif)
	if err := json.Unmarshal(b, &s); err != nil || len(s.Runs) != 1 || len(s.Runs[0].Results) != 1 ||
		s.Runs[0].Results[0].RuleID != "events" || !strings.Contains(s.Runs[0].Results[0].Message.Text, "changed") {
		t.Fatalf("sarif of a changed row: %v\n%s", err, b)
	}
	missing := filepath.Join(dir, "no-such-dir", "verify.xml")
	if code := env.ExitCode("verify", "--junit", missing); code != 5 {
		t.Fatalf("unwritable --junit: exit %d, %s", code, env.ErrOut)
	}
	if _, err := os.Stat(missing); err == nil {
		t.Fatal("a report file was left behind")
	}
}
