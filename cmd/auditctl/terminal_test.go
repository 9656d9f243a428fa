package main

import (
	"bytes"
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/auditctl/auditctl/internal/bintest"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/auditctl/auditctl/pkg/recording"
	"github.com/auditctl/auditctl/pkg/session"
	"github.com/creack/pty"
)

// The hostile corpus: what the author of a log file or a recording may put
// in any field to drive the reader's terminal. Every piece ends in a word
// the test looks for, so that it can tell the text was shown, not dropped.
var hostile = []string{
	"Evil\x1b[2J\x1b]0;pwned\a",                                    // clear screen, window title
	"clip\x1b]52;c;cm0gLXJmIC8=\x1b\\pwned",                        // OSC 52: write the clipboard
	"\x1b]8;;https://evil.example/\x1b\\link\x1b]8;;\x1b\\pwned",   // OSC 8 hyperlink
	"\x1bP+q544e\x1b\\dcs pwned",                                   // DCS request
	"c1 \u009b2J \u009d0;t\u009c pwned",                            // C1 CSI, OSC, ST
	"bidi \u202eexe.txt\u202c \u2066x\u2069 zero\u200bwidth pwned", // bidi overrides, zero width
	"bad utf8 \xff\xfe \xc3 pwned",                                 // invalid UTF-8
	"cr\roverwrite\x08\x7f\x00\x1b[A\x1b[1;1H\x1b[?1049h pwned",    // cursor movement, alternate screen
	strings.Repeat("long ", 3000) + "\x1b[31m pwned",               // a very long line
}

func hostileText(i int) string { return hostile[i%len(hostile)] }

func binary(t *testing.T) string { return bintest.Auditctl(t) }

// hostileFixture is a cache holding hostile events and a hostile session,
// and the hostile recording itself.
type hostileFixture struct {
	bin, db, rec, eventID, sessionID string
	env                              []string
}

