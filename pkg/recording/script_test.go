package recording

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/auditctl/auditctl/pkg/audit"
)

// scriptFixtures are the real recordings of testdata/script (gen.sh).
var scriptFixtures = []struct {
	timing string
	opt    Options
	format string
	want   string // codes and data of the events, "code:data|..."
	width  int
}{
	{"classic-t.tm", Options{ScriptLog: "classic-t.ts"}, FormatScriptClassic,
		"o:one\r\ntwo\r\n|o:thé\x1b[1mree\x1b[m", 80},
	{"classic.tm", Options{ScriptLog: "classic.log"}, FormatScriptClassic,
		"o:a\r\r\nb|o:\xffbin\x01\r\r\n", 80},
	{"empty.tm", Options{ScriptLog: "empty.log"}, FormatScriptClassic, "", 80},
	{"adv-out.tm", Options{ScriptLog: "adv-out.log"}, FormatScriptAdvanced, "o:x\r\ny\r\n|x:0", 80},
	{"io.tm", Options{ScriptLog: "io.log"}, FormatScriptAdvanced, "i:hello\n|o:hello\r\ngot hello\r\n|x:0", 80},
	{"io.tm", Options{ScriptLog: "io.log", ScriptIn: "io.log"}, FormatScriptAdvanced, "i:hello\n|o:hello\r\ngot hello\r\n|x:0", 80},
	{"inout.tm", Options{ScriptLog: "inout-out.log", ScriptIn: "inout-in.log"}, FormatScriptAdvanced, "i:ab\n|o:[ab]\r\n|x:0", 80},
	{"in-only.tm", Options{ScriptIn: "in-only.log"}, FormatScriptAdvanced, "i:q\n|x:0", 80},
	{"tty.tm", Options{ScriptLog: "tty.log", Width: 132}, FormatScriptAdvanced,
		"i:hi\r|o:hi\r\n|o:got hi\r\n|r:100x30|i:bye\r|o:bye\r\n|o:30 100\r\n|x:3", 80},
}

func scriptPath(name string) string { return filepath.Join("testdata", "script", name) }

func (o Options) under(dir func(string) string) Options {
	if o.ScriptLog != "" {
		o.ScriptLog = dir(o.ScriptLog)
	}
	if o.ScriptIn != "" {
		o.ScriptIn = dir(o.ScriptIn)
	}
	return o
}

func readReader(r *Reader) ([]Event, error) {
	var evs []Event
	for {
		ev, err := r.Next()
		if err == io.EOF {
			return evs, nil
		}
		if err != nil {
			return evs, err
		}
		evs = append(evs, ev)
	}
}

func summary(evs []Event) string {
	var parts []string
	for _, e := range evs {
		parts = append(parts, e.Code+":"+e.Data)
	}
	return strings.Join(parts, "|")
}

// timingTimes computes the time of every O, I and S entry of a timing file
// independently of the reader: float seconds rounded to the microsecond.
func timingTimes(t *testing.T, path string) []time.Duration {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []time.Duration
	var sum float64
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		if len(fs) < 2 {
			continue
		}
		i := 0
		if fs[0] >= "A" && fs[0] <= "Z" {
			i = 1
		}
		d, err := strconv.ParseFloat(fs[i], 64)
		if err != nil {
			t.Fatal(err)
		}
		sum += d
		if i == 0 || fs[0] == "O" || fs[0] == "I" || fs[0] == "S" {
			out = append(out, time.Duration(math.Round(sum*1e6))*time.Microsecond)
		}
	}
	return out
}

func TestScriptFixtures(t *testing.T) {
	for _, c := range scriptFixtures {
		t.Run(c.timing, func(t *testing.T) {
			r, err := Open(scriptPath(c.timing), c.opt.under(scriptPath))
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			h := r.Header()
			if h.Format != c.format || h.Width != c.width || h.Height != 24 || h.Timestamp.Year() < 2020 || h.Command == "" {
				t.Errorf("header %+v", h)
			}
			evs, err := readReader(r)
			if err != nil {
				t.Fatal(err)
			}
			if got := summary(evs); got != c.want {
				t.Errorf("events\n got %q\nwant %q", got, c.want)
			}
			times := timingTimes(t, scriptPath(c.timing))
			k := 0
			for _, e := range evs {
				if e.Code == "x" {
					continue
				}
				if k >= len(times) || e.Time != times[k] {
					t.Errorf("event %+v: want time %v", e, times[k])
				}
				if e.Line == 0 {
					t.Errorf("event %+v: no line", e)
				}
				k++
			}
		})
	}
	// tty.tm was recorded on a terminal: TERM and the size come from it.
	r, err := Open(scriptPath("tty.tm"), Options{ScriptLog: scriptPath("tty.log")})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if h := r.Header(); h.Env["TERM"] != "tmux-256color" || h.Term["type"] != "tmux-256color" || h.Env["SHELL"] != "/bin/sh" {
		t.Errorf("tty header %+v", h)
	}
}

