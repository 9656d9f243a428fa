package recording

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/auditctl/auditctl/pkg/audit"
)

const sharedData = "../../../shared/data/recordings"

func dataDir(t testing.TB) string {
	t.Helper()
	if _, err := os.Stat(sharedData); err != nil {
		t.Skipf("shared data absent: %v", err)
	}
	return sharedData
}

// readAll reads every event; it stops at the first error.
func readAll(name string, data []byte) (Header, []Event, error) {
	r, err := NewReader(name, bytes.NewReader(data))
	if err != nil {
		return Header{}, nil, err
	}
	defer r.Close()
	var evs []Event
	for {
		ev, err := r.Next()
		if err == io.EOF {
			return r.Header(), evs, nil
		}
		if err != nil {
			return r.Header(), evs, err
		}
		evs = append(evs, ev)
	}
}

// TestSharedFixtures documents which shared recordings are valid and which
// are broken (and on which line), as the reference implementation decides.
func TestSharedFixtures(t *testing.T) {
	dir := dataDir(t)
	cases := map[string]int{ // path -> 0: must read fully; N: error on line N
		"asciinema-server/big.cast":     0,
		"asciinema-server/welcome.cast": 0,

		"asciinema-server/2/blank-lines.cast":        0,
		"asciinema-server/2/empty-theme.cast":        0,
		"asciinema-server/2/full.cast":               0,
		"asciinema-server/2/int-time.cast":           0,
		"asciinema-server/2/minimal.cast":            0,
		"asciinema-server/2/no-events.cast":          0,
		"asciinema-server/2/single-event.cast":       0,
		"asciinema-server/2/zero-time.cast":          0,
		"asciinema-server/2/broken.cast":             3, // "lol!"
		"asciinema-server/2/invalid-code.cast":       3, // code 5
		"asciinema-server/2/invalid-data.cast":       3, // data true
		"asciinema-server/2/invalid-resize.cast":     3, // "-1x0"
		"asciinema-server/2/invalid-theme.cast":      1, // fg "white"
		"asciinema-server/2/invalid-time-1.cast":     3, // -1.0
		"asciinema-server/2/invalid-time-2.cast":     3, // "2.0"
		"asciinema-server/2/wrong-event-length.cast": 3, // 4 elements

		"asciinema-server/3/blank-lines-and-comments.cast": 0,
		"asciinema-server/3/empty-theme.cast":              0,
		"asciinema-server/3/full.cast":                     0,
		"asciinema-server/3/int-time.cast":                 0,
		"asciinema-server/3/minimal.cast":                  0,
		"asciinema-server/3/no-events.cast":                0,
		"asciinema-server/3/single-event.cast":             0,
		"asciinema-server/3/broken.cast":                   3,
		"asciinema-server/3/invalid-code.cast":             3,
		"asciinema-server/3/invalid-data.cast":             3,
		"asciinema-server/3/invalid-resize.cast":           3,
		"asciinema-server/3/invalid-time-1.cast":           3,
		"asciinema-server/3/invalid-time-2.cast":           3,
		"asciinema-server/3/wrong-event-length.cast":       3,
	}
	players, _ := filepath.Glob(filepath.Join(dir, "asciinema-player", "*.cast"))
	for _, p := range players {
		cases["asciinema-player/"+filepath.Base(p)] = 0 // all valid
	}
	// Every .cast file in the shared folder must be listed.
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(p, ".cast") {
			rel, _ := filepath.Rel(dir, p)
			if _, ok := cases[filepath.ToSlash(rel)]; !ok {
				t.Errorf("%s: not classified in this test", rel)
			}
		}
		return nil
	})
	for rel, wantLine := range cases {
		t.Run(rel, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(dir, rel))
			if err != nil {
				t.Fatal(err)
			}
			_, evs, err := readAll(rel, data)
			if wantLine == 0 {
				if err != nil {
					t.Fatalf("want ok, got %v", err)
				}
				return
			}
			var ie *audit.InputError
			if !errors.As(err, &ie) {
				t.Fatalf("want *audit.InputError at line %d, got %v (%d events)", wantLine, err, len(evs))
			}
			if ie.Line != wantLine || ie.File != rel {
				t.Fatalf("error %q: want %s line %d", err, rel, wantLine)
			}
			if audit.ExitCode(err) != 3 {
				t.Errorf("exit code %d, want 3", audit.ExitCode(err))
			}
			t.Logf("rejected: %v", err)
		})
	}
}