func newHostileFixture(t *testing.T) *hostileFixture {
	t.Helper()
	fx := &hostileFixture{bin: binary(t)}
	dir := t.TempDir()
	fx.db = filepath.Join(dir, "audit.db")
	fx.env = append(os.Environ(), "AUDITCTL_DB="+fx.db, "NO_COLOR=", "TZ=UTC")

	// Events: every text field of every event hostile, in the default window.
	var b bytes.Buffer
	now := time.Now().UTC().Add(-time.Hour)
	for i := range 12 {
		ev := map[string]any{
			"time":        now.Add(-time.Duration(i) * time.Minute).Format(time.RFC3339),
			"source":      "test:" + hostileText(i),
			"service":     hostileText(i + 1),
			"action":      hostileText(i + 2),
			"category":    hostileText(i + 3),
			"workflow_id": hostileText(i + 4),
			"actor":       hostileText(i + 5),
			"target":      hostileText(i + 6),
			"ip":          "203.0.113.7",
			"user_agent":  hostileText(i + 7),
			"status":      []string{"success", "failure"}[i%2],
			"error":       hostileText(i + 8),
			"duration_ms": 100 * i,
			"tenant":      hostileText(i),
			"description": hostileText(i + 1),
			"params":      map[string]any{hostileText(i): hostileText(i + 2)},
			"custom":      map[string]any{"k": hostileText(i + 3)},
			"before":      map[string]any{"v": hostileText(i + 4)},
			"after":       map[string]any{"v": hostileText(i + 5)},
		}
		line, err := json.Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		b.Write(line)
		b.WriteByte('\n')
	}
	events := filepath.Join(dir, "hostile.ndjson")
	if err := os.WriteFile(events, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	fx.mustRun(t, "import", events)
	var ids []struct{ ID string }
	if err := json.Unmarshal([]byte(fx.mustRun(t, "logs", "list", "--all", "-o", "json")), &ids); err != nil || len(ids) != 12 {
		t.Fatalf("hostile events: %v, %d", err, len(ids))
	}
	fx.eventID = ids[0].ID

	// A recording whose header, keystrokes, queries, markers and output
	// are hostile, registered as a session with hostile metadata.
	meta := session.Session{UserName: hostileText(0), UserEmail: hostileText(1), ResourceName: hostileText(2),
		Account: hostileText(3), Host: hostileText(4), Connector: hostileText(5), ClientName: hostileText(6),
		Category: session.CategoryDatabase, Start: now, End: now.Add(time.Minute), Status: session.StatusCompleted}
	audit, err := json.Marshal(meta)
	if err != nil {
		t.Fatal(err)
	}
	var rec bytes.Buffer
	w, err := recording.NewWriter(&rec, recording.Header{Width: 80, Height: 24, Timestamp: now, Title: hostileText(7),
		Command: hostileText(8), Env: map[string]string{"SHELL": hostileText(1)}, Audit: audit}, recording.WriterOptions{Version: 3})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Second
	for i, h := range hostile[:8] {
		q, _ := json.Marshal(map[string]any{"query": "SELECT '" + h + "';", "message": h, "duration_ms": 3, "rows": 1})
		for _, ev := range []recording.Event{
			{Code: "i", Data: h + "\r"},
			{Code: "o", Data: h + "\r\n"},
			{Code: "m", Data: h},
			{Code: "q", Data: string(q)},
		} {
			ev.Time = at + time.Duration(i)*time.Second
			if err := w.WriteEvent(ev); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := w.WriteEvent(recording.Event{Time: 20 * time.Second, Code: "x", Data: "0"}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	fx.rec = filepath.Join(dir, "hostile.rec")
	if err := os.WriteFile(fx.rec, rec.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	fx.sessionID = strings.TrimSpace(fx.mustRun(t, "sessions", "import", fx.rec))
	if fx.sessionID == "" {
		t.Fatal("sessions import printed no id")
	}
	return fx
}

func (fx *hostileFixture) mustRun(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.Command(fx.bin, args...)
	cmd.Env = fx.env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("auditctl %q: %v\n%s", args, err, stderr.String())
	}
	return string(out)
}

// runPTY runs auditctl with stdin, stdout and stderr on a new
// pseudo-terminal and returns everything the terminal was sent.
func (fx *hostileFixture) runPTY(t *testing.T, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(fx.bin, args...)
	cmd.Env = append(fx.env, "COLUMNS=120", "LINES=50", "TERM=xterm-256color")
	f, err := pty.StartWithSize(cmd, &pty.Winsize{Cols: 120, Rows: 50})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out bytes.Buffer
	done := make(chan struct{})
	go func() {
		io.Copy(&out, f) // ends with EIO once the child has gone
		close(done)
	}()
	timer := time.AfterFunc(2*time.Minute, func() { cmd.Process.Kill() })
	defer timer.Stop()
	err = cmd.Wait()
	<-done
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return out.String(), code
}

// runPipe runs auditctl with stdout and stderr on pipes.
func (fx *hostileFixture) runPipe(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(fx.bin, args...)
	cmd.Env = fx.env
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return o.String(), e.String(), code
}

// terminalUnsafe returns a description of the first thing in out that
// would act on a terminal rather than be shown: any escape sequence but
// auditctl's own colours (SGR) and line clearing (EL), any C0 control but
// newline, carriage return (the terminal's own line discipline adds them)
// and tab, any C1 control, a format character (bidi, zero width) or a line
// or paragraph separator, and bytes that are not UTF-8.
func terminalUnsafe(out string) string {
	for i := 0; i < len(out); {
		c := out[i]
		switch {
		case c == 0x1b:
			j := i + 2
			if i+1 < len(out) && out[i+1] == '[' {
				for j < len(out) && (out[j] >= '0' && out[j] <= '9' || out[j] == ';' || out[j] == ':') {
					j++
				}
				if j < len(out) && (out[j] == 'm' || out[j] == 'K' && j == i+2) {
					i = j + 1
					continue
				}
			}
			return fmt.Sprintf("escape sequence %q at %d", out[i:min(i+12, len(out))], i)
		case c == '\n' || c == '\r' || c == '\t' || c >= 0x20 && c < 0x7f:
			i++
			continue
		case c < 0x80:
			return fmt.Sprintf("control %#02x at %d", c, i)
		}
		r, size := utf8.DecodeRuneInString(out[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			return fmt.Sprintf("invalid UTF-8 %#02x at %d", c, i)
		case r < 0xa0:
			return fmt.Sprintf("C1 control %U at %d", r, i)
		case unicode.Is(unicode.Cf, r) || r == 0x2028 || r == 0x2029:
			return fmt.Sprintf("format character %U at %d", r, i)
		}
		i += size
	}
	return ""
}

// TestNoOutputReachesTheTerminalRaw runs every command that prints log or
// recording data, in every output format, on a real pseudo-terminal, over a
// cache and a recording whose every field is hostile: nothing may reach the
// terminal that would act on it, and the data must still be shown. The
// same commands on a pipe keep machine formats byte-exact.
func TestNoOutputReachesTheTerminalRaw(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	fx := newHostileFixture(t)
	formats := []string{"table", "json", "ndjson", "csv", "yaml"}
	type run struct {
		args []string
		code int // expected exit code
	}
	var runs []run
	add := func(code int, args ...string) { runs = append(runs, run{args, code}) }
	// Commands that print no field of the data (a histogram, a file's
	// facts) only need to be safe.
	dataless := map[string]bool{"--interval": true, "info": true, "--armor": true}
	for _, o := range formats {
		add(0, "logs", "list", "--all", "-o", o)
		add(0, "logs", "list", "--all", "--wide", "-o", o)
		add(0, "logs", "list", "--all", "--columns", "time,action,actor,description,params,user_agent,error", "-o", o)
		add(0, "logs", "show", fx.eventID, "-o", o)
		add(0, "logs", "count", "--all", "--by", "actor", "-o", o)
		add(0, "logs", "count", "--all", "--by", "action", "-o", o)
		add(0, "logs", "count", "--all", "--interval", "1h", "-o", o)
		if o != "yaml" && o != "table" { // export writes csv, json and ndjson
			add(0, "logs", "export", "--since", "30d", "--format", o)
		}
		add(0, "sessions", "list", "-o", o)
		add(0, "sessions", "show", fx.sessionID, "-o", o)
		add(0, "sessions", "info", fx.rec, "-o", o)
		add(0, "sessions", "keystrokes", fx.rec, "-o", o)
		add(0, "sessions", "keystrokes", fx.rec, "--commands", "-o", o)
		add(0, "sessions", "queries", fx.rec, "-o", o)
		add(0, "retention", "status", "-o", o)
		add(0, "retention", "apply", "--dry-run", "--logs", "1m", "-o", o)
	}
	policy := filepath.Join(t.TempDir(), "policy.yaml")
	if err := os.WriteFile(policy, []byte(`rules:
  - id: every-event
    title: "a hostile title \x1b]0;pwned\x07 \u202e"
    events: {}
    condition: none
  - id: burst
    events: {}
    condition: {threshold: 0, group_by: actor, window: 1h}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	// A queries rule lists the hostile recording's statements and replies.
	queriesPolicy := filepath.Join(t.TempDir(), "queries.yaml")
	if err := os.WriteFile(queriesPolicy, []byte("rules:\n  - {id: every-query, queries: {category: database}, condition: none}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, o := range []string{"table", "json"} {
		add(1, "check", policy, "--since", "30d", "-o", o)
		add(1, "check", queriesPolicy, "--since", "30d", "-o", o)
	}
	// hunt: a rule that every hostile event matches (exit 1), as a table and JSON.
	rule := filepath.Join(t.TempDir(), "all.yml")
	if err := os.WriteFile(rule, []byte("title: every event\nlogsource: {product: auditctl}\ndetection:\n  s:\n    action|exists: true\n  condition: s\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	add(1, "hunt", "--sigma", rule, "-o", "table")
	add(1, "hunt", "--sigma", rule, "-o", "json")
	add(0, "logs", "list", "--all", "--jq", ".[] | [.action, .actor, .params]")
	add(0, "logs", "list", "--all", "--jq", ".[].description")
	add(0, "logs", "show", fx.eventID, "--jq", ".")
	add(0, "logs", "tail", "-n", "12")
	add(0, "sessions", "cat", fx.rec)
	add(0, "sessions", "play", fx.rec, "--no-tui")
	add(0, "sessions", "play", fx.rec, "--no-tui", "--at", "50%")
	// Exports: binary (a recording, age output) is refused on a terminal;
	// armored age text passes.
	const recipient = "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p"
	add(0, "logs", "export", "--since", "30d", "--armor", "--encrypt-to", recipient)
	add(2, "logs", "export", "--since", "30d", "--encrypt-to", recipient)
	add(2, "sessions", "export", fx.sessionID)
	add(0, "sessions", "export", fx.sessionID, "--armor", "--encrypt-to", recipient)
	// Errors quote what they were given.
	add(3, "logs", "show", hostileText(0))
	add(3, "sessions", "info", filepath.Join(t.TempDir(), hostileText(0)))
	add(2, "logs", "list", "--status", hostileText(0))
	add(2, "logs", "list", "--since", hostileText(1))
	add(2, "db", "copy", "--from", fx.db, "--to", hostileText(0))

	for _, r := range runs {
		name := strings.Join(r.args, " ")
		out, code := fx.runPTY(t, r.args...)
		if code != r.code {
			t.Errorf("%s: exit %d, want %d\n%s", name, code, r.code, out)
		}
		if bad := terminalUnsafe(out); bad != "" {
			t.Errorf("%s on a terminal: %s\n%q", name, bad, out[:min(len(out), 2000)])
		}
		shown := false
		for _, mark := range []string{"pwned", `\x1b`, `\u001b`, `\u009b`, `\u202e`, "Esc"} {
			shown = shown || strings.Contains(out, mark)
		}
		if (r.code == 0 || r.args[0] == "check" || r.args[0] == "hunt") && !shown && !slices.ContainsFunc(r.args, func(a string) bool { return dataless[a] }) {
			t.Errorf("%s on a terminal: the hostile data was not shown:\n%q", name, out[:min(len(out), 2000)])
		}
	}

	// GitHub Actions annotations (on stderr, here the terminal too).
	ghFx := *fx
	ghFx.env = append(slices.Clone(fx.env), "GITHUB_ACTIONS=true")
	out, code := ghFx.runPTY(t, "check", policy, "--since", "30d", "-o", "json")
	if bad := terminalUnsafe(out); bad != "" || code != 1 || !strings.Contains(out, ",title=every-event%3A a hostile title \\x1b]0;pwned\\x07") {
		t.Errorf("check with annotations: exit %d, %s\n%q", code, bad, out[:min(len(out), 3000)])
	}
	out, code = ghFx.runPTY(t, "check", queriesPolicy, "--since", "30d", "-o", "json")
	if bad := terminalUnsafe(out); bad != "" || code != 1 || !strings.Contains(out, "::error file=") || !strings.Contains(out, "pwned") {
		t.Errorf("check of queries with annotations: exit %d, %s\n%q", code, bad, out[:min(len(out), 3000)])
	}

	// verify names the rows it finds changed behind its back: hostile
	// sources too.
	if out, code := fx.runPTY(t, "verify", "-o", "table"); code != 0 || terminalUnsafe(out) != "" {
		t.Errorf("verify of a clean cache: exit %d\n%q", code, out)
	}
	cache, err := sql.Open("sqlite", fx.db)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cache.Exec("UPDATE events SET ip = '198.51.100.1'"); err != nil {
		t.Fatal(err)
	}
	cache.Close()
	for _, o := range []string{"table", "json"} {
		out, code := fx.runPTY(t, "verify", "-o", o)
		if bad := terminalUnsafe(out); code != 1 || bad != "" || !strings.Contains(out, `\x1b`) && !strings.Contains(out, `\u001b`) {
			t.Errorf("verify -o %s of changed hostile rows: exit %d, %s\n%q", o, code, bad, out[:min(len(out), 2000)])
		}
	}

	// With colour on, auditctl's own colours pass the chokepoint and
	// nothing else does.
	colorFx := *fx
	colorFx.env = slices.DeleteFunc(slices.Clone(fx.env), func(e string) bool { return strings.HasPrefix(e, "NO_COLOR=") })
	for _, args := range [][]string{{"logs", "list", "--all"}, {"logs", "show", fx.eventID}, {"sessions", "play", fx.rec, "--no-tui", "--color"}} {
		out, code := colorFx.runPTY(t, args...)
		if bad := terminalUnsafe(out); bad != "" || code != 0 {
			t.Errorf("%q in colour: exit %d, %s", args, code, bad)
		}
		// the data shown escaped, and a colour (status) or bold (titles) of auditctl's own
		if args[1] != "play" && (!strings.Contains(out, `\x1b[`) || !strings.Contains(out, "\x1b[3") && !strings.Contains(out, "\x1b[1m")) {
			t.Errorf("%q in colour: no colour, or the data not shown:\n%q", args, out[:min(len(out), 600)])
		}
	}

	// Pipes stay byte-exact.
	out, _, code = fx.runPipe(t, "logs", "list", "--all", "-o", "json")
	var events []struct{ Action, Actor, Description string }
	if err := json.Unmarshal([]byte(out), &events); err != nil || code != 0 {
		t.Fatalf("json on a pipe: %v, exit %d", err, code)
	}
	wantActions := map[string]bool{}
	for i := range 12 {
		wantActions[hostileText(i+2)] = true
	}
	for _, e := range events {
		// (Invalid UTF-8 is already replaced by U+FFFD when the JSON is read.)
		if utf8.ValidString(e.Action) && !strings.Contains(e.Action, "\uFFFD") && !wantActions[e.Action] {
			t.Errorf("json on a pipe: action %q is not one of the imported values", e.Action)
		}
	}
	out, _, _ = fx.runPipe(t, "logs", "export", "--since", "30d", "--format", "csv")
	recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil || len(recs) != 13 {
		t.Fatalf("csv on a pipe: %v, %d records", err, len(recs))
	}
	col := -1
	for i, h := range recs[0] {
		if h == "action" {
			col = i
		}
	}
	for _, rec := range recs[1:] {
		if col < 0 || !strings.Contains(rec[col], "\uFFFD") && !wantActions[rec[col]] {
			t.Errorf("csv on a pipe: action %q is not byte-exact", rec[max(col, 0)])
		}
	}
	out, _, _ = fx.runPipe(t, "sessions", "queries", fx.rec, "-o", "json")
	var queries []struct{ Query string }
	if err := json.Unmarshal([]byte(out), &queries); err != nil || len(queries) != 8 {
		t.Fatalf("queries json on a pipe: %v, %d queries", err, len(queries))
	}
	for i, q := range queries {
		if want := "SELECT '" + hostile[i] + "';"; utf8.ValidString(want) && q.Query != want {
			t.Errorf("queries json on a pipe: query %q, want %q", q.Query, want)
		}
	}
}
