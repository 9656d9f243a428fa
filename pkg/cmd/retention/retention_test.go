package retention_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/auditctl/auditctl/pkg/cmd/cmdtest"
	"github.com/auditctl/auditctl/pkg/config"
	"github.com/auditctl/auditctl/pkg/retention"
	"github.com/auditctl/auditctl/pkg/session"
	"github.com/auditctl/auditctl/pkg/store/sqlite"
	"github.com/auditctl/auditctl/player/seek"
)

// The defaults are the seeds' periods and match the config file's.
func TestDefaultsAreTheSeeds(t *testing.T) {
	seeds := map[string]string{
		"000": "Audit Logs (Operation Logs): 90 days",
		"001": "JumpCloud stores 90 days of event logs",
	}
	for n, want := range seeds {
		matches, _ := filepath.Glob(filepath.Join("..", "..", "..", "..", "shared", "seeds", n+"_*.txt"))
		if len(matches) == 0 {
			t.Skip("no seeds beside the checkout")
		}
		b, _ := os.ReadFile(matches[0])
		if !strings.Contains(string(b), want) {
			t.Errorf("seed %s no longer says %q", n, want)
		}
	}
	p, err := retention.NewPolicy("", "", "--logs", "--sessions")
	if err != nil {
		t.Fatal(err)
	}
	now := cmdtest.Now
	logs, sessions := p.Cutoffs(now)
	if now.Sub(logs) != config.DefaultRetentionLogs || now.Sub(sessions) != config.DefaultRetentionSessions ||
		now.Sub(logs) != 90*24*time.Hour || now.Sub(sessions) != 365*24*time.Hour || p.Logs != "90d" || p.Sessions != "1y" {
		t.Fatalf("defaults %+v: cutoffs %v, %v", p, logs, sessions)
	}
}

func TestStatusAndDryRunChangeNothing(t *testing.T) {
	env := cmdtest.New(t)
	fx := newFixture(t, env.DBPath, cmdtest.Now, 300, 200, 8, 2000)
	before := fx.state(t)
	out := env.MustRun("retention", "status", "-o", "json")
	var rep retention.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if len(rep.Events) != 2 || rep.Events[0].Source != "test:a" || rep.Events[0].Expired+rep.Events[1].Expired != 300 ||
		rep.Events[0].Count+rep.Events[1].Count != 500 || rep.Sessions.Expired != 4 || rep.Sessions.Count != 9 ||
		rep.Sessions.ActiveKept != 1 || rep.Sessions.Removable != 3 || rep.Sessions.LeftInPlace != 1 || rep.Sessions.RecordingBytes < 4*2000 {
		t.Fatalf("status: %+v", rep)
	}
	if rep.Events[0].Oldest == nil || !rep.Events[0].ExpiredLast.Before(rep.Policy.LogsBefore) || rep.Policy.Logs != "90d" {
		t.Fatalf("status times: %+v", rep.Events[0])
	}
	env.MustRun("retention", "apply", "--dry-run", "-o", "json")
	var dry retention.Report
	if err := json.Unmarshal(env.Out.Bytes(), &dry); err != nil {
		t.Fatal(err)
	}
	if !dry.DryRun || dry.Applied || !sameJSON(dry.Events, rep.Events) || !sameJSON(dry.Sessions, rep.Sessions) {
		t.Fatalf("dry run differs from status:\n%+v\n%+v", dry, rep)
	}
	if !strings.Contains(env.ErrOut.String(), "dry run: 300 events") || !strings.Contains(env.ErrOut.String(), "left in place") {
		t.Fatalf("stderr: %s", env.ErrOut)
	}
	if after := fx.state(t); !reflect.DeepEqual(after, before) {
		t.Fatalf("changed: %+v -> %+v", before, after)
	}
	// --quiet: stdout only.
	env.MustRun("--quiet", "retention", "apply", "--dry-run", "-o", "csv")
	if env.ErrOut.Len() != 0 || !strings.HasPrefix(env.Out.String(), "kind,source,count,oldest") {
		t.Fatalf("quiet: stderr %q stdout %q", env.ErrOut, env.Out)
	}
	// The periods move the cutoffs.
	env.MustRun("retention", "status", "--logs", "1h", "--sessions", "2y", "-o", "json")
	var short retention.Report
	json.Unmarshal(env.Out.Bytes(), &short)
	if short.Events[0].Expired+short.Events[1].Expired != int64(500-countNewer(fx, time.Hour)) || short.Sessions.Expired != 0 {
		t.Fatalf("--logs 1h --sessions 2y: %+v", short)
	}
}

// countNewer is how many of the fixture's recent events are younger than d.
func countNewer(fx *fixture, d time.Duration) int {
	n := 0
	for i := range fx.newEvents {
		if time.Duration(i%fx.newEvents+1)*7*time.Minute < d {
			n++
		}
	}
	return n
}