func TestScriptFlagErrors(t *testing.T) {
	for timing, want := range map[string]string{
		"classic.tm": "pass the typescript it times with --log-out FILE",
		"io.tm":      "--log-io io.log",
		"inout.tm":   "--log-out inout-out.log --log-in inout-in.log",
		"adv-out.tm": "--log-out adv-out.log",
		"in-only.tm": "--log-in in-only.log",
		"empty.tm":   "empty recording", // without --log-out an empty file is nothing
	} {
		_, err := Open(scriptPath(timing), Options{})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: got %v, want %q", timing, err, want)
		}
	}
	if _, err := Open(scriptPath("io.tm"), Options{}); audit.ExitCode(err) != 2 {
		t.Errorf("missing flag: exit code %d, want 2", audit.ExitCode(err))
	}
	// The input log is missing: the error names the flag and the file.
	r, err := Open(scriptPath("inout.tm"), Options{ScriptLog: scriptPath("inout-out.log")})
	if err != nil {
		t.Fatal(err)
	}
	_, err = readReader(r)
	r.Close()
	var ie *audit.InputError
	if !errors.As(err, &ie) || ie.Line != 7 || !strings.Contains(err.Error(), "--log-in inout-in.log") {
		t.Errorf("missing input log: %v", err)
	}
	// A typescript instead of the timing file.
	_, err = Open(scriptPath("classic.log"), Options{})
	if err == nil || !strings.Contains(err.Error(), "typescript") {
		t.Errorf("typescript as FILE: %v", err)
	}
	// NewReader cannot read script: it says so.
	f, _ := os.ReadFile(scriptPath("io.tm"))
	if _, err := NewReader("io.tm", bytes.NewReader(f)); err == nil || !strings.Contains(err.Error(), "script timing") {
		t.Errorf("NewReader: %v", err)
	}
}

func TestScriptErrors(t *testing.T) {
	const started = "Script started on 2026-01-02 03:04:05+00:00 [TERM=\"xterm\" TTY=\"/dev/pts/1\" COLUMNS=\"100\" LINES=\"40\"]\n"
	cases := []struct {
		name, timing, log string
		line              int
		field             string
	}{
		{"short data", "0.1 3\n0.2 10\n", started + "abcdefg", 2, "nbytes"},
		{"bad delay", "0.1 1\n0.1 1\n0.1 1\n0.x 1\n", started + "abcd", 4, "delay"},
		{"bad count", "0.1 1\n0.1 1\n0.1 1\n0.2 -1\n", started + "abcd", 4, "nbytes"},
		{"advanced bad", "O 0.1 1\nO 0.1 1\nO 0.1 1\nO 1\n", started + "abcd", 4, "nbytes"},
		{"advanced type", "O 0.1 1\nO 0.1 1\nO 0.1 1\no 0.1 1\n", started + "abcd", 4, ""},
		{"huge chunk", "0.1 99999999999\n", started + "abcd", 1, "nbytes"},
	}
	for _, c := range cases {
		r, err := NewScriptReader(c.name, strings.NewReader(c.timing), strings.NewReader(c.log), nil, Options{})
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		_, err = readReader(r)
		var ie *audit.InputError
		if !errors.As(err, &ie) || ie.Line != c.line || ie.Field != c.field || ie.File != c.name {
			t.Errorf("%s: got %v, want line %d field %q", c.name, err, c.line, c.field)
		}
		if _, err2 := r.Next(); err2 == nil || err2 == io.EOF {
			t.Errorf("%s: error not sticky", c.name)
		}
	}
	// The typescript header gives the size, TERM and the start time.
	r, err := NewScriptReader("t", strings.NewReader("0.5 4\n"), strings.NewReader(started+"abcd\nScript done on ...\n"), nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	h := r.Header()
	if h.Width != 100 || h.Height != 40 || h.Env["TERM"] != "xterm" || !h.Timestamp.Equal(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)) {
		t.Errorf("header %+v", h)
	}
	// No "Script started" line: the data starts at once.
	r, err = NewScriptReader("t", strings.NewReader("0.5 4\n"), strings.NewReader("abcd"), nil, Options{Width: 90, Height: 30})
	if err != nil {
		t.Fatal(err)
	}
	evs, err := readReader(r)
	if err != nil || summary(evs) != "o:abcd" || r.Header().Width != 90 || r.Header().Height != 30 {
		t.Errorf("headerless: %q %v %+v", summary(evs), err, r.Header())
	}
}

