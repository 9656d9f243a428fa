package recording

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// fixture is a readable recording of any format.
type fixture struct {
	name string
	open func() (*Reader, error)
}

// allFixtures lists every valid shared recording and every fixture of
// testdata, of every format.
func allFixtures(t testing.TB) []fixture {
	var fs []fixture
	if _, err := os.Stat(sharedData); err == nil {
		filepath.WalkDir(sharedData, func(p string, d os.DirEntry, err error) error {
			if err != nil || !strings.HasSuffix(p, ".cast") {
				return nil
			}
			data, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			if _, _, err := readAll(p, data); err != nil {
				return nil // broken on purpose
			}
			rel, _ := filepath.Rel(sharedData, p)
			fs = append(fs, fixture{rel, func() (*Reader, error) { return Open(p, Options{}) }})
			return nil
		})
	} else if os.Getenv("CI") == "true" {
		t.Fatalf("shared recordings missing: %v", err)
	}
	for _, c := range scriptFixtures {
		c := c
		fs = append(fs, fixture{"script/" + c.timing + "+" + filepath.Base(c.opt.ScriptIn), func() (*Reader, error) {
			return Open(scriptPath(c.timing), c.opt.under(scriptPath))
		}})
	}
	fs = append(fs,
		fixture{"ttyrec/real.ttyrec", func() (*Reader, error) {
			return Open(filepath.Join("testdata", "ttyrec", "real.ttyrec"), Options{})
		}},
		fixture{"ttyrec/hand-made", func() (*Reader, error) { return NewReader("hand", bytes.NewReader(handTtyrec())) }},
		fixture{"asciicast-v1", func() (*Reader, error) {
			return NewReader("v1", strings.NewReader(`{"version":1,"width":20,"height":5,"duration":1.5,"command":"sh","title":"t","env":{"TERM":"xterm"},"stdout":[[0.1,"a\u001b[1m"],[1.4,"é\r\n"]]}`))
		}},
		fixture{"asciicast-v3-audit", func() (*Reader, error) {
			return NewReader("audit", strings.NewReader(`{"version":3,"term":{"cols":80,"rows":24},"audit":{"session":"s1","user": {"name":"ann"}},"x-extra":[1, 2]}
[0.25,"o","$ psql\r\n"]
[0.5,"q","{\"query\":\"select 1\",\"message\":\"SELECT 1\",\"duration_ms\":0.4,\"rows\":1}"]
[0.1,"zz","unknown code"]
[0.1,"m","marker"]
[0.000001,"x","0"]
`))
		}},
	)
	return fs
}

func readFixture(t testing.TB, f fixture) (Header, []Event) {
	t.Helper()
	r, err := f.open()
	if err != nil {
		t.Fatalf("%s: %v", f.name, err)
	}
	defer r.Close()
	evs, err := readReader(r)
	if err != nil {
		t.Fatalf("%s: %v", f.name, err)
	}
	return r.Header(), evs
}

