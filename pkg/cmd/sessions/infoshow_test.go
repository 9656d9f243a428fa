package sessions_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/auditctl/auditctl/pkg/cmd/cmdtest"
	"github.com/auditctl/auditctl/pkg/session"
)

type infoJSON struct {
	File          string
	SizeBytes     int64   `json:"size_bytes"`
	SessionSource string  `json:"session_source"`
	ExitStatus    *string `json:"exit_status"`
	Session       struct {
		ID           string
		Status       string
		HasRecording bool  `json:"has_recording"`
		DurationMS   int64 `json:"duration_ms"`
	}
}

// sessions info reads the row and the recording consistently: the header's
// metadata is written when recording starts (active, no duration, no
// recording yet); info shows the cache's row, or without one the header
// brought up to date by the recording, and the size of the resolved file.
func TestInfoSessionConsistent(t *testing.T) {
	env := cmdtest.New(t)
	dir := t.TempDir()
	rec := filepath.Join(dir, "db.rec")
	writeAuditRec(t, rec, session.Session{
		ID: "5e551011-0000-4000-8000-000000000001", UserName: "Felix", Category: session.CategoryDatabase,
		Start: cmdtest.Now.Add(-3600e9), Status: session.StatusActive,
	}, []ev{{1, "i", "select 1;\r"}, {68, "o", "bye\r\n"}, {68.5, "x", "0"}})

	// No cache: the recording alone.
	env.MustRun("sessions", "info", rec, "-o", "json")
	var inf infoJSON
	if err := json.Unmarshal(env.Out.Bytes(), &inf); err != nil {
		t.Fatal(err)
	}
	if inf.SessionSource != "recording" || inf.Session.Status != "completed" || !inf.Session.HasRecording || inf.Session.DurationMS != 68500 {
		t.Errorf("from the recording: %+v", inf)
	}
	if _, err := os.Stat(env.DBPath); err == nil {
		t.Fatal("info created a cache")
	}

	env.MustRun("sessions", "import", rec)
	for _, arg := range []string{rec, "5e551011", "5e551011-0000-4000-8000-000000000001"} {
		env.MustRun("sessions", "info", arg, "-o", "json")
		inf = infoJSON{}
		if err := json.Unmarshal(env.Out.Bytes(), &inf); err != nil {
			t.Fatal(err)
		}
		st, _ := os.Stat(rec)
		if inf.File != rec || inf.SizeBytes != st.Size() || inf.SessionSource != "cache" ||
			inf.Session.DurationMS != 68500 || !inf.Session.HasRecording || inf.Session.Status != "completed" {
			t.Errorf("info %s: %+v", arg, inf)
		}
	}
	out := env.MustRun("sessions", "info", "5e551011", "-o", "table")
	if !strings.Contains(out, "Session (from the cache)") || !strings.Contains(out, `"duration_ms": 68500`) || strings.Contains(out, "Size:         0 bytes") {
		t.Errorf("panel:\n%s", out)
	}
}

// sessions show gives the exit status the recorder wrote (the recording's
// exit event), and says when there is none.
func TestShowExitStatus(t *testing.T) {
	env := cmdtest.New(t)
	dir := t.TempDir()
	withExit := filepath.Join(dir, "x.rec")
	writeAuditRec(t, withExit, session.Session{ID: "e0000000-0000-4000-8000-000000000003", UserName: "ann", Start: cmdtest.Now.Add(-7200e9)},
		[]ev{{1, "o", "$ false\r\n"}, {2, "x", "3"}})
	noExit := filepath.Join(dir, "n.rec")
	writeAuditRec(t, noExit, session.Session{ID: "e0000000-0000-4000-8000-000000000004", UserName: "ann", Start: cmdtest.Now.Add(-7000e9)},
		[]ev{{1, "o", "$ "}})
	env.MustRun("sessions", "import", withExit, noExit)

	out := env.MustRun("sessions", "show", "e0000000-0000-4000-8000-000000000003", "-o", "table")
	if !strings.Contains(out, "Exit status:    3") {
		t.Errorf("show:\n%s", out)
	}
	env.MustRun("sessions", "show", "e0000000-0000-4000-8000-000000000003", "-o", "json")
	var d struct {
		Files struct {
			ExitStatus *string `json:"exit_status"`
		}
	}
	json.Unmarshal(env.Out.Bytes(), &d)
	if d.Files.ExitStatus == nil || *d.Files.ExitStatus != "3" {
		t.Errorf("json exit status: %s", env.Out)
	}
	if out := env.MustRun("sessions", "show", "e0000000-0000-4000-8000-000000000004", "-o", "table"); !strings.Contains(out, "Exit status:    not recorded") {
		t.Errorf("no exit event:\n%s", out)
	}
}

// A session just recorded: info and show right after the recorder ends
// say completed, the real size and the exit status.
func TestInfoShowJustRecorded(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("pseudo-terminal recorder test runs on linux")
	}
	env := cmdtest.New(t)
	t.Setenv("HOME", t.TempDir())
	dir := t.TempDir()
	err := env.Run("sessions", "record", "--resource", "r1", "--dir", dir, "--", "sh", "-c", "echo hi; exit 3")
	if err == nil {
		t.Fatal("the recorded command's exit status 3 was lost")
	}
	env.MustRun("sessions", "list", "-o", "json", "--since", "1d")
	var rows []struct{ ID string }
	json.Unmarshal(env.Out.Bytes(), &rows)
	if len(rows) != 1 {
		t.Fatalf("sessions: %s", env.Out)
	}
	env.MustRun("sessions", "info", rows[0].ID, "-o", "json")
	var inf infoJSON
	json.Unmarshal(env.Out.Bytes(), &inf)
	if inf.SizeBytes == 0 || inf.Session.Status != "completed" || inf.ExitStatus == nil || *inf.ExitStatus != "3" || !inf.Session.HasRecording {
		t.Errorf("info right after recording: %s", env.Out)
	}
	if out := env.MustRun("sessions", "show", rows[0].ID, "-o", "table"); !strings.Contains(out, "Exit status:    3") || !strings.Contains(out, "completed") {
		t.Errorf("show right after recording:\n%s", out)
	}
}
