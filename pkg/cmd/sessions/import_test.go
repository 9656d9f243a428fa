package sessions_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/auditctl/auditctl/pkg/cmd/cmdtest"
)

// writeCast writes an asciicast v2 file; without ts it has no start time.
func writeCast(t *testing.T, dir, name string, ts bool, lines ...string) string {
	t.Helper()
	hdr := `{"version":2,"width":80,"height":24}`
	if ts {
		hdr = `{"version":2,"width":80,"height":24,"timestamp":1793523600}`
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(hdr+"\n"+strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// sessions import: each FILE is its own unit. A file without a start time,
// a damaged one and one that is not a recording fail, each named with its
// reason; the good ones are registered all the same; exit 3.
func TestImportEachFileItsOwnUnit(t *testing.T) {
	env := cmdtest.New(t)
	dir := t.TempDir()
	noStart := writeCast(t, dir, "a.cast", false, `[1, "o", "a"]`, `[90, "o", "b"]`)
	good := writeCast(t, dir, "b.cast", true, `[1, "o", "hello"]`)
	damaged := writeCast(t, dir, "c.cast", true, `[1, "o", "x"]`, `[2, "o", oops]`, `[3, "o", "y"]`)
	notRec := filepath.Join(dir, "d.txt")
	os.WriteFile(notRec, []byte("hello\n"), 0o600)

	err := env.Run("sessions", "import", noStart, good, damaged, notRec)
	if code := cmdtestExit(err); code != 3 {
		t.Fatalf("exit %d: %v", code, err)
	}
	ids := strings.Fields(env.Out.String())
	if len(ids) != 1 || !strings.HasPrefix(ids[0], "rec-") {
		t.Fatalf("stdout %q", env.Out)
	}
	stderr := env.ErrOut.String()
	for _, want := range []string{
		"a.cast: not registered: " + noStart + " does not record when it started: pass --start",
		"b.cast: registered as session " + ids[0],
		"c.cast: not registered: damaged recording: " + damaged + ":3",
		"d.txt: not registered: ",
		"registered 1 of 4 recordings, 3 failed",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}

	// --skip-invalid registers the damaged one with what is readable and
	// exits 0 (the others that cannot be registered are skipped, named).
	env.MustRun("sessions", "import", noStart, good, damaged, notRec, "--skip-invalid", "-o", "json")
	var res []struct {
		File, Status, Error, Damage string
		SessionID                   string `json:"session_id"`
	}
	if err := json.Unmarshal(env.Out.Bytes(), &res); err != nil {
		t.Fatal(err, env.Out)
	}
	if len(res) != 4 || res[0].Status != "failed" || res[1].Status != "exists" || res[2].Status != "registered" ||
		res[2].Damage != "1 bad line skipped" || res[3].Status != "failed" || !strings.Contains(res[3].Error, "d.txt:1") {
		t.Errorf("results: %+v", res)
	}
	if !strings.Contains(env.ErrOut.String(), damaged+":3") {
		t.Errorf("the damage is not named: %s", env.ErrOut)
	}
	// Every file failing is a failure even with --skip-invalid.
	if code := env.ExitCode("sessions", "import", notRec, "--skip-invalid"); code != 3 {
		t.Errorf("all failed with --skip-invalid: exit %d", code)
	}

	// --start mtime: the modification time minus the duration, said so.
	mtime := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	os.Chtimes(noStart, mtime, mtime)
	out := env.MustRun("sessions", "import", noStart, "--start", "mtime")
	if !strings.Contains(env.ErrOut.String(), "modification time") {
		t.Errorf("no notice: %s", env.ErrOut)
	}
	env.MustRun("sessions", "show", strings.TrimSpace(out), "-o", "json")
	var s struct{ Session struct{ Start time.Time } }
	json.Unmarshal(env.Out.Bytes(), &s)
	if !s.Session.Start.Equal(mtime.Add(-90 * time.Second)) {
		t.Errorf("start %v, want %v", s.Session.Start, mtime.Add(-90*time.Second))
	}
	// One failing FILE keeps its own error (and exit code).
	if err := env.Run("sessions", "import", filepath.Join(dir, "missing.cast")); cmdtestExit(err) != 3 || !strings.Contains(err.Error(), "missing.cast") {
		t.Errorf("missing file: %v", err)
	}
}

// sessions import refuses a session id that is not printable text (an
// escape sequence, a C1 control, a bidi override, a newline, over 128
// bytes, a slash): exit 3 naming the file and the field; nothing is
// registered. A plain one next to them is registered.
func TestImportRefusesUnprintableSessionID(t *testing.T) {
	env := cmdtest.New(t)
	dir := t.TempDir()
	bad := map[string]string{
		"esc.cast":   "evil\x1b]0;pwned\x07",
		"c1.cast":    "evil\u009b31m",
		"bidi.cast":  "abc\u202edcba",
		"nl.cast":    "two\nlines",
		"long.cast":  strings.Repeat("a", 129),
		"slash.cast": "../../etc",
		"empty.cast": " ",
	}
	for name, id := range bad {
		meta, _ := json.Marshal(map[string]any{"version": 2, "width": 80, "height": 24, "timestamp": 1793523600, "audit": map[string]string{"id": id}})
		if err := os.WriteFile(filepath.Join(dir, name), append(meta, "\n[1, \"o\", \"x\"]\n"...), 0o600); err != nil {
			t.Fatal(err)
		}
		err := env.Run("sessions", "import", filepath.Join(dir, name))
		if code := cmdtestExit(err); code != 3 || !strings.Contains(err.Error(), name+`:1: field "id"`) {
			t.Errorf("%s: exit %d: %v", name, code, err)
		}
		if strings.Contains(env.Out.String()+env.ErrOut.String(), "\x1b") {
			t.Errorf("%s: an escape reached the output", name)
		}
	}
	good := filepath.Join(dir, "good.cast")
	meta, _ := json.Marshal(map[string]any{"version": 2, "width": 80, "height": 24, "timestamp": 1793523600, "audit": map[string]string{"id": "ok-session ünïcode 1"}})
	os.WriteFile(good, append(meta, "\n[1, \"o\", \"x\"]\n"...), 0o600)
	env.MustRun("sessions", "import", good)
	env.MustRun("sessions", "list", "-o", "json")
	var rows []struct{ ID string }
	if err := json.Unmarshal(env.Out.Bytes(), &rows); err != nil {
		t.Fatal(err, env.Out)
	}
	if len(rows) != 1 || rows[0].ID != "ok-session ünïcode 1" {
		t.Errorf("registered: %+v", rows)
	}
}

// A directory is a usage error that says what to give instead, naming the
// directory once.
func TestImportDirectoryIsAUsageError(t *testing.T) {
	env := cmdtest.New(t)
	dir := t.TempDir()
	err := env.Run("sessions", "import", dir)
	if code := cmdtestExit(err); code != 2 || strings.Count(err.Error(), dir) != 2 || !strings.Contains(err.Error(), "is a directory") {
		t.Fatalf("exit %d: %v", code, err)
	}
}