func TestApplyWithArchive(t *testing.T) {
	for _, comp := range []string{"gzip", "zstd"} {
		t.Run(comp, func(t *testing.T) {
			env := cmdtest.New(t)
			fx := newFixture(t, env.DBPath, cmdtest.Now, 300, 200, 8, 5000)
			arch := filepath.Join(t.TempDir(), "archive")
			env.MustRun("retention", "apply", "--archive", arch, "--compress", comp, "-o", "json")
			var rep retention.Report
			if err := json.Unmarshal(env.Out.Bytes(), &rep); err != nil {
				t.Fatal(err)
			}
			if !rep.Applied || rep.Archive == nil || rep.Archive.EventCount != 300 || rep.Archive.SessionCount != 4 || rep.Archive.RecordingCount != 4 {
				t.Fatalf("report: %+v %+v", rep, rep.Archive)
			}
			ext := map[string]string{"gzip": ".gz", "zstd": ".zst"}[comp]
			if !strings.HasSuffix(rep.Archive.Events, ".ndjson"+ext) || !strings.HasSuffix(rep.Archive.Sessions, ".tar"+ext) {
				t.Fatalf("archive names: %+v", rep.Archive)
			}
			for _, p := range []string{rep.Archive.Events, rep.Archive.Sessions, arch} {
				st, err := os.Stat(p)
				if err != nil || st.Mode().Perm()&0o077 != 0 {
					t.Fatalf("%s: %v %v: want private", p, err, st.Mode())
				}
			}
			fx.checkArchive(t, arch)
			st := fx.state(t)
			want := state{newEvents: 200, newSess: 4, newFiles: 4, foreign: true, active: true}
			if !reflect.DeepEqual(st, want) {
				t.Fatalf("after apply: %+v, want %+v", st, want)
			}
			for _, s := range []string{"archived 300 events to ", "archived 4 sessions (4 recordings)", "deleted 300 events", "and 4 sessions", "left in place", "still active"} {
				if !strings.Contains(env.ErrOut.String(), s) {
					t.Errorf("stderr lacks %q:\n%s", s, env.ErrOut)
				}
			}

			// The archive imports back: the events are exactly those exported before.
			other := cmdtest.New(t)
			other.MustRun("import", rep.Archive.Events)
			fresh := cmdtest.New(t)
			newFixture(t, fresh.DBPath, cmdtest.Now, 300, 200, 0, 0)
			want1 := fresh.MustRun("logs", "export", "--until", rep.Policy.LogsBefore.Format(time.RFC3339), "-o", "ndjson")
			got := other.MustRun("logs", "export", "-o", "ndjson")
			if got != want1 || strings.Count(got, "\n") != 300 {
				t.Fatalf("re-imported archive differs from the events before deletion (%d lines vs %d)", strings.Count(got, "\n"), strings.Count(want1, "\n"))
			}

			// A second run has nothing to do and writes no archive.
			env.MustRun("retention", "apply", "--archive", arch, "-o", "json")
			if entries, _ := os.ReadDir(arch); len(entries) != 2 {
				t.Fatalf("second run wrote to the archive: %v", entries)
			}
		})
	}
}

func TestApplyTable(t *testing.T) {
	env := cmdtest.New(t)
	newFixture(t, env.DBPath, cmdtest.Now, 30, 20, 4, 100)
	env.MustRun("retention", "apply", "-o", "table")
	out := env.Out.String()
	for _, s := range []string{"KIND", "DELETED", "DELETED OLDEST (UTC)", "test:a", "sessions", "REC BYTES"} {
		if !strings.Contains(out, s) {
			t.Errorf("table lacks %q:\n%s", s, out)
		}
	}
	env.MustRun("retention", "status", "-o", "table")
	if !strings.Contains(env.Out.String(), "EXPIRED") {
		t.Errorf("status table:\n%s", env.Out)
	}
}

func TestExitCodes(t *testing.T) {
	env := cmdtest.New(t)
	newFixture(t, env.DBPath, cmdtest.Now, 10, 10, 2, 100)
	for _, c := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"retention", "apply", "--logs", "0d"}, 2, "--logs: invalid period"},
		{[]string{"retention", "apply", "--sessions", "forever"}, 2, "--sessions: invalid period"},
		{[]string{"retention", "apply", "--dry-run", "--archive", t.TempDir()}, 2, "--dry-run"},
		{[]string{"retention", "apply", "--compress", "xz", "--archive", t.TempDir()}, 2, "--compress"},
		{[]string{"retention", "apply", "extra"}, 2, ""},
		{[]string{"retention", "nope"}, 2, ""},
		{[]string{"retention", "status", "--columns", "nope"}, 2, "nope"},
	} {
		if code := env.ExitCode(c.args...); code != c.code || !strings.Contains(env.ErrOut.String()+errString(env, c.args), c.msg) {
			t.Errorf("%v: exit %d, want %d (%q)", c.args, code, c.code, c.msg)
		}
	}
	// No cache: exit 5, and none is created.
	missing := filepath.Join(t.TempDir(), "none.db")
	for _, sub := range []string{"status", "apply"} {
		if code := env.ExitCode("--db", missing, "retention", sub); code != 5 {
			t.Errorf("%s without a cache: exit %d", sub, code)
		}
	}
	if _, err := os.Stat(missing); err == nil {
		t.Fatal("a cache was created")
	}
}

