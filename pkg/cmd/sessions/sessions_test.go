package sessions_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/auditctl/auditctl/internal/termgen"
	"github.com/auditctl/auditctl/pkg/cmd/cmdtest"
	"github.com/auditctl/auditctl/pkg/cmd/sessions/play"
	"github.com/auditctl/auditctl/pkg/recording"
)

// hostile would drive a terminal if it reached one raw: colour, an OSC 52
// clipboard write, a C1 CSI, a right-to-left override.
const hostile = "evil\x1b[31mRED\x1b]52;c;cm0gLXJm\x07\u009b2J\u202etxt.exe"

type ev struct {
	at   float64
	code string
	data string
}

// writeRec writes a v3 recording of events (times in seconds).
func writeRec(t *testing.T, dir, name string, cols, rows int, evs []ev) string {
	t.Helper()
	var buf bytes.Buffer
	hdr := recording.Header{Width: cols, Height: rows, Timestamp: time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)}
	w, err := recording.NewWriter(&buf, hdr, recording.WriterOptions{Version: 3})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range evs {
		d := time.Duration(e.at * float64(time.Second))
		if err := w.WriteEvent(recording.Event{Time: d, Code: e.code, Data: e.data}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func shellSession(t *testing.T, dir string) string {
	var evs []ev
	at := 0.0
	typed := func(s string) {
		for _, r := range s {
			at += 0.1
			evs = append(evs, ev{at, "i", string(r)}, ev{at + 0.01, "o", string(r)})
		}
	}
	evs = append(evs, ev{0, "o", "$ "})
	typed("ls -la")
	evs = append(evs, ev{at + 0.2, "i", "\r"}, ev{at + 0.21, "o", "\r\ntotal 0\r\n$ "})
	at += 1
	evs = append(evs, ev{at, "m", "before sudo"})
	typed("sudo rm -rf /tmpx")
	at += 0.1
	evs = append(evs, ev{at, "i", "\x7f"}, ev{at, "o", "\b \b"})
	at += 0.1
	evs = append(evs, ev{at, "i", "\r"}, ev{at, "o", "\r\n" + hostile + "\r\n$ "})
	at += 0.5
	evs = append(evs, ev{at, "i", "\x1b[A"}, ev{at + 0.1, "i", "\x03"}, ev{at + 0.2, "o", "^C\r\n$ "})
	evs = append(evs, ev{at + 1, "x", "0"})
	return writeRec(t, dir, "shell.rec", 40, 8, evs)
}

func TestKeystrokes(t *testing.T) {
	env := cmdtest.New(t)
	path := shellSession(t, t.TempDir())

	out := env.MustRun("sessions", "keystrokes", path, "-o", "txt")
	want := "00:00:00.100  ls -la\n00:00:00.800  <Enter>\n00:00:01.700  sudo rm -rf /tmpx\n" +
		"00:00:03.400  <Backspace>\n00:00:03.500  <Enter>\n00:00:04.000  <Up>\n00:00:04.100  <C-c>\n"
	if out != want {
		t.Errorf("txt:\n%s\nwant:\n%s", out, want)
	}

	out = env.MustRun("sessions", "keystrokes", path, "--commands", "-o", "json")
	var cmds []struct {
		Command   string
		Ended     string
		Uncertain bool
		Time      float64
		At        time.Time
	}
	if err := json.Unmarshal([]byte(out), &cmds); err != nil {
		t.Fatal(err, out)
	}
	if len(cmds) != 3 || cmds[0].Command != "ls -la" || cmds[1].Command != "sudo rm -rf /tmp" ||
		cmds[2].Ended != "cancel" || !cmds[2].Uncertain || cmds[0].Time != 0.1 ||
		!cmds[0].At.Equal(time.Date(2026, 11, 1, 9, 0, 0, 100e6, time.UTC)) {
		t.Errorf("commands: %+v", cmds)
	}

	out = env.MustRun("sessions", "keystrokes", path, "-o", "csv", "--ungrouped")
	recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 1+28 || recs[0][0] != "time" || recs[1][2] != "l" {
		t.Errorf("ungrouped csv has %d rows: %q", len(recs), recs[:3])
	}
}

func TestKeystrokesHostileInput(t *testing.T) {
	env := cmdtest.New(t)
	path := writeRec(t, t.TempDir(), "h.rec", 80, 24, []ev{{1, "i", hostile + "\r"}})
	env.IO.SetStdoutTTY(true) // CSV is exact in a file, sanitized on a terminal
	for _, format := range []string{"txt", "table", "json", "csv"} {
		out := env.MustRun("sessions", "keystrokes", path, "-o", format)
		if strings.ContainsAny(out, "\x1b\x07\u009b\u202e") {
			t.Errorf("-o %s: raw control or bidi character in output: %q", format, out)
		}
	}
}

func TestQueries(t *testing.T) {
	env := cmdtest.New(t)
	dir := t.TempDir()
	q := func(query, msg string, ms float64, rows int64) string {
		r := rows
		s, err := recording.EncodeQuery(recording.Query{Query: query, Message: msg, DurationMS: ms, Rows: &r})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	path := writeRec(t, dir, "db.rec", 80, 24, []ev{
		{1, "q", q("SELECT * FROM users;", "SELECT 3", 1.5, 3)},
		{2, "q", q("INSERT INTO t VALUES (1);", "INSERT 0 1", 0.7, 1)},
		{3, "q", q("SELEC 1;", `ERROR:  syntax error at or near "SELEC"`, 0.2, 0)},
		{4, "q", q("DROP TABLE users;", "blocked by rule DROP TABLE", 0, 0)},
	})
	out := env.MustRun("sessions", "queries", path, "-o", "json")
	var rows []struct {
		Status, Query, Message string
		DurationMS             float64 `json:"duration_ms"`
		Rows                   *int64
	}
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		t.Fatal(err)
	}
	statuses := fmt.Sprint(rows[0].Status, rows[1].Status, rows[2].Status, rows[3].Status)
	if len(rows) != 4 || statuses != "okokerrorblocked" || *rows[0].Rows != 3 || rows[0].DurationMS != 1.5 {
		t.Errorf("queries: %+v", rows)
	}
	out = env.MustRun("sessions", "queries", path, "--status", "error,blocked", "-o", "csv")
	if n := strings.Count(out, "\n"); n != 3 || !strings.Contains(out, "DROP TABLE users;") {
		t.Errorf("--status csv:\n%s", out)
	}
	if code := env.ExitCode("sessions", "queries", path, "--status", "weird"); code != 2 {
		t.Errorf("bad --status: exit %d", code)
	}

	bad := writeRec(t, dir, "bad.rec", 80, 24, []ev{{1, "q", q("SELECT 1;", "SELECT 1", 1, 1)}, {2, "q", `{"query": 42}`}})
	err := env.Run("sessions", "queries", bad)
	if code := env.ExitCode("sessions", "queries", bad); code != 3 || err == nil || !strings.Contains(err.Error(), "bad.rec:3") {
		t.Errorf("bad query event: exit %d, %v", code, err)
	}
}

func TestInfo(t *testing.T) {
	env := cmdtest.New(t)
	path := shellSession(t, t.TempDir())
	out := env.MustRun("sessions", "info", path, "-o", "json")
	var inf struct {
		Format   string
		Cols     int
		Rows     int
		Duration float64
		Events   map[string]int
		Markers  []struct{ Label string }
		Exit     *string `json:"exit_status"`
	}
	if err := json.Unmarshal([]byte(out), &inf); err != nil {
		t.Fatal(err)
	}
	if inf.Format != "asciicast-v3" || inf.Cols != 40 || inf.Rows != 8 || inf.Events["i"] != 28 ||
		len(inf.Markers) != 1 || inf.Markers[0].Label != "before sudo" || inf.Exit == nil || *inf.Exit != "0" ||
		inf.Duration != 5 {
		t.Errorf("info: %+v", inf)
	}
	out = env.MustRun("sessions", "info", path, "-o", "table")
	for _, want := range []string{"asciicast-v3", "40x8", "before sudo", "Exit status:  0", "00:00:05.000", "00:00:01.600  before sudo"} {
		if !strings.Contains(out, want) {
			t.Errorf("info panel lacks %q:\n%s", want, out)
		}
	}
	if code := env.ExitCode("sessions", "info", filepath.Join(t.TempDir(), "missing.rec")); code != 3 {
		t.Errorf("missing file: exit %d", code)
	}
}

func TestPlayNoTUI(t *testing.T) {
	env := cmdtest.New(t)
	path := shellSession(t, t.TempDir())
	screen := func(args ...string) string {
		return env.MustRun(append([]string{"sessions", "play", path, "--no-tui"}, args...)...)
	}
	end := screen()
	lines := strings.Split(strings.TrimSuffix(end, "\n"), "\n")
	if len(lines) != 8 {
		t.Fatalf("want 8 rows, got %d:\n%s", len(lines), end)
	}
	if lines[0] != "$ ls -la" || lines[2] != "$ sudo rm -rf /tmp" || lines[3] != `evilRED2J\u202etxt.exe` || lines[5] != "$" {
		t.Errorf("end screen:\n%s", end)
	}
	if strings.ContainsAny(end, "\x1b\x07\u009b\u202e") {
		t.Errorf("raw control in plain screen: %q", end)
	}
	for _, l := range lines {
		if strings.HasSuffix(l, " ") {
			t.Errorf("trailing space in %q", l)
		}
	}
	if got := screen("--at", "0.5"); !strings.HasPrefix(got, "$ ls -\n") {
		t.Errorf("--at 0.5:\n%s", got)
	}
	if got, want := screen("--at", "100%"), end; got != want {
		t.Errorf("--at 100%% differs from the end")
	}
	if got := screen("--at", "start"); strings.TrimSpace(got) != "$" {
		t.Errorf("--at start: %q", got)
	}
	if got, want := screen("--at", "0:00:01.0"), screen("--at", "1s"); got != want {
		t.Errorf("1s and 0:00:01.0 differ")
	}
	colored := screen("--color")
	if !strings.Contains(colored, "\x1b[") || strings.ContainsAny(colored, "\x07\u009b\u202e") ||
		strings.Contains(colored, "\x1b]") {
		t.Errorf("--color: %q", colored)
	}
	for _, bad := range []string{"10m", "150%", "soon", "-1"} {
		if code := env.ExitCode("sessions", "play", path, "--no-tui", "--at", bad); code != 2 {
			t.Errorf("--at %s: exit %d, want 2", bad, code)
		}
	}
	if code := env.ExitCode("sessions", "play", path); code != 2 {
		t.Errorf("play without --no-tui: exit %d, want 2 until the player exists", code)
	}
}

// The index path and the replay path give the same screens, on generated
// recordings and every shared one.
func TestPlayIndexEqualsReplay(t *testing.T) {
	old := play.IndexThreshold
	play.IndexThreshold = 0
	t.Cleanup(func() { play.IndexThreshold = old })
	t.Setenv("AUDITCTL_CACHE_DIR", t.TempDir())
	env := cmdtest.New(t)
	dir := t.TempDir()
	var evs []ev
	data := termgen.Mixed(400_000, 3)
	for i := 0; len(data) > 0; i++ {
		n := min(len(data), 1+(i*7919)%900)
		evs = append(evs, ev{float64(i) * 0.01, "o", string(data[:n])})
		data = data[n:]
		if i%97 == 0 {
			evs = append(evs, ev{float64(i) * 0.01, "r", fmt.Sprintf("%dx%d", 60+i%50, 20+i%20)})
		}
	}
	files := []string{writeRec(t, dir, "gen.rec", 80, 24, evs)}
	root := filepath.Join("..", "..", "..", "..", "shared", "data", "recordings")
	for _, name := range []string{"asciinema-server/big.cast", "asciinema-server/welcome.cast", "asciinema-player/resizing.cast"} {
		if _, err := os.Stat(filepath.Join(root, name)); err == nil {
			files = append(files, filepath.Join(root, name))
		}
	}
	for _, f := range files {
		for _, at := range []string{"start", "1%", "13%", "50%", "77%", "end"} {
			got := env.MustRun("sessions", "play", f, "--no-tui", "--at", at)
			want := env.MustRun("sessions", "play", f, "--no-tui", "--at", at, "--no-index")
			if got != want {
				t.Errorf("%s --at %s: index and replay differ\n%s\n---\n%s", f, at, got, want)
			}
		}
	}
	idx, _ := filepath.Glob(filepath.Join(os.Getenv("AUDITCTL_CACHE_DIR"), "seek", "*.idx"))
	if len(idx) != len(files) {
		t.Errorf("%d index files for %d recordings", len(idx), len(files))
	}
}

func TestCat(t *testing.T) {
	env := cmdtest.New(t)
	dir := t.TempDir()
	var evs []ev
	var want []string
	for i := 1; i <= 30; i++ {
		line := fmt.Sprintf("line %d", i)
		evs = append(evs, ev{float64(i), "o", "\x1b[3" + fmt.Sprint(i%8) + "m" + line + "\x1b[m\r\n"})
		want = append(want, line)
	}
	long := strings.Repeat("0123456789", 5) // wraps at 20 columns
	evs = append(evs, ev{31, "o", long + "\r\n"})
	want = append(want, long)
	// Overwrites are applied, not printed.
	evs = append(evs, ev{32, "o", "typo\b\b\bxyz\r\n"})
	want = append(want, "txyz")
	// A full-screen program on the alternate screen leaves nothing behind.
	evs = append(evs, ev{33, "o", "\x1b[?1049h\x1b[Hvim screen\x1b[?1049l"})
	evs = append(evs, ev{34, "o", "$ clear\r\n"})
	want = append(want, "$ clear")
	evs = append(evs, ev{35, "o", "\x1b[H\x1b[2J" + hostile + "\r\n$ "})
	want = append(want, "", "", "", "", "", "") // rows above the cursor at the clear
	path := writeRec(t, dir, "cat.rec", 20, 6, evs)
	out := env.MustRun("sessions", "cat", path)
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if strings.ContainsAny(out, "\x1b\x07\u009b\u202e") {
		t.Errorf("raw control in cat output: %q", out)
	}
	for i, w := range want[:33] {
		if i >= len(lines) || lines[i] != w {
			t.Fatalf("line %d = %q, want %q\n%s", i, lines[min(i, len(lines)-1)], w, out)
		}
	}
	if !strings.Contains(out, "evil") || !strings.HasSuffix(out, "$\n") || strings.Contains(out, "vim screen") {
		t.Errorf("tail of cat output:\n%s", out[max(0, len(out)-200):])
	}
}

// Debian's asciinema 2.2.0 reads every v2 file `sessions convert` writes,
// and what `asciinema cat` prints, rendered by the same emulator, has the
// same text as `sessions cat` of the original.
func TestConvertedPlaysInAsciinema(t *testing.T) {
	for _, tool := range []string{"asciinema", "script"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("%s is not installed (CI=true)", tool)
			}
			t.Skipf("%s is not installed", tool)
		}
	}
	root := filepath.Join("..", "..", "..", "..", "shared", "data", "recordings")
	if _, err := os.Stat(root); err != nil {
		t.Skip("../shared/data/recordings not present")
	}
	env := cmdtest.New(t)
	dir := t.TempDir()
	var files []string
	filepath.Walk(root, func(p string, info os.FileInfo, err error) error {
		if err == nil && strings.HasSuffix(p, ".cast") {
			files = append(files, p)
		}
		return nil
	})
	files = append(files, shellSession(t, dir))
	checked := 0
	for i, f := range files {
		ourCat := env.Run("sessions", "cat", f)
		if ourCat != nil {
			continue // a deliberately broken recording
		}
		want := env.Out.String()
		info := env.MustRun("sessions", "info", f, "-o", "json")
		var inf struct {
			Cols, Rows int
			Events     map[string]int
		}
		json.Unmarshal([]byte(info), &inf)
		v2 := filepath.Join(dir, fmt.Sprintf("%d.cast", i))
		env.MustRun("sessions", "convert", f, "-O", v2, "--to", "v2")
		catFile := v2 + ".cat"
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		c := exec.CommandContext(ctx, "script", "-qec", "asciinema cat '"+v2+"' > '"+catFile+"'", "/dev/null")
		c.Env = append(os.Environ(), "LC_ALL=C.UTF-8", "PYTHONIOENCODING=utf-8")
		msg, err := c.CombinedOutput()
		cancel()
		if err != nil {
			t.Fatalf("%s: asciinema cat: %v\n%s", f, err, msg)
		}
		if inf.Events["r"] > 0 {
			continue // asciinema cat drops resizes: the texts cannot match
		}
		raw, err := os.ReadFile(catFile)
		if err != nil {
			t.Fatal(err)
		}
		one := writeRec(t, dir, fmt.Sprintf("%d.one.rec", i), inf.Cols, inf.Rows, []ev{{0, "o", string(raw)}})
		// One event holding all of the output: over the default event size
		// limit for the larger recordings.
		got := env.MustRun("sessions", "cat", "--max-event-size", "64MiB", one)
		if got != want {
			t.Errorf("%s: sessions cat of asciinema's output differs from sessions cat of the original\n%.400s\n---\n%.400s", f, got, want)
		}
		checked++
	}
	if checked < 15 {
		t.Errorf("only %d recordings compared", checked)
	}
}

