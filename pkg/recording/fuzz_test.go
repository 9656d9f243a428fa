package recording

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/auditctl/auditctl/pkg/audit"
)

// FuzzReader checks that the reader never panics, always terminates, only
// returns *audit.InputError, and decodes event strings as encoding/json does.
// Seeds are in testdata/fuzz/FuzzReader.
func FuzzReader(f *testing.F) {
	maxV1Len = 1 << 20
	f.Add([]byte("{\"version\":3,\"term\":{\"cols\":80,\"rows\":24}}\n[0.5,\"o\",\"hi\\r\\n\"]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		// A tiny event size limit too: refusals are errors like any other.
		if r, err := newReader("fuzz", bytes.NewReader(data), Options{MaxEventSize: 32}, nil); err != nil {
			checkErr(t, err)
		} else {
			checkStream(t, r, 1<<20)
			r.Close()
		}
		r, err := NewReader("fuzz", bytes.NewReader(data))
		if err != nil {
			checkErr(t, err)
			return
		}
		defer r.Close()
		last := r.Header().Version
		var bad int64
		var readable time.Duration
		broken := false
		// Damage describes exactly what Next returned.
		defer func() {
			d := r.Damage()
			if d.Skipped != bad || (d.Break != nil) != broken || d.Readable != readable ||
				d.Duration < d.Readable || int64(len(d.Flaws)) != min(bad, MaxFlaws) {
				t.Fatalf("damage %+v, want %d bad lines, break %v, readable %v", d, bad, broken, readable)
			}
		}()
		for i := 0; ; i++ {
			if i > len(data)+1 && last != 1 && !r.packed {
				t.Fatalf("more events (%d) than input bytes", i)
			}
			ev, err := r.Next()
			if err == io.EOF {
				return
			}
			if err != nil {
				checkErr(t, err)
				var ie *audit.InputError
				if errors.As(err, &ie) && ie.Fatal {
					broken = true
					if _, err2 := r.Next(); err2 == nil || err2 == io.EOF {
						t.Fatalf("fatal error not sticky: %v", err2)
					}
					return
				}
				bad++
				continue
			}
			readable = max(readable, ev.Time)
			if ev.Time < 0 {
				t.Fatalf("negative time %v", ev.Time)
			}
		}
	})
}

func checkErr(t *testing.T, err error) {
	t.Helper()
	var ie *audit.InputError
	if !errors.As(err, &ie) {
		t.Fatalf("error %T %v is not an *audit.InputError", err, err)
	}
	if audit.ExitCode(err) != 3 {
		t.Fatalf("exit code %d for %v", audit.ExitCode(err), err)
	}
}

