package logs_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/cmd/cmdtest"
)

// hostile is a value that would drive a terminal: colour, an OSC 8
// hyperlink, an OSC 52 clipboard write, CR overwrite, backspace, a C1 CSI,
// a right-to-left override and NUL.
const hostile = "evil\x1b[31mRED\x1b]8;;http://x\x07link\x1b]8;;\x07\x1b]52;c;cm0gLXJm\x07\rOK\b\u009b2J\u202etxt.exe\x00"

// fixture writes NDJSON events in auditctl's own shape and imports them.
func fixture(t *testing.T, env *cmdtest.Env) []audit.Event {
	t.Helper()
	var events []audit.Event
	for i := 0; i < 40; i++ {
		e := audit.Event{
			ID: fmt.Sprintf("ev-%02d", i), Source: "fixture", Time: cmdtest.Now.Add(-time.Duration(i) * 6 * time.Hour),
			Service: "user", Action: "Login", Actor: []string{"alice@example.com", "bob@example.com"}[i%2],
			IP: fmt.Sprintf("10.1.%d.%d", i%2, i), Status: audit.StatusSuccess, DurationMS: audit.Ms(int64(10 * i)),
			UserAgent: "Mozilla/5.0 Firefox/131.0", Tenant: "acme",
			Description: fmt.Sprintf("event number %d", i),
			Params:      json.RawMessage(fmt.Sprintf(`{"n":%d}`, i)),
		}
		if i%4 == 0 {
			e.Action = "DeleteUser"
		}
		if i%3 == 0 {
			e.Status = audit.StatusFailure
			e.Error = "permission denied"
		}
		if i == 1 {
			e.Actor = hostile
			e.Description = "=HYPERLINK(\"http://evil\") " + hostile
			e.Params = json.RawMessage(`{"note":` + mustJSON(hostile) + `}`)
			e.Before = json.RawMessage(`{"role":"user","name":"x"}`)
			e.After = json.RawMessage(`{"role":"admin","name":"x","mfa":true}`)
		}
		e.Raw, _ = json.Marshal(map[string]any{"id": e.ID, "n": i})
		events = append(events, e)
	}
	path := filepath.Join(t.TempDir(), "fixture.ndjson")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	enc := json.NewEncoder(f)
	for _, e := range events {
		if err := enc.Encode(e); err != nil {
			t.Fatal(err)
		}
	}
	f.Close()
	env.MustRun("import", path)
	return events
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func decodeEvents(t *testing.T, s string) []audit.Event {
	t.Helper()
	var out []audit.Event
	if err := json.Unmarshal([]byte(s), &out); err != nil {
		t.Fatalf("decode %q: %v", s, err)
	}
	return out
}

func eventIDs(events []audit.Event) []string {
	var ids []string
	for _, e := range events {
		ids = append(ids, e.ID)
	}
	return ids
}

func TestListQueryEqualsFlags(t *testing.T) {
	env := cmdtest.New(t)
	fixture(t, env)
	byQuery := decodeEvents(t, env.MustRun("logs", "list", "-q", "action:DeleteUser -status:success"))
	byFlags := decodeEvents(t, env.MustRun("logs", "list", "--action", "DeleteUser", "--status", "failure", "--status", "warning", "--status", "in_progress"))
	if len(byQuery) == 0 || !reflect.DeepEqual(eventIDs(byQuery), eventIDs(byFlags)) {
		t.Fatalf("query %v\nflags %v", eventIDs(byQuery), eventIDs(byFlags))
	}
	// default window: 7 days = events 0..28 (6h apart); DeleteUser and failed: i%12==0 → 0, 12, 24
	if got := eventIDs(byQuery); !reflect.DeepEqual(got, []string{"ev-00", "ev-12", "ev-24"}) {
		t.Fatalf("got %v", got)
	}
	all := decodeEvents(t, env.MustRun("logs", "list", "--action", "DeleteUser", "--all"))
	if len(all) != 10 {
		t.Fatalf("--all: %d events", len(all))
	}
}

func TestListPagesSortAndFooter(t *testing.T) {
	env := cmdtest.New(t)
	fixture(t, env)
	env.IO.SetStdoutTTY(true)
	out := env.MustRun("logs", "list", "--all", "--limit", "15", "--page", "3")
	if !strings.Contains(out, "Page 3 of 3 (40 total)") {
		t.Fatalf("no footer:\n%s", out)
	}
	env.IO.SetStdoutTTY(false)
	page := decodeEvents(t, env.MustRun("logs", "list", "--all", "--sort", "-duration", "--limit", "2"))
	if got := eventIDs(page); !reflect.DeepEqual(got, []string{"ev-39", "ev-38"}) {
		t.Fatalf("--sort -duration: %v", got)
	}
	if code := env.ExitCode("logs", "list", "--sort", "nonsense"); code != 2 {
		t.Fatalf("bad sort exit %d", code)
	}
	if code := env.ExitCode("logs", "list", "-q", `actor:"unterminated`); code != 2 {
		t.Fatalf("bad query exit %d", code)
	}
	if code := env.ExitCode("logs", "list", "--status", "weird"); code != 2 {
		t.Fatalf("bad status exit %d", code)
	}
	if code := env.ExitCode("logs", "list", "--bogus"); code != 2 {
		t.Fatalf("unknown flag exit %d", code)
	}
}

func TestHostileValuesNeverReachTheTerminalRaw(t *testing.T) {
	env := cmdtest.New(t)
	fixture(t, env)
	env.IO.SetStdoutTTY(true)
	outputs := map[string]string{
		"table":  env.MustRun("logs", "list", "--all", "--limit", "100"),
		"detail": env.MustRun("logs", "show", "ev-01"),
		"count":  env.MustRun("logs", "count", "--all", "--by", "actor"),
		"jq":     env.MustRun("logs", "list", "--all", "--jq", ".[].actor"),
	}
	for name, out := range outputs {
		if !strings.Contains(out, "evil") {
			t.Fatalf("%s: the hostile event is not shown at all:\n%s", name, out)
		}
		for _, r := range out {
			if (r < 0x20 && r != '\n' && r != '\t') || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == 0x202e {
				t.Fatalf("%s output holds raw %U:\n%q", name, r, out)
			}
		}
	}
	// json and ndjson keep the exact stored value
	env.IO.SetStdoutTTY(false)
	got := decodeEvents(t, env.MustRun("logs", "list", "--all", "-q", "id:ev-01"))
	if len(got) != 1 || got[0].Actor != hostile {
		t.Fatalf("json did not round-trip: %+v", got)
	}
	line := env.MustRun("logs", "list", "--all", "-q", "id:ev-01", "-o", "ndjson")
	var e audit.Event
	if err := json.Unmarshal([]byte(line), &e); err != nil || e.Actor != hostile || !strings.Contains(string(e.Params), "OK") {
		t.Fatalf("ndjson did not round-trip: %v %q", err, e.Actor)
	}
}

func TestShowDetailAndJSON(t *testing.T) {
	env := cmdtest.New(t)
	events := fixture(t, env)
	env.IO.SetStdoutTTY(true)
	out := env.MustRun("logs", "show", "ev-01")
	for _, want := range []string{"User information", "Action information", "Parameters", "role", "user", "admin", "mfa"} {
		if !strings.Contains(out, want) {
			t.Fatalf("detail lacks %q:\n%s", want, out)
		}
	}
	env.IO.SetStdoutTTY(false)
	var e audit.Event
	if err := json.Unmarshal([]byte(env.MustRun("logs", "show", "ev-05", "-o", "json")), &e); err != nil {
		t.Fatal(err)
	}
	want := events[5]
	if e.ID != want.ID || compact(t, e.Raw) != compact(t, want.Raw) || !e.Time.Equal(want.Time) {
		t.Fatalf("show -o json: %+v", e)
	}
	if code := env.ExitCode("logs", "show", "no-such-id"); code != 3 {
		t.Fatalf("missing id exit %d", code)
	}
	if code := env.ExitCode("logs", "show"); code != 2 {
		t.Fatalf("no args exit %d", code)
	}
}

func TestCount(t *testing.T) {
	env := cmdtest.New(t)
	fixture(t, env)
	if out := env.MustRun("logs", "count", "--all", "-o", "table"); strings.TrimSpace(out) != "40" {
		t.Fatalf("count: %q", out)
	}
	var by struct {
		Total   int64          `json:"total"`
		Buckets []audit.Bucket `json:"buckets"`
	}
	if err := json.Unmarshal([]byte(env.MustRun("logs", "count", "--all", "--by", "action")), &by); err != nil {
		t.Fatal(err)
	}
	if by.Total != 40 || len(by.Buckets) != 2 || by.Buckets[0].Key != "Login" || by.Buckets[0].Count != 30 {
		t.Fatalf("--by action: %+v", by)
	}
	var hist struct {
		Buckets []audit.Bucket `json:"buckets"`
	}
	if err := json.Unmarshal([]byte(env.MustRun("logs", "count", "--interval", "1d")), &hist); err != nil {
		t.Fatal(err)
	}
	var sum int64
	for _, b := range hist.Buckets {
		sum += b.Count
	}
	if sum != 29 || len(hist.Buckets) < 7 { // 0..28 × 6h: since is inclusive
		t.Fatalf("histogram of the default window: %d events in %d buckets", sum, len(hist.Buckets))
	}
	if code := env.ExitCode("logs", "count", "--action", "DeleteUser", "--fail-if", ">0"); code != 1 {
		t.Fatalf("--fail-if >0 with matches: exit %d", code)
	}
	if code := env.ExitCode("logs", "count", "--action", "NoSuchAction", "--fail-if", ">0"); code != 0 {
		t.Fatalf("--fail-if >0 without matches: exit %d", code)
	}
	if code := env.ExitCode("logs", "count", "--fail-if", "lots"); code != 2 {
		t.Fatalf("bad --fail-if: exit %d", code)
	}
}

func TestExportCSVNeutralizedAtomicAndReimportable(t *testing.T) {
	env := cmdtest.New(t)
	fixture(t, env)
	dir := t.TempDir()
	path := filepath.Join(dir, "out.csv")
	env.MustRun("logs", "export", "-O", path)
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(f).ReadAll()
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 41 || rows[0][0] != "id" {
		t.Fatalf("%d rows, header %v", len(rows), rows[0])
	}
	// oldest first; times UTC RFC 3339
	if rows[1][0] != "ev-39" || !strings.HasSuffix(rows[1][1], "Z") {
		t.Fatalf("first row %v", rows[1][:2])
	}
	found := false
	for _, r := range rows {
		if r[0] == "ev-01" {
			found = true
			desc := r[22]
			if !strings.HasPrefix(desc, "'=HYPERLINK") {
				t.Fatalf("formula not neutralized: %q", desc)
			}
		}
	}
	if !found {
		t.Fatal("ev-01 missing")
	}
	env.MustRun("logs", "export", "-O", path, "--csv-raw")
	b, _ := os.ReadFile(path)
	if !strings.Contains(string(b), ",=HYPERLINK") && !strings.Contains(string(b), `,"=HYPERLINK`) {
		t.Fatalf("--csv-raw changed the cell")
	}
	// a failing export leaves the old file alone and no temp file behind
	before, _ := os.ReadFile(path)
	if code := env.ExitCode("logs", "export", "-O", path, "--status", "nonsense"); code != 2 {
		t.Fatalf("exit %d", code)
	}
	after, _ := os.ReadFile(path)
	entries, _ := os.ReadDir(dir)
	if string(before) != string(after) || len(entries) != 1 {
		t.Fatalf("failed export touched the output: %d entries", len(entries))
	}
	// the raw export re-imports into an empty cache losslessly
	env2 := cmdtest.New(t)
	env2.MustRun("import", path)
	a := env.MustRun("logs", "list", "--all", "--limit", "100", "-o", "ndjson")
	c := env2.MustRun("logs", "list", "--all", "--limit", "100", "-o", "ndjson")
	if a != c {
		t.Fatalf("export → import is not lossless:\n%s\n---\n%s", a[:300], c[:300])
	}
}

func compact(t *testing.T, b []byte) string {
	t.Helper()
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

func TestExportToTerminalIsSanitized(t *testing.T) {
	env := cmdtest.New(t)
	fixture(t, env)
	env.IO.SetStdoutTTY(true)
	for _, format := range []string{"csv", "json", "ndjson"} {
		out := env.MustRun("logs", "export", "--format", format)
		if !strings.Contains(out, "evil") {
			t.Fatalf("%s: hostile event missing", format)
		}
		for _, r := range out {
			if (r < 0x20 && r != '\n' && r != '\t') || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == 0x202e {
				t.Fatalf("%s export on a terminal holds raw %U", format, r)
			}
		}
	}
}