// A truncated recording (a recorder killed mid-line) prints what is
// readable and fails naming the line.
func TestCatTruncated(t *testing.T) {
	env := cmdtest.New(t)
	dir := t.TempDir()
	path := writeRec(t, dir, "t.rec", 40, 5, []ev{{1, "o", "first line\r\n"}, {2, "o", "second"}})
	b, _ := os.ReadFile(path)
	os.WriteFile(path, append(b, []byte(`[0.5, "o", "thi`)...), 0o600)
	err := env.Run("sessions", "cat", path)
	if code := env.ExitCode("sessions", "cat", path); code != 3 || err == nil || !strings.Contains(err.Error(), "t.rec:4") {
		t.Fatalf("exit %d, %v", code, err)
	}
	if out := env.Out.String(); out != "first line\nsecond\n" {
		t.Errorf("readable part: %q", out)
	}
}

// play --no-tui on a recording with a bad line skips it (the events after
// it are shown), then fails naming the line; the index path does the same.
func TestPlayDamaged(t *testing.T) {
	env := cmdtest.New(t)
	dir := t.TempDir()
	path := writeRec(t, dir, "d.rec", 20, 3, []ev{{1, "o", "before\r\n"}, {2, "o", "more"}})
	b, _ := os.ReadFile(path)
	os.WriteFile(path, append(b, []byte("[0.5, \"o\", 42]\n[1, \"o\", \"after\"]\n")...), 0o600)
	for _, extra := range [][]string{{"--no-index"}, {}} {
		if len(extra) == 0 {
			old := play.IndexThreshold
			play.IndexThreshold = 0
			t.Setenv("AUDITCTL_CACHE_DIR", t.TempDir())
			defer func() { play.IndexThreshold = old }()
		}
		for _, at := range []string{"end", "100%"} {
			args := append([]string{"sessions", "play", path, "--no-tui", "--at", at}, extra...)
			err := env.Run(args...)
			if err == nil || !strings.Contains(err.Error(), "d.rec:4") {
				t.Errorf("%v: %v", args, err)
			}
			if out := env.Out.String(); out != "before\nmoreafter\n\n" {
				t.Errorf("%v: screen %q", args, out)
			}
		}
	}
}
