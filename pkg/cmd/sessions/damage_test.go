package sessions_test

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"

	"github.com/auditctl/auditctl/pkg/cmd/cmdtest"
	"github.com/auditctl/auditctl/pkg/cmd/sessions/play"
	"github.com/auditctl/auditctl/pkg/cmdutil"
)

// longSession is a 38-minute v3 recording: a prompt line every second
// (with incompressible noise, so that a compressed copy has many blocks),
// a typed command and a query every minute.
func longSession(t *testing.T, dir string) (string, []byte) {
	var evs []ev
	for s := 1; s <= 38*60+41; s++ {
		evs = append(evs, ev{float64(s), "o", fmt.Sprintf("line %d %x\r\n", s, sha256.Sum256([]byte(fmt.Sprint(s))))})
		if s%60 == 0 {
			evs = append(evs, ev{float64(s) + 0.1, "i", fmt.Sprintf("echo %d\r", s/60)})
			evs = append(evs, ev{float64(s) + 0.2, "q", fmt.Sprintf(`{"query":"select %d","message":"SELECT 1","duration_ms":1,"rows":1}`, s/60)})
		}
	}
	p := writeRec(t, dir, "long.rec", 120, 5, evs)
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return p, b
}

func packGzip(b []byte) []byte {
	var out bytes.Buffer
	w := gzip.NewWriter(&out)
	w.Write(b)
	w.Close()
	return out.Bytes()
}

func packZstd(b []byte) []byte {
	var out bytes.Buffer
	w, _ := zstd.NewWriter(&out, zstd.WithWindowSize(32<<10)) // blocks of 32 KiB: a cut copy starts readable
	w.Write(b)
	w.Close()
	return out.Bytes()
}

// A recording with one bad line near the start: every command reads past
// it (the whole 38 minutes), names file:line on stderr and exits 3 unless
// --skip-invalid; play shows the moment asked for, not second 2.
func TestDamagedBadLineEveryCommand(t *testing.T) {
	env := cmdtest.New(t)
	dir := t.TempDir()
	_, good := longSession(t, dir)
	lines := strings.SplitAfter(string(good), "\n")
	lines[3] = "[0.5, \"o\", \"broken\n" // line 4
	path := filepath.Join(dir, "bad.rec")
	os.WriteFile(path, []byte(strings.Join(lines, "")), 0o600)

	for _, args := range [][]string{
		{"play", path, "--no-tui", "--at", "99%"},
		{"play", path, "--no-tui", "--at", "end"},
		{"play", path, "--no-tui", "--at", "30:00"},
		{"cat", path},
		{"keystrokes", path},
		{"keystrokes", path, "--commands"},
		{"queries", path},
		{"info", path},
	} {
		full := append([]string{"sessions"}, args...)
		err := env.Run(full...)
		if code := env.ExitCode(full...); code != 3 || err == nil || !strings.Contains(err.Error(), "bad.rec:4") {
			t.Errorf("%v: exit %d, %v", args, code, err)
		}
		if !strings.Contains(env.ErrOut.String(), "bad.rec:4") {
			t.Errorf("%v: stderr does not name the bad line: %q", args, env.ErrOut)
		}
		out := env.MustRun(append(full, "--skip-invalid")...)
		if !strings.Contains(env.ErrOut.String(), "bad.rec:4") {
			t.Errorf("%v --skip-invalid: stderr does not name the bad line: %q", args, env.ErrOut)
		}
		if env.MustRun(append(full, "--skip-invalid", "--quiet")...); env.ErrOut.Len() != 0 {
			t.Errorf("%v --quiet: stderr %q", args, env.ErrOut)
		}
		switch args[0] {
		case "play":
			if !strings.Contains(out, "line ") {
				t.Errorf("%v: screen %q", args, out)
			}
		case "cat":
			if !strings.Contains(out, "line 2321 ") || strings.Contains(out, "line 3 ") {
				t.Errorf("cat: the part after the bad line is missing, or the bad line's output is there")
			}
		case "keystrokes":
			if !strings.Contains(out, "echo 38") {
				t.Errorf("%v: keys after the bad line missing: %q", args, out)
			}
		case "queries":
			if !strings.Contains(out, "select 38") {
				t.Errorf("queries after the bad line missing")
			}
		}
	}
	// The screen at 99% is from minute 38, not second 2.
	env.Run("sessions", "play", path, "--no-tui", "--at", "99%", "--skip-invalid")
	if !strings.Contains(env.Out.String(), "line 2297 ") {
		t.Errorf("99%%: %q", env.Out.String())
	}
	// A moment before the bad line is exact: exit 0, a note only.
	if out := env.MustRun("sessions", "play", path, "--no-tui", "--at", "0.5"); !strings.Contains(env.ErrOut.String(), "after the moment shown") || out != "\n\n\n\n\n" {
		t.Errorf("before the damage: %q, stderr %q", out, env.ErrOut)
	}
	// info -o json says it all.
	env.Run("sessions", "info", path, "-o", "json", "--skip-invalid")
	var inf struct {
		Duration float64
		Damage   struct {
			BadLines int64 `json:"bad_lines"`
			Readable float64
			Broken   bool
			Flaws    []struct {
				Line  int
				Error string
			}
		}
	}
	if err := json.Unmarshal(env.Out.Bytes(), &inf); err != nil {
		t.Fatal(err)
	}
	if inf.Damage.BadLines != 1 || inf.Damage.Broken || len(inf.Damage.Flaws) != 1 || inf.Damage.Flaws[0].Line != 4 || inf.Duration < 2300 {
		t.Errorf("info: %+v", inf)
	}
}

