package importcmd_test

import (
	"bytes"
	"compress/gzip"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/cmd/cmdtest"
	"github.com/auditctl/auditctl/pkg/cmd/importcmd"
	"github.com/auditctl/auditctl/pkg/cmdutil"
	"github.com/auditctl/auditctl/player/vt"
)

// cloudTrailDir is the real CloudTrail data set shared beside the repository;
// it is absent on a fresh clone.
const cloudTrailDir = "../../../../shared/data/cloudtrail/invictus-aws/"

// testdata is the importer's fixture directory.
const testdata = "../../importer/testdata"

// count returns `logs count --all [args]`.
func count(t *testing.T, env *cmdtest.Env, args ...string) int64 {
	t.Helper()
	out := env.MustRun(append([]string{"logs", "count", "--all", "-o", "json"}, args...)...)
	var c struct {
		Total *int64 `json:"total"`
	}
	if err := json.Unmarshal([]byte(out), &c); err != nil || c.Total == nil {
		t.Fatalf("logs count %v: %q: %v", args, out, err)
	}
	return *c.Total
}

// list returns `logs list --all [args] -o json`.
func list(t *testing.T, env *cmdtest.Env, args ...string) []audit.Event {
	t.Helper()
	out := env.MustRun(append([]string{"logs", "list", "--all", "--limit", "10000", "-o", "json"}, args...)...)
	var events []audit.Event
	if err := json.Unmarshal([]byte(out), &events); err != nil {
		t.Fatalf("logs list %v: %q: %v", args, out, err)
	}
	return events
}

// ndjson returns n events in auditctl's own shape, ids prefix-from..prefix-(from+n-1).
func ndjson(prefix string, from, n int) []byte {
	var b bytes.Buffer
	for i := from; i < from+n; i++ {
		fmt.Fprintf(&b, `{"id":"%s-%04d","time":"2026-11-%02dT%02d:%02d:00Z","source":"test","service":"user","action":"Login","actor":"user%d@example.com","status":"success"}`+"\n",
			prefix, i, 1+i%28, i%24, i%60, i%7)
	}
	return b.Bytes()
}

func writeFile(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func gzipBytes(t *testing.T, data []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	if _, err := zw.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

type ctRecord struct {
	EventID         string `json:"eventID"`
	EventTime       string `json:"eventTime"`
	EventName       string `json:"eventName"`
	EventSource     string `json:"eventSource"`
	SourceIPAddress string `json:"sourceIPAddress"`
	ErrorCode       string `json:"errorCode"`
	UserIdentity    struct {
		UserName string `json:"userName"`
	} `json:"userIdentity"`
}

// readCloudTrail reads every {"Records":[…]} file under dir, as the import
// command would find them (LICENSE and the like skipped).
func readCloudTrail(t *testing.T, dir string) []ctRecord {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var all []ctRecord
	for _, ent := range entries {
		if ent.IsDir() || !strings.HasSuffix(ent.Name(), ".json") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, ent.Name()))
		if err != nil {
			t.Fatal(err)
		}
		var file struct {
			Records []ctRecord `json:"Records"`
		}
		if err := json.Unmarshal(b, &file); err != nil {
			t.Fatalf("%s: %v", ent.Name(), err)
		}
		all = append(all, file.Records...)
	}
	return all
}