func writeAll(t testing.TB, hdr Header, evs []Event, opt WriterOptions) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := NewWriter(&buf, hdr, opt)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range evs {
		if err := w.WriteEvent(e); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// roundUS rounds to the microsecond as the writer does.
func roundUS(d time.Duration) time.Duration {
	return (d + 500*time.Nanosecond) / time.Microsecond * time.Microsecond
}

// streams concatenates the data of each code, invalid UTF-8 replaced as
// the writer does.
func streams(evs []Event) map[string]string {
	m := map[string][]byte{}
	for _, e := range evs {
		m[e.Code] = append(m[e.Code], e.Data...)
	}
	out := map[string]string{}
	for k, v := range m {
		out[k] = string(appendJSONString(nil, string(v)))
	}
	return out
}

func TestWriterRoundTrip(t *testing.T) {
	for _, f := range allFixtures(t) {
		for _, version := range []int{3, 2} {
			t.Run(fmt.Sprintf("%s/v%d", f.name, version), func(t *testing.T) {
				hdr, evs := readFixture(t, f)
				out := writeAll(t, hdr, evs, WriterOptions{Version: version})
				h2, evs2, err := readAll("out", out)
				if err != nil {
					t.Fatalf("reading back: %v\n%s", err, out)
				}
				wantEnv := hdr.Env
				if t, _ := hdr.Term["type"].(string); t != "" && version == 2 && hdr.Env["TERM"] == "" {
					wantEnv = maps.Clone(hdr.Env)
					if wantEnv == nil {
						wantEnv = map[string]string{}
					}
					wantEnv["TERM"] = t
				}
				if h2.Format != fmt.Sprintf("asciicast-v%d", version) || h2.Width != hdr.Width || h2.Height != hdr.Height ||
					h2.Title != hdr.Title || h2.Command != hdr.Command || !reflect.DeepEqual(h2.Env, wantEnv) ||
					h2.Idle != hdr.Idle || h2.Timestamp.Unix() != hdr.Timestamp.Unix() || !jsonEqual(h2.Audit, hdr.Audit) ||
					!reflect.DeepEqual(themeOf(h2.Term), themeOf(hdr.Term)) || h2.Term["type"] != hdr.Term["type"] {
					t.Errorf("header\n got %+v\nwant %+v", h2, hdr)
				}
				if th, ok := hdr.Term["theme"].(map[string]any); ok && len(th) == 0 {
					delete(hdr.Term, "theme") // an empty theme is no theme
				}
				if version == 3 && !reflect.DeepEqual(h2.Term, hdr.Term) && hdr.Version == 3 {
					t.Errorf("term %v, want %v", h2.Term, hdr.Term)
				}
				valid := true
				for _, e := range evs {
					valid = valid && utf8.ValidString(e.Data)
				}
				if valid {
					if len(evs2) != len(evs) {
						t.Fatalf("%d events, want %d", len(evs2), len(evs))
					}
					for i := range evs {
						a, b := evs[i], evs2[i]
						if a.Code != b.Code || a.Data != b.Data || roundUS(a.Time) != b.Time {
							t.Fatalf("event %d: %+v, want %+v", i, b, a)
						}
					}
				} else if !reflect.DeepEqual(streams(evs), streams(evs2)) {
					t.Errorf("streams %q, want %q", streams(evs2), streams(evs))
				}
				// Writing what was read back gives the same bytes.
				if again := writeAll(t, h2, evs2, WriterOptions{Version: version}); !bytes.Equal(again, out) {
					t.Errorf("second write differs:\n%s\n%s", again, out)
				}
			})
		}
	}
}

func jsonEqual(a, b json.RawMessage) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	var x, y any
	return json.Unmarshal(a, &x) == nil && json.Unmarshal(b, &y) == nil && reflect.DeepEqual(x, y)
}

func TestWriterTimes(t *testing.T) {
	// Random nanosecond times over a long recording: the written v3
	// intervals sum exactly to the rounded absolute times, and v2 writes
	// the rounded times.
	rng := rand.New(rand.NewPCG(1, 2))
	var evs []Event
	var now time.Duration
	for range 200000 {
		now += time.Duration(rng.Int64N(int64(3 * time.Second)))
		evs = append(evs, Event{Time: now, Code: "o", Data: "x"})
	}
	for _, v := range []int{2, 3} {
		out := writeAll(t, Header{Width: 80, Height: 24}, evs, WriterOptions{Version: v})
		_, got, err := readAll("t", out)
		if err != nil || len(got) != len(evs) {
			t.Fatalf("v%d: %v %d", v, err, len(got))
		}
		for i := range evs {
			if got[i].Time != roundUS(evs[i].Time) {
				t.Fatalf("v%d event %d: %v, want %v", v, i, got[i].Time, roundUS(evs[i].Time))
			}
		}
	}
	// Formatting, rounding and times going back.
	out := writeAll(t, Header{}, []Event{
		{Time: 1500 * time.Millisecond, Code: "o"}, {Time: 1500*time.Millisecond + 499, Code: "o"},
		{Time: 2*time.Second + 500, Code: "o"}, {Time: time.Second, Code: "o"}, {Time: 3 * time.Second, Code: "o"},
	}, WriterOptions{})
	want := `{"version": 3, "term": {"cols": 80, "rows": 24}}
[1.5, "o", ""]
[0.0, "o", ""]
[0.500001, "o", ""]
[0.0, "o", ""]
[0.999999, "o", ""]
`
	if string(out) != want {
		t.Errorf("got\n%s\nwant\n%s", out, want)
	}
}

func TestWriterEscaping(t *testing.T) {
	// Every byte value, alone and in UTF-8 context.
	var all []byte
	for c := range 256 {
		all = append(all, byte(c))
	}
	cases := []string{string(all), "\x1b[1;31mré\u2028d\x7f\x00\"\\/", "\xed\xa0\x80 surrogate", "\xf4\x90\x80\x80 too big", "\xc0\xaf overlong"}
	for _, s := range cases {
		enc := appendJSONString(nil, s)
		if !json.Valid(enc) || !utf8.Valid(enc) {
			t.Fatalf("%q: invalid JSON %q", s, enc)
		}
		for _, c := range enc {
			if c < 0x20 {
				t.Fatalf("%q: raw control byte in %q", s, enc)
			}
		}
		var back string
		json.Unmarshal(enc, &back)
		if utf8.ValidString(s) && back != s {
			t.Errorf("%q: decoded %q", s, back)
		}
		if want := strings.ToValidUTF8(s, "\uFFFD"); !utf8.ValidString(s) && strings.Count(back, "\uFFFD") < strings.Count(want, "\uFFFD") {
			t.Errorf("%q: decoded %q", s, back)
		}
		// Our own decoder agrees.
		if got, ok := decodeString(enc); !ok || got != back {
			t.Errorf("%q: decodeString %q %v", s, got, ok)
		}
	}
	if got := string(appendJSONString(nil, "a\n\r\t\b\f\x01\x1b\"\\é")); got != `"a\n\r\t\b\f\u0001\u001b\"\\é"` {
		t.Errorf("escapes: %s", got)
	}
}