// A truncated recording (cut mid-line; gzip or zstd stream cut short): the
// readable span ends at the cut. A moment past it cannot be shown (exit 3
// even with --skip-invalid); a moment before it is exact.
func TestDamagedTruncatedEveryCommand(t *testing.T) {
	env := cmdtest.New(t)
	dir := t.TempDir()
	_, good := longSession(t, dir)
	half := len(good) / 2
	for good[half-1] == '\n' {
		half++
	}
	files := map[string][]byte{
		"cut.rec":     good[:half],
		"cut.rec.gz":  packGzip(good)[:len(packGzip(good))/2],
		"cut.rec.zst": packZstd(good)[:len(packZstd(good))/2],
	}
	for name, data := range files {
		path := filepath.Join(dir, name)
		os.WriteFile(path, data, 0o600)
		want := "ends mid-line"
		if name != "cut.rec" {
			want = "compressed stream ends early"
		}
		for _, args := range [][]string{
			{"play", path, "--no-tui", "--at", "end"},
			{"play", path, "--no-tui", "--at", "99%"},
			{"play", path, "--no-tui", "--at", "38:00"},
			{"cat", path},
			{"keystrokes", path},
			{"queries", path},
			{"info", path},
		} {
			full := append([]string{"sessions"}, args...)
			err := env.Run(full...)
			if code := cmdtestExit(err); code != 3 || !strings.Contains(err.Error(), name+":") || !strings.Contains(err.Error(), want) {
				t.Errorf("%v: exit %d, %v", args, code, err)
			}
			err = env.Run(append(full, "--skip-invalid")...)
			if args[0] == "play" {
				if code := cmdtestExit(err); code != 3 || !strings.Contains(err.Error(), "past the damage") {
					t.Errorf("%v --skip-invalid: a moment past the cut must fail: exit %d %v", args, code, err)
				}
				if !strings.Contains(env.Out.String(), "line ") {
					t.Errorf("%v: the last readable screen is not shown: %q", args, env.Out)
				}
			} else if err != nil || !strings.Contains(env.ErrOut.String(), want) {
				t.Errorf("%v --skip-invalid: %v, stderr %q", args, err, env.ErrOut)
			}
		}
		// Before the cut: exact, exit 0.
		if out := env.MustRun("sessions", "play", path, "--no-tui", "--at", "5"); !strings.Contains(out, "line 5 ") {
			t.Errorf("%s at 5s: %q", name, out)
		}
	}
}

func cmdtestExit(err error) int {
	if err == nil {
		return 0
	}
	return cmdutil.ExitCode(err)
}