// FuzzDecodeString checks the hand-written string decoder against
// encoding/json.
func FuzzDecodeString(f *testing.F) {
	for _, s := range []string{`"a"`, `"\u00e9\ud83d\ude00"`, `"\ud800x"`, `"\r\n\t\"\\\/"`, "\"\xff\"", `"\ud83d\u0041"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, tok []byte) {
		if len(bytes.TrimSpace(tok)) != len(tok) {
			return // tokens never carry surrounding whitespace
		}
		got, ok := decodeString(tok)
		var want string
		err := json.Unmarshal(tok, &want)
		if ok != (err == nil) || (ok && got != want) {
			t.Fatalf("decodeString(%q) = %q, %v; json: %q, %v", tok, got, ok, want, err)
		}
	})
}

// checkStream reads r to the end and checks the invariants every format
// keeps: only *audit.InputError, fatal errors sticky, times never going
// back, a bounded number of events.
func checkStream(t *testing.T, r *Reader, maxEvents int) []Event {
	t.Helper()
	var evs []Event
	var last time.Duration
	for i := 0; ; i++ {
		if i > maxEvents {
			t.Fatalf("more than %d events", maxEvents)
		}
		ev, err := r.Next()
		if err == io.EOF {
			return evs
		}
		if err != nil {
			checkErr(t, err)
			var ie *audit.InputError
			if errors.As(err, &ie) && ie.Fatal {
				if _, err2 := r.Next(); err2 == nil || err2 == io.EOF {
					t.Fatalf("fatal error not sticky: %v", err2)
				}
				return evs
			}
			continue
		}
		if ev.Time < last {
			t.Fatalf("time goes back: %v after %v", ev.Time, last)
		}
		last = ev.Time
		evs = append(evs, ev)
	}
}

// FuzzTtyrec fuzzes the ttyrec decoder (past detection). Seeds are in
// testdata/fuzz/FuzzTtyrec.
func FuzzTtyrec(f *testing.F) {
	f.Add(handTtyrec())
	f.Fuzz(func(t *testing.T, data []byte) {
		small := &Reader{name: "fuzz", br: bufio.NewReader(bytes.NewReader(data)), max: 16}
		small.initTtyrec(Options{})
		checkStream(t, small, len(data)/12+1)
		r := &Reader{name: "fuzz", br: bufio.NewReader(bytes.NewReader(data))}
		r.initTtyrec(Options{})
		evs := checkStream(t, r, len(data)/12+1)
		n := 0
		for _, e := range evs {
			n += 12 + len(e.Data)
		}
		if n > len(data) {
			t.Fatalf("%d bytes of frames from %d bytes", n, len(data))
		}
		// Detection never panics either.
		isTtyrec(data, true)
		isTtyrec(data, false)
	})
}

// fuzzScript reads a script recording from a timing file and a log.
func fuzzScript(t *testing.T, timing, log []byte, io bool) {
	opt := Options{ScriptLog: "log"}
	if io {
		opt.ScriptIn = "log"
	}
	r, err := NewScriptReader("fuzz", bytes.NewReader(timing), bytes.NewReader(log), nil, opt)
	if err != nil {
		var ae *audit.Error
		if !errors.As(err, &ae) {
			t.Fatalf("error %T %v", err, err)
		}
		return
	}
	defer r.Close()
	evs := checkStream(t, r, len(timing)+1)
	n := 0
	for _, e := range evs {
		if e.Code == "o" || e.Code == "i" {
			n += len(e.Data)
		}
		if e.Line < 1 {
			t.Fatalf("event without a line: %+v", e)
		}
	}
	if n > len(log) {
		t.Fatalf("%d bytes of data from a %d-byte log", n, len(log))
	}
}

// FuzzScriptClassic fuzzes classic timing files with their typescript.
// Seeds are in testdata/fuzz/FuzzScriptClassic.
func FuzzScriptClassic(f *testing.F) {
	maxV1Len = 1 << 20
	f.Add([]byte("0.010149 10\n0.042451 14\n"), []byte("Script started on 2026-11-22 07:45:56+00:00 [<not executed on terminal>]\none\r\ntwo\r\nthree\nScript done\n"))
	f.Fuzz(func(t *testing.T, timing, log []byte) {
		fuzzScript(t, timing, log, false)
	})
}

// FuzzScriptAdvanced fuzzes advanced timing files with a --log-io file.
// Seeds are in testdata/fuzz/FuzzScriptAdvanced.
func FuzzScriptAdvanced(f *testing.F) {
	maxV1Len = 1 << 20
	f.Add([]byte("H 0.000000 COLUMNS 80\nI 0.5 3\nO 0.1 4\nS 0.2 SIGWINCH ROWS=30 COLS=100\nH 0.000000 EXIT_CODE 0\n"), []byte("Script started on x\nhi\rhi\r\n"))
	f.Fuzz(func(t *testing.T, timing, log []byte) {
		fuzzScript(t, timing, log, true)
		isScriptTiming(timing, false)
	})
}

// FuzzDecodeQuery checks DecodeQuery against encoding/json and that what
// it accepts survives EncodeQuery. Seeds are in
// testdata/fuzz/FuzzDecodeQuery.
func FuzzDecodeQuery(f *testing.F) {
	f.Add(`{"query":"select 1","message":"SELECT 1","duration_ms":0.5,"rows":1}`)
	f.Fuzz(func(t *testing.T, data string) {
		q, err := DecodeQuery(data)
		if err != nil {
			var qe *QueryError
			if !errors.As(err, &qe) {
				t.Fatalf("error %T %v", err, err)
			}
			return
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(data), &m); err != nil {
			t.Fatalf("accepted %q, encoding/json: %v", data, err)
		}
		if s, ok := m["query"].(string); !ok || s != q.Query {
			t.Fatalf("query %q, encoding/json %v", q.Query, m["query"])
		}
		enc, err := EncodeQuery(q)
		if err != nil {
			t.Fatalf("EncodeQuery(%+v): %v", q, err)
		}
		q2, err := DecodeQuery(enc)
		if err != nil || q2.Query != q.Query || q2.Message != q.Message || q2.DurationMS != q.DurationMS ||
			(q2.Rows == nil) != (q.Rows == nil) || (q.Rows != nil && *q2.Rows != *q.Rows) {
			t.Fatalf("round trip of %+v: %+v %v (%s)", q, q2, err, enc)
		}
	})
}

// FuzzWriterRoundTrip writes events made of arbitrary bytes and times and
// reads them back: valid JSON lines, times rounded to the microsecond
// exactly, each stream's bytes kept (as U+FFFD where not UTF-8). Seeds are
// in testdata/fuzz/FuzzWriterRoundTrip.
func FuzzWriterRoundTrip(f *testing.F) {
	f.Add([]byte("a\xc3|\xa9b|\x1b[1m\"\\|\xff"), "o", uint64(1234567), uint8(3))
	f.Fuzz(func(t *testing.T, data []byte, code string, step uint64, version uint8) {
		v := 2 + int(version%2)
		var evs []Event
		var now time.Duration
		for i, part := range bytes.Split(data, []byte("|")) {
			now += time.Duration(step % uint64(time.Hour))
			c := code
			if i%3 == 1 {
				c = "i"
			}
			evs = append(evs, Event{Time: now, Code: c, Data: string(part)})
		}
		var buf bytes.Buffer
		w, err := NewWriter(&buf, Header{Width: 80, Height: 24}, WriterOptions{Version: v})
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
		for _, line := range bytes.Split(bytes.TrimSuffix(buf.Bytes(), []byte("\n")), []byte("\n")) {
			if !json.Valid(line) || !utf8.Valid(line) {
				t.Fatalf("invalid line %q", line)
			}
		}
		_, got, err := readAll("out", buf.Bytes())
		if err != nil {
			if code == "r" || code == "" {
				return // a resize must be COLSxROWS; an empty code is no event
			}
			t.Fatalf("reading back: %v\n%s", err, buf.Bytes())
		}
		// "o" and "i" are streams (UTF-8 sequences are joined across
		// events); other codes are written event by event.
		split := func(evs []Event) (map[string]string, []string) {
			var ios []Event
			var others []string
			for _, e := range evs {
				if e.Code == "o" || e.Code == "i" {
					ios = append(ios, e)
				} else {
					others = append(others, string(appendJSONString(nil, e.Code))+string(appendJSONString(nil, e.Data)))
				}
			}
			return streams(ios), others
		}
		gs, gothers := split(got)
		ws, wothers := split(evs)
		if !reflect.DeepEqual(gs, ws) || !reflect.DeepEqual(gothers, wothers) {
			t.Fatalf("got %q %q, want %q %q", gs, gothers, ws, wothers)
		}
		for _, e := range got {
			found := false
			for _, s := range evs {
				if roundUS(s.Time) == e.Time {
					found = true
					break
				}
			}
			if !found {
				t.Fatalf("time %v not a rounded input time", e.Time)
			}
		}
	})
}