func TestWriterSplitUTF8(t *testing.T) {
	// "é" (c3 a9), "€" (e2 82 ac) and "😀" (f0 9f 98 80) split across
	// events and interleaved with input: joined, nothing replaced.
	evs := []Event{
		{Time: 1, Code: "o", Data: "a\xc3"}, {Time: 2, Code: "i", Data: "\xe2\x82"}, {Time: 3, Code: "o", Data: "\xa9b\xf0\x9f"},
		{Time: 4, Code: "o", Data: "\x98"}, {Time: 5, Code: "i", Data: "\xac"}, {Time: 6, Code: "o", Data: "\x80!"},
		{Time: 7, Code: "o", Data: "\xff\xe2"},
	}
	out := writeAll(t, Header{}, evs, WriterOptions{})
	_, got, err := readAll("t", out)
	if err != nil {
		t.Fatal(err)
	}
	if s := summary(got); s != "o:a|o:éb|i:€|o:😀!|o:\uFFFD|o:\uFFFD" {
		t.Errorf("got %q\n%s", s, out)
	}
}

func TestWriterOptions(t *testing.T) {
	evs := []Event{{Time: time.Second, Code: "o", Data: "a"}, {Time: 2 * time.Second, Code: "q", Data: "{}"},
		{Time: 3 * time.Second, Code: "x", Data: "0"}, {Time: 4 * time.Second, Code: "o", Data: "b"}}
	var buf bytes.Buffer
	w, err := NewWriter(&buf, Header{Width: 10, Height: 5}, WriterOptions{Version: 2, Strict: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range evs {
		w.WriteEvent(e)
	}
	w.Close()
	if w.Dropped() != 2 || w.Events() != 2 || buf.String() != `{"version": 2, "width": 10, "height": 5}
[1.0, "o", "a"]
[4.0, "o", "b"]
` {
		t.Errorf("strict v2: dropped %d\n%s", w.Dropped(), buf.String())
	}
	// v3 strict keeps x, drops q; the interval of the next event counts
	// from the last written one.
	out := writeAll(t, Header{}, evs, WriterOptions{Strict: true})
	if !strings.Contains(string(out), "[2.0, \"x\", \"0\"]\n[1.0, \"o\", \"b\"]") || strings.Contains(string(out), `"q"`) {
		t.Errorf("strict v3:\n%s", out)
	}
	// FlushEvery: each event reaches the underlying writer at once.
	var sink bytes.Buffer
	w, _ = NewWriter(&sink, Header{}, WriterOptions{FlushEvery: true})
	n := sink.Len()
	if n == 0 {
		t.Fatal("header not flushed")
	}
	w.WriteEvent(Event{Time: 1, Code: "o", Data: "x"})
	if sink.Len() == n {
		t.Error("event not flushed")
	}
	if _, err := NewWriter(io.Discard, Header{}, WriterOptions{Version: 1}); err == nil {
		t.Error("version 1: want error")
	}
	if _, err := NewWriter(io.Discard, Header{Audit: json.RawMessage("{bad")}, WriterOptions{}); err == nil {
		t.Error("bad audit: want error")
	}
}

func BenchmarkWrite(b *testing.B) {
	evs := make([]Event, 10000)
	size := 0
	for i := range evs {
		evs[i] = Event{Time: time.Duration(i) * 1234567, Code: "o", Data: "\x1b[1;32muser@host\x1b[m:~$ ls -la \"dir\"\r\ntotal 42 é\r\n"}
		size += len(evs[i].Data)
	}
	b.SetBytes(int64(size))
	b.ReportAllocs()
	for b.Loop() {
		w, err := NewWriter(io.Discard, Header{Width: 80, Height: 24}, WriterOptions{})
		if err != nil {
			b.Fatal(err)
		}
		for _, e := range evs {
			w.WriteEvent(e)
		}
		w.Close()
	}
	b.ReportMetric(float64(len(evs)*b.N)/b.Elapsed().Seconds(), "events/s")
}