func errString(env *cmdtest.Env, args []string) string {
	err := env.Run(args...)
	if err == nil {
		return ""
	}
	return err.Error()
}

// An archive that cannot be written stops the run before anything is
// deleted (exit 5).
func TestArchiveFailureDeletesNothing(t *testing.T) {
	env := cmdtest.New(t)
	fx := newFixture(t, env.DBPath, cmdtest.Now, 50, 50, 4, 100)
	before := fx.state(t)
	blocker := filepath.Join(t.TempDir(), "file")
	os.WriteFile(blocker, nil, 0o600)
	if code := env.ExitCode("retention", "apply", "--archive", filepath.Join(blocker, "sub")); code != 5 {
		t.Fatalf("exit %d, want 5: %s", code, env.ErrOut)
	}
	if after := fx.state(t); !reflect.DeepEqual(after, before) {
		t.Fatalf("changed: %+v -> %+v", before, after)
	}
}

// A recording file journaled by a run that died before removing it is
// removed by the next run; one registered again meanwhile is kept.
func TestRollForwardOfRecordingFiles(t *testing.T) {
	env := cmdtest.New(t)
	fx := newFixture(t, env.DBPath, cmdtest.Now, 10, 10, 6, 100)
	db, err := sqlite.OpenExisting(t.Context(), env.DBPath)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetSigner(env.Factory.SigningKey)
	// What a run killed between its commit and the removals leaves.
	_, journaled, err := db.DeleteSessions(t.Context(), fx.oldSess, cmdtest.Now.Add(-365*24*time.Hour), func(p string) bool { return true }, nil)
	if err != nil || len(journaled) != len(fx.oldSess) {
		t.Fatalf("journaled %v, %v", journaled, err)
	}
	st := fx.state(t)
	if st.oldSess != 0 || st.oldFiles != 2 || len(st.trash) != 3 {
		t.Fatalf("after the commit: %+v", st)
	}
	env.MustRun("retention", "status")
	if !strings.Contains(env.ErrOut.String(), "3 recording files of sessions deleted by an interrupted run wait for removal") {
		t.Fatalf("status stderr: %s", env.ErrOut)
	}
	env.MustRun("retention", "apply")
	st = fx.state(t)
	if st.oldFiles != 0 || len(st.trash) != 0 || !st.foreign || st.newFiles != 3 {
		t.Fatalf("after the next run: %+v", st)
	}
	if !strings.Contains(env.ErrOut.String(), "removed 2 recording files of sessions deleted by an interrupted run") {
		t.Fatalf("apply stderr: %s", env.ErrOut)
	}
}