func TestExactTimes(t *testing.T) {
	dir := dataDir(t)
	// v3 relative intervals must sum to exactly v2's absolute times.
	read := func(rel string) []Event {
		data, err := os.ReadFile(filepath.Join(dir, rel))
		if err != nil {
			t.Fatal(err)
		}
		_, evs, err := readAll(rel, data)
		if err != nil {
			t.Fatal(err)
		}
		return evs
	}
	v2, v3 := read("asciinema-server/2/minimal.cast"), read("asciinema-server/3/minimal.cast")
	if len(v2) != 3 || len(v3) != 3 {
		t.Fatalf("got %d and %d events", len(v2), len(v3))
	}
	for _, i := range []int{0, 2} { // the fixtures differ on event 1
		if v2[i] != v3[i] {
			t.Errorf("event %d: v2 %+v, v3 %+v", i, v2[i], v3[i])
		}
	}
	if v3[2].Time != 8456789*time.Microsecond || v3[2].Data != "żółć jaźń" {
		t.Errorf("last event %+v", v3[2])
	}
	evs := read("asciinema-server/3/blank-lines-and-comments.cast")
	if len(evs) != 4 || evs[3].Time != 9481455*time.Microsecond || evs[3].Line != 15 {
		t.Errorf("blank-lines-and-comments: %+v", evs)
	}

	// A million intervals of 0.1 s: exactly 100000 s, no float drift.
	var b strings.Builder
	b.WriteString(`{"version":3,"term":{"cols":80,"rows":24}}` + "\n")
	for range 1000000 {
		b.WriteString("[0.1, \"o\", \"x\"]\n")
	}
	_, evs, err := readAll("gen", []byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	if got := evs[len(evs)-1].Time; got != 100000*time.Second {
		t.Errorf("end time %v, want exactly 100000s", got)
	}
}

func TestHeader(t *testing.T) {
	dir := dataDir(t)
	data, err := os.ReadFile(filepath.Join(dir, "asciinema-server/3/full.cast"))
	if err != nil {
		t.Fatal(err)
	}
	h, evs, err := readAll("full.cast", data)
	if err != nil {
		t.Fatal(err)
	}
	if h.Version != 3 || h.Width != 96 || h.Height != 26 || h.Title != "bashing :)" || h.Command != "/bin/bash -l" ||
		h.Idle != 2.5 || h.Env["SHELL"] != "/usr/bin/fish" || h.Timestamp != time.Unix(1744302022, 0).UTC() ||
		h.Term["type"] != "xterm-ghostty" || len(h.Raw) == 0 {
		t.Errorf("header %+v", h)
	}
	codes := ""
	for _, e := range evs {
		codes += e.Code
	}
	if codes != "oioro" || evs[3].Data != "80x24" || evs[1].Data != "\r" {
		t.Errorf("events %+v", evs)
	}
}

func TestBig(t *testing.T) {
	dir := dataDir(t)
	path := filepath.Join(dir, "asciinema-server/big.cast")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// Independent count: lines starting with "[".
	want := 0
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 64<<20)
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "[") {
			want++
		}
	}
	h, evs, err := readAll("big.cast", data)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != want || want == 0 {
		t.Fatalf("read %d events, want %d", len(evs), want)
	}
	if h.Width != 160 || h.Height != 76 {
		t.Errorf("size %dx%d", h.Width, h.Height)
	}
	for i := 1; i < len(evs); i++ {
		if evs[i].Time < evs[i-1].Time {
			t.Fatalf("time goes back at event %d", i)
		}
	}
}

func TestCompressed(t *testing.T) {
	plain := []byte(`{"version": 2, "width": 80, "height": 24, "audit": {"session": "s1"}}
[0.5, "o", "hello\r\n"]
[1.25, "q", "{\"query\":\"select 1\"}"]
[2, "zz", "unknown"]
`)
	var gz bytes.Buffer
	w := gzip.NewWriter(&gz)
	w.Write(plain)
	w.Close()
	enc, _ := zstd.NewWriter(nil)
	zs := enc.EncodeAll(plain, nil)
	_, want, err := readAll("plain", plain)
	if err != nil || len(want) != 3 {
		t.Fatalf("plain: %v %+v", err, want)
	}
	for name, data := range map[string][]byte{"gzip": gz.Bytes(), "zstd": zs} {
		h, got, err := readAll(name, data)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if string(h.Audit) != `{"session": "s1"}` {
			t.Errorf("%s: audit %s", name, h.Audit)
		}
		if len(got) != len(want) {
			t.Fatalf("%s: %d events", name, len(got))
		}
		for i := range got {
			if got[i] != want[i] {
				t.Errorf("%s: event %d %+v, want %+v", name, i, got[i], want[i])
			}
		}
	}
	if want[1].Code != "q" || want[2].Code != "zz" || want[2].Time != 2*time.Second {
		t.Errorf("events %+v", want)
	}
	// Truncated gzip is an InputError.
	_, _, err = readAll("trunc", gz.Bytes()[:gz.Len()-10])
	var ie *audit.InputError
	if !errors.As(err, &ie) {
		t.Errorf("truncated gzip: %v", err)
	}
}