func TestScriptAdvancedHandMade(t *testing.T) {
	// A COMMAND with a newline (older util-linux kept it), CRLF-free
	// entries, signals, an unknown entry type, and the exit code.
	timing := "H 0.000000 START_TIME 2026-11-22 07:38:54+00:00\n" +
		"H 0.000000 COMMAND echo a\nb\n" +
		"H 0.000000 COLUMNS 120\nH 0.000000 LINES 50\n" +
		"H 0.000000 OUTPUT_LOG io\nH 0.000000 INPUT_LOG io\n" +
		"O 0.5 2\nI 0.25 1\nS 1.000001 SIGWINCH ROWS=10 COLS=20\nS 0.1 SIGTERM\nZ 0.1 future\nO 0.000001 1\n" +
		"S 0.1 SIGWINCH ROWS=x\nO 0.1 1\n" +
		"H 0.000000 DURATION 3\nH 0.000000 EXIT_CODE 143\n"
	if isScriptTiming([]byte(timing), true) != FormatScriptAdvanced {
		t.Fatal("not detected")
	}
	r, err := NewScriptReader("adv", strings.NewReader(timing), strings.NewReader("hixyz"), nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	h := r.Header()
	if h.Command != "echo a\nb" || h.Width != 120 || h.Height != 50 {
		t.Errorf("header %+v", h)
	}
	var got []string
	for {
		ev, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			var ie *audit.InputError
			if !errors.As(err, &ie) || ie.Fatal || ie.Line != 14 {
				t.Fatalf("bad SIGWINCH: %v", err)
			}
			got = append(got, "error")
			continue
		}
		got = append(got, ev.Code+":"+ev.Data+"@"+ev.Time.String())
	}
	want := "o:hi@500ms i:x@750ms r:20x10@1.750001s m:SIGTERM@1.850001s o:y@1.950002s error o:z@2.150002s x:143@2.150002s"
	if strings.Join(got, " ") != want {
		t.Errorf("got  %s\nwant %s", strings.Join(got, " "), want)
	}
}

func TestScriptCompressed(t *testing.T) {
	timing, _ := os.ReadFile(scriptPath("io.tm"))
	data, _ := os.ReadFile(scriptPath("io.log"))
	dir := t.TempDir()
	var tz, dz bytes.Buffer
	gzipTo(&tz, timing)
	gzipTo(&dz, data)
	os.WriteFile(filepath.Join(dir, "t.gz"), tz.Bytes(), 0o600)
	os.WriteFile(filepath.Join(dir, "d.gz"), dz.Bytes(), 0o600)
	r, err := Open(filepath.Join(dir, "t.gz"), Options{ScriptLog: filepath.Join(dir, "d.gz")})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	evs, err := readReader(r)
	if err != nil || summary(evs) != "i:hello\n|o:hello\r\ngot hello\r\n|x:0" || r.Seekable() {
		t.Errorf("%q %v", summary(evs), err)
	}
}

func TestDetection(t *testing.T) {
	for in, want := range map[string]string{
		"0.1 3\n":                      FormatScriptClassic,
		"0.1 3\n0.2 4":                 FormatScriptClassic,
		"0.1 3\nO 0.2 4\n":             "",
		"O 0.1 3\n":                    FormatScriptAdvanced,
		"H 0.000000 SHELL /bin/sh\n":   FormatScriptAdvanced,
		"X 0.1 3\n":                    "",
		"hello world\n":                "",
		"0.1 3\n\n0.2 4\n":             "",
		"0 1\n0 1\n0 1\nbad\n":         FormatScriptClassic,
		"0 1\n0 1\nbad\n0 1\n":         "",
		"\n":                           "",
		"1 2 3\n":                      "",
		"O 0.1 3 4\n":                  "",
		"S 0.1 SIGWINCH ROWS=1 COLS=2": FormatScriptAdvanced,
	} {
		if got := isScriptTiming([]byte(in), true); got != want {
			t.Errorf("%q: %q, want %q", in, got, want)
		}
	}
	// Every fixture is detected by content whatever its name.
	for _, c := range scriptFixtures {
		data, _ := os.ReadFile(scriptPath(c.timing))
		if len(data) > 0 && isScriptTiming(data, true) != c.format {
			t.Errorf("%s: not detected as %s", c.timing, c.format)
		}
		if isTtyrec(data, true) {
			t.Errorf("%s: taken for ttyrec", c.timing)
		}
	}
}