// The index path (big recordings) behaves as the replay path.
func TestDamagedViaIndex(t *testing.T) {
	old := play.IndexThreshold
	play.IndexThreshold = 0
	defer func() { play.IndexThreshold = old }()
	t.Setenv("AUDITCTL_CACHE_DIR", t.TempDir())
	env := cmdtest.New(t)
	dir := t.TempDir()
	_, good := longSession(t, dir)
	lines := strings.SplitAfter(string(good), "\n")
	lines[3] = "[0.5, \"o\", 7]\n"
	path := filepath.Join(dir, "bad.rec")
	os.WriteFile(path, []byte(strings.Join(lines, "")), 0o600)
	err := env.Run("sessions", "play", path, "--no-tui", "--at", "99%")
	if cmdtestExit(err) != 3 || !strings.Contains(err.Error(), "bad.rec:4") || !strings.Contains(env.Out.String(), "line 2297 ") {
		t.Fatalf("index: %v\n%s", err, env.Out)
	}
	cut := filepath.Join(dir, "cut.rec.gz")
	os.WriteFile(cut, packGzip(good)[:len(packGzip(good))/2], 0o600)
	err = env.Run("sessions", "play", cut, "--no-tui", "--at", "99%", "--skip-invalid")
	if cmdtestExit(err) != 3 || !strings.Contains(err.Error(), "past the damage") {
		t.Fatalf("index, cut: %v", err)
	}
}

// Terminal replies in the input (a shell's prompt asks for the cursor
// position; vim asks for colours and device attributes) are listed as
// replies, never as keys, and stay out of --commands.
func TestKeystrokesTerminalReplies(t *testing.T) {
	env := cmdtest.New(t)
	path := writeRec(t, t.TempDir(), "replies.rec", 80, 24, []ev{
		{0.1, "o", "$ \x1b[6n"},
		{0.2, "i", "\x1b[1;3R"}, // asked for: the cursor position, not M-F3
		{0.3, "i", "ls"},
		{0.4, "i", "\x1b[2;2R\x1b[>0;95;0c"},
		{0.5, "i", "\x1b]11;rgb:1e1e/1e1e/1e1e\x1b\\ -la\x1b[I\r"},
		{0.6, "i", "\x1b[1;2R"}, // not asked for: Shift+F3
	})
	out := env.MustRun("sessions", "keystrokes", path, "-o", "txt")
	want := "00:00:00.200  ‹reply: cursor position 1;3›\n" +
		"00:00:00.300  ls\n" +
		"00:00:00.400  ‹reply: cursor position 2;2›\n" +
		"00:00:00.400  ‹reply: device attributes >0;95;0›\n" +
		"00:00:00.500  ‹reply: background colour rgb:1e1e/1e1e/1e1e›\n" +
		"00:00:00.500   -la\n" +
		"00:00:00.500  ‹reply: focus in›\n" +
		"00:00:00.500  <Enter>\n" +
		"00:00:00.600  <S-F3>\n"
	if out != want {
		t.Errorf("txt:\n%s\nwant:\n%s", out, want)
	}
	out = env.MustRun("sessions", "keystrokes", path, "--commands", "-o", "json")
	var cmds []struct {
		Command   string
		Uncertain bool
	}
	if err := json.Unmarshal([]byte(out), &cmds); err != nil {
		t.Fatal(err)
	}
	if len(cmds) != 2 || cmds[0].Command != "ls -la" || cmds[0].Uncertain {
		t.Errorf("commands: %+v", cmds)
	}
	out = env.MustRun("sessions", "keystrokes", path, "-o", "json")
	if !strings.Contains(out, `"kind": "reply"`) {
		t.Errorf("json: no reply kind: %s", out)
	}
}

// watch --no-tui goes on past a bad line, says so at once, and exits 3 at
// the end unless --skip-invalid (a finished session is followed to its end).
func TestWatchDamaged(t *testing.T) {
	env := cmdtest.New(t)
	dir := t.TempDir()
	p := writeCast(t, dir, "w.cast", true, `[1, "o", "one\r\n"]`, `[2, "o", 42]`, `[3, "o", "two\r\n"]`)
	env.MustRun("sessions", "import", p, "--skip-invalid")
	id := strings.TrimSpace(env.Out.String())
	err := env.Run("sessions", "watch", id, "--no-tui")
	if cmdtestExit(err) != 3 || !strings.Contains(err.Error(), "w.cast:3") || env.Out.String() != "one\ntwo\n" ||
		!strings.Contains(env.ErrOut.String(), "w.cast:3") {
		t.Fatalf("watch: %v, out %q, stderr %q", err, env.Out, env.ErrOut)
	}
	if out := env.MustRun("sessions", "watch", id, "--no-tui", "--skip-invalid"); out != "one\ntwo\n" {
		t.Fatalf("watch --skip-invalid: %q", out)
	}
}