func TestV1(t *testing.T) {
	doc := `{
  "version": 1,
  "width": 80,
  "height": 24,
  "duration": 1.5,
  "command": "/bin/zsh",
  "title": "",
  "env": {"TERM": "xterm-256color", "SHELL": "/bin/zsh"},
  "stdout": [
    [0.1, "a"],
    [0.2, "b\u001b[0m"],
    [1.2, "c"]
  ]
}
`
	h, evs, err := readAll("v1", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if h.Version != 1 || h.Width != 80 || h.Duration != 1.5 || h.Env["TERM"] != "xterm-256color" || strings.Contains(string(h.Raw), "stdout") {
		t.Errorf("header %+v", h)
	}
	if len(evs) != 3 || evs[2].Time != 1500*time.Millisecond || evs[1].Data != "b\x1b[0m" {
		t.Errorf("events %+v", evs)
	}
	// One-line v1 too.
	if _, evs, err := readAll("v1", []byte(`{"version":1,"width":8,"height":2,"stdout":[[1,"x"]]}`)); err != nil || len(evs) != 1 {
		t.Errorf("one-line v1: %v %v", evs, err)
	}
	_, _, err = readAll("v1", []byte(strings.Replace(doc, `[1.2, "c"]`, `[1.2, "c", 3]`, 1)))
	var ie *audit.InputError
	if !errors.As(err, &ie) || ie.Record != 3 || ie.Field != "stdout" {
		t.Errorf("bad frame: %v", err)
	}
	_, _, err = readAll("v1", []byte(strings.Replace(doc, `"height": 24,`, `"height": 24`, 1)))
	if !errors.As(err, &ie) || ie.Line != 5 {
		t.Errorf("syntax error: %#v", err)
	}
}

func TestEventErrors(t *testing.T) {
	const hdr = `{"version": 3, "term": {"cols": 80, "rows": 24}}` + "\n"
	cases := []struct{ line, field string }{
		{`[1, "o"]`, ""},
		{`{"t": 1}`, ""},
		{`[1, "o", "x"] junk`, ""},
		{`[1, "o", "\q"]`, ""},
		{`[null, "o", "x"]`, "time"},
		{`[-0.5, "o", "x"]`, "time"},
		{`[1e300, "o", "x"]`, "time"},
		{`[1, ["o"], "x"]`, "code"},
		{`[1, "o", 7]`, "data"},
		{`[1, "r", "80"]`, "data"},
		{`[1, "r", "0x24"]`, "data"},
	}
	for _, c := range cases {
		_, _, err := readAll("f", []byte(hdr+"# c\n\n"+c.line+"\n"))
		var ie *audit.InputError
		if !errors.As(err, &ie) || ie.Line != 4 || ie.Field != c.field {
			t.Errorf("%s: got %v, want line 4 field %q", c.line, err, c.field)
		}
	}
	// Non-fatal: the reader goes on after a bad line, the clock untouched.
	r, err := NewReader("f", strings.NewReader(hdr+"[1,\"o\",\"a\"]\nlol\n[2,\"o\",\"b\"]\n"))
	if err != nil {
		t.Fatal(err)
	}
	r.Next()
	if _, err := r.Next(); err == nil {
		t.Fatal("want error")
	}
	if ev, err := r.Next(); err != nil || ev.Time != 3*time.Second || ev.Line != 4 {
		t.Errorf("after error: %+v %v", ev, err)
	}
	// Headers.
	for _, h := range []string{"", "\n", "[1]", `{"version": 4}`, `{"version": 2, "width": 0, "height": 2}`,
		`{"version": 3, "term": {"cols": 80}}`, `{"version": 2, "width": 8, "height": 2`, "# c\n" + hdr} {
		_, _, err := readAll("h", []byte(h))
		var ie *audit.InputError
		if !errors.As(err, &ie) || !ie.Fatal || ie.Line != 1 {
			t.Errorf("header %q: %#v", h, err)
		}
	}
}

func TestParseSeconds(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"0": 0, "-0": 0, "1": time.Second, "1.5": 1500 * time.Millisecond, "0.000000001": 1,
		"0.0000000019": 1, "1e3": 1000 * time.Second, "2.5E-3": 2500 * time.Microsecond,
		"123456.123456789": 123456123456789, "0.1": 100 * time.Millisecond,
		"1.00000000000000000000000001": time.Second,
	} {
		got, err := parseSeconds([]byte(in))
		if err != nil || got != want {
			t.Errorf("%s: %v %v, want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "-", "01", "1.", ".5", "1e", "-1", "1e20", "99999999999999999999", "+1", "1x"} {
		if _, err := parseSeconds([]byte(in)); err == nil {
			t.Errorf("%q: want error", in)
		}
	}
}

func BenchmarkReadBig(b *testing.B) {
	dir := dataDir(b)
	data, err := os.ReadFile(filepath.Join(dir, "asciinema-server/big.cast"))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	events := 0
	for b.Loop() {
		r, err := NewReader("big.cast", bytes.NewReader(data))
		if err != nil {
			b.Fatal(err)
		}
		for {
			_, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			events++
		}
	}
	b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
}

func gzipTo(w io.Writer, data []byte) {
	zw := gzip.NewWriter(w)
	zw.Write(data)
	zw.Close()
}