func TestImportCloudTrailDataSet(t *testing.T) {
	if _, err := os.Stat(cloudTrailDir); err != nil {
		t.Skipf("CloudTrail data set not available: %v", err)
	}
	records := readCloudTrail(t, cloudTrailDir)
	ids := map[string]bool{}
	for _, r := range records {
		ids[r.EventID] = true
	}
	if len(records) == 0 || len(ids) != len(records) {
		t.Fatalf("data set: %d records, %d distinct ids", len(records), len(ids))
	}
	if len(records) != 1448 {
		t.Logf("note: the data set holds %d records (1448 expected when this test was written)", len(records))
	}

	env := cmdtest.New(t)
	env.MustRun("import", cloudTrailDir)
	if !strings.Contains(env.ErrOut.String(), "new events, 0 already stored") {
		t.Errorf("summary: %s", env.ErrOut)
	}
	want := int64(len(records))
	if got := count(t, env); got != want {
		t.Fatalf("logs count --all = %d, want %d", got, want)
	}
	if got := count(t, env, "--source", "cloudtrail"); got != want {
		t.Fatalf("--source cloudtrail = %d, want %d", got, want)
	}

	// Mapped fields of a few records against the file.
	var picks []ctRecord
	var failed, succeeded, noUser bool
	for _, r := range records {
		switch {
		case !failed && r.ErrorCode != "" && r.UserIdentity.UserName != "":
			failed = true
		case !succeeded && r.ErrorCode == "" && r.UserIdentity.UserName != "":
			succeeded = true
		case !noUser && r.UserIdentity.UserName == "":
			noUser = true
		default:
			continue
		}
		picks = append(picks, r)
	}
	if !failed || !succeeded {
		t.Fatalf("the data set has no failed (%v) or successful (%v) IAM user call", failed, succeeded)
	}
	for _, r := range picks {
		got := list(t, env, "-q", "id:"+r.EventID)
		if len(got) != 1 {
			t.Fatalf("id:%s: %d events", r.EventID, len(got))
		}
		e := got[0]
		if e.ID != r.EventID || e.Source != "cloudtrail" || e.Action != r.EventName || e.Service != r.EventSource || e.IP != r.SourceIPAddress {
			t.Errorf("%s: id %q source %q action %q service %q ip %q; record %+v", r.EventID, e.ID, e.Source, e.Action, e.Service, e.IP, r)
		}
		if want := r.EventTime; e.Time.UTC().Format("2006-01-02T15:04:05Z") != want {
			t.Errorf("%s: time %s, want %s", r.EventID, e.Time, want)
		}
		if r.UserIdentity.UserName != "" && e.Actor != r.UserIdentity.UserName {
			t.Errorf("%s: actor %q, want %q", r.EventID, e.Actor, r.UserIdentity.UserName)
		}
		if r.ErrorCode != "" {
			if e.Status != audit.StatusFailure || !strings.HasPrefix(e.Error, r.ErrorCode) {
				t.Errorf("%s: status %q error %q, want failure with %q", r.EventID, e.Status, e.Error, r.ErrorCode)
			}
		} else if e.Status != audit.StatusSuccess {
			t.Errorf("%s: status %q, want success", r.EventID, e.Status)
		}
	}

	// Importing the directory, or one of its files, again adds nothing.
	env.MustRun("import", cloudTrailDir)
	for _, line := range strings.Split(strings.TrimSpace(env.ErrOut.String()), "\n") {
		if !strings.Contains(line, ": 0 new events, ") {
			t.Errorf("re-import added events: %s", line)
		}
	}
	entries, _ := os.ReadDir(cloudTrailDir)
	var one string
	for _, ent := range entries {
		if strings.HasSuffix(ent.Name(), ".json") {
			one = filepath.Join(cloudTrailDir, ent.Name())
			break
		}
	}
	env.MustRun("import", one)
	if !strings.Contains(env.ErrOut.String(), ": 0 new events, ") {
		t.Errorf("re-import of %s: %s", one, env.ErrOut)
	}
	if got := count(t, env); got != want {
		t.Fatalf("after re-import: %d events, want %d", got, want)
	}
}