// A truncated asciicast v2 whose header records the whole duration:
// percentages are of the whole recording, so 25% is readable (exit 0) and
// 75% lies past the cut (exit 3).
func TestDamagedTruncatedKnownDuration(t *testing.T) {
	env := cmdtest.New(t)
	var lines []string
	for s := 1; s <= 100; s++ {
		lines = append(lines, fmt.Sprintf(`[%d, "o", "second %d\r\n"]`, s, s))
	}
	dir := t.TempDir()
	full := writeCast(t, dir, "full.cast", true, lines...)
	b, _ := os.ReadFile(full)
	b = bytes.Replace(b, []byte(`"timestamp"`), []byte(`"duration":100,"timestamp"`), 1)
	cut := filepath.Join(dir, "cut.cast")
	os.WriteFile(cut, b[:bytes.Index(b, []byte("second 51"))], 0o600)
	if out := env.MustRun("sessions", "play", cut, "--no-tui", "--at", "25%"); !strings.Contains(out, "second 25") || strings.Contains(out, "second 26") {
		t.Errorf("25%%: %q", out)
	}
	err := env.Run("sessions", "play", cut, "--no-tui", "--at", "75%", "--skip-invalid")
	if cmdtestExit(err) != 3 || !strings.Contains(err.Error(), "past the damage") || !strings.Contains(err.Error(), "00:00:50.000") {
		t.Errorf("75%%: %v", err)
	}
	env.Run("sessions", "info", cut, "-o", "json")
	var inf struct {
		Damage struct{ Readable, Duration float64 }
	}
	json.Unmarshal(env.Out.Bytes(), &inf)
	if inf.Damage.Readable != 50 || inf.Damage.Duration != 100 {
		t.Errorf("info damage: %+v", inf.Damage)
	}
}

// A bad line's text reaches stderr sanitized: a hostile recording cannot
// drive the terminal through an error message.
func TestDamageMessagesSanitized(t *testing.T) {
	env := cmdtest.New(t)
	p := writeCast(t, t.TempDir(), "h.cast", true, `[1, "o", "x"]`, "[\"\u202e\u009b2J\", \"o\", \"y\"]", `[3, "o", "z"]`)
	for _, args := range [][]string{{"cat", p}, {"keystrokes", p}, {"info", p}, {"play", p, "--no-tui"}, {"import", p, "--skip-invalid"}} {
		env.Run(append([]string{"sessions"}, args...)...)
		if s := env.ErrOut.String(); !strings.Contains(s, "h.cast:3") || strings.ContainsAny(s, "\u202e\u009b\x1b") {
			t.Errorf("%v: stderr %q", args, s)
		}
	}
}

// Many bad lines: ten are named on stderr, then how many more; info -o
// json lists them all (up to 1000).
func TestDamageManyBadLines(t *testing.T) {
	env := cmdtest.New(t)
	var lines []string
	for i := 1; i <= 25; i++ {
		lines = append(lines, fmt.Sprintf(`[%d, "o", "ok %d"]`, 2*i, i), fmt.Sprintf(`[%d, "o", %d]`, 2*i+1, i))
	}
	p := writeCast(t, t.TempDir(), "many.cast", true, lines...)
	env.Run("sessions", "cat", p)
	if s := env.ErrOut.String(); strings.Count(s, "warning: "+p) != 10 || !strings.Contains(s, "... and 15 more bad lines") {
		t.Errorf("stderr:\n%s", s)
	}
	env.Run("sessions", "info", p, "-o", "json", "--skip-invalid")
	var inf struct {
		Damage struct {
			BadLines int `json:"bad_lines"`
			Flaws    []struct{ Line int }
		}
	}
	json.Unmarshal(env.Out.Bytes(), &inf)
	if inf.Damage.BadLines != 25 || len(inf.Damage.Flaws) != 25 || inf.Damage.Flaws[24].Line != 51 {
		t.Errorf("info: %+v", inf.Damage)
	}
}