func sameJSON(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

// The config file's retention section sets the periods; the flags win.
func TestConfigPeriods(t *testing.T) {
	env := cmdtest.New(t)
	newFixture(t, env.DBPath, cmdtest.Now, 10, 10, 2, 100)
	periods := func(args ...string) (string, string) {
		t.Helper()
		env.MustRun(append([]string{"retention", "status", "-o", "json"}, args...)...)
		var rep retention.Report
		if err := json.Unmarshal(env.Out.Bytes(), &rep); err != nil {
			t.Fatal(err)
		}
		return rep.Policy.Logs, rep.Policy.Sessions
	}
	if l, s := periods(); l != "90d" || s != "1y" {
		t.Fatalf("no config: %s %s", l, s)
	}
	os.WriteFile(env.ConfigPath, []byte("retention:\n  logs: 30d\n  sessions: 2y\n"), 0o600)
	if l, s := periods(); l != "30d" || s != "2y" {
		t.Fatalf("config: %s %s", l, s)
	}
	if l, s := periods("--logs", "7d"); l != "7d" || s != "2y" {
		t.Fatalf("--logs over config: %s %s", l, s)
	}
	os.WriteFile(env.ConfigPath, []byte("retention:\n  logs: forever\n"), 0o600)
	if code := env.ExitCode("retention", "status"); code != 2 {
		t.Fatalf("bad config: exit %d", code)
	}
	// a flag for both periods does not need the file
	if code := env.ExitCode("retention", "status", "--logs", "1d", "--sessions", "1d"); code != 0 {
		t.Fatalf("flags with a bad config: exit %d", code)
	}
}

// A row naming a file outside the recordings directory, directly or through
// a symbolic link planted inside it, loses its row, never the file.
func TestRetentionRemovesOnlyOwnRecordings(t *testing.T) {
	env := cmdtest.New(t)
	fx := newFixture(t, env.DBPath, cmdtest.Now, 1, 1, 2, 100)
	victimDir := t.TempDir()
	victim := filepath.Join(victimDir, "id_ed25519")
	os.WriteFile(victim, []byte("secret"), 0o600)
	rec := sqlite.RecordingsDir(env.DBPath)
	if err := os.Symlink(victimDir, filepath.Join(rec, "link")); err != nil {
		t.Fatal(err)
	}
	db, err := sqlite.OpenExisting(t.Context(), env.DBPath)
	if err != nil {
		t.Fatal(err)
	}
	start := cmdtest.Now.Add(-400 * 24 * time.Hour)
	for i, p := range []string{victim, filepath.Join(rec, "link", "id_ed25519"), filepath.Join(rec, "..", filepath.Base(victimDir), "id_ed25519"), "relative/id_ed25519"} {
		s := &session.Session{ID: fmt.Sprintf("crafted-%d", i), Start: start, End: start.Add(time.Minute), Status: session.StatusCompleted,
			HasRecording: true, RecordingPath: p}
		if err := db.CreateSession(t.Context(), s); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	env.MustRun("retention", "apply", "-o", "json")
	if b, err := os.ReadFile(victim); err != nil || string(b) != "secret" {
		t.Fatalf("victim file: %q, %v", b, err)
	}
	if st := fx.state(t); st.oldSess != 0 || st.oldFiles != 0 || len(st.trash) != 0 {
		t.Fatalf("state: %+v", st)
	}
	for i := range 4 {
		if code := env.ExitCode("sessions", "show", fmt.Sprintf("crafted-%d", i)); code != 3 {
			t.Errorf("crafted-%d still there (exit %d)", i, code)
		}
	}
}

// A temporary archive file that a killed run left is removed by the next
// run with an archive; one still being written (recently modified) is not.
func TestAbandonedArchiveTempRemoved(t *testing.T) {
	env := cmdtest.New(t)
	newFixture(t, env.DBPath, cmdtest.Now, 10, 10, 2, 100)
	arch := t.TempDir()
	stale := filepath.Join(arch, ".auditctl-events-20261101T000000Z.ndjson.gz.tmp-123")
	fresh := filepath.Join(arch, ".auditctl-sessions-20261122T115959Z.tar.gz.tmp-456")
	mine := filepath.Join(arch, ".notes.tmp-1")
	for _, p := range []string{stale, fresh, mine} {
		os.WriteFile(p, []byte("partial"), 0o600)
	}
	old := time.Now().Add(-time.Hour)
	os.Chtimes(stale, old, old)
	os.Chtimes(mine, old, old)
	env.MustRun("retention", "apply", "--archive", arch)
	for p, want := range map[string]bool{stale: false, fresh: true, mine: true} {
		if _, err := os.Stat(p); (err == nil) != want {
			t.Errorf("%s: exists %v, want %v", filepath.Base(p), err == nil, want)
		}
	}
}

// The player's seek index of a deleted recording (its screens) goes with it.
func TestSeekIndexRemovedWithRecording(t *testing.T) {
	t.Setenv("AUDITCTL_CACHE_DIR", t.TempDir())
	env := cmdtest.New(t)
	fx := newFixture(t, env.DBPath, cmdtest.Now, 1, 1, 4, 2000)
	dir, err := seek.DefaultDir()
	if err != nil {
		t.Fatal(err)
	}
	idx := func(p string) string {
		key, err := seek.Fingerprint(p)
		if err != nil {
			t.Fatal(err)
		}
		return filepath.Join(dir, key+".idx")
	}
	var oldIdx, newIdx string
	for _, p := range []string{fx.oldFiles[0], fx.newFiles[0]} {
		ix, err := seek.Load(t.Context(), p, seek.Options{})
		if err != nil {
			t.Fatal(err)
		}
		ix.Close()
	}
	oldIdx, newIdx = idx(fx.oldFiles[0]), idx(fx.newFiles[0])
	for _, p := range []string{oldIdx, newIdx} {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("no index built: %v", err)
		}
	}
	env.MustRun("retention", "apply")
	if _, err := os.Stat(oldIdx); !os.IsNotExist(err) {
		t.Errorf("the deleted recording's index is still there: %v", err)
	}
	if _, err := os.Stat(newIdx); err != nil {
		t.Errorf("a kept recording's index went: %v", err)
	}
}
