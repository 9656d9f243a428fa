package sessions_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/auditctl/auditctl/pkg/cmd/cmdtest"
	"github.com/auditctl/auditctl/pkg/recording"
	"github.com/auditctl/auditctl/pkg/session"
)

// writeAuditRec writes a .rec whose header carries session metadata.
func writeAuditRec(t *testing.T, path string, meta session.Session, evs []ev) {
	t.Helper()
	b, err := json.Marshal(meta)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w, err := recording.NewWriter(f, recording.Header{Width: 80, Height: 24, Timestamp: meta.Start, Audit: b}, recording.WriterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range evs {
		w.WriteEvent(recording.Event{Time: time.Duration(e.at * float64(time.Second)), Code: e.code, Data: e.data})
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestSessionHistory(t *testing.T) {
	env := cmdtest.New(t)
	dir := t.TempDir()
	start := cmdtest.Now.Add(-48 * time.Hour)
	dbRec := filepath.Join(dir, "db.rec")
	writeAuditRec(t, dbRec, session.Session{
		ID: "7c1d2e3f-aaaa-4bbb-8ccc-000000000001", UserName: "Alice Kim", UserEmail: "alice@example.com",
		ResourceName: "payroll-db", Category: session.CategoryDatabase, Connector: "conn-eu", Account: "postgres",
		Protocol: "postgres", ClientIP: "203.0.113.7", ConnectedFrom: "proxy", Start: start, Status: session.StatusActive,
	}, []ev{{1, "i", "select 1;\r"}, {2, "o", "SELECT 1\r\n"}, {3, "q", `{"query":"select 1;","message":"SELECT 1","duration_ms":1,"rows":1}`}, {600, "x", "0"}})
	castRec := filepath.Join(dir, "plain.cast")
	writeRec(t, dir, "plain.cast", 80, 24, []ev{{1, "o", "hello\r\n"}, {3723, "o", "bye\r\n"}})

	// A file without a start time needs --start; a bad flag value is a usage error.
	out := env.MustRun("sessions", "import", dbRec, castRec, "--connector", "conn-us")
	ids := strings.Fields(out)
	if len(ids) != 2 || ids[0] != "7c1d2e3f-aaaa-4bbb-8ccc-000000000001" || !strings.HasPrefix(ids[1], "rec-") {
		t.Fatalf("import printed %q", out)
	}
	// Importing again adds nothing.
	if out := env.MustRun("sessions", "import", dbRec); out != "" || !strings.Contains(env.ErrOut.String(), "already registered") {
		t.Errorf("re-import: %q %q", out, env.ErrOut)
	}
	if code := env.ExitCode("sessions", "import", dbRec, "--category", "spaceship"); code != 2 {
		t.Errorf("bad category: exit %d", code)
	}

	out = env.MustRun("sessions", "list", "-o", "json")
	var rows []struct {
		ID, Status, Category, Connector string
		DurationMS                      int64  `json:"duration_ms"`
		HasRecording                    bool   `json:"has_recording"`
		RecordingSHA256                 string `json:"recording_sha256"`
	}
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		t.Fatal(err, out)
	}
	if len(rows) != 2 {
		t.Fatalf("list: %s", out)
	}
	byID := map[string]int{}
	for i, r := range rows {
		byID[r.ID] = i
	}
	db := rows[byID[ids[0]]]
	if db.Status != "completed" || db.Category != "database" || db.Connector != "conn-us" || db.DurationMS != 600000 ||
		!db.HasRecording || len(db.RecordingSHA256) != 64 {
		t.Errorf("db session row: %+v", db)
	}
	plain := rows[byID[ids[1]]]
	if plain.Category != "server" || plain.DurationMS != 3723000 {
		t.Errorf("cast session row: %+v", plain)
	}

	count := func(args ...string) int {
		out := env.MustRun(append([]string{"sessions", "list", "-o", "json"}, args...)...)
		var v []any
		if err := json.Unmarshal([]byte(out), &v); err != nil {
			t.Fatal(err, out)
		}
		return len(v)
	}
	for _, c := range []struct {
		args []string
		want int
	}{
		{[]string{"--category", "database"}, 1},
		{[]string{"--user", "alice@example.com"}, 1},
		{[]string{"--user", "ALI*"}, 1},
		{[]string{"--min-duration", "00:05", "--max-duration", "00:30"}, 1},
		{[]string{"--min-duration", "01:00"}, 1},
		{[]string{"--max-duration", "00:05"}, 0},
		{[]string{"--has-recording", "no"}, 0},
		{[]string{"--search", "203.0.113"}, 1},
		{[]string{"--protocol", "postgres", "--connected-from", "proxy"}, 1},
		{[]string{"--active"}, 0},
		{[]string{"--session-id", ids[1]}, 1},
	} {
		if got := count(c.args...); got != c.want {
			t.Errorf("list %v: %d sessions, want %d", c.args, got, c.want)
		}
	}
	if code := env.ExitCode("sessions", "list", "--min-duration", "5 minutes"); code != 2 {
		t.Errorf("bad duration: exit %d", code)
	}
	table := env.MustRun("sessions", "list", "-o", "table")
	if !strings.Contains(table, "payroll-db") || !strings.Contains(table, "10m00s") || !strings.Contains(table, "Page 1 of 1 (2 total)") {
		t.Errorf("table:\n%s", table)
	}

	// Session IDs work wherever a recording FILE does, prefixes included.
	if out := env.MustRun("sessions", "queries", "7c1d2e3f", "-o", "json"); !strings.Contains(out, `"select 1;"`) {
		t.Errorf("queries by session id: %s", out)
	}
	if out := env.MustRun("sessions", "cat", ids[1]); out != "hello\nbye\n" {
		t.Errorf("cat by session id: %q", out)
	}
	if code := env.ExitCode("sessions", "cat", "nosuchthing"); code != 3 {
		t.Errorf("unknown id: exit %d", code)
	}

	show := env.MustRun("sessions", "show", "7c1d", "-o", "table")
	for _, want := range []string{"payroll-db", "alice@example.com", "Query history:", "1 queries", "SHA-256:"} {
		if !strings.Contains(show, want) {
			t.Errorf("show lacks %q:\n%s", want, show)
		}
	}
	if code := env.ExitCode("sessions", "show", "zzzz"); code != 3 {
		t.Errorf("show unknown: exit %d", code)
	}
}

// sessions show lists the user's audit events inside the session window.
func TestSessionShowEvents(t *testing.T) {
	env := cmdtest.New(t)
	dir := t.TempDir()
	start := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	nd := filepath.Join(dir, "ev.ndjson")
	var lines []string
	for i, at := range []time.Duration{-time.Minute, time.Minute, 5 * time.Minute, 20 * time.Minute} {
		lines = append(lines, `{"id":"e`+string(rune('0'+i))+`","time":"`+start.Add(at).Format(time.RFC3339)+`","actor":"alice@example.com","action":"Act`+string(rune('0'+i))+`","service":"db","status":"success"}`)
	}
	lines = append(lines, `{"id":"other","time":"`+start.Add(2*time.Minute).Format(time.RFC3339)+`","actor":"bob@example.com","action":"Other","service":"db","status":"success"}`)
	os.WriteFile(nd, []byte(strings.Join(lines, "\n")+"\n"), 0o600)
	env.MustRun("import", nd)
	rec := filepath.Join(dir, "s.rec")
	writeAuditRec(t, rec, session.Session{ID: "sess-0001", UserEmail: "alice@example.com", Start: start}, []ev{{600, "o", "x"}})
	env.MustRun("sessions", "import", rec)
	out := env.MustRun("sessions", "show", "sess-0001", "-o", "json")
	var d struct {
		Events []struct{ Action string }
		Total  int `json:"events_total"`
	}
	if err := json.Unmarshal([]byte(out), &d); err != nil {
		t.Fatal(err)
	}
	if d.Total != 2 || len(d.Events) != 2 || d.Events[0].Action != "Act1" || d.Events[1].Action != "Act2" {
		t.Errorf("events in window: %+v", d)
	}
}