func TestImportIdempotent(t *testing.T) {
	env := cmdtest.New(t)
	dir := t.TempDir()
	data := ndjson("ev", 0, 50)
	path := writeFile(t, dir, "events.ndjson", data)
	env.MustRun("import", path)
	if got := env.ErrOut.String(); !strings.Contains(got, "events.ndjson: 50 new events, 0 already stored") {
		t.Fatalf("first import: %s", got)
	}
	for _, args := range [][]string{
		{"import", path},
		{"import", dir},
		{"import", writeFile(t, t.TempDir(), "events.ndjson.gz", gzipBytes(t, data))},
	} {
		env.MustRun(args...)
		if got := env.ErrOut.String(); !strings.Contains(got, ": 0 new events, 50 already stored") {
			t.Errorf("%v: %s", args, got)
		}
		if got := count(t, env); got != 50 {
			t.Fatalf("after %v: %d events", args, got)
		}
	}

	// A gzip copy of a fixture whose records have no source of their own
	// (JumpCloud: the source is "jumpcloud") adds nothing either.
	env.MustRun("import", filepath.Join(testdata, "jumpcloud.ndjson"))
	n := count(t, env)
	gz := writeFile(t, t.TempDir(), "copy.ndjson.gz", gzipBytes(t, mustRead(t, filepath.Join(testdata, "jumpcloud.ndjson"))))
	env.MustRun("import", gz)
	if !strings.Contains(env.ErrOut.String(), ": 0 new events, ") || count(t, env) != n {
		t.Errorf("gzip copy of jumpcloud.ndjson: %s", env.ErrOut)
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// badThirdLine is NDJSON of 4 events whose 3rd line has a bad time.
func badThirdLine() []byte {
	lines := bytes.SplitAfter(ndjson("bad", 0, 4), []byte("\n"))
	lines[2] = []byte(`{"id":"bad-0002","time":"yesterday","source":"test","action":"Login"}` + "\n")
	return bytes.Join(lines, nil)
}

func TestImportMalformedRecordAbortsFile(t *testing.T) {
	env := cmdtest.New(t)
	dir := t.TempDir()
	bad := writeFile(t, dir, "bad.ndjson", badThirdLine())

	err := env.Run("import", bad)
	if code := cmdutil.ExitCode(err); code != 3 {
		t.Fatalf("exit %d (%v), want 3", code, err)
	}
	for _, want := range []string{"bad.ndjson:3:", `field "time"`, "yesterday"} {
		if !strings.Contains(err.Error(), want) || !strings.Contains(env.ErrOut.String(), want) {
			t.Errorf("error %q / stderr %q does not say %q", err, env.ErrOut, want)
		}
	}
	if strings.Count(env.ErrOut.String(), "bad.ndjson:3:") != 1 {
		t.Errorf("the error is printed more or less than once: %q", env.ErrOut)
	}
	if got := count(t, env); got != 0 {
		t.Fatalf("%d events stored from the failed file", got)
	}

	// Earlier good files of the same invocation stay stored; the bad one
	// stores nothing; a later good file is still imported.
	good1 := writeFile(t, dir, "a-good.ndjson", ndjson("a", 0, 5))
	good2 := writeFile(t, dir, "c-good.ndjson", ndjson("c", 0, 7))
	err = env.Run("import", good1, bad, good2)
	if code := cmdutil.ExitCode(err); code != 3 {
		t.Fatalf("three files: exit %d (%v), want 3", code, err)
	}
	if !strings.Contains(env.ErrOut.String(), "bad.ndjson:3:") || !strings.Contains(err.Error(), "1 of 3 files failed") {
		t.Errorf("three files: error %q, stderr %q", err, env.ErrOut)
	}
	if got := count(t, env); got != 12 {
		t.Fatalf("three files: %d events, want 12 (5 + 7, none of bad.ndjson)", got)
	}
	if got := count(t, env, "-q", "id:bad-0000"); got != 0 {
		t.Fatalf("bad.ndjson's first record was stored")
	}

	// Directory form: same thing.
	env2 := cmdtest.New(t)
	if code := env2.ExitCode("import", dir); code != 3 {
		t.Fatalf("directory: exit %d", code)
	}
	if got := count(t, env2); got != 12 {
		t.Fatalf("directory: %d events, want 12", got)
	}

	// --skip-invalid stores the other three.
	env.MustRun("import", "--skip-invalid", bad)
	if got := env.ErrOut.String(); !strings.Contains(got, "bad.ndjson: 3 new events, 0 already stored, 1 invalid skipped") {
		t.Errorf("--skip-invalid summary: %q", got)
	}
	if got := count(t, env); got != 15 {
		t.Fatalf("--skip-invalid: %d events, want 15", got)
	}
	if got := len(list(t, env, "-q", "id:bad-0002")); got != 0 {
		t.Fatalf("the invalid record was stored")
	}
}

func TestImportStdin(t *testing.T) {
	env := cmdtest.New(t)
	env.In.Write(ndjson("in", 0, 6))
	env.MustRun("import", "-")
	if got := env.ErrOut.String(); !strings.Contains(got, "6 new events, 0 already stored") {
		t.Errorf("stdin summary: %q", got)
	}
	if got := count(t, env, "--source", "test"); got != 6 {
		t.Fatalf("stdin: %d events", got)
	}
	// Records without a source of their own are file:stdin.
	env.In.Reset()
	env.In.WriteString(`{"time":"2026-11-05T10:00:00Z","action":"Logout","actor":"x"}` + "\n")
	env.MustRun("import", "-")
	if got := list(t, env, "--source", "file:stdin"); len(got) != 1 || got[0].Action != "Logout" {
		t.Fatalf("file:stdin: %+v", got)
	}
	if code := env.ExitCode("import", "-", "-"); code != 2 {
		t.Fatalf("- twice: exit %d", code)
	}
}

func TestImportFormatErrors(t *testing.T) {
	env := cmdtest.New(t)
	dir := t.TempDir()
	js := writeFile(t, dir, "events.ndjson", ndjson("f", 0, 3))
	for _, file := range []string{js, filepath.Join(testdata, "jumpcloud.json")} {
		err := env.Run("import", "--format", "csv", file)
		if code := cmdutil.ExitCode(err); code != 3 {
			t.Fatalf("--format csv %s: exit %d (%v)", file, code, err)
		}
		if !strings.Contains(env.ErrOut.String(), filepath.Base(file)+":1:") {
			t.Errorf("--format csv %s: %q", file, env.ErrOut)
		}
	}
	if got := count(t, env); got != 0 {
		t.Fatalf("%d events stored", got)
	}

	// Errors the command returns without printing are printed by main,
	// through cmdutil.PrintError.
	err := env.Run("import", "--format", "bogus", js)
	if code := cmdutil.ExitCode(err); code != 2 {
		t.Fatalf("--format bogus: exit %d", code)
	}
	if !strings.Contains(err.Error(), `unknown format "bogus"`) {
		t.Errorf("--format bogus: %v", err)
	}

	text := writeFile(t, dir, "notes.txt", []byte("Dear diary,\nnothing happened today. Really.\n"))
	if code := env.ExitCode("import", text); code != 3 {
		t.Fatalf("text file: exit %d", code)
	}
	if got := env.ErrOut.String(); !strings.Contains(got, "notes.txt") || !strings.Contains(got, "--format") {
		t.Errorf("text file: %q", got)
	}

	missing := filepath.Join(dir, "no-such-file.ndjson")
	err = env.Run("import", js, missing)
	if code := cmdutil.ExitCode(err); code == 0 {
		t.Fatalf("missing file: exit 0")
	}
	if !strings.Contains(err.Error(), "no-such-file.ndjson") {
		t.Errorf("missing file: %v", err)
	}
	if code := env.ExitCode("import"); code != 2 {
		t.Fatalf("no arguments: exit %d", code)
	}
}

// csvRows counts the data rows of a CSV file.
func csvRows(t *testing.T, path string) int {
	t.Helper()
	r := csv.NewReader(bytes.NewReader(mustRead(t, path)))
	rows, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return len(rows) - 1
}

func TestImportFixtures(t *testing.T) {
	env := cmdtest.New(t)

	seed := filepath.Join(testdata, "seed004.csv")
	rows := csvRows(t, seed)
	env.MustRun("import", seed)
	if !strings.Contains(env.ErrOut.String(), fmt.Sprintf("seed004.csv: %d new", rows)) {
		t.Errorf("seed004.csv: %q", env.ErrOut)
	}
	events := list(t, env, "--source", "file:seed004.csv")
	if len(events) != rows || rows == 0 {
		t.Fatalf("seed004.csv: %d events, want %d", len(events), rows)
	}
	for _, e := range events {
		if e.Tenant == "" || e.Action == "" || e.WorkflowType == "" {
			t.Errorf("seed004 event not mapped: %+v", e)
		}
	}
	got := list(t, env, "-q", "id:a1000000-0000-4000-8000-000000000001")
	if len(got) != 1 || got[0].Action != "user:attempting" || got[0].Actor != "admin@example.com" ||
		got[0].Status != audit.StatusInProgress || got[0].Category != "User Management" {
		t.Errorf("seed004 first row: %+v", got)
	}

	var di []json.RawMessage
	if err := json.Unmarshal(mustRead(t, filepath.Join(testdata, "jumpcloud.json")), &di); err != nil {
		t.Fatal(err)
	}
	env.MustRun("import", filepath.Join(testdata, "jumpcloud.json"))
	if got := count(t, env, "--source", "jumpcloud"); got != int64(len(di)) || len(di) == 0 {
		t.Fatalf("jumpcloud.json: %d events, want %d", got, len(di))
	}
	// The NDJSON and gzip fixtures hold the same events.
	for _, name := range []string{"jumpcloud.ndjson", "jumpcloud.json.gz", "jumpcloud.ndjson.gz"} {
		env.MustRun("import", filepath.Join(testdata, name))
		if !strings.Contains(env.ErrOut.String(), fmt.Sprintf("0 new events, %d already stored", len(di))) {
			t.Errorf("%s: %q", name, env.ErrOut)
		}
	}
	events = list(t, env, "--source", "jumpcloud")
	if len(events) != len(di) {
		t.Fatalf("--source jumpcloud: %d events, want %d", len(events), len(di))
	}
	if got := list(t, env, "--source", "jumpcloud", "-q", "id:60d1f3a2c6e2a0a1b2c3d401"); len(got) != 1 ||
		got[0].Action != "admin_login_attempt" || got[0].Service != "directory" || got[0].IP != "203.0.113.7" ||
		got[0].Actor != "admin@example.com" {
		t.Errorf("first DI event: %+v", got)
	}
	if got := count(t, env); got != int64(rows+len(di)) {
		t.Fatalf("total %d, want %d", got, rows+len(di))
	}
}

func TestImportJSONOutput(t *testing.T) {
	env := cmdtest.New(t)
	dir := t.TempDir()
	a := writeFile(t, dir, "a.ndjson", ndjson("j", 0, 4))
	b := writeFile(t, dir, "b.ndjson", ndjson("j", 2, 4)) // 2 overlap with a
	bad := writeFile(t, dir, "bad.ndjson", badThirdLine())
	out := env.MustRun("import", "-o", "json", a, b, filepath.Join(testdata, "seed004.csv"))
	var res []importcmd.FileResult
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("%q: %v", out, err)
	}
	rows := csvRows(t, filepath.Join(testdata, "seed004.csv"))
	if len(res) != 3 ||
		res[0].File != a || res[0].Format != "ndjson" || res[0].Read != 4 || res[0].Inserted != 4 || res[0].Duplicates != 0 ||
		res[1].File != b || res[1].Read != 4 || res[1].Inserted != 2 || res[1].Duplicates != 2 ||
		res[2].Format != "csv" || res[2].Inserted != rows || res[2].Error != "" {
		t.Fatalf("results: %+v", res)
	}
	if strings.Contains(env.ErrOut.String(), "new,") {
		t.Errorf("-o json also printed the text summary: %q", env.ErrOut)
	}

	// A failed file is in the array with its error; the exit code is still 3.
	err := env.Run("import", "-o", "json", "--skip-invalid=false", a, bad)
	if code := cmdutil.ExitCode(err); code != 3 {
		t.Fatalf("exit %d", code)
	}
	res = nil
	if err := json.Unmarshal(env.Out.Bytes(), &res); err != nil {
		t.Fatalf("%q: %v", env.Out, err)
	}
	if len(res) != 2 || res[0].Error != "" || res[0].Duplicates != 4 ||
		res[1].File != bad || !strings.Contains(res[1].Error, "bad.ndjson:3:") || res[1].Inserted != 0 {
		t.Fatalf("results with a failure: %+v", res)
	}

	env.MustRun("import", "-o", "json", "--skip-invalid", bad)
	res = nil
	if err := json.Unmarshal(env.Out.Bytes(), &res); err != nil {
		t.Fatalf("%q: %v", env.Out, err)
	}
	if len(res) != 1 || res[0].Read != 4 || res[0].Inserted != 3 || res[0].Skipped != 1 || res[0].Duplicates != 0 {
		t.Fatalf("--skip-invalid results: %+v", res)
	}
}

func TestImportConcurrentSameCache(t *testing.T) {
	for round := 0; round < 3; round++ {
		t.Run(fmt.Sprint(round), func(t *testing.T) {
			env1 := cmdtest.New(t)
			env2 := cmdtest.New(t)
			env2.DBPath = env1.DBPath // both on one fresh cache
			dir := t.TempDir()
			// 600 + 600 events, 300 of them in both.
			a := writeFile(t, dir, "a.ndjson", ndjson("cc", 0, 600))
			b := writeFile(t, dir, "b.ndjson", ndjson("cc", 300, 600))
			c := writeFile(t, dir, "c.ndjson", ndjson("only1", 0, 100))

			var wg sync.WaitGroup
			errs := make([]error, 2)
			wg.Add(2)
			go func() { defer wg.Done(); errs[0] = env1.Run("import", a, c) }()
			go func() { defer wg.Done(); errs[1] = env2.Run("import", b) }()
			wg.Wait()
			for i, err := range errs {
				if err != nil {
					t.Fatalf("import %d: %v\nstderr 1: %s\nstderr 2: %s", i+1, err, env1.ErrOut, env2.ErrOut)
				}
			}
			if got := count(t, env1); got != 1000 {
				t.Fatalf("%d events, want 900 + 100", got)
			}
			if got := count(t, env2, "--source", "test", "-q", "id:cc-0599"); got != 1 {
				t.Fatalf("shared event stored %d times", got)
			}
		})
	}
}

// A file whose every record is invalid is a failure even with
// --skip-invalid (exit 3, a message, nothing stored), also among good files.
func TestImportSkipInvalidAllInvalidFails(t *testing.T) {
	env := cmdtest.New(t)
	dir := t.TempDir()
	junk := writeFile(t, dir, "junk.ndjson", []byte("{\"id\":\"a\",\"time\":\"not a time\"}\n{\"id\":\"b\",\"time\":\"2026-13-45\"}\n"))
	good := writeFile(t, dir, "good.ndjson", ndjson("g", 0, 3))

	err := env.Run("import", "--skip-invalid", junk)
	if code := cmdutil.ExitCode(err); code != 3 {
		t.Fatalf("exit %d (%v), stderr %q", code, err, env.ErrOut)
	}
	msg := env.ErrOut.String() + fmt.Sprint(err)
	if !strings.Contains(msg, "junk.ndjson: every record was invalid (2 skipped)") {
		t.Fatalf("message: %q", msg)
	}
	if got := count(t, env); got != 0 {
		t.Fatalf("%d events stored", got)
	}

	err = env.Run("import", "--skip-invalid", good, junk)
	if code := cmdutil.ExitCode(err); code != 3 {
		t.Fatalf("with a good file: exit %d (%v)", code, err)
	}
	if got := count(t, env); got != 3 {
		t.Fatalf("with a good file: %d events, want 3", got)
	}
}

// A folder of 35 files on a terminal: one progress line redrawn in place,
// and at the end nothing on the screen but one summary line (no per-file
// lines, no cut-off bars left behind), even with names wider than the
// terminal. Piped: the summary line alone.
func TestImportFolderOneProgressLineOneSummary(t *testing.T) {
	old := cmdutil.ProgressEvery
	cmdutil.ProgressEvery = 0 // draw on every update
	t.Cleanup(func() { cmdutil.ProgressEvery = old })

	dir := filepath.Join(t.TempDir(), strings.Repeat("long-folder-name-", 6))
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 35; i++ {
		writeFile(t, dir, fmt.Sprintf("part-%02d-\x1b]0;evil\x07.ndjson", i), ndjson(fmt.Sprintf("f%02d", i), 0, 100))
	}

	env := cmdtest.New(t)
	env.IO.SetStderrTTY(true)
	env.IO.SetStderrWidth(80)
	env.MustRun("import", dir)
	raw := env.ErrOut.String()
	if n := strings.Count(raw, "\r"); n < 70 {
		t.Fatalf("%d redraws: the line was not redrawn per file", n)
	}
	if strings.Contains(raw, "\x07") || strings.Contains(raw, "\x1b]0") {
		t.Fatalf("a file name reached the terminal raw")
	}
	if strings.Count(raw, "\n") != 1 {
		t.Fatalf("%d lines written, want one summary line", strings.Count(raw, "\n"))
	}
	term := vt.New(80, 24)
	term.WriteString(strings.ReplaceAll(raw, "\n", "\r\n")) // the tty's onlcr
	screen := strings.TrimSpace(term.Text())
	want := "imported 35 files: 3500 new events, 0 already stored ("
	if !strings.HasPrefix(screen, want) || strings.Contains(screen, "\n") {
		t.Fatalf("screen after the run:\n%s\nwant only the summary %q…", screen, want)
	}

	// piped: no progress, the summary line only
	env.IO.SetStderrTTY(false)
	env.MustRun("import", dir)
	if got := env.ErrOut.String(); !strings.HasPrefix(got, "imported 35 files: 0 new events, 3500 already stored (") ||
		strings.Count(got, "\n") != 1 || strings.Contains(got, "\r") {
		t.Fatalf("piped stderr: %q", got)
	}
	// --quiet: nothing at all
	env.IO.SetStderrTTY(true)
	env.MustRun("--quiet", "import", dir)
	if got := env.ErrOut.String(); got != "" {
		t.Fatalf("--quiet stderr: %q", got)
	}
}
